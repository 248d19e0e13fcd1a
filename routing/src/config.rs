//! The site configuration the core routes by: agents, groups, entries, rules, hours, prompts, bot.

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::ServiceHours;
use crate::ids::{AgentId, EntryId, GroupId, DAY, HOUR, MINUTE};

/// Everything a site owner configures about routing. Changes apply to new conversations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteConfig {
    /// The agents of the site and how many conversations each may hold at once.
    pub agents: Vec<AgentConfig>,
    /// The agent groups (skill groups such as 售前 / 售后).
    pub groups: Vec<GroupConfig>,
    /// Multi-entry buttons: each names a designated agent or group.
    pub entries: Vec<EntryConfig>,
    /// How a conversation without an entry finds its group.
    pub mode: RoutingMode,
    /// Ordered routing rules, used in [`RoutingMode::Rules`]; the first match wins.
    pub rules: Vec<Rule>,
    /// The group used when no rule matches, when the visitor picks none, and for orphans.
    pub fallback_group: GroupId,
    /// When agents take conversations (weekly schedule in the site's time zone).
    pub service_hours: ServiceHours,
    /// The texts the visitor sees when nobody can take the conversation, and the welcome.
    pub prompts: Prompts,
    /// The leave-message form offered when nobody can take the conversation.
    pub leave_message: LeaveMessageForm,
    /// The optional bot that answers first.
    pub bot: BotSettings,
    /// Idle and expiry durations.
    pub timeouts: Timeouts,
    /// The mini-program reply quotas WeChat allows.
    pub quotas: ReplyQuotas,
}

impl SiteConfig {
    /// A configuration with one group `fallback` and no agents, default prompts and timeouts.
    pub fn new(fallback: impl Into<GroupId>) -> Self {
        let fallback = fallback.into();
        SiteConfig {
            agents: Vec::new(),
            groups: vec![GroupConfig::new(fallback.clone(), Vec::new())],
            entries: Vec::new(),
            mode: RoutingMode::Rules,
            rules: Vec::new(),
            fallback_group: fallback,
            service_hours: ServiceHours::always(),
            prompts: Prompts::default(),
            leave_message: LeaveMessageForm::default(),
            bot: BotSettings::default(),
            timeouts: Timeouts::default(),
            quotas: ReplyQuotas::default(),
        }
    }

    /// Every inconsistency in this configuration (dangling ids, duplicates, bad hours); empty when valid.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut agents = BTreeSet::new();
        for agent in &self.agents {
            if !agents.insert(&agent.id) {
                problems.push(format!("agent `{}` is listed twice", agent.id));
            }
        }
        let mut groups = BTreeSet::new();
        for group in &self.groups {
            if !groups.insert(&group.id) {
                problems.push(format!("group `{}` is listed twice", group.id));
            }
            let mut members = BTreeSet::new();
            for member in &group.members {
                if !agents.contains(member) {
                    problems.push(format!("group `{}` names unknown agent `{member}`", group.id));
                }
                if !members.insert(member) {
                    problems.push(format!("group `{}` lists agent `{member}` twice", group.id));
                }
            }
        }
        if !groups.contains(&self.fallback_group) {
            problems.push(format!("fallback group `{}` does not exist", self.fallback_group));
        }
        let mut entries: BTreeMap<&EntryId, ()> = BTreeMap::new();
        for entry in &self.entries {
            if entries.insert(&entry.id, ()).is_some() {
                problems.push(format!("entry `{}` is listed twice", entry.id));
            }
            match &entry.target {
                Target::Agent(a) if !agents.contains(a) => {
                    problems.push(format!("entry `{}` names unknown agent `{a}`", entry.id));
                }
                Target::Group(g) if !groups.contains(g) => {
                    problems.push(format!("entry `{}` names unknown group `{g}`", entry.id));
                }
                _ => {}
            }
        }
        if let RoutingMode::VisitorPicksGroup { groups: choices } = &self.mode {
            for g in choices {
                if !groups.contains(g) {
                    problems.push(format!("visitor group choice `{g}` does not exist"));
                }
            }
        }
        for rule in &self.rules {
            if !groups.contains(&rule.group) {
                problems.push(format!("rule `{}` targets unknown group `{}`", rule.name, rule.group));
            }
        }
        problems.extend(self.service_hours.problems());
        for group in &self.groups {
            let hours = group.service_hours.iter().flat_map(ServiceHours::problems);
            problems.extend(hours.map(|p| format!("group {}: {p}", group.id)));
        }
        if self.timeouts.idle_ms == 0 || self.timeouts.bot_expiry_ms == 0 {
            problems.push("timeouts must be longer than zero".to_owned());
        }
        problems
    }
}

/// One agent of the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentConfig {
    /// The agent's id.
    pub id: AgentId,
    /// How many live conversations the agent may hold at once (pending offers count too).
    pub max_sessions: u32,
}

impl AgentConfig {
    /// An agent with the given capacity.
    pub fn new(id: impl Into<AgentId>, max_sessions: u32) -> Self {
        AgentConfig { id: id.into(), max_sessions }
    }
}

/// One group of agents and how it hands out conversations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    /// The group's id.
    pub id: GroupId,
    /// The members, in the order round robin walks them.
    pub members: Vec<AgentId>,
    /// How a member is chosen.
    pub strategy: Strategy,
    /// Whether the chosen member gets the conversation at once or must accept it.
    pub accept: AcceptMode,
    /// The group's own service hours (a night shift, a weekend team); `None`: the site's.
    pub service_hours: Option<ServiceHours>,
}

impl GroupConfig {
    /// A load-balanced, auto-accepting group on the site's hours.
    pub fn new(id: impl Into<GroupId>, members: Vec<AgentId>) -> Self {
        GroupConfig { id: id.into(), members, strategy: Strategy::Load, accept: AcceptMode::Auto, service_hours: None }
    }
}

/// How a group chooses among its online members that have a free slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Fewest live sessions.
    Load,
    /// The next member in order after the one assigned last.
    RoundRobin,
    /// Fewest conversations accepted today (site time zone).
    IdleRate,
    /// The owner of the visitor's CRM customer when available, otherwise `otherwise`.
    CustomerOwner {
        /// The strategy used when the owner is not in the group or not available.
        otherwise: BaseStrategy,
    },
    /// The owner of the visitor's CRM contact when available, otherwise `otherwise`.
    ContactOwner {
        /// The strategy used when the owner is not in the group or not available.
        otherwise: BaseStrategy,
    },
}

/// The strategies an owner strategy can fall back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseStrategy {
    /// Fewest live sessions.
    Load,
    /// The next member in order after the one assigned last.
    RoundRobin,
    /// Fewest conversations accepted today.
    IdleRate,
}

/// Whether an assignment connects at once or waits in the agent's pending list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptMode {
    /// The chosen agent is connected at once.
    Auto,
    /// The conversation is offered (a slot is reserved); any online member may accept it, first accept wins.
    Pending,
}

/// A multi-entry button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryConfig {
    /// The entry id the widget sends (`data-entry`, `openEntry`).
    pub id: EntryId,
    /// The designated agent or group.
    pub target: Target,
}

/// A designated agent or a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// One agent.
    Agent(AgentId),
    /// A group, by its strategy.
    Group(GroupId),
}

/// How conversations without an entry find their group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoutingMode {
    /// Ordered rules, then the fallback group.
    Rules,
    /// The visitor picks one of these groups before the chat starts (no pick: the fallback group).
    VisitorPicksGroup {
        /// The groups offered to the visitor.
        groups: Vec<GroupId>,
    },
}

/// A channel a conversation comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// A desktop browser.
    #[default]
    Web,
    /// A mobile browser.
    MobileWeb,
    /// A native app.
    App,
    /// A WeChat mini-program (reply quotas apply).
    MiniProgram,
}

/// A routing rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule's name, shown to admins.
    pub name: String,
    /// The channels it applies to; empty means every channel.
    pub channels: Vec<Channel>,
    /// The web plugins (by id) it applies to; empty means every plugin (and every conversation
    /// that came through none).
    pub plugins: Vec<String>,
    /// Which visitors it matches.
    pub condition: Condition,
    /// The group matching conversations go to.
    pub group: GroupId,
    /// Sent when the conversation is connected (instead of the site welcome).
    pub welcome: Option<String>,
    /// Sent after the welcome when the conversation is connected.
    pub promo: Option<String>,
    /// Verified visitors only: a guest never matches this rule.
    pub verified_only: bool,
    /// An agent takes a conversation of this rule only while holding fewer live sessions than
    /// this (and than its own max); none: its own max.
    pub max_sessions: Option<u32>,
}

impl Rule {
    /// Whether the conversation `req` is in this rule's channels and plugins and meets its
    /// condition.
    #[must_use]
    pub fn matches(&self, req: &crate::event::NewConversation) -> bool {
        (req.verified || !self.verified_only)
            && in_scope(&self.channels, &self.plugins, req)
            && self.condition.matches(req)
    }
}

/// Whether `req` came through one of `channels` and one of `plugins` (empty lists take all; a
/// plugin list takes no conversation that came through no plugin).
fn in_scope(channels: &[Channel], plugins: &[String], req: &crate::event::NewConversation) -> bool {
    (channels.is_empty() || channels.contains(&req.channel))
        && (plugins.is_empty() || req.plugin.as_ref().is_some_and(|p| plugins.contains(p)))
}

/// A session group (会话分组): a named view over conversations for the agents' filters, defined
/// like a rule (channels, plugins, a condition) plus "verified visitors only". It routes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionGroup {
    /// Its id.
    pub id: String,
    /// Channels it takes; empty: all.
    pub channels: Vec<Channel>,
    /// Web plugins it takes; empty: all.
    pub plugins: Vec<String>,
    /// Verified visitors only.
    pub verified_only: bool,
    /// Which visitors it takes.
    pub condition: Condition,
}

impl SessionGroup {
    /// Whether the conversation `req` is in this group.
    #[must_use]
    pub fn matches(&self, req: &crate::event::NewConversation) -> bool {
        (req.verified || !self.verified_only)
            && in_scope(&self.channels, &self.plugins, req)
            && self.condition.matches(req)
    }
}

/// The ids of the groups of `groups` that take `req`, in their order.
#[must_use]
pub fn session_groups_of(groups: &[SessionGroup], req: &crate::event::NewConversation) -> Vec<String> {
    groups.iter().filter(|g| g.matches(req)).map(|g| g.id.clone()).collect()
}

/// A rule's condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Every visitor.
    AllVisitors,
    /// A filter on the visitor's info (identity and custom fields).
    VisitorInfo(FieldFilter),
    /// A filter on the pre-chat form answers.
    PreChatForm(FieldFilter),
    /// A test on the URL of the page the visitor is on.
    PageUrl(FieldTest),
    /// A filter on where the visitor's request came from: `country` (ISO code), `region`,
    /// `city`, as the edge saw the connection (never what the page says).
    Place(FieldFilter),
    /// Every one of these (AND); none: true.
    All(Vec<Condition>),
    /// At least one of these (OR); none: false.
    Any(Vec<Condition>),
}

impl Condition {
    /// Whether the conversation `req` meets this condition.
    #[must_use]
    pub fn matches(&self, req: &crate::event::NewConversation) -> bool {
        match self {
            Condition::AllVisitors => true,
            Condition::VisitorInfo(f) => f.matches(&req.info),
            Condition::PreChatForm(f) => f.matches(&req.pre_chat),
            Condition::PageUrl(test) => req.page_url.as_deref().is_some_and(|url| test.matches(url)),
            Condition::Place(f) => f.matches(&req.place),
            Condition::All(all) => all.iter().all(|c| c.matches(req)),
            Condition::Any(any) => any.iter().any(|c| c.matches(req)),
        }
    }
}

/// A test on one named field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldFilter {
    /// The field's name.
    pub field: String,
    /// The test on its value.
    pub test: FieldTest,
}

/// A test on a field's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldTest {
    /// Exactly this value.
    Equals(String),
    /// Contains this text.
    Contains(String),
    /// One of these values.
    OneOf(Vec<String>),
    /// Present and not blank.
    Present,
}

impl FieldFilter {
    /// Whether `fields` passes this filter (an absent field passes no test).
    #[must_use]
    pub fn matches(&self, fields: &BTreeMap<String, String>) -> bool {
        fields.get(&self.field).is_some_and(|value| self.test.matches(value))
    }
}

impl FieldTest {
    /// Whether `value` passes this test.
    #[must_use]
    pub fn matches(&self, value: &str) -> bool {
        match self {
            FieldTest::Equals(v) => value == v,
            FieldTest::Contains(v) => value.contains(v.as_str()),
            FieldTest::OneOf(vs) => vs.iter().any(|v| v == value),
            FieldTest::Present => !value.trim().is_empty(),
        }
    }
}

/// The per-site texts of the routing prompts. An empty text is not sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompts {
    /// Sent when a conversation is first connected, unless its rule has a welcome.
    pub welcome: Option<String>,
    /// Everyone in the group is busy; the visitor is queued.
    pub busy: String,
    /// Nobody in the group is online.
    pub offline: String,
    /// Outside service hours.
    pub off_hours: String,
    /// The designated agent is offline or full; the conversation goes to a group.
    pub failover: String,
}

impl Default for Prompts {
    fn default() -> Self {
        Prompts {
            welcome: None,
            busy: "客服繁忙，您已进入排队，请稍候。".to_owned(),
            offline: "客服暂时不在线，请留言，我们会尽快联系您。".to_owned(),
            off_hours: "现在是非工作时间，请留言，我们上班后会联系您。".to_owned(),
            failover: "您指定的客服暂时无法接待，正在为您转接其他客服，请稍候。".to_owned(),
        }
    }
}

/// The leave-message form template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaveMessageForm {
    /// The text above the form.
    pub intro: String,
    /// The form's fields, in order.
    pub fields: Vec<FormField>,
}

impl Default for LeaveMessageForm {
    fn default() -> Self {
        LeaveMessageForm {
            intro: "请留下您的联系方式和问题。".to_owned(),
            fields: vec![FormField::new("name", false), FormField::new("phone", true), FormField::new("message", true)],
        }
    }
}

/// One field of the leave-message form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormField {
    /// The field's name.
    pub name: String,
    /// Whether it must be filled in.
    pub required: bool,
    /// The site's label for it (absent: the widget's label for the name).
    pub label: Option<String>,
}

impl FormField {
    /// A field with the widget's own label.
    pub fn new(name: impl Into<String>, required: bool) -> Self {
        FormField { name: name.into(), required, label: None }
    }
}

/// The bot that answers first, when enabled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotSettings {
    /// Whether new conversations go to the bot list first.
    pub enabled: bool,
    /// Sent when a conversation enters the bot list.
    pub greeting: Option<String>,
    /// Words that send the conversation to a human (case-insensitive, found inside longer text).
    pub transfer_keywords: Vec<String>,
    /// Keyword auto-replies; the first whose keyword the message contains answers.
    pub auto_replies: Vec<AutoReply>,
    /// Sent when no keyword matches.
    pub fallback_reply: Option<String>,
}

/// The default transfer keywords.
pub const DEFAULT_TRANSFER_KEYWORDS: [&str; 8] = ["人工", "客服", "rg", "kf", "退货", "发票", "退款", "快递"];

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            enabled: false,
            greeting: None,
            transfer_keywords: DEFAULT_TRANSFER_KEYWORDS.iter().map(|k| (*k).to_owned()).collect(),
            auto_replies: Vec::new(),
            fallback_reply: None,
        }
    }
}

/// A keyword auto-reply of the bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoReply {
    /// The keyword (case-insensitive, found inside longer text).
    pub keyword: String,
    /// The reply.
    pub reply: String,
}

/// Durations of the idle rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// A connected conversation with no message for this long must be re-accepted (30 minutes).
    pub idle_ms: u64,
    /// A bot-list conversation with no message for this long moves to the expired list (48 hours).
    pub bot_expiry_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { idle_ms: 30 * MINUTE, bot_expiry_ms: 2 * DAY }
    }
}

/// The mini-program reply quota after the user enters, as WeChat documents it today: this many
/// messages (older rules said 1)...
pub const ENTER_QUOTA: u8 = 2;
/// ...within this long.
pub const ENTER_WINDOW_MS: u64 = MINUTE;
/// The mini-program reply quota after a user message, as WeChat documents it today: this many
/// messages (older rules said 3)...
pub const MESSAGE_QUOTA: u8 = 5;
/// ...within this long.
pub const MESSAGE_WINDOW_MS: u64 = 48 * HOUR;

/// The replies WeChat allows a mini-program after each user action (a site setting: WeChat has
/// changed them before). They do not add up: each action resets the quota to its own maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyQuotas {
    /// Replies after the user enters the session...
    pub enter: u8,
    /// ...within this long.
    pub enter_window_ms: u64,
    /// Replies after a user message...
    pub message: u8,
    /// ...within this long.
    pub message_window_ms: u64,
}

impl Default for ReplyQuotas {
    fn default() -> Self {
        ReplyQuotas {
            enter: ENTER_QUOTA,
            enter_window_ms: ENTER_WINDOW_MS,
            message: MESSAGE_QUOTA,
            message_window_ms: MESSAGE_WINDOW_MS,
        }
    }
}
