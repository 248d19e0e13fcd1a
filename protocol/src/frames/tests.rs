//! Wire-shape tests: the JSON the clients rely on.

use super::*;

#[test]
fn visitor_send_frame_has_stable_json() {
    let frame = VisitorFrame::Send { client_id: "c1".into(), body: MessageBody::Text { text: "你好".into() } };
    let json = serde_json::to_string(&frame).expect("serialize");
    assert_eq!(json, r#"{"type":"send","client_id":"c1","body":{"kind":"text","text":"你好"}}"#);
}

#[test]
fn auth_frame_defaults_last_seq_to_zero() {
    let frame: VisitorFrame = serde_json::from_str(r#"{"type":"auth","token":"t"}"#).expect("parse");
    assert_eq!(frame, VisitorFrame::Auth { token: "t".into(), last_seq: 0 });
}

#[test]
fn unknown_frame_type_is_an_error_not_a_misread() {
    let parsed = serde_json::from_str::<VisitorFrame>(r#"{"type":"delete_everything"}"#);
    assert!(parsed.is_err());
}

#[test]
fn agent_author_round_trips() {
    let m = ChatMessage {
        conversation_id: "c".into(),
        seq: 3,
        client_id: "x".into(),
        author: Author::Agent { id: "a1".into(), name: "Lin".into() },
        body: MessageBody::Text { text: "hi".into() },
        at_ms: 1,
    };
    let json = serde_json::to_string(&m).expect("serialize");
    assert!(json.contains(r#""author":{"role":"agent","id":"a1","name":"Lin"}"#), "{json}");
    let back: ChatMessage = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, m);
}

#[test]
fn image_and_file_bodies_are_tagged_by_kind() {
    let image =
        MessageBody::Image { upload_id: "u1".into(), name: "a.png".into(), size: 3, content_type: "image/png".into() };
    let json = serde_json::to_string(&image).expect("serialize");
    assert_eq!(json, r#"{"kind":"image","upload_id":"u1","name":"a.png","size":3,"content_type":"image/png"}"#);
    let file: MessageBody = serde_json::from_str(
        r#"{"kind":"file","upload_id":"u2","name":"b.pdf","size":9,"content_type":"application/pdf"}"#,
    )
    .expect("parse");
    assert!(matches!(file, MessageBody::File { size: 9, .. }));
}

#[test]
fn a_list_shows_one_line_of_the_newest_message_and_never_a_prompt() {
    let message = |author: Author, body: MessageBody| ChatMessage {
        conversation_id: "c1".into(),
        seq: 3,
        client_id: "k".into(),
        author,
        body,
        at_ms: 1_700_000_000_000,
    };
    let text = |t: &str| MessageBody::Text { text: t.into() };
    let line = |m: &ChatMessage| LastMessage::of(m).map(|l| (l.from, l.kind, l.text));
    assert_eq!(
        line(&message(Author::Visitor, text("\n  请问这款耳机有货吗？  \n第二行"))),
        Some((Side::Visitor, MessageKind::Text, "请问这款耳机有货吗？".into()))
    );
    let long = "长".repeat(LAST_MESSAGE_CHARS + 10);
    assert_eq!(line(&message(Author::Visitor, text(&long))).map(|l| l.2.chars().count()), Some(LAST_MESSAGE_CHARS));
    let agent = Author::Agent { id: "amy".into(), name: "Amy".into() };
    let image = MessageBody::Image {
        upload_id: "u".into(),
        name: "photo.png".into(),
        size: 9,
        content_type: "image/png".into(),
    };
    assert_eq!(line(&message(agent, image)), Some((Side::Agent, MessageKind::Image, "photo.png".into())));
    let card = MessageBody::Card {
        list: "orders".into(),
        id: "A1".into(),
        title: "订单 A1".into(),
        image: String::new(),
        price: String::new(),
        status: String::new(),
        url: String::new(),
    };
    assert_eq!(line(&message(Author::Visitor, card)), Some((Side::Visitor, MessageKind::Card, "订单 A1".into())));
    assert_eq!(line(&message(Author::System, text("客服繁忙，请稍候"))), None);
    // What a writer's own line makes (an acked line, no message frame) is what its message makes.
    let agent = Author::Agent { id: "amy".into(), name: "Amy".into() };
    let reply = message(agent.clone(), text("有货的\n白色也有"));
    assert_eq!(LastMessage::written(&agent, &reply.body, reply.at_ms), LastMessage::of(&reply));
    let json = serde_json::to_string(&LastMessage::of(&message(Author::Visitor, text("hi")))).expect("serialize");
    assert_eq!(json, r#"{"from":"visitor","kind":"text","text":"hi","at_ms":1700000000000}"#);
}
