//! Writing results: tidy CSV, the manifest and plots, into folders that appear whole or not
//! at all. One file per format; the model and runner know nothing of them.

pub mod csv;
pub mod figures;
pub mod folder;
pub mod manifest;
pub mod plot;

pub use folder::{StagedFolder, safe_name};
