//! Round trips through the encryption helpers for every key size, key rotation and key parsing.

mod common;

use common::*;
use identity::{encrypt_v2, generate_key_b64, verify, EncryptError, IdentityError, KeyError, SiteKey};
use serde_json::json;

const PAYLOAD: &str = r#"{"full_name":"张三","phone":"15912345678","vipNo":"vip 12138 "}"#;

fn expected_match_key() -> Vec<(String, String)> {
    vec![("full_name".into(), "张三".into()), ("phone".into(), "15912345678".into())]
}

#[test]
fn ecb_round_trip_for_16_24_and_32_byte_keys() {
    for (k, bytes) in [(KEY_128, 16), (KEY_192, 24), (KEY_256, 32)] {
        assert_eq!(key(k).len_bytes(), bytes);
        let token = ecb(k, PAYLOAD);
        assert_eq!(token, token.to_ascii_uppercase(), "uppercase hex like the Java reference");
        let verified = verify(&config(&[k]), SITE, Some(&token), NOW).expect("accepted").expect("not a guest");
        assert_eq!(verified.match_key, expected_match_key(), "{bytes}-byte key");
        // Fields that are not verification fields are kept as sent.
        assert_eq!(verified.payload["vipNo"], json!("vip 12138 "));
        assert_eq!(verified.display_name(), Some("张三"));
        // Lowercase hex is the same token.
        let lower = verify(&config(&[k]), SITE, Some(&token.to_lowercase()), NOW);
        assert_eq!(lower, Ok(Some(verified)));
    }
}

#[test]
fn ecb_round_trip_for_every_padding_length() {
    for extra in 0..40 {
        let payload = json!({"full_name": "A", "phone": "1", "pad": "x".repeat(extra)}).to_string();
        let token = ecb(KEY_128, &payload);
        let got = verify(&config(&[KEY_128]), SITE, Some(&token), NOW);
        assert!(matches!(got, Ok(Some(_))), "payload of {} bytes: {got:?}", payload.len());
    }
}

#[test]
fn v2_round_trip_with_a_32_byte_key() {
    let token = v2(KEY_256, 7, &v2_payload("张三", "15912345678"));
    assert!(token.starts_with("v2."));
    assert!(!token.contains('='), "unpadded base64url");
    let verified = verify(&config(&[KEY_256]), SITE, Some(&token), NOW).expect("accepted").expect("not a guest");
    assert_eq!(verified.match_key, expected_match_key());
    assert_eq!(verified.payload["aud"], json!(SITE));
}

#[test]
fn v2_accepts_padded_base64url_too() {
    // Find a payload whose token length is not a multiple of 4, then add the padding.
    let mut checked = 0;
    for n in 0..3 {
        let payload = json!({"full_name": "A", "phone": "1", "aud": SITE, "exp": NOW + 60, "p": "x".repeat(n)});
        let token = v2(KEY_256, 1, &payload.to_string());
        let body_len = token.len() - 3;
        if !body_len.is_multiple_of(4) {
            let padded = format!("{token}{}", "=".repeat(4 - body_len % 4));
            let got = verify(&config(&[KEY_256]), SITE, Some(&padded), NOW);
            assert!(matches!(got, Ok(Some(_))), "{got:?}");
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn v2_needs_a_32_byte_key() {
    for (k, len) in [(KEY_128, 16), (KEY_192, 24)] {
        assert!(!key(k).supports_v2());
        assert_eq!(encrypt_v2(&key(k), [0; 12], v2_payload("A", "1")), Err(EncryptError::KeyNotAes256(len)));
    }
    assert!(key(KEY_256).supports_v2());
}

#[test]
fn rotation_accepts_tokens_under_either_key() {
    let both = config(&[KEY_128, KEY_256]);
    for k in [KEY_128, KEY_256] {
        let got = verify(&both, SITE, Some(&ecb(k, PAYLOAD)), NOW);
        assert!(matches!(got, Ok(Some(_))), "{got:?}");
    }
    let got = verify(&both, SITE, Some(&v2(KEY_256, 3, &v2_payload("A", "1"))), NOW);
    assert!(matches!(got, Ok(Some(_))), "{got:?}");
    // The retired key, once removed, no longer opens its tokens.
    let new_only = config(&[KEY_256]);
    let got = verify(&new_only, SITE, Some(&ecb(KEY_128, PAYLOAD)), NOW);
    assert_eq!(got, Err(IdentityError::Invalid));
}

#[test]
fn keys_parse_from_base64_with_typed_errors() {
    assert_eq!(SiteKey::from_b64("not base64!").err(), Some(KeyError::NotBase64));
    assert_eq!(SiteKey::from_b64("AAAA").err(), Some(KeyError::BadLength(3)));
    assert_eq!(SiteKey::from_bytes(&[0; 20]).err(), Some(KeyError::BadLength(20)));
    // Unpadded and whitespace-wrapped forms of a valid key are accepted.
    assert!(SiteKey::from_b64(" aTyG4CbHGZbZaNwidpdd3g \n").is_ok());
    // The Debug form never shows key material.
    assert_eq!(format!("{:?}", key(KEY_128)), "SiteKey(AES-128, redacted)");
}

#[test]
fn generated_keys_round_trip() {
    for len in [16, 24, 32] {
        let random: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        let b64 = generate_key_b64(&random).expect("valid length");
        let key = SiteKey::from_b64(&b64).expect("parses back");
        assert_eq!(key.len_bytes(), len);
        let token = identity::encrypt_ecb(&key, PAYLOAD);
        let mut cfg = identity::SiteIdentityConfig::new(vec![key]);
        cfg.accept_ecb = true;
        assert!(matches!(verify(&cfg, SITE, Some(&token), NOW), Ok(Some(_))));
    }
    assert_eq!(generate_key_b64(&[0; 8]), Err(KeyError::BadLength(8)));
}
