//! The 报表 page's shapes: what a manager (or an agent, for himself) asks ([`ReportQuery`], the body
//! of `POST /api/v1/sites/{site}/reports` with the agent's token) and the figures the Desk computes
//! from its stored conversations, messages and presence changes ([`Report`]), plus the calendar
//! arithmetic both sides need to name a day.

use serde::{Deserialize, Serialize};

use crate::Channel;

/// Most days one report covers.
pub const MAX_REPORT_DAYS: u32 = 92;

/// Most hours an hourly report covers (an hourly report is for a few days).
pub const MAX_REPORT_HOURS: u32 = 24 * 7;

/// Most rows of a top list (hot questions, pages, products, sources).
pub const TOP_ROWS: usize = 20;

/// Most conversation ids a hot question lists.
pub const TOPIC_CONVERSATIONS: usize = 50;

/// What the report rows are split by, next to the time buckets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// By the agent who served the conversation last.
    #[default]
    Agent,
    /// By the group that served it last.
    Group,
    /// By channel (web, mobile web, mini-program).
    Channel,
    /// By web plugin.
    Plugin,
}

/// What a report covers: a range of days (site time), per day or per hour, split by one dimension,
/// and narrowed by any of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` in the site's time zone.
    pub from: String,
    /// Last day (included).
    pub to: String,
    /// Per hour instead of per day.
    pub hourly: bool,
    /// The rows next to the time buckets.
    pub split: Split,
    /// Only this group's conversations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Only this agent's (an agent who is not an admin always gets his own only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Only this channel's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Only this web plugin's (its id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The console's number for this ask, sent back with its report (a newer ask wins).
    pub n: u32,
}

/// The figures of one bucket (a day, an hour) or one row (an agent, a group...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Figures {
    /// What the row is: `2026-10-03`, `2026-10-03 14:00`, an agent's or group's name, a channel.
    pub label: String,
    /// Its key: the day, the hour, the agent's or group's id (`""`: none).
    pub key: String,
    /// Conversations opened (a visitor's first message, or the first after it was closed).
    pub conversations: u32,
    /// Of them, served by an agent.
    pub served: u32,
    /// Median time from an agent getting it to his first reply (ms).
    pub first_response_median_ms: Option<u64>,
    /// 90th percentile of the same.
    pub first_response_p90_ms: Option<u64>,
    /// Mean time from an agent getting it to its end, over those that ended (ms).
    pub handling_mean_ms: Option<u64>,
    /// Messages of visitors and agents in them (prompts not counted).
    pub messages: u32,
    /// Waited for an agent and ended without one.
    pub missed: u32,
    /// Left messages.
    pub left_messages: u32,
    /// Transfers.
    pub transfers: u32,
    /// Ratings received, by score: `[1★, 2★, 3★, 4★, 5★]`.
    pub ratings: [u32; 5],
    /// Conversations of identified (verified) visitors.
    pub identified: u32,
}

impl Figures {
    /// How many ratings.
    pub fn rated(&self) -> u32 {
        self.ratings.iter().sum()
    }

    /// The mean score, in hundredths (`450` = 4.5 ★).
    pub fn rating_mean_x100(&self) -> Option<u32> {
        let n = self.rated();
        let total: u32 = self.ratings.iter().zip(1..).map(|(count, score)| count * score).sum();
        (n > 0).then(|| (total * 100 + n / 2) / n)
    }

    /// Messages per conversation, in hundredths.
    pub fn messages_per_conversation_x100(&self) -> Option<u32> {
        (self.conversations > 0).then(|| (self.messages * 100 + self.conversations / 2) / self.conversations)
    }
}

/// An agent's time online and away in the range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentTime {
    /// Agent id.
    pub agent_id: String,
    /// Display name.
    pub name: String,
    /// Time online (ms).
    pub online_ms: u64,
    /// Time away (ms).
    pub away_ms: u64,
}

/// A frequent topic of visitors' first messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Topic {
    /// The word.
    pub word: String,
    /// Conversations whose first message has it, in the range.
    pub count: u32,
    /// The same in the range of equal length just before (the trend).
    pub before: u32,
    /// Those conversations (newest first, at most [`TOPIC_CONVERSATIONS`]).
    pub conversations: Vec<String>,
}

/// Conversations by what the visitor came for or from: a page, a product, a source and campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Demand {
    /// The page's path, the product, or `source / campaign`.
    pub key: String,
    /// Conversations opened.
    pub conversations: u32,
    /// Left messages.
    pub left_messages: u32,
    /// Ratings by score.
    pub ratings: [u32; 5],
    /// Conversations of identified (verified) visitors.
    pub identified: u32,
}

/// An agent, group or plugin by id, with its name (for the page's filters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Named {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A report: the whole range, each bucket, each row of the split, and the top lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    /// The ask's number.
    pub n: u32,
    /// The query as the Desk read it (an agent's own `agent` filled in).
    pub query: ReportQuery,
    /// The whole range.
    pub total: Figures,
    /// Each day or hour of the range, in order (empty ones included).
    pub buckets: Vec<Figures>,
    /// Each agent, group, channel or plugin with conversations, most conversations first.
    pub rows: Vec<Figures>,
    /// Agents' online and away time, by agent.
    pub presence: Vec<AgentTime>,
    /// Hot questions: the most frequent words of visitors' first messages.
    pub topics: Vec<Topic>,
    /// Conversations by the page they started on (its path).
    pub pages: Vec<Demand>,
    /// Conversations by product (the page's `product` custom field).
    pub products: Vec<Demand>,
    /// Conversations by where the visit came from (`utm_source`, else the referrer's host, else
    /// `direct`) and campaign (`utm_campaign`).
    pub sources: Vec<Demand>,
    /// The agents the asker may filter by (an agent: himself).
    pub agents: Vec<Named>,
    /// The site's groups.
    pub groups: Vec<Named>,
    /// The site's web plugins.
    pub plugins: Vec<Named>,
}

/// Checks a query's days as the Desk does (the 报表 page checks them before it asks): the first
/// day and how many days, or what is wrong with them.
pub fn check_span(query: &ReportQuery) -> Result<(i64, u32), String> {
    let from = parse_day(&query.from).ok_or("from: a day is YYYY-MM-DD")?;
    let to = parse_day(&query.to).ok_or("to: a day is YYYY-MM-DD")?;
    if to < from {
        return Err("to is before from".into());
    }
    let days = u32::try_from(to - from + 1).unwrap_or(u32::MAX);
    if days > MAX_REPORT_DAYS {
        return Err(format!("a report covers at most {MAX_REPORT_DAYS} days"));
    }
    if query.hourly && days * 24 > MAX_REPORT_HOURS {
        return Err(format!("an hourly report covers at most {} days", MAX_REPORT_HOURS / 24));
    }
    Ok((from, days))
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (days since 1970-01-01).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if month <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, month, day)
}

/// Reads `YYYY-MM-DD` as a day number; `None` for anything else (or a date that does not exist).
pub fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (year, month, day) = (y.parse::<i64>().ok()?, m.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
    if !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let n = days_from_civil(year, month, day);
    (civil_from_days(n) == (year, month, day)).then_some(n)
}

/// Writes a day number as `YYYY-MM-DD`.
pub fn day_label(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A duration as people read it in a report: `45秒`, `3分12秒`, `1时05分` (or `45s`, `3m 12s`,
/// `1h 05m`).
pub fn duration_text(ms: u64, chinese: bool) -> String {
    let secs = (ms + 500) / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (chinese, h, m) {
        (true, 0, 0) => format!("{s}秒"),
        (true, 0, _) => format!("{m}分{s:02}秒"),
        (true, _, _) => format!("{h}时{m:02}分"),
        (false, 0, 0) => format!("{s}s"),
        (false, 0, _) => format!("{m}m {s:02}s"),
        (false, _, _) => format!("{h}h {m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_bad_dates_are_refused() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(parse_day("2026-10-01"), Some(20_727));
        assert_eq!(day_label(20_727), "2026-10-01");
        assert_eq!(parse_day("2024-02-29").map(day_label).as_deref(), Some("2024-02-29"));
        for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "20261001", "", "2026-10-01-01", "２０２６-10-01"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        for n in [-800_000, -1, 0, 59, 60, 20_000, 1_000_000] {
            let (y, m, d) = civil_from_days(n);
            assert_eq!(days_from_civil(y, m, d), n);
        }
    }

    #[test]
    fn figures_means_round_to_hundredths() {
        let f = Figures { conversations: 3, messages: 10, ratings: [0, 0, 1, 0, 2], ..Figures::default() };
        assert_eq!(f.rated(), 3);
        assert_eq!(f.rating_mean_x100(), Some(433));
        assert_eq!(f.messages_per_conversation_x100(), Some(333));
        assert_eq!(Figures::default().rating_mean_x100(), None);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_text(45_400, true), "45秒");
        assert_eq!(duration_text(192_000, true), "3分12秒");
        assert_eq!(duration_text(3_900_000, true), "1时05分");
        assert_eq!(duration_text(192_000, false), "3m 12s");
    }
}
