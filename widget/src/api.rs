//! All of the widget's network code: the session, the visitor socket, uploads and upload links.
//!
//! Wire shapes are read and written with `protocol::lite`, so serde's decoders stay out of the
//! download (the tests of `protocol::lite` keep both codecs in agreement).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use client::timeline::Timeline;
use client::{FetchError, Socket, SocketEvents};
use leptos::prelude::*;
use protocol::lite::{FromJson, Json, ToJson};
use protocol::{
    Author, Channel, ConvStatus, FormFieldInfo, MessageBody, ServerFrame, SessionOpened, SessionRequest,
    SessionResponse, Side, VisitorFrame, WaitReason, WidgetConfig,
};

use crate::host::{self, Params};
use crate::theme::Theme;

/// Where the conversation stands, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Nothing started yet (the window was never opened).
    Idle,
    /// Creating the session or opening the socket.
    Connecting,
    /// Authenticated and live.
    Online,
    /// The socket dropped; it reconnects by itself and resends what was typed.
    Offline,
    /// The session could not be started: the error code and message.
    Failed(String, String),
}

/// The leave-message form the Desk offered when nobody can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveForm {
    /// Text above the form.
    pub intro: String,
    /// Its fields.
    pub fields: Vec<FormFieldInfo>,
    /// Whether the visitor already sent it.
    pub sent: bool,
}

/// The rating asked for after the agent closed the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    /// Not closed (nothing to rate).
    None,
    /// Closed: ask for a score.
    Asked,
    /// Rated with this score.
    Done(u8),
}

/// The widget's reactive state; `Copy`, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Chat {
    /// Messages shown in the window.
    pub timeline: RwSignal<Timeline>,
    /// Connection phase.
    pub phase: RwSignal<Phase>,
    /// Site settings from the session answer.
    pub config: RwSignal<Option<WidgetConfig>>,
    /// Whether the visitor proved its identity (only then are card buttons shown).
    pub verified: RwSignal<bool>,
    /// Agent messages that arrived while the window was closed.
    pub unread: RwSignal<u32>,
    /// Whether the chat window is open.
    pub open: RwSignal<bool>,
    /// The encrypted identity the page gave (`data-identity` or `identify`).
    pub identity: RwSignal<Option<String>>,
    /// Look and feel (`data-theme`, `setTheme`).
    pub theme: RwSignal<Theme>,
    /// The entry (designated agent or group) from `data-entry` or `openEntry`.
    pub entry: RwSignal<Option<String>>,
    /// Fields the page set with `setCustomField` (shown to agents).
    pub custom_fields: RwSignal<BTreeMap<String, String>>,
    /// Cards the page gave with `setCards`, by list name.
    pub cards: RwSignal<BTreeMap<String, Vec<MessageBody>>>,
    /// The host page's URL and title.
    pub page: RwSignal<(String, String)>,
    /// Where the visit came from: `referrer landing-url` (see [`crate::host::Command::Page`]).
    pub visit: RwSignal<String>,
    /// Whether the host viewport is phone-narrow.
    pub narrow: RwSignal<bool>,
    /// Name of the agent serving the conversation.
    pub agent_name: RwSignal<Option<String>>,
    /// Position in the queue while nobody can answer yet (agents busy).
    pub queue_position: RwSignal<Option<u32>>,
    /// Why the conversation waits when it is not for a busy agent: `offline`, `off_hours`.
    pub wait_reason: RwSignal<Option<WaitReason>>,
    /// Whether the agent is typing.
    pub agent_typing: RwSignal<bool>,
    /// Highest `seq` the agent has read.
    pub agent_read_seq: RwSignal<u64>,
    /// The leave-message form, when offered.
    pub leave_form: RwSignal<Option<LeaveForm>>,
    /// Rating state after a close.
    pub rating: RwSignal<Rating>,
    /// Whether the pre-chat form was answered (or is not needed).
    pub pre_chat_done: RwSignal<bool>,
    /// Download links of uploads, by upload id (signed, short-lived).
    pub upload_urls: RwSignal<HashMap<String, String>>,
    /// Upload progress of lines still uploading, by client id (0.0 to 1.0).
    pub progress: RwSignal<HashMap<String, f64>>,
    /// A notice shown above the composer (a refused file, a refused message).
    pub notice: RwSignal<Option<String>>,
}

struct Connection {
    socket: Socket,
    events: Rc<Events>,
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
    /// A profile refresh is wanted / one is on its way (see `Chat::refresh`).
    static REFRESH_WANTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static REFRESH_POSTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// What the loader was last told by [`keep`].
    static KEPT: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// Tells the loader whether this visitor has a conversation going (`keep`), when that changes: the
/// loader keeps it as a first-party flag and, on the visitor's next page, loads the widget after
/// the page's load (unread badges, sound and agents' messages still reach him) instead of waiting
/// for the visitor to reach for the launcher.
fn keep(host: &str, on: bool) {
    if KEPT.with(|k| k.replace(Some(on))) != Some(on) {
        host::post(host, "keep", Json::obj([("on", on.into())]));
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

impl Chat {
    /// Fresh state with the window closed.
    pub fn new(theme: Theme, entry: Option<String>) -> Self {
        Self {
            timeline: RwSignal::new(Timeline::default()),
            phase: RwSignal::new(Phase::Idle),
            config: RwSignal::new(None),
            verified: RwSignal::new(false),
            unread: RwSignal::new(0),
            open: RwSignal::new(false),
            identity: RwSignal::new(None),
            theme: RwSignal::new(theme),
            entry: RwSignal::new(entry),
            custom_fields: RwSignal::new(BTreeMap::new()),
            cards: RwSignal::new(BTreeMap::new()),
            page: RwSignal::new((String::new(), String::new())),
            visit: RwSignal::new(String::new()),
            narrow: RwSignal::new(false),
            agent_name: RwSignal::new(None),
            queue_position: RwSignal::new(None),
            wait_reason: RwSignal::new(None),
            agent_typing: RwSignal::new(false),
            agent_read_seq: RwSignal::new(0),
            leave_form: RwSignal::new(None),
            rating: RwSignal::new(Rating::None),
            pre_chat_done: RwSignal::new(true),
            upload_urls: RwSignal::new(HashMap::new()),
            progress: RwSignal::new(HashMap::new()),
            notice: RwSignal::new(None),
        }
    }

    /// Whether this browser already has a session for the site (a returning visitor).
    pub fn has_session(params: &Params) -> bool {
        client::storage_get(&token_key(&params.site)).is_some_and(|t| !t.is_empty())
    }

    /// Starts the session and the socket once; later calls do nothing while one is running. The
    /// session opens in the socket's first frame (`open`): one connection, not an HTTP call and
    /// then the socket. An answer can never belong to an older start: a restart closes the old
    /// socket, whose frames then reach nobody.
    pub fn start(self, params: &Params) {
        if !matches!(self.phase.get_untracked(), Phase::Idle | Phase::Failed(..)) {
            return;
        }
        self.phase.set(Phase::Connecting);
        // This session carries the current page and fields: no refresh is owed for them.
        REFRESH_WANTED.with(|w| w.set(false));
        if !host::framed_by_host(&params.host) {
            // Another page claims to be the host: no session is opened for it.
            let (code, message) = ("origin_not_allowed", "the page that embeds the chat is not its host");
            host::emit(&params.host, "error", Json::obj([("code", code.into()), ("message", message.into())]));
            self.failed(params, code.to_string(), message.to_string());
            return;
        }
        let opening = self.session_request(params, BTreeMap::new(), None);
        let events = Rc::new(Events { chat: self, token: RefCell::new(None), opening, params: params.clone() });
        let url = client::ws_url(&format!("/api/v1/sites/{}/ws", params.site));
        let socket = Socket::open(url, events.clone());
        CONNECTION.with(|c| *c.borrow_mut() = Some(Connection { socket, events }));
    }

    /// The session could not be opened: the window says why, still under the site's name.
    fn failed(self, params: &Params, code: String, message: String) {
        self.phase.set(Phase::Failed(code, message));
        if self.config.with_untracked(Option::is_some) {
            return;
        }
        let path = format!("/api/v1/sites/{}/widget-config", params.site);
        leptos::task::spawn_local(async move {
            if let Some(config) = client::get_text(&path, "").await.ok().and_then(|t| WidgetConfig::from_text(&t)) {
                self.config.set(Some(config));
            }
        });
    }

    /// Ends the current connection and starts over (a new identity, a new entry, a new
    /// conversation after a close).
    pub fn restart(self, params: &Params) {
        drop_connection();
        self.timeline.set(Timeline::default());
        // Whoever the new session turns out to be, it is not verified until its answer says so
        // (after a logout the card buttons must go at once, not when the guest session lands).
        self.verified.set(false);
        self.leave_form.set(None);
        self.rating.set(Rating::None);
        self.agent_name.set(None);
        self.queue_position.set(None);
        self.wait_reason.set(None);
        self.agent_read_seq.set(0);
        self.phase.set(Phase::Idle);
        self.start(params);
    }

    /// Uses a new identity: a running session is replaced by one for the verified visitor.
    pub fn identify(self, params: &Params, token: String) {
        if self.identity.get_untracked().as_deref() == Some(token.as_str()) {
            return;
        }
        self.identity.set(Some(token));
        if self.phase.get_untracked() != Phase::Idle {
            self.restart(params);
        }
    }

    /// Forgets the visitor on this browser (the shopper logged out of the site): the stored session
    /// and the identity are dropped, and a running chat starts over as a new guest. The page hears
    /// `logout` once the session is gone, so it may navigate away.
    pub fn logout(self, params: &Params) {
        self.identity.set(None);
        client::storage_set(&token_key(&params.site), "");
        if self.phase.get_untracked() != Phase::Idle {
            self.restart(params);
        }
        host::emit(&params.host, "logout", Json::obj([]));
    }

    /// Starts (or restarts) at a designated entry, and opens the window.
    pub fn open_entry(self, params: &Params, entry: String) {
        let changed = self.entry.get_untracked().as_deref() != Some(entry.as_str());
        self.entry.set(Some(entry));
        if changed && self.phase.get_untracked() != Phase::Idle {
            self.restart(params);
        }
        self.open.set(true);
    }

    /// Sends the pre-chat answers and the picked group; the first message routes on them.
    pub fn submit_pre_chat(self, params: &Params, answers: BTreeMap<String, String>, group: Option<String>) {
        let params = params.clone();
        leptos::task::spawn_local(async move {
            match self.open_session(&params, answers, group).await {
                Ok(session) => {
                    client::storage_set(&pre_chat_key(&params.site, &session.conversation_id), "1");
                    self.notice.set(None);
                    self.pre_chat_done.set(true);
                }
                Err(err) => self.notice.set(Some(err.message())),
            }
        });
    }

    /// Tells the Desk what changed about the visitor's page (single-page-app navigation, new
    /// custom fields); agents see it in the visitor's profile. One post at a time, the newest
    /// state last: two in flight could arrive in either order and leave an older page stored.
    /// A change while the socket is away is posted once it is back (`ready`).
    pub fn refresh(self, params: &Params) {
        REFRESH_WANTED.with(|w| w.set(true));
        if self.phase.get_untracked() != Phase::Online || REFRESH_POSTING.with(|p| p.replace(true)) {
            return;
        }
        let params = params.clone();
        leptos::task::spawn_local(async move {
            // Each round posts the state of that moment; one more runs if anything changed meanwhile.
            while REFRESH_WANTED.with(|w| w.get()) && self.phase.get_untracked() == Phase::Online {
                REFRESH_WANTED.with(|w| w.set(false));
                let _ = self.open_session(&params, BTreeMap::new(), None).await;
            }
            REFRESH_POSTING.with(|p| p.set(false));
        });
    }

    /// Sends a message; it shows at once as "sending" and is resent after a reconnect.
    pub fn send(self, body: MessageBody) {
        let key = client::new_client_id();
        self.timeline.update(|t| t.push_local(key.clone(), Author::Visitor, body.clone(), client::now_ms()));
        self.notice.set(None);
        self.deliver(key, body);
    }

    /// Sends a message line now if the socket is authenticated; otherwise it stays pending and
    /// goes out with the others, in order, when the Desk says `ready` (a message written while
    /// an older one waits must never overtake it).
    pub(crate) fn deliver(self, client_id: String, body: MessageBody) {
        if self.phase.get_untracked() == Phase::Online {
            send_frame(&VisitorFrame::Send { client_id, body });
        }
    }

    /// Sends a text message (trimmed; empty text is ignored). A text over
    /// [`protocol::MAX_TEXT_CHARS`] characters is not sent: the notice says why and `false` tells
    /// the composer to keep it.
    pub fn send_text(self, text: String, strings: &crate::i18n::Strings) -> bool {
        let text = text.trim();
        if text.chars().count() > protocol::MAX_TEXT_CHARS {
            self.notice.set(Some(strings.text_too_long.replace("{}", &protocol::MAX_TEXT_CHARS.to_string())));
            return false;
        }
        if !text.is_empty() {
            self.send(MessageBody::Text { text: text.to_string() });
        }
        true
    }

    /// Submits the leave-message form.
    pub fn leave_message(self, fields: BTreeMap<String, String>) {
        if send_frame(&VisitorFrame::LeaveMessage { fields }) {
            self.leave_form.update(|f| {
                if let Some(f) = f {
                    f.sent = true;
                }
            });
        }
    }

    /// Rates the closed conversation.
    pub fn rate(self, score: u8, comment: String) {
        send_frame(&VisitorFrame::Rate { score, comment });
    }

    /// Tells the agent the visitor is typing (or stopped).
    pub fn typing(self, typing: bool) {
        send_frame(&VisitorFrame::Typing { typing });
    }

    /// Tells the agent every message up to the newest was seen.
    pub fn mark_read(self) {
        let seq = self.timeline.with_untracked(Timeline::last_seq);
        if seq > 0 {
            send_frame(&VisitorFrame::Read { seq });
        }
    }

    async fn open_session(
        self,
        params: &Params,
        pre_chat: BTreeMap<String, String>,
        group: Option<String>,
    ) -> Result<SessionResponse, FetchError> {
        if !host::framed_by_host(&params.host) {
            // Another page claims to be the host: no session is opened for it.
            let (code, message) = ("origin_not_allowed".into(), "the page that embeds the chat is not its host".into());
            return Err(FetchError::Api { status: 403, code, message });
        }
        let request = self.session_request(params, pre_chat, group);
        let path = format!("/api/v1/sites/{}/sessions", params.site);
        let text = client::post_text(&path, &request.to_json().to_text()).await?;
        SessionResponse::from_text(&text).ok_or(FetchError::Decode)
    }

    /// What opening the session says: who (identity, stored token), where (page, entry, plugin,
    /// channel) and what the page and the visitor told (custom fields, pre-chat answers, group).
    fn session_request(
        self,
        params: &Params,
        pre_chat: BTreeMap<String, String>,
        group: Option<String>,
    ) -> SessionRequest {
        let (page_url, page_title) = self.page.get_untracked();
        let visit = self.visit.get_untracked();
        let visit = visit.split_once(' ').map(|(r, l)| (Some(r.to_string()), Some(l.to_string()))).unwrap_or_default();
        SessionRequest {
            identity: self.identity.get_untracked(),
            resume_token: client::storage_get(&token_key(&params.site)).filter(|t| !t.is_empty()),
            locale: Some(params.locale.clone()),
            entry: self.entry.get_untracked(),
            page_url: Some(page_url).filter(|u| !u.is_empty()),
            page_title: Some(page_title).filter(|t| !t.is_empty()),
            referrer: visit.0.filter(|r| !r.is_empty()),
            landing_url: visit.1.filter(|l| !l.is_empty()),
            host_origin: Some(params.host.clone()).filter(|h| !h.is_empty()),
            custom_fields: self.custom_fields.get_untracked(),
            pre_chat,
            group,
            channel: Some(if self.narrow.get_untracked() { Channel::MobileWeb } else { Channel::Web }),
            plugin: params.plugin.clone(),
        }
    }
}

pub(crate) fn send_frame(frame: &VisitorFrame) -> bool {
    let text = frame.to_json().to_text();
    CONNECTION.with(|c| c.borrow().as_ref().is_some_and(|conn| conn.socket.send_text(&text)))
}

struct Events {
    chat: Chat,
    /// The session token, once the Desk answered `open` with the session.
    token: RefCell<Option<String>>,
    /// The first frame's session request, until the session is open.
    opening: SessionRequest,
    params: Params,
}

impl Events {
    /// The Desk opened the session (`ready` and the replay follow).
    fn opened(&self, session: SessionResponse) {
        let (chat, params) = (self.chat, &self.params);
        if let Some(refused) = &session.identity_refused {
            // The chat goes on as a guest; the page still learns its token was refused.
            let event = [("code", refused.code.as_str().into()), ("message", refused.message.as_str().into())];
            host::emit(&params.host, "error", Json::obj(event));
        }
        client::storage_set(&token_key(&params.site), &session.token);
        let asks = !session.config.pre_chat.is_empty() || !session.config.groups.is_empty();
        let answered = client::storage_get(&pre_chat_key(&params.site, &session.conversation_id)).is_some();
        chat.pre_chat_done.set(!asks || answered);
        chat.verified.set(session.verified);
        chat.config.set(Some(session.config));
        *self.token.borrow_mut() = Some(session.token);
    }
}

impl SocketEvents for Events {
    /// `open` until the session is open (a connection lost before the answer opens it again:
    /// with the stored token of an earlier visit it resumes), then `auth` with the token.
    fn hello(&self) -> String {
        match self.token.borrow().clone() {
            Some(token) => {
                let last_seq = self.chat.timeline.with_untracked(Timeline::last_seq);
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
        let chat = self.chat;
        let host = &self.params.host;
        match frame {
            ServerFrame::Ready { skipped_to, .. } => {
                // A page that has shown nothing yet: no conversation is going unless the replay
                // that follows brings messages (each sets the flag again). A conversation closed
                // while the visitor was away comes back empty, and the flag goes.
                if chat.timeline.with_untracked(|t| t.lines().is_empty()) {
                    keep(host, false);
                }
                // A resume from far behind replays only the newest page: carry on from there.
                chat.timeline.update(|t| t.skip_to(skipped_to));
                chat.phase.set(Phase::Online);
                for (client_id, body) in chat.timeline.with_untracked(Timeline::pending) {
                    send_frame(&VisitorFrame::Send { client_id, body });
                }
                if REFRESH_WANTED.with(|w| w.get()) {
                    chat.refresh(&self.params);
                }
            }
            ServerFrame::Message { message } => {
                let from_agent = matches!(message.author, Author::Agent { .. });
                let text = client::timeline::Line::preview(&message.body);
                let conversation_id = message.conversation_id.clone();
                let is_new = chat.timeline.try_update(|t| t.apply(message)).unwrap_or(false);
                if is_new {
                    // A message in the conversation means the pre-chat form is behind us.
                    client::storage_set(&pre_chat_key(&self.params.site, &conversation_id), "1");
                    chat.pre_chat_done.set(true);
                    keep(host, true);
                }
                if is_new && from_agent {
                    chat.agent_typing.set(false);
                    host::emit(host, "message", Json::obj([("text", text.into())]));
                    if chat.open.get_untracked() {
                        chat.mark_read();
                    } else {
                        chat.unread.update(|n| *n += 1);
                        host::emit(
                            host,
                            "unread",
                            Json::obj([("count", u64::from(chat.unread.get_untracked()).into())]),
                        );
                        if chat.theme.with_untracked(|t| t.sound) {
                            crate::launcher::chime();
                        }
                    }
                }
            }
            ServerFrame::Ack { client_id, seq, .. } => {
                chat.timeline.update(|t| t.ack(&client_id, seq));
                keep(host, true);
            }
            ServerFrame::Rejected { client_id, code, message } => {
                chat.timeline.update(|t| t.fail(&client_id));
                chat.notice.set(Some(message.clone()));
                host::emit(host, "error", Json::obj([("code", code.into()), ("message", message.into())]));
            }
            ServerFrame::Error { code, message } => {
                host::emit(
                    host,
                    "error",
                    Json::obj([("code", code.as_str().into()), ("message", message.as_str().into())]),
                );
                if code == "unauthorized" {
                    // The Desk refused the token (unknown, expired, ended): start a fresh session.
                    // Only that: an `internal` error keeps the token and the socket connects again.
                    client::storage_set(&token_key(&self.params.site), "");
                    keep(host, false);
                    drop_connection();
                    chat.phase.set(Phase::Failed(code, message));
                } else if self.token.borrow().is_none() && code != "internal" {
                    // The Desk refused to open the session (identity required or refused, a page
                    // it does not allow, too many sessions); it closes the socket for good.
                    drop_connection();
                    chat.failed(&self.params, code, message);
                } else {
                    chat.notice.set(Some(message));
                }
            }
            ServerFrame::Status { state, position, reason, agent_name, .. } => {
                let queued = state == ConvStatus::Queued;
                // A queue position means something only while agents are busy; with nobody
                // online or outside hours, the window says that instead.
                let busy = reason.is_none_or(|r| r == WaitReason::Busy);
                chat.queue_position.set(if queued && busy { position } else { None });
                chat.wait_reason.set(if queued { reason.filter(|&r| r != WaitReason::Busy) } else { None });
                match state {
                    ConvStatus::Active => {
                        chat.agent_name.set(agent_name);
                        chat.leave_form.set(None);
                    }
                    ConvStatus::Closed => {
                        keep(host, false);
                        chat.agent_typing.set(false);
                        // Only a conversation an agent served is rated; a left message is not.
                        let served = chat.agent_name.with_untracked(Option::is_some)
                            || chat
                                .timeline
                                .with_untracked(|t| t.lines().iter().any(|l| matches!(l.author, Author::Agent { .. })));
                        if served && chat.rating.get_untracked() == Rating::None {
                            chat.rating.set(Rating::Asked);
                        }
                    }
                    _ => {}
                }
            }
            ServerFrame::LeaveMessageForm { intro, fields, .. }
                if chat.leave_form.with_untracked(|f| f.as_ref().is_none_or(|f| !f.sent)) =>
            {
                chat.leave_form.set(Some(LeaveForm { intro, fields, sent: false }));
            }
            ServerFrame::Rated { score, .. } => chat.rating.set(Rating::Done(score)),
            ServerFrame::Typing { from: Side::Agent, typing, .. } => chat.agent_typing.set(typing),
            ServerFrame::Read { from: Side::Agent, seq, .. } => chat.agent_read_seq.set(seq),
            _ => {}
        }
    }

    fn connected(&self, up: bool) {
        if !up && self.chat.phase.get_untracked() == Phase::Online {
            self.chat.phase.set(Phase::Offline);
        }
    }
}
