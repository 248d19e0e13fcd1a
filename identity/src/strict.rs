//! The strict payload rules: JSON without duplicate keys, clean names and phones, a sane `exp`.
//!
//! The compat (ECB) format is malleable: whoever can choose part of his own token's plaintext
//! (a display name) can cut and paste whole blocks of several tokens into a new one. Every slack
//! in what a payload may look like (whitespace that is trimmed, non-digits that are dropped from
//! phones, numbers standing in for strings, a later duplicate key overriding an earlier one) gives
//! such a splice room to line up. So a payload is refused unless it is exactly what an honest
//! site owner's server writes, in both formats.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::IdentityError;

/// The first second of the year 3000 (UTC): an `exp` at or after it is not a sane expiry.
pub const MAX_EXP: u64 = 32_503_680_000;

/// Parses a UTF-8 JSON object, refusing duplicate keys at any depth. `None` for anything else.
pub(crate) fn object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Strict>(text) {
        Ok(Strict(Value::Object(map))) => Some(map),
        _ => None,
    }
}

/// A JSON value read without duplicate object keys.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON without duplicate object keys")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let Strict(value) = access.next_value()?;
            if map.contains_key(&key) {
                return Err(de::Error::custom("duplicate key"));
            }
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// The `exp` claim when it is a JSON integer with `0 < exp < MAX_EXP`; `Invalid` for any other
/// value (floats, exponent forms, negatives, strings, null, out of range); `Ok(None)` when absent.
pub(crate) fn exp(payload: &Map<String, Value>) -> Result<Option<u64>, IdentityError> {
    match payload.get("exp") {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(exp) if exp > 0 && exp < MAX_EXP => Ok(Some(exp)),
            _ => Err(IdentityError::Invalid),
        },
        Some(_) => Err(IdentityError::Invalid),
    }
}

/// A phone verification value: ASCII digits only, with an optional leading `+`.
pub(crate) fn clean_phone(value: &str) -> bool {
    let digits = value.strip_prefix('+').unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Any other verification value (a name, a member id): no whitespace at either end and no
/// control (Unicode Cc) or format (Cf) character anywhere. Trimming would change nothing.
pub(crate) fn clean_text(value: &str) -> bool {
    let ends_clean = !value.starts_with(char::is_whitespace) && !value.ends_with(char::is_whitespace);
    ends_clean && !value.chars().any(|c| c.is_control() || is_format(c))
}

/// Unicode general category Cf (format characters: soft hyphen, zero-width and bidi controls,
/// BOM, tags, ...), as of Unicode 16.
fn is_format(c: char) -> bool {
    const CF: [(u32, u32); 21] = [
        (0xAD, 0xAD),
        (0x600, 0x605),
        (0x61C, 0x61C),
        (0x6DD, 0x6DD),
        (0x70F, 0x70F),
        (0x890, 0x891),
        (0x8E2, 0x8E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    let cp = u32::from(c);
    CF.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_parse_and_duplicate_keys_are_refused_at_any_depth() {
        assert_eq!(
            object(r#"{"a":"1","b":[1,{"c":null}]}"#).map(Value::Object),
            Some(json!({"a":"1","b":[1,{"c":null}]}))
        );
        assert_eq!(object(r#"{"a":"1","a":"2"}"#), None);
        assert_eq!(object(r#"{"a":"1","b":{"c":1,"c":1}}"#), None);
        assert_eq!(object(r#"{"a":[{"x":1,"x":2}]}"#), None);
        // Same key written with an escape is still the same key.
        assert_eq!(object(r#"{"phone":"1","ph\u006fne":"2"}"#), None);
    }

    #[test]
    fn only_objects_of_valid_json_parse() {
        for text in ["[]", "\"a\"", "1", "null", "", "{", "{\"a\":1e999}", "{\"a\":\"\\ud800\"}", "\u{feff}{}", "{} {}"]
        {
            assert_eq!(object(text), None, "{text:?}");
        }
        assert_eq!(object(" { } "), Some(Map::new()));
    }

    #[test]
    fn exp_must_be_a_positive_integer_before_the_year_3000() {
        let exp_of = |text: &str| object(text).ok_or(IdentityError::Malformed).and_then(|m| exp(&m));
        assert_eq!(exp_of("{}"), Ok(None));
        assert_eq!(exp_of(r#"{"exp":1700000000}"#), Ok(Some(1_700_000_000)));
        assert_eq!(exp_of(&format!(r#"{{"exp":{}}}"#, MAX_EXP - 1)), Ok(Some(MAX_EXP - 1)));
        for bad in [
            "0",
            "-1",
            "1e308",
            "2e9",
            "1700000000.0",
            "1700000000.5",
            "\"1700000000\"",
            "null",
            "true",
            "[1700000000]",
            "18446744073709551615",
            "18446744073709551616",
        ] {
            assert_eq!(exp_of(&format!(r#"{{"exp":{bad}}}"#)), Err(IdentityError::Invalid), "{bad}");
        }
        assert_eq!(exp_of(&format!(r#"{{"exp":{MAX_EXP}}}"#)), Err(IdentityError::Invalid));
    }

    #[test]
    fn phones_are_digits_with_an_optional_leading_plus() {
        for good in ["15912345678", "+8615912345678", "1"] {
            assert!(clean_phone(good), "{good}");
        }
        for bad in ["", "+", "++1", "1+1", " 1", "1 ", "159 1234", "159-1234", "(0)1", "１２", "1\u{0}", "٣", "phone"]
        {
            assert!(!clean_phone(bad), "{bad:?}");
        }
    }

    #[test]
    fn names_have_no_surrounding_whitespace_and_no_control_or_format_characters() {
        for good in ["张三", "Ada Lovelace", "李四public", "O'Brien", "é", "a b"] {
            assert!(clean_text(good), "{good}");
        }
        for bad in [
            " 张三",
            "张三 ",
            "\u{3000}张三",
            "张三\u{a0}",
            "张\t三",
            "张\u{0}三",
            "张三\u{7}",
            "张\u{7f}三",
            "张\u{85}三",
            "张三\u{200b}",
            "\u{202e}张三",
            "张\u{ad}三",
            "\u{feff}张三",
            "张三\u{e0041}",
            "\n",
        ] {
            assert!(!clean_text(bad), "{bad:?}");
        }
    }
}
