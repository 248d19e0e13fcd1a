//! Browser tests of the widget's views (wasm-bindgen-test in headless Chromium): the state
//! drives the launcher, the window and the bubbles, and the visitor's clicks reach the state.

use client::clock;
use protocol::{Author, MessageBody};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

use crate::bubble::human_size;
use crate::i18n;
use crate::state::{self, read, update};
use crate::theme::{contrast, luminance, normalize_hex, readable_on};

wasm_bindgen_test_configure!(run_in_browser);

/// Lets the scheduled render run (it is queued as a microtask; a timer comes after it).
async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The widget's page, built once for all tests of this run.
fn root() -> Element {
    thread_local! {
        static ROOT: Element = {
            let root = crate::view::mount();
            crate::events::listen(&root);
            state::set_renderer(crate::view::render);
            state::render_now();
            root
        };
    }
    ROOT.with(Element::clone)
}

fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).map(|l| l.length()).unwrap_or(0)
}

#[wasm_bindgen_test]
async fn the_launcher_follows_the_state_and_the_theme() {
    let root = root();
    update(|c| c.open = false);
    tick().await;
    let button = find(&root, "[data-testid=cw-launcher]").expect("launcher");
    assert_eq!(button.get_attribute("aria-expanded").as_deref(), Some("false"));
    assert!(find(&root, "[data-testid=cw-unread]").is_none());
    update(|c| c.unread = 3);
    tick().await;
    let badge = find(&root, "[data-testid=cw-unread]").expect("badge");
    assert_eq!(badge.text_content().as_deref(), Some("3"));

    assert!(find(&root, "[data-testid=cw-launcher-label]").is_none());
    let tokens = protocol::lite::parse(
        r##"{"primary":"#FC0","shape":"bar","label":"在线咨询","position":"left","offsetX":"32px","icon":"headset","dark":"auto"}"##,
    )
    .expect("json");
    update(|c| c.theme.merge(&tokens));
    tick().await;
    let label = find(&root, "[data-testid=cw-launcher-label]").expect("label");
    assert_eq!(label.text_content().as_deref(), Some("在线咨询"));
    assert_eq!(root.get_attribute("class").as_deref(), Some("cw cw-left cw-shape-bar cw-auto"));
    let style = root.get_attribute("style").unwrap_or_default();
    assert!(
        style.contains("--cw-primary:#ffcc00")
            && style.contains("--cw-on-primary:#000000")
            && style.contains("--cw-ox:32px"),
        "{style}"
    );
    // Malformed tokens leave the theme as it was.
    let before = read(|c| c.theme.clone());
    let junk =
        protocol::lite::parse(r#"{"primary":"red","icon":"javascript:alert(1)","offsetY":"far"}"#).expect("json");
    update(|c| c.theme.merge(&junk));
    assert_eq!(read(|c| c.theme.clone()), before);
}

#[wasm_bindgen_test]
async fn lines_show_their_state_and_a_failed_one_can_be_sent_again() {
    let root = root();
    update(|c| {
        c.open = true;
        c.phase = state::Phase::Online;
        c.timeline = Default::default();
        for key in ["a", "b"] {
            c.timeline.push_local(key.into(), Author::Visitor, MessageBody::Text { text: format!("hi {key}") }, 0);
        }
    });
    tick().await;
    assert!(find(&root, "[data-testid=cw-window]").is_some());
    assert_eq!(count(&root, "[data-testid=cw-message][data-status=sending]"), 2);
    update(|c| {
        c.timeline.ack("a", 1, 0);
        c.timeline.fail("b");
    });
    tick().await;
    let lines = root.query_selector_all("[data-testid=cw-message]").expect("lines");
    assert_eq!(lines.length(), 2);
    let a = find(&root, "[data-key=a]").expect("line a");
    assert_eq!(a.get_attribute("data-status").as_deref(), Some("sent"));
    update(|c| c.agent_read_seq = 1);
    tick().await;
    assert_eq!(find(&root, "[data-key=a]").and_then(|a| a.get_attribute("data-status")).as_deref(), Some("read"));
    let retry = find(&root, "[data-key=b] [data-testid=cw-retry]").expect("retry");
    retry.unchecked_ref::<HtmlElement>().click();
    tick().await;
    assert_eq!(find(&root, "[data-key=b]").and_then(|b| b.get_attribute("data-status")).as_deref(), Some("sending"));
    assert!(find(&root, "[data-testid=cw-retry]").is_none());
    // Lines are in the timeline's order.
    let keys: Vec<String> = (0..lines.length())
        .filter_map(|i| root.query_selector_all("[data-testid=cw-message]").ok()?.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok()?.get_attribute("data-key"))
        .collect();
    assert_eq!(keys, ["a", "b"]);
    update(|c| c.open = false);
    tick().await;
    assert!(find(&root, "[data-testid=cw-window]").is_none());
}

#[wasm_bindgen_test]
fn strings_follow_the_locale() {
    assert_eq!(i18n::strings("zh-CN").send, "发送");
    assert_eq!(i18n::strings("en-US").send, "Send");
    assert_eq!(clock(0).len(), 5);
}

#[wasm_bindgen_test]
fn text_on_any_theme_colour_reaches_4_5_to_1() {
    assert_eq!(normalize_hex("#AbC"), Some("#aabbcc".into()));
    assert_eq!(normalize_hex("#12345"), None);
    let mut checked = 0;
    for r in (0..=255u32).step_by(15) {
        for g in (0..=255u32).step_by(15) {
            for b in (0..=255u32).step_by(15) {
                let hex = format!("#{r:02x}{g:02x}{b:02x}");
                let text = readable_on(&hex);
                let ratio = contrast(luminance(&hex), luminance(text));
                assert!(ratio >= 4.5, "{text} on {hex}: {ratio}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 18 * 18 * 18);
    assert_eq!(readable_on("#1456f0"), "#ffffff", "the default colour keeps white text");
    assert_eq!(human_size(1_048_576), "1.0 MB");
    assert_eq!(human_size(2_000), "2 KB");
}
