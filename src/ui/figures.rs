//! The page's figures, built and drawn by the same code that writes `trust.svg` (`liaison
//! run`) and `difference.svg` (`liaison compare`), so the page shows what the files show.

use super::error::UiError;
use super::evaluate::{Evaluation, Paired};
use crate::output::figures::{
    Compared, FigureOptions, difference_figure, run::panel_series, run_figure,
};
use crate::output::plot::{self, Figure};

/// The trust figure of `evaluation`, as self-contained SVG text.
pub fn trust_svg(evaluation: &Evaluation) -> Result<String, UiError> {
    let scenario = &evaluation.loaded.scenario;
    let summary = &evaluation.result.summary;
    let panels = panel_series(scenario, &summary.names, &[]).map_err(UiError::internal)?;
    let figure = run_figure(
        scenario,
        summary,
        &evaluation.result.outcomes,
        &panels,
        (evaluation.runs, evaluation.seed),
        &FigureOptions::default(),
    );
    svg(&figure)
}

/// The paired differences `current − pinned` of the trust series, differing events
/// highlighted: `liaison compare`'s difference figure.
pub fn difference_svg(evaluation: &Evaluation, paired: &Paired) -> Result<String, UiError> {
    // The difference figure reads only the entries' names, scenarios and events; the curves
    // come from `differences`, so the differences stand in for the entries' own summaries.
    let entries = [
        Compared {
            name: "pinned",
            scenario: &paired.baseline.scenario,
            summary: &paired.differences,
        },
        Compared {
            name: "current",
            scenario: &evaluation.loaded.scenario,
            summary: &paired.differences,
        },
    ];
    let figure = difference_figure(
        &entries,
        std::slice::from_ref(&paired.differences),
        &paired.differing_events,
        (evaluation.runs, evaluation.seed),
        &FigureOptions::default(),
    );
    svg(&figure)
}

fn svg(figure: &Figure) -> Result<String, UiError> {
    plot::render_svg(figure)
        .map_err(|e| UiError::internal(format!("cannot draw the figure: {e:#}")))
}
