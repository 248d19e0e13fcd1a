//! Browser tests of the widget's components (wasm-bindgen-test in headless Chromium).

use leptos::prelude::*;
use wasm_bindgen_test::*;

use crate::api::Chat;
use crate::chat_window::clock;
use crate::i18n;
use crate::launcher::Launcher;

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
    let chat = Chat::new();
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
