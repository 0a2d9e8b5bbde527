//! `liaison validate`: every target of several scenarios on several seeds, as a table.

use std::process::ExitCode;

use super::console;
use super::progress::interrupt_flag;
use super::run::{INTERRUPTED_EXIT, thread_count};
use crate::cli::ValidateArgs;
use crate::output::validation;
use crate::runner::RunError;
use crate::validation::{ValidationError, validate as judge};

/// Runs the command.
pub fn validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let threads = thread_count(args.threads);
    if let Some(file) = &args.markdown {
        markdown_destination_usable(file)?;
    }
    let mut results = Vec::new();
    for path in &args.scenarios {
        match judge(
            path,
            &args.seeds,
            args.runs,
            threads,
            Some(interrupt_flag()),
        ) {
            Ok(result) => {
                if !args.quiet {
                    let (held, total) = result.tally();
                    console::error(&format!("{}: {held}/{total}", path.display()));
                }
                results.push(result);
            }
            Err(ValidationError::Run(RunError::Interrupted)) => {
                console::error("interrupted: no output written");
                return Ok(ExitCode::from(INTERRUPTED_EXIT));
            }
            Err(ValidationError::Scenario(e)) => return Err(e.into()),
            Err(ValidationError::Run(e)) => return Err(e.into()),
        }
    }
    if let Some(file) = &args.markdown {
        crate::output::write_whole(file, &validation::markdown(&results))?;
    }
    console::out(&validation::text(&results))?;
    let (held, total) = validation::totals(&results);
    Ok(if args.strict && held < total {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Refuses a `--markdown` file that could not be written, before any run: its folder must
/// exist and the path must not be a folder.
fn markdown_destination_usable(file: &std::path::Path) -> anyhow::Result<()> {
    let shown = file.display();
    if file.is_dir() {
        anyhow::bail!("--markdown `{shown}` is a folder, expected a file to write");
    }
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !folder.is_dir() {
        anyhow::bail!(
            "--markdown `{shown}`: folder `{}` does not exist, expected an existing folder",
            folder.display()
        );
    }
    Ok(())
}
