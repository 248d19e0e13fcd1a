//! The v2 format: `v2.` + base64url(12-byte nonce || AES-256-GCM(site key, JSON object) || tag).

use aes_gcm::aead::Aead;
use aes_gcm::Nonce;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use serde_json::{Map, Value};

use crate::error::{EncryptError, IdentityError};
use crate::key::SiteKey;
use crate::MAX_TOKEN_LEN;

/// The prefix that marks a v2 token.
pub const V2_PREFIX: &str = "v2.";

/// Nonce length of AES-GCM as used here.
const NONCE_LEN: usize = 12;
/// Tag length of AES-GCM.
const TAG_LEN: usize = 16;

/// base64url; written without padding, read with or without it.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes the part after `v2.`: bad base64 or too short for nonce + tag is malformed.
pub(crate) fn decode(body: &str) -> Result<Vec<u8>, IdentityError> {
    let sealed = B64URL.decode(body).map_err(|_| IdentityError::Malformed)?;
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(IdentityError::Malformed);
    }
    Ok(sealed)
}

/// Opens `nonce || ciphertext || tag` with the first 32-byte key whose tag matches (the tag check
/// inside `aes-gcm` is constant-time) and parses the JSON object. Keys shorter than 32 bytes are
/// skipped: they cannot open v2 tokens.
pub(crate) fn open(keys: &[SiteKey], sealed: &[u8]) -> Option<Map<String, Value>> {
    let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::from_slice(nonce);
    let plaintext = keys.iter().filter_map(SiteKey::gcm).find_map(|gcm| gcm.decrypt(nonce, ciphertext).ok())?;
    let text = std::str::from_utf8(&plaintext).ok()?;
    crate::strict::object(text)
}

/// Seals a payload as a v2 token.
pub(crate) fn seal(key: &SiteKey, nonce: [u8; NONCE_LEN], payload: &[u8]) -> Result<String, EncryptError> {
    let gcm = key.gcm().ok_or(EncryptError::KeyNotAes256(key.len_bytes()))?;
    if payload.len() > MAX_TOKEN_LEN {
        return Err(EncryptError::PayloadTooLarge);
    }
    let ciphertext = gcm.encrypt(Nonce::from_slice(&nonce), payload).map_err(|_| EncryptError::PayloadTooLarge)?;
    let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    let token = format!("{V2_PREFIX}{}", B64URL.encode(sealed));
    if token.len() > MAX_TOKEN_LEN {
        return Err(EncryptError::PayloadTooLarge);
    }
    Ok(token)
}
