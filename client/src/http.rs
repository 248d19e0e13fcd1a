//! JSON over `fetch`, with the API's typed errors.

use protocol::lite::FromJson;
use protocol::ErrorBody;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

use crate::util::cast;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// The network failed (offline, refused); worth retrying.
    Network,
    /// The server answered with its typed error.
    Api {
        /// HTTP status.
        status: u16,
        /// Stable code.
        code: String,
        /// Human-readable message.
        message: String,
    },
    /// The answer was not the expected JSON.
    Decode,
}

impl FetchError {
    /// The stable code: the server's, or `network` / `decode`.
    pub fn code(&self) -> &str {
        match self {
            Self::Api { code, .. } => code,
            Self::Network => "network",
            Self::Decode => "decode",
        }
    }

    /// What to show the user: the server's message, or a description of the failure.
    pub fn message(&self) -> String {
        match self {
            Self::Api { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Network => write!(f, "network error"),
            Self::Api { code, message, .. } => write!(f, "{code}: {message}"),
            Self::Decode => write!(f, "unexpected response"),
        }
    }
}

/// POSTs `body` as JSON to `path` on this origin and decodes the JSON answer.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, FetchError> {
    let json = serde_json::to_string(body).map_err(|_| FetchError::Decode)?;
    let text = post_text(path, &json).await?;
    serde_json::from_str(&text).map_err(|_| FetchError::Decode)
}

/// POSTs JSON text to `path` on this origin; the answer's text when it succeeded, its typed error
/// otherwise.
pub async fn post_text(path: &str, json: &str) -> Result<String, FetchError> {
    let headers = Headers::new().map_err(|_| FetchError::Network)?;
    headers.set("content-type", "application/json").map_err(|_| FetchError::Network)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(json));
    fetch_text(path, &init).await
}

/// GETs `path` on this origin with a bearer token (none when `token` is empty); the answer's
/// text, or its typed error.
pub async fn get_text(path: &str, token: &str) -> Result<String, FetchError> {
    let headers = Headers::new().map_err(|_| FetchError::Network)?;
    if !token.is_empty() {
        headers.set("authorization", &format!("Bearer {token}")).map_err(|_| FetchError::Network)?;
    }
    let init = RequestInit::new();
    init.set_headers(&headers);
    fetch_text(path, &init).await
}

/// Sends JSON text to `path` on this origin with `method` (`PUT`, `POST`) and a bearer token; the
/// answer's text when it succeeded, its typed error otherwise.
pub async fn send_text(method: &str, path: &str, token: &str, json: &str) -> Result<String, FetchError> {
    let headers = Headers::new().map_err(|_| FetchError::Network)?;
    headers.set("content-type", "application/json").map_err(|_| FetchError::Network)?;
    headers.set("authorization", &format!("Bearer {token}")).map_err(|_| FetchError::Network)?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(json));
    fetch_text(path, &init).await
}

async fn fetch_text(path: &str, init: &RequestInit) -> Result<String, FetchError> {
    let request = Request::new_with_str_and_init(path, init).map_err(|_| FetchError::Network)?;
    let window = web_sys::window().ok_or(FetchError::Network)?;
    let response = JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| FetchError::Network)?;
    let response: Response = cast(response).ok_or(FetchError::Network)?;
    let text =
        JsFuture::from(response.text().map_err(|_| FetchError::Network)?).await.map_err(|_| FetchError::Network)?;
    let text = text.as_string().unwrap_or_default();
    if response.ok() {
        Ok(text)
    } else {
        Err(api_error(response.status(), text))
    }
}

/// The typed error of a failed answer (`{"error":{"code","message"}}`), or `http_error`.
pub(crate) fn api_error(status: u16, text: String) -> FetchError {
    match ErrorBody::from_text(&text) {
        Some(body) => FetchError::Api { status, code: body.error.code, message: body.error.message },
        None => FetchError::Api { status, code: "http_error".into(), message: text },
    }
}
