//! Keys, settings and token builders shared by the identity integration tests.
#![allow(dead_code)]

use identity::{encrypt_ecb, encrypt_v2, SiteIdentityConfig, SiteKey};

/// The site id the tests verify for.
pub const SITE: &str = "site-1";
/// The simulated "now", in unix seconds.
pub const NOW: u64 = 1_700_000_000;

/// A 16-byte key (the first key of the shared vectors).
pub const KEY_128: &str = "aTyG4CbHGZbZaNwidpdd3g==";
/// A 24-byte key (from the shared vectors).
pub const KEY_192: &str = "82YipBjD4eMjn6f/OeCQ5IlT9psE6X69";
/// A 32-byte key (from the shared vectors).
pub const KEY_256: &str = "1xLBHGPpM52lQ6KMoc/pwpLWV3ScXoJXShM/vuXXVvI=";
/// A second 32-byte key, configured nowhere: tokens under it must be refused.
pub const KEY_OTHER_256: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Parses one of the constant keys above.
pub fn key(b64: &str) -> SiteKey {
    match SiteKey::from_b64(b64) {
        Ok(k) => k,
        Err(e) => panic!("test key {b64}: {e}"),
    }
}

/// Default settings with the given keys, and the compat (ECB) format turned on (it is off by
/// default; most tests here exercise both formats).
pub fn config(keys: &[&str]) -> SiteIdentityConfig {
    let mut config = SiteIdentityConfig::new(keys.iter().map(|k| key(k)).collect());
    config.accept_ecb = true;
    config
}

/// A compat token of `payload` under `key_b64`.
pub fn ecb(key_b64: &str, payload: &str) -> String {
    encrypt_ecb(&key(key_b64), payload)
}

/// A v2 token of `payload` under the 32-byte `key_b64`, with a nonce derived from `seed`.
pub fn v2(key_b64: &str, seed: u8, payload: &str) -> String {
    let nonce = [seed; 12];
    match encrypt_v2(&key(key_b64), nonce, payload) {
        Ok(t) => t,
        Err(e) => panic!("v2 test token: {e}"),
    }
}

/// A v2 payload for `SITE` expiring an hour after `NOW`.
pub fn v2_payload(name: &str, phone: &str) -> String {
    serde_json::json!({
        "full_name": name,
        "phone": phone,
        "aud": SITE,
        "exp": NOW + 3600,
    })
    .to_string()
}
