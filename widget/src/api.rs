//! All of the widget's network code: the session request and the visitor socket.

use std::cell::RefCell;
use std::rc::Rc;

use client::timeline::Timeline;
use client::{FetchError, Socket, SocketEvents};
use leptos::prelude::*;
use protocol::{Author, MessageBody, ServerFrame, SessionRequest, SessionResponse, VisitorFrame, WidgetConfig};
use serde_json::json;

use crate::host::{self, Params};

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
    /// The session could not be started; the message says why.
    Failed(String),
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
    /// Agent messages that arrived while the window was closed.
    pub unread: RwSignal<u32>,
    /// Whether the chat window is open.
    pub open: RwSignal<bool>,
    /// The encrypted identity the page gave (`data-identity` or `identify`).
    pub identity: RwSignal<Option<String>>,
    /// Name of the agent serving the conversation.
    pub agent_name: RwSignal<Option<String>>,
    /// Position in the queue while nobody can answer yet.
    pub queue_position: RwSignal<Option<u32>>,
    /// Whether the agent is typing.
    pub agent_typing: RwSignal<bool>,
    /// Highest `seq` the agent has read.
    pub agent_read_seq: RwSignal<u64>,
}

struct Connection {
    socket: Socket,
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

fn token_key(site: &str) -> String {
    format!("cw:{site}:token")
}

impl Chat {
    /// Fresh state with the window closed.
    pub fn new() -> Self {
        Self {
            timeline: RwSignal::new(Timeline::default()),
            phase: RwSignal::new(Phase::Idle),
            config: RwSignal::new(None),
            unread: RwSignal::new(0),
            open: RwSignal::new(false),
            identity: RwSignal::new(None),
            agent_name: RwSignal::new(None),
            queue_position: RwSignal::new(None),
            agent_typing: RwSignal::new(false),
            agent_read_seq: RwSignal::new(0),
        }
    }

    /// Whether this browser already has a session for the site (a returning visitor).
    pub fn has_session(params: &Params) -> bool {
        client::storage_get(&token_key(&params.site)).is_some_and(|t| !t.is_empty())
    }

    /// Starts the session and the socket once; later calls do nothing while one is running.
    pub fn start(self, params: &Params) {
        if !matches!(self.phase.get_untracked(), Phase::Idle | Phase::Failed(_)) {
            return;
        }
        self.phase.set(Phase::Connecting);
        let params = params.clone();
        leptos::task::spawn_local(async move {
            match open_session(&params, self.identity.get_untracked()).await {
                Ok(session) => {
                    client::storage_set(&token_key(&params.site), &session.token);
                    self.config.set(Some(session.config));
                    let events = Rc::new(Events { chat: self, token: session.token, params: params.clone() });
                    let url = client::ws_url(&format!("/api/v1/sites/{}/ws", params.site));
                    let socket = Socket::open(url, events);
                    CONNECTION.with(|c| *c.borrow_mut() = Some(Connection { socket }));
                }
                Err(err) => {
                    host::emit(&params.host, "error", json!({ "code": error_code(&err) }));
                    self.phase.set(Phase::Failed(err.to_string()));
                }
            }
        });
    }

    /// Uses a new identity: a running session is replaced by one for the verified visitor.
    pub fn identify(self, params: &Params, token: String) {
        if self.identity.get_untracked().as_deref() == Some(token.as_str()) {
            return;
        }
        self.identity.set(Some(token));
        if self.phase.get_untracked() != Phase::Idle {
            CONNECTION.with(|c| {
                if let Some(conn) = c.borrow_mut().take() {
                    conn.socket.close();
                }
            });
            self.timeline.set(Timeline::default());
            self.phase.set(Phase::Idle);
            self.start(params);
        }
    }

    /// Sends a text message; it shows at once as "sending" and is resent after a reconnect.
    pub fn send_text(self, text: String) {
        let text = text.trim().to_string();
        if text.is_empty() {
            return;
        }
        let key = client::new_client_id();
        let body = MessageBody::Text { text };
        self.timeline.update(|t| t.push_local(key.clone(), Author::Visitor, body.clone(), client::now_ms()));
        send_frame(&VisitorFrame::Send { client_id: key, body });
    }
}

fn send_frame(frame: &VisitorFrame) -> bool {
    CONNECTION.with(|c| c.borrow().as_ref().is_some_and(|conn| conn.socket.send(frame)))
}

fn error_code(err: &FetchError) -> String {
    match err {
        FetchError::Api { code, .. } => code.clone(),
        FetchError::Network => "network".into(),
        FetchError::Decode => "decode".into(),
    }
}

async fn open_session(params: &Params, identity: Option<String>) -> Result<SessionResponse, FetchError> {
    let request = SessionRequest {
        identity,
        resume_token: client::storage_get(&token_key(&params.site)).filter(|t| !t.is_empty()),
        locale: Some(params.locale.clone()),
        host_origin: Some(params.host.clone()).filter(|h| !h.is_empty()),
        ..SessionRequest::default()
    };
    client::post_json(&format!("/api/v1/sites/{}/sessions", params.site), &request).await
}

struct Events {
    chat: Chat,
    token: String,
    params: Params,
}

impl SocketEvents for Events {
    fn hello(&self) -> String {
        let last_seq = self.chat.timeline.with_untracked(Timeline::last_seq);
        serde_json::to_string(&VisitorFrame::Auth { token: self.token.clone(), last_seq }).unwrap_or_default()
    }

    fn frame(&self, frame: ServerFrame) {
        let chat = self.chat;
        match frame {
            ServerFrame::Ready { .. } => {
                chat.phase.set(Phase::Online);
                for (client_id, body) in chat.timeline.with_untracked(Timeline::pending) {
                    send_frame(&VisitorFrame::Send { client_id, body });
                }
            }
            ServerFrame::Message { message } => {
                let from_agent = matches!(message.author, Author::Agent { .. });
                let text = match &message.body {
                    MessageBody::Text { text } => text.clone(),
                    MessageBody::Image { name, .. } | MessageBody::File { name, .. } => name.clone(),
                    MessageBody::Card { title, .. } => title.clone(),
                };
                let is_new = chat.timeline.try_update(|t| t.apply(message)).unwrap_or(false);
                if is_new && from_agent {
                    host::emit(&self.params.host, "message", json!({ "text": text }));
                    if !chat.open.get_untracked() {
                        chat.unread.update(|n| *n += 1);
                        host::emit(&self.params.host, "unread", json!({ "count": chat.unread.get_untracked() }));
                    }
                }
            }
            ServerFrame::Ack { client_id, seq, .. } => chat.timeline.update(|t| t.ack(&client_id, seq)),
            ServerFrame::Error { code, message } => {
                host::emit(&self.params.host, "error", json!({ "code": code, "message": message }));
                if code == "unauthorized" {
                    // The stored session is gone (e.g. data reset): start a fresh one.
                    client::storage_set(&token_key(&self.params.site), "");
                    CONNECTION.with(|c| {
                        if let Some(conn) = c.borrow_mut().take() {
                            conn.socket.close();
                        }
                    });
                    chat.phase.set(Phase::Failed(message));
                }
            }
            ServerFrame::Status { state, position, agent_name, .. } => {
                chat.queue_position.set(if state == "queued" { position } else { None });
                if state == "active" {
                    chat.agent_name.set(agent_name);
                }
            }
            ServerFrame::Typing { from, typing, .. } if from == "agent" => chat.agent_typing.set(typing),
            ServerFrame::Read { from, seq, .. } if from == "agent" => chat.agent_read_seq.set(seq),
            // The form itself comes with the widget's leave-message screen; the prompt is a message.
            ServerFrame::LeaveMessageForm { .. }
            | ServerFrame::Typing { .. }
            | ServerFrame::Read { .. }
            | ServerFrame::VisitorPresence { .. }
            | ServerFrame::LeftMessages { .. }
            | ServerFrame::Rated { .. }
            | ServerFrame::Conversations { .. }
            | ServerFrame::ConversationUpdated { .. }
            | ServerFrame::ConversationRemoved { .. } => {}
        }
    }

    fn connected(&self, up: bool) {
        if !up && self.chat.phase.get_untracked() == Phase::Online {
            self.chat.phase.set(Phase::Offline);
        }
    }
}
