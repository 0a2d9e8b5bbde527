//! Output folders that appear whole or not at all: files are written into a hidden staging
//! folder next to the destination, which is renamed into place only when everything is done.
//! A failure or an interruption leaves the previous folder (if any) untouched.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// A staging folder that becomes `<root>/<name>` on [`StagedFolder::commit`], and is
/// removed if dropped before.
#[derive(Debug)]
pub struct StagedFolder {
    staging: PathBuf,
    destination: PathBuf,
    committed: bool,
}

impl StagedFolder {
    /// Prepares a staging folder for `<root>/<name>`. `name` must be a single safe path
    /// component (see [`safe_name`]); see [`StagedFolder::check`] for what may stand there.
    pub fn new(root: &Path, name: &str) -> anyhow::Result<StagedFolder> {
        Self::check(root, name)?;
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create output folder `{}`", root.display()))?;
        let staging = root.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).ok();
        }
        std::fs::create_dir(&staging)
            .with_context(|| format!("cannot write in output folder `{}`", root.display()))?;
        Ok(StagedFolder {
            staging,
            destination: root.join(name),
            committed: false,
        })
    }

    /// Checks, before any work, that `<root>/<name>` can be written: `name` is safe, `root` is
    /// a folder (or can become one), and `<root>/<name>` is absent, empty, or a folder this
    /// program wrote (it has liaison's `manifest.json`). A user's file or folder is never
    /// moved or replaced.
    pub fn check(root: &Path, name: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            safe_name(name) == name && !name.is_empty(),
            "`{name}` is not a safe folder name"
        );
        if let Ok(metadata) = std::fs::metadata(root) {
            anyhow::ensure!(
                metadata.is_dir(),
                "output folder `{}` is {}, expected a folder (choose another --out)",
                root.display(),
                kind(&metadata)
            );
        }
        replaceable(&root.join(name))
    }

    /// Path of a file inside the staging folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Where the folder will appear.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Moves the staged folder into place, replacing an older output folder.
    pub fn commit(mut self) -> anyhow::Result<PathBuf> {
        // Checked again: something may have appeared there while the work was running.
        replaceable(&self.destination)?;
        if self.destination.exists() {
            // Move the old folder aside first, so the swap is two renames.
            let old = self.staging.with_extension("old");
            std::fs::rename(&self.destination, &old)
                .with_context(|| format!("cannot replace `{}`", self.destination.display()))?;
            if let Err(e) = std::fs::rename(&self.staging, &self.destination) {
                // Put the previous folder back rather than leave nothing.
                std::fs::rename(&old, &self.destination).ok();
                return Err(e)
                    .with_context(|| format!("cannot create `{}`", self.destination.display()));
            }
            std::fs::remove_dir_all(&old).ok();
        } else {
            std::fs::rename(&self.staging, &self.destination)
                .with_context(|| format!("cannot create `{}`", self.destination.display()))?;
        }
        self.committed = true;
        Ok(self.destination.clone())
    }
}

/// What a non-folder is, in words.
fn kind(metadata: &std::fs::Metadata) -> &'static str {
    if metadata.is_file() {
        "a file"
    } else if metadata.file_type().is_symlink() {
        "a symbolic link"
    } else if metadata.is_dir() {
        "a folder"
    } else {
        "a device, FIFO or socket"
    }
}

/// Whether `destination` may be replaced by an output folder: it is absent, an empty folder,
/// or a folder with liaison's `manifest.json`.
fn replaceable(destination: &Path) -> anyhow::Result<()> {
    let Ok(metadata) = std::fs::symlink_metadata(destination) else {
        return Ok(());
    };
    let shown = destination.display();
    anyhow::ensure!(
        metadata.is_dir(),
        "`{shown}` is {} in the way of the output folder, expected nothing there (liaison never \
         moves or overwrites a file): move it, or choose another --out or name",
        kind(&metadata)
    );
    let empty = std::fs::read_dir(destination)
        .map(|mut entries| entries.next().is_none())
        .unwrap_or(false);
    anyhow::ensure!(
        empty || written_by_liaison(destination),
        "`{shown}` is a folder that liaison did not write (it has no liaison manifest.json), \
         expected nothing there or an earlier output folder: move it, or choose another --out or name"
    );
    Ok(())
}

/// Whether `folder/manifest.json` is a manifest of this program.
fn written_by_liaison(folder: &Path) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(folder.join("manifest.json")) else {
        return false;
    };
    let mut text = String::new();
    // Manifests are a few kilobytes: a huge file there is not one.
    if file.take(16 << 20).read_to_string(&mut text).is_err() {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|v| v.get("program").and_then(|p| p.as_str()) == Some("liaison"))
}

impl Drop for StagedFolder {
    fn drop(&mut self) {
        if !self.committed {
            std::fs::remove_dir_all(&self.staging).ok();
        }
    }
}

/// Longest folder name in characters, and in bytes: with the staging folder's prefix and
/// suffix it stays under the 255-byte limit of common file systems.
const MAX_NAME_CHARS: usize = 80;
const MAX_NAME_BYTES: usize = 200;

/// A folder name derived from user text (scenario names, file stems, variant names) that
/// cannot escape the output root: lowercase letters of any script, digits, `-`, `_` and `.`,
/// no leading dot, at most 80 characters and 200 bytes. Everything else (path separators,
/// spaces, control characters) becomes `-`.
pub fn safe_name(text: &str) -> String {
    let mut name: String = text
        .chars()
        .flat_map(|c| {
            let c = if c.is_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '-'
            };
            c.to_lowercase()
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    while name.contains("..") {
        name = name.replace("..", ".");
    }
    let mut bounded = String::new();
    for c in name.trim_matches(['-', '.']).chars().take(MAX_NAME_CHARS) {
        if bounded.len() + c.len_utf8() > MAX_NAME_BYTES {
            break;
        }
        bounded.push(c);
    }
    bounded.trim_end_matches(['-', '.']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_cannot_escape() {
        assert_eq!(safe_name("us-russia-2011-2017"), "us-russia-2011-2017");
        assert_eq!(safe_name("../../etc/passwd"), "etc-passwd");
        assert_eq!(safe_name("/abs/path"), "abs-path");
        assert_eq!(safe_name("Quiet FSB"), "quiet-fsb");
        assert_eq!(safe_name(".."), "");
        assert!(!safe_name(&"x".repeat(200)).is_empty());
        assert!(safe_name(&"x".repeat(200)).len() <= 80);
        assert_eq!(safe_name("Сценарий 1"), "сценарий-1");
        assert!(safe_name(&"я".repeat(200)).len() <= MAX_NAME_BYTES);
        assert_eq!(safe_name(".hidden"), "hidden");
    }

    #[test]
    fn a_file_or_a_foreign_folder_in_the_way_is_refused_and_kept() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("run"), "mine").unwrap();
        let err = StagedFolder::new(root.path(), "run")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a file in the way"), "{err}");
        assert_eq!(
            std::fs::read_to_string(root.path().join("run")).unwrap(),
            "mine"
        );

        std::fs::create_dir(root.path().join("docs")).unwrap();
        std::fs::write(root.path().join("docs/notes.md"), "mine").unwrap();
        let err = StagedFolder::new(root.path(), "docs")
            .unwrap_err()
            .to_string();
        assert!(err.contains("liaison did not write"), "{err}");

        let file = root.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = StagedFolder::new(&file, "run").unwrap_err().to_string();
        assert!(err.contains("is a file, expected a folder"), "{err}");
        assert_eq!(
            std::fs::read_dir(root.path()).unwrap().count(),
            3,
            "nothing staged"
        );
    }

    #[test]
    fn folders_appear_only_on_commit() {
        let root = tempfile::tempdir().unwrap();
        let staged = StagedFolder::new(root.path(), "run").unwrap();
        std::fs::write(staged.file("a.csv"), "x").unwrap();
        assert!(!root.path().join("run").exists());
        drop(staged);
        assert!(!root.path().join("run").exists());
        assert_eq!(
            std::fs::read_dir(root.path()).unwrap().count(),
            0,
            "staging removed"
        );

        let staged = StagedFolder::new(root.path(), "run").unwrap();
        std::fs::write(staged.file("a.csv"), "x").unwrap();
        std::fs::write(staged.file("manifest.json"), r#"{"program": "liaison"}"#).unwrap();
        staged.commit().unwrap();
        assert!(root.path().join("run/a.csv").exists());

        let staged = StagedFolder::new(root.path(), "run").unwrap();
        std::fs::write(staged.file("b.csv"), "y").unwrap();
        staged.commit().unwrap();
        assert!(
            !root.path().join("run/a.csv").exists(),
            "old folder replaced"
        );
        assert!(root.path().join("run/b.csv").exists());
    }

    #[test]
    fn unsafe_names_are_refused() {
        let root = tempfile::tempdir().unwrap();
        assert!(StagedFolder::new(root.path(), "../x").is_err());
        assert!(StagedFolder::new(root.path(), "").is_err());
    }
}
