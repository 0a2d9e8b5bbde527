//! HTTP for the page: parses requests, enforces the transport limits (body size, content
//! type, host), routes to [`App`] and reports its answers as JSON. Every failure becomes a
//! status and a message; a panic in a handler becomes a 500, never a dead server.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::app::App;
use super::error::UiError;
use super::evaluate::RunRequest;

/// The page and its assets, compiled into the binary.
const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");

/// Largest request body read: a page's settings are a few kilobytes.
pub const MAX_BODY: usize = 256 * 1024;

/// Threads answering requests: a run, a newer run that cancels it, and asset requests can
/// be in flight together.
const WORKERS: usize = 4;

/// A running server; [`Running::stop`] ends it.
pub struct Running {
    server: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    app: Arc<App>,
    addr: SocketAddr,
}

impl Running {
    /// The address bound (with the actual port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        let ip = self.addr.ip();
        let host = if ip.is_unspecified() {
            "127.0.0.1".to_string()
        } else if ip.is_ipv6() {
            format!("[{ip}]")
        } else {
            ip.to_string()
        };
        format!("http://{host}:{}/", self.addr.port())
    }

    /// Cancels the run in progress, stops accepting requests and waits for the workers.
    pub fn stop(mut self) {
        self.app.cancel();
        self.stopping.store(true, Ordering::SeqCst);
        self.server.unblock();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Binds `addr` and serves `app` on worker threads until [`Running::stop`].
pub fn start(app: Arc<App>, addr: SocketAddr) -> anyhow::Result<Running> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow::anyhow!("cannot listen on {addr}: not an IP address"))?;
    let server = Arc::new(server);
    let stopping = Arc::new(AtomicBool::new(false));
    let workers = (0..WORKERS)
        .map(|_| {
            let (server, stopping, app) =
                (Arc::clone(&server), Arc::clone(&stopping), Arc::clone(&app));
            std::thread::spawn(move || {
                while !stopping.load(Ordering::SeqCst) {
                    match server.recv_timeout(Duration::from_millis(200)) {
                        Ok(Some(request)) => serve(&app, addr, request),
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    Ok(Running {
        server,
        stopping,
        workers,
        app,
        addr,
    })
}

/// A response before it is sent.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, value: &impl Serialize) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply {
                status,
                content_type: "application/json",
                body,
            },
            Err(e) => Reply::error(&UiError::internal(format!("cannot encode the answer: {e}"))),
        }
    }

    fn error(error: &UiError) -> Reply {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
            key: Option<&'a str>,
        }
        let body = serde_json::to_vec(&Body {
            error: &error.message,
            key: error.key.as_deref(),
        })
        .unwrap_or_else(|_| b"{\"error\":\"unknown\"}".to_vec());
        Reply {
            status: error.status,
            content_type: "application/json",
            body,
        }
    }

    fn asset(content_type: &'static str, body: &[u8]) -> Reply {
        Reply {
            status: 200,
            content_type,
            body: body.to_vec(),
        }
    }
}

fn serve(app: &App, addr: SocketAddr, mut request: tiny_http::Request) {
    let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        route(app, addr, &mut request).unwrap_or_else(|e| Reply::error(&e))
    }))
    .unwrap_or_else(|_| Reply::error(&UiError::internal("the server failed on this request")));
    let mut response = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    for (name, value) in [
        ("Content-Type", reply.content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        (
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' blob:",
        ),
    ] {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    // The browser may have given up on a superseded request: nothing to do then.
    let _ = request.respond(response);
}

fn route(app: &App, addr: SocketAddr, request: &mut tiny_http::Request) -> Result<Reply, UiError> {
    check_host(addr, request)?;
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let method = request.method().clone();
    use tiny_http::Method::{Get, Post};
    match (&method, path) {
        (Get, "/" | "/index.html") => Ok(Reply::asset(
            "text/html; charset=utf-8",
            INDEX_HTML.as_bytes(),
        )),
        (Get, "/app.js") => Ok(Reply::asset(
            "text/javascript; charset=utf-8",
            APP_JS.as_bytes(),
        )),
        (Get, "/style.css") => Ok(Reply::asset(
            "text/css; charset=utf-8",
            STYLE_CSS.as_bytes(),
        )),
        (Get, "/fonts/sans.ttf") => Ok(Reply::asset("font/ttf", dejavu::sans::regular())),
        (Get, "/fonts/sans-bold.ttf") => Ok(Reply::asset("font/ttf", dejavu::sans::bold())),
        (Get, "/api/index") => Ok(Reply::json(200, &app.index())),
        (Get, "/api/scenario") => {
            let id = query_value(query, "id")?
                .ok_or_else(|| UiError::bad_request("expected ?id=<scenario id>"))?;
            Ok(Reply::json(200, &app.scenario(&id)?))
        }
        (Post, "/api/run") => Ok(Reply::json(200, &app.run(&body::<RunRequest>(request)?)?)),
        (Post, "/api/export") => Ok(Reply::json(
            200,
            &app.export(&body::<RunRequest>(request)?)?,
        )),
        (
            _,
            "/" | "/index.html" | "/app.js" | "/style.css" | "/api/index" | "/api/scenario"
            | "/api/run" | "/api/export",
        ) => Err(UiError {
            status: 405,
            key: None,
            message: format!("{method} is not allowed on {path}"),
        }),
        _ => Err(UiError {
            status: 404,
            key: None,
            message: format!("nothing at {path}"),
        }),
    }
}

/// On a loopback address, only a page that names the server by a loopback name may use it:
/// another site that points its own name at 127.0.0.1 (DNS rebinding) is refused.
fn check_host(addr: SocketAddr, request: &tiny_http::Request) -> Result<(), UiError> {
    if !addr.ip().is_loopback() {
        return Ok(());
    }
    let host = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .map(|h| h.value.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    let port = addr.port();
    let allowed = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == format!("{name}:{port}"));
    if allowed {
        Ok(())
    } else {
        Err(UiError {
            status: 403,
            key: None,
            message: format!("host `{host}` is not this server's loopback address"),
        })
    }
}

/// The JSON body of a POST, at most [`MAX_BODY`] bytes, as `T`.
fn body<T: DeserializeOwned>(request: &mut tiny_http::Request) -> Result<T, UiError> {
    let json = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Content-Type"))
        .is_some_and(|h| h.value.as_str().starts_with("application/json"));
    if !json {
        return Err(UiError {
            status: 415,
            key: None,
            message: "expected a JSON body (Content-Type: application/json)".into(),
        });
    }
    let too_large = || UiError {
        status: 413,
        key: None,
        message: format!("the request body is larger than {MAX_BODY} bytes"),
    };
    if request.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| UiError::bad_request(format!("cannot read the request body: {e}")))?;
    if bytes.len() > MAX_BODY {
        return Err(too_large());
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| UiError::bad_request(format!("malformed request: {e}")))
}

/// The percent-decoded value of `name` in a query string.
fn query_value(query: &str, name: &str) -> Result<Option<String>, UiError> {
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == name {
            return percent_decode(value).map(Some);
        }
    }
    Ok(None)
}

fn percent_decode(text: &str) -> Result<String, UiError> {
    let bad = || UiError::bad_request(format!("`{text}` is not a valid URL-encoded value"));
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3).ok_or_else(bad)?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(
            query_value("a=1&id=what-if%2Fquiet-fogle", "id").unwrap(),
            Some("what-if/quiet-fogle".to_string())
        );
        assert_eq!(query_value("a=1", "id").unwrap(), None);
        assert!(query_value("id=%zz", "id").is_err());
        assert!(query_value("id=%e2%28", "id").is_err());
        assert!(query_value("id=%4", "id").is_err());
    }
}
