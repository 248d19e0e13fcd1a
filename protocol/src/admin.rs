//! Admin API bodies: the site configuration a site owner writes with the admin token.

use serde::{Deserialize, Serialize};

use crate::{AgentRole, Channel};

/// Body of `PUT /api/v1/sites/{site}/config` (admin token required).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteConfig {
    /// Display name of the site.
    pub name: String,
    /// Greeting shown at the top of an empty conversation.
    pub greeting: String,
    /// Agent groups (e.g. 售前, 售后).
    pub groups: Vec<GroupConfig>,
    /// Agents of the site.
    pub agents: Vec<AgentConfig>,
    /// Origins of the host pages allowed to embed the widget (e.g. `https://shop.example`): the
    /// widget page's `frame-ancestors` and the Desk's origin check. Empty allows any page, which
    /// a site with identity keys may not do.
    pub allowed_origins: Vec<String>,
    /// Origins besides `allowed_origins` whose images a visitor's card may show (an image CDN such
    /// as `https://img.shop-cdn.example`). A card image anywhere else is dropped from the card
    /// when it is sent, so no visitor can make agents' browsers fetch a URL of his choosing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub card_image_origins: Vec<String>,
    /// How visitors prove who they are.
    pub identity: IdentitySettings,
    /// Abuse limits.
    pub rate_limits: RateLimitSettings,
    /// How long visitor and agent sessions last.
    pub sessions: SessionSettings,
    /// Size caps of images and files visitors and agents upload.
    pub uploads: UploadSettings,
    /// Routing rules, entries, hours and prompts.
    pub routing: RoutingSettings,
    /// Questions the widget asks before the first message; rules may route on the answers.
    pub pre_chat: Vec<PreChatField>,
    /// Quick-send card buttons of the widget (verified visitors only).
    pub card_buttons: Vec<CardButton>,
    /// The bot that answers first (bot-first sites).
    pub bot: BotSetting,
    /// The site's web plugins (one per website: 每家企业支持同时接入多个网页), named by the
    /// snippet's `data-plugin`; the first is the default, for snippets without it. Empty: one
    /// plain plugin with the site's own settings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginConfig>,
    /// The site's WeChat mini-programs, whose customer-service messages reach its agents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mini_programs: Vec<crate::mini_program::MiniProgramConfig>,
    /// The replies WeChat allows mini-programs after each user action.
    #[serde(skip_serializing_if = "crate::mini_program::ReplyQuotaSettings::is_default")]
    pub reply_quotas: crate::mini_program::ReplyQuotaSettings,
    /// The workbench: session groups (filters over the agents' lists) and the sidebar's layout.
    #[serde(skip_serializing_if = "crate::workbench::WorkbenchSettings::is_empty")]
    pub workbench: crate::workbench::WorkbenchSettings,
}

impl SiteConfig {
    /// The web plugin a snippet names (`data-plugin`), else the default one (the first); `None`
    /// for a site without plugins. An unknown id gets the default, so a mistyped snippet still
    /// chats.
    pub fn plugin(&self, id: Option<&str>) -> Option<&PluginConfig> {
        id.and_then(|id| self.plugins.iter().find(|p| p.id == id)).or_else(|| self.plugins.first())
    }

    /// The pages that may embed `plugin` (the site's allowed origins and the plugin's own), or
    /// with `None` any plugin of the site. Empty: any page may.
    pub fn origins_for<'a>(&'a self, plugin: Option<&'a PluginConfig>) -> Vec<&'a str> {
        let extra: Vec<&PluginConfig> = match plugin {
            Some(p) => vec![p],
            None => self.plugins.iter().collect(),
        };
        let mut origins: Vec<&str> = self.allowed_origins.iter().map(|o| o.trim_end_matches('/')).collect();
        for origin in extra.iter().flat_map(|p| &p.allowed_origins) {
            let origin = origin.trim_end_matches('/');
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        origins
    }
}

/// One web plugin: a website's own look, greeting and allowed pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PluginConfig {
    /// Plugin id (`data-plugin`): 1-64 of a-z, 0-9, `-` and `_`.
    pub id: String,
    /// Name shown to agents (the list and the sidebar say which plugin a chat came from).
    pub name: String,
    /// Pages that may embed this plugin, besides the site's `allowed_origins`.
    pub allowed_origins: Vec<String>,
    /// The launcher's and window's look (the page's `data-theme` and `setTheme` still win).
    pub theme: ThemeSetting,
    /// Greeting of this plugin (absent: the site's).
    pub greeting: Option<String>,
    /// Only verified visitors may chat through this plugin (a members' area), whatever the
    /// site's own `identity.require_identity` says.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_identity: bool,
}

/// Theme tokens a plugin sets, the same ones as the snippet's `data-theme`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThemeSetting {
    /// Main colour, `#rgb` or `#rrggbb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// `left` or `right`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// `circle`, `rounded` or `bar`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    /// `chat`, `headset`, `message`, `help`, or an https image URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// The bar's text (在线咨询).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The window's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Distance from the side, px.
    #[serde(rename = "offsetX", skip_serializing_if = "Option::is_none")]
    pub offset_x: Option<u32>,
    /// Distance from the bottom, px.
    #[serde(rename = "offsetY", skip_serializing_if = "Option::is_none")]
    pub offset_y: Option<u32>,
    /// Light, dark, or the visitor's system setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<crate::ColorScheme>,
}

/// A plugin's theme as the widget reads `data-theme`: the same tokens, with the colour scheme as
/// `dark` (`true`, `false` or `"auto"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThemeTokens {
    /// Every token but the scheme, as set.
    #[serde(flatten)]
    pub theme: ThemeSetting,
    /// The scheme as the widget's `dark` token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dark: Option<DarkToken>,
}

/// The widget's `dark` token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DarkToken {
    /// Light (`false`) or dark (`true`).
    Fixed(bool),
    /// `"auto"`: the visitor's system setting.
    Auto(&'static str),
}

impl From<&ThemeSetting> for ThemeTokens {
    fn from(theme: &ThemeSetting) -> Self {
        let dark = theme.scheme.map(|scheme| match scheme {
            crate::ColorScheme::Light => DarkToken::Fixed(false),
            crate::ColorScheme::Dark => DarkToken::Fixed(true),
            crate::ColorScheme::Auto => DarkToken::Auto("auto"),
        });
        Self { theme: ThemeSetting { scheme: None, ..theme.clone() }, dark }
    }
}

impl ThemeTokens {
    /// Whether no token is set.
    pub fn is_empty(&self) -> bool {
        self.dark.is_none() && self.theme == ThemeSetting::default()
    }
}

/// The bot that answers new conversations first, when enabled; agents read its list and pick
/// conversations up by hand, and a transfer keyword sends a conversation to routing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BotSetting {
    /// New conversations go to the bot list first.
    pub enabled: bool,
    /// Sent when a conversation enters the bot list.
    pub greeting: Option<String>,
    /// Words that send the conversation to a human; empty: 人工, 客服, rg, kf, 退货, 发票, 退款, 快递.
    pub transfer_keywords: Vec<String>,
    /// Keyword auto-replies; the first whose keyword the message contains answers.
    pub auto_replies: Vec<AutoReplySetting>,
    /// Sent when no keyword matches.
    pub fallback_reply: Option<String>,
}

/// A keyword auto-reply of the bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AutoReplySetting {
    /// The keyword (case-insensitive, found inside longer text).
    pub keyword: String,
    /// The reply.
    pub reply: String,
}

/// One question of the pre-chat form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreChatField {
    /// Field name (the key routing rules test with `pre_chat_field`).
    pub name: String,
    /// Label shown to the visitor.
    pub label: String,
    /// Input kind.
    pub kind: PreChatKind,
    /// Whether it must be answered.
    pub required: bool,
    /// Choices of a `select` field.
    pub options: Vec<String>,
}

/// What a pre-chat field accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreChatKind {
    /// Free text.
    #[default]
    Text,
    /// A phone number (digits, spaces, `+`, `-`; 5 to 20 digits).
    Phone,
    /// An e-mail address.
    Email,
    /// One of `options`.
    Select,
}

/// A quick-send button in the widget's composer: opens a picker over the cards the page set with
/// `setCards(list, cards)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CardButton {
    /// The card list it opens (`orders`).
    pub list: String,
    /// Button label (我的订单).
    pub name: String,
    /// Built-in icon name (`order`, `product`, `coupon`).
    pub icon: String,
}

/// Per-site upload caps; whether an upload is an image or a file is decided by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadSettings {
    /// Largest image (PNG, JPEG, GIF, WebP) in bytes; default 10 MiB.
    pub max_image_bytes: u64,
    /// Largest other file (PDF, Office documents, ZIP, plain text) in bytes; default 20 MiB.
    pub max_file_bytes: u64,
    /// Lifetime of the signed download links handed to participants, in seconds (1 to 86,400;
    /// default 900).
    pub link_ttl_secs: u64,
    /// Most uploads one conversation may hold (visitor's and agents' together); default 200.
    pub max_per_conversation: u32,
    /// Most bytes one conversation's uploads may hold; default 200 MiB. Checked before each
    /// upload, so the last one may pass it by at most one file's cap.
    pub max_bytes_per_conversation: u64,
    /// Seconds after which an upload that no message names is deleted (its bytes too); default
    /// one day.
    pub unused_ttl_secs: u64,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            max_image_bytes: 10 * 1024 * 1024,
            max_file_bytes: 20 * 1024 * 1024,
            link_ttl_secs: 15 * 60,
            max_per_conversation: 200,
            max_bytes_per_conversation: 200 * 1024 * 1024,
            unused_ttl_secs: 24 * 3600,
        }
    }
}

/// Per-site abuse limits (token buckets: a burst, refilled over a minute for sessions and over
/// six seconds for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    /// New sessions one IP may open at once (offices and carriers share IPs); refilled per minute.
    pub sessions_per_ip: u32,
    /// Agent login attempts one IP may make at once; refilled per minute.
    pub logins_per_ip: u32,
    /// Messages one visitor may send at once; refilled every six seconds.
    pub messages_per_visitor: u32,
    /// Other frames one visitor may send at once (typing, read receipts, left messages, ratings,
    /// history pages); refilled per minute. Past it a frame is answered `rate_limited`.
    pub frames_per_visitor: u32,
    /// Uploads one visitor may start at once; refilled per minute.
    pub uploads_per_visitor: u32,
    /// WebSockets open at once from one IP (an IPv6 /64 counts as one), signed in or not; more
    /// are refused with `too_many_sockets` (HTTP 429).
    pub sockets_per_ip: u32,
    /// WebSockets one visitor may have open at once (tabs, devices); more are closed with
    /// [`crate::CLOSE_TOO_MANY_SOCKETS`].
    pub sockets_per_visitor: u32,
    /// Seconds an agent account is locked after its fifth failed login in a row, whatever the IP;
    /// each further failure doubles the lock, up to an hour. A successful login clears the count.
    pub login_lock_secs: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            sessions_per_ip: 60,
            logins_per_ip: 10,
            messages_per_visitor: 30,
            frames_per_visitor: 120,
            uploads_per_visitor: 20,
            sockets_per_ip: 200,
            sockets_per_visitor: 16,
            login_lock_secs: 60,
        }
    }
}

/// How long sessions last. A visitor's session slides: every use moves its end (the stored use is
/// refreshed at most every hour, or every twelfth of the lifetime when that is shorter). An agent's
/// session ends after this long without a login, a socket sign-in or a frame from its console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSettings {
    /// Seconds a visitor session lives after its last use (default 30 days).
    pub visitor_ttl_secs: u64,
    /// Seconds of inactivity after which an agent session ends (default 12 hours).
    pub agent_idle_secs: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self { visitor_ttl_secs: 30 * 24 * 3600, agent_idle_secs: 12 * 3600 }
    }
}

impl SessionSettings {
    /// Longest lifetime either setting may have (400 days).
    pub const MAX_SECS: u64 = 400 * 24 * 3600;

    /// How often the stored last use of a session with this lifetime is refreshed, in
    /// milliseconds: a twelfth of the lifetime, at most an hour (writes stay off the message path,
    /// and a session ends at most that much earlier than its lifetime says).
    pub fn touch_every_ms(lifetime_secs: u64) -> u64 {
        (lifetime_secs.saturating_mul(1000) / 12).clamp(1, 3_600_000)
    }
}

/// Identity (`customParams`) settings of a site.
///
/// New sites accept `v2` tokens only: the compat ECB format is malleable (its blocks can be cut
/// and pasted between tokens), so `accept_ecb` is off unless the config turns it on. Whatever the
/// format, payloads are strict (see the `identity` crate and the site-owner guide).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    /// Site keys, base64 (16, 24 or 32 bytes): the current key first, and during a rotation
    /// the key being replaced second.
    pub keys: Vec<String>,
    /// During a rotation, until when (unix ms) the second key still opens tokens; absent: until
    /// it is removed. Needs two keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_ends_ms: Option<u64>,
    /// Payload fields that identify a person (default `full_name` + `phone`): at least one, no
    /// empty name, no name twice (`protocol::checks::check_verification_fields`).
    pub verification_fields: Vec<String>,
    /// Refuse visitors without an identity token.
    pub require_identity: bool,
    /// Accept the compat AES/ECB hex format (default off; turn it on only for servers that
    /// cannot send `v2` yet).
    pub accept_ecb: bool,
    /// Accept the `v2.` AES-256-GCM format.
    pub accept_v2: bool,
    /// Require `exp` in every token, ECB too (`v2` always requires it); default off.
    pub require_exp: bool,
    /// Link verified visitors to the CRM contact with the same phone (or name + phone).
    pub auto_link: bool,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            rotation_ends_ms: None,
            verification_fields: vec!["full_name".into(), "phone".into()],
            require_identity: false,
            accept_ecb: false,
            accept_v2: true,
            require_exp: false,
            auto_link: false,
        }
    }
}

impl IdentitySettings {
    /// The keys that open tokens at `now_ms`: all of them, except the replaced key of a rotation
    /// once its time is over.
    pub fn live_keys(&self, now_ms: u64) -> impl Iterator<Item = &str> {
        let ended = self.rotation_ends_ms.is_some_and(|until| until <= now_ms);
        self.keys.iter().enumerate().filter(move |(i, _)| !(ended && *i > 0)).map(|(_, k)| k.trim())
    }
}

/// Body of `PUT /api/v1/sites/{site}/contacts` (admin token): CRM contacts to add or update.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactImport {
    /// The contacts; an existing id is updated.
    pub contacts: Vec<Contact>,
}

/// A CRM contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// Contact id in the site owner's CRM.
    pub id: String,
    /// Name.
    pub name: String,
    /// Phone (any formatting; matched on digits).
    pub phone: String,
    /// Agent who owns the contact.
    pub owner_agent: Option<String>,
    /// Customer (company/account) id the contact belongs to.
    pub customer_id: Option<String>,
    /// Agent who owns the customer.
    pub customer_owner: Option<String>,
}

/// One group of agents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupConfig {
    /// Group id (stable, used by entries and rules).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Agent ids in this group.
    pub agents: Vec<String>,
    /// How the group picks among its available members.
    pub strategy: StrategySetting,
    /// What an owner strategy falls back to when the owner cannot take the conversation.
    pub fallback_strategy: StrategySetting,
    /// Connect at once (`auto`) or offer to a pending list agents accept from (`pending`).
    pub accept: AcceptSetting,
    /// The group's own weekly service hours (a night shift); absent: the site's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_hours: Option<ServiceHoursSetting>,
}

/// A group's assignment strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategySetting {
    /// Fewest live sessions.
    #[default]
    Load,
    /// Next member after the last assigned.
    RoundRobin,
    /// Fewest conversations accepted today.
    IdleRate,
    /// The owner of the visitor's CRM customer.
    CustomerOwner,
    /// The owner of the visitor's CRM contact.
    ContactOwner,
}

/// How an assignment reaches the agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcceptSetting {
    /// Connected at once.
    #[default]
    Auto,
    /// Offered; an agent accepts it from the pending list.
    Pending,
}

/// How conversations find their group and agent (see the routing rules in DESIGN.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoutingSettings {
    /// Group for conversations no rule or entry places (default: the first group).
    pub fallback_group: Option<String>,
    /// Groups the visitor picks from before the chat starts; empty: ordered rules decide.
    pub visitor_picks_group: Vec<String>,
    /// Ordered rules; the first match decides the group.
    pub rules: Vec<RuleSetting>,
    /// Multi-entry buttons: entry id to a designated agent or group.
    pub entries: Vec<EntrySetting>,
    /// Weekly service hours; absent: always open.
    pub service_hours: Option<ServiceHoursSetting>,
    /// Prompt texts; absent ones keep the built-in defaults.
    pub prompts: PromptSettings,
    /// Minutes of silence after which a conversation must be re-accepted (default 30).
    pub idle_minutes: Option<u64>,
    /// The leave-message form's fields, in order; empty: name, phone (required) and message
    /// (required).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leave_message_fields: Vec<LeaveFieldSetting>,
}

/// One field of the leave-message form (留言模板).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeaveFieldSetting {
    /// Field name (`name`, `phone`, `email`, `message` get the widget's own labels).
    pub name: String,
    /// Label shown to the visitor (absent: the widget's label for the name, else the name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Whether it must be filled (the routing core refuses a form without it).
    pub required: bool,
}

/// One routing rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleSetting {
    /// Name shown to the site owner.
    pub name: String,
    /// Channels it applies to; empty: all.
    pub channels: Vec<Channel>,
    /// Visitor-info field to test; absent (and no pre-chat field): all visitors.
    pub visitor_field: Option<String>,
    /// Pre-chat form field to test (instead of a visitor-info field).
    pub pre_chat_field: Option<String>,
    /// The field must equal this (absent, and no other test: the field must be present).
    pub equals: Option<String>,
    /// The field must contain this text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// The field must be one of these values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<String>,
    /// Web plugins it applies to (ids); empty: all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<String>,
    /// More tests beside the field test above: all must pass, or with `match_any` one is enough.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ConditionSetting>,
    /// One passing test is enough (OR), instead of all of them (AND).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub match_any: bool,
    /// Target group.
    pub group: String,
    /// Welcome text sent when connected.
    pub welcome: Option<String>,
    /// Promo text sent when connected.
    pub promo: Option<String>,
    /// Verified visitors only: a guest never matches this rule.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub verified_only: bool,
    /// An agent takes this rule's conversations only while holding fewer live ones than this
    /// (and than its own max); absent: its own max.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_sessions: Option<u32>,
}

/// One test of a rule ([`RuleSetting::conditions`]): what it looks at and how it compares (one of
/// `equals`, `contains`, `one_of`; none of them: the value must be present).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConditionSetting {
    /// What the test looks at.
    pub on: ConditionOn,
    /// The field: a visitor-info or pre-chat field's name; for `place` one of
    /// [`PLACE_FIELDS`]; none for `page_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The value must equal this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// The value must contain this text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// The value must be one of these.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<String>,
}

/// What a rule's test looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionOn {
    /// Visitor info: identity fields and the page's custom fields.
    #[default]
    Visitor,
    /// A pre-chat form answer.
    PreChat,
    /// The URL of the page the visitor is on.
    PageUrl,
    /// Where the connection came from, as the edge saw it (`country`, `region`, `city`).
    Place,
}

/// The fields of a `place` test: the ISO country code, the region and the city of the visitor's
/// connection.
pub const PLACE_FIELDS: [&str; 3] = ["country", "region", "city"];

/// An entry button target: exactly one of `agent` and `group`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntrySetting {
    /// Entry id (`data-entry`, `openEntry`).
    pub id: String,
    /// Designated agent.
    pub agent: Option<String>,
    /// Designated group.
    pub group: Option<String>,
}

/// Weekly service hours in the site's time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceHoursSetting {
    /// Site time zone as minutes east of UTC (China: 480).
    pub utc_offset_minutes: i32,
    /// Monday first: each day's spans as `HH:MM-HH:MM` (end up to `24:00`); empty day: closed.
    pub weekly: Vec<Vec<String>>,
}

/// Prompt texts (absent: defaults). The texts at the top are the site's own language (Chinese
/// by default); `locales` gives them for visitors whose widget speaks another language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PromptSettings {
    /// The site's own texts (in JSON at the top level, beside `locales`).
    #[serde(flatten)]
    pub texts: PromptTexts,
    /// The same texts per widget language (`en`, `en-US`: the longest match wins); a text absent
    /// there is that language's built-in default (English has one for each prompt).
    pub locales: std::collections::BTreeMap<String, PromptTexts>,
    /// Prompts switched off (busy, offline, off hours): not sent at all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub off: Vec<crate::Prompt>,
}

/// One of the site's prompt texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptSlot {
    /// Sent when a conversation is connected.
    Welcome,
    /// All agents busy: queued.
    Busy,
    /// All agents offline.
    Offline,
    /// Outside service hours.
    OffHours,
    /// Designated agent unavailable: moved to the group.
    Failover,
    /// The text above the leave-message form.
    LeaveMessage,
}

impl PromptSettings {
    /// The text for a visitor whose widget speaks `locale` (`en`, `en-US`, `zh-CN`): the site's
    /// text for that language (the longest matching key of `locales`), else English's built-in
    /// default for English visitors. `None`: the site's own text applies.
    pub fn localized(&self, locale: &str, slot: PromptSlot) -> Option<&str> {
        let locale = locale.to_ascii_lowercase();
        let matches = |key: &str| {
            let key = key.to_ascii_lowercase();
            locale == key || locale.strip_prefix(key.as_str()).is_some_and(|rest| rest.starts_with('-'))
        };
        let site_text = self
            .locales
            .iter()
            .filter(|(key, _)| matches(key))
            .max_by_key(|(key, _)| key.len())
            .and_then(|(_, texts)| texts.get(slot));
        let english = locale == "en" || locale.starts_with("en-");
        site_text.or_else(|| english.then(|| english_default(slot)).flatten())
    }
}

impl PromptTexts {
    /// One text, if set.
    pub fn get(&self, slot: PromptSlot) -> Option<&str> {
        match slot {
            PromptSlot::Welcome => &self.welcome,
            PromptSlot::Busy => &self.busy,
            PromptSlot::Offline => &self.offline,
            PromptSlot::OffHours => &self.off_hours,
            PromptSlot::Failover => &self.failover,
            PromptSlot::LeaveMessage => &self.leave_message,
        }
        .as_deref()
    }
}

/// English's built-in prompts (the site's own defaults are Chinese); no default welcome.
fn english_default(slot: PromptSlot) -> Option<&'static str> {
    match slot {
        PromptSlot::Welcome => None,
        PromptSlot::Busy => {
            Some("All our agents are busy right now. You are in the queue; we will be with you shortly.")
        }
        PromptSlot::Offline => {
            Some("No agent is online right now. Leave us a message and we will get back to you soon.")
        }
        PromptSlot::OffHours => {
            Some("We are outside our service hours. Leave us a message and we will get back to you when we are back.")
        }
        PromptSlot::Failover => {
            Some("The agent you asked for cannot take your chat right now; we are connecting you to a colleague.")
        }
        PromptSlot::LeaveMessage => Some("Please leave your contact details and your question."),
    }
}

/// The prompt texts of one language (absent: that language's default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PromptTexts {
    /// Sent when a conversation is connected.
    pub welcome: Option<String>,
    /// All agents busy: queued.
    pub busy: Option<String>,
    /// All agents offline.
    pub offline: Option<String>,
    /// Outside service hours.
    pub off_hours: Option<String>,
    /// Designated agent unavailable: moved to the group.
    pub failover: Option<String>,
    /// The text above the leave-message form.
    pub leave_message: Option<String>,
}

/// One agent account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, from = "AgentConfigIn")]
pub struct AgentConfig {
    /// Login name and id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Password in the admin request; the Desk stores only a salted hash and never returns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Most conversations the agent holds at once.
    pub max_sessions: u32,
    /// Agent, admin (every agent's figures, shared quick phrases, the settings) or owner.
    pub role: AgentRole,
    /// The account is switched off: it cannot log in, its sessions end and it gets no conversations.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// Read-only, in `GET config`: the account is locked after failed logins until this time (unix
    /// ms). Ignored in `PUT config`; setting a new password unlocks the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until_ms: Option<u64>,
}

impl AgentConfig {
    /// Whether the agent sees every agent's figures, manages shared phrases and the settings.
    pub fn is_admin(&self) -> bool {
        self.role.manages_settings()
    }
}

/// An agent account as configs written before roles say it: `admin: true` is the admin role.
#[derive(Default, Deserialize)]
#[serde(default)]
struct AgentConfigIn {
    id: String,
    name: String,
    password: Option<String>,
    max_sessions: u32,
    role: Option<AgentRole>,
    admin: bool,
    disabled: bool,
    locked_until_ms: Option<u64>,
}

impl From<AgentConfigIn> for AgentConfig {
    fn from(raw: AgentConfigIn) -> Self {
        let role = raw.role.unwrap_or(if raw.admin { AgentRole::Admin } else { AgentRole::Agent });
        Self {
            id: raw.id,
            name: raw.name,
            password: raw.password,
            max_sessions: raw.max_sessions,
            role,
            disabled: raw.disabled,
            locked_until_ms: raw.locked_until_ms,
        }
    }
}

#[cfg(test)]
mod prompt_tests {
    use super::*;

    fn site() -> PromptSettings {
        let en = PromptTexts { offline: Some("We're away — leave a note.".into()), ..PromptTexts::default() };
        let en_gb = PromptTexts { offline: Some("We're away, do leave a note.".into()), ..PromptTexts::default() };
        PromptSettings {
            texts: PromptTexts { offline: Some("客服不在，请留言".into()), ..PromptTexts::default() },
            locales: [("en".to_string(), en), ("en-GB".to_string(), en_gb)].into(),
            off: Vec::new(),
        }
    }

    #[test]
    fn english_visitors_get_the_sites_english_text_or_the_english_default() {
        let site = site();
        assert_eq!(site.localized("en", PromptSlot::Offline), Some("We're away — leave a note."));
        assert_eq!(site.localized("en-US", PromptSlot::Offline), Some("We're away — leave a note."));
        assert_eq!(site.localized("en-gb", PromptSlot::Offline), Some("We're away, do leave a note."));
        // Not set for English by the site: the built-in English text, never the Chinese one.
        let busy = site.localized("en", PromptSlot::Busy).expect("an English default");
        assert!(busy.is_ascii() && busy.contains("queue"), "{busy}");
        assert!(site.localized("en", PromptSlot::LeaveMessage).is_some_and(str::is_ascii));
        // No default welcome in any language.
        assert_eq!(site.localized("en", PromptSlot::Welcome), None);
    }

    #[test]
    fn the_sites_own_texts_sit_beside_locales_in_json() {
        let json = r#"{"offline":"客服不在，请留言","locales":{"en":{"offline":"We're away — leave a note."},"en-GB":{"offline":"We're away, do leave a note."}}}"#;
        let read: PromptSettings = serde_json::from_str(json).expect("reads");
        assert_eq!(read, site());
        assert_eq!(
            serde_json::from_str::<PromptSettings>(&serde_json::to_string(&read).expect("writes")).expect("reads"),
            read
        );
    }

    #[test]
    fn chinese_and_unknown_locales_keep_the_sites_own_text() {
        let site = site();
        assert_eq!(site.localized("zh-CN", PromptSlot::Offline), None);
        assert_eq!(site.localized("", PromptSlot::Offline), None);
        // "english" is not "en" plus a subtag.
        assert_eq!(site.localized("english", PromptSlot::Busy), None);
        let zh = PromptTexts { busy: Some("请稍候".into()), ..PromptTexts::default() };
        let site = PromptSettings { locales: [("zh".to_string(), zh)].into(), ..PromptSettings::default() };
        assert_eq!(site.localized("zh-CN", PromptSlot::Busy), Some("请稍候"));
    }
}

#[cfg(test)]
mod role_tests {
    use super::*;

    #[test]
    fn configs_from_before_roles_keep_their_admins() {
        let old: AgentConfig =
            serde_json::from_str(r#"{"id":"a","name":"A","max_sessions":3,"admin":true}"#).expect("an old config");
        assert_eq!(old.role, AgentRole::Admin);
        let plain: AgentConfig =
            serde_json::from_str(r#"{"id":"b","name":"B","max_sessions":3}"#).expect("a plain agent");
        assert_eq!(plain.role, AgentRole::Agent);
        let owner: AgentConfig = serde_json::from_str(r#"{"id":"c","role":"owner","admin":false}"#).expect("an owner");
        assert_eq!(owner.role, AgentRole::Owner, "an explicit role wins over the old flag");
        // Written back, only the role is said.
        let text = serde_json::to_string(&old).expect("serialisable");
        assert!(text.contains(r#""role":"admin""#) && !text.contains(r#""admin":"#), "{text}");
    }

    #[test]
    fn only_admins_and_owners_manage_settings() {
        assert!(!AgentRole::Agent.manages_settings());
        assert!(AgentRole::Admin.manages_settings());
        assert!(AgentRole::Owner.manages_settings());
    }

    #[test]
    fn agent_checks_name_the_field() {
        let agent = |id: &str, password: Option<&str>| AgentConfig {
            id: id.into(),
            password: password.map(Into::into),
            ..AgentConfig::default()
        };
        assert!(crate::checks::check_agents(&[agent("a", Some("long-enough")), agent("b", None)]).is_ok());
        let (field, _) = crate::checks::check_agents(&[agent("a", Some("short"))]).expect_err("too short");
        assert_eq!(field, "agents[a].password");
        let (field, _) = crate::checks::check_agents(&[agent("a", None), agent("a", None)]).expect_err("twice");
        assert_eq!(field, "agents[a].id");
        assert!(crate::checks::check_agents(&[agent("", None)]).is_err());
    }

    #[test]
    fn prompts_switched_off_travel_as_words() {
        let prompts: PromptSettings =
            serde_json::from_str(r#"{"busy":"稍等","off":["busy","off_hours"]}"#).expect("prompts");
        assert_eq!(prompts.off, vec![crate::Prompt::Busy, crate::Prompt::OffHours]);
        assert_eq!(prompts.texts.busy.as_deref(), Some("稍等"));
        assert!(serde_json::from_str::<PromptSettings>(r#"{"off":["loud"]}"#).is_err(), "an unknown prompt is refused");
    }
}

#[cfg(test)]
mod plugin_tests {
    use super::*;

    fn site() -> SiteConfig {
        let plugin = |id: &str, origin: &str| PluginConfig {
            id: id.into(),
            name: id.into(),
            allowed_origins: vec![origin.into()],
            ..PluginConfig::default()
        };
        SiteConfig {
            allowed_origins: vec!["https://main.example/".into()],
            plugins: vec![plugin("shop", "https://shop.example"), plugin("outlet", "https://outlet.example")],
            ..SiteConfig::default()
        }
    }

    #[test]
    fn a_snippet_without_or_with_an_unknown_plugin_gets_the_default() {
        let site = site();
        assert_eq!(site.plugin(Some("outlet")).map(|p| p.id.as_str()), Some("outlet"));
        assert_eq!(site.plugin(None).map(|p| p.id.as_str()), Some("shop"));
        assert_eq!(site.plugin(Some("typo")).map(|p| p.id.as_str()), Some("shop"));
        assert_eq!(SiteConfig::default().plugin(Some("shop")), None);
    }

    #[test]
    fn a_plugin_is_embedded_on_its_own_pages_and_the_sites() {
        let site = site();
        assert_eq!(site.origins_for(site.plugin(Some("outlet"))), ["https://main.example", "https://outlet.example"]);
        assert_eq!(site.origins_for(None), ["https://main.example", "https://shop.example", "https://outlet.example"]);
        assert!(SiteConfig::default().origins_for(None).is_empty(), "no list: any page");
    }
}

#[cfg(test)]
mod theme_tests {
    use super::*;

    #[test]
    fn a_plugin_theme_reads_as_the_widgets_tokens() {
        let theme = ThemeSetting {
            primary: Some("#e91e63".into()),
            offset_x: Some(24),
            scheme: Some(crate::ColorScheme::Auto),
            ..ThemeSetting::default()
        };
        let text = serde_json::to_string(&ThemeTokens::from(&theme)).expect("serialisable");
        assert_eq!(text, r##"{"primary":"#e91e63","offsetX":24,"dark":"auto"}"##);
        let dark = ThemeSetting { scheme: Some(crate::ColorScheme::Dark), ..ThemeSetting::default() };
        assert_eq!(serde_json::to_string(&ThemeTokens::from(&dark)).expect("serialisable"), r#"{"dark":true}"#);
        assert!(ThemeTokens::from(&ThemeSetting::default()).is_empty());
    }
}

#[cfg(test)]
mod entry_tests {
    use super::*;

    #[test]
    fn an_entry_names_one_existing_agent_or_group() {
        let mut site = SiteConfig {
            agents: vec![AgentConfig { id: "amy".into(), ..AgentConfig::default() }],
            groups: vec![GroupConfig { id: "vip".into(), ..GroupConfig::default() }],
            ..SiteConfig::default()
        };
        let entry = |id: &str, agent: Option<&str>, group: Option<&str>| EntrySetting {
            id: id.into(),
            agent: agent.map(Into::into),
            group: group.map(Into::into),
        };
        site.routing.entries = vec![entry("vip-line", Some("amy"), None), entry("after-sale", None, Some("vip"))];
        assert!(crate::checks::check_entries(&site).is_ok());
        for bad in [
            entry("x", Some("nobody"), None),
            entry("x", None, Some("nowhere")),
            entry("x", Some("amy"), Some("vip")),
            entry("x", None, None),
            entry("Bad Id", Some("amy"), None),
            entry("vip-line", Some("amy"), None),
        ] {
            let mut with = site.clone();
            with.routing.entries.push(bad.clone());
            assert!(crate::checks::check_entries(&with).is_err(), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod contact_tests {
    use super::*;
    use crate::checks::{check_contact, parse_contacts_csv};

    #[test]
    fn a_contacts_csv_reads_row_by_row_with_lines_and_reasons() {
        let agents = vec![AgentConfig { id: "amy".into(), ..AgentConfig::default() }];
        let csv = "\u{feff}姓名,手机,编号,负责客服\r\n张三,159 1234 5678,c1,amy\n\"李, 四\",+86-138-0000-0000,c2,\n\n王五,abc,c3,\n赵六,13900000000,c4,nobody\n\"多\n行\",13900000001,c5\n短,1\n";
        let rows = parse_contacts_csv(csv).expect("a header with id, name, phone");
        let lines: Vec<usize> = rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [2, 3, 5, 6, 7, 9], "blank lines skipped, a quoted line break keeps the row's first line");
        let checked: Vec<Result<String, String>> =
            rows.into_iter().map(|(_, row)| row.and_then(|c| check_contact(&c, &agents).map(|()| c.id))).collect();
        assert_eq!(checked[0], Ok("c1".into()));
        assert_eq!(checked[1], Ok("c2".into()), "a quoted comma stays in the name");
        assert!(checked[2].as_ref().is_err_and(|e| e.starts_with("phone")), "{:?}", checked[2]);
        assert!(checked[3].as_ref().is_err_and(|e| e.starts_with("owner_agent")), "{:?}", checked[3]);
        assert_eq!(checked[4], Ok("c5".into()), "a row may omit trailing optional columns");
        assert!(checked[5].is_err(), "too few fields");
        assert!(parse_contacts_csv("name,phone\nx,123456\n").is_err(), "no id column");
        assert!(parse_contacts_csv("").is_err());
    }
}

#[cfg(test)]
mod identity_tests {
    use super::*;
    use crate::checks::check_identity;

    fn keyed(keys: &[&str]) -> SiteConfig {
        SiteConfig {
            allowed_origins: vec!["https://shop.example".into()],
            identity: IdentitySettings {
                keys: keys.iter().map(|k| (*k).into()).collect(),
                ..IdentitySettings::default()
            },
            ..SiteConfig::default()
        }
    }

    #[test]
    fn the_replaced_key_of_a_rotation_opens_tokens_until_its_time_ends() {
        let mut site = keyed(&["new", " old "]);
        assert_eq!(site.identity.live_keys(5).collect::<Vec<_>>(), ["new", "old"], "no end: until removed");
        site.identity.rotation_ends_ms = Some(1_000);
        assert_eq!(site.identity.live_keys(999).collect::<Vec<_>>(), ["new", "old"]);
        assert_eq!(site.identity.live_keys(1_000).collect::<Vec<_>>(), ["new"], "the current key always stays");
        assert!(check_identity(&site).is_ok());
        let text = serde_json::to_string(&keyed(&["k"]).identity).expect("serialisable");
        assert!(!text.contains("rotation_ends_ms"), "absent unless rotating: {text}");
    }

    #[test]
    fn identity_settings_are_checked_field_by_field() {
        assert!(check_identity(&SiteConfig::default()).is_ok(), "no keys, guests only");
        assert!(check_identity(&keyed(&["k"])).is_ok());
        let field = |site: &SiteConfig| check_identity(site).expect_err("refused").0;
        assert_eq!(field(&keyed(&["a", "b", "c"])), "identity.keys");
        let mut required = SiteConfig::default();
        required.identity.require_identity = true;
        assert_eq!(field(&required), "identity.keys", "identity required with no key to check it");
        let mut ends = keyed(&["k"]);
        ends.identity.rotation_ends_ms = Some(1);
        assert_eq!(field(&ends), "identity.rotation_ends_ms", "a rotation needs the key being replaced");
        let mut no_format = keyed(&["k"]);
        no_format.identity.accept_v2 = false;
        assert_eq!(field(&no_format), "identity.accept_v2");
        let mut fields = keyed(&["k"]);
        fields.identity.verification_fields = vec!["phone".into(), "phone".into()];
        assert_eq!(field(&fields), "identity.verification_fields");
        let mut open = keyed(&["k"]);
        open.allowed_origins.clear();
        assert_eq!(field(&open), "allowed_origins", "any page could claim to be the site");
        // With plugins, every plugin must be tied to pages of its own or the site's.
        open.plugins = vec![
            PluginConfig {
                id: "shop".into(),
                allowed_origins: vec!["https://shop.example".into()],
                ..PluginConfig::default()
            },
            PluginConfig { id: "outlet".into(), ..PluginConfig::default() },
        ];
        assert_eq!(field(&open), "plugins[outlet].allowed_origins");
        open.allowed_origins = vec!["https://main.example".into()];
        assert!(check_identity(&open).is_ok());
        // A plugin that requires identity needs a key to check it.
        let members = SiteConfig {
            plugins: vec![PluginConfig { id: "vip".into(), require_identity: true, ..PluginConfig::default() }],
            ..SiteConfig::default()
        };
        assert_eq!(field(&members), "identity.keys");
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;
    use crate::checks::check_forms;

    #[test]
    fn forms_and_buttons_are_checked_field_by_field() {
        let mut site = SiteConfig {
            pre_chat: vec![PreChatField {
                name: "order_no".into(), label: "订单号".into(), ..PreChatField::default()
            }],
            card_buttons: vec![CardButton { list: "orders".into(), name: "我的订单".into(), icon: "order".into() }],
            ..SiteConfig::default()
        };
        site.routing.leave_message_fields =
            vec![LeaveFieldSetting { name: "email".into(), label: Some("常用邮箱".into()), required: true }];
        assert!(check_forms(&site).is_ok());
        let field = |site: &SiteConfig| check_forms(site).expect_err("refused").0;
        let mut bad = site.clone();
        bad.pre_chat[0].name = "order no".into();
        assert_eq!(field(&bad), "pre_chat[0]");
        let mut bad = site.clone();
        bad.pre_chat[0].kind = PreChatKind::Select;
        assert_eq!(field(&bad), "pre_chat[0]", "a choice without options");
        let mut bad = site.clone();
        bad.routing.leave_message_fields.push(bad.routing.leave_message_fields[0].clone());
        assert_eq!(field(&bad), "routing.leave_message_fields[1]", "a name twice");
        let mut bad = site.clone();
        bad.card_buttons[0].name = " ".into();
        assert_eq!(field(&bad), "card_buttons[0]");
        // A group's own hours open at least once a week; the site's may be closed all week.
        let closed = ServiceHoursSetting { utc_offset_minutes: 0, weekly: vec![Vec::new(); 7] };
        assert!(crate::checks::check_service_hours(&closed).is_ok());
        assert!(crate::checks::check_group_hours(&closed).is_err());
        // Written as before when the site sets no leave-message fields.
        let text = serde_json::to_string(&RoutingSettings::default()).expect("serialisable");
        assert!(!text.contains("leave_message_fields"), "{text}");
    }
}
