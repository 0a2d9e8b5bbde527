//! Stylized facts as checkable targets (pattern-oriented modelling): the `[[target]]`
//! vocabulary, its validation, and its measurement on curves — the ensemble's statistic
//! curve, and each run's own curve for the share of runs in which a target holds.

mod eval;
mod spec;

pub use eval::{
    Measurement, Outcome, Target, compile, format_value, measure, outcome, select_series, window,
};
pub use spec::{OtherSpec, Reduce, STATISTICS, TargetSpec, Test, check_structure};
