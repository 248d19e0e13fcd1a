//! Property tests over random event sequences: the invariants of the routing core hold after
//! every event, whatever the order of logins, messages, accepts, transfers, timers and config changes.

use std::collections::{BTreeMap, VecDeque};

use proptest::prelude::*;
use proptest::strategy::Strategy;
use routing::*;

const AGENTS: usize = 4;
const CONVS: usize = 6;
/// Stands for "the agent who holds (or was offered) the conversation", resolved when sent.
const HOLDER: usize = 99;

/// The site as generated: four agents, two groups, one designated entry, optional bot and hours.
#[derive(Clone, Debug)]
struct Setup {
    max: [u32; AGENTS],
    groups: [GroupSetup; 2],
    designated: usize,
    bot: bool,
    hours_offset: Option<i32>,
}

#[derive(Clone, Debug)]
struct GroupSetup {
    members: [bool; AGENTS],
    strategy: u8,
    pending: bool,
}

#[derive(Clone, Debug)]
enum Op {
    Open { conv: usize, entry: u8, owner: usize, mini: bool, vip: bool },
    Enter { conv: usize },
    Visitor { conv: usize, text: u8 },
    Reply { conv: usize, agent: usize },
    Status { agent: usize, status: u8 },
    Accept { conv: usize, agent: usize },
    Transfer { conv: usize, agent: usize, to: usize, to_group: bool },
    Close { conv: usize, by: usize },
    Leave { conv: usize, complete: bool },
    PickUp { conv: usize, agent: usize },
    Tick,
    Config { groups: [GroupSetup; 2], bot: bool },
}

fn agent_id(a: usize) -> AgentId {
    // Index AGENTS is an agent the site does not know.
    AgentId::new(format!("a{a}"))
}

fn conv_id(c: usize) -> ConvId {
    ConvId::new(format!("c{c}"))
}

fn group_setup() -> impl Strategy<Value = GroupSetup> {
    (prop::array::uniform4(prop::bool::weighted(0.7)), 0u8..7, prop::bool::weighted(0.3))
        .prop_map(|(members, strategy, pending)| GroupSetup { members, strategy, pending })
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        prop::array::uniform4(prop_oneof![1 => Just(0u32), 9 => 1u32..=3]),
        group_setup(),
        group_setup(),
        0..AGENTS,
        prop::bool::weighted(0.3),
        prop::option::weighted(0.3, prop_oneof![Just(-300), Just(0), Just(480)]),
    )
        .prop_map(|(max, g0, g1, designated, bot, hours_offset)| Setup {
            max,
            groups: [g0, g1],
            designated,
            bot,
            hours_offset,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let conv = 0..CONVS;
    // Often the agent involved with the conversation, else any agent, sometimes an unknown one.
    let agent = prop_oneof![4 => Just(HOLDER), 5 => 0..AGENTS, 1 => Just(AGENTS)];
    prop_oneof![
        5 => (conv.clone(), 0u8..4, 0..=AGENTS + 1, prop::bool::weighted(0.2), any::<bool>())
            .prop_map(|(conv, entry, owner, mini, vip)| Op::Open { conv, entry, owner, mini, vip }),
        1 => conv.clone().prop_map(|conv| Op::Enter { conv }),
        4 => (conv.clone(), 0u8..5).prop_map(|(conv, text)| Op::Visitor { conv, text }),
        2 => (conv.clone(), agent.clone()).prop_map(|(conv, agent)| Op::Reply { conv, agent }),
        4 => (0..=AGENTS, prop_oneof![3 => Just(0u8), 1 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8)])
            .prop_map(|(agent, status)| Op::Status { agent, status }),
        2 => (conv.clone(), agent.clone()).prop_map(|(conv, agent)| Op::Accept { conv, agent }),
        2 => (conv.clone(), 0..=AGENTS, prop::bool::weighted(0.3))
            .prop_map(|(conv, to, to_group)| Op::Transfer { conv, agent: HOLDER, to, to_group }),
        2 => (conv.clone(), prop_oneof![2 => Just(HOLDER), 1 => 0..=AGENTS + 1]).prop_map(|(conv, by)| Op::Close { conv, by }),
        1 => (conv.clone(), any::<bool>()).prop_map(|(conv, complete)| Op::Leave { conv, complete }),
        1 => (conv, agent).prop_map(|(conv, agent)| Op::PickUp { conv, agent }),
        2 => Just(Op::Tick),
        1 => (group_setup(), group_setup(), any::<bool>()).prop_map(|(g0, g1, bot)| Op::Config { groups: [g0, g1], bot }),
    ]
}

/// Time steps: mostly seconds, sometimes past the 30-minute idle timeout, rarely past 48 hours.
fn delta() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => 0u64..2 * SECOND,
        3 => 0u64..40 * MINUTE,
        1 => 47 * HOUR..49 * HOUR,
    ]
}

/// Random steps after a fixed warm-up (two agents log in, three conversations open), so that
/// most random events meet open conversations.
fn steps(max_len: usize) -> impl Strategy<Value = Vec<(u64, Op)>> {
    prop::collection::vec((delta(), op()), 1..max_len).prop_map(|random| {
        let login = |agent| (0, Op::Status { agent, status: 0 });
        let open = |conv| (SECOND, Op::Open { conv, entry: 0, owner: AGENTS + 1, mini: false, vip: conv == 2 });
        let mut all = vec![login(0), login(1), open(0), open(1), open(2)];
        all.extend(random);
        all
    })
}

fn strategy_of(n: u8) -> routing::Strategy {
    match n {
        0 => routing::Strategy::Load,
        1 => routing::Strategy::RoundRobin,
        2 => routing::Strategy::IdleRate,
        3 => routing::Strategy::CustomerOwner { otherwise: BaseStrategy::Load },
        4 => routing::Strategy::CustomerOwner { otherwise: BaseStrategy::RoundRobin },
        5 => routing::Strategy::ContactOwner { otherwise: BaseStrategy::IdleRate },
        _ => routing::Strategy::ContactOwner { otherwise: BaseStrategy::Load },
    }
}

fn config(setup: &Setup, groups: &[GroupSetup; 2], bot: bool) -> SiteConfig {
    let mut c = SiteConfig::new("g0");
    c.agents = (0..AGENTS).map(|a| AgentConfig::new(agent_id(a), setup.max[a])).collect();
    c.groups = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let members = (0..AGENTS).filter(|&a| g.members[a]).map(agent_id).collect();
            let mut group = GroupConfig::new(format!("g{i}").as_str(), members);
            group.strategy = strategy_of(g.strategy);
            group.accept = if g.pending { AcceptMode::Pending } else { AcceptMode::Auto };
            group
        })
        .collect();
    c.entries = vec![
        EntryConfig { id: EntryId::from("e0"), target: Target::Agent(agent_id(setup.designated)) },
        EntryConfig { id: EntryId::from("e1"), target: Target::Group(GroupId::from("g1")) },
    ];
    c.rules = vec![Rule {
        name: "vip".into(),
        channels: Vec::new(),
        plugins: Vec::new(),
        condition: Condition::VisitorInfo(FieldFilter { field: "vip".into(), test: FieldTest::Equals("1".into()) }),
        group: GroupId::from("g1"),
        welcome: Some("welcome".into()),
        promo: None,
        verified_only: false,
        // VIP conversations go only to agents holding fewer than 2 (the audit checks the queue
        // against that cap).
        max_sessions: Some(2),
    }];
    c.bot.enabled = bot;
    c.bot.fallback_reply = Some("?".into());
    c.bot.auto_replies = vec![AutoReply { keyword: "price".into(), reply: "see page".into() }];
    if let Some(offset) = setup.hours_offset {
        let day = vec![DaySpan::new((8, 0), (20, 0))];
        c.service_hours = ServiceHours {
            utc_offset_minutes: offset,
            weekly: Some([day.clone(), day.clone(), day.clone(), day.clone(), day.clone(), day.clone(), day]),
        };
    }
    c
}

fn event(setup: &Setup, desk: &Desk, op: &Op) -> Event {
    let who = |a: usize, c: &usize| {
        if a != HOLDER {
            return agent_id(a);
        }
        match desk.conversation(&conv_id(*c)).map(|r| &r.state) {
            Some(ConvState::Active { agent } | ConvState::Offered { agent }) => agent.clone(),
            Some(ConvState::Dormant { previous, .. }) => previous.clone(),
            _ => agent_id(0),
        }
    };
    match op {
        Op::Open { conv, entry, owner, mini, vip } => {
            let mut req = NewConversation::new(conv_id(*conv));
            req.entry = match entry {
                0 => None,
                1 => Some(EntryId::from("e0")),
                2 => Some(EntryId::from("e1")),
                _ => Some(EntryId::from("nope")),
            };
            req.customer_owner = (*owner <= AGENTS).then(|| agent_id(*owner));
            req.contact_owner = (*owner <= AGENTS).then(|| agent_id((*owner + 1) % (AGENTS + 1)));
            if *mini {
                req.channel = Channel::MiniProgram;
            }
            if *vip {
                req.info.insert("vip".into(), "1".into());
            }
            Event::Open(req)
        }
        Op::Enter { conv } => Event::VisitorEntered { conv: conv_id(*conv) },
        Op::Visitor { conv, text } => Event::VisitorMessage {
            conv: conv_id(*conv),
            text: ["hi", "转人工", "price?", "KF", ""][usize::from(*text)].into(),
        },
        Op::Reply { conv, agent } => {
            Event::AgentMessage { conv: conv_id(*conv), agent: who(*agent, conv), text: "ok".into() }
        }
        Op::Status { agent, status } => match status {
            0 => Event::AgentLogin { agent: who(*agent, &0) },
            1 => Event::AgentStatus { agent: who(*agent, &0), status: AgentStatus::Away },
            2 => Event::AgentStatus { agent: who(*agent, &0), status: AgentStatus::Online },
            _ => Event::AgentLogout { agent: who(*agent, &0) },
        },
        Op::Accept { conv, agent } => Event::Accept { conv: conv_id(*conv), agent: who(*agent, conv) },
        Op::Transfer { conv, agent, to, to_group } => Event::Transfer {
            conv: conv_id(*conv),
            agent: who(*agent, conv),
            to: if *to_group {
                Target::Group(GroupId::new(format!("g{}", to % 3)))
            } else {
                Target::Agent(who(*to, conv))
            },
        },
        Op::Close { conv, by } => Event::Close {
            conv: conv_id(*conv),
            by: match by {
                b if *b <= AGENTS || *b == HOLDER => Closer::Agent(who(*b, conv)),
                _ => Closer::Visitor,
            },
        },
        Op::Leave { conv, complete } => {
            let mut fields = BTreeMap::new();
            fields.insert("message".to_owned(), "call me".to_owned());
            if *complete {
                fields.insert("phone".to_owned(), "13800000000".to_owned());
            }
            Event::LeaveMessage { conv: conv_id(*conv), fields }
        }
        Op::PickUp { conv, agent } => Event::BotPickUp { conv: conv_id(*conv), agent: who(*agent, conv) },
        Op::Tick => Event::TimerFired,
        Op::Config { groups, bot } => Event::ConfigUpdate(Box::new(config(setup, groups, *bot))),
    }
}

/// Runs the steps, calling `check` after each event with the desk, the time and the commands.
fn drive(
    setup: &Setup,
    steps: &[(u64, Op)],
    mut check: impl FnMut(&Desk, Millis, &[Command]) -> Result<(), TestCaseError>,
) -> Result<Vec<Vec<Command>>, TestCaseError> {
    let mut desk =
        Desk::new(config(setup, &setup.groups, setup.bot)).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut now = 1_704_067_200_000u64;
    let mut all = Vec::new();
    for (dt, op) in steps {
        now += dt;
        let e = event(setup, &desk, op);
        let commands = desk.handle(Millis(now), e);
        check(&desk, Millis(now), &commands)?;
        all.push(commands);
    }
    Ok(all)
}

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(1000)
}

proptest! {
    #![proptest_config(cases())]

    /// No agent ever holds more conversations (live + pending) than its max sessions.
    #[test]
    fn no_agent_ever_above_max_sessions(setup in setup(), steps in steps(60)) {
        drive(&setup, &steps, |desk, now, _| {
            for s in desk.stats(now).agents {
                prop_assert!(s.live + s.pending <= s.max_sessions, "{} holds {} + {} > {}", s.agent, s.live, s.pending, s.max_sessions);
            }
            Ok(())
        })?;
    }

    /// Every open conversation is always in exactly one state, and in exactly one list.
    #[test]
    fn every_conversation_in_exactly_one_state(setup in setup(), steps in steps(60)) {
        drive(&setup, &steps, |desk, _, _| {
            let problems = desk.audit();
            prop_assert!(problems.is_empty(), "{problems:?}");
            let mut seen: BTreeMap<ConvId, usize> = BTreeMap::new();
            let mut lists: Vec<Vec<ConvId>> = vec![desk.bot_list(), desk.expired_list(), desk.dormant_list()];
            for g in &desk.config().groups {
                lists.push(desk.queue(&g.id));
            }
            for a in &desk.config().agents {
                lists.push(desk.pending(&a.id));
                lists.push(desk.live(&a.id));
            }
            for id in lists.into_iter().flatten() {
                *seen.entry(id).or_default() += 1;
            }
            let open: Vec<ConvId> = desk.conversations().map(|c| c.id.clone()).collect();
            prop_assert_eq!(seen.len(), open.len());
            for id in open {
                prop_assert_eq!(seen.get(&id).copied(), Some(1), "{} is in {:?} lists", id, seen.get(&id));
            }
            Ok(())
        })?;
    }

    /// A waiting conversation is never left waiting while the site is open and an eligible
    /// agent (online member of its group) has a free slot: under the cap of its rule, for the
    /// conversation at the head (strict first come, first served behind it).
    #[test]
    fn waiting_never_left_while_an_eligible_agent_has_capacity(setup in setup(), steps in steps(60)) {
        drive(&setup, &steps, |desk, now, _| {
            if !desk.config().service_hours.is_open(now) {
                return Ok(());
            }
            for g in &desk.config().groups {
                let queue = desk.queue(&g.id);
                if queue.is_empty() {
                    continue;
                }
                let cap = desk.conversation(&queue[0]).and_then(|c| c.cap).unwrap_or(u32::MAX);
                for m in &g.members {
                    let s = desk.agent_stats(m, now).expect("members are agents");
                    let free = s.status == AgentStatus::Online && s.live + s.pending < s.max_sessions.min(cap);
                    prop_assert!(!free, "{:?} wait in {} while {} is free", queue, g.id, m);
                }
            }
            Ok(())
        })?;
    }

    /// Queues are first in, first out: a conversation leaves its queue for an agent only from the
    /// head, and positions match the order of arrival.
    #[test]
    fn queue_order_is_fifo(setup in setup(), steps in steps(60)) {
        let mut model: BTreeMap<GroupId, VecDeque<ConvId>> = BTreeMap::new();
        drive(&setup, &steps, |desk, _, commands| {
            for c in commands {
                match c {
                    Command::Enqueued { conv, group, position, .. } => {
                        let q = model.entry(group.clone()).or_default();
                        q.push_back(conv.clone());
                        prop_assert_eq!(*position, q.len());
                    }
                    Command::Assigned { conv, .. } | Command::Offered { conv, .. } => {
                        for q in model.values_mut() {
                            if let Some(i) = q.iter().position(|x| x == conv) {
                                prop_assert_eq!(i, 0, "{} left its queue from position {}", conv, i + 1);
                                q.pop_front();
                            }
                        }
                    }
                    Command::Closed { conv, .. } => {
                        for q in model.values_mut() {
                            q.retain(|x| x != conv);
                        }
                    }
                    _ => {}
                }
            }
            for g in &desk.config().groups {
                let expected: Vec<ConvId> = model.get(&g.id).map(|q| q.iter().cloned().collect()).unwrap_or_default();
                prop_assert_eq!(desk.queue(&g.id), expected);
            }
            Ok(())
        })?;
    }

    /// The same events at the same times give the same commands.
    #[test]
    fn same_events_give_same_commands(setup in setup(), steps in steps(60)) {
        let first = drive(&setup, &steps, |_, _, _| Ok(()))?;
        let second = drive(&setup, &steps, |_, _, _| Ok(()))?;
        prop_assert_eq!(first, second);
    }

    /// A desk restored from its persisted records at any point gives the same commands as the
    /// desk that kept running.
    #[test]
    fn restore_from_persisted_records_continues_identically(setup in setup(), steps in steps(40), cut in 0usize..40) {
        let mut desk = Desk::new(config(&setup, &setup.groups, setup.bot)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut store = Snapshot::default();
        let mut now = 1_704_067_200_000u64;
        let mut restored: Option<Desk> = None;
        for (i, (dt, op)) in steps.iter().enumerate() {
            if i == cut {
                let desk_now = Millis(now);
                restored = Some(Desk::restore(desk.config().clone(), store.clone(), desk_now).map_err(|e| TestCaseError::fail(e.to_string()))?);
            }
            now += dt;
            let e = event(&setup, &desk, op);
            let commands = desk.handle(Millis(now), e.clone());
            for c in &commands {
                if let Command::Persist(r) = c {
                    store.apply(r.clone());
                }
            }
            if let Some(r) = restored.as_mut() {
                let again = r.handle(Millis(now), e);
                prop_assert_eq!(&again, &commands, "step {} after a restore at {}", i, cut);
            }
        }
    }
}

/// The generators are worth their cases: over 300 deterministic sequences, every strategy and
/// every kind of outcome shows up (guards against a generator that only produces rejections).
#[test]
fn generated_sequences_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..300 {
        let setup = setup().new_tree(&mut runner).expect("a setup").current();
        let steps = steps(60).new_tree(&mut runner).expect("steps").current();
        let all = drive(&setup, &steps, |_, _, _| Ok(())).expect("no check to fail");
        for c in all.iter().flatten() {
            let key = match c {
                Command::Assigned { via, .. } => format!("Assigned {via:?}"),
                Command::Reject { reason, .. } => format!("Reject {}", reason.code()),
                other => format!("{other:?}").split(|ch: char| !ch.is_alphanumeric()).next().unwrap_or("").to_owned(),
            };
            *counts.entry(key).or_default() += 1;
        }
    }
    let wanted = [
        "Assigned Load",
        "Assigned RoundRobin",
        "Assigned IdleRate",
        "Assigned CustomerOwner",
        "Assigned ContactOwner",
        "Assigned Designated",
        "Assigned PreviousAgent",
        "Assigned Accepted",
        "Assigned Reaccepted",
        "Assigned PickUp",
        "Offered",
        "Withdrawn",
        "Enqueued",
        "QueueMoved",
        "Transferred",
        "NeedsReaccept",
        "Expired",
        "BotReply",
        "MessageLeft",
        "Closed",
        "Deliver",
        "Reject already_accepted",
        "Reject quota_exceeded",
        "Reject unknown_entry",
    ];
    for key in wanted {
        assert!(counts.get(key).copied().unwrap_or(0) > 0, "no `{key}` in {counts:?}");
    }
}
