//! `liaison ui`'s HTTP API without a browser: bad requests get a 4xx and a message and
//! never stop the server; the page's runs are reproducible by `liaison run` of the exported
//! what-if; a pinned baseline's paired difference is exactly zero before the first changed
//! event; a newer run cancels an older one.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use liaison::ui::App;
use liaison::ui::catalog::Catalog;
use liaison::ui::evaluate::{Limits, RunRequest};
use liaison::ui::server::{self, Running};
use serde_json::{Value, json};

fn small() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.toml")
}

fn app(out: &Path, limits: Limits) -> Arc<App> {
    let (catalog, _) = Catalog::new(&[small()], None).expect("catalog");
    Arc::new(App::new(catalog, limits, out.to_path_buf(), None, None))
}

fn serve(out: &Path, limits: Limits) -> Running {
    server::start(app(out, limits), "127.0.0.1:0".parse().unwrap()).expect("server")
}

/// One HTTP/1.0 exchange (so the answer is never chunked): (status, body).
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        addr.port(),
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before reading a large body; a reset then is fine.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn post(addr: SocketAddr, path: &str, body: &Value) -> (u16, Value) {
    let (status, text) = http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    let head: String = text.chars().take(300).collect();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {head}"));
    (status, value)
}

fn error_of(addr: SocketAddr, body: &Value) -> (u16, Option<String>, String) {
    let (status, value) = post(addr, "/api/run", body);
    (
        status,
        value["key"].as_str().map(String::from),
        value["error"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn bad_requests_get_a_4xx_and_a_message_and_the_server_goes_on() {
    let out = tempfile::tempdir().unwrap();
    let running = serve(
        out.path(),
        Limits {
            max_work: 2_000_000,
            ..Limits::default()
        },
    );
    let addr = running.addr();
    let json = [("Content-Type", "application/json")];

    let (status, body) = http(addr, "POST", "/api/run", &json, b"{not json");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("malformed request"), "{body}");

    let (status, _, message) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small"}, "runs": "many"}),
    );
    assert_eq!(status, 400);
    assert!(message.contains("invalid type"), "{message}");

    let (status, _, message) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small"}, "threads": 64}),
    );
    assert_eq!(status, 400);
    assert!(message.contains("unknown field `threads`"), "{message}");

    let (status, key, message) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small"}, "runs": 1_000_000_000u32}),
    );
    assert_eq!((status, key.as_deref()), (422, Some("runs")), "{message}");
    assert!(message.contains("expected 1 to 10000"), "{message}");

    let (status, key, message) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small"}, "runs": 5000}),
    );
    assert_eq!((status, key.as_deref()), (422, Some("runs")), "{message}");
    assert!(message.contains("officer-steps"), "{message}");

    let (status, key, message) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small", "set": {"services.ru.publicity": "1.5"}}}),
    );
    assert_eq!(
        (status, key.as_deref()),
        (422, Some("services.ru.publicity")),
        "{message}"
    );
    assert!(message.contains("out of range"), "{message}");

    let (status, key, message) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small", "set": {"services.ru.publicity": "\"high\""}}}),
    );
    assert_eq!(
        (status, key.as_deref()),
        (422, Some("services.ru.publicity")),
        "{message}"
    );

    let (status, key, message) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small", "set": {"services.xx.publicity": "0.1"}}}),
    );
    assert_eq!(
        (status, key.as_deref()),
        (422, Some("services.xx.publicity")),
        "{message}"
    );
    assert!(message.contains("does not exist"), "{message}");

    let (status, key, message) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small", "set": {"params.no_such_parameter": "1"}}}),
    );
    assert_eq!(
        (status, key.as_deref()),
        (422, Some("params.no_such_parameter")),
        "{message}"
    );

    let (status, key, _) = error_of(
        addr,
        &json!({"current": {"scenario": "cli/small", "remove_events": ["nope"]}}),
    );
    assert_eq!((status, key.as_deref()), (422, Some("remove_events")));

    // The browser names scenarios by id only: a path is just an unknown id.
    for id in [
        "../../etc/passwd",
        "/etc/passwd",
        "tests/fixtures/small.toml",
    ] {
        let (status, key, message) = error_of(addr, &json!({"current": {"scenario": id}}));
        assert_eq!(
            (status, key.as_deref()),
            (422, Some("scenario")),
            "{id}: {message}"
        );
    }

    let huge = format!(
        r#"{{"current": {{"scenario": "cli/small", "set": {{"name": "{}"}}}}}}"#,
        "x".repeat(300 * 1024)
    );
    let (status, body) = http(addr, "POST", "/api/run", &json, huge.as_bytes());
    assert_eq!(status, 413, "{body}");

    let (status, _) = http(
        addr,
        "POST",
        "/api/run",
        &[("Content-Type", "text/plain")],
        b"{}",
    );
    assert_eq!(status, 415);
    let (status, _) = http(addr, "GET", "/api/run", &[], b"");
    assert_eq!(status, 405);
    let (status, _) = http(addr, "GET", "/etc/passwd", &[], b"");
    assert_eq!(status, 404);
    let (status, _) = http(addr, "GET", "/api/scenario?id=%zz", &[], b"");
    assert_eq!(status, 400);

    // Another site's name for 127.0.0.1 (DNS rebinding) is refused.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /api/index HTTP/1.0\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    assert!(text.contains(" 403 "), "{text}");

    // Still serving, and nothing was written.
    let (status, body) = http(addr, "GET", "/api/index", &[], b"");
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(addr, "GET", "/api/scenario?id=cli%2Fsmall", &[], b"");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("params.trust_drift"),
        "controls come from Params::INFO"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    running.stop();
}

#[test]
fn an_exported_what_if_reproduces_the_page_with_liaison_run() {
    let out = tempfile::tempdir().unwrap();
    let running = serve(out.path(), Limits::default());
    let addr = running.addr();
    let settings = json!({
        "scenario": "cli/small",
        "set": {"event.arrest.public": "false", "params.trust_drift": "0.06", "officers.ru.cyber.trust.mean": "0.4"},
        "remove_events": ["sanctions"],
        "add_events": [{"id": "talks", "date": "2013-10-01", "kind": "outreach", "channels": ["ct"],
                        "services": ["us", "ru"], "magnitude": 0.5, "label": "Talks"}]
    });
    let (status, shown) = post(
        addr,
        "/api/run",
        &json!({"current": settings, "runs": 16, "seed": 3}),
    );
    assert_eq!(status, 200, "{shown}");
    let (status, exported) = post(
        addr,
        "/api/export",
        &json!({"current": settings, "runs": 16, "seed": 3, "name": "../../My Tweak"}),
    );
    assert_eq!(status, 200, "{exported}");
    // The name cannot leave <out>/ui/.
    let what_if = out.path().join("ui/my-tweak.toml");
    assert!(what_if.is_file(), "{exported}");
    let text = std::fs::read_to_string(&what_if).unwrap();
    assert!(text.contains("remove_events = [\"sanctions\"]"), "{text}");
    assert!(text.contains("\"event.arrest.public\" = false"), "{text}");
    assert!(text.contains("[[event]]\nid = \"talks\""), "{text}");

    let rerun = tempfile::tempdir().unwrap();
    assert_cmd::Command::cargo_bin("liaison")
        .unwrap()
        .args(["run", "--quiet", "--no-plot", "--out"])
        .arg(rerun.path())
        .arg(&what_if)
        .assert()
        .success();
    let written = std::fs::read(rerun.path().join("my-tweak/summary.csv")).unwrap();
    let page_csv = exported["summary_csv"].as_str().unwrap().as_bytes();
    assert!(
        written == page_csv,
        "liaison run of the what-if differs from the page's summary.csv"
    );
    assert_eq!(
        std::fs::read(out.path().join("ui/my-tweak.summary.csv")).unwrap(),
        written
    );
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&written)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(shown["summary_sha256"].as_str(), Some(digest.as_str()));
    running.stop();
}

#[test]
fn a_pinned_baseline_differs_by_exactly_zero_before_the_first_changed_event() {
    let out = tempfile::tempdir().unwrap();
    let running = serve(out.path(), Limits::default());
    let addr = running.addr();
    let base = json!({"scenario": "cli/small"});
    let current = json!({"scenario": "cli/small", "set": {"event.arrest.magnitude": "0.3"}});
    let (status, report) = post(
        addr,
        "/api/run",
        &json!({"current": current, "baseline": base, "runs": 20}),
    );
    assert_eq!(status, 200, "{report}");
    let paired = &report["paired"];
    assert_eq!(paired["first_change"], "2013-06-03");
    assert_eq!(paired["max_abs_before"].as_f64(), Some(0.0));
    assert!(paired["steps_before"].as_u64().unwrap() > 10);
    let changes = paired["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["key"], "event.arrest.magnitude");
    assert_eq!(changes[0]["baseline"], "1.0");
    assert_eq!(changes[0]["current"], "0.3");
    // A weaker scandal keeps the catching desk's trust higher afterwards.
    let ct_ru = paired["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["series"] == "trust.ct.ru.us")
        .expect("series");
    assert!(ct_ru["median"].as_f64().unwrap() > 0.01, "{ct_ru}");
    assert!(paired["figure"].as_str().unwrap().starts_with("<svg"));

    // Same settings pinned: nothing differs, anywhere.
    let (_, same) = post(
        addr,
        "/api/run",
        &json!({"current": base, "baseline": base, "runs": 8}),
    );
    assert!(same["paired"]["changes"].as_array().unwrap().is_empty());
    assert!(
        same["paired"]["series"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["median"] == 0.0)
    );
    running.stop();
}

#[test]
fn a_newer_run_cancels_an_older_one() {
    let out = tempfile::tempdir().unwrap();
    let app = app(
        out.path(),
        Limits {
            max_work: u64::MAX,
            ..Limits::default()
        },
    );
    let request = |runs: u32| -> RunRequest {
        serde_json::from_value(json!({"current": {"scenario": "cli/small"}, "runs": runs})).unwrap()
    };
    let slow = {
        let app = Arc::clone(&app);
        let request = request(10_000);
        std::thread::spawn(move || app.run(&request))
    };
    std::thread::sleep(Duration::from_millis(300));
    let quick = app.run(&request(4)).expect("the newer run finishes");
    assert_eq!(quick.runs, 4);
    let older = slow
        .join()
        .unwrap()
        .expect_err("the older run was cancelled");
    assert_eq!(older.status, 409, "{older:?}");
}
