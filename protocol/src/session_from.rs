//! A mini-program button's `session-from` (`<button open-type="contact" session-from="…">`), as
//! WeChat hands it back in the `user_enter_tempsession` event's `SessionFrom`: the form third-party
//! customer-service systems use, `source|nickname|avatarUrl|customField` (the last a JSON object
//! such as `{"vipNo":"vip12138"}`), at most [`MAX_SESSION_FROM_BYTES`], plus our entry segment
//! `entry=ID` at the end, so a page's buttons reach a designated agent or group (售前 / 售后 /
//! VIP). It is display data from the mini-program's page, never identity. A malformed or
//! over-long value keeps what can be read and never fails the message.

use std::collections::BTreeMap;

/// Most bytes WeChat carries in `session-from`.
pub const MAX_SESSION_FROM_BYTES: usize = 1000;

/// What a `SessionFrom` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFrom {
    /// Where the user came from (the mini-program's own word).
    pub source: Option<String>,
    /// The user's nickname.
    pub nickname: Option<String>,
    /// The user's avatar URL (http or https only).
    pub avatar_url: Option<String>,
    /// The custom fields (string and number values of the JSON object).
    pub fields: BTreeMap<String, String>,
    /// The entry button (`entry=ID`): a designated agent or group.
    pub entry: Option<String>,
}

impl SessionFrom {
    /// Reads a `SessionFrom`, keeping what can be read: past [`MAX_SESSION_FROM_BYTES`] the rest
    /// is cut (at a character boundary), a custom field that is not a JSON object is left out,
    /// and an avatar that is not a web URL is dropped.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut end = text.len().min(MAX_SESSION_FROM_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut rest = &text[..end];
        let mut out = SessionFrom::default();
        if let Some((head, last)) = rest.rsplit_once('|') {
            if let Some(id) = last.strip_prefix("entry=").filter(|id| crate::checks::is_plain_id(id)) {
                out.entry = Some(id.to_string());
                rest = head;
            }
        }
        let mut parts = rest.splitn(4, '|');
        let text = |part: Option<&str>| part.map(str::trim).filter(|p| !p.is_empty()).map(String::from);
        out.source = text(parts.next());
        if let Some(id) = out.source.as_deref().and_then(|s| s.strip_prefix("entry=")) {
            // A page that put the entry first, with nothing else.
            if out.entry.is_none() && crate::checks::is_plain_id(id) {
                out.entry = Some(id.to_string());
            }
            out.source = None;
        }
        out.nickname = text(parts.next());
        out.avatar_url = text(parts.next()).filter(|url| crate::checks::is_web_url(url));
        out.fields = parts.next().map(custom_fields).unwrap_or_default();
        out
    }

    /// The `session-from` of a button that opens entry `entry` with nothing else said.
    #[must_use]
    pub fn for_entry(source: &str, entry: &str) -> String {
        format!("{source}|||{{}}|entry={entry}")
    }
}

/// The string and number values of a JSON object (anything else is left out).
fn custom_fields(text: &str) -> BTreeMap<String, String> {
    use crate::lite::Json;
    let Some(Json::Obj(members)) = crate::lite::parse(text.trim()) else { return BTreeMap::new() };
    members
        .into_iter()
        .filter_map(|(k, v)| match v {
            Json::Str(s) | Json::Num(s) => Some((k, s)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_third_party_session_from_reads_into_its_parts() {
        let from = SessionFrom::parse(
            r#"xcx|黄景霖|https://thirdwx.qlogo.cn/a/132|{"vipNo":"vip12138","vipName":"黄景霖","level":3}"#,
        );
        assert_eq!(from.source.as_deref(), Some("xcx"));
        assert_eq!(from.nickname.as_deref(), Some("黄景霖"));
        assert_eq!(from.avatar_url.as_deref(), Some("https://thirdwx.qlogo.cn/a/132"));
        assert_eq!(from.fields.get("vipNo").map(String::as_str), Some("vip12138"));
        assert_eq!(from.fields.get("level").map(String::as_str), Some("3"));
        assert_eq!(from.entry, None);
    }

    #[test]
    fn the_entry_button_code_names_its_entry() {
        let code = SessionFrom::for_entry("miniprogram", "after-sale");
        let from = SessionFrom::parse(&code);
        assert_eq!((from.entry.as_deref(), from.source.as_deref()), (Some("after-sale"), Some("miniprogram")));
        assert!(from.fields.is_empty() && from.nickname.is_none());
        let with_fields = SessionFrom::parse(r#"mp|小王||{"vipNo":"v1"}|entry=vip"#);
        assert_eq!(with_fields.entry.as_deref(), Some("vip"));
        assert_eq!(with_fields.fields.get("vipNo").map(String::as_str), Some("v1"));
        assert_eq!(SessionFrom::parse("entry=vip").entry.as_deref(), Some("vip"));
    }

    #[test]
    fn malformed_or_long_values_keep_what_can_be_read() {
        let from = SessionFrom::parse("mp|小王|javascript:alert(1)|not json|entry=no spaces");
        assert_eq!(from.nickname.as_deref(), Some("小王"));
        assert_eq!(from.avatar_url, None, "only web URLs");
        assert!(from.fields.is_empty());
        assert_eq!(from.entry, None, "not a plain id");
        let long = format!("mp|{}|", "长".repeat(400));
        let cut = SessionFrom::parse(&long);
        assert!(cut.nickname.is_some_and(|n| n.len() <= MAX_SESSION_FROM_BYTES));
        assert_eq!(SessionFrom::parse(""), SessionFrom::default());
    }
}
