//! Who is on which socket: attachments that survive hibernation and the in-memory index over them.

use std::collections::HashMap;

use protocol::ServerFrame;
use serde::{Deserialize, Serialize};
use worker::{State, WebSocket};

/// Which kind of client a socket was opened for (also its hibernation tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A visitor's widget.
    Visitor,
    /// An agent's console.
    Agent,
    /// The benchmark's echo baseline: every frame comes straight back.
    Echo,
    /// The benchmark's durable echo: every frame is written to SQLite, then comes back.
    EchoDurable,
}

impl Role {
    /// The hibernation tag of sockets of this role.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Visitor => "visitor",
            Self::Agent => "agent",
            Self::Echo => "echo",
            Self::EchoDurable => "echo_durable",
        }
    }
}

/// What a socket speaks for; stored with `serialize_attachment` so it survives hibernation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "who", rename_all = "snake_case")]
pub enum Who {
    /// Accepted, waiting for its `auth` frame.
    Pending {
        /// Role the socket was opened for.
        role: Role,
        /// Socket id.
        sid: String,
    },
    /// An authenticated visitor.
    Visitor {
        /// Socket id.
        sid: String,
        /// Visitor id.
        visitor_id: String,
        /// The visitor's conversation.
        conversation_id: String,
        /// Whether the visitor proved its identity (only verified visitors may send cards).
        #[serde(default)]
        verified: bool,
    },
    /// An authenticated agent.
    Agent {
        /// Socket id.
        sid: String,
        /// Agent id.
        agent_id: String,
        /// Display name.
        name: String,
    },
}

impl Who {
    /// The socket's attachment: stored as JSON text, which the runtime clones and hands back far
    /// more cheaply than an object (read on every frame).
    pub fn attach(&self, ws: &WebSocket) -> worker::Result<()> {
        ws.serialize_attachment(serde_json::to_string(self).map_err(|e| worker::Error::RustError(e.to_string()))?)
    }

    /// Who a socket speaks for, from its attachment (JSON text, or the object form sockets accepted
    /// before the text form still carry).
    pub fn of(ws: &WebSocket) -> Option<Self> {
        match ws.deserialize_attachment::<String>() {
            Ok(Some(text)) => serde_json::from_str(&text).ok(),
            Ok(None) => None,
            Err(_) => ws.deserialize_attachment::<Self>().ok().flatten(),
        }
    }
}

/// Index of authenticated sockets by conversation (visitors) and by agent.
#[derive(Default)]
pub struct SocketIndex {
    visitors: HashMap<String, Vec<(String, WebSocket)>>,
    agents: Vec<(String, String, WebSocket)>,
}

impl SocketIndex {
    /// Rebuilds the index from the sockets the runtime kept across hibernation.
    pub fn rebuild(state: &State) -> Self {
        let mut index = Self::default();
        for ws in state.get_websockets() {
            if let Some(who) = Who::of(&ws) {
                index.insert(&who, ws);
            }
        }
        index
    }

    /// Adds an authenticated socket (once: a rebuild may already have found it by its attachment).
    pub fn insert(&mut self, who: &Who, ws: WebSocket) {
        self.remove(who);
        match who {
            Who::Visitor { sid, conversation_id, .. } => {
                self.visitors.entry(conversation_id.clone()).or_default().push((sid.clone(), ws));
            }
            Who::Agent { sid, agent_id, .. } => self.agents.push((sid.clone(), agent_id.clone(), ws)),
            Who::Pending { .. } => {}
        }
    }

    /// Removes a socket that closed.
    pub fn remove(&mut self, who: &Who) {
        match who {
            Who::Visitor { sid, conversation_id, .. } => {
                if let Some(list) = self.visitors.get_mut(conversation_id) {
                    list.retain(|(s, _)| s != sid);
                    if list.is_empty() {
                        self.visitors.remove(conversation_id);
                    }
                }
            }
            Who::Agent { sid, .. } => self.agents.retain(|(s, _, _)| s != sid),
            Who::Pending { .. } => {}
        }
    }

    /// Sends a frame to every visitor socket of a conversation.
    pub fn to_conversation(&self, conversation_id: &str, frame: &ServerFrame) {
        if let Some(list) = self.visitors.get(conversation_id) {
            let text = encode(frame);
            for (_, ws) in list {
                send_text(ws, &text);
            }
        }
    }

    /// Sends a frame (a `ServerFrame` or a `ConsoleFrame`) to every agent socket.
    pub fn to_agents(&self, frame: &impl Serialize) {
        let text = encode(frame);
        for (_, _, ws) in &self.agents {
            send_text(ws, &text);
        }
    }

    /// Sends one frame (encoded once) to a conversation's visitor sockets and to these agents.
    pub fn to_conversation_and_agents<'a>(
        &self,
        conversation_id: &str,
        agents: impl IntoIterator<Item = &'a str>,
        frame: &ServerFrame,
    ) {
        let text = encode(frame);
        for (_, ws) in self.visitors.get(conversation_id).into_iter().flatten() {
            send_text(ws, &text);
        }
        for agent in agents {
            for (_, _, ws) in self.agents.iter().filter(|(_, a, _)| a == agent) {
                send_text(ws, &text);
            }
        }
    }

    /// Sends a frame (a `ServerFrame` or a `ConsoleFrame`) to every socket of one agent.
    pub fn to_agent(&self, agent_id: &str, frame: &impl Serialize) {
        let text = encode(frame);
        for (_, _, ws) in self.agents.iter().filter(|(_, a, _)| a == agent_id) {
            send_text(ws, &text);
        }
    }

    /// Whether any visitor socket of a conversation is connected.
    pub fn has_conversation(&self, conversation_id: &str) -> bool {
        self.visitors.get(conversation_id).is_some_and(|l| !l.is_empty())
    }

    /// How many agent sockets are open.
    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// How many sockets an agent has open.
    pub fn agent_sockets(&self, agent_id: &str) -> usize {
        self.agents.iter().filter(|(_, a, _)| a == agent_id).count()
    }
}

/// Serializes a frame (frames are plain data, so this cannot fail in practice).
pub fn encode(frame: &impl Serialize) -> String {
    serde_json::to_string(frame).unwrap_or_else(|_| r#"{"type":"error","code":"internal","message":"encode"}"#.into())
}

/// Sends a frame (a `ServerFrame` or a `ConsoleFrame`) to one socket; a socket that is already
/// gone is ignored (its close event cleans up).
pub fn send(ws: &WebSocket, frame: &impl Serialize) {
    send_text(ws, &encode(frame));
}

/// Answers a client's heartbeat that reached the Desk (the runtime's auto-response normally does).
pub fn pong(ws: &WebSocket) {
    send_text(ws, protocol::PONG);
}

fn send_text(ws: &WebSocket, text: &str) {
    if let Err(err) = ws.send_with_str(text) {
        worker::console_log!("send to closed socket ignored: {err}");
    }
}
