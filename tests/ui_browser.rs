//! `liaison ui` in a real browser: headless Chromium driven through chromedriver (WebDriver).
//!
//! The test starts the `liaison ui` binary on a free port, loads the page, moves a slider and
//! checks that the figure and the targets table change to exactly what `liaison run` with the
//! same override computes; switches an event off; pins a baseline and checks that the paired
//! difference is exactly zero before the first changed event; exports the what-if and checks
//! that `liaison run` of it reproduces the page's `summary.csv` byte for byte; and saves a
//! screenshot (`target/tmp/ui.png`, or `$LIAISON_UI_SCREENSHOT`).
//!
//! Without Chromium the test is skipped with a message, unless `CI` or `REQUIRE_BROWSER=1`
//! is set (as `.ci/run` does): then a missing browser is a failure.
//!
//! Latency: from a released slider (its `change` event) to the redrawn figure, measured by
//! the page itself, three times. 200 runs of the default scenario must take under 500 ms at
//! best in an optimised build (`cargo test --release --test ui_browser`) on a machine whose
//! cores are free (load average at most twice the cores); otherwise the latency is only
//! reported.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

type R<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Latency budget from a released slider to the redrawn figure, optimised builds.
const BUDGET_MS: f64 = 500.0;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The one-minute load average when it exceeds twice the cores (this test's own browser and
/// server included): other work then takes most of the machine.
fn busy() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let load: f64 = text.split_whitespace().next()?.parse().ok()?;
    (load > 2.0 * cores() as f64).then_some(load)
}

fn find(names: &[&str], env: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, or `None` (skip) on a machine without them — unless the
/// environment requires the browser tests to run.
fn browser_or_skip() -> Option<(PathBuf, PathBuf)> {
    let chromium = find(
        &["chromium", "chromium-browser", "google-chrome"],
        "CHROMIUM",
    );
    let driver = find(&["chromedriver"], "CHROMEDRIVER");
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            let required = std::env::var("REQUIRE_BROWSER").is_ok_and(|v| v == "1")
                || std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !required,
                "chromium or chromedriver not found, and CI/REQUIRE_BROWSER requires the browser tests \
                 (apt-get install -y --no-install-recommends chromium chromium-driver)"
            );
            eprintln!(
                "SKIP ui_browser: chromium/chromedriver not found \
                 (apt-get install -y --no-install-recommends chromium chromium-driver)"
            );
            None
        }
    }
}

/// A child process that is ended when dropped (on panics too).
struct Process {
    child: Child,
    /// A line read from its stdout that the caller waited for.
    line: String,
}

impl Process {
    /// Starts `command` and waits for a stdout line containing `marker`; keeps draining
    /// stdout afterwards so the child never blocks on a full pipe.
    fn start(mut command: Command, marker: &'static str) -> R<Process> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line.contains(marker) {
                    let _ = tx.send(line);
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => Ok(Process { child, line }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("no `{marker}` line within 60 s").into())
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver; dropping it asks it to shut down, which quits the browsers it started
/// (killing it would orphan them).
struct Driver {
    process: Process,
    url: String,
}

impl Driver {
    fn start(path: &Path) -> R<Driver> {
        let mut command = Command::new(path);
        command.arg("--port=0");
        let process = Process::start(command, "started successfully on port ")?;
        let port = process
            .line
            .split("started successfully on port ")
            .nth(1)
            .map(|p| p.trim().trim_end_matches('.').to_string())
            .ok_or("no port")?;
        Ok(Driver {
            process,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let addr = self.url.trim_start_matches("http://").to_string();
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(
                s,
                "GET /shutdown HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            );
            let _ = s.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn liaison() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_liaison"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Runs `liaison run` and returns its output folder's summary.csv and targets.csv.
fn liaison_run(args: &[&str], out: &Path, folder: &str) -> (Vec<u8>, String) {
    let status = liaison()
        .args(["run", "--quiet", "--no-plot", "--out"])
        .arg(out)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("liaison run");
    assert!(status.success(), "liaison run {args:?} failed");
    let folder = out.join(folder);
    (
        std::fs::read(folder.join("summary.csv")).expect("summary.csv"),
        std::fs::read_to_string(folder.join("targets.csv")).expect("targets.csv"),
    )
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn js(c: &Client, script: &str) -> R<Value> {
    Ok(c.execute(script, vec![]).await?)
}

/// Polls `script` (a JS expression) until it is truthy.
async fn wait_for(c: &Client, what: &str, script: &str, within: Duration) -> R<Value> {
    let deadline = Instant::now() + within;
    loop {
        let value = js(c, &format!("return ({script});")).await?;
        let truthy = !matches!(&value, Value::Null | Value::Bool(false))
            && value != json!("")
            && value != json!(0);
        if truthy {
            return Ok(value);
        }
        if Instant::now() > deadline {
            let status = js(c, "return document.querySelector('#status').textContent + ' | ' + document.querySelector('#general-error').textContent;").await?;
            return Err(format!("{what}: not after {within:?} (page: {status})").into());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the figure is redrawn after generation `after`; returns the new generation.
async fn next_figure(c: &Client, after: u64) -> R<u64> {
    let g = wait_for(
        c,
        "redrawn figure",
        &format!("Number(document.querySelector('#figure').dataset.generation) > {after} && !document.querySelector('#figure').classList.contains('stale') && Number(document.querySelector('#figure').dataset.generation)"),
        Duration::from_secs(90),
    )
    .await?;
    Ok(g.as_u64().unwrap_or(after + 1))
}

async fn page_state(c: &Client) -> R<(u64, String, Vec<(String, String, String)>)> {
    let v = js(
        c,
        "const f = document.querySelector('#figure');
         const rows = [...document.querySelectorAll('#targets tbody tr')].map(r =>
             [r.dataset.id, r.querySelector('.observed').textContent, r.children[3].textContent]);
         return [Number(f.dataset.generation), f.dataset.sha, rows];",
    )
    .await?;
    let rows = v[2]
        .as_array()
        .ok_or("rows")?
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_string(),
                r[1].as_str().unwrap_or_default().to_string(),
                r[2].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Ok((
        v[0].as_u64().unwrap_or(0),
        v[1].as_str().unwrap_or_default().to_string(),
        rows,
    ))
}

/// The (id, observed, result) rows of a targets.csv, formatted as the page formats them.
fn csv_targets(text: &str) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (id, value, date, pass) = (col("id"), col("value"), col("date"), col("pass"));
    reader
        .records()
        .map(|record| {
            let cells = record.expect("record");
            let number: f64 = cells[value].parse().unwrap_or(f64::NAN);
            let shown = format!("{number:.3}");
            let shown = if shown == "-0.000" {
                "0.000".into()
            } else {
                shown
            };
            let observed = if cells[date].is_empty() {
                shown
            } else {
                format!("{} ({shown})", &cells[date])
            };
            let result = if &cells[pass] == "true" {
                "pass"
            } else {
                "FAIL"
            };
            (cells[id].to_string(), observed, result.to_string())
        })
        .collect()
}

/// Sets a control's slider to `value` and releases it (input, then change).
async fn move_slider(c: &Client, key: &str, value: f64) -> R<()> {
    let script = format!(
        "const s = document.querySelector('.control[data-key=\"{key}\"] input[type=range]');
         s.value = {value};
         s.dispatchEvent(new Event('input', {{bubbles: true}}));
         s.dispatchEvent(new Event('change', {{bubbles: true}}));
         return s.value;"
    );
    js(c, &script).await?;
    Ok(())
}

async fn body(c: &Client, url: &str, scratch: &Path) -> R<(Vec<u8>, Vec<f64>)> {
    let step = |what: &str| eprintln!("ui_browser: {what}");
    c.goto(url).await?;
    step("page loaded");
    assert_eq!(c.title().await?, "liaison ui");
    let first = next_figure(c, 0).await?;
    step("first figure");
    let (_, sha0, targets0) = page_state(c).await?;
    assert!(!targets0.is_empty(), "targets table filled");
    assert!(
        js(c, "return document.querySelector('#figure svg') !== null && document.querySelector('#figure svg').textContent.includes('Fogle');").await?
            == json!(true),
        "the trust figure shows the event markers"
    );
    let (csv, targets) = liaison_run(&["--runs", "200"], scratch, "us-russia-2011-2017");
    assert_eq!(
        sha0,
        sha256(&csv),
        "the page's first run is `liaison run`'s"
    );
    assert_eq!(targets0, csv_targets(&targets));

    step("slider");
    // 1. Move a slider: a stronger mole hunt sweep.
    let before = js(c, "return window.liaison.latencies.length;")
        .await?
        .as_u64()
        .unwrap_or(0);
    move_slider(c, "params.hunt_sweep", 0.9).await?;
    let moved = next_figure(c, first).await?;
    let (_, sha1, targets1) = page_state(c).await?;
    assert_ne!(sha1, sha0, "the figure's data changed");
    assert_ne!(targets1, targets0, "the targets table changed");
    let (csv, targets) = liaison_run(
        &["--runs", "200", "--set", "params.hunt_sweep=0.9"],
        scratch,
        "us-russia-2011-2017",
    );
    assert_eq!(
        sha1,
        sha256(&csv),
        "the page shows what `liaison run --set` computes"
    );
    assert_eq!(
        targets1,
        csv_targets(&targets),
        "the targets table's new values"
    );
    // Two more releases of the same slider, for the latency: the machine is shared, so the
    // best of three is what the page can do.
    let mut generation = moved;
    for value in [0.8, 0.9] {
        move_slider(c, "params.hunt_sweep", value).await?;
        generation = next_figure(c, generation).await?;
    }
    let (_, again, _) = page_state(c).await?;
    assert_eq!(again, sha1, "the same settings give the same runs");
    let moved = generation;
    let latencies: Vec<f64> =
        serde_json::from_value(js(c, "return window.liaison.latencies;").await?)?;
    let slider_latency = latencies[before as usize..].to_vec();
    assert_eq!(slider_latency.len(), 3, "{latencies:?}");

    step("event off");
    // 2. Switch an event off.
    c.find(Locator::Css(
        "tr[data-event=\"crimea\"] input[type=checkbox]",
    ))
    .await?
    .click()
    .await?;
    let off = next_figure(c, moved).await?;
    let (_, sha2, _) = page_state(c).await?;
    assert_ne!(sha2, sha1, "switching Crimea off changes the runs");
    assert!(
        js(
            c,
            "return document.querySelector('tr[data-event=\"crimea\"]').classList.contains('off');"
        )
        .await?
            == json!(true)
    );

    step("pin");
    // 3. Pin a baseline: nothing differs yet.
    c.find(Locator::Id("pin")).await?.click().await?;
    let pinned = next_figure(c, off).await?;
    assert!(js(c, "return !document.querySelector('#paired').hidden;").await? == json!(true));
    let zero = js(
        c,
        "return document.querySelector('#zero-before').textContent;",
    )
    .await?;
    assert!(
        zero.as_str()
            .unwrap_or_default()
            .contains("Nothing differs"),
        "{zero}"
    );
    let (_, sha3, _) = page_state(c).await?;
    assert_eq!(sha3, sha2, "pinning does not change the current runs");

    step("quiet fogle");
    // 4. A quiet Fogle arrest: the difference is exactly zero before 2013-05-14.
    js(
        c,
        "const s = document.querySelector('tr[data-event=\"fogle\"] select');
         s.value = 'false'; s.dispatchEvent(new Event('change', {bubbles: true})); return 1;",
    )
    .await?;
    let quiet = next_figure(c, pinned).await?;
    let paired = js(c, "return window.liaison.last.paired;").await?;
    assert_eq!(
        paired["first_change"], "2013-05-14",
        "{}",
        paired["changes"]
    );
    assert_eq!(paired["max_abs_before"].as_f64(), Some(0.0));
    let shown = js(
        c,
        "return document.querySelector('#zero-before').dataset.maxAbsBefore;",
    )
    .await?;
    assert_eq!(shown, json!("0"));
    let changes = js(
        c,
        "return [...document.querySelectorAll('#changes tbody tr')].map(r => r.dataset.key);",
    )
    .await?;
    assert_eq!(
        changes,
        json!(["event.fogle.public"]),
        "only the Fogle arrest differs"
    );
    let largest = paired["series"]
        .as_array()
        .ok_or("series")?
        .iter()
        .find(|s| s["series"] == "trust.ct.ru.us")
        .ok_or("trust.ct.ru.us")?
        .clone();
    assert!(
        largest["median"].as_f64().unwrap_or(0.0) > 0.05,
        "a quiet arrest spares CT trust: {largest}"
    );
    assert!(
        js(
            c,
            "return document.querySelector('#difference svg') !== null;"
        )
        .await?
            == json!(true)
    );

    step("export");
    // 5. Export, then `liaison run` of the what-if reproduces the page's summary.
    let name = c.find(Locator::Id("export-name")).await?;
    name.clear().await?;
    name.send_keys("browser-quiet-fogle").await?;
    c.find(Locator::Id("export")).await?.click().await?;
    wait_for(
        c,
        "export",
        "document.querySelector('#export-result').dataset.done",
        Duration::from_secs(90),
    )
    .await?;
    let path = js(
        c,
        "return document.querySelector('#export-path').textContent;",
    )
    .await?;
    let path = PathBuf::from(path.as_str().ok_or("export path")?);
    let page_csv = js(c, "return window.liaison.last.summary_sha256;").await?;
    let downloaded = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('#download-csv').href).then(r => r.text()).then(done, e => done('fetch failed: ' + e));",
            vec![],
        )
        .await?;
    let what_if = std::fs::read_to_string(&path)?;
    assert!(
        what_if.contains("remove_events = [\"crimea\"]"),
        "{what_if}"
    );
    assert!(what_if.contains("\"params.hunt_sweep\" = 0.9"), "{what_if}");
    assert!(
        what_if.contains("\"event.fogle.public\" = false"),
        "{what_if}"
    );
    let status = liaison()
        .args(["run", "--quiet", "--no-plot", "--out"])
        .arg(scratch.join("rerun"))
        .arg(&path)
        .stdout(Stdio::null())
        .status()?;
    assert!(status.success());
    let rerun = std::fs::read(scratch.join("rerun/browser-quiet-fogle/summary.csv"))?;
    assert!(
        rerun == downloaded.as_str().unwrap_or_default().as_bytes(),
        "liaison run of the exported what-if reproduces the page's summary.csv byte for byte"
    );
    assert_eq!(
        json!(sha256(&rerun)),
        page_csv,
        "and it is the summary the page shows"
    );

    step("bad value");
    // 6. A bad value is reported next to its control, and nothing is run.
    let box_script = "const b = document.querySelector('.control[data-key=\"services.ru.publicity\"] input[type=number]');
         b.value = '1.5'; b.dispatchEvent(new Event('change', {bubbles: true})); return 1;";
    js(c, box_script).await?;
    let error = wait_for(
        c,
        "error next to the control",
        "document.querySelector('.control[data-key=\"services.ru.publicity\"] .error').textContent",
        Duration::from_secs(60),
    )
    .await?;
    assert!(
        error.as_str().unwrap_or_default().contains("out of range"),
        "{error}"
    );
    let reset = "document.querySelector('.control[data-key=\"services.ru.publicity\"] button.reset').click(); return 1;";
    js(c, reset).await?;
    next_figure(c, quiet).await?;
    js(c, "document.querySelector('#export-result').hidden = true; document.querySelector('aside').scrollTop = 0; window.scrollTo(0, 0); return 1;").await?;
    Ok((c.screenshot().await?, slider_latency))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_reruns_pins_and_exports_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser_or_skip() else {
        return;
    };
    let started = Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    let mut command = liaison();
    command
        .args(["ui", "--port", "0", "--runs", "200", "--out"])
        .arg(scratch.path().join("out"));
    let server = Process::start(command, "liaison ui: open ").expect("liaison ui starts");
    let url = server
        .line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL")
        .to_string();
    let driver = Driver::start(&chromedriver).expect("chromedriver");
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1600,1720", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session");
    // Always close the session (it quits Chromium), then judge.
    let result = body(&client, &url, scratch.path()).await;
    let _ = client.close().await;
    drop(driver);
    drop(server);
    let (png, latencies) = result.expect("browser test");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let shot = std::env::var_os("LIAISON_UI_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui.png"));
    std::fs::write(&shot, &png).unwrap();
    let best = latencies.iter().copied().fold(f64::INFINITY, f64::min);
    eprintln!(
        "slider released → figure redrawn: {latencies:.0?} ms (200 runs of the default scenario); \
         screenshot {}; total {:.1?}",
        shot.display(),
        started.elapsed()
    );
    if cfg!(debug_assertions) {
        eprintln!(
            "unoptimised build: latency reported, not checked (cargo test --release --test ui_browser checks it)"
        );
    } else if let Some(load) = busy() {
        // Other work holds the cores (a shared machine): the page only gets part of them,
        // so the budget, set for 2 free cores, cannot be judged. Said, not hidden.
        eprintln!(
            "machine busy (load average {load:.1} on {} cores): latency reported, not judged against {BUDGET_MS} ms",
            cores()
        );
    } else {
        assert!(
            best < BUDGET_MS,
            "slider to figure took {latencies:.0?} ms, budget {BUDGET_MS} ms at best"
        );
    }
}
