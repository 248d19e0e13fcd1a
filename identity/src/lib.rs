//! Visitor identity check (customParams): AES/ECB compat tokens and v2 AES-GCM tokens, plain Rust.
//!
//! A site owner's server encrypts a JSON object about the visitor (e.g.
//! `{"full_name":"张三","phone":"15912345678"}`) with the site key; the widget hands the token to
//! the edge, which calls [`verify`] once per session start. Two token formats exist:
//!
//! - **v2**: `v2.` + base64url (no padding; padding accepted) of a 12-byte nonce followed by the
//!   AES-256-GCM ciphertext and tag, no associated data. The JSON object must carry `exp` (unix
//!   seconds) and `aud` (the site id). Only 32-byte keys can open or seal v2 tokens: on a site
//!   whose keys are all 16 or 24 bytes every v2 token is `identity_invalid`.
//! - **Compat (ECB)**: hex (either case) of AES/ECB/PKCS5Padding(key, UTF-8 JSON object), with a
//!   16, 24 or 32-byte key, as the reference Java code produces. ECB is malleable: each 16-byte
//!   block is encrypted on its own and nothing checks integrity, so whoever can choose part of his
//!   own tokens (a display name) can cut and paste blocks of several tokens into a new identity.
//!   It is off unless a site turns it on knowingly ([`SiteIdentityConfig::accept_ecb`]).
//!
//! Whatever the format, the payload is strict, so that a splice has no slack to line up with:
//! a JSON object without duplicate keys (at any depth); every verification field a non-empty
//! string that nothing would normalise (phone-like fields ASCII digits with an optional leading
//! `+`; other fields without whitespace at either end and without control or format characters);
//! `exp`, when present, a JSON integer of unix seconds with `0 < exp <` [`MAX_EXP`] (the year
//! 3000); `aud`, when present, the site id.
//!
//! Checks, in order, and the error each answers (see [`IdentityError`]):
//!
//! 1. No token: a guest (`Ok(None)`), or `identity_required` if the site requires identity (an
//!    empty token then counts as none; otherwise an empty token is `identity_malformed`).
//! 2. Shape, before any decryption: over [`MAX_TOKEN_LEN`] bytes, not hex, odd length, not whole
//!    16-byte blocks, bad base64url or too short for v2: `identity_malformed`.
//! 3. A format the site turned off, no key that opens the token (each configured key is tried),
//!    bad padding, bad UTF-8, bad JSON, not an object, a duplicate key, a v2 tag mismatch, an
//!    `aud` that is not the site id (v2: or none), an `exp` that is not a sane integer (v2, or a
//!    site with [`SiteIdentityConfig::require_exp`]: or none), a verification value that is not
//!    strictly clean, a site without verification fields: all one code, `identity_invalid`, so
//!    there is no padding or parse oracle.
//! 4. `exp` present and `now_unix_secs >= exp`: `identity_expired`.
//! 5. A verification field absent, `null` or `""`: `identity_fields_missing`.
//!
//! The crate has no clock and no randomness: `now`, nonces and key bytes come from the caller,
//! so it builds for `wasm32-unknown-unknown` and runs the same in a Worker and in native tests.

mod config;
mod ecb;
mod error;
mod key;
mod strict;
mod v2;
mod verified;

use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

pub use config::{SiteIdentityConfig, DEFAULT_VERIFICATION_FIELDS};
pub use error::{EncryptError, IdentityError, KeyError};
pub use key::{generate_key_b64, SiteKey};
pub use strict::MAX_EXP;
pub use v2::V2_PREFIX;
pub use verified::{is_phone_field, Verified};

/// The longest token [`verify`] looks at, in bytes; longer ones are `identity_malformed` unread.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Checks a visitor's identity token for a site.
///
/// Returns `Ok(None)` for a guest (no token, and the site does not require identity),
/// `Ok(Some(verified))` for a verified visitor, or the typed reason for refusing. `token` is the
/// token as the widget sent it (`None` when it sent none); `now_unix_secs` is the current time.
pub fn verify(
    config: &SiteIdentityConfig,
    site_id: &str,
    token: Option<&str>,
    now_unix_secs: u64,
) -> Result<Option<Verified>, IdentityError> {
    let token = match token {
        None => return guest(config),
        Some("") if config.require_identity => return Err(IdentityError::Required),
        Some(token) => token,
    };
    if token.len() > MAX_TOKEN_LEN {
        return Err(IdentityError::Malformed);
    }
    let (payload, is_v2) = match token.strip_prefix(V2_PREFIX) {
        Some(body) => {
            let sealed = v2::decode(body)?;
            if !config.accept_v2 {
                return Err(IdentityError::Invalid);
            }
            (v2::open(&config.keys, &sealed).ok_or(IdentityError::Invalid)?, true)
        }
        None => {
            let ciphertext = ecb::decode(token)?;
            if !config.accept_ecb {
                return Err(IdentityError::Invalid);
            }
            (ecb::open(&config.keys, &ciphertext).ok_or(IdentityError::Invalid)?, false)
        }
    };
    let exp = check_claims(&payload, site_id, is_v2, config.require_exp)?;
    let checked = verified::check_fields(&payload, &config.verification_fields)?;
    if exp.is_some_and(|exp| now_unix_secs >= exp) {
        return Err(IdentityError::Expired);
    }
    Verified::new(payload, checked).map(Some)
}

/// Encrypts a payload in the compat format: uppercase hex of AES/ECB/PKCS5Padding, exactly as
/// the reference Java code does. For site owners' tools and tests; tokens over
/// [`MAX_TOKEN_LEN`] bytes (payloads over about 4 KiB) are refused by [`verify`].
pub fn encrypt_ecb(key: &SiteKey, payload_json: impl AsRef<[u8]>) -> String {
    ecb::seal(key, payload_json.as_ref())
}

/// Encrypts a payload as a v2 token with a 32-byte key and a caller-chosen nonce.
///
/// The nonce must never repeat under one key (use 12 random bytes per token). The payload should
/// carry `exp` and `aud`; this helper does not add them. Fails with a shorter key, or when the
/// token would exceed [`MAX_TOKEN_LEN`].
pub fn encrypt_v2(key: &SiteKey, nonce: [u8; 12], payload_json: impl AsRef<[u8]>) -> Result<String, EncryptError> {
    v2::seal(key, nonce, payload_json.as_ref())
}

fn guest(config: &SiteIdentityConfig) -> Result<Option<Verified>, IdentityError> {
    if config.require_identity {
        Err(IdentityError::Required)
    } else {
        Ok(None)
    }
}

/// `aud`, when present, must be this site (v2: must be present); `exp`, when present, must be a
/// sane integer (v2, or a site that requires it: must be present). Returns `exp`.
fn check_claims(
    payload: &Map<String, Value>,
    site_id: &str,
    is_v2: bool,
    require_exp: bool,
) -> Result<Option<u64>, IdentityError> {
    let aud_ok = match payload.get("aud") {
        None => !is_v2,
        Some(aud) => aud.as_str().is_some_and(|aud| bool::from(aud.as_bytes().ct_eq(site_id.as_bytes()))),
    };
    let exp = strict::exp(payload)?;
    if aud_ok && (exp.is_some() || !(is_v2 || require_exp)) {
        Ok(exp)
    } else {
        Err(IdentityError::Invalid)
    }
}
