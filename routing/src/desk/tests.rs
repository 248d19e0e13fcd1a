//! Unit tests of the desk's edges that the scenario files do not reach: construction, repair on
//! restore, time going backwards, and the deadline bookkeeping.

use super::*;
use crate::command::Snapshot;
use crate::config::{AgentConfig, GroupConfig};
use crate::ids::MINUTE;

fn site() -> SiteConfig {
    let mut c = SiteConfig::new("g");
    c.agents = vec![AgentConfig::new("a1", 1), AgentConfig::new("a2", 1)];
    c.groups = vec![
        GroupConfig::new("g", vec![AgentId::from("a1"), AgentId::from("a2")]),
        GroupConfig::new("h", vec![AgentId::from("a2")]),
    ];
    c
}

fn login(desk: &mut Desk, now: u64, agent: &str) {
    let _ = desk.handle(Millis(now), Event::AgentLogin { agent: agent.into() });
}

fn open(desk: &mut Desk, now: u64, conv: &str) -> Vec<Command> {
    desk.handle(Millis(now), Event::Open(NewConversation::new(conv)))
}

#[test]
fn an_inconsistent_config_is_refused_with_every_problem_named() {
    let mut c = site();
    c.fallback_group = GroupId::from("nowhere");
    c.groups[1].members.push(AgentId::from("ghost"));
    let err = Desk::new(c).expect_err("the config is inconsistent");
    assert_eq!(err.code(), "invalid_config");
    let text = err.to_string();
    assert!(text.contains("nowhere") && text.contains("ghost"), "{text}");
}

#[test]
fn time_going_backwards_counts_as_the_latest_time_seen() {
    let mut desk = Desk::new(site()).expect("valid");
    login(&mut desk, 10 * MINUTE, "a1");
    let _ = open(&mut desk, 10 * MINUTE, "c1");
    // An event stamped earlier than the last one must not move the idle deadline back.
    let _ = desk.handle(Millis(0), Event::VisitorMessage { conv: "c1".into(), text: "x".into() });
    assert_eq!(desk.next_deadline(), Some(Millis(40 * MINUTE)));
}

#[test]
fn restore_repairs_records_that_no_longer_fit_the_config() {
    let mut desk = Desk::new(site()).expect("valid");
    let mut store = Snapshot::default();
    let mut keep = |cmds: Vec<Command>| {
        for c in cmds {
            if let Command::Persist(r) = c {
                store.apply(r);
            }
        }
    };
    keep(desk.handle(Millis(0), Event::AgentLogin { agent: "a2".into() }));
    let mut req = NewConversation::new("held");
    req.chosen_group = None;
    keep(desk.handle(Millis(1), Event::Open(req)));
    keep(open(&mut desk, 2, "waiting"));
    assert_eq!(desk.live(&AgentId::from("a2")), vec![ConvId::from("held")]);

    // The new config drops agent a2 and group g (fallback h is now the only group).
    let mut c = SiteConfig::new("h");
    c.agents = vec![AgentConfig::new("a1", 1)];
    c.groups = vec![GroupConfig::new("h", vec![AgentId::from("a1")])];
    let restored = Desk::restore(c, store, Millis(3)).expect("valid");
    assert!(restored.audit().is_empty(), "{:?}", restored.audit());
    let held = restored.conversation(&"held".into()).expect("still open");
    assert_eq!(held.state, ConvState::Dormant { previous: "a2".into(), reason: DormantReason::AgentLeft });
    assert_eq!(held.group, GroupId::from("h"));
    assert_eq!(restored.queue(&"h".into()), vec![ConvId::from("waiting")]);
}

#[test]
fn restore_then_first_event_serves_queues_that_can_move() {
    let mut desk = Desk::new(site()).expect("valid");
    let mut store = Snapshot::default();
    for c in open(&mut desk, 1, "c1") {
        if let Command::Persist(r) = c {
            store.apply(r);
        }
    }
    // Stored while a1 was offline; restored with a1 marked online (its socket reconnected).
    store.agents.push(crate::command::AgentRecord {
        id: "a1".into(),
        status: AgentStatus::Online,
        last_assigned: 0,
        today: DayStats::default(),
    });
    let mut restored = Desk::restore(site(), store, Millis(2)).expect("valid");
    let cmds = restored.handle(Millis(3), Event::TimerFired);
    assert!(cmds.contains(&Command::Assigned { conv: "c1".into(), agent: "a1".into(), via: Via::Load }));
}

#[test]
fn the_alarm_follows_the_earliest_deadline() {
    let mut desk = Desk::new(site()).expect("valid");
    login(&mut desk, 0, "a1");
    let cmds = open(&mut desk, 0, "c1");
    assert_eq!(cmds.last(), Some(&Command::SetAlarm { at: Some(Millis(30 * MINUTE)) }));
    let cmds = desk.handle(Millis(MINUTE), Event::Close { conv: "c1".into(), by: Closer::Visitor });
    assert_eq!(cmds.last(), Some(&Command::SetAlarm { at: None }));
    assert_eq!(desk.next_deadline(), None);
}

#[test]
fn the_impact_of_a_config_says_what_the_update_then_does() {
    let mut desk = Desk::new(site()).expect("valid");
    login(&mut desk, 0, "a2");
    // a2 (one slot) takes the first conversation; the next waits in g's queue.
    let _ = open(&mut desk, 1, "c1");
    let _ = open(&mut desk, 2, "c2");
    assert_eq!(desk.live(&AgentId::from("a2")), vec![ConvId::from("c1")]);
    assert_eq!(desk.queue(&GroupId::from("g")), vec![ConvId::from("c2")]);
    // Nothing removed: nothing to say.
    assert!(desk.config_impact(&site()).is_empty());

    // g removed (h is the fallback now) and a2 removed.
    let mut next = site();
    next.groups.remove(0);
    next.fallback_group = GroupId::from("h");
    next.agents.retain(|a| a.id.as_str() != "a2");
    next.groups[0].members.clear();
    let impact = desk.config_impact(&next);
    assert_eq!(
        impact,
        vec![
            ConfigImpact::QueueMoves { group: GroupId::from("g"), queued: 1, to: GroupId::from("h") },
            ConfigImpact::AgentLeaves { agent: AgentId::from("a2"), live: 1, offered: 0 },
        ]
    );
    // The update does what the impact said.
    let _ = desk.handle(Millis(3), Event::ConfigUpdate(Box::new(next)));
    assert_eq!(desk.queue(&GroupId::from("h")), vec![ConvId::from("c2")]);
    assert!(desk.dormant_list().contains(&ConvId::from("c1")), "{:?}", desk.dormant_list());
    assert!(desk.audit().is_empty(), "{:?}", desk.audit());
}

#[test]
fn rules_combine_the_page_url_the_place_and_fields_with_and_or() {
    use crate::config::{Condition, FieldFilter, FieldTest, Rule};
    let country =
        |code: &str| Condition::Place(FieldFilter { field: "country".into(), test: FieldTest::Equals(code.into()) });
    let sale = Condition::PageUrl(FieldTest::Contains("/sale/".into()));
    let vip = Condition::VisitorInfo(FieldFilter { field: "vip".into(), test: FieldTest::Equals("true".into()) });
    let rule = |condition: Condition| Rule {
        name: "r".into(),
        channels: Vec::new(),
        plugins: Vec::new(),
        condition,
        group: GroupId::from("h"),
        welcome: None,
        promo: None,
        verified_only: false,
        max_sessions: None,
    };
    let group_of = |condition: Condition, page: Option<&str>, place: Option<&str>, info: &[(&str, &str)]| {
        let mut c = site();
        c.rules = vec![rule(condition)];
        let mut desk = Desk::new(c).expect("valid");
        let mut open = NewConversation::new("c");
        open.page_url = page.map(Into::into);
        open.place = place.map(|p| [("country".to_string(), p.to_string())].into()).unwrap_or_default();
        open.info = info.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        let _ = desk.handle(Millis(1), Event::Open(open));
        desk.conversation(&ConvId::from("c")).map(|c| c.group.as_str().to_string())
    };
    let and = Condition::All(vec![sale.clone(), country("US")]);
    assert_eq!(group_of(and.clone(), Some("https://shop.example/sale/1"), Some("US"), &[]).as_deref(), Some("h"));
    assert_eq!(group_of(and.clone(), Some("https://shop.example/sale/1"), Some("CN"), &[]).as_deref(), Some("g"));
    assert_eq!(group_of(and, None, Some("US"), &[]).as_deref(), Some("g"), "no page: no URL test passes");
    let or = Condition::Any(vec![sale, vip]);
    assert_eq!(group_of(or.clone(), Some("https://shop.example/p/1"), None, &[("vip", "true")]).as_deref(), Some("h"));
    assert_eq!(group_of(or.clone(), Some("https://shop.example/sale/"), None, &[]).as_deref(), Some("h"));
    assert_eq!(group_of(or, Some("https://shop.example/p/1"), None, &[("vip", "no")]).as_deref(), Some("g"));
    // The place is the edge's, never a custom field of the same name.
    assert_eq!(group_of(country("US"), None, None, &[("country", "US")]).as_deref(), Some("g"));
    assert_eq!(group_of(Condition::Any(Vec::new()), None, None, &[]).as_deref(), Some("g"), "an empty OR is false");
    assert_eq!(group_of(Condition::All(Vec::new()), None, None, &[]).as_deref(), Some("h"), "an empty AND is true");
}

#[test]
fn session_groups_take_conversations_by_channel_plugin_verification_and_condition() {
    use crate::config::{session_groups_of, Channel, Condition, FieldFilter, FieldTest, SessionGroup};
    let vip = Condition::VisitorInfo(FieldFilter { field: "vip".into(), test: FieldTest::Equals("true".into()) });
    let group = |id: &str| SessionGroup {
        id: id.into(),
        channels: Vec::new(),
        plugins: Vec::new(),
        verified_only: false,
        condition: Condition::AllVisitors,
    };
    let groups = [
        SessionGroup { condition: vip, ..group("vip") },
        SessionGroup { channels: vec![Channel::MiniProgram], ..group("mp") },
        SessionGroup { plugins: vec!["members".into()], ..group("members") },
        SessionGroup { verified_only: true, ..group("verified") },
    ];
    let mut open = NewConversation::new("c");
    assert_eq!(session_groups_of(&groups, &open), Vec::<String>::new());
    open.info = [("vip".to_string(), "true".to_string())].into();
    open.plugin = Some("members".into());
    open.verified = true;
    assert_eq!(session_groups_of(&groups, &open), ["vip", "members", "verified"]);
    open.channel = Channel::MiniProgram;
    open.plugin = None;
    open.verified = false;
    assert_eq!(session_groups_of(&groups, &open), ["vip", "mp"]);
}

#[test]
fn a_group_with_hours_of_its_own_waits_for_them_while_the_site_is_open() {
    use crate::clock::{DaySpan, ServiceHours};
    use crate::command::WaitReason;
    use crate::ids::HOUR;
    // h is the night shift: 22:00-06:00 every day (UTC); the site itself is always open.
    let night = || vec![DaySpan::new((22, 0), (24, 0)), DaySpan::new((0, 0), (6, 0))];
    let mut c = site();
    c.groups[1].service_hours =
        Some(ServiceHours { utc_offset_minutes: 0, weekly: Some(std::array::from_fn(|_| night())) });
    c.rules = vec![crate::config::Rule {
        name: "night".into(),
        channels: Vec::new(),
        plugins: Vec::new(),
        condition: crate::config::Condition::PageUrl(crate::config::FieldTest::Contains("/night".into())),
        group: GroupId::from("h"),
        welcome: None,
        promo: None,
        verified_only: false,
        max_sessions: None,
    }];
    let mut desk = Desk::new(c).expect("valid");
    let noon = 12 * HOUR;
    login(&mut desk, noon, "a2");
    let mut late = NewConversation::new("n1");
    late.page_url = Some("https://shop.example/night".into());
    let commands = desk.handle(Millis(noon + 1), Event::Open(late));
    let state = desk.conversation(&ConvId::from("n1")).map(|c| c.state.clone());
    assert!(
        matches!(state, Some(ConvState::Queued { reason: WaitReason::OffHours, .. })),
        "outside its hours the night group's conversation waits, though a2 is online: {state:?}"
    );
    assert!(commands.iter().any(|c| matches!(c, Command::Prompt { kind: PromptKind::OffHours, .. })), "{commands:?}");
    // The day group still works: the site is open.
    let _ = open(&mut desk, noon + 2, "d1");
    assert_eq!(desk.live(&AgentId::from("a2")), vec![ConvId::from("d1")]);
    let _ = desk.handle(Millis(noon + 3), Event::Close { conv: ConvId::from("d1"), by: Closer::Visitor });
    assert!(desk.audit().is_empty(), "{:?}", desk.audit());
    // At 22:00 the desk wakes for the night group and a2 gets the waiting conversation.
    assert_eq!(desk.next_deadline(), Some(Millis(22 * HOUR)));
    let _ = desk.handle(Millis(22 * HOUR), Event::TimerFired);
    assert_eq!(desk.live(&AgentId::from("a2")), vec![ConvId::from("n1")]);
    assert!(desk.audit().is_empty(), "{:?}", desk.audit());
}
