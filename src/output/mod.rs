//! Writing results: tidy CSV, the manifest and plots, into folders that appear whole or not
//! at all. One file per format; the model and runner know nothing of them.

pub mod csv;
pub mod figures;
pub mod folder;
pub mod manifest;
pub mod plot;
pub mod validation;

pub use folder::{StagedFolder, safe_name};

/// Writes `text` to `path` whole or not at all: into a hidden file beside it, then renamed
/// over it.
pub fn write_whole(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file path", path.display()))?;
    let staging = path.with_file_name(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    // The error names the user's path, not the staging file's.
    std::fs::write(&staging, text).with_context(|| {
        let _ = std::fs::remove_file(&staging);
        format!("cannot write `{}`", path.display())
    })?;
    std::fs::rename(&staging, path).with_context(|| {
        let _ = std::fs::remove_file(&staging);
        format!("cannot write `{}`", path.display())
    })
}
