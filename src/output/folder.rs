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
    /// component (see [`safe_name`]).
    pub fn new(root: &Path, name: &str) -> anyhow::Result<StagedFolder> {
        anyhow::ensure!(
            safe_name(name) == name && !name.is_empty(),
            "`{name}` is not a safe folder name"
        );
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create output folder `{}`", root.display()))?;
        let staging = root.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).ok();
        }
        std::fs::create_dir(&staging)
            .with_context(|| format!("cannot create `{}`", staging.display()))?;
        Ok(StagedFolder {
            staging,
            destination: root.join(name),
            committed: false,
        })
    }

    /// Path of a file inside the staging folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Where the folder will appear.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Moves the staged folder into place, replacing an older one.
    pub fn commit(mut self) -> anyhow::Result<PathBuf> {
        if self.destination.exists() {
            // Move the old folder aside first, so the swap is two renames.
            let old = self.staging.with_extension("old");
            std::fs::rename(&self.destination, &old)
                .with_context(|| format!("cannot replace `{}`", self.destination.display()))?;
            std::fs::remove_dir_all(&old).ok();
        }
        std::fs::rename(&self.staging, &self.destination)
            .with_context(|| format!("cannot create `{}`", self.destination.display()))?;
        self.committed = true;
        Ok(self.destination.clone())
    }
}

impl Drop for StagedFolder {
    fn drop(&mut self) {
        if !self.committed {
            std::fs::remove_dir_all(&self.staging).ok();
        }
    }
}

/// A folder name derived from user text (scenario names, file stems, variant names) that
/// cannot escape the output root: lowercase ASCII letters, digits, `-`, `_` and `.`, no
/// leading dot, at most 80 characters.
pub fn safe_name(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            '.' => '.',
            _ => '-',
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    while name.contains("..") {
        name = name.replace("..", ".");
    }
    let name = name.trim_matches(|c| c == '-' || c == '.');
    name.chars()
        .take(80)
        .collect::<String>()
        .trim_end_matches(['-', '.'])
        .to_string()
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
