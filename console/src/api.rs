//! All of the console's network code and its reactive state: login, the agent socket, frames,
//! uploads with progress, signed links, and the new-chat alert (sound and notification).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use client::timeline::Timeline;
use client::{FetchError, Socket, SocketEvents};
use leptos::prelude::*;
use protocol::search::{SearchHit, SearchQuery};
use protocol::{
    AgentDayStats, AgentFrame, AgentLoginRequest, AgentLoginResponse, AgentLogoutRequest, Author, Board, ConsoleFrame,
    ConvStatus, ConversationSummary, LastMessage, LeftMessage, MessageBody, Phrase, Presence, SendFailure, ServerFrame,
    Side, UploadResponse, VisitorProfile,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A logged-in agent, kept in `sessionStorage` so a reload resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Site id.
    pub site: String,
    /// Agent id.
    pub agent_id: String,
    /// Display name.
    pub name: String,
    /// Agent token.
    pub token: String,
    /// Sees the whole site's figures and manages shared phrases.
    #[serde(default)]
    pub admin: bool,
}

/// An upload on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Local id.
    pub id: String,
    /// File name.
    pub name: String,
    /// Percent sent, 0-100.
    pub percent: u32,
    /// Set when it failed.
    pub failed: Option<String>,
}

const SESSION_KEY: &str = "console:session";
const OUTBOX_KEY: &str = "console:outbox";
const PRESENCE_KEY: &str = "console:presence";

/// An unacknowledged reply, kept in `sessionStorage` so a reload resends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Outgoing {
    conversation_id: String,
    client_id: String,
    body: MessageBody,
}

/// The console's reactive state; `Copy`, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Desk {
    /// The logged-in agent.
    pub session: RwSignal<Option<Session>>,
    /// The agent's own conversations (offered, active, dormant), most recently active first.
    pub conversations: RwSignal<Vec<ConversationSummary>>,
    /// The site-wide lists.
    pub board: RwSignal<Board>,
    /// The conversation on screen.
    pub selected: RwSignal<Option<String>>,
    /// Messages per conversation.
    pub timelines: RwSignal<HashMap<String, Timeline>>,
    /// Conversations with messages the agent has not looked at.
    pub unread: RwSignal<HashMap<String, u32>>,
    /// Whether the socket is live.
    pub online: RwSignal<bool>,
    /// Whether the lists are current: the agent's own list and the site's board have arrived
    /// since the socket signed in (until then the lists say they are loading, not "0").
    pub loaded: RwSignal<bool>,
    /// The agent's chosen presence.
    pub presence: RwSignal<Presence>,
    /// Visitor sidebars by conversation.
    pub profiles: RwSignal<HashMap<String, VisitorProfile>>,
    /// Quick phrases.
    pub phrases: RwSignal<Vec<Phrase>>,
    /// Today's figures (own row, or every agent's for admins).
    pub stats: RwSignal<Vec<AgentDayStats>>,
    /// Whether the stats panel is open.
    pub stats_open: RwSignal<bool>,
    /// Conversations whose visitor is typing.
    pub typing: RwSignal<HashSet<String>>,
    /// Highest `seq` the visitor has read, by conversation.
    pub visitor_read: RwSignal<HashMap<String, u64>>,
    /// Whether the visitor's widget is connected, by conversation.
    pub visitor_online: RwSignal<HashMap<String, bool>>,
    /// Leave-message submissions, newest first.
    pub left: RwSignal<Vec<LeftMessage>>,
    /// Uploads on their way.
    pub uploads: RwSignal<Vec<Upload>>,
    /// Signed download links by upload id.
    pub links: RwSignal<HashMap<String, String>>,
    /// The last refusal or failure, shown until the next action.
    pub notice: RwSignal<Option<String>>,
    /// The newest new-chat alert (visitor name), shown as a toast.
    pub alert: RwSignal<Option<String>>,
    /// Conversations this agent handed to a colleague, with the colleague's name: they stay
    /// readable as "transferred to ...", not "closed".
    pub handed_over: RwSignal<HashMap<String, String>>,
    /// Messages the user's channel (a mini-program user's WeChat) did not take, by conversation.
    pub failures: RwSignal<Vec<(String, Vec<SendFailure>)>>,
    /// The time the lists' waiting times and dates count from (unix ms), moved every second.
    pub now: RwSignal<u64>,
    /// The search on screen instead of the lists, if any.
    pub search: RwSignal<Option<Search>>,
    /// On a phone (one column), the visitor's sidebar in the conversation's place.
    pub profile_shown: RwSignal<bool>,
}

/// A search and what it found so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    /// What was asked (its `n` numbers the newest ask).
    pub query: SearchQuery,
    /// The hits of every page asked so far.
    pub hits: Vec<SearchHit>,
    /// Whether a next page has more.
    pub more: bool,
    /// Whether an answer is on its way.
    pub waiting: bool,
}

/// How often the lists' waiting times move.
const CLOCK_TICK: std::time::Duration = std::time::Duration::from_secs(1);

thread_local! {
    static SOCKET: RefCell<Option<Socket>> = const { RefCell::new(None) };
    static LINKS_ASKED: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
    static LAST_TYPING: Cell<f64> = const { Cell::new(0.0) };
    static TYPING_GENERATION: Cell<u32> = const { Cell::new(0) };
}

impl Desk {
    /// State restored from `sessionStorage` (connected if a session was there).
    pub fn restore() -> Self {
        let desk = Self {
            session: RwSignal::new(None),
            conversations: RwSignal::new(Vec::new()),
            board: RwSignal::new(Board::default()),
            selected: RwSignal::new(None),
            timelines: RwSignal::new(HashMap::new()),
            unread: RwSignal::new(HashMap::new()),
            online: RwSignal::new(false),
            loaded: RwSignal::new(false),
            presence: RwSignal::new(Presence::Online),
            profiles: RwSignal::new(HashMap::new()),
            phrases: RwSignal::new(Vec::new()),
            stats: RwSignal::new(Vec::new()),
            stats_open: RwSignal::new(false),
            typing: RwSignal::new(HashSet::new()),
            visitor_read: RwSignal::new(HashMap::new()),
            visitor_online: RwSignal::new(HashMap::new()),
            left: RwSignal::new(Vec::new()),
            uploads: RwSignal::new(Vec::new()),
            links: RwSignal::new(HashMap::new()),
            notice: RwSignal::new(None),
            alert: RwSignal::new(None),
            handed_over: RwSignal::new(HashMap::new()),
            failures: RwSignal::new(Vec::new()),
            now: RwSignal::new(client::now_ms()),
            search: RwSignal::new(None),
            profile_shown: RwSignal::new(false),
        };
        set_interval(move || desk.now.set(client::now_ms()), CLOCK_TICK);
        listen_for_opens(desk);
        if let Some(presence) =
            client::session_get(PRESENCE_KEY).and_then(|p| serde_json::from_str::<Presence>(&p).ok())
        {
            desk.presence.set(presence);
        }
        if let Some(session) = client::session_get(SESSION_KEY).and_then(|s| serde_json::from_str::<Session>(&s).ok()) {
            // Replies that were not acknowledged before the reload are shown and sent again.
            let outbox = outbox();
            let author = Author::Agent { id: session.agent_id.clone(), name: session.name.clone() };
            desk.timelines.update(|t| {
                for o in outbox {
                    t.entry(o.conversation_id).or_default().push_local(
                        o.client_id,
                        author.clone(),
                        o.body,
                        client::now_ms(),
                    );
                }
            });
            desk.connect(session);
        }
        desk
    }

    /// Logs in and connects.
    pub async fn login(self, site: String, agent: String, password: String) -> Result<(), FetchError> {
        let path = format!("/api/v1/sites/{site}/agents/login");
        let answer: AgentLoginResponse = client::post_json(&path, &AgentLoginRequest { agent, password }).await?;
        let session =
            Session { site, agent_id: answer.agent_id, name: answer.name, token: answer.token, admin: answer.admin };
        client::session_set(SESSION_KEY, &serde_json::to_string(&session).unwrap_or_default());
        self.set_presence_local(Presence::Online);
        ask_notification_permission();
        self.connect(session);
        Ok(())
    }

    /// Logs out: tells routing the agent is offline, ends the token on the server (it stops
    /// working at once, for every socket opened with it), forgets the session and closes the socket.
    pub fn logout(self) {
        send(&AgentFrame::Presence { status: Presence::Offline });
        if let Some(session) = self.session.get_untracked() {
            let path = format!("/api/v1/sites/{}/agents/logout", session.site);
            let body = AgentLogoutRequest { token: session.token };
            // Unconfirmed (offline), the token still ends after the site's idle time.
            leptos::task::spawn_local(async move {
                let _ = client::post_json::<_, serde_json::Value>(&path, &body).await;
            });
        }
        self.forget();
    }

    fn forget(self) {
        client::session_remove(SESSION_KEY);
        client::session_remove(OUTBOX_KEY);
        client::session_remove(PRESENCE_KEY);
        SOCKET.with(|s| {
            if let Some(socket) = s.borrow_mut().take() {
                socket.close();
            }
        });
        self.session.set(None);
        self.loaded.set(false);
        self.conversations.set(Vec::new());
        self.timelines.set(HashMap::new());
        self.selected.set(None);
        self.board.set(Board::default());
    }

    fn connect(self, session: Session) {
        let url = client::ws_url(&format!("/api/v1/sites/{}/agents/ws", session.site));
        let events = Rc::new(Events { desk: self, token: session.token.clone() });
        self.session.set(Some(session));
        let socket = Socket::open(url, events);
        SOCKET.with(|s| *s.borrow_mut() = Some(socket));
    }

    fn set_presence_local(self, status: Presence) {
        self.presence.set(status);
        client::session_set(PRESENCE_KEY, &serde_json::to_string(&status).unwrap_or_default());
    }

    /// Changes the agent's presence; routing learns it at once.
    pub fn set_presence(self, status: Presence) {
        self.set_presence_local(status);
        send(&AgentFrame::Presence { status });
    }

    /// Shows a conversation and fetches what is missing of it and its visitor's sidebar.
    pub fn select(self, conversation_id: String) {
        self.unread.update(|u| {
            u.remove(&conversation_id);
        });
        self.notice.set(None);
        self.profile_shown.set(false);
        self.selected.set(Some(conversation_id.clone()));
        self.sync(&conversation_id);
        send(&AgentFrame::Profile { conversation_id });
    }

    /// Takes the Desk's unread count of a conversation (a summary's), unless it is on screen.
    fn take_unread(self, summary: &ConversationSummary) {
        let id = &summary.conversation_id;
        if summary.unread > 0 && self.selected.with_untracked(|s| s.as_ref() != Some(id)) {
            self.unread.update(|u| {
                u.insert(id.clone(), summary.unread);
            });
        }
    }

    /// Searches the site's conversations (`offset` 0: a new search; else the next page of it).
    pub fn search(self, mut query: SearchQuery) {
        let before = self.search.get_untracked();
        query.n = before.as_ref().map_or(0, |s| s.query.n).wrapping_add(1);
        let keep = query.offset > 0;
        self.search.set(Some(Search {
            hits: before.filter(|_| keep).map(|s| s.hits).unwrap_or_default(),
            query: query.clone(),
            more: false,
            waiting: true,
        }));
        send(&AgentFrame::Search { query });
    }

    /// Selects the next (`step` 1) or previous (`step` -1) conversation of the agent's own lists.
    pub fn select_next(self, step: i32) {
        let ids: Vec<String> = self.conversations.with_untracked(|list| {
            let mut ids: Vec<String> =
                list.iter().filter(|c| c.state == ConvStatus::Offered).map(|c| c.conversation_id.clone()).collect();
            ids.extend(list.iter().filter(|c| c.state != ConvStatus::Offered).map(|c| c.conversation_id.clone()));
            ids
        });
        if ids.is_empty() {
            return;
        }
        let current = self.selected.get_untracked().and_then(|s| ids.iter().position(|i| *i == s));
        let len = ids.len() as i32;
        let next = match current {
            Some(i) => (i as i32 + step).rem_euclid(len),
            None if step < 0 => len - 1,
            None => 0,
        };
        self.select(ids[next as usize].clone());
    }

    /// Takes a new board (whole or made from a delta): fetches the left messages when their count
    /// changed, keeps a conversation read from a site list current, refreshes open figures.
    fn board_changed(self, board: Board) {
        let desk = self;
        let left_before = desk.board.with_untracked(|b| b.left_messages);
        if board.left_messages != left_before {
            send(&AgentFrame::ListLeftMessages);
        }
        // A conversation read from a site list (bot list) is kept current.
        if let Some(selected) = desk.selected.get_untracked() {
            let known = desk.timelines.with_untracked(|t| t.get(&selected).map_or(0, Timeline::last_seq));
            let newer = [&board.queued, &board.bot, &board.expired, &board.dormant]
                .into_iter()
                .flatten()
                .any(|c| c.conversation_id == selected && c.last_seq > known);
            if newer {
                desk.sync(&selected);
            }
        }
        desk.board.set(board);
        // The figures are shown only while their panel is open (opening it asks afresh).
        if desk.stats_open.get_untracked() {
            send(&AgentFrame::Stats);
        }
    }

    fn sync(self, conversation_id: &str) {
        let after_seq = self.timelines.with_untracked(|t| t.get(conversation_id).map_or(0, Timeline::last_seq));
        send(&AgentFrame::Sync { conversation_id: conversation_id.to_string(), after_seq });
    }

    /// Tells the visitor how far the agent has read the selected conversation.
    fn mark_read(self, conversation_id: &str) {
        let seq = self.timelines.with_untracked(|t| t.get(conversation_id).map_or(0, Timeline::last_seq));
        if seq > 0 {
            send(&AgentFrame::Read { conversation_id: conversation_id.to_string(), seq });
        }
    }

    /// Sends a text reply into the selected conversation. A text over [`protocol::MAX_TEXT_CHARS`]
    /// characters is not sent: the notice says why and `false` tells the composer to keep it.
    pub fn reply(self, text: String, strings: &crate::i18n::Strings) -> bool {
        let text = text.trim();
        if text.chars().count() > protocol::MAX_TEXT_CHARS {
            self.notice.set(Some(strings.text_too_long.replace("{}", &protocol::MAX_TEXT_CHARS.to_string())));
            return false;
        }
        if !text.is_empty() {
            self.typing_stopped();
            self.send_body(MessageBody::Text { text: text.to_string() });
        }
        true
    }

    /// Sends any message body into the selected conversation (shown at once, resent until stored).
    pub fn send_body(self, body: MessageBody) {
        let (Some(conversation_id), Some(session)) = (self.selected.get_untracked(), self.session.get_untracked())
        else {
            return;
        };
        self.notice.set(None);
        let client_id = client::new_client_id();
        let author = Author::Agent { id: session.agent_id, name: session.name };
        self.timelines.update(|t| {
            t.entry(conversation_id.clone()).or_default().push_local(
                client_id.clone(),
                author,
                body.clone(),
                client::now_ms(),
            )
        });
        let mut box_ = outbox();
        box_.push(Outgoing {
            conversation_id: conversation_id.clone(),
            client_id: client_id.clone(),
            body: body.clone(),
        });
        save_outbox(&box_);
        send(&AgentFrame::Send { conversation_id, client_id, body });
    }

    /// Sends a message the user's channel did not take again.
    pub fn retry_send(self, conversation_id: String, seq: u64) {
        send(&AgentFrame::Retry { conversation_id, seq });
    }

    /// Accepts an offered conversation, or re-activates a dormant one.
    pub fn accept(self, conversation_id: String) {
        send(&AgentFrame::Accept { conversation_id });
    }

    /// Picks a bot-list or expired conversation up.
    pub fn pick_up(self, conversation_id: String) {
        send(&AgentFrame::PickUp { conversation_id });
    }

    /// Transfers a conversation to an agent or a group.
    pub fn transfer(self, conversation_id: String, to_agent: Option<String>, to_group: Option<String>) {
        send(&AgentFrame::Transfer { conversation_id, to_agent, to_group });
    }

    /// Closes a conversation (the visitor is then asked for a rating).
    pub fn close(self, conversation_id: String) {
        send(&AgentFrame::Close { conversation_id });
    }

    /// Asks for today's figures.
    pub fn ask_stats(self) {
        send(&AgentFrame::Stats);
    }

    /// Adds a quick phrase.
    pub fn save_phrase(self, text: String, shared: bool) {
        send(&AgentFrame::SavePhrase { id: None, text, shared });
    }

    /// Deletes a quick phrase.
    pub fn delete_phrase(self, id: String) {
        send(&AgentFrame::DeletePhrase { id });
    }

    /// The agent typed in the composer (sent at most every 3 seconds).
    pub fn typing(self) {
        let Some(conversation_id) = self.selected.get_untracked() else { return };
        let now = js_sys::Date::now();
        if now - LAST_TYPING.get() > 3_000.0 {
            LAST_TYPING.set(now);
            send(&AgentFrame::Typing { conversation_id, typing: true });
        }
    }

    /// The agent sent or left the composer.
    pub fn typing_stopped(self) {
        let Some(conversation_id) = self.selected.get_untracked() else { return };
        if LAST_TYPING.replace(0.0) > 0.0 {
            send(&AgentFrame::Typing { conversation_id, typing: false });
        }
    }

    /// The signed link of an upload (fetched once with the agent's token; `None` until known).
    pub fn link(self, upload_id: &str) -> Option<String> {
        if let Some(url) = self.links.with(|l| l.get(upload_id).cloned()) {
            return Some(url);
        }
        let first = LINKS_ASKED.with(|a| a.borrow_mut().insert(upload_id.to_string()));
        if first {
            let upload_id = upload_id.to_string();
            leptos::task::spawn_local(async move {
                if let Some(meta) = self.upload_meta(&upload_id).await {
                    self.links.update(|l| {
                        l.insert(upload_id, meta.url);
                    });
                }
            });
        }
        None
    }

    async fn upload_meta(self, upload_id: &str) -> Option<UploadResponse> {
        let session = self.session.get_untracked()?;
        let path = format!("/api/v1/sites/{}/uploads/{upload_id}/meta", session.site);
        let text = client::get_text(&path, &session.token).await.ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Uploads a file into the selected conversation with progress, then sends it as an image or
    /// file message.
    pub fn upload(self, file: web_sys::File) {
        let (Some(conversation_id), Some(session)) = (self.selected.get_untracked(), self.session.get_untracked())
        else {
            return;
        };
        let id = client::new_client_id();
        let name = file.name();
        self.uploads.update(|u| u.push(Upload { id: id.clone(), name: name.clone(), percent: 0, failed: None }));
        let url = format!(
            "/api/v1/sites/{}/uploads?name={}&conversation={}",
            session.site,
            String::from(js_sys::encode_uri_component(&name)),
            String::from(js_sys::encode_uri_component(&conversation_id)),
        );
        let set = move |id: &str, f: &dyn Fn(&mut Upload)| {
            self.uploads.update(|u| {
                if let Some(up) = u.iter_mut().find(|x| x.id == id) {
                    f(up);
                }
            })
        };
        leptos::task::spawn_local(async move {
            let progress_id = id.clone();
            let on_progress = move |fraction: f64| {
                let percent = ((fraction * 100.0) as u32).min(100);
                set(&progress_id, &|u| u.percent = percent);
            };
            let answer = client::upload(&url, &session.token, &file, on_progress).await;
            match answer.map(|text| serde_json::from_str::<UploadResponse>(&text)) {
                Ok(Ok(up)) => {
                    self.uploads.update(|u| u.retain(|x| x.id != id));
                    self.links.update(|l| {
                        l.insert(up.upload_id.clone(), up.url.clone());
                    });
                    self.send_body(up.into_body());
                }
                Ok(Err(_)) => set(&id, &|u| u.failed = Some(client::FetchError::Decode.to_string())),
                Err(err) => {
                    let why = err.message();
                    set(&id, &|u| u.failed = Some(why.clone()));
                }
            }
        });
    }

    /// Drops a failed upload from the list.
    pub fn dismiss_upload(self, id: &str) {
        self.uploads.update(|u| u.retain(|x| x.id != id));
    }

    /// Every conversation the agent can see, own lists first, for looking up a summary.
    pub fn summary_of(self, conversation_id: &str) -> Option<ConversationSummary> {
        let mine = self.conversations.with(|l| l.iter().find(|c| c.conversation_id == conversation_id).cloned());
        mine.or_else(|| {
            self.board.with(|b| {
                [&b.queued, &b.bot, &b.expired, &b.dormant]
                    .into_iter()
                    .flatten()
                    .find(|c| c.conversation_id == conversation_id)
                    .cloned()
            })
        })
    }

    fn alert_new_chat(self, summary: &ConversationSummary) {
        let name = summary.visitor_name.clone();
        self.alert.set(Some(name.clone()));
        beep();
        notify(&name);
        after(6_000, move || {
            if self.alert.get_untracked().as_deref() == Some(name.as_str()) {
                self.alert.set(None);
            }
        });
    }
}

/// Runs `f` once after `ms` milliseconds (UI timers only: toasts, typing indicators).
fn after(ms: i32, f: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(f);
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms);
    }
}

fn outbox() -> Vec<Outgoing> {
    client::session_get(OUTBOX_KEY).and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

fn save_outbox(items: &[Outgoing]) {
    client::session_set(OUTBOX_KEY, &serde_json::to_string(items).unwrap_or_default());
}

fn send(frame: &AgentFrame) -> bool {
    SOCKET.with(|s| s.borrow().as_ref().is_some_and(|socket| socket.send(frame)))
}

/// A short two-tone chime through Web Audio (no asset to load).
fn beep() {
    let Ok(ctx) = web_sys::AudioContext::new() else { return };
    let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else { return };
    osc.set_type(web_sys::OscillatorType::Sine);
    let now = ctx.current_time();
    osc.frequency().set_value(880.0);
    let _ = osc.frequency().set_value_at_time(660.0, now + 0.12);
    gain.gain().set_value(0.08);
    let _ = gain.gain().linear_ramp_to_value_at_time(0.0, now + 0.3);
    let _ = osc.connect_with_audio_node(&gain);
    let _ = gain.connect_with_audio_node(&ctx.destination());
    let _ = osc.start();
    let _ = osc.stop_with_when(now + 0.3);
}

fn ask_notification_permission() {
    if web_sys::Notification::permission() == web_sys::NotificationPermission::Default {
        let _ = web_sys::Notification::request_permission();
    }
}

fn notify(visitor: &str) {
    if web_sys::Notification::permission() != web_sys::NotificationPermission::Granted {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(visitor);
    options.set_tag("console-new-chat");
    let _ = web_sys::Notification::new_with_options("新会话 · New chat", &options);
}

/// A conversation's list item follows its newest line and waiting time: a message from the
/// visitor or another of the agent's tabs, or the agent's own line once acknowledged. An older
/// message never overrides a newer.
fn list_news(desk: Desk, conversation_id: &str, seq: u64, news: LastMessage) {
    desk.conversations.update(|list| {
        if let Some(c) = list.iter_mut().find(|c| c.conversation_id == conversation_id) {
            c.last_seq = c.last_seq.max(seq);
            if c.last.as_ref().is_none_or(|l| l.at_ms <= news.at_ms) {
                match news.from {
                    Side::Visitor => _ = c.waiting_since_ms.get_or_insert(news.at_ms),
                    Side::Agent => c.waiting_since_ms = None,
                }
                c.last = Some(news);
            }
        }
    });
}

struct Events {
    desk: Desk,
    token: String,
}

impl SocketEvents for Events {
    fn hello(&self) -> String {
        serde_json::to_string(&AgentFrame::Auth { token: self.token.clone() }).unwrap_or_default()
    }

    fn frame(&self, frame: ServerFrame) {
        let desk = self.desk;
        match frame {
            ServerFrame::Ready { .. } => {
                desk.online.set(true);
                // The Desk sends the agent's own list before it reads this socket's board request,
                // so the board's answer is the last of the two.
                desk.loaded.set(false);
                let presence = desk.presence.get_untracked();
                if presence != Presence::Online {
                    send(&AgentFrame::Presence { status: presence });
                }
                send(&AgentFrame::Board);
                send(&AgentFrame::Phrases);
                send(&AgentFrame::ListLeftMessages);
                send(&AgentFrame::Stats);
                if let Some(selected) = desk.selected.get_untracked() {
                    desk.sync(&selected);
                    send(&AgentFrame::Profile { conversation_id: selected });
                }
                let pending: Vec<(String, String, MessageBody)> = desk.timelines.with_untracked(|t| {
                    t.iter()
                        .flat_map(|(conv, tl)| tl.pending().into_iter().map(move |(k, b)| (conv.clone(), k, b)))
                        .collect()
                });
                for (conversation_id, client_id, body) in pending {
                    send(&AgentFrame::Send { conversation_id, client_id, body });
                }
            }
            ServerFrame::Conversations { conversations } => {
                // The Desk counts what the agents have not read (after a reload, too).
                conversations.iter().for_each(|c| desk.take_unread(c));
                desk.conversations.set(conversations);
            }
            ServerFrame::ConversationUpdated { conversation } => {
                let known = desk.conversations.with_untracked(|l| {
                    l.iter().any(|c| c.conversation_id == conversation.conversation_id && c.state == conversation.state)
                });
                if !known && matches!(conversation.state, ConvStatus::Offered | ConvStatus::Active) {
                    desk.alert_new_chat(&conversation);
                }
                // New to the agent's lists: the Desk's count of what the agents have not read.
                let listed = desk
                    .conversations
                    .with_untracked(|l| l.iter().any(|c| c.conversation_id == conversation.conversation_id));
                if !listed {
                    desk.take_unread(&conversation);
                }
                desk.handed_over.update(|h| {
                    h.remove(&conversation.conversation_id);
                });
                desk.conversations.update(|list| {
                    list.retain(|c| c.conversation_id != conversation.conversation_id);
                    list.insert(0, conversation);
                });
            }
            ServerFrame::Message { message } => {
                let conversation_id = message.conversation_id.clone();
                let from_visitor = matches!(message.author, Author::Visitor);
                let news = LastMessage::of(&message);
                let seq = message.seq;
                // A message the conversation's summary already counted (its `unread`) is not counted again.
                let counted = desk.conversations.with_untracked(|l| {
                    l.iter().find(|c| c.conversation_id == conversation_id).is_some_and(|c| seq <= c.last_seq)
                });
                let is_new = desk
                    .timelines
                    .try_update(|t| t.entry(conversation_id.clone()).or_default().apply(message))
                    .unwrap_or(false);
                if from_visitor {
                    desk.typing.update(|t| {
                        t.remove(&conversation_id);
                    });
                }
                let selected = desk.selected.get_untracked().as_deref() == Some(conversation_id.as_str());
                if is_new && from_visitor && !selected && !counted {
                    desk.unread.update(|u| *u.entry(conversation_id.clone()).or_default() += 1);
                }
                if selected && from_visitor {
                    desk.mark_read(&conversation_id);
                }
                if let Some(news) = news {
                    list_news(desk, &conversation_id, seq, news);
                }
            }
            ServerFrame::Ack { client_id, conversation_id, seq, at_ms } => {
                let mut box_ = outbox();
                box_.retain(|o| o.client_id != client_id);
                save_outbox(&box_);
                // The socket that wrote a text gets only the ack: the line it shows is the news.
                let news = desk
                    .timelines
                    .try_update(|t| {
                        let line = t.entry(conversation_id.clone()).or_default().ack(&client_id, seq, at_ms)?;
                        LastMessage::written(&line.author, &line.body, line.at_ms)
                    })
                    .flatten();
                if let Some(news) = news {
                    list_news(desk, &conversation_id, seq, news);
                }
            }
            ServerFrame::ConversationRemoved { conversation_id, transferred_to } => {
                desk.handed_over.update(|h| match transferred_to {
                    Some(name) => {
                        h.insert(conversation_id.clone(), name);
                    }
                    None => {
                        h.remove(&conversation_id);
                    }
                });
                desk.conversations.update(|list| list.retain(|c| c.conversation_id != conversation_id));
            }
            ServerFrame::LeftMessages { items } => desk.left.set(items),
            ServerFrame::Typing { conversation_id, from: Side::Visitor, typing } => {
                // A visitor who stops without saying so (closed tab) stops showing as typing.
                let generation = TYPING_GENERATION.with(|g| g.get().wrapping_add(1));
                TYPING_GENERATION.with(|g| g.set(generation));
                if typing {
                    let id = conversation_id.clone();
                    after(8_000, move || {
                        if TYPING_GENERATION.with(Cell::get) == generation {
                            desk.typing.update(|t| {
                                t.remove(&id);
                            });
                        }
                    });
                }
                desk.typing.update(|t| {
                    if typing {
                        t.insert(conversation_id);
                    } else {
                        t.remove(&conversation_id);
                    }
                });
            }
            ServerFrame::Read { conversation_id, from: Side::Visitor, seq } => {
                desk.visitor_read.update(|r| {
                    let slot = r.entry(conversation_id).or_default();
                    *slot = (*slot).max(seq);
                });
            }
            ServerFrame::VisitorPresence { conversation_id, online } => {
                desk.visitor_online.update(|v| {
                    v.insert(conversation_id, online);
                });
            }
            ServerFrame::Status { .. }
            | ServerFrame::LeaveMessageForm { .. }
            | ServerFrame::Typing { .. }
            | ServerFrame::Read { .. }
            | ServerFrame::Rated { .. } => {}
            ServerFrame::Rejected { client_id, code, message } => {
                // Nothing was stored: the reply is not sent again (the agent sees why).
                let mut box_ = outbox();
                box_.retain(|o| o.client_id != client_id);
                save_outbox(&box_);
                desk.timelines.update(|t| t.values_mut().for_each(|tl| tl.fail(&client_id)));
                desk.notice.set(Some(format!("{code}: {message}")));
            }
            ServerFrame::Error { code, message } => {
                if code == "unauthorized" {
                    desk.forget();
                } else {
                    desk.notice.set(Some(format!("{code}: {message}")));
                }
            }
        }
    }

    fn connected(&self, up: bool) {
        if !up {
            self.desk.online.set(false);
            self.desk.loaded.set(false);
        }
    }

    fn other(&self, text: &str) {
        let desk = self.desk;
        let Ok(frame) = serde_json::from_str::<ConsoleFrame>(text) else { return };
        match frame {
            ConsoleFrame::BoardDelta { delta } => {
                // A delta applies to the board before it; after a gap, ask for the whole board.
                let mut board = desk.board.get_untracked();
                if delta.seq != board.seq + 1 {
                    send(&AgentFrame::Board);
                    return;
                }
                board.apply(&delta);
                desk.board_changed(board);
            }
            ConsoleFrame::Board { board } => {
                desk.board_changed(board);
                desk.loaded.set(true);
            }
            ConsoleFrame::Profile { profile } => {
                desk.profiles.update(|p| {
                    p.insert(profile.conversation_id.clone(), *profile);
                });
            }
            ConsoleFrame::Stats { agents } => desk.stats.set(agents),
            ConsoleFrame::SearchResults { n, hits, more } => desk.search.update(|s| {
                // Only the newest ask's answer counts (an older one may arrive after it).
                if let Some(s) = s.as_mut().filter(|s| s.query.n == n) {
                    s.hits.extend(hits);
                    s.more = more;
                    s.waiting = false;
                }
            }),
            ConsoleFrame::Phrases { items } => desk.phrases.set(items),
            ConsoleFrame::SendFailures { conversation_id, failures } => desk.failures.update(|all| {
                all.retain(|(id, _)| *id != conversation_id);
                all.push((conversation_id, failures));
            }),
        }
    }
}

/// The channel on which the reports page (a tab of this origin) names a conversation to open.
const OPEN_CHANNEL: &str = "console:open";

/// Opens here, read-only unless the agent holds it, a conversation the reports page names (a hot
/// question's conversations): the workbench is where transcripts are read.
fn listen_for_opens(desk: Desk) {
    let Ok(channel) = web_sys::BroadcastChannel::new(OPEN_CHANNEL) else { return };
    let on = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let Some(id) = ev.data().as_string() else { return };
        let plausible = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if plausible && desk.session.with_untracked(Option::is_some) {
            desk.select(id);
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
            }
        }
    });
    channel.set_onmessage(Some(on.as_ref().unchecked_ref()));
    // Both live as long as the page.
    on.forget();
    std::mem::forget(channel);
}
