//! The postMessage bridge to the loader on the host page: origin pinned both ways.

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use web_sys::MessageEvent;

/// Namespace of every message between loader and widget.
const NS: &str = "chatwidget";

/// What the iframe URL tells the widget.
#[derive(Debug, Clone)]
pub struct Params {
    /// Site id.
    pub site: String,
    /// Origin of the host page (postMessage target and the only accepted sender).
    pub host: String,
    /// Locale tag.
    pub locale: String,
}

impl Params {
    /// Reads `site`, `host` and `locale` from the iframe's query string.
    pub fn from_url() -> Self {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        let query = web_sys::UrlSearchParams::new_with_str(&search).ok();
        let get = |k: &str| query.as_ref().and_then(|q| q.get(k)).unwrap_or_default();
        let navigator_lang = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
        let locale = Some(get("locale")).filter(|l| !l.is_empty()).unwrap_or(navigator_lang);
        Self { site: get("site"), host: get("host"), locale }
    }
}

/// A command from the host page's `ChatWidget(...)` API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `ChatWidget('open')`.
    Open,
    /// `ChatWidget('close')`.
    Close,
    /// `ChatWidget('toggle')`.
    Toggle,
    /// The snippet's settings, sent first after `ready`: the `data-identity` token, if any.
    Init {
        /// Encrypted identity from `data-identity`.
        identity: Option<String>,
    },
    /// `ChatWidget('identify', token)`: the page learned who the visitor is.
    Identify(String),
    /// The loader's report of the host viewport: `true` when it is phone-narrow (<= 480 px), so
    /// the open window takes the whole screen.
    Layout(bool),
}

/// Posts `{ns, type, ...data}` to the host page, pinned to its origin.
pub fn post(host: &str, kind: &str, data: Value) {
    if host.is_empty() {
        return;
    }
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else { return };
    let mut message = json!({ "ns": NS, "type": kind });
    if let (Some(obj), Value::Object(extra)) = (message.as_object_mut(), data) {
        obj.extend(extra);
    }
    if let Ok(js) = js_sys::JSON::parse(&message.to_string()) {
        let _ = parent.post_message(&js, host);
    }
}

/// Tells the host page about a widget event (`open`, `close`, `message`, `unread`, `error`).
pub fn emit(host: &str, name: &str, data: Value) {
    post(host, "event", json!({ "name": name, "data": data }));
}

/// Listens for commands from the host page; messages from any other origin or window are ignored.
pub fn listen(host: String, on_command: impl Fn(Command) + 'static) {
    let Some(window) = web_sys::window() else { return };
    let parent = window.parent().ok().flatten();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if host.is_empty() || event.origin() != host {
            return;
        }
        let from_parent = match (&parent, event.source()) {
            (Some(p), Some(source)) => JsValue::from(p.clone()) == JsValue::from(source),
            _ => false,
        };
        if !from_parent {
            return;
        }
        let Some(text) = js_sys::JSON::stringify(&event.data()).ok().and_then(|s| s.as_string()) else { return };
        let Ok(value) = serde_json::from_str::<Value>(&text) else { return };
        if value["ns"] != NS || value["type"] != "cmd" {
            return;
        }
        let command = match value["cmd"].as_str() {
            Some("open") => Command::Open,
            Some("close") => Command::Close,
            Some("toggle") => Command::Toggle,
            Some("layout") => Command::Layout(value["args"][0] == "narrow"),
            Some("init") => Command::Init { identity: value["args"][0]["identity"].as_str().map(str::to_string) },
            Some("identify") => match value["args"][0].as_str() {
                Some(token) if !token.is_empty() => Command::Identify(token.to_string()),
                _ => return,
            },
            _ => return,
        };
        on_command(command);
    });
    let _ = window.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
    handler.forget();
}
