//! `liaison ui`: a local page where every change re-runs the ensemble.
//!
//! The page (plain HTML, CSS and JavaScript compiled into the binary, no network) shows
//! controls for a scenario's values, runs the ensemble on every change and redraws the trust
//! figure and the targets table; a pinned baseline adds the paired difference (common random
//! numbers). The modules follow a request:
//!
//! - [`catalog`]: the scenarios offered, by id (the browser never names a path);
//! - [`controls`]: what may be tweaked in a scenario, with documented ranges;
//! - [`changes`]: the page's changes as a what-if file, loaded like one;
//! - [`evaluate`]: the limits and the (paired) ensemble;
//! - [`differences`], [`figures`], [`report`]: what the page is sent back;
//! - [`export`]: the what-if and `summary.csv` written into `<out>/ui/`;
//! - [`app`]: the state shared by requests; [`server`]: HTTP only.

pub mod app;
pub mod catalog;
pub mod changes;
pub mod controls;
pub mod differences;
pub mod error;
pub mod evaluate;
pub mod export;
pub mod figures;
pub mod report;
pub mod server;

pub use app::App;
pub use error::UiError;
