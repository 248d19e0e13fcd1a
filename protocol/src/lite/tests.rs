//! The lite codec must agree with `serde_json` on every shape the widget reads or writes.
//!
//! Samples are built with full struct literals (no `..Default::default()`), so a field added to
//! a wire type fails to compile here until the codec handles it.

use super::*;
use crate::Channel;

const TRICKY: &str = "引号\"反斜杠\\ 换行\n tab\t ctrl\u{1} emoji 😀👍🏽 </script> \u{2028} é";

fn samples_body() -> Vec<MessageBody> {
    vec![
        MessageBody::Text { text: TRICKY.into() },
        MessageBody::Image {
            upload_id: "u1".into(),
            name: "a.png".into(),
            size: 1_048_576,
            content_type: "image/png".into(),
        },
        MessageBody::File {
            upload_id: "u2".into(),
            name: "发票.pdf".into(),
            size: 20 * 1024 * 1024,
            content_type: "application/pdf".into(),
        },
        MessageBody::Card {
            list: "orders".into(),
            id: "A1001".into(),
            title: "蓝牙耳机 Pro".into(),
            image: "https://shop.example/p/1.png".into(),
            price: "¥199.00".into(),
            status: "已发货".into(),
            url: "https://shop.example/orders/A1001?x=1&y=\"2\"".into(),
        },
        MessageBody::Card {
            list: String::new(),
            id: "P9".into(),
            title: "t".into(),
            image: String::new(),
            price: String::new(),
            status: String::new(),
            url: String::new(),
        },
    ]
}

fn sample_request() -> SessionRequest {
    SessionRequest {
        identity: Some("AB12".into()),
        resume_token: None,
        locale: Some("zh-CN".into()),
        entry: Some("after-sale".into()),
        page_url: Some("http://127.0.0.1:8787/shop/?q=\"耳机\"".into()),
        page_title: Some(TRICKY.into()),
        referrer: Some("https://www.baidu.com/s?wd=耳机".into()),
        landing_url: Some("http://127.0.0.1:8787/shop/?utm_source=baidu&utm_campaign=双11".into()),
        host_origin: Some("http://127.0.0.1:8787".into()),
        custom_fields: [("vipNo".to_string(), "vip12138".to_string())].into(),
        pre_chat: [("topic".to_string(), "售后".to_string())].into(),
        group: Some("aftersale".into()),
        channel: Some(Channel::MobileWeb),
        plugin: Some("outlet".into()),
    }
}

fn sample_response() -> SessionResponse {
    SessionResponse {
        visitor_id: "v1".into(),
        conversation_id: "c1".into(),
        token: "v_x".into(),
        verified: true,
        visitor_name: "张三".into(),
        config: WidgetConfig {
            site_name: "Demo 商城".into(),
            greeting: TRICKY.into(),
            pre_chat: vec![PreChatField {
                name: "topic".into(),
                label: "咨询类型".into(),
                kind: PreChatKind::Select,
                required: true,
                options: vec!["售前".into(), "售后".into()],
            }],
            groups: vec![GroupChoice { id: "presale".into(), name: "售前".into() }],
            card_buttons: vec![CardButton { list: "orders".into(), name: "我的订单".into(), icon: "order".into() }],
            max_image_bytes: 10 * 1024 * 1024,
            max_file_bytes: 20 * 1024 * 1024,
        },
        identity_refused: None,
    }
}

fn samples_server() -> Vec<ServerFrame> {
    let mut frames = vec![
        ServerFrame::Ready { principal: "v123".into(), skipped_to: 0 },
        ServerFrame::Ready { principal: "v123".into(), skipped_to: 150 },
        ServerFrame::Ack {
            client_id: "c-1".into(),
            conversation_id: "c9".into(),
            seq: 9_007_199_254_740_991,
            at_ms: 1_700_000_000_123,
        },
        ServerFrame::Status {
            conversation_id: "c9".into(),
            state: ConvStatus::Queued,
            position: Some(3),
            reason: Some(WaitReason::Busy),
            agent_name: None,
        },
        ServerFrame::Status {
            conversation_id: "c9".into(),
            state: ConvStatus::Active,
            position: None,
            reason: None,
            agent_name: Some("Alice 客服".into()),
        },
        ServerFrame::LeaveMessageForm {
            conversation_id: "c9".into(),
            intro: TRICKY.into(),
            fields: vec![
                FormFieldInfo { name: "name".into(), required: true, label: None },
                FormFieldInfo { name: "phone".into(), required: false, label: Some("手机号码".into()) },
            ],
        },
        ServerFrame::LeaveMessageForm { conversation_id: "c9".into(), intro: String::new(), fields: vec![] },
        ServerFrame::Typing { conversation_id: "c9".into(), from: Side::Agent, typing: true },
        ServerFrame::Read { conversation_id: "c9".into(), from: Side::Agent, seq: 4 },
        ServerFrame::Rated { conversation_id: "c9".into(), score: 5 },
        ServerFrame::Error { code: "rate_limited".into(), message: "too many requests, retry in 6 s".into() },
        ServerFrame::Rejected { client_id: "k7".into(), code: "message_too_long".into(), message: "too long".into() },
    ];
    for (i, body) in samples_body().into_iter().enumerate() {
        let author = match i % 3 {
            0 => Author::Visitor,
            1 => Author::Agent { id: "alice".into(), name: "Alice".into() },
            _ => Author::System,
        };
        frames.push(ServerFrame::Message {
            message: ChatMessage {
                conversation_id: "c9".into(),
                seq: i as u64 + 1,
                client_id: format!("k{i}"),
                author,
                body,
                at_ms: 1_763_700_000_000,
            },
        });
    }
    frames
}

fn samples_visitor() -> Vec<VisitorFrame> {
    let mut frames = vec![
        VisitorFrame::Open { session: sample_request() },
        VisitorFrame::Open { session: SessionRequest::default() },
        VisitorFrame::Auth { token: "v_abc".into(), last_seq: 12 },
        VisitorFrame::LeaveMessage {
            fields: [("name".to_string(), "张三".to_string()), ("message".into(), TRICKY.into())].into(),
        },
        VisitorFrame::Typing { typing: false },
        VisitorFrame::Read { seq: 7 },
        VisitorFrame::History { before_seq: 151 },
        VisitorFrame::Rate { score: 4, comment: "很好 👍".into() },
    ];
    frames.extend(samples_body().into_iter().map(|body| VisitorFrame::Send { client_id: "k1".into(), body }));
    frames
}

#[test]
fn server_frames_read_like_serde() {
    for frame in samples_server() {
        let text = serde_json::to_string(&frame).expect("encodes");
        let pretty = serde_json::to_string_pretty(&frame).expect("encodes");
        assert_eq!(ServerFrame::from_text(&text), Some(frame.clone()), "{text}");
        // Pretty-printed text (other whitespace) reads the same.
        assert_eq!(ServerFrame::from_text(&pretty), Some(frame), "{pretty}");
    }
}

#[test]
fn agent_only_frames_are_ignored_not_misread() {
    let frame = ServerFrame::ConversationRemoved { conversation_id: "c1".into(), transferred_to: None };
    assert_eq!(ServerFrame::from_text(&serde_json::to_string(&frame).expect("encodes")), None);
    assert_eq!(ServerFrame::from_text(r#"{"type":"ack","client_id":"x"}"#), None);
}

#[test]
fn an_ack_without_its_time_reads_as_time_zero_both_ways() {
    // A Desk from before `at_ms` was added: the line keeps its own time.
    let old = r#"{"type":"ack","client_id":"c-1","conversation_id":"c9","seq":4}"#;
    let want = ServerFrame::Ack { client_id: "c-1".into(), conversation_id: "c9".into(), seq: 4, at_ms: 0 };
    assert_eq!(ServerFrame::from_text(old), Some(want.clone()));
    assert_eq!(serde_json::from_str::<ServerFrame>(old).expect("serde reads it"), want);
}

#[test]
fn visitor_frames_write_what_serde_reads() {
    for frame in samples_visitor() {
        let text = frame.to_json().to_text();
        let back: VisitorFrame = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(back, frame);
        assert_eq!(parse(&text).map(|j| j.to_text()), Some(text));
    }
}

#[test]
fn session_bodies_agree_with_serde() {
    let request = sample_request();
    let back: SessionRequest = serde_json::from_str(&request.to_json().to_text()).expect("serde reads it");
    assert_eq!(back, request);

    let response = sample_response();
    let text = serde_json::to_string(&response).expect("encodes");
    assert_eq!(SessionResponse::from_text(&text), Some(response.clone()));
    // A refused identity token: the guest session says why.
    let refused = SessionResponse {
        identity_refused: Some(ApiError { code: "identity_expired".into(), message: TRICKY.into() }),
        ..response
    };
    let text = serde_json::to_string(&refused).expect("encodes");
    assert_eq!(SessionResponse::from_text(&text), Some(refused));
    // An older edge without the newer config fields still reads, with defaults.
    let old = r#"{"visitor_id":"v","conversation_id":"c","token":"t","verified":false,"visitor_name":"n","config":{"site_name":"s","greeting":"g"}}"#;
    let read = SessionResponse::from_text(old).expect("lite reads it");
    assert_eq!(read.config, serde_json::from_str::<SessionResponse>(old).expect("serde reads it").config);
}

#[test]
fn the_session_frame_reads_like_serde_and_is_no_server_frame() {
    let frame = SessionOpened { session: sample_response() };
    let text = serde_json::to_string(&frame).expect("encodes");
    assert!(text.starts_with(r#"{"type":"session","session":{"#), "{text}");
    assert_eq!(SessionOpened::from_text(&text), Some(frame));
    assert_eq!(ServerFrame::from_text(&text), None);
    let ready = r#"{"type":"ready","principal":"v1"}"#;
    assert_eq!(SessionOpened::from_text(ready), None);
}

#[test]
fn upload_and_error_bodies_agree_with_serde() {
    let upload = UploadResponse {
        upload_id: "u1".into(),
        name: "报告.pdf".into(),
        size: 1_000_000,
        content_type: "application/pdf".into(),
        kind: UploadKind::File,
        url: "/api/v1/sites/demo/uploads/u1?exp=1&sig=ab".into(),
    };
    assert_eq!(UploadResponse::from_text(&serde_json::to_string(&upload).expect("encodes")), Some(upload));
    let error = ErrorBody::new("upload_too_large", "this upload is larger than this site's limit of 10 bytes");
    assert_eq!(ErrorBody::from_text(&serde_json::to_string(&error).expect("encodes")), Some(error));
}

#[test]
fn parse_agrees_with_serde_on_strings_and_refuses_bad_json() {
    let escaped = r#"["\u00e9\ud83d\ude00\/\b\f", "plain", -12, 3.5e-2, true, null, {}]"#;
    let ours = parse(escaped).expect("valid JSON");
    let theirs: serde_json::Value = serde_json::from_str(escaped).expect("valid JSON");
    assert_eq!(ours.items()[0].as_str(), theirs[0].as_str());
    assert_eq!(ours.items()[2], Json::Num("-12".into()));
    for bad in [
        "",
        "{",
        "[1,]",
        "{\"a\"}",
        "{\"a\":1,}",
        "\"\\x\"",
        "\"\\ud83d\"",
        "\"a\nb\"",
        "01x",
        "-",
        "1.",
        "1e",
        "nul",
        "[1] 2",
        "{\"a\":1}}",
        "\"\\u12\"",
    ] {
        assert_eq!(parse(bad), None, "{bad:?}");
        assert!(serde_json::from_str::<serde_json::Value>(bad).is_err() || bad == "01x", "{bad:?}");
    }
    let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
    assert_eq!(parse(&deep), None);
}

#[test]
fn truncated_and_corrupted_frames_never_panic() {
    let mut checked = 0;
    for frame in samples_server() {
        let text = serde_json::to_string(&frame).expect("encodes");
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            if let Ok(prefix) = std::str::from_utf8(&bytes[..cut]) {
                assert_eq!(ServerFrame::from_text(prefix), None);
                checked += 1;
            }
        }
        for i in 0..bytes.len() {
            let mut corrupted = bytes.to_vec();
            corrupted[i] = b"{}[]\",:\\0a"[i % 10];
            if let Ok(text) = std::str::from_utf8(&corrupted) {
                let _ = ServerFrame::from_text(text);
                checked += 1;
            }
        }
    }
    assert!(checked > 1_000, "{checked}");
}
