//! The 报表 page's figures, computed from the stored chats (`report_store`: one row per opening of
//! a conversation, with its messages counted from `messages`) and agents' presence changes, never
//! from counters kept on the side. Pure: no worker types, tested natively with a hand-computed
//! month (`report/tests.rs`).
//!
//! What each figure means (the guide's 报表 section says the same to site owners):
//! - a conversation counts on the day (hour) it opened, for the agent and group that served it
//!   last, in its channel and plugin;
//! - first response: from the first agent getting it to the first agent message; handling: from
//!   the first agent getting it to its end. Median and 90th percentile are nearest-rank (the value
//!   at rank ⌈n/2⌉ and ⌈0.9·n⌉ of the sorted times);
//! - missed: it waited for an agent (a queue, a pending list) and ended without one;
//! - messages: the visitor's and agents' messages (prompts and automatic replies not counted);
//! - ratings: the visitor's score of that conversation (a second rating replaces the first).

use std::collections::{BTreeMap, HashMap};

use protocol::report::{
    check_span, day_label, AgentTime, Demand, Figures, Named, Report, ReportQuery, Split, Topic, TOPIC_CONVERSATIONS,
    TOP_ROWS,
};

use super::profile::StoredProfile;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// Where a conversation came from, recorded when it opens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatStart {
    /// Conversation id.
    pub conversation_id: String,
    /// `web`, `mobile_web`, `mini_program`.
    pub channel: String,
    /// The web plugin's id.
    pub plugin: Option<String>,
    /// The path of the page the chat started on.
    pub page: Option<String>,
    /// The page's `product` custom field.
    pub product: Option<String>,
    /// `utm_source`, else the referrer's host, else `direct`.
    pub source: String,
    /// `utm_campaign`.
    pub campaign: Option<String>,
    /// Whether the visitor proved its identity.
    pub verified: bool,
}

impl ChatStart {
    /// What the visitor's profile says at the conversation's opening.
    pub fn of(conversation_id: &str, profile: &StoredProfile, verified: bool) -> Self {
        let (source, campaign) =
            source_of(profile.landing_url.as_deref().or(profile.page_url.as_deref()), profile.referrer.as_deref());
        Self {
            conversation_id: conversation_id.to_string(),
            channel: profile.channel.as_str().to_string(),
            plugin: profile.plugin.clone(),
            page: profile.page_url.as_deref().and_then(path_of),
            product: profile.custom_fields.get("product").map(|p| p.trim().to_string()).filter(|p| !p.is_empty()),
            source,
            campaign,
            verified,
        }
    }
}

/// The source and campaign of a visit: the landing page's `utm_source` (and `utm_campaign`);
/// without one, the referrer's host when it is another site's; else `direct`.
pub fn source_of(landing: Option<&str>, referrer: Option<&str>) -> (String, Option<String>) {
    let param = |name: &str| -> Option<String> {
        let query = landing?.split_once('?')?.1.split('#').next()?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| decode(v)).filter(|v| !v.is_empty())
        })
    };
    let campaign = param("utm_campaign");
    if let Some(source) = param("utm_source") {
        return (source, campaign);
    }
    let own = landing.and_then(host_of);
    match referrer.and_then(host_of) {
        Some(host) if Some(&host) != own.as_ref() => (host, campaign),
        _ => ("direct".to_string(), campaign),
    }
}

/// The host of an http(s) URL, lower-cased.
fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The path of an http(s) URL (`/` when it has none).
fn path_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    Some(path.split(['?', '#']).next().unwrap_or("/").to_string())
}

/// Percent-decoding of a query value (`+` is a space); bytes that are not UTF-8 are replaced.
fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match value.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).trim().chars().take(100).collect()
}

/// A chat as the reports read it: where it came from, then what happened to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatFact {
    /// Where it came from (its conversation id with it).
    pub start: ChatStart,
    /// When it opened (unix ms).
    pub opened_ms: u64,
    /// The group that served it last.
    pub group: Option<String>,
    /// The agent who served it last.
    pub agent: Option<String>,
    /// It waited for an agent.
    pub waited: bool,
    /// When an agent first got it.
    pub connected_ms: Option<u64>,
    /// When it ended.
    pub closed_ms: Option<u64>,
    /// When an agent first wrote in it.
    pub first_reply_ms: Option<u64>,
    /// Transfers.
    pub transfers: u32,
    /// The visitor left a message.
    pub left_message: bool,
    /// The visitor's score.
    pub score: Option<u8>,
    /// Visitors' and agents' messages.
    pub messages: u32,
    /// The text of the message that opened it.
    pub first_text: String,
}

/// One change of an agent's presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceChange {
    /// Agent id.
    pub agent_id: String,
    /// When (unix ms).
    pub at_ms: u64,
    /// `online`, `away`, `offline`.
    pub status: String,
}

/// The time a report covers, as the site's calendar says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Its first day (days since 1970-01-01, site time).
    pub first_day: i64,
    /// How many days.
    pub days: u32,
    /// The site's offset from UTC (ms).
    pub offset_ms: i64,
    /// Per hour.
    pub hourly: bool,
}

impl Span {
    /// Reads a query's days; the error says what is wrong with them.
    pub fn of(query: &ReportQuery, utc_offset_minutes: i32) -> Result<Self, String> {
        let (first_day, days) = check_span(query)?;
        Ok(Self { first_day, days, offset_ms: i64::from(utc_offset_minutes) * 60_000, hourly: query.hourly })
    }

    /// Its start (unix ms).
    pub fn start_ms(&self) -> u64 {
        u64::try_from(self.first_day * DAY_MS as i64 - self.offset_ms).unwrap_or(0)
    }

    /// Its end (unix ms, excluded).
    pub fn end_ms(&self) -> u64 {
        self.start_ms() + u64::from(self.days) * DAY_MS
    }

    /// The span of equal length just before (for trends).
    pub fn before(&self) -> Self {
        Self { first_day: self.first_day - i64::from(self.days), ..*self }
    }

    fn bucket_ms(&self) -> u64 {
        if self.hourly {
            HOUR_MS
        } else {
            DAY_MS
        }
    }

    fn buckets(&self) -> usize {
        let n = if self.hourly { self.days * 24 } else { self.days };
        n as usize
    }

    /// The bucket an instant falls in (`None`: outside the span).
    fn bucket_of(&self, at_ms: u64) -> Option<usize> {
        let i = at_ms.checked_sub(self.start_ms())? / self.bucket_ms();
        let i = usize::try_from(i).ok()?;
        (i < self.buckets()).then_some(i)
    }

    /// A bucket's key and label: `2026-10-03`, or `2026-10-03 14:00`.
    fn bucket_key(&self, i: usize) -> String {
        if self.hourly {
            format!("{} {:02}:00", day_label(self.first_day + (i / 24) as i64), i % 24)
        } else {
            day_label(self.first_day + i as i64)
        }
    }
}

/// Display names of the site's agents, groups and plugins (ids that are gone show as ids).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Agent id to name.
    pub agents: HashMap<String, String>,
    /// Group id to name.
    pub groups: HashMap<String, String>,
    /// Plugin id to name.
    pub plugins: HashMap<String, String>,
}

/// Figures while they are being added up.
#[derive(Default)]
struct Tally {
    figures: Figures,
    first_responses: Vec<u64>,
    handling_total: u64,
    handled: u32,
}

impl Tally {
    fn add(&mut self, chat: &ChatFact) {
        let f = &mut self.figures;
        f.conversations += 1;
        f.messages += chat.messages;
        f.transfers += chat.transfers;
        f.left_messages += u32::from(chat.left_message);
        f.identified += u32::from(chat.start.verified);
        if let Some(score @ 1..=5) = chat.score {
            f.ratings[usize::from(score - 1)] += 1;
        }
        match chat.connected_ms {
            Some(connected) => {
                f.served += 1;
                if let Some(reply) = chat.first_reply_ms.filter(|r| *r >= connected) {
                    self.first_responses.push(reply - connected);
                }
                if let Some(closed) = chat.closed_ms.filter(|c| *c >= connected) {
                    self.handling_total += closed - connected;
                    self.handled += 1;
                }
            }
            None => f.missed += u32::from(chat.waited && chat.closed_ms.is_some()),
        }
    }

    fn finish(mut self, key: String, label: String) -> Figures {
        self.first_responses.sort_unstable();
        let rank = |p: u64| -> Option<u64> {
            let n = self.first_responses.len() as u64;
            (n > 0).then(|| self.first_responses[((n * p).div_ceil(100)).max(1) as usize - 1])
        };
        self.figures.first_response_median_ms = rank(50);
        self.figures.first_response_p90_ms = rank(90);
        self.figures.handling_mean_ms =
            (self.handled > 0).then(|| (self.handling_total + u64::from(self.handled) / 2) / u64::from(self.handled));
        Figures { key, label, ..self.figures }
    }
}

/// Whether a chat is one the query asks about.
fn wanted(query: &ReportQuery, chat: &ChatFact) -> bool {
    query.group.as_ref().is_none_or(|g| chat.group.as_ref() == Some(g))
        && query.agent.as_ref().is_none_or(|a| chat.agent.as_ref() == Some(a))
        && query.channel.is_none_or(|c| chat.start.channel == c.as_str())
        && query.plugin.as_ref().is_none_or(|p| chat.start.plugin.as_ref() == Some(p))
}

/// The split's key of a chat.
fn split_key(split: Split, chat: &ChatFact) -> String {
    match split {
        Split::Agent => chat.agent.clone(),
        Split::Group => chat.group.clone(),
        Split::Channel => Some(chat.start.channel.clone()),
        Split::Plugin => chat.start.plugin.clone(),
    }
    .unwrap_or_default()
}

/// The name a split's key shows as (the key itself when no name is known; `""` stays empty).
fn split_label(split: Split, key: &str, names: &Names) -> String {
    let table = match split {
        Split::Agent => &names.agents,
        Split::Group => &names.groups,
        Split::Plugin => &names.plugins,
        Split::Channel => return key.to_string(),
    };
    table.get(key).cloned().unwrap_or_else(|| key.to_string())
}

/// Everything a report needs that the store read.
#[derive(Debug, Default)]
pub struct Inputs<'a> {
    /// Chats opened in the span.
    pub chats: &'a [ChatFact],
    /// Presence changes in the span (after each agent's last one before it).
    pub presence: &'a [PresenceChange],
    /// The words of the first messages of the span just before, one list per chat.
    pub words_before: &'a [Vec<String>],
    /// The words of each chat's first message (same order as `chats`).
    pub words: &'a [Vec<String>],
}

/// Computes a report. `now_ms` ends presence that is still going on.
pub fn build(query: ReportQuery, span: &Span, inputs: &Inputs<'_>, names: &Names, now_ms: u64) -> Report {
    let mut total = Tally::default();
    let mut buckets: Vec<Tally> = (0..span.buckets()).map(|_| Tally::default()).collect();
    let mut rows: BTreeMap<String, Tally> = BTreeMap::new();
    let mut pages: BTreeMap<String, Demand> = BTreeMap::new();
    let mut products: BTreeMap<String, Demand> = BTreeMap::new();
    let mut sources: BTreeMap<String, Demand> = BTreeMap::new();
    let mut topics: BTreeMap<&str, Topic> = BTreeMap::new();
    let mut order: Vec<usize> = (0..inputs.chats.len()).collect();
    // Newest first: a topic lists its newest conversations.
    order.sort_by_key(|&i| std::cmp::Reverse(inputs.chats[i].opened_ms));
    for i in order {
        let chat = &inputs.chats[i];
        if !wanted(&query, chat) {
            continue;
        }
        let Some(bucket) = span.bucket_of(chat.opened_ms) else { continue };
        total.add(chat);
        buckets[bucket].add(chat);
        rows.entry(split_key(query.split, chat)).or_default().add(chat);
        let demand = |table: &mut BTreeMap<String, Demand>, key: Option<String>| {
            if let Some(key) = key {
                let d = table.entry(key.clone()).or_insert_with(|| Demand { key, ..Demand::default() });
                d.conversations += 1;
                d.left_messages += u32::from(chat.left_message);
                d.identified += u32::from(chat.start.verified);
                if let Some(score @ 1..=5) = chat.score {
                    d.ratings[usize::from(score - 1)] += 1;
                }
            }
        };
        demand(&mut pages, chat.start.page.clone());
        demand(&mut products, chat.start.product.clone());
        let source = match &chat.start.campaign {
            Some(campaign) => format!("{} / {campaign}", chat.start.source),
            None => chat.start.source.clone(),
        };
        demand(&mut sources, Some(source));
        for word in inputs.words.get(i).into_iter().flatten() {
            let t = topics.entry(word).or_insert_with(|| Topic { word: word.clone(), ..Topic::default() });
            t.count += 1;
            if t.conversations.len() < TOPIC_CONVERSATIONS {
                t.conversations.push(chat.start.conversation_id.clone());
            }
        }
    }
    let mut topics: Vec<Topic> = topics.into_values().filter(|t| t.count > 1).collect();
    for words in inputs.words_before {
        for word in words {
            if let Some(t) = topics.iter_mut().find(|t| &t.word == word) {
                t.before += 1;
            }
        }
    }
    topics.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.cmp(&b.word)));
    topics.truncate(TOP_ROWS);

    let mut rows: Vec<Figures> =
        rows.into_iter().map(|(key, t)| t.finish(key.clone(), split_label(query.split, &key, names))).collect();
    rows.sort_by(|a, b| b.conversations.cmp(&a.conversations).then_with(|| a.key.cmp(&b.key)));
    let top = |table: BTreeMap<String, Demand>| {
        let mut list: Vec<Demand> = table.into_values().collect();
        list.sort_by(|a, b| b.conversations.cmp(&a.conversations).then_with(|| a.key.cmp(&b.key)));
        list.truncate(TOP_ROWS);
        list
    };
    Report {
        n: query.n,
        total: total.finish(String::new(), String::new()),
        buckets: buckets
            .into_iter()
            .enumerate()
            .map(|(i, t)| t.finish(span.bucket_key(i), span.bucket_key(i)))
            .collect(),
        rows,
        presence: presence(&query, span, inputs.presence, names, now_ms),
        topics,
        pages: top(pages),
        products: top(products),
        sources: top(sources),
        agents: named(&names.agents, query.agent.as_deref()),
        groups: named(&names.groups, None),
        plugins: named(&names.plugins, None),
        query,
    }
}

/// A table of names as a list by id (only `only`, when given).
fn named(table: &HashMap<String, String>, only: Option<&str>) -> Vec<Named> {
    let mut list: Vec<Named> = table
        .iter()
        .filter(|(id, _)| only.is_none_or(|o| o == id.as_str()))
        .map(|(id, name)| Named { id: id.clone(), name: name.clone() })
        .collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    list
}

/// Each agent's time online and away inside the span (up to `now_ms`), from its changes.
fn presence(
    query: &ReportQuery,
    span: &Span,
    changes: &[PresenceChange],
    names: &Names,
    now_ms: u64,
) -> Vec<AgentTime> {
    let (from, to) = (span.start_ms(), span.end_ms().min(now_ms));
    let mut by_agent: BTreeMap<&str, Vec<&PresenceChange>> = BTreeMap::new();
    for change in changes {
        if query.agent.as_ref().is_none_or(|a| *a == change.agent_id) {
            by_agent.entry(&change.agent_id).or_default().push(change);
        }
    }
    let mut out = Vec::new();
    for (agent, mut list) in by_agent {
        list.sort_by_key(|c| c.at_ms);
        let mut time = AgentTime {
            agent_id: agent.to_string(),
            name: names.agents.get(agent).cloned().unwrap_or_else(|| agent.to_string()),
            ..AgentTime::default()
        };
        for (i, change) in list.iter().enumerate() {
            let end = list.get(i + 1).map_or(to, |next| next.at_ms.min(to));
            let start = change.at_ms.max(from);
            let length = end.saturating_sub(start);
            match change.status.as_str() {
                "online" => time.online_ms += length,
                "away" => time.away_ms += length,
                _ => {}
            }
        }
        if time.online_ms + time.away_ms > 0 {
            out.push(time);
        }
    }
    out
}

#[cfg(test)]
mod tests;
