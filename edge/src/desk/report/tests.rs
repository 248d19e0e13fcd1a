//! A hand-computed October (site time UTC+8): five conversations, one outside on each side, and
//! agents' presence changes; every figure below was worked out by hand from them.

use protocol::report::{days_from_civil, ReportQuery, Split};
use protocol::Channel;

use super::*;

const OFFSET_MINUTES: i32 = 480;

/// Unix ms of a local (UTC+8) time in 2026: month, day, hour, minute, second.
fn at(month: u32, day: u32, h: u64, m: u64, s: u64) -> u64 {
    let days = u64::try_from(days_from_civil(2026, month, day)).expect("after 1970");
    (days * 86_400 + h * 3600 + m * 60 + s) * 1000 - 8 * 3_600_000
}

#[allow(clippy::too_many_arguments)]
fn chat(
    id: &str,
    opened: u64,
    channel: &str,
    agent: Option<&str>,
    group: &str,
    connected: Option<u64>,
    reply: Option<u64>,
    closed: Option<u64>,
) -> ChatFact {
    ChatFact {
        start: ChatStart {
            conversation_id: id.into(),
            channel: channel.into(),
            plugin: Some("main".into()),
            source: "direct".into(),
            ..ChatStart::default()
        },
        opened_ms: opened,
        group: Some(group.into()),
        agent: agent.map(Into::into),
        connected_ms: connected,
        first_reply_ms: reply,
        closed_ms: closed,
        ..ChatFact::default()
    }
}

fn october() -> Vec<ChatFact> {
    let mut c1 = chat(
        "c1",
        at(10, 1, 9, 0, 0),
        "web",
        Some("alice"),
        "presale",
        Some(at(10, 1, 9, 0, 5)),
        Some(at(10, 1, 9, 0, 35)),
        Some(at(10, 1, 9, 10, 5)),
    );
    c1.start.page = Some("/p/earbuds".into());
    c1.start.product = Some("蓝牙耳机".into());
    c1.start.source = "baidu".into();
    c1.start.campaign = Some("双11".into());
    c1.start.verified = true;
    c1.score = Some(5);
    c1.messages = 6;
    let mut c2 = chat(
        "c2",
        at(10, 1, 10, 0, 0),
        "mobile_web",
        Some("bob"),
        "presale",
        Some(at(10, 1, 10, 2, 0)),
        Some(at(10, 1, 10, 3, 0)),
        Some(at(10, 1, 10, 20, 0)),
    );
    c2.start.page = Some("/p/earbuds".into());
    c2.start.product = Some("蓝牙耳机".into());
    c2.waited = true;
    c2.transfers = 1;
    c2.score = Some(3);
    c2.messages = 8;
    let mut c3 = chat(
        "c3",
        at(10, 2, 14, 0, 0),
        "web",
        Some("alice"),
        "aftersale",
        Some(at(10, 2, 14, 0, 1)),
        Some(at(10, 2, 14, 0, 11)),
        Some(at(10, 2, 14, 30, 1)),
    );
    c3.start.page = Some("/orders".into());
    c3.start.verified = true;
    c3.score = Some(4);
    c3.messages = 4;
    // Waited, nobody took it, the shopper left a message: missed.
    let mut c4 = chat("c4", at(10, 2, 20, 0, 0), "web", None, "presale", None, None, Some(at(10, 2, 20, 5, 0)));
    c4.start.page = Some("/p/shoes".into());
    c4.start.product = Some("跑鞋".into());
    c4.start.source = "google".into();
    c4.waited = true;
    c4.left_message = true;
    c4.messages = 1;
    // Still going at the end of the month.
    let mut c5 = chat(
        "c5",
        at(10, 15, 11, 0, 0),
        "mini_program",
        Some("carol"),
        "aftersale",
        Some(at(10, 15, 11, 0, 0)),
        Some(at(10, 15, 11, 2, 0)),
        None,
    );
    c5.start.plugin = None;
    c5.messages = 3;
    // Outside the month on either side.
    let before = chat("c0", at(9, 30, 23, 30, 0), "web", Some("alice"), "presale", None, None, None);
    let after = chat("c6", at(11, 1, 0, 0, 0), "web", Some("alice"), "presale", None, None, None);
    vec![before, c1, c2, c3, c4, c5, after]
}

fn words() -> Vec<Vec<String>> {
    let w = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        w(&["退货"]),
        w(&["蓝牙耳机", "有货"]),
        w(&["蓝牙耳机", "退货"]),
        w(&["退货"]),
        w(&["尺码", "偏大"]),
        w(&["退货地址"]),
        w(&["退货"]),
    ]
}

fn presence() -> Vec<PresenceChange> {
    let p =
        |agent: &str, at_ms: u64, status: &str| PresenceChange { agent_id: agent.into(), at_ms, status: status.into() };
    vec![
        p("alice", at(9, 30, 20, 0, 0), "online"),
        p("alice", at(10, 1, 12, 0, 0), "away"),
        p("alice", at(10, 1, 13, 0, 0), "online"),
        p("alice", at(10, 1, 18, 0, 0), "offline"),
        p("bob", at(10, 31, 22, 0, 0), "online"),
        p("carol", at(10, 10, 10, 0, 0), "away"),
        p("dave", at(10, 3, 9, 0, 0), "offline"),
    ]
}

fn names() -> Names {
    Names {
        agents: [("alice", "Alice"), ("bob", "Bob")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        groups: [("presale", "售前")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        plugins: HashMap::new(),
    }
}

fn month(query: ReportQuery) -> Report {
    let span = Span::of(&query, OFFSET_MINUTES).expect("a valid span");
    let (chats, words, presence) = (october(), words(), presence());
    let before = vec![vec!["退货".to_string()], vec!["退货".to_string()], vec!["尺码".to_string()]];
    let inputs = Inputs { chats: &chats, presence: &presence, words_before: &before, words: &words };
    build(query, &span, &inputs, &names(), at(12, 1, 0, 0, 0))
}

fn october_query() -> ReportQuery {
    ReportQuery { from: "2026-10-01".into(), to: "2026-10-31".into(), ..ReportQuery::default() }
}

#[test]
fn the_month_s_totals() {
    let r = month(october_query());
    let t = &r.total;
    assert_eq!(t.conversations, 5);
    assert_eq!(t.served, 4);
    // First responses 30 s, 60 s, 10 s, 120 s: sorted 10, 30, 60, 120; rank ⌈2⌉ and ⌈3.6⌉.
    assert_eq!(t.first_response_median_ms, Some(30_000));
    assert_eq!(t.first_response_p90_ms, Some(120_000));
    // Ended after an agent: 600 s, 1080 s, 1800 s.
    assert_eq!(t.handling_mean_ms, Some(1_160_000));
    assert_eq!(t.messages, 22);
    assert_eq!(t.messages_per_conversation_x100(), Some(440));
    assert_eq!(t.missed, 1);
    assert_eq!(t.left_messages, 1);
    assert_eq!(t.transfers, 1);
    assert_eq!(t.ratings, [0, 0, 1, 1, 1]);
    assert_eq!(t.rating_mean_x100(), Some(400));
    assert_eq!(t.identified, 2);
}

#[test]
fn each_day_of_the_month_in_order_empty_ones_too() {
    let r = month(october_query());
    assert_eq!(r.buckets.len(), 31);
    assert_eq!(r.buckets[0].key, "2026-10-01");
    assert_eq!(r.buckets[30].key, "2026-10-31");
    let counts: Vec<(usize, u32)> =
        r.buckets.iter().enumerate().filter(|(_, b)| b.conversations > 0).map(|(i, b)| (i, b.conversations)).collect();
    assert_eq!(counts, [(0, 2), (1, 2), (14, 1)]);
    assert_eq!(r.buckets[0].first_response_median_ms, Some(30_000));
    assert_eq!(r.buckets[1].missed, 1);
}

#[test]
fn rows_by_agent_group_and_channel() {
    let r = month(october_query());
    let rows: Vec<(&str, &str, u32)> =
        r.rows.iter().map(|f| (f.key.as_str(), f.label.as_str(), f.conversations)).collect();
    assert_eq!(rows, [("alice", "Alice", 2), ("", "", 1), ("bob", "Bob", 1), ("carol", "carol", 1)]);
    assert_eq!(r.rows[0].first_response_median_ms, Some(10_000));
    assert_eq!(r.rows[0].handling_mean_ms, Some(1_200_000));

    let r = month(ReportQuery { split: Split::Group, ..october_query() });
    let rows: Vec<(&str, &str, u32)> =
        r.rows.iter().map(|f| (f.key.as_str(), f.label.as_str(), f.conversations)).collect();
    assert_eq!(rows, [("presale", "售前", 3), ("aftersale", "aftersale", 2)]);

    let r = month(ReportQuery { split: Split::Channel, ..october_query() });
    let rows: Vec<(&str, u32)> = r.rows.iter().map(|f| (f.key.as_str(), f.conversations)).collect();
    assert_eq!(rows, [("web", 3), ("mini_program", 1), ("mobile_web", 1)]);
}

#[test]
fn filters_narrow_everything_and_an_agent_sees_his_own_time() {
    let r = month(october_query());
    assert_eq!(r.agents.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Alice", "Bob"]);
    let r = month(ReportQuery { agent: Some("alice".into()), ..october_query() });
    assert_eq!(r.agents.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["alice"]);
    assert_eq!(r.total.conversations, 2);
    assert_eq!(r.total.ratings, [0, 0, 0, 1, 1]);
    assert_eq!(r.presence.iter().map(|p| p.agent_id.as_str()).collect::<Vec<_>>(), ["alice"]);
    let r = month(ReportQuery { channel: Some(Channel::MiniProgram), ..october_query() });
    assert_eq!(r.total.conversations, 1);
    assert_eq!(r.total.first_response_median_ms, Some(120_000));
    let r = month(ReportQuery { group: Some("presale".into()), plugin: Some("main".into()), ..october_query() });
    assert_eq!(r.total.conversations, 3);
}

#[test]
fn online_and_away_time_inside_the_month() {
    let r = month(october_query());
    let times: Vec<(&str, u64, u64)> =
        r.presence.iter().map(|p| (p.agent_id.as_str(), p.online_ms / 3_600_000, p.away_ms / 3_600_000)).collect();
    // Alice: online from before the month to 12:00, away an hour, online 13:00-18:00. Bob: the
    // month's last two hours. Carol: away from 10-10 10:00 to the end (21 days 14 hours). Dave
    // was only ever offline.
    assert_eq!(times, [("alice", 17, 1), ("bob", 2, 0), ("carol", 0, 518)]);
    assert_eq!(r.presence[0].name, "Alice");
}

#[test]
fn presence_still_going_ends_now() {
    let query = october_query();
    let span = Span::of(&query, OFFSET_MINUTES).expect("a valid span");
    let presence = presence();
    let inputs = Inputs { presence: &presence, ..Inputs::default() };
    let r = build(query, &span, &inputs, &names(), at(10, 1, 12, 30, 0));
    assert_eq!((r.presence[0].online_ms, r.presence[0].away_ms), (12 * 3_600_000, 30 * 60_000));
}

#[test]
fn hot_questions_with_their_trend_and_conversations() {
    let r = month(october_query());
    let topics: Vec<(&str, u32, u32, Vec<&str>)> = r
        .topics
        .iter()
        .map(|t| (t.word.as_str(), t.count, t.before, t.conversations.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(topics, [("蓝牙耳机", 2, 0, vec!["c2", "c1"]), ("退货", 2, 2, vec!["c3", "c2"])]);
}

#[test]
fn demand_by_page_product_and_source() {
    let r = month(october_query());
    let keys = |list: &[Demand]| list.iter().map(|d| (d.key.clone(), d.conversations)).collect::<Vec<_>>();
    assert_eq!(keys(&r.pages), [("/p/earbuds".to_string(), 2), ("/orders".into(), 1), ("/p/shoes".into(), 1)]);
    assert_eq!(keys(&r.products), [("蓝牙耳机".to_string(), 2), ("跑鞋".into(), 1)]);
    assert_eq!(keys(&r.sources), [("direct".to_string(), 3), ("baidu / 双11".into(), 1), ("google".into(), 1)]);
    let direct = &r.sources[0];
    assert_eq!((direct.identified, direct.ratings, direct.left_messages), (1, [0, 0, 1, 1, 0], 0));
    let google = &r.sources[2];
    assert_eq!(google.left_messages, 1);
}

#[test]
fn an_hourly_day_and_bad_spans() {
    let r = month(ReportQuery {
        from: "2026-10-01".into(),
        to: "2026-10-01".into(),
        hourly: true,
        ..ReportQuery::default()
    });
    assert_eq!(r.buckets.len(), 24);
    assert_eq!(r.buckets[9].key, "2026-10-01 09:00");
    assert_eq!((r.buckets[9].conversations, r.buckets[10].conversations), (1, 1));
    assert_eq!(r.total.conversations, 2);
    let bad = |from: &str, to: &str, hourly: bool| {
        Span::of(&ReportQuery { from: from.into(), to: to.into(), hourly, ..ReportQuery::default() }, 0).err()
    };
    assert_eq!(bad("2026-10-02", "2026-10-01", false).as_deref(), Some("to is before from"));
    assert!(bad("2026-01-01", "2026-12-31", false).is_some_and(|e| e.contains("92 days")));
    assert!(bad("2026-10-01", "2026-10-31", true).is_some_and(|e| e.contains("7 days")));
    assert!(bad("10/01/2026", "2026-10-31", false).is_some());
}

#[test]
fn where_a_visit_came_from() {
    let s = |landing: Option<&str>, referrer: Option<&str>| source_of(landing, referrer);
    assert_eq!(
        s(
            Some("https://shop.example/p/1?utm_source=baidu&utm_campaign=%E5%8F%8C11"),
            Some("https://www.baidu.com/s?wd=x")
        ),
        ("baidu".to_string(), Some("双11".to_string()))
    );
    assert_eq!(s(Some("https://shop.example/"), Some("https://www.google.com/")), ("www.google.com".to_string(), None));
    assert_eq!(s(Some("https://shop.example/a"), Some("https://shop.example/b")), ("direct".to_string(), None));
    assert_eq!(s(None, None), ("direct".to_string(), None));
    assert_eq!(
        s(Some("https://shop.example/?utm_campaign=spring+sale"), None),
        ("direct".to_string(), Some("spring sale".to_string()))
    );
    assert_eq!(path_of("https://shop.example:8080/p/1?x=1#top").as_deref(), Some("/p/1"));
    assert_eq!(path_of("https://shop.example").as_deref(), Some("/"));
}
