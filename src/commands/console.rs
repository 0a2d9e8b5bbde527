//! Writing to the terminal without panicking: `println!` panics when standard output is
//! closed (`| head -1`) or full (`> /dev/full`). Output goes through [`print`], which returns
//! the error; a closed pipe then ends the program quietly ([`is_broken_pipe`]) and a full disk
//! becomes an error message.

use std::io::Write;

use anyhow::Context;

/// Writes `text` to standard output and flushes it.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// [`print`] with the error worded for the user.
pub fn out(text: &str) -> anyhow::Result<()> {
    print(text).context("cannot write to standard output")
}

/// Writes a line to standard error. Its failure is ignored: there is nowhere left to report it.
pub fn error(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Whether `error` comes from writing to a pipe whose reader has gone.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
