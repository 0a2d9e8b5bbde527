//! `liaison ui`: serves the tweak-live page on a local address until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;

use super::progress::interrupt_flag;
use crate::cli::UiArgs;
use crate::ui::catalog::{Catalog, bundled_folder};
use crate::ui::evaluate::Limits;
use crate::ui::{App, server};

/// Runs the command.
pub fn ui(args: &UiArgs) -> anyhow::Result<ExitCode> {
    let ip: IpAddr = args.bind.parse().with_context(|| {
        format!(
            "--bind {}: expected an IP address like 127.0.0.1",
            args.bind
        )
    })?;
    anyhow::ensure!(
        args.max_runs >= 1,
        "--max-runs 0: expected at least one run"
    );
    let bundled = bundled_folder();
    let (catalog, warnings) = Catalog::new(&args.scenarios, bundled.as_deref())?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    anyhow::ensure!(
        !catalog.entries().is_empty(),
        "no scenario to show: give a scenario file, or run from the repository root (scenarios/)"
    );
    let limits = Limits {
        max_runs: args.max_runs,
        max_work: args.max_work,
        threads: super::run::thread_count(args.threads),
    };
    let app = Arc::new(App::new(
        catalog,
        limits,
        args.out.clone(),
        args.runs,
        args.seed,
    ));
    // Install the Ctrl-C handler before serving, so the first Ctrl-C stops cleanly.
    let stop = interrupt_flag();
    let running = server::start(app, SocketAddr::new(ip, args.port))?;
    if !ip.is_loopback() {
        eprintln!(
            "warning: listening on {ip}, not only on this machine: anyone who can reach {} can run ensembles and write into {}",
            running.url(),
            args.out.join("ui").display()
        );
    }
    println!("liaison ui: open {} (Ctrl-C to stop)", running.url());
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    running.stop();
    eprintln!("stopped");
    Ok(ExitCode::SUCCESS)
}
