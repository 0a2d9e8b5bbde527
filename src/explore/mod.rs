//! Exploration on top of the runner: searching parameter values against a scenario's
//! targets. The model and runner know nothing of it.

pub mod calibrate;
