//! The site's routing settings (wire shapes of `protocol`) turned into the routing core's config.

use protocol::{AcceptSetting, SiteConfig, StrategySetting};
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
                group
            })
            .collect()
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
    out.rules = settings
        .rules
        .iter()
        .map(|r| {
            let test = match (&r.equals, &r.contains, r.one_of.is_empty()) {
                (None, None, true) => FieldTest::Present,
                (Some(value), None, true) => FieldTest::Equals(value.clone()),
                (None, Some(part), true) => FieldTest::Contains(part.clone()),
                (None, None, false) => FieldTest::OneOf(r.one_of.clone()),
                _ => {
                    return Err(EdgeError::BadRequest(format!(
                        "rule {}: one test at a time (equals, contains or one_of)",
                        r.name
                    )))
                }
            };
            let condition = match (&r.visitor_field, &r.pre_chat_field) {
                (None, None) => Condition::AllVisitors,
                (Some(field), None) => Condition::VisitorInfo(FieldFilter { field: field.clone(), test }),
                (None, Some(field)) => Condition::PreChatForm(FieldFilter { field: field.clone(), test }),
                _ => return Err(EdgeError::BadRequest(format!("rule {} tests one field, not two", r.name))),
            };
            let channels = r.channels.iter().map(|&c| channel(c)).collect();
            Ok(Rule {
                name: r.name.clone(),
                channels,
                plugins: r.plugins.clone(),
                condition,
                group: r.group.as_str().into(),
                welcome: r.welcome.clone(),
                promo: r.promo.clone(),
            })
        })
        .collect::<EdgeResult<_>>()?;
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
    if hours.weekly.len() != 7 {
        return Err(EdgeError::BadRequest("service_hours.weekly needs 7 days, Monday first".into()));
    }
    let mut weekly: [Vec<DaySpan>; 7] = Default::default();
    for (day, spans) in weekly.iter_mut().zip(&hours.weekly) {
        for span in spans {
            day.push(day_span(span)?);
        }
    }
    Ok(ServiceHours { utc_offset_minutes: hours.utc_offset_minutes, weekly: Some(weekly) })
}

fn day_span(text: &str) -> EdgeResult<DaySpan> {
    let bad = || EdgeError::BadRequest(format!("service hours span {text:?} is not HH:MM-HH:MM"));
    let (start, end) = text.split_once('-').ok_or_else(bad)?;
    let minute = |hm: &str| -> EdgeResult<(u16, u16)> {
        let (h, m) = hm.trim().split_once(':').ok_or_else(bad)?;
        let (h, m) = (h.parse::<u16>().map_err(|_| bad())?, m.parse::<u16>().map_err(|_| bad())?);
        if m >= 60 || h > 24 || (h == 24 && m > 0) {
            return Err(bad());
        }
        Ok((h, m))
    };
    let span = DaySpan::new(minute(start)?, minute(end)?);
    if span.start_minute >= span.end_minute {
        return Err(bad());
    }
    Ok(span)
}
