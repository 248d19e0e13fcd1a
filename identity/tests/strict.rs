//! The strict payload rules through `identity::verify`, in both formats: one test per rule, the
//! compat switch and `require_exp`, and the ECB block-splice forgeries they stop.

mod common;

use common::*;
use identity::{verify, IdentityError, SiteIdentityConfig, MAX_EXP};
use serde_json::json;

/// The code `verify` answers for a payload, sealed as ECB (16-byte key) and as v2 (with `aud` and
/// `exp` added unless the payload has them); both formats must agree.
fn both(cfg: &SiteIdentityConfig, payload: &str) -> Result<(), &'static str> {
    let ecb_result = verify(cfg, SITE, Some(&ecb(KEY_128, payload)), NOW).map(|_| ()).map_err(IdentityError::code);
    let mut claims = String::new();
    if !payload.contains("\"aud\"") {
        claims.push_str(&format!(",\"aud\":\"{SITE}\""));
    }
    if !payload.contains("\"exp\"") {
        claims.push_str(&format!(",\"exp\":{}", NOW + 600));
    }
    let v2_payload = match payload.trim().strip_suffix('}') {
        Some(head) if head.trim() != "{" => format!("{head}{claims}}}"),
        _ => format!("{{{}}}", claims.trim_start_matches(',')),
    };
    let v2_result = verify(cfg, SITE, Some(&v2(KEY_256, 9, &v2_payload)), NOW).map(|_| ()).map_err(IdentityError::code);
    assert_eq!(ecb_result, v2_result, "ECB and v2 disagree on {payload} / {v2_payload}");
    ecb_result
}

fn cfg() -> SiteIdentityConfig {
    config(&[KEY_128, KEY_256])
}

fn invalid(payloads: &[&str]) {
    for payload in payloads {
        assert_eq!(both(&cfg(), payload), Err("identity_invalid"), "{payload}");
    }
}

#[test]
fn a_clean_payload_is_accepted_with_its_values_as_the_match_key() {
    for payload in [
        r#"{"full_name":"张三","phone":"15912345678"}"#,
        r#"{"full_name":"张三","phone":"+8615912345678","vipNo":" any text \u0000 "}"#,
        r#"{"full_name":"Ada Lovelace","phone":"442079460000","address":{"city":"London"}}"#,
        r#" {"full_name" : "O'Brien" , "phone" : "1"} "#,
    ] {
        assert_eq!(both(&cfg(), payload), Ok(()), "{payload}");
    }
    let got = verify(&cfg(), SITE, Some(&ecb(KEY_128, r#"{"full_name":"张三","phone":"+8615912345678"}"#)), NOW);
    assert_eq!(
        got.map(|v| v.map(|v| v.match_key)),
        Ok(Some(vec![("full_name".into(), "张三".into()), ("phone".into(), "+8615912345678".into())]))
    );
}

#[test]
fn verification_values_must_be_strings() {
    invalid(&[
        r#"{"full_name":1,"phone":2}"#,
        r#"{"full_name":"张三","phone":15912345678}"#,
        r#"{"full_name":"张三","phone":1.5912345678e10}"#,
        r#"{"full_name":true,"phone":"1"}"#,
        r#"{"full_name":["张三"],"phone":"1"}"#,
        r#"{"full_name":{"v":"张三"},"phone":"1"}"#,
    ]);
}

#[test]
fn duplicate_keys_are_refused() {
    invalid(&[
        r#"{"full_name":"张三","phone":"13912345678","phone":"15912345678"}"#,
        r#"{"full_name":"李四","full_name":"张三","phone":"1"}"#,
        r#"{"full_name":"张三","phone":"1","vip":"a","vip":"b"}"#,
        r#"{"full_name":"张三","phone":"1","x":{"a":1,"a":2}}"#,
        r#"{"full_name":"张三","phone":"1","ph\u006fne":"2"}"#,
    ]);
}

#[test]
fn names_have_no_surrounding_whitespace() {
    invalid(&[
        r#"{"full_name":" 张三","phone":"1"}"#,
        r#"{"full_name":"张三 ","phone":"1"}"#,
        r#"{"full_name":"  ","phone":"1"}"#,
        r#"{"full_name":"\u3000张三","phone":"1"}"#,
        r#"{"full_name":"张三\u00a0","phone":"1"}"#,
        r#"{"full_name":"张三\n","phone":"1"}"#,
    ]);
}

#[test]
fn names_have_no_control_or_format_characters() {
    invalid(&[
        r#"{"full_name":"张\u0000三","phone":"1"}"#,
        r#"{"full_name":"张三\u0007","phone":"1"}"#,
        r#"{"full_name":"张\t三","phone":"1"}"#,
        r#"{"full_name":"张\u007f三","phone":"1"}"#,
        r#"{"full_name":"张三\u200b","phone":"1"}"#,
        r#"{"full_name":"\u202e张三","phone":"1"}"#,
        r#"{"full_name":"张\u00ad三","phone":"1"}"#,
        r#"{"full_name":"\ufeff张三","phone":"1"}"#,
        r#"{"full_name":"张三\udb40\udc41","phone":"1"}"#,
    ]);
}

#[test]
fn phones_are_digits_with_an_optional_leading_plus() {
    invalid(&[
        r#"{"full_name":"张三","phone":"159 1234 5678"}"#,
        r#"{"full_name":"张三","phone":"159-1234-5678"}"#,
        r#"{"full_name":"张三","phone":" 15912345678"}"#,
        r#"{"full_name":"张三","phone":"15912345678 "}"#,
        r#"{"full_name":"张三","phone":"+86 15912345678"}"#,
        r#"{"full_name":"张三","phone":"86+15912345678"}"#,
        r#"{"full_name":"张三","phone":"++8615912345678"}"#,
        r#"{"full_name":"张三","phone":"+"}"#,
        r#"{"full_name":"张三","phone":"(0)15912345678"}"#,
        r#"{"full_name":"张三","phone":"１５９１２３４５６７８"}"#,
        r#"{"full_name":"张三","phone":"unknown"}"#,
    ]);
    // Any field whose name says phone or mobile follows the phone rule.
    let mut mobile = cfg();
    mobile.verification_fields = vec!["mobilePhone".into()];
    assert_eq!(both(&mobile, r#"{"mobilePhone":"+15551234567"}"#), Ok(()));
    assert_eq!(both(&mobile, r#"{"mobilePhone":"555-1234567"}"#), Err("identity_invalid"));
}

#[test]
fn exp_is_a_sane_integer_and_is_honoured() {
    invalid(&[
        r#"{"full_name":"张三","phone":"1","exp":1e308}"#,
        r#"{"full_name":"张三","phone":"1","exp":2e9}"#,
        r#"{"full_name":"张三","phone":"1","exp":1700000600.5}"#,
        r#"{"full_name":"张三","phone":"1","exp":"1700000600"}"#,
        r#"{"full_name":"张三","phone":"1","exp":-1}"#,
        r#"{"full_name":"张三","phone":"1","exp":0}"#,
        r#"{"full_name":"张三","phone":"1","exp":null}"#,
        r#"{"full_name":"张三","phone":"1","exp":32503680000}"#,
        r#"{"full_name":"张三","phone":"1","exp":18446744073709551615}"#,
        r#"{"full_name":"张三","phone":"1","exp":99999999999999999999}"#,
    ]);
    assert_eq!(MAX_EXP, 32_503_680_000, "2999-12-31T23:59:60Z is as far as an exp may go");
    assert_eq!(both(&cfg(), &format!(r#"{{"full_name":"张三","phone":"1","exp":{}}}"#, NOW + 1)), Ok(()));
    assert_eq!(both(&cfg(), &format!(r#"{{"full_name":"张三","phone":"1","exp":{NOW}}}"#)), Err("identity_expired"));
}

#[test]
fn aud_when_present_must_be_the_site() {
    invalid(&[
        r#"{"full_name":"张三","phone":"1","aud":"site-2"}"#,
        r#"{"full_name":"张三","phone":"1","aud":1}"#,
        r#"{"full_name":"张三","phone":"1","aud":null}"#,
    ]);
    assert_eq!(both(&cfg(), &format!(r#"{{"full_name":"张三","phone":"1","aud":"{SITE}"}}"#)), Ok(()));
}

#[test]
fn an_unclean_value_is_invalid_before_expiry_or_missing_fields_are_decided() {
    // One code for an unclean payload, whatever else is wrong with it.
    invalid(&[
        &format!(r#"{{"full_name":" 张三","phone":"1","exp":{}}}"#, NOW - 10),
        r#"{"full_name":" 张三"}"#,
        r#"{"phone":"1 2"}"#,
    ]);
}

#[test]
fn require_exp_refuses_tokens_without_exp_in_both_formats() {
    let mut cfg = cfg();
    cfg.require_exp = true;
    let no_exp = r#"{"full_name":"张三","phone":"1"}"#;
    assert_eq!(
        verify(&cfg, SITE, Some(&ecb(KEY_128, no_exp)), NOW).map_err(IdentityError::code),
        Err("identity_invalid")
    );
    let with_exp = format!(r#"{{"full_name":"张三","phone":"1","exp":{}}}"#, NOW + 60);
    assert!(matches!(verify(&cfg, SITE, Some(&ecb(KEY_128, &with_exp)), NOW), Ok(Some(_))));
    // v2 requires `exp` with or without the switch.
    let v2_no_exp = v2(KEY_256, 3, &json!({"full_name":"张三","phone":"1","aud":SITE}).to_string());
    for require_exp in [false, true] {
        cfg.require_exp = require_exp;
        assert_eq!(verify(&cfg, SITE, Some(&v2_no_exp), NOW), Err(IdentityError::Invalid));
    }
}

#[test]
fn new_settings_accept_v2_only() {
    let defaults = SiteIdentityConfig::new(vec![key(KEY_256)]);
    assert!(!defaults.accept_ecb && defaults.accept_v2 && !defaults.require_exp);
    let clean = r#"{"full_name":"张三","phone":"15912345678"}"#;
    assert_eq!(verify(&defaults, SITE, Some(&ecb(KEY_256, clean)), NOW), Err(IdentityError::Invalid));
    assert!(matches!(
        verify(&defaults, SITE, Some(&v2(KEY_256, 1, &v2_payload("张三", "15912345678"))), NOW),
        Ok(Some(_))
    ));
}

#[test]
fn no_verification_fields_means_no_identity_at_all() {
    let token = ecb(KEY_128, r#"{"full_name":"张三","phone":"1","":"x"}"#);
    for fields in [vec![], vec![String::new()], vec!["full_name".to_string(), String::new()]] {
        let mut cfg = cfg();
        cfg.verification_fields = fields.clone();
        assert_eq!(verify(&cfg, SITE, Some(&token), NOW), Err(IdentityError::Invalid), "{fields:?}");
    }
}

/// The attack of issue 13: a shopper who picks his own display name collects tokens and splices
/// their blocks into the victim's identity. Without the strict rules these decrypt to an identity
/// whose trimmed / digits-only values are the victim's.
#[test]
fn ecb_block_splices_into_the_victims_identity_are_refused() {
    let cfg = cfg();
    let issue = |name: &str| {
        let token = ecb(KEY_128, &json!({"full_name": name, "phone": "13912345678"}).to_string());
        token.as_bytes().chunks(32).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>()
    };
    let victim = "13800138000";
    let (t1, t2) = (issue("  Mallory"), issue("Mo     "));
    let t3 = issue(&format!("Mo张三{}{victim}{}", " ".repeat(10), " ".repeat(5)));
    let t4 = issue("Mallory King");
    let (t7, t8) = (issue("张三"), issue(&format!("Mo{}------", &victim[1..])));
    let forgeries = [
        (
            [&t1[0], &t3[1], &t2[1], &t3[2], &t4[3]].map(String::as_str).concat(),
            format!("  张三{}", " ".repeat(15)),
            format!("{victim}{}", " ".repeat(5)),
        ),
        ([&t7[0], &t7[1], &t8[1], &t4[3]].map(String::as_str).concat(), "张三".to_string(), format!("{victim}------")),
    ];
    for (token, name, phone) in forgeries {
        // Without the key the attacker made exactly this payload, a well-formed JSON object...
        let mut reader = cfg.clone();
        reader.verification_fields = vec!["member_id".into()];
        assert_eq!(verify(&reader, SITE, Some(&token), NOW), Err(IdentityError::FieldsMissing));
        let expected = json!({"full_name": name, "phone": phone});
        assert_eq!(ecb(KEY_128, &expected.to_string()), token, "the splice is the victim's name and phone, padded");
        // ...and it is refused.
        assert_eq!(verify(&cfg, SITE, Some(&token), NOW), Err(IdentityError::Invalid));
    }
}
