//! All of the console's network code and its reactive state: login, the agent socket, frames.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use client::timeline::Timeline;
use client::{FetchError, Socket, SocketEvents};
use leptos::prelude::*;
use protocol::{
    AgentFrame, AgentLoginRequest, AgentLoginResponse, Author, ConversationSummary, MessageBody, ServerFrame,
};
use serde::{Deserialize, Serialize};

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
}

const SESSION_KEY: &str = "console:session";

/// The console's reactive state; `Copy`, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Desk {
    /// The logged-in agent.
    pub session: RwSignal<Option<Session>>,
    /// Conversations, most recently active first.
    pub conversations: RwSignal<Vec<ConversationSummary>>,
    /// The conversation on screen.
    pub selected: RwSignal<Option<String>>,
    /// Messages per conversation.
    pub timelines: RwSignal<HashMap<String, Timeline>>,
    /// Conversations with messages the agent has not looked at.
    pub unread: RwSignal<HashMap<String, u32>>,
    /// Whether the socket is live.
    pub online: RwSignal<bool>,
}

thread_local! {
    static SOCKET: RefCell<Option<Socket>> = const { RefCell::new(None) };
}

impl Desk {
    /// State restored from `sessionStorage` (connected if a session was there).
    pub fn restore() -> Self {
        let desk = Self {
            session: RwSignal::new(None),
            conversations: RwSignal::new(Vec::new()),
            selected: RwSignal::new(None),
            timelines: RwSignal::new(HashMap::new()),
            unread: RwSignal::new(HashMap::new()),
            online: RwSignal::new(false),
        };
        if let Some(session) = client::session_get(SESSION_KEY).and_then(|s| serde_json::from_str::<Session>(&s).ok()) {
            desk.connect(session);
        }
        desk
    }

    /// Logs in and connects.
    pub async fn login(self, site: String, agent: String, password: String) -> Result<(), FetchError> {
        let path = format!("/api/v1/sites/{site}/agents/login");
        let answer: AgentLoginResponse = client::post_json(&path, &AgentLoginRequest { agent, password }).await?;
        let session = Session { site, agent_id: answer.agent_id, name: answer.name, token: answer.token };
        client::session_set(SESSION_KEY, &serde_json::to_string(&session).unwrap_or_default());
        self.connect(session);
        Ok(())
    }

    /// Logs out: forgets the session and closes the socket.
    pub fn logout(self) {
        client::session_remove(SESSION_KEY);
        SOCKET.with(|s| {
            if let Some(socket) = s.borrow_mut().take() {
                socket.close();
            }
        });
        self.session.set(None);
        self.conversations.set(Vec::new());
        self.timelines.set(HashMap::new());
        self.selected.set(None);
    }

    fn connect(self, session: Session) {
        let url = client::ws_url(&format!("/api/v1/sites/{}/agents/ws", session.site));
        let events = Rc::new(Events { desk: self, token: session.token.clone() });
        self.session.set(Some(session));
        let socket = Socket::open(url, events);
        SOCKET.with(|s| *s.borrow_mut() = Some(socket));
    }

    /// Shows a conversation and fetches what is missing of it.
    pub fn select(self, conversation_id: String) {
        self.unread.update(|u| {
            u.remove(&conversation_id);
        });
        self.selected.set(Some(conversation_id.clone()));
        self.sync(&conversation_id);
    }

    fn sync(self, conversation_id: &str) {
        let after_seq = self.timelines.with_untracked(|t| t.get(conversation_id).map_or(0, Timeline::last_seq));
        send(&AgentFrame::Sync { conversation_id: conversation_id.to_string(), after_seq });
    }

    /// Sends a reply into the selected conversation.
    pub fn reply(self, text: String) {
        let text = text.trim().to_string();
        let (Some(conversation_id), Some(session)) = (self.selected.get_untracked(), self.session.get_untracked())
        else {
            return;
        };
        if text.is_empty() {
            return;
        }
        let client_id = client::new_client_id();
        let body = MessageBody::Text { text };
        let author = Author::Agent { id: session.agent_id, name: session.name };
        self.timelines.update(|t| {
            t.entry(conversation_id.clone()).or_default().push_local(
                client_id.clone(),
                author,
                body.clone(),
                client::now_ms(),
            )
        });
        send(&AgentFrame::Send { conversation_id, client_id, body });
    }
}

fn send(frame: &AgentFrame) -> bool {
    SOCKET.with(|s| s.borrow().as_ref().is_some_and(|socket| socket.send(frame)))
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
                if let Some(selected) = desk.selected.get_untracked() {
                    desk.sync(&selected);
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
            ServerFrame::Conversations { conversations } => desk.conversations.set(conversations),
            ServerFrame::ConversationUpdated { conversation } => desk.conversations.update(|list| {
                list.retain(|c| c.conversation_id != conversation.conversation_id);
                list.insert(0, conversation);
            }),
            ServerFrame::Message { message } => {
                let conversation_id = message.conversation_id.clone();
                let from_visitor = matches!(message.author, Author::Visitor);
                let is_new = desk
                    .timelines
                    .try_update(|t| t.entry(conversation_id.clone()).or_default().apply(message))
                    .unwrap_or(false);
                if is_new && from_visitor && desk.selected.get_untracked().as_deref() != Some(conversation_id.as_str())
                {
                    desk.unread.update(|u| *u.entry(conversation_id).or_default() += 1);
                }
            }
            ServerFrame::Ack { client_id, conversation_id, seq } => {
                desk.timelines.update(|t| t.entry(conversation_id).or_default().ack(&client_id, seq));
            }
            ServerFrame::Rejected { client_id, .. } => {
                desk.timelines.update(|t| t.values_mut().for_each(|tl| tl.fail(&client_id)));
            }
            ServerFrame::ConversationRemoved { conversation_id } => {
                desk.conversations.update(|list| list.retain(|c| c.conversation_id != conversation_id));
            }
            // Typing, read receipts, presence and left messages get their views with the console issue.
            ServerFrame::Status { .. }
            | ServerFrame::LeaveMessageForm { .. }
            | ServerFrame::Typing { .. }
            | ServerFrame::Read { .. }
            | ServerFrame::VisitorPresence { .. }
            | ServerFrame::LeftMessages { .. }
            | ServerFrame::Rated { .. } => {}
            ServerFrame::Error { code, .. } => {
                if code == "unauthorized" {
                    desk.logout();
                }
            }
        }
    }

    fn connected(&self, up: bool) {
        if !up {
            self.desk.online.set(false);
        }
    }
}
