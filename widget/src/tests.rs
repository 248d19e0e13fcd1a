//! Browser tests of the widget's components (wasm-bindgen-test in headless Chromium).

use leptos::prelude::*;
use wasm_bindgen_test::*;

use crate::api::Chat;
use crate::bubble::human_size;
use crate::i18n;
use crate::launcher::Launcher;
use crate::theme::{contrast, luminance, normalize_hex, readable_on, Theme};
use client::clock;

wasm_bindgen_test_configure!(run_in_browser);

async fn tick() {
    let promise = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().and_then(|w| w.document()).expect("document");
    let div = document.create_element("div").expect("div");
    document.body().expect("body").append_child(&div).expect("append");
    wasm_bindgen::JsCast::unchecked_into(div)
}

#[wasm_bindgen_test]
async fn launcher_toggles_and_shows_unread_badge() {
    let chat = Chat::new(Theme::default(), None);
    let root = container();
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context(chat);
        provide_context(i18n::strings("en"));
        view! { <Launcher /> }
    });
    tick().await;
    let button = root.query_selector("[data-testid=cw-launcher]").expect("query").expect("launcher");
    assert_eq!(button.get_attribute("aria-label").as_deref(), Some("Chat with us"));
    assert!(root.query_selector("[data-testid=cw-unread]").expect("query").is_none());
    chat.unread.set(3);
    tick().await;
    let badge = root.query_selector("[data-testid=cw-unread]").expect("query").expect("badge");
    assert_eq!(badge.text_content().as_deref(), Some("3"));
    wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&button).click();
    tick().await;
    assert!(chat.open.get_untracked());
    assert_eq!(button.get_attribute("aria-expanded").as_deref(), Some("true"));
    assert_eq!(button.get_attribute("aria-label").as_deref(), Some("Close chat"));
}

#[wasm_bindgen_test]
fn strings_follow_the_locale() {
    assert_eq!(i18n::strings("zh-CN").send, "发送");
    assert_eq!(i18n::strings("en-US").send, "Send");
    assert_eq!(clock(0).len(), 5);
}

#[wasm_bindgen_test]
async fn theme_tokens_change_the_launcher_live() {
    let chat = Chat::new(Theme::default(), None);
    let root = container();
    let _handle = leptos::mount::mount_to(root.clone(), move || {
        provide_context(chat);
        provide_context(i18n::strings("zh-CN"));
        view! { <div class=move || chat.theme.with(Theme::classes) style=move || chat.theme.with(Theme::style)><Launcher /></div> }
    });
    tick().await;
    assert!(root.query_selector("[data-testid=cw-launcher-label]").expect("query").is_none());
    let tokens = protocol::lite::parse(r##"{"primary":"#FC0","shape":"bar","label":"在线咨询","position":"left","offsetX":"32px","icon":"headset","dark":"auto"}"##).expect("json");
    chat.theme.update(|t| t.merge(&tokens));
    tick().await;
    let label = root.query_selector("[data-testid=cw-launcher-label]").expect("query").expect("label");
    assert_eq!(label.text_content().as_deref(), Some("在线咨询"));
    let wrapper = root.first_element_child().expect("wrapper");
    assert_eq!(wrapper.get_attribute("class").as_deref(), Some("cw-left cw-shape-bar cw-auto"));
    let style = wrapper.get_attribute("style").unwrap_or_default();
    assert!(
        style.contains("--cw-primary:#ffcc00")
            && style.contains("--cw-on-primary:#000000")
            && style.contains("--cw-ox:32px"),
        "{style}"
    );
    // Malformed tokens leave the theme as it was.
    let before = chat.theme.get_untracked();
    let junk =
        protocol::lite::parse(r#"{"primary":"red","icon":"javascript:alert(1)","offsetY":"far"}"#).expect("json");
    chat.theme.update(|t| t.merge(&junk));
    assert_eq!(chat.theme.get_untracked(), before);
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
