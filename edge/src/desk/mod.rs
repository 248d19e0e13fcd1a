//! The Desk: one SQLite-backed Durable Object per site. It turns HTTP and WebSocket callbacks
//! into stored messages and frames for the site's visitors and agents.

mod console;
mod console_store;
mod core;
mod frames;
mod limits;
mod logins;
mod pipeline;
mod profile;
mod report;
mod report_store;
mod reports;
mod routing_config;
mod routing_store;
mod sessions;
mod settings;
mod sockets;
mod store;
mod topics;
mod uploads;
mod wechat;
mod wechat_out;

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use protocol::{
    AgentLogoutRequest, ContactImport, ServerFrame, SessionRequest, SessionResponse, SessionSettings, SiteConfig,
};
use routing::{AgentId, AgentStatus, Event, MINUTE};
use serde::de::DeserializeOwned;
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, Result, State, WebSocket, WebSocketIncomingMessage,
    WebSocketPair, WebSocketRequestResponsePair,
};

use crate::error::{EdgeError, EdgeResult};
use crate::internal::{self, Caller, Route};
use crate::secrets;
use limits::Limits;
use sockets::{Role, SocketIndex, Who};
use store::Store;

/// Largest WebSocket frame a client may send.
const MAX_FRAME_BYTES: usize = 64 * 1024;

/// The per-site Durable Object.
#[durable_object]
pub struct Desk {
    state: State,
    /// The site's storage, once it exists: only an operator's first `PUT /admin/config` creates
    /// it, so a site id nobody created costs no storage (every path answers `site_not_found`).
    store: OnceCell<Store>,
    /// Opening existing storage failed (every path answers `internal`).
    storage_failed: bool,
    sockets: RefCell<Option<SocketIndex>>,
    config: RefCell<Option<Rc<SiteConfig>>>,
    limits: RefCell<Limits>,
    /// The routing core, restored from SQLite on first use after a wake.
    core: RefCell<Option<routing::Desk>>,
    /// The alarm the core asked for in this callback (`Some(None)`: none), set at its end.
    wanted_alarm: Cell<Option<Option<u64>>>,
    /// The alarm as last set (`None`: not known since the wake).
    alarm_at: Cell<Option<Option<u64>>>,
    /// A site-wide list changed; agents get the board's changes at the end of this callback, or
    /// of a later one when a board went out less than [`console::BOARD_EVERY_MS`] ago.
    board_dirty: Cell<bool>,
    /// When the board last went out (the runtime's clock, unix ms; 0: not since the wake).
    board_pushed_at: Cell<u64>,
    /// A board update waits: the alarm fires when it may go out.
    board_alarm: Cell<bool>,
    /// The board as last sent to the agents (deltas are made against it).
    board_sent: RefCell<Option<protocol::Board>>,
    /// The last board number handed out.
    board_seq: Cell<u64>,
    /// The routing core's records on their way to SQLite (activity-only changes held back).
    records: RefCell<routing_store::Writer>,
    /// Whether the outbox to WeChat (`wechat_outbox`, in SQLite) holds messages: `None` when not
    /// known since the wake (a Desk that stopped before sending sends them when it next runs).
    outbox_waiting: Cell<Option<bool>>,
    /// The outbox's sender (its number; 0: none) and when it began its current message, unix ms:
    /// one sender at a time.
    outbox_sender: Cell<(u64, u64)>,
    /// Senders numbered so far.
    outbox_senders: Cell<u64>,
    /// This callback answers WeChat: it leaves the outbox to an alarm (`outbox_alarm`).
    send_later: Cell<bool>,
    /// The outbox waits for an alarm set for now.
    outbox_alarm: Cell<bool>,
    /// Mini-program conversations' typing state, and typing commands for WeChat's typing API.
    wechat_typing: RefCell<HashMap<String, wechat_out::Typing>>,
    typing_out: RefCell<Vec<(String, &'static str)>>,
    /// Each mini-program's WeChat access token while it is valid.
    wechat_tokens: RefCell<Vec<wechat_out::CachedToken>>,
    /// Uploads sent to WeChat as temporary media, by mini-program.
    wechat_media: RefCell<Vec<wechat_out::CachedMedia>>,
    /// The set of sockets waiting for `auth` changed in this callback; the alarm is checked at its end.
    auth_alarm: Cell<bool>,
    /// When each agent session's last use was last stored (since the wake), by token hash.
    agent_touched: RefCell<HashMap<String, u64>>,
    /// The Worker's bindings (the uploads bucket, for deleting unused uploads).
    env: Env,
    /// When unused uploads were last swept (unix ms; 0: not since the wake).
    last_sweep: Cell<u64>,
    /// When expired sessions were last deleted (unix ms): at most once a minute.
    sessions_swept: Cell<u64>,
}

impl DurableObject for Desk {
    fn new(state: State, env: Env) -> Self {
        let store = OnceCell::new();
        let storage_failed = match Store::existing(state.storage().sql()) {
            Ok(Some(opened)) => store.set(opened).is_err(),
            Ok(None) => false,
            Err(err) => {
                worker::console_error!("desk storage failed to open: {err:?}");
                true
            }
        };
        if test_clock_on(&env) {
            let pinned = store.get().and_then(|s: &Store| s.meta(TEST_CLOCK_KEY).ok().flatten());
            PINNED_MS.with(|p| p.set(pinned.and_then(|v| v.parse().ok())));
        }
        // The clients' heartbeat is answered by the runtime on every socket of the object, signed
        // in or not, without waking it.
        match WebSocketRequestResponsePair::new(protocol::PING, protocol::PONG) {
            Ok(pair) => state.set_websocket_auto_response(&pair),
            Err(err) => worker::console_error!("desk heartbeat auto-response refused: {err:?}"),
        }
        Self {
            state,
            store,
            storage_failed,
            sockets: RefCell::new(None),
            config: RefCell::new(None),
            limits: RefCell::new(Limits::new(Default::default())),
            core: RefCell::new(None),
            wanted_alarm: Cell::new(None),
            alarm_at: Cell::new(None),
            board_dirty: Cell::new(false),
            board_pushed_at: Cell::new(0),
            board_alarm: Cell::new(false),
            board_sent: RefCell::new(None),
            board_seq: Cell::new(0),
            records: RefCell::new(routing_store::Writer::default()),
            outbox_waiting: Cell::new(None),
            outbox_sender: Cell::new((0, 0)),
            outbox_senders: Cell::new(0),
            send_later: Cell::new(false),
            outbox_alarm: Cell::new(false),
            wechat_typing: RefCell::new(HashMap::new()),
            typing_out: RefCell::new(Vec::new()),
            wechat_tokens: RefCell::new(Vec::new()),
            wechat_media: RefCell::new(Vec::new()),
            auth_alarm: Cell::new(false),
            agent_touched: RefCell::new(HashMap::new()),
            env,
            last_sweep: Cell::new(0),
            sessions_swept: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let route = Route::parse(&req.method(), &req.path());
        let caller = Caller::of_internal(&req);
        let site = internal::site_of(&req);
        let body = if matches!(req.method(), Method::Post | Method::Put) {
            req.bytes().await.unwrap_or_default()
        } else {
            Vec::new()
        };
        let result = match route {
            Some(Route::Sessions) => self.open_session(&site, &caller, &body),
            Some(Route::WidgetConfig) => {
                self.config().and_then(|c| Ok(Response::from_json(&sessions::widget_config(&c, c.plugin(None)))?))
            }
            // The widget page's frame-ancestors.
            Some(Route::Embed) => self.embed(&body),
            Some(Route::LoginBegin) => self.login_begin(&caller, &body),
            Some(Route::LoginFinish) => self.login_finish(&body),
            Some(Route::Logout) => self.agent_logout(&body),
            Some(Route::VisitorSocket) => self.accept_socket(Role::Visitor, &caller, &site),
            Some(Route::AgentSocket) => self.accept_socket(Role::Agent, &caller, &site),
            #[cfg(feature = "bench")]
            Some(Route::EchoSocket) => self.accept_socket(Role::Echo, &caller, &site),
            #[cfg(feature = "bench")]
            Some(Route::EchoDurableSocket) => self.accept_socket(Role::EchoDurable, &caller, &site),
            Some(Route::PutConfig) => self.put_config(&body),
            Some(Route::CreateSite) => self.create_site(&body),
            Some(Route::GetConfig) => self.get_config(),
            Some(Route::GetSettings) => self.get_settings(internal::token_of(&req)),
            Some(Route::PrepareSettings) => self.prepare_settings(internal::token_of(&req), &body),
            Some(Route::PutSettings) => self.put_settings(internal::token_of(&req), &body),
            Some(Route::SettingsHistory) => self.settings_history(internal::token_of(&req)),
            Some(Route::SettingsContacts) => self.settings_contacts(internal::token_of(&req), &body),
            Some(Route::SearchContacts) => self.search_contacts(internal::token_of(&req), &body),
            Some(Route::SettingsImpact) => self.settings_impact(internal::token_of(&req), &body),
            Some(Route::RevealBegin) => self.reveal_begin(&caller, internal::token_of(&req)),
            Some(Route::RevealFinish) => self.reveal_finish(internal::token_of(&req), &body),
            Some(Route::Wechat) => self.wechat_push(&site, &body),
            Some(Route::WechatMedia) => self.wechat_media(&body).await,
            // The stored hashes, so the Worker can tell a resent password from a new one.
            Some(Route::Passwords) => match self.store.get() {
                Some(store) => store.passwords().and_then(|p| Ok(Response::from_json(&p)?)),
                None => Ok(Response::from_json(&serde_json::json!({}))?),
            },
            Some(Route::PutContacts) => self.put_contacts(&body),
            Some(Route::UploadAuthorize) => self.authorize_upload(&site, &caller, internal::token_of(&req), &body),
            Some(Route::UploadRecord) => self.record_upload(&site, &body),
            Some(Route::UploadAccess) => self.access_upload(&site, internal::token_of(&req), &body),
            Some(Route::TestClock) => self.test_clock(&body),
            Some(Route::Report) => self.report_for(internal::token_of(&req), &body),
            #[cfg(feature = "bench")]
            Some(Route::BenchFill) => self.bench_fill(&body),
            #[cfg(not(feature = "bench"))]
            Some(Route::EchoSocket | Route::EchoDurableSocket | Route::BenchFill) => Err(EdgeError::NotFound),
            None => Err(EdgeError::NotFound),
        };
        if matches!(route, Some(Route::Sessions | Route::UploadAuthorize)) {
            self.sweep_unused_uploads().await;
        }
        // WeChat waits 5 s for its answer: what a push leaves to send goes out from an alarm set
        // for now, after the answer, not before it.
        self.send_later.set(matches!(route, Some(Route::Wechat | Route::WechatMedia)));
        self.finish().await;
        result.or_else(EdgeError::into_response)
    }

    async fn alarm(&self) -> Result<Response> {
        // The alarm that fired is gone. It may have fired for the auth deadline of pending sockets
        // rather than for the core, and the core asks for an alarm only when its deadline moves, so
        // the next one is always asked of the core here.
        self.alarm_at.set(Some(None));
        self.close_unauthenticated();
        if let Err(err) = self.route(Event::TimerFired) {
            worker::console_error!("routing timer failed: {err:?}");
        }
        match self.with_core(|core| core.next_deadline()) {
            Ok(next) => self.wanted_alarm.set(Some(next.map(|m| m.0))),
            Err(err) => worker::console_error!("routing deadline unknown: {err:?}"),
        }
        self.finish().await;
        Response::ok("")
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        let WebSocketIncomingMessage::String(text) = message else {
            sockets::send(&ws, &error_frame(&EdgeError::BadRequest("frames are JSON text".into())));
            return Ok(());
        };
        if text == protocol::PING {
            // Normally answered by the auto-response before it gets here; never a bad frame.
            sockets::pong(&ws);
            return Ok(());
        }
        if text.len() > MAX_FRAME_BYTES {
            refuse_oversized(&ws, &text);
            return Ok(());
        }
        let who = match self.who(&ws) {
            Some(who) => who,
            None => {
                let _ = ws.close(Some(4400), Some("unknown socket"));
                return Ok(());
            }
        };
        if let Err(err) = self.on_frame(&ws, who, &text) {
            if let EdgeError::Internal(detail) = &err {
                worker::console_error!("websocket frame failed: {detail}");
            }
            sockets::send(&ws, &error_frame(&err));
        }
        self.finish().await;
        Ok(())
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, _reason: String, _was_clean: bool) -> Result<()> {
        // Answer the client's close frame; unanswered, the client waits and ends with 1006. A socket
        // that is already closed refuses, which is fine.
        let _ = ws.close(Some(protocol::raw::close_reply(code)), None::<&str>);
        self.forget(&ws);
        self.finish().await;
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.forget(&ws);
        self.finish().await;
        Ok(())
    }
}

impl Desk {
    fn store(&self) -> EdgeResult<&Store> {
        match self.store.get() {
            Some(store) => Ok(store),
            None if self.storage_failed => Err(EdgeError::Internal("storage unavailable".into())),
            None => Err(EdgeError::SiteNotFound),
        }
    }

    /// The site's storage, created (schema and all) if this is the site's first config.
    fn create_store(&self) -> EdgeResult<&Store> {
        if self.store.get().is_none() && !self.storage_failed {
            let opened = Store::open(self.state.storage().sql())?;
            let _ = self.store.set(opened);
        }
        self.store()
    }

    /// The site config, read from storage once per wake and kept until the admin changes it.
    fn config(&self) -> EdgeResult<Rc<SiteConfig>> {
        if let Some(config) = self.config.borrow().as_ref() {
            return Ok(config.clone());
        }
        let config = Rc::new(self.store()?.config()?.ok_or(EdgeError::SiteNotFound)?);
        *self.config.borrow_mut() = Some(config.clone());
        Ok(config)
    }

    /// Takes a token from one of the site's rate limits (which follow changed settings, keeping
    /// their buckets).
    fn limit(
        &self,
        settings: protocol::RateLimitSettings,
        pick: impl FnOnce(&mut Limits) -> &mut limits::Limiter,
        key: &str,
    ) -> EdgeResult<()> {
        let mut limits = self.limits.borrow_mut();
        limits.update(settings);
        pick(&mut limits).take(key, now_ms()).map_err(EdgeError::RateLimited)
    }

    /// Runs `f` with the socket index, rebuilding it from hibernated sockets first if needed.
    fn with_sockets<T>(&self, f: impl FnOnce(&mut SocketIndex) -> T) -> T {
        let mut slot = self.sockets.borrow_mut();
        let index = slot.get_or_insert_with(|| SocketIndex::rebuild(&self.state));
        f(index)
    }

    /// Ends every callback: sets the alarm the core asked for.
    async fn finish(&self) {
        self.push_board();
        if !self.send_later.replace(false) {
            self.send_outbox().await;
        } else if self.outbox_waiting.get() != Some(false) || !self.typing_out.borrow().is_empty() {
            self.outbox_alarm.set(true);
        }
        if let Ok(store) = self.store() {
            if let Err(err) = self.records.borrow_mut().flush(store.sql(), now_ms(), false) {
                worker::console_error!("writing routing records failed: {err:?}");
            }
            if let Err(err) = store.index_waiting(now_ms(), false) {
                worker::console_error!("indexing messages for search failed: {err:?}");
            }
        }
        if let Err(err) = self.sync_alarm().await {
            worker::console_error!("setting the alarm failed: {err:?}");
        }
    }

    /// Closes the sockets that did not authenticate within [`protocol::AUTH_TIMEOUT_MS`].
    fn close_unauthenticated(&self) {
        let late =
            self.with_sockets(|index| index.take_unauthenticated(now_ms().saturating_sub(protocol::AUTH_TIMEOUT_MS)));
        for ws in late {
            sockets::send(&ws, &error_frame(&EdgeError::AuthTimeout));
            sockets::close(&ws, protocol::CLOSE_AUTH_TIMEOUT, "auth_timeout");
        }
        self.auth_alarm.set(true);
    }

    /// Ends the live sockets whose owner matches `pred` (their session ended): the client hears
    /// `unauthorized` and the close [`protocol::CLOSE_UNAUTHORIZED`], so it stops reconnecting.
    fn end_sockets(&self, pred: impl Fn(&Who) -> bool) {
        for ws in self.with_sockets(|index| index.matching(pred)) {
            sockets::send(&ws, &error_frame(&EdgeError::Unauthorized));
            sockets::close(&ws, protocol::CLOSE_UNAUTHORIZED, "unauthorized");
            self.forget(&ws);
        }
    }

    /// Who a socket speaks for: found in the index by the socket object, else read from its
    /// attachment (a socket the index does not hold).
    fn who(&self, ws: &WebSocket) -> Option<Who> {
        self.with_sockets(|index| index.who(ws)).or_else(|| Who::of(ws))
    }

    /// Takes a closed (or closing) socket out of the index: a visitor's last socket going tells the
    /// agent it went away, an agent's last socket makes it `away`. A socket forgotten before (closed
    /// by the Desk, then its close event) changes nothing the second time.
    fn forget(&self, ws: &WebSocket) {
        let Some(who) = self.who(ws) else { return };
        let (was_indexed, last) = self.with_sockets(|index| {
            let was_indexed = index.remove(&who);
            let last = match &who {
                Who::Visitor { conversation_id, .. } => !index.has_conversation(conversation_id),
                Who::Agent { agent_id, .. } => index.agent_sockets(agent_id) == 0,
                Who::Pending { .. } => false,
            };
            (was_indexed, last)
        });
        if !was_indexed {
            return;
        }
        match who {
            Who::Pending { .. } => self.auth_alarm.set(true),
            Who::Visitor { conversation_id, .. } if last => {
                let frame = ServerFrame::VisitorPresence { conversation_id: conversation_id.clone(), online: false };
                if let Err(err) = self.to_holder(&conversation_id, &frame) {
                    worker::console_error!("presence update failed: {err:?}");
                }
            }
            // An agent whose last console closed keeps its chats but gets no new ones until it is back.
            Who::Agent { agent_id, .. } if last => {
                let agent = AgentId(agent_id);
                let still_online = self.with_core(|core| core.agent_status(&agent));
                if matches!(still_online, Ok(Some(AgentStatus::Online))) {
                    if let Err(err) = self.route(Event::AgentStatus { agent, status: AgentStatus::Away }) {
                        worker::console_error!("presence update failed: {err:?}");
                    }
                }
            }
            Who::Visitor { .. } | Who::Agent { .. } => {}
        }
    }

    fn open_session(&self, site: &str, caller: &Caller, body: &[u8]) -> EdgeResult<Response> {
        Ok(Response::from_json(&self.open_visitor(site, caller, parse_json(body)?)?)?)
    }

    /// Opens (or resumes) a visitor's session, for `POST sessions` and a socket's `open` frame
    /// alike: the page's origin, the entry, the address's session limit, then the identity check.
    fn open_visitor(&self, site: &str, caller: &Caller, request: SessionRequest) -> EdgeResult<SessionResponse> {
        let config = self.config()?;
        sessions::check_origin(
            &config,
            config.plugin(request.plugin.as_deref()),
            caller,
            request.host_origin.as_deref(),
        )?;
        let entry = request.entry.clone().filter(|e| !e.is_empty());
        if let Some(entry) = &entry {
            if !config.routing.entries.iter().any(|e| &e.id == entry) {
                return Err(EdgeError::UnknownEntry);
            }
        }
        self.limit(config.rate_limits, |l| &mut l.sessions_per_ip, &caller.ip)?;
        self.drop_expired_sessions(&config)?;
        let answer = sessions::open(self.store()?, &config, site, request, caller, now_ms())?;
        if let Some(entry) = entry {
            self.store()?.set_conversation_entry(&answer.conversation_id, &entry)?;
        }
        // The agent on the conversation sees the visitor's new page and fields as they happen.
        if let Err(err) = self.push_profile(&answer.conversation_id) {
            worker::console_error!("profile update failed: {err:?}");
        }
        Ok(answer)
    }

    /// `POST /test/clock` (only where the Worker runs with `TEST_CLOCK` = `"1"`): `{"at_ms": n}`
    /// pins this Desk's clock at `n` (routing, storage, reports all read it), `{"at_ms": null}`
    /// lets it run again. End-to-end tests replay a known month through the Desk with it. The
    /// alarm stays right: it is set as a delay from the pinned time.
    fn test_clock(&self, body: &[u8]) -> EdgeResult<Response> {
        #[derive(serde::Deserialize)]
        struct Pin {
            at_ms: Option<u64>,
        }
        if !test_clock_on(&self.env) {
            return Err(EdgeError::NotFound);
        }
        let pin: Pin = parse_json(body)?;
        self.store()?.set_meta(TEST_CLOCK_KEY, pin.at_ms.map(|v| v.to_string()).as_deref())?;
        PINNED_MS.with(|p| p.set(pin.at_ms));
        Ok(Response::from_json(&serde_json::json!({ "now_ms": now_ms() }))?)
    }

    /// `POST /bench/fill` (`bench` builds only): `{from, conversations, messages, spread_ms?}` stores
    /// that many made-up conversations, numbered from `from` and started `spread_ms` apart, each with
    /// `messages` messages, indexed for search, with the reports' records.
    #[cfg(feature = "bench")]
    fn bench_fill(&self, body: &[u8]) -> EdgeResult<Response> {
        #[derive(serde::Deserialize)]
        struct Fill {
            from: u64,
            conversations: u64,
            messages: u64,
            /// Time between two conversations' starts (default a minute).
            spread_ms: Option<u64>,
        }
        let fill: Fill = parse_json(body)?;
        let spread = fill.spread_ms.unwrap_or(60_000);
        let written = self.store()?.bench_fill(fill.from, fill.conversations, fill.messages, spread, now_ms())?;
        Ok(Response::from_json(&serde_json::json!({ "messages": written }))?)
    }

    fn put_contacts(&self, body: &[u8]) -> EdgeResult<Response> {
        let import: ContactImport = parse_json(body)?;
        if let Some(bad) = import.contacts.iter().find(|c| c.id.is_empty() || c.id.len() > 128) {
            return Err(EdgeError::BadRequest(format!("contact ids must be 1-128 characters: {:?}", bad.id)));
        }
        let written = self.store()?.upsert_contacts(&import.contacts)?;
        Ok(Response::from_json(&serde_json::json!({ "written": written }))?)
    }

    /// `POST /agents/logout`: ends the session of a token (the console's log-out) and closes its
    /// sockets. Unknown tokens get the same answer.
    fn agent_logout(&self, body: &[u8]) -> EdgeResult<Response> {
        let request: AgentLogoutRequest = parse_json(body)?;
        if request.token.starts_with("a_") {
            let hash = secrets::token_hash(&request.token);
            self.store()?.end_agent_session(&hash)?;
            self.agent_touched.borrow_mut().remove(&hash);
            self.end_sockets(|who| matches!(who, Who::Agent { session, .. } if *session == hash));
        }
        Ok(Response::from_json(&serde_json::json!({ "ok": true }))?)
    }

    /// Deletes sessions past their lifetime, at most once a minute: they are refused anyway, this
    /// only keeps the tables small, and two statements on every session opened were the largest
    /// single cost of an opening burst (`tests/bench/load.mjs`).
    pub(super) fn drop_expired_sessions(&self, config: &SiteConfig) -> EdgeResult<()> {
        let now = now_ms();
        if now.saturating_sub(self.sessions_swept.get()) < MINUTE {
            return Ok(());
        }
        self.sessions_swept.set(now);
        let sessions = config.sessions;
        self.store()?.drop_expired_sessions(
            alive_since(now, sessions.visitor_ttl_secs),
            alive_since(now, sessions.agent_idle_secs),
        )
    }

    /// Whether an agent session is still alive, recording its use (stored at most every
    /// [`SessionSettings::touch_every_ms`], so frames do not write).
    fn agent_session_alive(&self, session: &str) -> EdgeResult<bool> {
        let idle_secs = self.config()?.sessions.agent_idle_secs;
        let now = now_ms();
        let every = SessionSettings::touch_every_ms(idle_secs);
        if let Some(&stored) = self.agent_touched.borrow().get(session) {
            if now.saturating_sub(stored) < every {
                return Ok(true);
            }
        }
        let alive =
            !session.is_empty() && self.store()?.touch_agent_session(session, now, alive_since(now, idle_secs))?;
        let mut touched = self.agent_touched.borrow_mut();
        if touched.len() >= 10_000 {
            // A write throttle, not state: forgetting it costs one more write per session.
            touched.clear();
        }
        if alive {
            touched.insert(session.to_string(), now);
        } else {
            touched.remove(session);
        }
        Ok(alive)
    }

    fn accept_socket(&self, role: Role, caller: &Caller, site: &str) -> EdgeResult<Response> {
        let config = self.config()?;
        // Widget and console pages live on our own origin; a site may also allow its own pages.
        if !caller.origin.is_empty()
            && caller.origin != caller.own_origin
            && !sessions::origin_allowed(&config, &caller.origin)
        {
            return Err(EdgeError::OriginNotAllowed);
        }
        let ip = caller.ip.clone();
        let counted = matches!(role, Role::Visitor | Role::Agent);
        let cap = usize::try_from(config.rate_limits.sockets_per_ip.max(1)).unwrap_or(usize::MAX);
        if counted && self.with_sockets(|index| index.ip_sockets(&ip)) >= cap {
            return Err(EdgeError::TooManySockets);
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[role.tag()]);
        let opener = (role == Role::Visitor)
            .then(|| Box::new(sockets::Opener { site: site.to_string(), caller: caller.clone() }));
        let who = Who::Pending { role, sid: secrets::random_hex(8)?, at: now_ms(), ip, opener };
        who.attach(&pair.server)?;
        self.with_sockets(|index| index.insert(&who, pair.server.clone()));
        if counted {
            // Closed by the alarm unless it authenticates in time.
            self.auth_alarm.set(true);
        }
        Ok(Response::from_websocket(pair.client)?)
    }

    /// `POST /embed`: what the widget page of a plugin needs before it is served: the pages that
    /// may frame it and the plugin's theme tokens.
    fn embed(&self, body: &[u8]) -> EdgeResult<Response> {
        let ask: internal::bodies::EmbedAsk = parse_json(body)?;
        let config = self.config()?;
        let plugin = config.plugin(ask.plugin.as_deref());
        let origins = config.origins_for(plugin).into_iter().map(str::to_string).collect();
        let tokens = plugin.map(|p| protocol::ThemeTokens::from(&p.theme)).filter(|t| !t.is_empty());
        let theme = tokens.map(serde_json::to_value).transpose()?;
        Ok(Response::from_json(&internal::bodies::Embed { origins, theme })?)
    }

    /// `GET /admin/config`: the config, with `locked_until_ms` on agents locked after failed logins.
    fn get_config(&self) -> EdgeResult<Response> {
        Ok(Response::from_json(&self.config_with_locks()?)?)
    }

    /// Signs a visitor socket in. A refused token (unknown, ended, expired) is `unauthorized` and
    /// the close [`protocol::CLOSE_UNAUTHORIZED`]; a storage failure is an internal error (the
    /// caller closes with [`protocol::CLOSE_INTERNAL`], and the client keeps its token and retries).
    fn auth_visitor(&self, ws: &WebSocket, sid: String, ip: String, token: &str, last_seq: u64) -> EdgeResult<()> {
        if !token.starts_with("v_") {
            return self.refuse(ws);
        }
        let store = self.store()?;
        let config = self.config()?;
        let now = now_ms();
        let lifetime = config.sessions.visitor_ttl_secs;
        let hash = secrets::token_hash(token);
        let Some(found) = store.visitor_by_token(&hash, alive_since(now, lifetime))? else {
            return self.refuse(ws);
        };
        let visitor = (found.visitor_id, found.conversation_id, found.verified != 0.0);
        self.sign_in_visitor(ws, sid, ip, visitor, last_seq, Some(&hash))
    }

    /// Signs a visitor socket in for `(visitor_id, conversation_id, verified)`: the visitor's socket
    /// cap, then (for an `auth`, `touch`: its token's hash) the session's use recorded, `ready`,
    /// the replay after `last_seq`, and the holder told the visitor is here. An `open` comes here
    /// with the session it just opened, already recorded.
    pub(super) fn sign_in_visitor(
        &self,
        ws: &WebSocket,
        sid: String,
        ip: String,
        (visitor_id, conversation_id, verified): (String, String, bool),
        last_seq: u64,
        touch: Option<&str>,
    ) -> EdgeResult<()> {
        let store = self.store()?;
        let config = self.config()?;
        let cap = usize::try_from(config.rate_limits.sockets_per_visitor.max(1)).unwrap_or(usize::MAX);
        if self.with_sockets(|index| index.visitor_sockets(&visitor_id)) >= cap {
            sockets::send(ws, &error_frame(&EdgeError::TooManySockets));
            sockets::close(ws, protocol::CLOSE_TOO_MANY_SOCKETS, "too_many_sockets");
            self.forget(ws);
            return Ok(());
        }
        if let Some(hash) = touch {
            let lifetime = config.sessions.visitor_ttl_secs;
            store.touch_visitor_session(hash, now_ms(), SessionSettings::touch_every_ms(lifetime))?;
        }
        let who = Who::Visitor {
            sid,
            visitor_id: visitor_id.clone(),
            conversation_id: conversation_id.clone(),
            verified,
            ip,
        };
        // One auth replays at most a page of the newest messages; older ones come with `history`.
        let (skipped_to, replay) = store.replay(&conversation_id, last_seq)?;
        who.attach(ws)?;
        sockets::send(ws, &ServerFrame::Ready { principal: visitor_id, skipped_to });
        for message in replay {
            sockets::send(ws, &ServerFrame::Message { message });
        }
        self.with_sockets(|index| index.insert(&who, ws.clone()));
        self.to_holder(
            &conversation_id,
            &ServerFrame::VisitorPresence { conversation_id: conversation_id.clone(), online: true },
        )?;
        Ok(())
    }

    /// Sends a frame to the agent holding (or offered) a conversation, if any.
    fn to_holder(&self, conversation_id: &str, frame: &ServerFrame) -> EdgeResult<()> {
        if let Some(agent) = self.holder(conversation_id)? {
            self.with_sockets(|s| s.to_agent(&agent, frame));
        }
        Ok(())
    }

    /// Signs an agent socket in; refusals and storage failures as for [`Desk::auth_visitor`].
    fn auth_agent(&self, ws: &WebSocket, sid: String, ip: String, token: &str) -> EdgeResult<()> {
        if !token.starts_with("a_") {
            return self.refuse(ws);
        }
        let store = self.store()?;
        let now = now_ms();
        let hash = secrets::token_hash(token);
        let idle_secs = self.config()?.sessions.agent_idle_secs;
        let Some(agent) = store.agent_by_token(&hash, alive_since(now, idle_secs))? else {
            return self.refuse(ws);
        };
        if !self.agent_session_alive(&hash)? {
            return self.refuse(ws);
        }
        let who = Who::Agent { sid, agent_id: agent.id.clone(), name: agent.name, ip, session: hash };
        who.attach(ws)?;
        sockets::send(ws, &ServerFrame::Ready { principal: agent.id.clone(), skipped_to: 0 });
        self.with_sockets(|index| index.insert(&who, ws.clone()));
        let id = AgentId(agent.id);
        if self.with_core(|core| core.agent_status(&id))? != Some(AgentStatus::Online) {
            self.route(Event::AgentLogin { agent: id.clone() })?;
        }
        // The agent's lists: what it holds and what waits for its accept.
        let mine = self.with_core(|core| {
            let mut ids = core.live(&id);
            ids.extend(core.pending(&id));
            ids.extend(core.dormant_list().into_iter().filter(|c| {
                matches!(core.conversation(c).map(|r| &r.state), Some(routing::ConvState::Dormant { previous, .. }) if *previous == id)
            }));
            ids
        })?;
        let mut conversations = Vec::new();
        for conv in mine {
            if let Some(summary) = self.summary(&conv.0)? {
                conversations.push(summary);
            }
        }
        sockets::send(ws, &ServerFrame::Conversations { conversations });
        Ok(())
    }

    fn refuse(&self, ws: &WebSocket) -> EdgeResult<()> {
        sockets::send(ws, &error_frame(&EdgeError::Unauthorized));
        sockets::close(ws, protocol::CLOSE_UNAUTHORIZED, "unauthorized");
        self.forget(ws);
        Ok(())
    }

    /// An `auth` that failed inside the Desk (storage) is reported as `internal` and the socket is
    /// closed with [`protocol::CLOSE_INTERNAL`]: the client keeps its token and connects again.
    /// It is never a refusal of the token.
    fn unless_internal(&self, ws: &WebSocket, signed_in: EdgeResult<()>) -> EdgeResult<()> {
        match signed_in {
            Err(EdgeError::Internal(detail)) => {
                worker::console_error!("auth failed inside the Desk: {detail}");
                sockets::send(ws, &error_frame(&EdgeError::Internal(detail)));
                sockets::close(ws, protocol::CLOSE_INTERNAL, "internal error, retry");
                self.forget(ws);
                Ok(())
            }
            other => other,
        }
    }
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> EdgeResult<T> {
    serde_json::from_slice(body).map_err(|e| EdgeError::BadRequest(format!("invalid JSON body: {e}")))
}

fn parse_frame<T: DeserializeOwned>(text: &str) -> EdgeResult<T> {
    serde_json::from_str(text).map_err(|e| EdgeError::BadRequest(format!("invalid frame: {e}")))
}

/// Refuses a frame over [`MAX_FRAME_BYTES`] without parsing it: a `send` of an authenticated socket
/// whose client id can be read gets `rejected` (so its line shows as failed), anything else an error.
fn refuse_oversized(ws: &WebSocket, text: &str) {
    let err = EdgeError::PayloadTooLarge;
    let authenticated = matches!(Who::of(ws), Some(Who::Visitor { .. } | Who::Agent { .. }));
    match protocol::raw::client_id_of(text).filter(|_| authenticated) {
        Some(client_id) => sockets::send(
            ws,
            &ServerFrame::Rejected { client_id, code: err.code().to_string(), message: err.message() },
        ),
        None => sockets::send(ws, &error_frame(&err)),
    }
}

fn error_frame(err: &EdgeError) -> ServerFrame {
    ServerFrame::Error { code: err.code().to_string(), message: err.message() }
}

/// The oldest last use a session with this lifetime may have to be alive at `now` (unix ms).
fn alive_since(now: u64, lifetime_secs: u64) -> u64 {
    now.saturating_sub(lifetime_secs.saturating_mul(1000))
}

thread_local! {
    /// The test clock's time, when a test has pinned it (see [`Desk::test_clock`]).
    static PINNED_MS: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The meta key the test clock's pin is kept under (it outlives an eviction of the object).
const TEST_CLOCK_KEY: &str = "test_clock_ms";

/// Whether the Worker runs with the test clock (`TEST_CLOCK` = `"1"`: end-to-end tests only).
fn test_clock_on(env: &Env) -> bool {
    env.var("TEST_CLOCK").map(|v| v.to_string() == "1").unwrap_or(false)
}

fn now_ms() -> u64 {
    // `Date.now()`, without making a Date object (read several times per frame).
    PINNED_MS.with(Cell::get).unwrap_or_else(|| js_sys::Date::now() as u64)
}
