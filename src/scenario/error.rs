//! Errors in scenario files and overrides: they name the file, the line and column, and the
//! key, and say what was expected.

use std::fmt;
use std::path::PathBuf;

/// Where a faulty value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A scenario file, with the 1-based line and column when known.
    File {
        /// Path of the file as the user gave it (or as reached through `extends`).
        path: PathBuf,
        /// 1-based line and column of the offending key or value.
        position: Option<(usize, usize)>,
    },
    /// A `--set KEY=VALUE` on the command line (the text of the whole option).
    CommandLine(String),
    /// Another command-line option, written as given (`--end 2014-12-31`).
    Option(String),
}

/// A scenario that cannot be read or does not make sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// Where the problem is.
    pub origin: Origin,
    /// The dotted key, when the problem is attached to one (`services.ru.publicity`).
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ScenarioError {
    /// An error in a file, position unknown yet.
    pub fn in_file(
        path: impl Into<PathBuf>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        ScenarioError {
            origin: Origin::File {
                path: path.into(),
                position: None,
            },
            key,
            message: message.into(),
        }
    }

    /// An error attached to a dotted key, to be located later by the loader.
    pub fn at_key(key: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            origin: Origin::File {
                path: PathBuf::new(),
                position: None,
            },
            key: Some(key.into()),
            message: message.into(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::File { path, position } => {
                write!(f, "{}", path.display())?;
                if let Some((line, column)) = position {
                    write!(f, ":{line}:{column}")?;
                }
            }
            Origin::CommandLine(option) => write!(f, "--set {option}")?,
            Origin::Option(option) => write!(f, "{option}")?,
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// 1-based line and column of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 11), (2, 6));
    }

    #[test]
    fn display_names_file_position_and_key() {
        let err = ScenarioError {
            origin: Origin::File {
                path: "s.toml".into(),
                position: Some((3, 7)),
            },
            key: Some("services.ru.publicity".into()),
            message: "1.5 is out of range, expected a number from 0 to 1".into(),
        };
        assert_eq!(
            err.to_string(),
            "s.toml:3:7: key `services.ru.publicity`: 1.5 is out of range, expected a number from 0 to 1"
        );
    }
}
