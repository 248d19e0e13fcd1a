//! The widget's state: one [`Chat`] value per page, read with [`read`] and changed only with
//! [`update`], which schedules a render on the next microtask (many changes, one render).
//!
//! Rule that keeps the borrows sound: the render reads the state while it changes the page, so
//! handlers of events the page fires by itself during a render (focus moving, an element with
//! focus removed) never touch the state.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use client::timeline::Timeline;
use protocol::{FormFieldInfo, MessageBody, WaitReason, WidgetConfig};

use crate::theme::Theme;

/// Where the conversation stands, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Nothing started yet (the window was never opened).
    Idle,
    /// Opening the session and the socket.
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

/// Which popup of the composer is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// None.
    None,
    /// The emoji picker.
    Emoji,
    /// The cards of this list, to pick one to send.
    Cards(String),
}

/// Everything the widget shows, and what it needs to talk to the Desk.
#[derive(Debug)]
pub struct Chat {
    /// Messages shown in the window.
    pub timeline: Timeline,
    /// Connection phase.
    pub phase: Phase,
    /// Site settings from the session answer.
    pub config: Option<WidgetConfig>,
    /// Whether the visitor proved its identity (only then are card buttons shown).
    pub verified: bool,
    /// Agent messages that arrived while the window was closed.
    pub unread: u32,
    /// Whether the chat window is open.
    pub open: bool,
    /// The encrypted identity the page gave (`data-identity` or `identify`).
    pub identity: Option<String>,
    /// Look and feel (`data-theme`, `setTheme`).
    pub theme: Theme,
    /// The entry (designated agent or group) from `data-entry` or `openEntry`.
    pub entry: Option<String>,
    /// Fields the page set with `setCustomField` (shown to agents).
    pub custom_fields: BTreeMap<String, String>,
    /// Cards the page gave with `setCards`, by list name.
    pub cards: BTreeMap<String, Vec<MessageBody>>,
    /// The host page's URL and title.
    pub page: (String, String),
    /// Where the visit came from: `referrer landing-url` (see [`crate::host::Command::Page`]).
    pub visit: String,
    /// Whether the host viewport is phone-narrow.
    pub narrow: bool,
    /// Name of the agent serving the conversation.
    pub agent_name: Option<String>,
    /// Position in the queue while nobody can answer yet (agents busy).
    pub queue_position: Option<u32>,
    /// Why the conversation waits when it is not for a busy agent: `offline`, `off_hours`.
    pub wait_reason: Option<WaitReason>,
    /// Whether the agent is typing.
    pub agent_typing: bool,
    /// Highest `seq` the agent has read.
    pub agent_read_seq: u64,
    /// The leave-message form, when offered.
    pub leave_form: Option<LeaveForm>,
    /// Rating state after a close.
    pub rating: Rating,
    /// Whether the pre-chat form was answered (or is not needed).
    pub pre_chat_done: bool,
    /// Download links of uploads, by upload id (signed, short-lived), and local previews by line key.
    pub upload_urls: BTreeMap<String, String>,
    /// Upload progress of lines still uploading, by line key, in percent.
    pub progress: BTreeMap<String, u32>,
    /// A notice shown above the composer (a refused file, a refused message).
    pub notice: Option<String>,
    /// The image shown full size over the window, if any.
    pub lightbox: Option<String>,
    /// The composer's open popup.
    pub popup: Popup,
}

impl Chat {
    /// Fresh state with the window closed.
    pub fn new(theme: Theme, entry: Option<String>) -> Self {
        Self {
            timeline: Timeline::default(),
            phase: Phase::Idle,
            config: None,
            verified: false,
            unread: 0,
            open: false,
            identity: None,
            theme,
            entry,
            custom_fields: BTreeMap::new(),
            cards: BTreeMap::new(),
            page: (String::new(), String::new()),
            visit: String::new(),
            narrow: false,
            agent_name: None,
            queue_position: None,
            wait_reason: None,
            agent_typing: false,
            agent_read_seq: 0,
            leave_form: None,
            rating: Rating::None,
            pre_chat_done: true,
            upload_urls: BTreeMap::new(),
            progress: BTreeMap::new(),
            notice: None,
            lightbox: None,
            popup: Popup::None,
        }
    }

    /// The signed link of an upload, or the local preview of a line still uploading.
    pub fn upload_url(&self, upload_id: &str, key: &str) -> Option<String> {
        self.upload_urls.get(upload_id).or_else(|| self.upload_urls.get(key)).filter(|u| !u.is_empty()).cloned()
    }
}

thread_local! {
    static CHAT: RefCell<Chat> = RefCell::new(Chat::new(Theme::default(), None));
    static RENDER_DUE: Cell<bool> = const { Cell::new(false) };
    static RENDERER: Cell<Option<fn(&Chat)>> = const { Cell::new(None) };
}

/// Reads the state.
pub fn read<R>(f: impl FnOnce(&Chat) -> R) -> R {
    CHAT.with(|c| f(&c.borrow()))
}

/// Changes the state; the page follows on the next microtask.
pub fn update<R>(f: impl FnOnce(&mut Chat) -> R) -> R {
    let out = CHAT.with(|c| f(&mut c.borrow_mut()));
    if !RENDER_DUE.with(|d| d.replace(true)) {
        wasm_bindgen_futures::spawn_local(async { render_now() });
    }
    out
}

/// Sets the function that makes the page show the state (the app's view).
pub fn set_renderer(render: fn(&Chat)) {
    RENDERER.with(|r| r.set(Some(render)));
}

/// Renders now what the state says (also the first render, before any change).
pub fn render_now() {
    RENDER_DUE.with(|d| d.set(false));
    if let Some(render) = RENDERER.with(Cell::get) {
        CHAT.with(|c| render(&c.borrow()));
    }
}
