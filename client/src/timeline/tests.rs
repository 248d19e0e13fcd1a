//! Timeline tests: what a user would notice (order, no doubles, pending resend).

use super::*;

fn text(t: &str) -> MessageBody {
    MessageBody::Text { text: t.into() }
}

fn stored(seq: u64, key: &str, author: Author, t: &str) -> ChatMessage {
    ChatMessage { conversation_id: "c".into(), seq, client_id: key.into(), author, body: text(t), at_ms: seq * 10 }
}

fn texts(t: &Timeline) -> Vec<String> {
    t.lines()
        .iter()
        .map(|l| match &l.body {
            MessageBody::Text { text } => text.clone(),
            MessageBody::Image { name, .. } | MessageBody::File { name, .. } => name.clone(),
            MessageBody::Card { title, .. } => title.clone(),
        })
        .collect()
}

#[test]
fn own_message_is_shown_once_whether_ack_or_echo_comes_first() {
    let mut a = Timeline::default();
    a.push_local("k1".into(), Author::Visitor, text("你好"), 1);
    a.ack("k1", 1, 10);
    assert!(!a.apply(stored(1, "k1", Author::Visitor, "你好")));
    let mut b = Timeline::default();
    b.push_local("k1".into(), Author::Visitor, text("你好"), 1);
    assert!(!b.apply(stored(1, "k1", Author::Visitor, "你好")));
    b.ack("k1", 1, 10);
    for t in [&a, &b] {
        assert_eq!(texts(t), ["你好"]);
        assert_eq!(t.lines()[0].status, Status::Sent);
        assert_eq!(t.last_seq(), 1);
    }
}

#[test]
fn an_acked_line_takes_the_desks_time_without_an_echo() {
    // A visitor's sending socket gets only the ack for a text message: the line is stored, in
    // order, at the time the other ends show.
    let mut t = Timeline::default();
    t.apply(stored(1, "a", Author::Agent { id: "a".into(), name: "A".into() }, "hello"));
    t.push_local("k2".into(), Author::Visitor, text("mine"), 5);
    t.ack("k2", 2, 1_700_000_000_000);
    assert_eq!(texts(&t), ["hello", "mine"]);
    assert_eq!((t.lines()[1].status, t.lines()[1].seq, t.lines()[1].at_ms), (Status::Sent, Some(2), 1_700_000_000_000));
    assert_eq!(t.last_seq(), 2);
    // An ack that does not say when keeps the line's own time.
    t.push_local("k3".into(), Author::Visitor, text("more"), 7);
    t.ack("k3", 3, 0);
    assert_eq!(t.lines()[2].at_ms, 7);
}

#[test]
fn an_ack_hands_back_the_line_as_stored_for_the_lists() {
    // The console's list shows an agent's own reply from the ack (no echo comes): the line, as
    // stored; an ack for a line this timeline does not hold hands back nothing.
    let mut t = Timeline::default();
    let amy = Author::Agent { id: "amy".into(), name: "Amy".into() };
    t.push_local("r1".into(), amy.clone(), text("有货的"), 5);
    let line = t.ack("r1", 4, 1_700_000_000_123).expect("the acked line");
    assert_eq!((line.key.as_str(), line.seq, line.at_ms, &line.author), ("r1", Some(4), 1_700_000_000_123, &amy));
    assert_eq!(line.body, text("有货的"));
    assert!(t.ack("elsewhere", 5, 1).is_none());
}

#[test]
fn replayed_messages_after_reconnect_are_not_doubled() {
    let mut t = Timeline::default();
    let agent = Author::Agent { id: "a".into(), name: "A".into() };
    assert!(t.apply(stored(1, "x", Author::Visitor, "one")));
    assert!(t.apply(stored(2, "y", agent.clone(), "two")));
    assert!(!t.apply(stored(2, "y", agent, "two")));
    assert_eq!(texts(&t), ["one", "two"]);
}

#[test]
fn out_of_order_delivery_is_shown_in_seq_order_with_unsent_last() {
    let mut t = Timeline::default();
    t.push_local("mine".into(), Author::Visitor, text("unsent"), 5);
    t.apply(stored(3, "c", Author::Visitor, "three"));
    t.apply(stored(1, "a", Author::Visitor, "one"));
    t.apply(stored(2, "b", Author::Visitor, "two"));
    assert_eq!(texts(&t), ["one", "two", "three", "unsent"]);
    assert_eq!(t.pending(), vec![("mine".to_string(), text("unsent"))]);
}

#[test]
fn pending_lines_are_resent_in_the_order_they_were_written() {
    let mut t = Timeline::default();
    t.push_local("1".into(), Author::Visitor, text("a"), 1);
    t.push_local("2".into(), Author::Visitor, text("b"), 2);
    t.push_local("2".into(), Author::Visitor, text("b"), 2);
    let keys: Vec<String> = t.pending().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["1", "2"]);
    t.ack("1", 1, 0);
    assert_eq!(t.pending().len(), 1);
    assert_eq!(t.last_seq(), 1);
}

#[test]
fn a_message_that_arrives_before_the_ones_around_it_does_not_hide_the_gap() {
    // An agent is pushed seq 3 (a prompt) before it synced the conversation's history.
    let mut t = Timeline::default();
    t.apply(stored(3, "p", Author::System, "welcome"));
    assert_eq!(t.last_seq(), 0, "a sync must fetch 1 and 2");
    t.apply(stored(1, "a", Author::Visitor, "one"));
    assert_eq!(t.last_seq(), 1);
    t.apply(stored(2, "b", Author::Visitor, "two"));
    assert_eq!(t.last_seq(), 3);
    assert_eq!(texts(&t), ["one", "two", "welcome"]);
}

#[test]
fn lines_name_their_author_and_show_uploads_by_name_and_size() {
    let mut t = Timeline::default();
    t.apply(stored(1, "a", Author::Agent { id: "a1".into(), name: "Lin".into() }, "hi"));
    let mut upload = stored(2, "b", Author::Visitor, "");
    upload.body = MessageBody::File {
        upload_id: "u1".into(),
        name: "invoice.pdf".into(),
        size: 1_048_576,
        content_type: "application/pdf".into(),
    };
    t.apply(upload);
    let shown: Vec<(&str, String)> = t.lines().iter().map(|l| (l.role(), l.display_text())).collect();
    assert_eq!(shown, [("agent", "hi".to_string()), ("visitor", "invoice.pdf (1024 KB)".to_string())]);
}

#[test]
fn a_refused_line_waits_for_retry_and_an_upload_waits_for_its_id() {
    let mut t = Timeline::default();
    t.push_local("k1".into(), Author::Visitor, text("太长了"), 1);
    let photo =
        MessageBody::Image { upload_id: String::new(), name: "p.png".into(), size: 9, content_type: String::new() };
    t.push_local("k2".into(), Author::Visitor, photo, 2);
    // The upload has no id yet: nothing of it is sent.
    assert_eq!(t.pending().iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["k1"]);
    t.fail("k1");
    assert_eq!(t.lines()[0].status, Status::Failed);
    assert!(t.pending().is_empty(), "a failed line is not resent by a reconnect");
    let uploaded =
        MessageBody::Image { upload_id: "u1".into(), name: "p.png".into(), size: 9, content_type: "image/png".into() };
    t.set_body("k2", uploaded.clone());
    assert_eq!(t.pending(), vec![("k2".to_string(), uploaded)]);
    assert_eq!(t.retry("k1"), Some(text("太长了")));
    assert_eq!(t.retry("k1"), None, "only a failed line can be retried");
    assert_eq!(t.pending().len(), 2);
    t.ack("k1", 1, 0);
    t.fail("k1");
    assert_eq!(t.lines()[0].status, Status::Sent, "a stored line never turns failed");
}

#[test]
fn a_replay_that_starts_at_the_newest_page_resumes_and_reads_from_the_newest_message() {
    // 250 stored messages; `ready` says the replay leaves out 1..=150, then 151..=250 arrive.
    let mut t = Timeline::default();
    t.skip_to(150);
    for seq in 151..=250 {
        t.apply(stored(seq, &format!("k{seq}"), Author::Visitor, "m"));
    }
    assert_eq!(t.last_seq(), 250, "the next resume asks for what follows 250, the read receipt names 250");
    assert_eq!(t.lines().len(), 100);
    // An older page asked for with `history` fills in above, in order, and moves nothing.
    for seq in 51..=150 {
        t.apply(stored(seq, &format!("k{seq}"), Author::Visitor, "m"));
    }
    assert_eq!(t.lines().first().and_then(|l| l.seq), Some(51));
    assert_eq!(t.lines().last().and_then(|l| l.seq), Some(250));
    assert_eq!(t.last_seq(), 250);
    // A skip behind what is already here changes nothing.
    t.skip_to(10);
    assert_eq!(t.last_seq(), 250);
}

#[test]
fn a_skip_joins_messages_that_arrived_early() {
    let mut t = Timeline::default();
    t.apply(stored(152, "b", Author::Visitor, "two"));
    t.skip_to(150);
    assert_eq!(t.last_seq(), 150, "151 is still missing");
    t.apply(stored(151, "a", Author::Visitor, "one"));
    assert_eq!(t.last_seq(), 152);
}
