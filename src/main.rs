//! The `liaison` command-line program: a thin shell around the library.

fn main() -> std::process::ExitCode {
    liaison::cli::main()
}
