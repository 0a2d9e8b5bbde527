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
