//! The validation table (`liaison validate`): plain text for the terminal, Markdown for
//! `docs/validation.md`.

use std::fmt::Write as _;

use crate::validation::CaseResult;

/// A cell: the verdict, the observed value and the share of runs in which the target held.
fn cell(o: &crate::targets::Outcome) -> String {
    format!(
        "{} {} ({:.0}%)",
        if o.pass { "pass" } else { "FAIL" },
        o.observed(),
        100.0 * o.share_holding
    )
}

/// One table per scenario (target × seed) and the totals, for a terminal.
pub fn text(results: &[CaseResult]) -> String {
    let mut out = String::new();
    for case in results {
        let (held, total) = case.tally();
        let _ = writeln!(
            out,
            "{} ({}): {held}/{total} target × seed hold, {} runs",
            case.name,
            case.path.display(),
            case.runs
        );
        let width = case
            .targets
            .iter()
            .map(|t| t.id.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let seeds: Vec<String> = case.seeds.iter().map(|s| format!("seed {s}")).collect();
        let _ = writeln!(out, "  {:<width$}  {}", "target", seeds.join(" | "));
        for t in &case.targets {
            let cells: Vec<String> = t.outcomes.iter().map(cell).collect();
            let _ = writeln!(out, "  {:<width$}  {}", t.id, cells.join(" | "));
        }
    }
    let (held, total) = totals(results);
    let _ = writeln!(out, "all: {held}/{total} target × seed hold");
    out
}

/// (held, total) over every scenario.
pub fn totals(results: &[CaseResult]) -> (usize, usize) {
    results
        .iter()
        .map(CaseResult::tally)
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
}

/// The Markdown tables: a summary line per scenario, then one table per scenario with every
/// target's verdict, observed value and share of runs holding on each seed.
pub fn markdown(results: &[CaseResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| scenario | targets × seeds holding |");
    let _ = writeln!(out, "|---|---|");
    for case in results {
        let (held, total) = case.tally();
        let _ = writeln!(
            out,
            "| {} (`{}`) | {held}/{total} |",
            case.name,
            case.path.display()
        );
    }
    let (held, total) = totals(results);
    let _ = writeln!(out, "| **all** | **{held}/{total}** |");
    for case in results {
        let _ = writeln!(out, "\n### {}\n", case.name);
        let _ = writeln!(
            out,
            "`{}`, {} runs per ensemble. Each cell: verdict on the median curve, observed value, \
             and the share of runs in which the target holds run by run.\n",
            case.path.display(),
            case.runs
        );
        let seeds: Vec<String> = case.seeds.iter().map(|s| format!("seed {s}")).collect();
        let _ = writeln!(out, "| target | {} |", seeds.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(case.seeds.len()));
        for t in &case.targets {
            let cells: Vec<String> = t.outcomes.iter().map(cell).collect();
            let _ = writeln!(out, "| `{}` | {} |", t.id, cells.join(" | "));
        }
    }
    out
}
