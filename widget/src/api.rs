//! All of the widget's network code: the session, the visitor socket, and the frames the Desk
//! sends (uploads are in `upload`).
//!
//! Wire shapes are read and written with `protocol::lite`, so serde's decoders stay out of the
//! download (the tests of `protocol::lite` keep both codecs in agreement).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use client::timeline::Timeline;
use client::{FetchError, Socket, SocketEvents};
use protocol::lite::{FromJson, Json, ToJson};
use protocol::{
    Author, Channel, ConvStatus, MessageBody, ServerFrame, SessionOpened, SessionRequest, SessionResponse, Side,
    VisitorFrame, WaitReason, WidgetConfig,
};

use crate::host::{self, params};
use crate::i18n::Strings;
use crate::state::{read, update, LeaveForm, Phase, Rating};

struct Connection {
    socket: Socket,
    events: Rc<Events>,
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
    /// A profile refresh is wanted / one is on its way (see [`refresh`]).
    static REFRESH_WANTED: Cell<bool> = const { Cell::new(false) };
    static REFRESH_POSTING: Cell<bool> = const { Cell::new(false) };
    /// What the loader was last told by [`keep`].
    static KEPT: Cell<Option<bool>> = const { Cell::new(None) };
    /// Whether the visitor is typing, as last told to the agent (kept apart from the state: the
    /// composer's blur tells it, and a blur can fire during a render).
    static TYPING: Cell<bool> = const { Cell::new(false) };
}

/// Tells the loader whether this visitor has a conversation going (`keep`), when that changes: the
/// loader keeps it as a first-party flag and, on the visitor's next page, loads the widget after
/// the page's load (unread badges, sound and agents' messages still reach him) instead of waiting
/// for the visitor to reach for the launcher.
fn keep(on: bool) {
    if KEPT.with(|k| k.replace(Some(on))) != Some(on) {
        host::post(&params().host, "keep", Json::obj([("on", on.into())]));
    }
}

/// Closes the running connection, if any (its frames then reach nobody).
fn drop_connection() {
    CONNECTION.with(|c| {
        if let Some(conn) = c.borrow_mut().take() {
            conn.socket.close();
        }
    });
}

/// The session token of the running connection, if any.
pub(crate) fn session_token() -> Option<String> {
    CONNECTION.with(|c| c.borrow().as_ref().and_then(|c| c.events.token.borrow().clone()))
}

fn token_key(site: &str) -> String {
    format!("cw:{site}:token")
}

fn pre_chat_key(site: &str, conversation_id: &str) -> String {
    format!("cw:{site}:prechat:{conversation_id}")
}

/// Tells the host page about a widget event.
fn emit(name: &str, data: Json) {
    host::emit(&params().host, name, data);
}

fn error_event(code: &str, message: &str) {
    emit("error", Json::obj([("code", code.into()), ("message", message.into())]));
}

/// Whether this browser already has a session for the site (a returning visitor).
pub fn has_session() -> bool {
    client::storage_get(&token_key(&params().site)).is_some_and(|t| !t.is_empty())
}

/// Opens or closes the window; opening starts the session (once) and reads what came.
pub fn set_open(open: bool) {
    if read(|c| c.open) == open {
        return;
    }
    update(|c| {
        c.open = open;
        if open {
            c.unread = 0;
        } else {
            c.popup = crate::state::Popup::None;
            c.lightbox = None;
        }
    });
    emit(if open { "open" } else { "close" }, Json::obj([]));
    if open {
        start();
        mark_read();
    }
}

/// Starts the session and the socket once; later calls do nothing while one is running. The
/// session opens in the socket's first frame (`open`): one connection, not an HTTP call and
/// then the socket. An answer can never belong to an older start: a restart closes the old
/// socket, whose frames then reach nobody.
pub fn start() {
    if !read(|c| matches!(c.phase, Phase::Idle | Phase::Failed(..))) {
        return;
    }
    update(|c| c.phase = Phase::Connecting);
    // This session carries the current page and fields: no refresh is owed for them.
    REFRESH_WANTED.with(|w| w.set(false));
    let params = params();
    if !host::framed_by_host(&params.host) {
        // Another page claims to be the host: no session is opened for it.
        let (code, message) = ("origin_not_allowed", "the page that embeds the chat is not its host");
        error_event(code, message);
        failed(code.to_string(), message.to_string());
        return;
    }
    let opening = session_request(BTreeMap::new(), None);
    let events = Rc::new(Events { token: RefCell::new(None), opening });
    let url = client::ws_url(&format!("/api/v1/sites/{}/ws", params.site));
    let socket = Socket::open(url, events.clone());
    CONNECTION.with(|c| *c.borrow_mut() = Some(Connection { socket, events }));
}

/// The session could not be opened: the window says why, still under the site's name.
fn failed(code: String, message: String) {
    update(|c| c.phase = Phase::Failed(code, message));
    if read(|c| c.config.is_some()) {
        return;
    }
    let path = format!("/api/v1/sites/{}/widget-config", params().site);
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(config) = client::get_text(&path, "").await.ok().and_then(|t| WidgetConfig::from_text(&t)) {
            update(|c| c.config = Some(config));
        }
    });
}

/// Ends the current connection and starts over (a new identity, a new entry, a new
/// conversation after a close).
pub fn restart() {
    drop_connection();
    update(|c| {
        c.timeline = Timeline::default();
        // Whoever the new session turns out to be, it is not verified until its answer says so
        // (after a logout the card buttons must go at once, not when the guest session lands).
        c.verified = false;
        c.leave_form = None;
        c.rating = Rating::None;
        c.agent_name = None;
        c.queue_position = None;
        c.wait_reason = None;
        c.agent_read_seq = 0;
        c.phase = Phase::Idle;
    });
    start();
}

/// Whether a session was started (or tried).
fn started() -> bool {
    read(|c| c.phase != Phase::Idle)
}

/// Uses a new identity: a running session is replaced by one for the verified visitor.
pub fn identify(token: String) {
    if read(|c| c.identity.as_deref() == Some(token.as_str())) {
        return;
    }
    update(|c| c.identity = Some(token));
    if started() {
        restart();
    }
}

/// Forgets the visitor on this browser (the shopper logged out of the site): the stored session
/// and the identity are dropped, and a running chat starts over as a new guest. The page hears
/// `logout` once the session is gone, so it may navigate away.
pub fn logout() {
    update(|c| c.identity = None);
    client::storage_set(&token_key(&params().site), "");
    if started() {
        restart();
    }
    emit("logout", Json::obj([]));
}

/// Starts (or restarts) at a designated entry, and opens the window.
pub fn open_entry(entry: String) {
    let changed = read(|c| c.entry.as_deref() != Some(entry.as_str()));
    update(|c| c.entry = Some(entry));
    if changed && started() {
        restart();
    }
    set_open(true);
}

/// Sends the pre-chat answers and the picked group; the first message routes on them.
pub fn submit_pre_chat(answers: BTreeMap<String, String>, group: Option<String>) {
    wasm_bindgen_futures::spawn_local(async move {
        match open_session(answers, group).await {
            Ok(session) => {
                client::storage_set(&pre_chat_key(&params().site, &session.conversation_id), "1");
                update(|c| {
                    c.notice = None;
                    c.pre_chat_done = true;
                });
            }
            Err(err) => update(|c| c.notice = Some(err.message())),
        }
    });
}

/// Tells the Desk what changed about the visitor's page (single-page-app navigation, new
/// custom fields); agents see it in the visitor's profile. One post at a time, the newest
/// state last: two in flight could arrive in either order and leave an older page stored.
/// A change while the socket is away is posted once it is back (`ready`).
pub fn refresh() {
    REFRESH_WANTED.with(|w| w.set(true));
    if !online() || REFRESH_POSTING.with(|p| p.replace(true)) {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        // Each round posts the state of that moment; one more runs if anything changed meanwhile.
        while REFRESH_WANTED.with(Cell::get) && online() {
            REFRESH_WANTED.with(|w| w.set(false));
            let _ = open_session(BTreeMap::new(), None).await;
        }
        REFRESH_POSTING.with(|p| p.set(false));
    });
}

fn online() -> bool {
    read(|c| c.phase == Phase::Online)
}

/// Sends a message; it shows at once as "sending" and is resent after a reconnect.
pub fn send(body: MessageBody) {
    let key = client::new_client_id();
    update(|c| {
        c.timeline.push_local(key.clone(), Author::Visitor, body.clone(), client::now_ms());
        c.notice = None;
    });
    deliver(key, body);
}

/// Sends a message line now if the socket is authenticated; otherwise it stays pending and
/// goes out with the others, in order, when the Desk says `ready` (a message written while
/// an older one waits must never overtake it).
pub(crate) fn deliver(client_id: String, body: MessageBody) {
    if online() {
        send_frame(&VisitorFrame::Send { client_id, body });
    }
}

/// Sends a text message (trimmed; empty text is ignored). A text over
/// [`protocol::MAX_TEXT_CHARS`] characters is not sent: the notice says why and `false` tells
/// the composer to keep it.
pub fn send_text(text: &str, strings: &Strings) -> bool {
    let text = text.trim();
    if text.chars().count() > protocol::MAX_TEXT_CHARS {
        let notice = strings.text_too_long.replace("{}", &protocol::MAX_TEXT_CHARS.to_string());
        update(|c| c.notice = Some(notice));
        return false;
    }
    if !text.is_empty() {
        send(MessageBody::Text { text: text.to_string() });
    }
    true
}

/// Submits the leave-message form.
pub fn leave_message(fields: BTreeMap<String, String>) {
    if send_frame(&VisitorFrame::LeaveMessage { fields }) {
        update(|c| {
            if let Some(f) = &mut c.leave_form {
                f.sent = true;
            }
        });
    }
}

/// Rates the closed conversation.
pub fn rate(score: u8, comment: String) {
    send_frame(&VisitorFrame::Rate { score, comment });
}

/// Tells the agent whether the visitor is typing, when that changes. Touches no state (see
/// [`crate::state`]): the composer's blur calls it.
pub fn typing(now: bool) {
    if TYPING.with(|t| t.replace(now)) != now {
        send_frame(&VisitorFrame::Typing { typing: now });
    }
}

/// Tells the agent every message up to the newest was seen.
pub fn mark_read() {
    let seq = read(|c| c.timeline.last_seq());
    if seq > 0 {
        send_frame(&VisitorFrame::Read { seq });
    }
}

async fn open_session(
    pre_chat: BTreeMap<String, String>,
    group: Option<String>,
) -> Result<SessionResponse, FetchError> {
    let params = params();
    if !host::framed_by_host(&params.host) {
        // Another page claims to be the host: no session is opened for it.
        let (code, message) = ("origin_not_allowed".into(), "the page that embeds the chat is not its host".into());
        return Err(FetchError::Api { status: 403, code, message });
    }
    let request = session_request(pre_chat, group);
    let path = format!("/api/v1/sites/{}/sessions", params.site);
    let text = client::post_text(&path, &request.to_json().to_text()).await?;
    SessionResponse::from_text(&text).ok_or(FetchError::Decode)
}

/// What opening the session says: who (identity, stored token), where (page, entry, plugin,
/// channel) and what the page and the visitor told (custom fields, pre-chat answers, group).
fn session_request(pre_chat: BTreeMap<String, String>, group: Option<String>) -> SessionRequest {
    let params = params();
    read(|c| {
        let (page_url, page_title) = c.page.clone();
        let (referrer, landing) = c.visit.split_once(' ').unwrap_or_default();
        let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        SessionRequest {
            identity: c.identity.clone(),
            resume_token: client::storage_get(&token_key(&params.site)).filter(|t| !t.is_empty()),
            locale: Some(params.locale.clone()),
            entry: c.entry.clone(),
            page_url: some(&page_url),
            page_title: some(&page_title),
            referrer: some(referrer),
            landing_url: some(landing),
            host_origin: some(&params.host),
            custom_fields: c.custom_fields.clone(),
            pre_chat,
            group,
            channel: Some(if c.narrow { Channel::MobileWeb } else { Channel::Web }),
            plugin: params.plugin.clone(),
        }
    })
}

pub(crate) fn send_frame(frame: &VisitorFrame) -> bool {
    let text = frame.to_json().to_text();
    CONNECTION.with(|c| c.borrow().as_ref().is_some_and(|conn| conn.socket.send_text(&text)))
}

struct Events {
    /// The session token, once the Desk answered `open` with the session.
    token: RefCell<Option<String>>,
    /// The first frame's session request, until the session is open.
    opening: SessionRequest,
}

impl Events {
    /// The Desk opened the session (`ready` and the replay follow).
    fn opened(&self, session: SessionResponse) {
        let site = &params().site;
        if let Some(refused) = &session.identity_refused {
            // The chat goes on as a guest; the page still learns its token was refused.
            error_event(&refused.code, &refused.message);
        }
        client::storage_set(&token_key(site), &session.token);
        let asks = !session.config.pre_chat.is_empty() || !session.config.groups.is_empty();
        let answered = client::storage_get(&pre_chat_key(site, &session.conversation_id)).is_some();
        *self.token.borrow_mut() = Some(session.token);
        update(|c| {
            c.pre_chat_done = !asks || answered;
            c.verified = session.verified;
            c.config = Some(session.config);
        });
    }

    fn message(&self, message: protocol::ChatMessage) {
        let from_agent = matches!(message.author, Author::Agent { .. });
        let text = client::timeline::Line::preview(&message.body);
        let conversation_id = message.conversation_id.clone();
        let is_new = update(|c| c.timeline.apply(message));
        if !is_new {
            return;
        }
        // A message in the conversation means the pre-chat form is behind us.
        client::storage_set(&pre_chat_key(&params().site, &conversation_id), "1");
        update(|c| c.pre_chat_done = true);
        keep(true);
        if !from_agent {
            return;
        }
        update(|c| c.agent_typing = false);
        emit("message", Json::obj([("text", text.into())]));
        if read(|c| c.open) {
            mark_read();
        } else {
            let unread = update(|c| {
                c.unread += 1;
                c.unread
            });
            emit("unread", Json::obj([("count", u64::from(unread).into())]));
            if read(|c| c.theme.sound) {
                crate::view::chime();
            }
        }
    }

    fn error(&self, code: String, message: String) {
        error_event(&code, &message);
        if code == "unauthorized" {
            // The Desk refused the token (unknown, expired, ended): start a fresh session.
            // Only that: an `internal` error keeps the token and the socket connects again.
            client::storage_set(&token_key(&params().site), "");
            keep(false);
            drop_connection();
            update(|c| c.phase = Phase::Failed(code, message));
        } else if self.token.borrow().is_none() && code != "internal" {
            // The Desk refused to open the session (identity required or refused, a page
            // it does not allow, too many sessions); it closes the socket for good.
            drop_connection();
            failed(code, message);
        } else {
            update(|c| c.notice = Some(message));
        }
    }

    fn status(&self, state: ConvStatus, position: Option<u32>, reason: Option<WaitReason>, agent: Option<String>) {
        let closed = state == ConvStatus::Closed;
        if closed {
            keep(false);
        }
        update(|c| {
            let queued = state == ConvStatus::Queued;
            // A queue position means something only while agents are busy; with nobody
            // online or outside hours, the window says that instead.
            let busy = reason.is_none_or(|r| r == WaitReason::Busy);
            c.queue_position = if queued && busy { position } else { None };
            c.wait_reason = if queued { reason.filter(|&r| r != WaitReason::Busy) } else { None };
            if state == ConvStatus::Active {
                c.agent_name = agent;
                c.leave_form = None;
            }
            if closed {
                c.agent_typing = false;
                // Only a conversation an agent served is rated; a left message is not.
                let served = c.agent_name.is_some()
                    || c.timeline.lines().iter().any(|l| matches!(l.author, Author::Agent { .. }));
                if served && c.rating == Rating::None {
                    c.rating = Rating::Asked;
                }
            }
        });
    }
}

impl SocketEvents for Events {
    /// `open` until the session is open (a connection lost before the answer opens it again:
    /// with the stored token of an earlier visit it resumes), then `auth` with the token.
    fn hello(&self) -> String {
        match self.token.borrow().clone() {
            Some(token) => {
                let last_seq = read(|c| c.timeline.last_seq());
                VisitorFrame::Auth { token, last_seq }.to_json().to_text()
            }
            None => VisitorFrame::Open { session: self.opening.clone() }.to_json().to_text(),
        }
    }

    fn decode(&self, text: &str) -> Option<ServerFrame> {
        ServerFrame::from_text(text)
    }

    /// The answer to `open` (a frame of its own, not a [`ServerFrame`]).
    fn other(&self, text: &str) {
        if let Some(SessionOpened { session }) = SessionOpened::from_text(text) {
            self.opened(session);
        }
    }

    fn frame(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::Ready { skipped_to, .. } => {
                // A page that has shown nothing yet: no conversation is going unless the replay
                // that follows brings messages (each sets the flag again). A conversation closed
                // while the visitor was away comes back empty, and the flag goes.
                if read(|c| c.timeline.lines().is_empty()) {
                    keep(false);
                }
                // A resume from far behind replays only the newest page: carry on from there.
                let pending = update(|c| {
                    c.timeline.skip_to(skipped_to);
                    c.phase = Phase::Online;
                    c.timeline.pending()
                });
                for (client_id, body) in pending {
                    send_frame(&VisitorFrame::Send { client_id, body });
                }
                if REFRESH_WANTED.with(Cell::get) {
                    refresh();
                }
            }
            ServerFrame::Message { message } => self.message(message),
            ServerFrame::Ack { client_id, seq, at_ms, .. } => {
                update(|c| _ = c.timeline.ack(&client_id, seq, at_ms));
                keep(true);
            }
            ServerFrame::Rejected { client_id, code, message } => {
                update(|c| {
                    c.timeline.fail(&client_id);
                    c.notice = Some(message.clone());
                });
                error_event(&code, &message);
            }
            ServerFrame::Error { code, message } => self.error(code, message),
            ServerFrame::Status { state, position, reason, agent_name, .. } => {
                self.status(state, position, reason, agent_name);
            }
            ServerFrame::LeaveMessageForm { intro, fields, .. } => update(|c| {
                if c.leave_form.as_ref().is_none_or(|f| !f.sent) {
                    c.leave_form = Some(LeaveForm { intro, fields, sent: false });
                }
            }),
            ServerFrame::Rated { score, .. } => update(|c| c.rating = Rating::Done(score)),
            ServerFrame::Typing { from: Side::Agent, typing, .. } => update(|c| c.agent_typing = typing),
            ServerFrame::Read { from: Side::Agent, seq, .. } => update(|c| c.agent_read_seq = seq),
            _ => {}
        }
    }

    fn connected(&self, up: bool) {
        if !up && online() {
            update(|c| c.phase = Phase::Offline);
        }
    }
}
