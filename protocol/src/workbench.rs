//! The workbench's site settings (工作台): session groups (会话分组), named views over the agents'
//! lists defined by conditions, and the sidebar's layout (工作台拓展信息), which fields of the
//! visitor, its CRM contact, its identity, its custom fields and its pre-chat answers agents see,
//! in which order and under which label. [`lay_out`] turns a profile into the rows the sidebar
//! shows; the Desk runs it, so every console shows the same rows.

use serde::{Deserialize, Serialize};

use crate::admin::ConditionSetting;
use crate::console::VisitorProfile;
use crate::Channel;

/// The workbench's settings (`SiteConfig.workbench`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkbenchSettings {
    /// Named views over the agents' lists, in the order the filters show.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub session_groups: Vec<SessionGroupSetting>,
    /// The sidebar's rows, in order; empty: the built-in layout.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sidebar_fields: Vec<SidebarField>,
    /// After this many seconds a waiting visitor's time turns amber in the lists (0: the built-in
    /// [`WAIT_WARN_SECS`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub wait_warn_secs: u32,
    /// After this many seconds it turns red (0: the built-in [`WAIT_ALERT_SECS`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub wait_alert_secs: u32,
}

/// Seconds of waiting after which the lists show a visitor's wait in amber, unless the site says.
pub const WAIT_WARN_SECS: u32 = 60;

/// Seconds of waiting after which the lists show it in red, unless the site says.
pub const WAIT_ALERT_SECS: u32 = 180;

/// Longest wait threshold a site may set: a day.
pub const MAX_WAIT_SECS: u32 = 86_400;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl WorkbenchSettings {
    /// Nothing set: the built-in workbench.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.session_groups.is_empty()
            && self.sidebar_fields.is_empty()
            && self.wait_warn_secs == 0
            && self.wait_alert_secs == 0
    }

    /// The wait thresholds in effect, amber then red (seconds).
    #[must_use]
    pub fn wait_thresholds(&self) -> (u32, u32) {
        let pick = |set: u32, default: u32| if set == 0 { default } else { set };
        (pick(self.wait_warn_secs, WAIT_WARN_SECS), pick(self.wait_alert_secs, WAIT_ALERT_SECS))
    }
}

/// A session group (会话分组): the conversations whose visitor meets every scope below and the
/// conditions (all of them, or one with `match_any`). A conversation may be in several.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionGroupSetting {
    /// A plain id (letters, digits, `-`, `_`).
    pub id: String,
    /// The name on the filter.
    pub name: String,
    /// Channels it takes; empty: all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Web plugins (ids) it takes; empty: all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<String>,
    /// Verified visitors only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub verified_only: bool,
    /// Tests on the visitor (its info, pre-chat answers, page, place), as a rule's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ConditionSetting>,
    /// One passing condition is enough (OR), instead of all of them (AND).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub match_any: bool,
}

/// A session group as the console's filters name it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionGroupInfo {
    /// Its id, as in [`crate::ConversationSummary::session_groups`].
    pub id: String,
    /// Its name.
    pub name: String,
}

/// Where a sidebar row's value comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SidebarSource {
    /// A fact about the visitor the Desk knows: one of [`VISITOR_FIELDS`].
    #[default]
    Visitor,
    /// A field of the verified identity token.
    Identity,
    /// A field the page set with `setCustomField` (display only, never trusted).
    Custom,
    /// A pre-chat answer.
    PreChat,
    /// A fact about the linked CRM contact: one of [`CONTACT_FIELDS`].
    Contact,
}

impl SidebarSource {
    /// Every source, in the order the page offers them.
    pub const ALL: [SidebarSource; 5] = [
        SidebarSource::Visitor,
        SidebarSource::Identity,
        SidebarSource::Custom,
        SidebarSource::PreChat,
        SidebarSource::Contact,
    ];

    /// The wire word (`pre_chat`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SidebarSource::Visitor => "visitor",
            SidebarSource::Identity => "identity",
            SidebarSource::Custom => "custom",
            SidebarSource::PreChat => "pre_chat",
            SidebarSource::Contact => "contact",
        }
    }
}

/// The visitor facts a sidebar row may show.
pub const VISITOR_FIELDS: [&str; 11] =
    ["name", "phone", "verified_by", "channel", "plugin", "entry", "group", "place", "device", "page", "page_title"];

/// The CRM contact facts a sidebar row may show.
pub const CONTACT_FIELDS: [&str; 5] = ["name", "id", "owner", "customer", "customer_owner"];

/// Most rows a sidebar layout may have.
pub const MAX_SIDEBAR_FIELDS: usize = 40;

/// Most session groups a site may define.
pub const MAX_SESSION_GROUPS: usize = 30;

/// One row of the sidebar's layout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SidebarField {
    /// Where the value comes from.
    pub source: SidebarSource,
    /// Which value: a name of [`VISITOR_FIELDS`] or [`CONTACT_FIELDS`], or the field's name.
    pub key: String,
    /// The label agents read.
    pub label: String,
}

/// A row of the laid-out sidebar ([`VisitorProfile::fields`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileRow {
    /// `source.key` (`custom.vipNo`), for tests and styles.
    pub key: String,
    /// The label.
    pub label: String,
    /// The value, as text.
    pub value: String,
}

/// The rows `layout` gives `profile`, in order; a field without a value is left out.
#[must_use]
pub fn lay_out(layout: &[SidebarField], profile: &VisitorProfile) -> Vec<ProfileRow> {
    layout
        .iter()
        .filter_map(|field| {
            let value = value_of(field, profile).filter(|v| !v.trim().is_empty())?;
            Some(ProfileRow {
                key: format!("{}.{}", field.source.as_str(), field.key),
                label: field.label.clone(),
                value,
            })
        })
        .collect()
}

fn value_of(field: &SidebarField, p: &VisitorProfile) -> Option<String> {
    let key = field.key.as_str();
    match field.source {
        SidebarSource::Identity => p.identity.get(key).cloned(),
        SidebarSource::Custom => p.custom_fields.get(key).cloned(),
        SidebarSource::PreChat => p.pre_chat.get(key).cloned(),
        SidebarSource::Contact => {
            let c = p.contact.as_ref()?;
            match key {
                "name" => Some(c.name.clone()),
                "id" => Some(c.id.clone()),
                "owner" => c.owner_agent.clone(),
                "customer" => c.customer_id.clone(),
                "customer_owner" => c.customer_owner.clone(),
                _ => None,
            }
        }
        SidebarSource::Visitor => match key {
            "name" => Some(p.identity.get("full_name").or(p.identity.get("name")).unwrap_or(&p.name).clone()),
            "phone" => p.phone.clone(),
            "verified_by" => Some(p.verified_by.join(" + ")),
            "channel" => Some(p.channel.as_str().to_string()),
            "plugin" => p.plugin.clone(),
            "entry" => p.entry.clone(),
            "group" => p.group.clone(),
            "place" => p.place.clone(),
            "device" => Some(device(&p.user_agent)),
            "page" => p.page_url.clone(),
            "page_title" => p.page_title.clone(),
            _ => None,
        },
    }
}

/// A short device and browser description from a `User-Agent` (`iPhone · Safari`).
#[must_use]
pub fn device(user_agent: &str) -> String {
    let ua = user_agent;
    let os = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map_or("", |(_, v)| *v);
    let browser = [
        ("MicroMessenger", "WeChat"),
        ("Edg/", "Edge"),
        ("HeadlessChrome", "Headless Chrome"),
        ("Chrome/", "Chrome"),
        ("Firefox/", "Firefox"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map_or("", |(_, v)| *v);
    match (os, browser) {
        ("", "") => ua.chars().take(60).collect(),
        (os, "") => os.to_string(),
        ("", b) => b.to_string(),
        (os, b) => format!("{os} · {b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ContactInfo;

    fn field(source: SidebarSource, key: &str, label: &str) -> SidebarField {
        SidebarField { source, key: key.into(), label: label.into() }
    }

    #[test]
    fn the_layout_gives_the_chosen_rows_in_order_and_leaves_out_missing_values() {
        let profile = VisitorProfile {
            name: "访客 42".into(),
            identity: [("full_name".to_string(), "黄景霖".to_string())].into(),
            custom_fields: [("vipNo".to_string(), "vip12138".to_string())].into(),
            pre_chat: [("topic".to_string(), "退货".to_string())].into(),
            contact: Some(ContactInfo { id: "c-1".into(), name: "黄景霖".into(), ..ContactInfo::default() }),
            user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1".into(),
            ..VisitorProfile::default()
        };
        let layout = [
            field(SidebarSource::Custom, "vipNo", "会员号"),
            field(SidebarSource::Visitor, "name", "姓名"),
            field(SidebarSource::Contact, "owner", "负责人"),
            field(SidebarSource::PreChat, "topic", "咨询类型"),
            field(SidebarSource::Visitor, "device", "设备"),
            field(SidebarSource::Contact, "id", "联系人"),
            field(SidebarSource::Identity, "phone", "手机"),
        ];
        let rows: Vec<(String, String, String)> =
            lay_out(&layout, &profile).into_iter().map(|r| (r.key, r.label, r.value)).collect();
        let expected = [
            ("custom.vipNo", "会员号", "vip12138"),
            ("visitor.name", "姓名", "黄景霖"),
            ("pre_chat.topic", "咨询类型", "退货"),
            ("visitor.device", "设备", "iPhone · Safari"),
            ("contact.id", "联系人", "c-1"),
        ]
        .map(|(k, l, v)| (k.to_string(), l.to_string(), v.to_string()));
        assert_eq!(rows, expected, "no owner and no phone: those rows are left out");
    }

    #[test]
    fn a_source_s_word_is_its_serde_word() {
        for source in SidebarSource::ALL {
            let json = serde_json::to_string(&source).expect("serialises");
            assert_eq!(json, format!("\"{}\"", source.as_str()));
        }
    }

    #[test]
    fn a_device_is_named_by_system_and_browser() {
        assert_eq!(device("Mozilla/5.0 (Windows NT 10.0) Chrome/120 Safari/537"), "Windows · Chrome");
        assert_eq!(device("Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0"), "Android · WeChat");
        assert_eq!(device("curl/8"), "curl/8");
    }
}
