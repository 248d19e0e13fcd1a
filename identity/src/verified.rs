//! A verified identity: the decrypted payload and the exact key that matches visitors.

use serde_json::{Map, Value};

use crate::error::IdentityError;
use crate::strict;

/// An identity that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The whole decrypted JSON object, as the site owner sent it (shown to agents).
    pub payload: Map<String, Value>,
    /// `(field, value)` for each verification field, in the site's configured order: the key the
    /// edge uses to find the same visitor on any device. Never empty.
    ///
    /// The values are exactly as sent: a payload is only accepted when nothing would need
    /// normalising (see [`crate::verify`]): every value is a non-empty JSON string; phone-like
    /// fields (the name, lowercased, contains `phone` or `mobile`) are ASCII digits with an
    /// optional leading `+` (`"+8615912345678"`, not `"+86 159-1234-5678"`); other fields have no
    /// whitespace at either end and no control or format character.
    pub match_key: Vec<(String, String)>,
}

/// The verification values of a payload, checked: `Err(Invalid)` when a value is there but not
/// strictly clean; otherwise each field with its value, `None` where it is absent, `null` or `""`.
pub(crate) type Checked = Vec<(String, Option<String>)>;

/// Checks every verification field of a payload against the strict rules, before any other
/// outcome is decided, so that an unclean payload is `identity_invalid` whatever else is wrong.
pub(crate) fn check_fields(payload: &Map<String, Value>, fields: &[String]) -> Result<Checked, IdentityError> {
    // No field, or a nameless one, would give a key every visitor shares: never match on it.
    if fields.is_empty() || fields.iter().any(String::is_empty) {
        return Err(IdentityError::Invalid);
    }
    fields
        .iter()
        .map(|field| {
            let value = match payload.get(field) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.is_empty() => None,
                Some(Value::String(s)) => {
                    let clean = if is_phone_field(field) { strict::clean_phone(s) } else { strict::clean_text(s) };
                    if !clean {
                        return Err(IdentityError::Invalid);
                    }
                    Some(s.clone())
                }
                // Numbers, booleans, arrays and objects are not verification values.
                Some(_) => return Err(IdentityError::Invalid),
            };
            Ok((field.clone(), value))
        })
        .collect()
}

impl Verified {
    /// Builds the verified identity from checked fields: any field without a value is
    /// `identity_fields_missing`.
    pub(crate) fn new(payload: Map<String, Value>, checked: Checked) -> Result<Self, IdentityError> {
        let match_key = checked
            .into_iter()
            .map(|(field, value)| value.map(|v| (field, v)).ok_or(IdentityError::FieldsMissing))
            .collect::<Result<Vec<_>, _>>()?;
        if match_key.is_empty() {
            return Err(IdentityError::Invalid);
        }
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

/// Whether a field is checked as a phone number (digits with an optional leading `+`).
pub fn is_phone_field(field: &str) -> bool {
    let lower = field.to_ascii_lowercase();
    lower.contains("phone") || lower.contains("mobile")
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

    fn verified(payload: Value, fields: &[String]) -> Result<Verified, IdentityError> {
        let payload = map(payload);
        let checked = check_fields(&payload, fields)?;
        Verified::new(payload, checked)
    }

    #[test]
    fn clean_values_are_the_match_key_unchanged() {
        let v = verified(json!({"full_name": "张三", "phone": "+8615912345678", "vipNo": " x "}), &fields());
        assert_eq!(
            v.map(|v| v.match_key),
            Ok(vec![("full_name".into(), "张三".into()), ("phone".into(), "+8615912345678".into())])
        );
    }

    #[test]
    fn values_that_normalisation_would_change_are_invalid() {
        for payload in [
            json!({"full_name": "  张三 ", "phone": "15912345678"}),
            json!({"full_name": "张三", "phone": "+86 159-1234 ５６７８"}),
            json!({"full_name": "张三", "phone": "159 1234 5678"}),
            json!({"full_name": "张三", "phone": " 15912345678"}),
            json!({"full_name": "张三", "phone": "n/a"}),
            json!({"full_name": "   ", "phone": "1"}),
            json!({"full_name": "张\u{0}三", "phone": "1"}),
            json!({"full_name": "张三\u{200b}", "phone": "1"}),
        ] {
            assert_eq!(verified(payload.clone(), &fields()), Err(IdentityError::Invalid), "{payload}");
        }
    }

    #[test]
    fn non_string_values_are_invalid() {
        for payload in [
            json!({"full_name": "A", "phone": 15912345678u64}),
            json!({"full_name": 1, "phone": 2}),
            json!({"full_name": ["A"], "phone": "1"}),
            json!({"full_name": {"A": 1}, "phone": "1"}),
            json!({"full_name": "A", "phone": true}),
            json!({"full_name": "A", "phone": 1.5}),
        ] {
            assert_eq!(verified(payload.clone(), &fields()), Err(IdentityError::Invalid), "{payload}");
        }
    }

    #[test]
    fn absent_null_or_empty_values_are_missing() {
        for payload in [
            json!({"full_name": "A"}),
            json!({"full_name": "", "phone": "1"}),
            json!({"full_name": "A", "phone": null}),
            json!({}),
        ] {
            assert_eq!(verified(payload.clone(), &fields()), Err(IdentityError::FieldsMissing), "{payload}");
        }
        // An unclean value wins over a missing one: the answer does not depend on the order.
        assert_eq!(verified(json!({"full_name": 1}), &fields()), Err(IdentityError::Invalid));
    }

    #[test]
    fn an_empty_match_key_is_never_built() {
        let payload = json!({"full_name": "A", "phone": "1", "": "x"});
        assert_eq!(verified(payload.clone(), &[]), Err(IdentityError::Invalid));
        assert_eq!(verified(payload.clone(), &["".into()]), Err(IdentityError::Invalid));
        assert_eq!(verified(payload, &["full_name".into(), "".into()]), Err(IdentityError::Invalid));
        assert_eq!(Verified::new(Map::new(), Vec::new()), Err(IdentityError::Invalid));
    }

    #[test]
    fn display_name_prefers_full_name() {
        let v = verified(json!({"name": "n", "full_name": " F "}), &["name".into()]);
        assert_eq!(v.as_ref().map(|v| v.display_name()), Ok(Some("F")));
        let v = verified(json!({"name": "n", "full_name": " "}), &["name".into()]);
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
