//! Who is on which socket: attachments that survive hibernation and the in-memory index over them.

use std::collections::{BTreeMap, HashMap};

use protocol::ServerFrame;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
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
    #[cfg(feature = "bench")]
    Echo,
    /// The benchmark's durable echo: every frame is written to SQLite, then comes back.
    #[cfg(feature = "bench")]
    EchoDurable,
}

impl Role {
    /// The hibernation tag of sockets of this role.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Visitor => "visitor",
            Self::Agent => "agent",
            #[cfg(feature = "bench")]
            Self::Echo => "echo",
            #[cfg(feature = "bench")]
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
        /// When it was accepted (unix ms): it is closed [`protocol::AUTH_TIMEOUT_MS`] later unless it
        /// authenticated.
        #[serde(default)]
        at: u64,
        /// The client's address key ([`crate::internal::ip_key`]).
        #[serde(default)]
        ip: String,
        /// A visitor socket's site and caller, for a session opened by its first frame (`open`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        opener: Option<Box<Opener>>,
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
        /// The client's address key ([`crate::internal::ip_key`]).
        #[serde(default)]
        ip: String,
    },
    /// An authenticated agent.
    Agent {
        /// Socket id.
        sid: String,
        /// Agent id.
        agent_id: String,
        /// Display name.
        name: String,
        /// The client's address key ([`crate::internal::ip_key`]).
        #[serde(default)]
        ip: String,
        /// The session the socket signed in with (its token's hash): a log-out or its end for
        /// inactivity closes the socket.
        #[serde(default)]
        session: String,
    },
}

/// What opening a session in a visitor socket's first frame needs of the upgrade request, kept
/// with the waiting socket (so it survives hibernation too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opener {
    /// The site id (a v2 identity token names it).
    pub site: String,
    /// Who called: the page's origin (checked as for `POST sessions`), address, browser, place.
    pub caller: crate::internal::Caller,
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

    /// The socket id.
    pub fn sid(&self) -> &str {
        match self {
            Self::Pending { sid, .. } | Self::Visitor { sid, .. } | Self::Agent { sid, .. } => sid,
        }
    }

    /// The address key the socket counts against, if it counts (the benchmark's echo sockets do not).
    fn counted_ip(&self) -> Option<&str> {
        match self {
            #[cfg(feature = "bench")]
            Self::Pending { role: Role::Echo | Role::EchoDurable, .. } => None,
            Self::Pending { ip, .. } | Self::Visitor { ip, .. } | Self::Agent { ip, .. } => Some(ip),
        }
    }
}

/// Index of the open sockets: authenticated ones by conversation (visitors) and by agent, those
/// waiting for `auth` by their deadline, and counts per address and per visitor for the caps.
#[derive(Default)]
pub struct SocketIndex {
    visitors: HashMap<String, Vec<(String, WebSocket)>>,
    agents: Vec<(String, String, WebSocket)>,
    /// Sockets waiting for `auth`, by when they were accepted.
    pending: BTreeMap<(u64, String), WebSocket>,
    /// Every indexed socket by id.
    all: HashMap<String, (Who, WebSocket)>,
    /// Each indexed socket's id, keyed by the socket object itself (the runtime hands a callback
    /// the same object while the Desk is awake): a frame finds who sent it without reading and
    /// parsing the attachment. Made on first use.
    ids: Option<js_sys::WeakMap>,
    per_ip: HashMap<String, usize>,
    per_visitor: HashMap<String, usize>,
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

    /// Who an indexed socket speaks for, found by the socket object (no attachment read); `None`
    /// for a socket the index does not hold (then [`Who::of`] reads its attachment).
    pub fn who(&self, ws: &WebSocket) -> Option<Who> {
        let sid = self.ids.as_ref()?.get(key(ws)).as_string()?;
        self.all.get(&sid).map(|(who, _)| who.clone())
    }

    /// Adds a socket, or moves it to its new place (a pending socket that authenticated).
    pub fn insert(&mut self, who: &Who, ws: WebSocket) {
        self.remove(who);
        self.ids.get_or_insert_with(js_sys::WeakMap::new).set(key(&ws), &JsValue::from_str(who.sid()));
        match who {
            Who::Visitor { sid, conversation_id, visitor_id, .. } => {
                self.visitors.entry(conversation_id.clone()).or_default().push((sid.clone(), ws.clone()));
                *self.per_visitor.entry(visitor_id.clone()).or_default() += 1;
            }
            Who::Agent { sid, agent_id, .. } => self.agents.push((sid.clone(), agent_id.clone(), ws.clone())),
            // The benchmark's echo sockets are only known (as any socket, found by `who`).
            #[cfg(feature = "bench")]
            Who::Pending { role: Role::Echo | Role::EchoDurable, .. } => {}
            Who::Pending { sid, at, .. } => {
                self.pending.insert((*at, sid.clone()), ws.clone());
            }
        }
        if let Some(ip) = who.counted_ip() {
            *self.per_ip.entry(ip.to_string()).or_default() += 1;
        }
        self.all.insert(who.sid().to_string(), (who.clone(), ws));
    }

    /// Removes a socket (closed, or moving); false when it was not indexed.
    pub fn remove(&mut self, who: &Who) -> bool {
        let Some((known, ws)) = self.all.remove(who.sid()) else { return false };
        if let Some(ids) = &self.ids {
            ids.delete(key(&ws));
        }
        match &known {
            Who::Visitor { sid, conversation_id, visitor_id, .. } => {
                if let Some(list) = self.visitors.get_mut(conversation_id) {
                    list.retain(|(s, _)| s != sid);
                    if list.is_empty() {
                        self.visitors.remove(conversation_id);
                    }
                }
                decrement(&mut self.per_visitor, visitor_id);
            }
            Who::Agent { sid, .. } => self.agents.retain(|(s, _, _)| s != sid),
            Who::Pending { sid, at, .. } => {
                self.pending.remove(&(*at, sid.clone()));
            }
        }
        if let Some(ip) = known.counted_ip() {
            decrement(&mut self.per_ip, ip);
        }
        true
    }

    /// Sockets open from one address key (signed in or not).
    pub fn ip_sockets(&self, ip: &str) -> usize {
        self.per_ip.get(ip).copied().unwrap_or(0)
    }

    /// Sockets one visitor has open.
    pub fn visitor_sockets(&self, visitor_id: &str) -> usize {
        self.per_visitor.get(visitor_id).copied().unwrap_or(0)
    }

    /// When the oldest socket still waiting for `auth` is due to be closed.
    pub fn auth_deadline(&self) -> Option<u64> {
        self.pending.keys().next().map(|(at, _)| at.saturating_add(protocol::AUTH_TIMEOUT_MS))
    }

    /// Removes and returns the sockets that have waited for `auth` since `accepted_by` or longer.
    pub fn take_unauthenticated(&mut self, accepted_by: u64) -> Vec<WebSocket> {
        let late: Vec<(u64, String)> = self.pending.keys().take_while(|(at, _)| *at <= accepted_by).cloned().collect();
        let mut out = Vec::with_capacity(late.len());
        for (_, sid) in late {
            if let Some((who, ws)) = self.all.get(&sid).cloned() {
                self.remove(&who);
                out.push(ws);
            }
        }
        out
    }

    /// The sockets whose owner matches `pred`.
    pub fn matching(&self, pred: impl Fn(&Who) -> bool) -> Vec<WebSocket> {
        self.all.values().filter(|(who, _)| pred(who)).map(|(_, ws)| ws.clone()).collect()
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

    /// Sends one frame (encoded once) to a conversation's visitor sockets and to these agents'
    /// sockets, all but `except` (the socket id of the one that wrote it).
    pub fn to_conversation_and_agents<'a>(
        &self,
        conversation_id: &str,
        except: Option<&str>,
        agents: impl IntoIterator<Item = &'a str>,
        frame: &ServerFrame,
    ) {
        let text = encode(frame);
        for (sid, ws) in self.visitors.get(conversation_id).into_iter().flatten() {
            if except != Some(sid.as_str()) {
                send_text(ws, &text);
            }
        }
        for agent in agents {
            self.send_to_agent(agent, except, &text);
        }
    }

    /// Sends a frame (a `ServerFrame` or a `ConsoleFrame`) to every socket of one agent.
    pub fn to_agent(&self, agent_id: &str, frame: &impl Serialize) {
        self.to_agent_except(agent_id, None, frame);
    }

    /// Sends a frame to every socket of one agent but `except` (the socket that wrote it).
    pub fn to_agent_except(&self, agent_id: &str, except: Option<&str>, frame: &impl Serialize) {
        self.send_to_agent(agent_id, except, &encode(frame));
    }

    fn send_to_agent(&self, agent_id: &str, except: Option<&str>, text: &str) {
        for (_, _, ws) in self.agents.iter().filter(|(sid, a, _)| a == agent_id && except != Some(sid.as_str())) {
            send_text(ws, text);
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

/// The socket as the JS object it is (the key of [`SocketIndex`]'s `ids`).
fn key(ws: &WebSocket) -> &js_sys::Object {
    ws.as_ref().unchecked_ref()
}

fn decrement(counts: &mut HashMap<String, usize>, key: &str) {
    if let Some(n) = counts.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(key);
        }
    }
}

/// Closes a socket with a code and a reason; one that is already closing is left alone.
pub fn close(ws: &WebSocket, code: u16, reason: &str) {
    if let Err(err) = ws.close(Some(code), Some(reason)) {
        worker::console_log!("close of a closed socket ignored: {err}");
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

/// Sends the benchmark's echo back, as it came.
#[cfg(feature = "bench")]
pub fn echo(ws: &WebSocket, text: &str) {
    send_text(ws, text);
}

/// What marks a durable-echo frame as the relay's floor: besides its echo (the sender's ack), it
/// goes to the site's other durable-echo sockets (the delivery), as a relayed message goes to the
/// agent.
#[cfg(feature = "bench")]
pub const BENCH_RELAY_MARK: &str = "\"bench_relay\":true";

/// Sends the relay floor's frame to every durable-echo socket but the one it came on.
#[cfg(feature = "bench")]
pub fn bench_forward(state: &State, from: &WebSocket, text: &str) {
    for ws in state.get_websockets_with_tag(Role::EchoDurable.tag()) {
        if !js_sys::Object::is(ws.as_ref(), from.as_ref()) {
            send_text(&ws, text);
        }
    }
}

fn send_text(ws: &WebSocket, text: &str) {
    if let Err(err) = ws.send_with_str(text) {
        worker::console_log!("send to closed socket ignored: {err}");
    }
}
