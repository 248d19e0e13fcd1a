//! The demo shop's fake login: `POST /api/v1/sites/demo/demo-identity` mints a real identity token.
//!
//! A site owner's server encrypts `{full_name, phone, exp}` with its site key; the demo shop has no
//! server of its own, so this endpoint plays that part for the `demo` site only. It reads the demo
//! site's key from the site's own configuration (the Desk), so the token is made exactly as a site
//! owner's server would make it, and checked by the same code as every other token.
//!
//! Because whoever can call it can act as any visitor of the demo site, it exists only when both
//! hold: the site is `demo` (any other site id is `not_found`, as for any unknown path), and the
//! Worker runs with the variable `DEMO_IDENTITY` = `"1"`, which `cargo xtask dev` and the demo's
//! end-to-end tests pass and no deployed configuration sets.

use serde::Deserialize;
use worker::{Env, Method, Request, Response};

use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Call, Route};

/// The one site this endpoint serves.
pub const DEMO_SITE: &str = "demo";

/// The endpoint's path.
pub const PATH: &str = "/api/v1/sites/demo/demo-identity";

/// How long a minted token stays valid, in seconds (a page mints a fresh one on every load).
const TTL_SECS: u64 = 600;

/// Largest request body: a name and a phone number.
const MAX_BODY: usize = 1024;

/// Body of the request: who the fake login says the shopper is.
#[derive(Debug, Deserialize)]
struct LoginBody {
    /// Display name, 1-40 characters.
    full_name: String,
    /// Phone number: digits, spaces, `+` and `-`, with 5-20 digits (sealed as digits only, with
    /// the leading `+` if there is one).
    phone: String,
    /// `v2` (default, AES-256-GCM) or `ecb` (the compat hex format).
    #[serde(default)]
    format: Option<String>,
}

/// Whether the Worker was started with the demo identity endpoint turned on.
pub fn enabled(env: &Env) -> bool {
    env.var("DEMO_IDENTITY").map(|v| v.to_string() == "1").unwrap_or(false)
}

/// Answers `POST /api/v1/sites/demo/demo-identity` with `{"token","format","exp"}`.
pub async fn identity(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    if req.method() != Method::Post {
        return Err(EdgeError::MethodNotAllowed);
    }
    let body = req.bytes().await.map_err(|_| EdgeError::BadRequest("unreadable body".into()))?;
    if body.len() > MAX_BODY {
        return Err(EdgeError::PayloadTooLarge);
    }
    let login: LoginBody = serde_json::from_slice(&body)
        .map_err(|_| EdgeError::BadRequest("expected {\"full_name\", \"phone\", \"format\"?}".into()))?;
    let full_name = login.full_name.trim();
    if full_name.is_empty() || full_name.chars().count() > 40 {
        return Err(EdgeError::BadRequest("full_name must be 1-40 characters".into()));
    }
    if full_name.chars().any(char::is_control) {
        return Err(EdgeError::BadRequest("full_name must not contain control characters".into()));
    }
    let phone = login.phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !(5..=20).contains(&digits) || !phone.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-')) {
        return Err(EdgeError::BadRequest("phone must be 5-20 digits".into()));
    }
    // Identity payloads are strict: the phone goes in as digits with an optional leading `+`,
    // as a site owner's server must write it (`+86 159-1234-5678` -> `+8615912345678`).
    let plus = if phone.starts_with('+') { "+" } else { "" };
    let phone = format!("{plus}{}", phone.chars().filter(char::is_ascii_digit).collect::<String>());
    let keys = demo_keys(env).await?;
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let exp = now + TTL_SECS;
    let (format, token) = match login.format.as_deref().unwrap_or("v2") {
        "v2" => {
            let key = keys.iter().find(|k| k.supports_v2()).ok_or_else(no_key)?;
            let payload = serde_json::json!({"full_name": full_name, "phone": phone, "exp": exp, "aud": DEMO_SITE});
            let mut nonce = [0u8; 12];
            getrandom::getrandom(&mut nonce).map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
            let token = identity::encrypt_v2(key, nonce, payload.to_string())
                .map_err(|e| EdgeError::Internal(format!("demo identity: {e}")))?;
            ("v2", token)
        }
        "ecb" => {
            let key = keys.first().ok_or_else(no_key)?;
            let payload = serde_json::json!({"full_name": full_name, "phone": phone, "exp": exp});
            ("ecb", identity::encrypt_ecb(key, payload.to_string()))
        }
        _ => return Err(EdgeError::BadRequest("format must be \"v2\" or \"ecb\"".into())),
    };
    Ok(Response::from_json(&serde_json::json!({"token": token, "format": format, "exp": exp}))?)
}

/// The demo site has no usable key: its configuration lacks `identity.keys`.
fn no_key() -> EdgeError {
    EdgeError::BadRequest("the demo site has no identity key for this format".into())
}

/// The demo site's keys, read from its configuration in its Desk.
async fn demo_keys(env: &Env) -> EdgeResult<Vec<identity::SiteKey>> {
    let mut response = internal::call(env, DEMO_SITE, Route::GetConfig, Call::default()).await?;
    match response.status_code() {
        200 => {}
        404 => return Err(EdgeError::SiteNotFound),
        other => return Err(EdgeError::Internal(format!("demo config: status {other}"))),
    }
    let config: protocol::SiteConfig = response.json().await?;
    config
        .identity
        .keys
        .iter()
        .map(|k| identity::SiteKey::from_b64(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EdgeError::Internal(format!("demo identity key: {e}")))
}
