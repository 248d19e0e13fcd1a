//! Tests of the shared pre-chat, card and verification-field checks.

use super::*;

fn field(name: &str, kind: PreChatKind, required: bool) -> PreChatField {
    PreChatField {
        name: name.into(), label: name.into(), kind, required, options: vec!["售前".into(), "售后".into()]
    }
}

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn phone_email_and_select_answers_are_checked() {
    let phone = field("phone", PreChatKind::Phone, true);
    assert_eq!(check_answer(&phone, "+86 159-1234-5678"), Ok(()));
    assert_eq!(check_answer(&phone, "call me"), Err(AnswerProblem::NotPhone));
    assert_eq!(check_answer(&phone, "123"), Err(AnswerProblem::NotPhone));
    assert_eq!(check_answer(&phone, "  "), Err(AnswerProblem::Required));
    let email = field("email", PreChatKind::Email, false);
    assert_eq!(check_answer(&email, ""), Ok(()));
    assert_eq!(check_answer(&email, "zhang@shop.example"), Ok(()));
    for bad in ["zhang", "@shop.example", "zhang@shop", "a b@shop.example", "a@.example", "a@b@c.example"] {
        assert_eq!(check_answer(&email, bad), Err(AnswerProblem::NotEmail), "{bad}");
    }
    let topic = field("topic", PreChatKind::Select, true);
    assert_eq!(check_answer(&topic, "售后"), Ok(()));
    assert_eq!(check_answer(&topic, "其他"), Err(AnswerProblem::NotAnOption));
    let text = field("name", PreChatKind::Text, false);
    assert_eq!(check_answer(&text, &"长".repeat(MAX_ANSWER_CHARS + 1)), Err(AnswerProblem::TooLong));
}

#[test]
fn a_form_needs_every_required_field_and_no_unknown_ones() {
    let form = [field("name", PreChatKind::Text, true), field("topic", PreChatKind::Select, false)];
    assert_eq!(check_pre_chat(&form, &answers(&[("name", "张三"), ("topic", "售前")])), Ok(()));
    let missing = check_pre_chat(&form, &answers(&[("topic", "售前")])).expect_err("name is required");
    assert_eq!((missing.field.as_str(), missing.problem), ("name", AnswerProblem::Required));
    let unknown = check_pre_chat(&form, &answers(&[("name", "张三"), ("age", "3")])).expect_err("age is unknown");
    assert_eq!(unknown.problem, AnswerProblem::UnknownField);
    assert_eq!(unknown.to_string(), "pre-chat field \"age\" is not a field of this form");
}

fn card(image: &str, url: &str) -> MessageBody {
    MessageBody::Card {
        list: "orders".into(),
        id: "A1001".into(),
        title: "蓝牙耳机".into(),
        image: image.into(),
        price: "¥199.00".into(),
        status: "已发货".into(),
        url: url.into(),
    }
}

#[test]
fn cards_carry_only_web_links() {
    assert_eq!(check_card(&card("", "")), Ok(()));
    assert_eq!(check_card(&card("https://shop.example/a.png", "HTTP://shop.example/o/1")), Ok(()));
    for bad in ["javascript:alert(1)", "data:text/html,x", "//shop.example/x", "https://a b", "ftp://x"] {
        assert!(check_card(&card("", bad)).is_err(), "{bad}");
        assert!(check_card(&card(bad, "")).is_err(), "{bad}");
    }
    let MessageBody::Card { list, image, price, status, url, .. } = card("", "") else { unreachable!() };
    let untitled = MessageBody::Card { list, id: "A1".into(), title: " ".into(), image, price, status, url };
    assert_eq!(check_card(&untitled), Err("a card needs an id and a title"));
    assert_eq!(check_card(&MessageBody::Text { text: "hi".into() }), Ok(()));
}

#[test]
fn verification_fields_are_non_empty_named_and_distinct() {
    let list = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert_eq!(check_verification_fields(&list(&["full_name", "phone"])), Ok(()));
    assert_eq!(check_verification_fields(&list(&["member_id"])), Ok(()));
    assert_eq!(check_verification_fields(&[]), Err(VerificationFieldsProblem::Empty));
    assert_eq!(check_verification_fields(&list(&[""])), Err(VerificationFieldsProblem::BlankName));
    assert_eq!(check_verification_fields(&list(&["phone", "  "])), Err(VerificationFieldsProblem::BlankName));
    assert_eq!(
        check_verification_fields(&list(&["phone", "full_name", "phone"])),
        Err(VerificationFieldsProblem::Duplicate("phone".into()))
    );
    // Every message names the setting, so the admin API's answer says what to fix.
    for problem in [
        VerificationFieldsProblem::Empty,
        VerificationFieldsProblem::BlankName,
        VerificationFieldsProblem::Duplicate("phone".into()),
    ] {
        assert!(problem.to_string().starts_with("identity.verification_fields "), "{problem}");
    }
}

#[test]
fn identity_settings_default_to_v2_only() {
    let defaults = crate::IdentitySettings::default();
    assert!(!defaults.accept_ecb && defaults.accept_v2 && !defaults.require_exp);
    // A stored or submitted config that does not mention a switch gets the default.
    let parsed: crate::IdentitySettings = serde_json::from_str(r#"{"keys":["k"]}"#).expect("parses");
    assert_eq!(parsed, crate::IdentitySettings { keys: vec!["k".into()], ..defaults });
}

#[test]
fn allowed_origins_are_bare_origins_safe_in_a_header() {
    for ok in ["https://shop.example", "http://127.0.0.1:8787", "https://[::1]:8443", "https://xn--fsq.example"] {
        assert!(super::is_plain_origin(ok), "{ok}");
    }
    for bad in [
        "https://a.example; script-src *",
        "https://a.example https://b.example",
        "https://*.example",
        "https://a.example/",
        "https://a.example/path",
        "ftp://a.example",
        "https://",
        "https://:443",
        "'self'",
        "https://a.example,https://b.example",
    ] {
        assert!(!super::is_plain_origin(bad), "{bad}");
    }
}

#[test]
fn card_images_only_from_the_sites_origins() {
    let origins = vec!["https://shop.example".to_string(), "https://img.cdn.example/".to_string()];
    for (image, shown) in [
        ("https://shop.example/p/1.png", true),
        ("HTTPS://Shop.Example/p/1.png", true),
        ("https://img.cdn.example/a.webp?x=1", true),
        ("https://shop.example:8443/p/1.png", false),
        ("http://shop.example/p/1.png", false),
        ("https://shop.example.evil.example/p.png", false),
        ("https://shop.example@evil.example/p.png", false),
        ("https://evil.example/track.gif", false),
        ("//evil.example/track.gif", false),
        ("/p/1.png", false),
        ("", false),
    ] {
        assert_eq!(card_image_allowed(image, &origins), shown, "{image}");
    }
}

#[test]
fn left_messages_and_ratings_have_bounds() {
    let fields = |n: usize, len: usize| -> BTreeMap<String, String> {
        (0..n).map(|i| (format!("f{i}"), "话".repeat(len))).collect()
    };
    assert!(check_left_message(&fields(20, 2_000)).is_ok());
    assert!(check_left_message(&fields(21, 1)).is_err());
    assert!(check_left_message(&fields(1, 2_001)).is_err());
    assert!(check_rating(1, "").is_ok() && check_rating(5, &"好".repeat(1_000)).is_ok());
    assert!(check_rating(0, "").is_err() && check_rating(6, "").is_err());
    assert!(check_rating(3, &"好".repeat(1_001)).is_err());
}

#[test]
fn the_files_the_widget_offers_are_the_ones_the_edge_accepts() {
    for name in [
        "报价单.PDF",
        "a.docx",
        "b.xlsx",
        "c.pptx",
        "d.zip",
        "notes.txt",
        "data.csv",
        "x.tsv",
        "e.json",
        "r.md",
        "app.log",
    ] {
        assert!(accepted_file_name(name), "{name}");
    }
    // Legacy Office files are not ZIP archives: the edge cannot recognise them.
    for name in ["old.doc", "old.xls", "old.ppt", "page.html", "run.exe", "no-extension", "image.svg"] {
        assert!(!accepted_file_name(name), "{name}");
    }
}

#[test]
fn the_workbench_check_names_the_bad_session_group_or_sidebar_row() {
    use crate::workbench::{SessionGroupSetting, SidebarField, SidebarSource};
    use crate::{ConditionOn, ConditionSetting, SiteConfig};
    let vip = SessionGroupSetting {
        id: "vip".into(),
        name: "VIP".into(),
        conditions: vec![ConditionSetting {
            on: ConditionOn::Visitor,
            field: Some("vip".into()),
            equals: Some("true".into()),
            ..ConditionSetting::default()
        }],
        ..SessionGroupSetting::default()
    };
    let row = |source, key: &str, label: &str| SidebarField { source, key: key.into(), label: label.into() };
    let mut config = SiteConfig::default();
    config.workbench.session_groups = vec![vip.clone()];
    config.workbench.sidebar_fields =
        vec![row(SidebarSource::Custom, "vipNo", "会员号"), row(SidebarSource::Visitor, "place", "地区")];
    assert_eq!(check_workbench(&config), Ok(()));
    let field = |c: &SiteConfig| check_workbench(c).err().map(|(f, _)| f);
    let mut twice = config.clone();
    twice.workbench.session_groups.push(vip.clone());
    assert_eq!(field(&twice).as_deref(), Some("workbench.session_groups[1].id"));
    let mut unknown_plugin = config.clone();
    unknown_plugin.workbench.session_groups[0].plugins = vec!["blog".into()];
    assert_eq!(field(&unknown_plugin).as_deref(), Some("workbench.session_groups[0].plugins"));
    let mut nameless = config.clone();
    nameless.workbench.session_groups[0].conditions[0].field = None;
    assert_eq!(field(&nameless).as_deref(), Some("workbench.session_groups[0].conditions[0]"));
    let mut no_such_fact = config.clone();
    no_such_fact.workbench.sidebar_fields[1].key = "shoe_size".into();
    assert_eq!(field(&no_such_fact).as_deref(), Some("workbench.sidebar_fields[1].key"));
    let mut shown_twice = config.clone();
    shown_twice.workbench.sidebar_fields.push(row(SidebarSource::Custom, "vipNo", "VIP"));
    assert_eq!(field(&shown_twice).as_deref(), Some("workbench.sidebar_fields[2].key"));
    let mut unlabelled = config;
    unlabelled.workbench.sidebar_fields[0].label = " ".into();
    assert_eq!(field(&unlabelled).as_deref(), Some("workbench.sidebar_fields[0].label"));
}

#[test]
fn wait_thresholds_default_and_must_rise() {
    use crate::SiteConfig;
    let mut config = SiteConfig::default();
    assert_eq!(config.workbench.wait_thresholds(), (60, 180), "built in");
    assert_eq!(check_workbench(&config), Ok(()));
    let field = |c: &SiteConfig| check_workbench(c).err().map(|(f, _)| f);
    config.workbench.wait_warn_secs = 30;
    config.workbench.wait_alert_secs = 120;
    assert_eq!((config.workbench.wait_thresholds(), check_workbench(&config)), ((30, 120), Ok(())));
    // Red before amber, or the same moment: refused on the red one.
    config.workbench.wait_alert_secs = 30;
    assert_eq!(field(&config).as_deref(), Some("workbench.wait_alert_secs"));
    // Amber set past the built-in red, red left to its default: refused too.
    config.workbench.wait_alert_secs = 0;
    config.workbench.wait_warn_secs = 600;
    assert_eq!(field(&config).as_deref(), Some("workbench.wait_alert_secs"));
    config.workbench.wait_alert_secs = 86_401;
    assert_eq!(field(&config).as_deref(), Some("workbench.wait_alert_secs"));
}
