//! What goes wrong with a page's request, with the HTTP status it earns and, for a scenario
//! value, the key of the control it belongs to.

use serde::Serialize;

/// A request the server cannot honour.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct UiError {
    /// HTTP status: 4xx for the request, 5xx for the server.
    #[serde(skip)]
    pub status: u16,
    /// The dotted key of the value at fault (`services.ru.publicity`), when there is one.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl UiError {
    /// Malformed request: not JSON, wrong types, unknown fields, too many parts (400).
    pub fn bad_request(message: impl Into<String>) -> UiError {
        UiError {
            status: 400,
            key: None,
            message: message.into(),
        }
    }

    /// A well-formed request whose values do not make a valid scenario or exceed the limits
    /// (422), attached to `key` when known.
    pub fn invalid(key: Option<String>, message: impl Into<String>) -> UiError {
        UiError {
            status: 422,
            key,
            message: message.into(),
        }
    }

    /// A newer request replaced this one before it finished (409).
    pub fn superseded() -> UiError {
        UiError {
            status: 409,
            key: None,
            message: "superseded by a newer request".into(),
        }
    }

    /// The server failed (500): a bug or a disk problem, never the request's fault.
    pub fn internal(message: impl Into<String>) -> UiError {
        UiError {
            status: 500,
            key: None,
            message: message.into(),
        }
    }
}
