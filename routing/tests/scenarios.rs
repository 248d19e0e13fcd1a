//! Data-driven scenario tests: each `tests/scenarios/*.txt` file is one topic, read and run here.
//!
//! Format (one line each; `#` starts a comment line):
//!
//! ```text
//! scenario: round robin gives the next agent after the last assigned
//! agents a1,a2 max=2                      <- config directives until the first event
//! group sales members=a1,a2 strategy=round-robin
//! @0 login a1                              <- @time event (time since Monday 2024-01-01 00:00 UTC)
//! @10s open c1                             <- `@+5s` is relative, `@tue 09:00` a UTC weekday time
//! > assigned c1 a1 via=round-robin         <- exactly the commands the event returns, in order
//! ? queue sales = c2 c3                    <- a query on the desk after the event
//! ```
//!
//! Config directives: `agent(s) a1,a2 max=N`, `group g members=a1,a2 strategy=load|round-robin|
//! idle-rate|customer-owner[/fallback]|contact-owner[/fallback] accept=auto|pending`, `fallback g`,
//! `entry e agent=a|group=g`, `mode pick g1,g2`, `rule name group=g [channels=web,mini] [plugins=p1,p2]`
//! [info:k=v | info:k~=v | form:k=v | form:k~=v] [welcome=".."] [promo=".."]`,
//! `hours offset=+08:00 weekdays|daily|mon..sun=09:00-18:00[,..]`, `prompt busy=".." ..`,
//! `bot on|off [greeting=".."] [fallback=".."]`, `bot-keywords a,b`, `bot-reply kw="reply"`,
//! `form name,phone*` (`*` = required), `idle 30m`, `expiry 48h`, `show persist|alarms`.
//! Events: `open c [entry= group= channel= plugin= owner= contact= info:k= form:k=]`, `enter c`,
//! `visitor c "text"`, `reply a c "text"`, `login|logout|online|away|offline a`, `accept a c`,
//! `transfer a c agent=b|group=g`, `close c [by=a|system]`, `leave c k=v..`, `pickup a c`,
//! `tick`, `config <directive>` / `config remove <directive>`, `restore`.
//!
//! An event with no `>` lines must return no commands. Storage writes (`Persist`) and alarms
//! are hidden unless the scenario says `show persist` / `show alarms`, but after every event the
//! runner checks that the persisted records add up to the desk's snapshot, and that the desk's
//! invariants hold ([`Desk::audit`]). `@t restore` rebuilds the desk from those records.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use routing::*;

/// Monday 2024-01-01 00:00:00 UTC: time zero of every scenario.
const EPOCH: u64 = 1_704_067_200_000;

macro_rules! topic {
    ($name:ident) => {
        #[test]
        fn $name() {
            run_file(stringify!($name));
        }
    };
}

topic!(entry_and_rules);
topic!(strategies);
topic!(agents_and_accept);
topic!(queue_and_unavailable);
topic!(service_hours);
topic!(idle_and_reaccept);
topic!(bot);
topic!(mini_program_quota);
topic!(stats);
topic!(config_and_restore);

fn run_file(topic: &str) {
    let path = format!("{}/tests/scenarios/{topic}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the scenario file exists");
    let mut failures = Vec::new();
    let mut count = 0;
    for scenario in split_scenarios(&text) {
        count += 1;
        if let Err(e) = run_scenario(&scenario) {
            failures.push(format!("{path}:{} scenario `{}`:\n{e}", scenario.line, scenario.name));
        }
    }
    assert!(count > 0, "{path} has no scenario");
    assert!(failures.is_empty(), "{} of {count} scenarios failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

struct Scenario {
    name: String,
    line: usize,
    lines: Vec<(usize, String)>,
}

fn split_scenarios(text: &str) -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("scenario:") {
            out.push(Scenario { name: name.trim().to_owned(), line: i + 1, lines: Vec::new() });
        } else if let Some(s) = out.last_mut() {
            s.lines.push((i + 1, line.to_owned()));
        } else {
            panic!("line {}: text before the first `scenario:`", i + 1);
        }
    }
    out
}

/// Splits on spaces, keeping `"quoted text"` (quotes removed) together, also inside `key="..."`.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn key_value(token: &str) -> Option<(&str, &str)> {
    token.split_once('=')
}

fn list(s: &str) -> Vec<String> {
    s.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

// ----- time -----

fn parse_duration(s: &str) -> Result<u64, String> {
    if s == "0" {
        return Ok(0);
    }
    let mut total = 0u64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| format!("bad duration `{s}`"))?;
        num.clear();
        let unit = match c {
            'w' => 7 * DAY,
            'd' => DAY,
            'h' => HOUR,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            'm' => MINUTE,
            's' => SECOND,
            _ => return Err(format!("bad duration unit in `{s}`")),
        };
        total += n * unit;
    }
    if !num.is_empty() {
        return Err(format!("duration `{s}` lacks a unit"));
    }
    Ok(total)
}

fn render_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, name) in [(HOUR, "h"), (MINUTE, "m"), (SECOND, "s"), (1, "ms")] {
        if rest >= unit {
            write!(out, "{}{name}", rest / unit).expect("writing to a string");
            rest %= unit;
        }
    }
    out
}

fn render_at(at: Millis) -> String {
    format!("@{}", render_duration(at.0.saturating_sub(EPOCH)))
}

/// `0`, `10s`, `+5s` (relative), `mon 09:00` / `tue 09:00:30` (UTC, first week).
fn parse_time(spec: &str, previous: u64) -> Result<u64, String> {
    if let Some(rel) = spec.strip_prefix('+') {
        return Ok(previous + parse_duration(rel)?);
    }
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    if let Some((day, clock)) = spec.split_once(' ') {
        let d = days.iter().position(|x| *x == day).ok_or(format!("bad day `{day}`"))? as u64;
        let parts: Vec<u64> = clock
            .split(':')
            .map(|p| p.parse().map_err(|_| format!("bad clock `{clock}`")))
            .collect::<Result<_, _>>()?;
        let (h, m, s) = (parts[0], parts.get(1).copied().unwrap_or(0), parts.get(2).copied().unwrap_or(0));
        return Ok(EPOCH + d * DAY + h * HOUR + m * MINUTE + s * SECOND);
    }
    Ok(EPOCH + parse_duration(spec)?)
}

// ----- config -----

fn directive_key(t: &[String]) -> String {
    let first = t.get(1).map(|s| s.split('=').next().unwrap_or("").to_owned()).unwrap_or_default();
    match t[0].as_str() {
        "agent" | "group" | "entry" | "rule" | "prompt" | "bot-reply" => {
            format!("{} {first}", t[0])
        }
        other => other.to_owned(),
    }
}

fn parse_strategy(s: &str) -> Result<Strategy, String> {
    let base = |s: &str| match s {
        "load" => Ok(BaseStrategy::Load),
        "round-robin" => Ok(BaseStrategy::RoundRobin),
        "idle-rate" => Ok(BaseStrategy::IdleRate),
        _ => Err(format!("bad strategy `{s}`")),
    };
    let (head, otherwise) = s.split_once('/').unwrap_or((s, "load"));
    Ok(match head {
        "customer-owner" => Strategy::CustomerOwner { otherwise: base(otherwise)? },
        "contact-owner" => Strategy::ContactOwner { otherwise: base(otherwise)? },
        other => match base(other)? {
            BaseStrategy::Load => Strategy::Load,
            BaseStrategy::RoundRobin => Strategy::RoundRobin,
            BaseStrategy::IdleRate => Strategy::IdleRate,
        },
    })
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    Ok(match s {
        "web" => Channel::Web,
        "mobile" => Channel::MobileWeb,
        "app" => Channel::App,
        "mini" => Channel::MiniProgram,
        _ => return Err(format!("bad channel `{s}`")),
    })
}

fn parse_clock(s: &str) -> Result<(u16, u16), String> {
    let (h, m) = s.split_once(':').ok_or(format!("bad clock `{s}`"))?;
    Ok((h.parse().map_err(|_| format!("bad hour `{h}`"))?, m.parse().map_err(|_| format!("bad minute `{m}`"))?))
}

fn parse_filter(key: &str, value: &str) -> FieldFilter {
    match key.strip_suffix('~') {
        Some(field) => FieldFilter { field: field.to_owned(), test: FieldTest::Contains(value.to_owned()) },
        None => FieldFilter { field: key.to_owned(), test: FieldTest::Equals(value.to_owned()) },
    }
}

struct Built {
    config: SiteConfig,
    show_persist: bool,
    show_alarms: bool,
}

fn build_config(directives: &[Vec<String>]) -> Result<Built, String> {
    let mut c = SiteConfig::new("default");
    c.groups.clear();
    c.prompts = Prompts {
        welcome: None,
        busy: "busy".into(),
        offline: "offline".into(),
        off_hours: "closed".into(),
        failover: "failover".into(),
    };
    c.leave_message = LeaveMessageForm {
        intro: "leave a message".into(),
        fields: vec![FormField::new("name", false), FormField::new("phone", true)],
    };
    let mut fallback: Option<GroupId> = None;
    let mut built = Built { config: c, show_persist: false, show_alarms: false };
    let c = &mut built.config;
    for t in directives {
        let args = &t[1..];
        let opts: BTreeMap<&str, &str> = args.iter().filter_map(|a| key_value(a)).collect();
        match t[0].as_str() {
            "agent" | "agents" => {
                let max = opts.get("max").map_or(Ok(3), |m| m.parse()).map_err(|_| "bad max")?;
                for id in list(&args[0]) {
                    c.agents.push(AgentConfig::new(id, max));
                }
            }
            "group" => {
                let mut g = GroupConfig::new(
                    args[0].as_str(),
                    list(opts.get("members").copied().unwrap_or("")).into_iter().map(AgentId::from).collect(),
                );
                if let Some(s) = opts.get("strategy") {
                    g.strategy = parse_strategy(s)?;
                }
                if let Some(a) = opts.get("accept") {
                    g.accept = if *a == "pending" { AcceptMode::Pending } else { AcceptMode::Auto };
                }
                c.groups.push(g);
            }
            "fallback" => fallback = Some(GroupId::from(args[0].as_str())),
            "entry" => {
                let target = if let Some(a) = opts.get("agent") {
                    Target::Agent(AgentId::from(*a))
                } else {
                    Target::Group(GroupId::from(*opts.get("group").ok_or("entry needs agent= or group=")?))
                };
                c.entries.push(EntryConfig { id: EntryId::from(args[0].as_str()), target });
            }
            "mode" => {
                c.mode = match args[0].as_str() {
                    "rules" => RoutingMode::Rules,
                    "pick" => RoutingMode::VisitorPicksGroup {
                        groups: list(&args[1]).into_iter().map(GroupId::from).collect(),
                    },
                    m => return Err(format!("bad mode `{m}`")),
                }
            }
            "rule" => {
                let mut condition = Condition::AllVisitors;
                for a in args {
                    if let Some((k, v)) = key_value(a) {
                        if let Some(f) = k.strip_prefix("info:") {
                            condition = Condition::VisitorInfo(parse_filter(f, v));
                        } else if let Some(f) = k.strip_prefix("form:") {
                            condition = Condition::PreChatForm(parse_filter(f, v));
                        }
                    }
                }
                c.rules.push(Rule {
                    name: args[0].clone(),
                    channels: opts
                        .get("channels")
                        .map(|l| list(l).iter().map(|x| parse_channel(x)).collect::<Result<_, _>>())
                        .transpose()?
                        .unwrap_or_default(),
                    plugins: opts
                        .get("plugins")
                        .map(|l| list(l).iter().map(|x| (*x).to_owned()).collect())
                        .unwrap_or_default(),
                    condition,
                    group: GroupId::from(*opts.get("group").ok_or("rule needs group=")?),
                    welcome: opts.get("welcome").map(|s| (*s).to_owned()),
                    promo: opts.get("promo").map(|s| (*s).to_owned()),
                    verified_only: opts.get("verified").is_some_and(|v| *v == "only"),
                    max_sessions: opts.get("max").map(|m| m.parse()).transpose().map_err(|_| "bad max")?,
                });
            }
            "hours" => {
                let mut weekly: [Vec<DaySpan>; 7] = Default::default();
                let mut offset = 0i32;
                let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
                for (k, v) in &opts {
                    if *k == "offset" {
                        let sign = if v.starts_with('-') { -1 } else { 1 };
                        let (h, m) = parse_clock(v.trim_start_matches(['+', '-']))?;
                        offset = sign * (i32::from(h) * 60 + i32::from(m));
                        continue;
                    }
                    let which: Vec<usize> = match *k {
                        "weekdays" => (0..5).collect(),
                        "daily" => (0..7).collect(),
                        d => vec![days.iter().position(|x| *x == d).ok_or(format!("bad day `{d}`"))?],
                    };
                    for span in list(v) {
                        let (a, b) = span.split_once('-').ok_or(format!("bad span `{span}`"))?;
                        let s = DaySpan::new(parse_clock(a)?, parse_clock(b)?);
                        for &d in &which {
                            weekly[d].push(s);
                        }
                    }
                }
                c.service_hours = ServiceHours { utc_offset_minutes: offset, weekly: Some(weekly) };
            }
            "prompt" => {
                for (k, v) in &opts {
                    let v = (*v).to_owned();
                    match *k {
                        "welcome" => c.prompts.welcome = Some(v),
                        "busy" => c.prompts.busy = v,
                        "offline" => c.prompts.offline = v,
                        "off-hours" => c.prompts.off_hours = v,
                        "failover" => c.prompts.failover = v,
                        other => return Err(format!("bad prompt `{other}`")),
                    }
                }
            }
            "bot" => {
                c.bot.enabled = args[0] == "on";
                c.bot.greeting = opts.get("greeting").map(|s| (*s).to_owned());
                c.bot.fallback_reply = opts.get("fallback").map(|s| (*s).to_owned());
            }
            "bot-keywords" => c.bot.transfer_keywords = list(&args[0]),
            "bot-reply" => {
                let (k, v) = key_value(&args[0]).ok_or("bot-reply needs keyword=reply")?;
                c.bot.auto_replies.push(AutoReply { keyword: k.to_owned(), reply: v.to_owned() });
            }
            "form" => {
                c.leave_message.fields = list(&args[0])
                    .into_iter()
                    .map(|f| match f.strip_suffix('*') {
                        Some(n) => FormField::new(n, true),
                        None => FormField::new(f, false),
                    })
                    .collect();
            }
            "idle" => c.timeouts.idle_ms = parse_duration(&args[0])?,
            "expiry" => c.timeouts.bot_expiry_ms = parse_duration(&args[0])?,
            "quota" => {
                if let Some(n) = opts.get("enter") {
                    c.quotas.enter = n.parse().map_err(|_| "bad enter quota")?;
                }
                if let Some(n) = opts.get("message") {
                    c.quotas.message = n.parse().map_err(|_| "bad message quota")?;
                }
            }
            "show" => match args[0].as_str() {
                "persist" => built.show_persist = true,
                "alarms" => built.show_alarms = true,
                s => return Err(format!("bad show `{s}`")),
            },
            other => return Err(format!("unknown directive `{other}`")),
        }
    }
    let c = &mut built.config;
    c.fallback_group =
        fallback.or_else(|| c.groups.first().map(|g| g.id.clone())).unwrap_or_else(|| GroupId::from("default"));
    if c.groups.is_empty() {
        c.groups.push(GroupConfig::new("default", c.agents.iter().map(|a| a.id.clone()).collect()));
    }
    Ok(built)
}

// ----- events -----

fn parse_event(t: &[String], directives: &mut Vec<Vec<String>>) -> Result<Option<Event>, String> {
    let arg = |i: usize| t.get(i).cloned().ok_or(format!("`{}` needs more arguments", t[0]));
    let opts: BTreeMap<&str, &str> = t[1..].iter().filter_map(|a| key_value(a)).collect();
    let conv = |i: usize| arg(i).map(ConvId::from);
    let agent = |i: usize| arg(i).map(AgentId::from);
    Ok(Some(match t[0].as_str() {
        "open" => {
            let mut req = NewConversation::new(conv(1)?);
            for (k, v) in &opts {
                match *k {
                    "entry" => req.entry = Some(EntryId::from(*v)),
                    "channel" => req.channel = parse_channel(v)?,
                    "plugin" => req.plugin = Some((*v).to_owned()),
                    "group" => req.chosen_group = Some(GroupId::from(*v)),
                    "owner" => req.customer_owner = Some(AgentId::from(*v)),
                    "contact" => req.contact_owner = Some(AgentId::from(*v)),
                    "verified" => req.verified = *v == "yes",
                    k if k.starts_with("info:") => {
                        req.info.insert(k["info:".len()..].to_owned(), (*v).to_owned());
                    }
                    k if k.starts_with("form:") => {
                        req.pre_chat.insert(k["form:".len()..].to_owned(), (*v).to_owned());
                    }
                    other => return Err(format!("bad open option `{other}`")),
                }
            }
            Event::Open(req)
        }
        "enter" => Event::VisitorEntered { conv: conv(1)? },
        "visitor" => Event::VisitorMessage { conv: conv(1)?, text: arg(2).unwrap_or_default() },
        "reply" => Event::AgentMessage { agent: agent(1)?, conv: conv(2)?, text: arg(3).unwrap_or_default() },
        "login" => Event::AgentLogin { agent: agent(1)? },
        "logout" => Event::AgentLogout { agent: agent(1)? },
        "online" => Event::AgentStatus { agent: agent(1)?, status: AgentStatus::Online },
        "away" => Event::AgentStatus { agent: agent(1)?, status: AgentStatus::Away },
        "offline" => Event::AgentStatus { agent: agent(1)?, status: AgentStatus::Offline },
        "accept" => Event::Accept { agent: agent(1)?, conv: conv(2)? },
        "pickup" => Event::BotPickUp { agent: agent(1)?, conv: conv(2)? },
        "transfer" => {
            let to = match (opts.get("agent"), opts.get("group")) {
                (Some(a), _) => Target::Agent(AgentId::from(*a)),
                (None, Some(g)) => Target::Group(GroupId::from(*g)),
                _ => return Err("transfer needs agent= or group=".into()),
            };
            Event::Transfer { agent: agent(1)?, conv: conv(2)?, to }
        }
        "close" => {
            let by = match opts.get("by").copied() {
                None | Some("visitor") => Closer::Visitor,
                Some("system") => Closer::System,
                Some(a) => Closer::Agent(AgentId::from(a)),
            };
            Event::Close { conv: conv(1)?, by }
        }
        "leave" => Event::LeaveMessage {
            conv: conv(1)?,
            fields: opts.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        },
        "tick" => Event::TimerFired,
        "config" => {
            let rest: Vec<String> = t[1..].to_vec();
            if rest.first().map(String::as_str) == Some("remove") {
                let key = directive_key(&rest[1..]);
                directives.retain(|d| directive_key(d) != key);
            } else {
                let key = directive_key(&rest);
                match directives.iter().position(|d| directive_key(d) == key) {
                    Some(i) => directives[i] = rest,
                    None => directives.push(rest),
                }
            }
            Event::ConfigUpdate(Box::new(build_config(directives)?.config))
        }
        "restore" => return Ok(None),
        other => return Err(format!("unknown event `{other}`")),
    }))
}

// ----- rendering -----

fn via(v: Via) -> &'static str {
    match v {
        Via::Designated => "designated",
        Via::PreviousAgent => "previous-agent",
        Via::CustomerOwner => "customer-owner",
        Via::ContactOwner => "contact-owner",
        Via::Load => "load",
        Via::RoundRobin => "round-robin",
        Via::IdleRate => "idle-rate",
        Via::Accepted => "accepted",
        Via::Reaccepted => "reaccepted",
        Via::PickUp => "pick-up",
        Via::Transfer => "transfer",
    }
}

fn wait(r: WaitReason) -> &'static str {
    match r {
        WaitReason::Busy => "busy",
        WaitReason::Offline => "offline",
        WaitReason::OffHours => "off-hours",
    }
}

fn party(p: &Party) -> String {
    match p {
        Party::Visitor(c) => format!("visitor:{c}"),
        Party::Agent(a) => format!("agent:{a}"),
        Party::Site => "site".to_owned(),
    }
}

fn opt_ms(ms: Option<u64>) -> String {
    ms.map_or("-".to_owned(), render_duration)
}

fn render(c: &Command) -> String {
    match c {
        Command::Assigned { conv, agent, via: v } => format!("assigned {conv} {agent} via={}", via(*v)),
        Command::Offered { conv, agent, group, via: v } => {
            format!("offered {conv} {agent} group={group} via={}", via(*v))
        }
        Command::Withdrawn { conv, agent } => format!("withdrawn {conv} {agent}"),
        Command::Enqueued { conv, group, position, reason } => {
            format!("enqueued {conv} {group} #{position} {}", wait(*reason))
        }
        Command::QueueMoved { group } => format!("queue-moved {group}"),
        Command::Prompt { conv, kind, text } => {
            let kind = match kind {
                PromptKind::Welcome => "welcome",
                PromptKind::Promo => "promo",
                PromptKind::Busy => "busy",
                PromptKind::Offline => "offline",
                PromptKind::OffHours => "off-hours",
                PromptKind::Failover => "failover",
            };
            format!("prompt {conv} {kind} \"{text}\"")
        }
        Command::OfferLeaveMessage { conv, .. } => format!("leave-form {conv}"),
        Command::EnteredBotList { conv } => format!("bot-list {conv}"),
        Command::BotReply { conv, text } => format!("bot {conv} \"{text}\""),
        Command::Expired { conv } => format!("expired {conv}"),
        Command::Deliver { conv, to, text } => {
            let to = match to {
                Party::Visitor(_) => "visitor".to_owned(),
                other => party(other).trim_start_matches("agent:").to_owned(),
            };
            format!("deliver {conv} to={to} \"{text}\"")
        }
        Command::NeedsReaccept { conv, previous, reason } => {
            let r = match reason {
                DormantReason::Idle => "idle",
                DormantReason::AgentLeft => "agent-left",
            };
            format!("needs-reaccept {conv} previous={previous} {r}")
        }
        Command::Transferred { conv, from, to, via: v } => format!("transferred {conv} {from}->{to} via={}", via(*v)),
        Command::MessageLeft { conv, fields } => {
            let f: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("message-left {conv} {}", f.join(" "))
        }
        Command::Closed { conv, by, first_response_ms, handled_ms } => {
            let by = match by {
                Closer::Visitor => "visitor".to_owned(),
                Closer::System => "system".to_owned(),
                Closer::Agent(a) => a.to_string(),
            };
            format!(
                "closed {conv} by={by} first-response={} handled={}",
                opt_ms(*first_response_ms),
                opt_ms(*handled_ms)
            )
        }
        Command::Reject { to, reason } => format!("reject {} {}", party(to), reason.code()),
        Command::Persist(r) => match r {
            Record::Conversation(c) => format!("persist conversation {}", c.id),
            Record::ConversationClosed(c) => format!("persist closed {c}"),
            Record::Agent(a) => format!("persist agent {}", a.id),
            Record::AgentRemoved(a) => format!("persist agent-removed {a}"),
            Record::Counters(_) => "persist counters".to_owned(),
        },
        Command::SetAlarm { at } => format!("alarm {}", at.map_or("none".to_owned(), render_at)),
    }
}

fn render_state(desk: &Desk, id: &str) -> String {
    let Some(c) = desk.conversation(&ConvId::from(id)) else {
        return "closed".to_owned();
    };
    match &c.state {
        ConvState::Bot => "bot".to_owned(),
        ConvState::Expired => "expired".to_owned(),
        ConvState::Queued { group, reason, .. } => format!("queued {group} {}", wait(*reason)),
        ConvState::Offered { agent } => format!("offered {agent}"),
        ConvState::Active { agent } => format!("active {agent}"),
        ConvState::Dormant { previous, reason } => {
            format!("dormant {previous} {}", if *reason == DormantReason::Idle { "idle" } else { "agent-left" })
        }
    }
}

fn avg(a: &Average) -> String {
    a.mean_ms().map_or("-".to_owned(), |m| format!("{}/{}", render_duration(m), a.count))
}

fn query(desk: &Desk, now: Millis, q: &str) -> Result<String, String> {
    let t = tokens(q);
    let ids = |v: Vec<ConvId>| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
    let arg = |i: usize| t.get(i).cloned().ok_or(format!("query `{q}` needs an argument"));
    Ok(match t[0].as_str() {
        "queue" => ids(desk.queue(&GroupId::from(arg(1)?))),
        "position" => desk.queue_position(&ConvId::from(arg(1)?)).map_or("-".to_owned(), |p| p.to_string()),
        "state" => render_state(desk, &arg(1)?),
        "pending" => ids(desk.pending(&AgentId::from(arg(1)?))),
        "live" => ids(desk.live(&AgentId::from(arg(1)?))),
        "bot-list" => ids(desk.bot_list()),
        "expired" => ids(desk.expired_list()),
        "dormant" => ids(desk.dormant_list()),
        "desk" => {
            let s = desk.stats(now);
            format!("queued={} bot-list={} expired={} dormant={}", s.queued, s.bot_list, s.expired, s.dormant)
        }
        "alarm" => desk.next_deadline().map_or("none".to_owned(), render_at),
        "stats" => {
            let s = desk.agent_stats(&AgentId::from(arg(1)?), now).ok_or("unknown agent")?;
            let status = match s.status {
                AgentStatus::Online => "online",
                AgentStatus::Away => "away",
                AgentStatus::Offline => "offline",
            };
            format!(
                "{status} live={} pending={} accepted={} first-response={} handling={}",
                s.live,
                s.pending,
                s.accepted_today,
                avg(&s.first_response),
                avg(&s.handling)
            )
        }
        other => return Err(format!("unknown query `{other}`")),
    })
}

// ----- the runner -----

/// Drops agent records still in their initial state (never written, restored as the default).
fn pristine_dropped(mut s: Snapshot) -> Snapshot {
    s.agents.retain(|a| !(a.status == AgentStatus::Offline && a.last_assigned == 0 && a.today == DayStats::default()));
    s
}

fn run_scenario(s: &Scenario) -> Result<(), String> {
    let mut directives: Vec<Vec<String>> = Vec::new();
    let mut i = 0;
    while i < s.lines.len() && !s.lines[i].1.starts_with('@') {
        let t = tokens(&s.lines[i].1);
        if t[0] == "agents" {
            let max: Vec<String> = t[2..].to_vec();
            for id in list(&t[1]) {
                let mut d = vec!["agent".to_owned(), id];
                d.extend(max.iter().cloned());
                directives.push(d);
            }
        } else {
            directives.push(t);
        }
        i += 1;
    }
    let built = build_config(&directives).map_err(|e| format!("config: {e}"))?;
    let (show_persist, show_alarms) = (built.show_persist, built.show_alarms);
    let mut desk = Desk::new(built.config).map_err(|e| format!("config: {e}"))?;
    let mut store = Snapshot::default();
    let mut now = EPOCH;
    let mut errors = String::new();
    while i < s.lines.len() {
        let (line_no, line) = &s.lines[i];
        i += 1;
        let Some(rest) = line.strip_prefix('@') else {
            return Err(format!("line {line_no}: expected `@time event`, got `{line}`"));
        };
        // The time is the first token, or the first two for `mon 09:00`.
        let words: Vec<&str> = rest.splitn(3, ' ').collect();
        let (time_spec, event_text) = if words.len() == 3 && words[1].contains(':') {
            (format!("{} {}", words[0], words[1]), words[2].to_owned())
        } else {
            let (a, b) = rest.split_once(' ').ok_or(format!("line {line_no}: no event"))?;
            (a.to_owned(), b.to_owned())
        };
        now = parse_time(&time_spec, now).map_err(|e| format!("line {line_no}: {e}"))?;
        let t = tokens(&event_text);
        let event = parse_event(&t, &mut directives).map_err(|e| format!("line {line_no}: {e}"))?;
        let actual: Vec<String> = match event {
            Some(event) => {
                let commands = desk.handle(Millis(now), event);
                for c in &commands {
                    if let Command::Persist(r) = c {
                        store.apply(r.clone());
                    }
                }
                commands
                    .iter()
                    .filter(|c| match c {
                        Command::Persist(_) => show_persist,
                        Command::SetAlarm { .. } => show_alarms,
                        _ => true,
                    })
                    .map(render)
                    .collect()
            }
            None => {
                let config = build_config(&directives)?.config;
                desk = Desk::restore(config, store.clone(), Millis(now))
                    .map_err(|e| format!("line {line_no}: restore: {e}"))?;
                Vec::new()
            }
        };
        let mut expected = Vec::new();
        while i < s.lines.len() && s.lines[i].1.starts_with('>') {
            expected.push(s.lines[i].1[1..].trim().to_owned());
            i += 1;
        }
        if actual != expected {
            let _ = write!(
                errors,
                "line {line_no} `{line}`:\n  expected:\n    {}\n  actual:\n    {}\n",
                expected.join("\n    "),
                actual.join("\n    ")
            );
        }
        while i < s.lines.len() && s.lines[i].1.starts_with('?') {
            let (qn, q) = &s.lines[i];
            i += 1;
            let (question, answer) = q[1..].split_once('=').map_or((q[1..].trim(), ""), |(a, b)| (a.trim(), b.trim()));
            match query(&desk, Millis(now), question) {
                Ok(got) if got == answer => {}
                Ok(got) => {
                    let _ = writeln!(errors, "line {qn} `{q}`: got `{got}`");
                }
                Err(e) => {
                    let _ = writeln!(errors, "line {qn}: {e}");
                }
            }
        }
        let problems = desk.audit();
        if !problems.is_empty() {
            let _ = writeln!(errors, "line {line_no}: invariants broken: {problems:?}");
        }
        if pristine_dropped(store.clone()) != pristine_dropped(desk.snapshot()) {
            let _ = writeln!(
                errors,
                "line {line_no}: persisted records differ from the snapshot:\n  stored: {store:?}\n  desk:   {:?}",
                desk.snapshot()
            );
        }
        if !errors.is_empty() {
            break;
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
