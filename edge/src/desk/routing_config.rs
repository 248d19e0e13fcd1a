//! The site's routing settings (wire shapes of `protocol`) turned into the routing core's config.

use protocol::{AcceptSetting, ConditionOn, ConditionSetting, SiteConfig, StrategySetting};
use routing::{
    AcceptMode, AgentConfig, BaseStrategy, Channel, Condition, DaySpan, EntryConfig, FieldFilter, FieldTest,
    GroupConfig, RoutingMode, Rule, ServiceHours, Strategy, Target,
};

use crate::error::{EdgeError, EdgeResult};

/// Converts and checks; every problem becomes one `bad_request` message.
pub fn to_routing(config: &SiteConfig) -> EdgeResult<routing::SiteConfig> {
    let settings = &config.routing;
    let fallback = settings
        .fallback_group
        .clone()
        .or_else(|| config.groups.first().map(|g| g.id.clone()))
        .unwrap_or_else(|| "default".into());
    let mut out = routing::SiteConfig::new(fallback.as_str());
    out.agents = config.agents.iter().map(|a| AgentConfig::new(a.id.as_str(), a.max_sessions.max(1))).collect();
    out.groups = if config.groups.is_empty() {
        // A site without groups: every agent serves the one default group.
        vec![GroupConfig::new(fallback.as_str(), config.agents.iter().map(|a| a.id.as_str().into()).collect())]
    } else {
        config
            .groups
            .iter()
            .map(|g| {
                let mut group = GroupConfig::new(g.id.as_str(), g.agents.iter().map(|a| a.as_str().into()).collect());
                group.strategy = strategy(g.strategy, g.fallback_strategy);
                group.accept = match g.accept {
                    AcceptSetting::Auto => AcceptMode::Auto,
                    AcceptSetting::Pending => AcceptMode::Pending,
                };
                if let Some(own) = &g.service_hours {
                    protocol::checks::check_group_hours(own)
                        .map_err(|(field, why)| EdgeError::BadRequest(format!("group {}: {field}: {why}", g.id)))?;
                }
                group.service_hours = g.service_hours.as_ref().map(service_hours).transpose().map_err(|e| match e {
                    EdgeError::BadRequest(why) => EdgeError::BadRequest(format!("group {}: {why}", g.id)),
                    other => other,
                })?;
                Ok(group)
            })
            .collect::<EdgeResult<_>>()?
    };
    out.entries = settings
        .entries
        .iter()
        .map(|e| {
            let target = match (&e.agent, &e.group) {
                (Some(agent), None) => Target::Agent(agent.as_str().into()),
                (None, Some(group)) => Target::Group(group.as_str().into()),
                _ => return Err(EdgeError::BadRequest(format!("entry {} needs exactly one of agent and group", e.id))),
            };
            Ok(EntryConfig { id: e.id.as_str().into(), target })
        })
        .collect::<EdgeResult<_>>()?;
    out.mode = if settings.visitor_picks_group.is_empty() {
        RoutingMode::Rules
    } else {
        RoutingMode::VisitorPicksGroup {
            groups: settings.visitor_picks_group.iter().map(|g| g.as_str().into()).collect(),
        }
    };
    protocol::checks::check_rules(config).map_err(|(_, why)| EdgeError::BadRequest(why))?;
    out.rules = settings
        .rules
        .iter()
        .map(|r| {
            // The rule's own field test first, then its further conditions, all (AND) or any (OR).
            let mut parts = Vec::new();
            let test = field_test(&r.equals, &r.contains, &r.one_of);
            match (&r.visitor_field, &r.pre_chat_field) {
                (Some(field), _) => parts.push(Condition::VisitorInfo(FieldFilter { field: field.clone(), test })),
                (None, Some(field)) => parts.push(Condition::PreChatForm(FieldFilter { field: field.clone(), test })),
                (None, None) => {}
            }
            parts.extend(r.conditions.iter().map(condition));
            let condition = all_or_any(parts, r.match_any);
            Rule {
                name: r.name.clone(),
                channels: r.channels.iter().map(|&c| channel(c)).collect(),
                plugins: r.plugins.clone(),
                condition,
                group: r.group.as_str().into(),
                welcome: r.welcome.clone(),
                promo: r.promo.clone(),
                verified_only: r.verified_only,
                max_sessions: r.max_sessions,
            }
        })
        .collect();
    let q = config.reply_quotas;
    out.quotas = routing::ReplyQuotas {
        enter: q.enter_replies,
        enter_window_ms: q.enter_window_secs * 1000,
        message: q.message_replies,
        message_window_ms: q.message_window_secs * 1000,
    };
    if let Some(hours) = &settings.service_hours {
        out.service_hours = service_hours(hours)?;
    }
    let p = &settings.prompts.texts;
    out.prompts.welcome = p.welcome.clone().or_else(|| out.prompts.welcome.take());
    for (value, slot) in [
        (&p.busy, &mut out.prompts.busy),
        (&p.offline, &mut out.prompts.offline),
        (&p.off_hours, &mut out.prompts.off_hours),
        (&p.failover, &mut out.prompts.failover),
    ] {
        if let Some(text) = value {
            slot.clone_from(text);
        }
    }
    if !settings.leave_message_fields.is_empty() {
        out.leave_message.fields = settings
            .leave_message_fields
            .iter()
            .map(|f| routing::FormField {
                name: f.name.clone(),
                required: f.required,
                label: f.label.clone().filter(|l| !l.trim().is_empty()),
            })
            .collect();
    }
    if let Some(intro) = &p.leave_message {
        out.leave_message.intro.clone_from(intro);
    }
    let bot = &config.bot;
    out.bot.enabled = bot.enabled;
    out.bot.greeting.clone_from(&bot.greeting);
    if !bot.transfer_keywords.is_empty() {
        out.bot.transfer_keywords.clone_from(&bot.transfer_keywords);
    }
    out.bot.auto_replies = bot
        .auto_replies
        .iter()
        .map(|r| routing::AutoReply { keyword: r.keyword.clone(), reply: r.reply.clone() })
        .collect();
    out.bot.fallback_reply.clone_from(&bot.fallback_reply);
    if let Some(minutes) = settings.idle_minutes {
        out.timeouts.idle_ms = minutes.max(1) * routing::MINUTE;
    }
    let problems = out.problems();
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(EdgeError::BadRequest(format!("routing: {}", problems.join("; "))))
    }
}

fn strategy(main: StrategySetting, fallback: StrategySetting) -> Strategy {
    let base = match fallback {
        StrategySetting::RoundRobin => BaseStrategy::RoundRobin,
        StrategySetting::IdleRate => BaseStrategy::IdleRate,
        _ => BaseStrategy::Load,
    };
    match main {
        StrategySetting::Load => Strategy::Load,
        StrategySetting::RoundRobin => Strategy::RoundRobin,
        StrategySetting::IdleRate => Strategy::IdleRate,
        StrategySetting::CustomerOwner => Strategy::CustomerOwner { otherwise: base },
        StrategySetting::ContactOwner => Strategy::ContactOwner { otherwise: base },
    }
}

/// The wire's channel as the routing core's.
pub fn channel(channel: protocol::Channel) -> Channel {
    match channel {
        protocol::Channel::Web => Channel::Web,
        protocol::Channel::MobileWeb => Channel::MobileWeb,
        protocol::Channel::App => Channel::App,
        protocol::Channel::MiniProgram => Channel::MiniProgram,
    }
}

fn service_hours(hours: &protocol::ServiceHoursSetting) -> EdgeResult<ServiceHours> {
    protocol::checks::check_service_hours(hours)
        .map_err(|(field, why)| EdgeError::BadRequest(format!("{field}: {why}")))?;
    Ok(ServiceHours { utc_offset_minutes: hours.utc_offset_minutes, weekly: Some(weekly_spans(&hours.weekly)) })
}

/// The week's open spans, Monday first. A span that crosses midnight (`22:00-02:00` on Friday) is
/// open until midnight that day and from midnight the next (Sunday's goes on into Monday).
fn weekly_spans(days: &[Vec<String>]) -> [Vec<DaySpan>; 7] {
    let mut weekly: [Vec<DaySpan>; 7] = Default::default();
    let hm = |minute: u16| (minute / 60, minute % 60);
    for (day, spans) in days.iter().enumerate().take(7) {
        for (start, end) in spans.iter().filter_map(|s| protocol::checks::parse_span(s)) {
            if start < end {
                weekly[day].push(DaySpan::new(hm(start), hm(end)));
            } else {
                weekly[day].push(DaySpan::new(hm(start), (24, 0)));
                if end > 0 {
                    weekly[(day + 1) % 7].push(DaySpan::new((0, 0), hm(end)));
                }
            }
        }
    }
    weekly
}

/// The site's session groups (会话分组) as the routing crate matches them.
pub fn session_groups(settings: &SiteConfig) -> Vec<routing::SessionGroup> {
    settings
        .workbench
        .session_groups
        .iter()
        .map(|g| routing::SessionGroup {
            id: g.id.clone(),
            channels: g.channels.iter().map(|&c| channel(c)).collect(),
            plugins: g.plugins.clone(),
            verified_only: g.verified_only,
            condition: all_or_any(g.conditions.iter().map(condition).collect(), g.match_any),
        })
        .collect()
}

/// Conditions joined: none is every visitor, one is itself, more are all (AND) or any (OR).
fn all_or_any(mut parts: Vec<Condition>, any: bool) -> Condition {
    match (parts.len(), any) {
        (0, _) => Condition::AllVisitors,
        (1, _) => parts.remove(0),
        (_, false) => Condition::All(parts),
        (_, true) => Condition::Any(parts),
    }
}

/// A test as the routing core compares (checked by `protocol::checks::check_rules`: one at most).
fn field_test(equals: &Option<String>, contains: &Option<String>, one_of: &[String]) -> FieldTest {
    match (equals, contains) {
        (Some(value), _) => FieldTest::Equals(value.clone()),
        (None, Some(part)) => FieldTest::Contains(part.clone()),
        (None, None) if !one_of.is_empty() => FieldTest::OneOf(one_of.to_vec()),
        (None, None) => FieldTest::Present,
    }
}

/// One further condition of a rule.
fn condition(c: &ConditionSetting) -> Condition {
    let test = field_test(&c.equals, &c.contains, &c.one_of);
    let field = c.field.as_deref().unwrap_or_default().trim().to_string();
    match c.on {
        ConditionOn::Visitor => Condition::VisitorInfo(FieldFilter { field, test }),
        ConditionOn::PreChat => Condition::PreChatForm(FieldFilter { field, test }),
        ConditionOn::PageUrl => Condition::PageUrl(test),
        ConditionOn::Place => Condition::Place(FieldFilter { field, test }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(friday: &[&str], sunday: &[&str]) -> Vec<Vec<String>> {
        let mut days = vec![Vec::new(); 7];
        days[4] = friday.iter().map(|s| s.to_string()).collect();
        days[6] = sunday.iter().map(|s| s.to_string()).collect();
        days
    }

    #[test]
    fn a_span_across_midnight_opens_the_evening_and_the_next_morning() {
        let weekly = weekly_spans(&week(&["09:00-12:00", "22:00-02:00"], &["20:00-01:30"]));
        assert_eq!(weekly[4], [DaySpan::new((9, 0), (12, 0)), DaySpan::new((22, 0), (24, 0))]);
        assert_eq!(weekly[5], [DaySpan::new((0, 0), (2, 0))], "Saturday morning");
        assert_eq!(weekly[6], [DaySpan::new((20, 0), (24, 0))]);
        assert_eq!(weekly[0], [DaySpan::new((0, 0), (1, 30))], "Sunday's runs into Monday");
        let until_midnight = weekly_spans(&week(&["18:00-24:00", "20:00-00:00"], &[]));
        assert_eq!(until_midnight[4], [DaySpan::new((18, 0), (24, 0)), DaySpan::new((20, 0), (24, 0))]);
        assert!(until_midnight[5].is_empty(), "ending at midnight opens nothing the next day");
    }

    #[test]
    fn malformed_hours_are_refused_with_the_day() {
        let hours = |weekly: Vec<Vec<String>>| protocol::ServiceHoursSetting { utc_offset_minutes: 480, weekly };
        assert!(service_hours(&hours(week(&["09:00-18:00"], &[]))).is_ok());
        for bad in ["9-18", "09:00-09:00", "25:00-26:00", "09:60-10:00", "24:00-01:00"] {
            assert!(service_hours(&hours(week(&[bad], &[]))).is_err(), "{bad}");
        }
        assert!(service_hours(&hours(vec![Vec::new(); 6])).is_err(), "six days");
    }

    #[test]
    fn a_session_group_takes_the_visitors_its_settings_describe() {
        use super::super::profile::StoredProfile;
        let cond = |field: &str, equals: &str| ConditionSetting {
            on: ConditionOn::Visitor,
            field: Some(field.into()),
            equals: Some(equals.into()),
            ..ConditionSetting::default()
        };
        let mut site = SiteConfig::default();
        site.workbench.session_groups = vec![
            protocol::SessionGroupSetting {
                id: "big".into(),
                name: "大客户".into(),
                conditions: vec![cond("level", "gold"), cond("vip", "true")],
                match_any: true,
                ..protocol::SessionGroupSetting::default()
            },
            protocol::SessionGroupSetting {
                id: "mp".into(),
                name: "小程序".into(),
                channels: vec![protocol::Channel::MiniProgram],
                verified_only: true,
                ..protocol::SessionGroupSetting::default()
            },
        ];
        let groups = session_groups(&site);
        let profile = StoredProfile {
            custom_fields: [("vip".to_string(), "true".to_string())].into(),
            channel: protocol::Channel::MiniProgram,
            ..StoredProfile::default()
        };
        let mut facts = profile.facts("c1");
        assert_eq!(routing::session_groups_of(&groups, &facts), ["big"], "OR: vip alone is enough");
        facts.verified = true;
        assert_eq!(routing::session_groups_of(&groups, &facts), ["big", "mp"]);
    }
}
