//! Stylized facts as checkable targets (pattern-oriented modelling): the `[[target]]`
//! vocabulary, its validation, and its evaluation on an ensemble.

mod eval;
mod spec;

pub use eval::{Outcome, Target, compile, curve, evaluate, evaluate_all, select_series};
pub use spec::{OtherSpec, Reduce, STATISTICS, TargetSpec, Test, check_structure};
