//! The visitor's stored profile (`visitors.profile`, JSON text): what the widget said about the
//! visitor with its last session (page, channel, language, custom fields, pre-chat answers, the
//! picked group) and, for a verified visitor, its identity fields. Display and routing data only:
//! nothing here is identity (that is `visitors.match_key`). One struct, written by the session
//! (`sessions.rs`) and read by routing (`core.rs`) and the console (`console.rs`).

use std::collections::BTreeMap;

use protocol::{ApiError, Channel};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A visitor's profile as stored. Every field has a default, so rows written by older versions
/// (or a row that does not parse) read as far as they can.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredProfile {
    /// The verified identity's payload (verified visitors only); values are shown as text.
    pub identity: Option<Map<String, Value>>,
    /// The page's `setCustomField`s, shown to agents, never trusted.
    pub custom_fields: BTreeMap<String, String>,
    /// The page the visitor is on.
    pub page_url: Option<String>,
    /// That page's title.
    pub page_title: Option<String>,
    /// The page that sent the visitor to the site (the visit's first page's `document.referrer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The visit's first page on the site (its `utm_*` parameters name the campaign).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landing_url: Option<String>,
    /// The origin the widget was embedded on (the page's own claim).
    pub host_origin: Option<String>,
    /// The channel the visitor came through.
    pub channel: Channel,
    /// The browser's `User-Agent`.
    pub user_agent: String,
    /// Pre-chat answers (kept from earlier sessions when a later one has none).
    pub pre_chat: BTreeMap<String, String>,
    /// The group the visitor picked.
    pub group: Option<String>,
    /// Why the last identity token was refused (a guest's; agents see it in the sidebar).
    pub identity_refused: Option<ApiError>,
    /// The widget's language: prompts and the leave-message form follow it.
    pub locale: Option<String>,
    /// The web plugin (its id) the visitor came through.
    pub plugin: Option<String>,
    /// Where the visitor's connection came from (`country`, `region`, `city`), as the edge saw it.
    pub place: BTreeMap<String, String>,
    /// The visitor's picture (a mini-program user's avatar, from `session-from`), http(s) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

impl StoredProfile {
    /// The place as agents read it: `US · Texas · Austin` (absent parts left out).
    pub fn place_text(&self) -> Option<String> {
        let parts: Vec<&str> =
            protocol::PLACE_FIELDS.iter().filter_map(|k| self.place.get(*k).map(String::as_str)).collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

impl StoredProfile {
    /// Reads a stored profile; an unreadable one is empty rather than an error (it is display
    /// data, and a row that no longer parses must not stop a conversation).
    pub fn read(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// The JSON text to store.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The visitor-info fields routing rules test: the page's custom fields, with the verified
    /// identity's fields over them, so a page (or a visitor calling `setCustomField`) can never
    /// stand in for a field the identity token vouches for.
    pub fn routing_info(&self) -> BTreeMap<String, String> {
        let mut info = self.custom_fields.clone();
        info.extend(self.identity_strings());
        info
    }

    /// What routing and session groups test about a conversation of this visitor: its info
    /// ([`Self::routing_info`]), pre-chat answers, page, place, picked group, channel and plugin.
    /// The entry and the CRM owners are the conversation's, for the caller to add.
    pub fn facts(self, conversation_id: &str) -> routing::NewConversation {
        let mut open = routing::NewConversation::new(conversation_id);
        open.info = self.routing_info();
        open.channel = super::routing_config::channel(self.channel);
        open.pre_chat = self.pre_chat;
        open.page_url = self.page_url;
        open.place = self.place;
        open.chosen_group = self.group.map(Into::into);
        open.plugin = self.plugin;
        open
    }

    /// The identity fields as text (strings, and numbers written out).
    pub fn identity_strings(&self) -> BTreeMap<String, String> {
        self.identity
            .iter()
            .flatten()
            .filter_map(|(k, v)| {
                let text = v.as_str().map(str::to_string).or_else(|| v.as_number().map(|n| n.to_string()))?;
                Some((k.clone(), text))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_comes_back_as_it_was_stored_and_old_rows_read_as_far_as_they_can() {
        let mut identity = Map::new();
        identity.insert("full_name".into(), Value::String("张三".into()));
        identity.insert("member_no".into(), Value::from(1024));
        let profile = StoredProfile {
            identity: Some(identity),
            custom_fields: [("vipNo".to_string(), "vip12138".to_string())].into(),
            page_url: Some("https://shop.example/p/1".into()),
            channel: Channel::MobileWeb,
            pre_chat: [("phone".to_string(), "13800138000".to_string())].into(),
            group: Some("after-sale".into()),
            locale: Some("en".into()),
            ..StoredProfile::default()
        };
        assert_eq!(StoredProfile::read(&profile.to_text()), profile);
        assert_eq!(profile.identity_strings().get("member_no").map(String::as_str), Some("1024"));
        // A row of an older version: missing fields default, unknown ones are ignored.
        let old = StoredProfile::read(r#"{"channel":"web","page_url":"https://a.example/","legacy":1}"#);
        assert_eq!(
            (old.channel, old.page_url.as_deref(), old.locale),
            (Channel::Web, Some("https://a.example/"), None)
        );
        assert_eq!(StoredProfile::read("not json"), StoredProfile::default());
    }

    #[test]
    fn a_custom_field_never_stands_in_for_a_verified_identity_field_in_routing() {
        // The attack: a verified silver member's page calls setCustomField({tier: 'gold'}) to
        // reach the gold members' group, whose rule tests `tier`.
        let mut identity = Map::new();
        identity.insert("tier".into(), Value::String("silver".into()));
        let profile = StoredProfile {
            identity: Some(identity),
            custom_fields: [("tier", "gold"), ("vipNo", "vip12138")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            ..StoredProfile::default()
        };
        let info = profile.routing_info();
        assert_eq!(info.get("tier").map(String::as_str), Some("silver"), "the token's value wins");
        assert_eq!(info.get("vipNo").map(String::as_str), Some("vip12138"), "other custom fields still route");
    }
}
