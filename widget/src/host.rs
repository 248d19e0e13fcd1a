//! The postMessage bridge to the loader on the host page: origin pinned both ways.

use std::collections::BTreeMap;
use std::rc::Rc;

use protocol::checks::check_card;
use protocol::lite::{map_of, parse, Json};
use protocol::MessageBody;
use wasm_bindgen::prelude::*;
use web_sys::MessageEvent;

/// Namespace of every message between loader and widget.
const NS: &str = "chatwidget";
/// Most cards one `setCards` list keeps.
const MAX_CARDS: usize = 50;

/// What the iframe URL tells the widget.
#[derive(Debug, Clone)]
pub struct Params {
    /// Site id.
    pub site: String,
    /// Origin of the host page (postMessage target and the only accepted sender).
    pub host: String,
    /// Locale tag.
    pub locale: String,
    /// Theme tokens from `data-theme` (a JSON object, or `Null`).
    pub theme: Json,
    /// Entry id from `data-entry`.
    pub entry: Option<String>,
    /// The web plugin from `data-plugin`.
    pub plugin: Option<String>,
    /// The plugin's theme, set in the site's settings (`<meta name="cw-theme">`, written by the
    /// edge): applied under `theme`.
    pub site_theme: Json,
}

impl Params {
    /// Reads `site`, `host`, `locale`, `theme` and `entry` from the iframe's query string.
    pub fn from_url() -> Self {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        let query = web_sys::UrlSearchParams::new_with_str(&search).ok();
        let get = |k: &str| query.as_ref().and_then(|q| q.get(k)).unwrap_or_default();
        let navigator_lang = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
        let locale = Some(get("locale")).filter(|l| !l.is_empty()).unwrap_or(navigator_lang);
        Self {
            site: get("site"),
            host: get("host"),
            locale,
            theme: parse(&get("theme")).unwrap_or_default(),
            entry: Some(get("entry")).filter(|e| !e.is_empty()),
            plugin: Some(get("plugin")).filter(|e| !e.is_empty()),
            site_theme: web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector("meta[name=cw-theme]").ok().flatten())
                .and_then(|m| m.get_attribute("content"))
                .and_then(|t| parse(&t))
                .unwrap_or_default(),
        }
    }
}

thread_local! {
    static PARAMS: Rc<Params> = Rc::new(Params::from_url());
}

/// What the iframe URL said (read once).
pub fn params() -> Rc<Params> {
    PARAMS.with(Rc::clone)
}

/// A command from the host page's `ChatWidget(...)` API.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `ChatWidget('open')`.
    Open,
    /// `ChatWidget('close')`.
    Close,
    /// `ChatWidget('toggle')`.
    Toggle,
    /// Sent first after `ready`: the `data-identity` token, if any.
    Init {
        /// Encrypted identity from `data-identity`.
        identity: Option<String>,
    },
    /// The host page's address and title (at start and after single-page-app navigation).
    Page {
        /// `location.href`.
        url: String,
        /// `document.title`.
        title: String,
        /// Where the visit came from: the referrer of its first page, a space, that page's URL
        /// (the loader keeps it for the visit).
        visit: String,
    },
    /// `ChatWidget('identify', token)`: the page learned who the visitor is.
    Identify(String),
    /// `ChatWidget('logout')`: the shopper logged out of the site; forget the verified session.
    Logout,
    /// The loader's report of the host viewport: `true` when it is phone-narrow (<= 480 px), so
    /// the open window takes the whole screen.
    Layout(bool),
    /// `ChatWidget('setTheme', {...})`: theme tokens to change.
    SetTheme(Json),
    /// `ChatWidget('setCustomField', {...})`: fields shown to agents.
    SetCustomFields(BTreeMap<String, String>),
    /// `ChatWidget('setCards', list, [...])`: cards for a quick-send button.
    SetCards(String, Vec<MessageBody>),
    /// `ChatWidget('openEntry', id)`: start at a designated agent or group.
    OpenEntry(String),
}

/// Whether the page that frames the widget is `host`, where the browser says
/// (`location.ancestorOrigins`, Chromium and Safari): the `host` parameter is only the page's own
/// claim. True where the browser does not say, and without a claim (the widget opened on its own).
pub fn framed_by_host(host: &str) -> bool {
    let Some(location) = web_sys::window().map(|w| w.location()) else { return true };
    let ancestors = js_sys::Reflect::get(&location, &"ancestorOrigins".into()).unwrap_or_default();
    if host.is_empty() || ancestors.is_undefined() {
        return true;
    }
    // The direct parent runs the loader; an empty list means nothing frames the widget at all.
    js_sys::Reflect::get(&ancestors, &0.into()).ok().and_then(|p| p.as_string()).as_deref() == Some(host)
}

/// Posts `{ns, type, ...data}` to the host page, pinned to its origin.
pub fn post(host: &str, kind: &str, data: Json) {
    if host.is_empty() {
        return;
    }
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else { return };
    let mut fields = vec![("ns".to_string(), Json::from(NS)), ("type".to_string(), Json::from(kind))];
    if let Json::Obj(extra) = data {
        fields.extend(extra);
    }
    if let Ok(js) = js_sys::JSON::parse(&Json::Obj(fields).to_text()) {
        let _ = parent.post_message(&js, host);
    }
}

/// Tells the host page about a widget event (`open`, `close`, `message`, `unread`, `error`).
pub fn emit(host: &str, name: &str, data: Json) {
    post(host, "event", Json::obj([("name", name.into()), ("data", data)]));
}

/// Cards from `setCards`: well-formed ones only (an id, a title, http(s) links), at most 50.
fn cards(list: &str, value: &Json) -> Vec<MessageBody> {
    value
        .items()
        .iter()
        .map(|c| {
            let text = |k: &str| match c.get(k) {
                Json::Num(n) => n.clone(),
                other => other.as_str().unwrap_or_default().to_string(),
            };
            MessageBody::Card {
                list: list.to_string(),
                id: text("id"),
                title: text("title"),
                image: text("image"),
                price: text("price"),
                status: text("status"),
                url: text("url"),
            }
        })
        .filter(|card| check_card(card).is_ok())
        .take(MAX_CARDS)
        .collect()
}

fn command(value: &Json) -> Option<Command> {
    let arg = |i: usize| value.get("args").items().get(i).cloned().unwrap_or_default();
    let text = |i: usize| arg(i).as_str().map(str::to_string).filter(|s| !s.is_empty());
    Some(match value.get("cmd").as_str()? {
        "open" => Command::Open,
        "close" => Command::Close,
        "toggle" => Command::Toggle,
        "layout" => Command::Layout(text(0).as_deref() == Some("narrow")),
        "init" => Command::Init { identity: arg(0).get("identity").as_str().map(str::to_string) },
        "page" => Command::Page { url: arg(0).text("url"), title: arg(0).text("title"), visit: arg(0).text("visit") },
        "identify" => Command::Identify(text(0)?),
        "logout" => Command::Logout,
        "setTheme" => Command::SetTheme(arg(0)),
        "setCustomField" => {
            let fields = map_of(arg(0).fields().iter().filter_map(|(k, v)| {
                let value = match v {
                    Json::Num(n) => n.clone(),
                    Json::Bool(b) => b.to_string(),
                    other => other.as_str()?.to_string(),
                };
                Some((k.clone(), value))
            }));
            Command::SetCustomFields(fields)
        }
        "setCards" => {
            let list = text(0)?;
            let cards = cards(&list, &arg(1));
            Command::SetCards(list, cards)
        }
        "openEntry" => Command::OpenEntry(text(0)?),
        _ => return None,
    })
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
        let Some(value) = parse(&text) else { return };
        if value.get("ns").as_str() != Some(NS) || value.get("type").as_str() != Some("cmd") {
            return;
        }
        if let Some(command) = command(&value) {
            on_command(command);
        }
    });
    let _ = window.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
    handler.forget();
}
