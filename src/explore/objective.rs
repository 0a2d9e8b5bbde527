//! What a calibration maximises: how well a point reproduces the targets of several
//! scenarios, each run with several seeds.
//!
//! Targets come in different units — a trust level on 0–1, a date in years, a share — so a
//! raw margin is not comparable across them. Two scores are offered:
//!
//! - [`Objective::Targets`] (default): the mean over every (scenario, seed, target) of
//!   `½·[holds on the statistic curve] + ½·(share of runs in which it holds) +
//!   0.1·clamp(margin, −1, 0)`. The indicator is what `liaison run` reports; the share of
//!   runs is unitless and moves smoothly with the parameters long before the median crosses
//!   a bound, which gives the optimiser a slope on plateaus; the small clipped margin pulls
//!   targets that fail in every run toward their bounds. 1 means every target holds on the
//!   median and in every run, for every scenario and seed.
//! - [`Objective::WorstMargin`]: the smallest margin over every (scenario, seed, target), in
//!   the target's own units (years for dates). Positive means everything holds; it rewards
//!   slack on the hardest target only, and mixes units, so it searches worse from far away.

use crate::targets::Outcome;

/// The score a calibration maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Targets held on the median and by share of runs, plus clipped margins (default).
    Targets,
    /// The worst margin over scenarios, seeds and targets.
    WorstMargin,
}

impl Objective {
    /// Parses `targets` or `worst-margin`.
    pub fn parse(text: &str) -> Result<Objective, String> {
        match text {
            "targets" => Ok(Objective::Targets),
            "worst-margin" => Ok(Objective::WorstMargin),
            other => Err(format!(
                "`{other}` is not an objective, expected `targets` or `worst-margin`"
            )),
        }
    }

    /// The name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Targets => "targets",
            Objective::WorstMargin => "worst-margin",
        }
    }
}

/// How one point did over every (scenario, seed) ensemble.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    /// Targets holding on the statistic curve, over every scenario and seed.
    pub held: usize,
    /// Targets evaluated (targets × seeds, summed over scenarios).
    pub total: usize,
    /// The smallest margin.
    pub worst_margin: f64,
    /// Mean share of runs holding.
    pub mean_share: f64,
    /// Sum of the [`Objective::Targets`] terms (divided by `total` for the score).
    target_terms: f64,
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Tally {
        Tally {
            worst_margin: f64::INFINITY,
            ..Tally::default()
        }
    }

    /// Adds the outcomes of one ensemble.
    pub fn add(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            let share_sum = self.mean_share * self.total as f64 + o.share_holding;
            self.total += 1;
            self.mean_share = share_sum / self.total as f64;
            self.held += usize::from(o.pass);
            // NaN margins (an undefined value) count as the worst.
            let margin = if o.margin.is_nan() {
                f64::NEG_INFINITY
            } else {
                o.margin
            };
            self.worst_margin = self.worst_margin.min(margin);
            self.target_terms += 0.5 * f64::from(u8::from(o.pass))
                + 0.5 * o.share_holding
                + 0.1 * margin.clamp(-1.0, 0.0);
        }
    }

    /// The score under `objective` (higher is better).
    pub fn score(&self, objective: Objective) -> f64 {
        match objective {
            Objective::Targets if self.total > 0 => self.target_terms / self.total as f64,
            Objective::Targets => f64::NEG_INFINITY,
            Objective::WorstMargin => self.worst_margin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Date;
    use crate::targets::Measurement;

    fn outcome(pass: bool, margin: f64, share: f64) -> Outcome {
        let d = Date::new(2013, 1, 1).unwrap();
        Outcome {
            id: "t".into(),
            description: String::new(),
            measured: Measurement {
                value: margin,
                date: None,
                margin,
            },
            bound: String::new(),
            pass,
            margin,
            share_holding: share,
            window: (d, d),
            series: Vec::new(),
        }
    }

    #[test]
    fn holding_targets_and_shares_raise_the_score() {
        let score = |outcomes: &[Outcome]| {
            let mut t = Tally::new();
            t.add(outcomes);
            t.score(Objective::Targets)
        };
        let failing = score(&[outcome(true, 0.1, 1.0), outcome(false, -0.5, 0.0)]);
        let closer = score(&[outcome(true, 0.1, 1.0), outcome(false, -0.1, 0.0)]);
        let some_runs = score(&[outcome(true, 0.1, 1.0), outcome(false, -0.1, 0.3)]);
        let both = score(&[outcome(true, 0.1, 1.0), outcome(true, 0.0, 0.6)]);
        assert!(closer > failing && some_runs > closer && both > some_runs);
        assert!((score(&[outcome(true, 0.2, 1.0)]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn worst_margin_is_the_minimum_over_ensembles() {
        let mut t = Tally::new();
        t.add(&[outcome(true, 0.3, 1.0), outcome(true, 0.2, 1.0)]);
        t.add(&[outcome(false, -0.4, 0.1)]);
        assert_eq!(t.score(Objective::WorstMargin), -0.4);
        assert_eq!((t.held, t.total), (2, 3));
        assert!((t.mean_share - 0.7).abs() < 1e-12);
        assert_eq!(Objective::parse("worst-margin"), Ok(Objective::WorstMargin));
        assert!(Objective::parse("best").is_err());
    }
}
