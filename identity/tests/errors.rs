//! One test per public error code (grep for the code), plus the guest path and the code table.

mod common;

use common::*;
use identity::{verify, IdentityError, SiteIdentityConfig, MAX_TOKEN_LEN};
use serde_json::json;

const OK_PAYLOAD: &str = r#"{"full_name":"张三","phone":"15912345678"}"#;

fn check(config: &SiteIdentityConfig, token: &str) -> Result<(), &'static str> {
    verify(config, SITE, Some(token), NOW).map(|_| ()).map_err(IdentityError::code)
}

#[test]
fn codes_statuses_and_messages_are_the_public_contract() {
    let table: Vec<_> =
        IdentityError::ALL.iter().map(|e| (e.code(), e.http_status(), e.message() == e.to_string())).collect();
    assert_eq!(
        table,
        vec![
            ("identity_malformed", 400, true),
            ("identity_invalid", 401, true),
            ("identity_fields_missing", 422, true),
            ("identity_expired", 401, true),
            ("identity_required", 401, true),
        ]
    );
}

#[test]
fn identity_malformed_for_bad_shapes_before_decryption() {
    let cfg = config(&[KEY_128]);
    let good = ecb(KEY_128, OK_PAYLOAD);
    let v2_good = v2(KEY_256, 1, &v2_payload("A", "1"));
    let cases = [
        ("empty", String::new()),
        ("not hex", format!("ZZ{}", &good[2..])),
        ("odd length", good[..good.len() - 1].to_owned()),
        ("not whole blocks", good[..good.len() - 2].to_owned()),
        ("over 8 KiB", "A".repeat(MAX_TOKEN_LEN + 2)),
        ("over 8 KiB, whole blocks", "00".repeat(MAX_TOKEN_LEN / 2 + 16)),
        ("over 8 KiB v2", format!("v2.{}", "A".repeat(MAX_TOKEN_LEN))),
        ("whitespace", format!(" {good}")),
        ("unicode", "张三".repeat(8)),
        ("v2 bad base64", "v2.***".to_owned()),
        ("v2 standard alphabet", format!("{}+/", &v2_good[..v2_good.len() - 2])),
        ("v2 too short", "v2.AAAA".to_owned()),
        ("v2 empty", "v2.".to_owned()),
    ];
    for (what, token) in cases {
        assert_eq!(check(&cfg, &token), Err("identity_malformed"), "{what}");
        assert_eq!(IdentityError::Malformed.http_status(), 400);
    }
}

#[test]
fn identity_invalid_for_every_decryption_and_parse_failure() {
    let cfg = config(&[KEY_128, KEY_256]);
    let good = ecb(KEY_128, OK_PAYLOAD);
    // Flip the last ciphertext byte: the padding block decrypts to garbage.
    let mut bad_padding = hex::decode(&good).expect("hex");
    let last = bad_padding.len() - 1;
    bad_padding[last] ^= 1;
    let mut tampered_v2 = v2(KEY_256, 2, &v2_payload("A", "1"));
    tampered_v2.replace_range(10..11, if &tampered_v2[10..11] == "A" { "B" } else { "A" });
    let cases = [
        ("wrong key", ecb(KEY_OTHER_256, OK_PAYLOAD)),
        ("bad padding", hex::encode(bad_padding)),
        ("not json", ecb(KEY_128, "full_name=A&phone=1")),
        ("json array", ecb(KEY_128, r#"["A","1"]"#)),
        ("json string", ecb(KEY_128, r#""A""#)),
        ("empty plaintext", ecb(KEY_128, "")),
        ("not utf-8", identity::encrypt_ecb(&key(KEY_128), [0xFF, 0xFE, b'{', b'}'])),
        ("exp not a number", ecb(KEY_128, r#"{"full_name":"A","phone":"1","exp":"soon"}"#)),
        ("name of spaces", ecb(KEY_128, r#"{"full_name":"  ","phone":"15912345678"}"#)),
        ("phone without digits", ecb(KEY_128, r#"{"full_name":"张三","phone":"unknown"}"#)),
        ("duplicate key", ecb(KEY_128, r#"{"full_name":"张三","phone":"1","phone":"15912345678"}"#)),
        ("v2 tampered", tampered_v2),
        ("v2 wrong key", v2(KEY_OTHER_256, 2, &v2_payload("A", "1"))),
        ("v2 not json", v2(KEY_256, 2, "nope")),
        (
            "v2 wrong audience",
            v2(KEY_256, 2, &json!({"full_name":"A","phone":"1","aud":"site-2","exp":NOW+60}).to_string()),
        ),
        ("v2 missing aud", v2(KEY_256, 2, &json!({"full_name":"A","phone":"1","exp":NOW+60}).to_string())),
        ("v2 missing exp", v2(KEY_256, 2, &json!({"full_name":"A","phone":"1","aud":SITE}).to_string())),
    ];
    for (what, token) in cases {
        assert_eq!(check(&cfg, &token), Err("identity_invalid"), "{what}");
    }
    // A site with only 16/24-byte keys cannot open v2 tokens at all.
    let short_keys = config(&[KEY_128, KEY_192]);
    let token = v2(KEY_256, 4, &v2_payload("A", "1"));
    assert_eq!(check(&short_keys, &token), Err("identity_invalid"));
    // A site without keys opens nothing.
    assert_eq!(check(&SiteIdentityConfig::default(), &good), Err("identity_invalid"));
    assert_eq!(IdentityError::Invalid.http_status(), 401);
}

#[test]
fn identity_invalid_when_the_site_turned_a_format_off() {
    let mut cfg = config(&[KEY_256]);
    let ecb_token = ecb(KEY_256, OK_PAYLOAD);
    let v2_token = v2(KEY_256, 5, &v2_payload("A", "1"));
    cfg.accept_ecb = false;
    assert_eq!(check(&cfg, &ecb_token), Err("identity_invalid"));
    assert_eq!(check(&cfg, &v2_token), Ok(()));
    cfg.accept_ecb = true;
    cfg.accept_v2 = false;
    assert_eq!(check(&cfg, &v2_token), Err("identity_invalid"));
    assert_eq!(check(&cfg, &ecb_token), Ok(()));
}

#[test]
fn identity_fields_missing_when_a_verification_field_is_absent_or_empty() {
    let cfg = config(&[KEY_128, KEY_256]);
    for payload in [
        r#"{"full_name":"张三"}"#,
        r#"{"phone":"15912345678"}"#,
        r#"{"full_name":"","phone":"15912345678"}"#,
        r#"{"full_name":"张三","phone":""}"#,
        r#"{"full_name":"张三","phone":null}"#,
        r#"{}"#,
    ] {
        assert_eq!(check(&cfg, &ecb(KEY_128, payload)), Err("identity_fields_missing"), "{payload}");
    }
    let v2_token = v2(KEY_256, 6, &json!({"full_name":"A","aud":SITE,"exp":NOW+60}).to_string());
    assert_eq!(check(&cfg, &v2_token), Err("identity_fields_missing"));
    // Custom verification fields are honoured (and held to the same strict rules).
    let mut custom = cfg.clone();
    custom.verification_fields = vec!["member_id".into()];
    assert_eq!(check(&custom, &ecb(KEY_128, OK_PAYLOAD)), Err("identity_fields_missing"));
    assert_eq!(check(&custom, &ecb(KEY_128, r#"{"member_id":"42"}"#)), Ok(()));
    assert_eq!(check(&custom, &ecb(KEY_128, r#"{"member_id":" 42 "}"#)), Err("identity_invalid"));
    assert_eq!(IdentityError::FieldsMissing.http_status(), 422);
}

#[test]
fn identity_expired_when_exp_is_past() {
    let cfg = config(&[KEY_128, KEY_256]);
    let with_exp = |exp: serde_json::Value| json!({"full_name":"A","phone":"1","aud":SITE,"exp":exp}).to_string();
    for exp in [json!(NOW - 1), json!(NOW), json!(1)] {
        assert_eq!(check(&cfg, &ecb(KEY_128, &with_exp(exp.clone()))), Err("identity_expired"), "ecb {exp}");
        assert_eq!(check(&cfg, &v2(KEY_256, 8, &with_exp(exp.clone()))), Err("identity_expired"), "v2 {exp}");
    }
    for exp in [json!(NOW + 1), json!(identity::MAX_EXP - 1)] {
        assert_eq!(check(&cfg, &ecb(KEY_128, &with_exp(exp.clone()))), Ok(()), "ecb {exp}");
        assert_eq!(check(&cfg, &v2(KEY_256, 8, &with_exp(exp.clone()))), Ok(()), "v2 {exp}");
    }
    // An `exp` that is not a sane integer is no expiry at all: invalid, whether past or future.
    for exp in [json!(0), json!(-5), json!(1.5), json!(NOW as f64 + 0.5), json!(u64::MAX), json!(identity::MAX_EXP)] {
        assert_eq!(check(&cfg, &ecb(KEY_128, &with_exp(exp.clone()))), Err("identity_invalid"), "ecb {exp}");
        assert_eq!(check(&cfg, &v2(KEY_256, 8, &with_exp(exp.clone()))), Err("identity_invalid"), "v2 {exp}");
    }
    assert_eq!(IdentityError::Expired.http_status(), 401);
}

#[test]
fn identity_required_when_the_site_requires_identity_and_none_is_given() {
    let mut cfg = config(&[KEY_128]);
    cfg.require_identity = true;
    assert_eq!(verify(&cfg, SITE, None, NOW).map_err(IdentityError::code), Err("identity_required"));
    assert_eq!(check(&cfg, ""), Err("identity_required"));
    // A token is still checked normally on such a site.
    assert_eq!(check(&cfg, &ecb(KEY_128, OK_PAYLOAD)), Ok(()));
    assert_eq!(check(&cfg, "00"), Err("identity_malformed"));
    assert_eq!(IdentityError::Required.http_status(), 401);
}

#[test]
fn guests_are_allowed_unless_identity_is_required() {
    let cfg = config(&[KEY_128]);
    assert_eq!(verify(&cfg, SITE, None, NOW), Ok(None));
    // An empty token is a malformed token, not a guest (the shared vector "empty").
    assert_eq!(check(&cfg, ""), Err("identity_malformed"));
}
