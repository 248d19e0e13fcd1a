//! A verified identity: the decrypted payload and the normalised key that matches visitors.

use serde_json::{Map, Value};

use crate::error::IdentityError;

/// An identity that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The whole decrypted JSON object, as the site owner sent it (shown to agents).
    pub payload: Map<String, Value>,
    /// `(field, normalised value)` for each verification field, in the site's configured order:
    /// the key the edge uses to find the same visitor on any device.
    ///
    /// Normalisation: string values are trimmed of surrounding whitespace; JSON numbers are
    /// written in decimal. For phone-like fields (the name, lowercased, contains `phone` or
    /// `mobile`) only the digits are kept (`0`-`9`, full-width `０`-`９` turned into ASCII), so
    /// `"+44 20 7946-0000"` becomes `"442079460000"`. A value that is empty after this counts
    /// as missing.
    pub match_key: Vec<(String, String)>,
}

impl Verified {
    /// Checks that every verification field is present and non-empty, and builds the match key.
    pub(crate) fn new(payload: Map<String, Value>, fields: &[String]) -> Result<Self, IdentityError> {
        let match_key = fields
            .iter()
            .map(|field| {
                payload
                    .get(field)
                    .and_then(|v| normalise(field, v))
                    .map(|v| (field.clone(), v))
                    .ok_or(IdentityError::FieldsMissing)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Verified { payload, match_key })
    }

    /// The visitor's name for display: `full_name`, else `name`, trimmed, if non-empty.
    pub fn display_name(&self) -> Option<&str> {
        ["full_name", "name"].iter().find_map(|f| {
            let name = self.payload.get(*f)?.as_str()?.trim();
            (!name.is_empty()).then_some(name)
        })
    }
}

/// Whether a field is normalised as a phone number (digits only).
pub fn is_phone_field(field: &str) -> bool {
    let lower = field.to_ascii_lowercase();
    lower.contains("phone") || lower.contains("mobile")
}

/// The normalised value of one verification field, or `None` when it is missing or empty.
fn normalise(field: &str, value: &Value) -> Option<String> {
    let raw = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let out = if is_phone_field(field) { raw.chars().filter_map(ascii_digit).collect() } else { raw };
    (!out.is_empty()).then_some(out)
}

/// ASCII and full-width decimal digits as ASCII; anything else is dropped.
fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn fields() -> Vec<String> {
        vec!["full_name".into(), "phone".into()]
    }

    #[test]
    fn phone_keeps_digits_and_names_are_trimmed() {
        let v = Verified::new(map(json!({"full_name": "  张三 ", "phone": "+86 159-1234 ５６７８"})), &fields());
        assert_eq!(
            v.map(|v| v.match_key),
            Ok(vec![("full_name".into(), "张三".into()), ("phone".into(), "8615912345678".into()),])
        );
    }

    #[test]
    fn numbers_count_and_blank_or_other_types_are_missing() {
        let ok = Verified::new(map(json!({"full_name": "A", "phone": 15912345678u64})), &fields());
        assert_eq!(ok.map(|v| v.match_key[1].1.clone()), Ok("15912345678".into()));
        for payload in [
            json!({"full_name": "A"}),
            json!({"full_name": "   ", "phone": "1"}),
            json!({"full_name": "A", "phone": "n/a"}),
            json!({"full_name": "A", "phone": null}),
            json!({"full_name": ["A"], "phone": "1"}),
        ] {
            assert_eq!(Verified::new(map(payload.clone()), &fields()), Err(IdentityError::FieldsMissing), "{payload}");
        }
    }

    #[test]
    fn display_name_prefers_full_name() {
        let v = Verified::new(map(json!({"name": "n", "full_name": " F "})), &[]);
        assert_eq!(v.as_ref().map(|v| v.display_name()), Ok(Some("F")));
        let v = Verified::new(map(json!({"name": "n", "full_name": " "})), &[]);
        assert_eq!(v.as_ref().map(|v| v.display_name()), Ok(Some("n")));
    }

    #[test]
    fn phone_like_names() {
        assert!(is_phone_field("phone"));
        assert!(is_phone_field("mobilePhone"));
        assert!(is_phone_field("Mobile"));
        assert!(!is_phone_field("full_name"));
    }
}
