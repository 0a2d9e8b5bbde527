//! # liaison
//!
//! An agent-based simulator of cooperation between intelligence services: how trust between
//! two (or more) services grows through reciprocated exchanges and joint successes, and
//! collapses on spy scandals, mole hunts and political shocks.
//!
//! Data flows one way, and the modules follow it:
//!
//! 1. [`scenario`] reads a TOML scenario file (with `extends` and `--set` overrides) and
//!    validates it into a [`scenario::Scenario`];
//! 2. [`model`] holds the agents (officers, services, channels), the rules and the events;
//!    it knows nothing of files, plots or the command line;
//! 3. [`runner`] runs the model once or as a seeded, parallel ensemble and records series;
//! 4. [`aggregate`] turns the ensemble into per-step statistics, [`targets`] checks the
//!    stylized facts against them;
//! 5. [`output`] writes CSV, the manifest and plots, whole or not at all;
//! 6. [`compare`] sits on top of the runner to compare scenarios and variants.
//!
//! The [`cli`] module is the only place that knows about the command line.

#![warn(missing_docs)]

pub mod aggregate;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod explore;
pub mod model;
pub mod output;
pub mod runner;
pub mod scenario;
pub mod targets;
pub mod ui;
pub mod validation;
