//! The Desk's one message pipeline. Every message, whoever writes it (a visitor, an agent, or the
//! Desk itself: prompts, welcomes, bot replies), goes through the same four steps:
//!
//! 1. check: the sender may write here and the body is well formed ([`Source`] says who);
//! 2. store: one insert with the next `seq`; a client id already stored is a resend and stops
//!    here with the original's acknowledgement (nothing stored, routed or delivered twice);
//! 3. acknowledge: the sender's socket gets `ack{client_id, seq, at_ms}`;
//! 4. deliver: the conversation's visitor through its channel's [`Delivery`] (a visitor's text
//!    does not go back to the socket it came on: the ack told it all), and the agents the routing
//!    core names.
//!
//! A channel adds a [`Delivery`], not a path. Loop prevention lives here once: a message never goes
//! back out through the channel it came in on (the web socket is the exception that proves the
//! rule: a visitor's other tabs are the same channel's other ends, and must show what one tab sent).

use protocol::{Author, ChatMessage, MessageBody, ServerFrame};
use routing::{AgentId, ConvId, Event};
use worker::WebSocket;

use super::{core, now_ms, sockets, uploads, Desk};
use crate::error::{EdgeError, EdgeResult};

/// Who writes a message, with what the check step needs to know about them.
pub enum Source<'a> {
    /// A visitor, on its socket.
    Visitor {
        /// The socket the message came on (it gets the acknowledgement).
        ws: &'a WebSocket,
        /// That socket's id in the socket index.
        sid: &'a str,
        /// The visitor's id (its message rate is limited).
        visitor_id: &'a str,
        /// Whether the visitor proved its identity (only verified visitors send cards).
        verified: bool,
    },
    /// An agent, on its socket.
    Agent {
        /// The socket the message came on (it gets the acknowledgement).
        ws: &'a WebSocket,
        /// That socket's id in the socket index.
        sid: &'a str,
        /// The agent's id.
        id: String,
        /// Its display name.
        name: String,
    },
    /// A mini-program user, through WeChat's message push (no socket to acknowledge).
    MiniProgram {
        /// The user's visitor id (its message rate is limited).
        visitor_id: &'a str,
    },
    /// The Desk itself: a prompt, a welcome, a bot reply.
    System,
}

impl Source<'_> {
    fn author(&self) -> Author {
        match self {
            Self::Visitor { .. } | Self::MiniProgram { .. } => Author::Visitor,
            Self::Agent { id, name, .. } => Author::Agent { id: id.clone(), name: name.clone() },
            Self::System => Author::System,
        }
    }

    fn socket(&self) -> Option<&WebSocket> {
        match self {
            Self::Visitor { ws, .. } | Self::Agent { ws, .. } => Some(ws),
            Self::MiniProgram { .. } | Self::System => None,
        }
    }
}

/// How a conversation's messages reach its visitor. Closed: each channel is one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The widget's WebSocket(s), in every tab and device of the visitor.
    WebSocket,
    /// WeChat's customer-service API, to a mini-program user.
    WeChat,
}

impl Delivery {
    /// Whether a message written through `source` also goes out through this delivery. The web
    /// socket carries everything, the visitor's own messages included (its other tabs show them);
    /// an external channel will not echo its own user's messages back to him.
    fn carries(self, source: &Source<'_>) -> bool {
        match self {
            Self::WebSocket => true,
            Self::WeChat => !matches!(source, Source::MiniProgram { .. }),
        }
    }
}

impl Desk {
    /// Runs one message through the pipeline: `Ok(true)` when it was stored and delivered,
    /// `Ok(false)` for a resend (answered with the original's acknowledgement). A refusal is an
    /// error; [`refused`] turns it into `rejected` for the sender's line.
    pub(super) fn pipeline(
        &self,
        source: Source<'_>,
        conversation_id: &str,
        client_id: &str,
        body: MessageBody,
    ) -> EdgeResult<bool> {
        // 1. Check. (A text is stored as written; other bodies may change: an upload resolved,
        // a card's image dropped.)
        let as_written = matches!(body, MessageBody::Text { .. });
        let body = self.check(&source, conversation_id, client_id, body)?;
        let store = self.store()?;
        let conv = ConvId(conversation_id.to_string());
        let text = routing_text(&body);
        if let Source::Agent { ws, id, .. } = &source {
            if let Some(existing) = store.find_message(conversation_id, client_id)? {
                // A resend after a reconnect: the same ack, nothing stored, routed or delivered
                // twice. (A visitor's resend is found by the insert itself, below.)
                sockets::send(ws, &ack(&existing));
                return Ok(false);
            }
            // An agent writes only where the routing core says it holds the conversation.
            let agent = AgentId(id.clone());
            refusal(&self.route(Event::AgentMessage { conv: conv.clone(), agent, text: text.clone() })?)?;
        }

        // 2. Store.
        let Some(message) = store.insert_message(conversation_id, client_id, &source.author(), &body, now_ms())? else {
            // Stored meanwhile under the same client id: the original's ack.
            if let (Some(ws), Some(existing)) = (source.socket(), store.find_message(conversation_id, client_id)?) {
                sockets::send(ws, &ack(&existing));
            }
            return Ok(false);
        };

        // The agents who see it: the writing agent (its other sockets), the holder of a system
        // message, or whoever the routing core delivers a visitor's message to.
        let agents: Vec<String> = match &source {
            Source::Agent { id, .. } => vec![id.clone()],
            Source::System => self.holder(conversation_id)?.into_iter().collect(),
            Source::Visitor { .. } | Source::MiniProgram { .. } => {
                self.ensure_routed(conversation_id, message.seq)?;
                self.route(Event::VisitorMessage { conv, text })?.deliver_to_agents
            }
        };

        // 3. Acknowledge.
        if let Some(ws) = source.socket() {
            sockets::send(ws, &ack(&message));
        }

        // 4. Deliver. The sending socket (a visitor's or an agent's) has the ack: it shows the
        // message as written, so it gets it again only when the Desk stored something else.
        let frame = ServerFrame::Message { message };
        let delivery = self.delivery(conversation_id);
        let to_visitor = delivery.carries(&source);
        let except = match &source {
            Source::Visitor { sid, .. } | Source::Agent { sid, .. } if as_written => Some(*sid),
            _ => None,
        };
        self.with_sockets(|index| match (delivery, to_visitor) {
            (Delivery::WebSocket, true) => {
                index.to_conversation_and_agents(conversation_id, except, agents.iter().map(String::as_str), &frame)
            }
            (Delivery::WebSocket | Delivery::WeChat, _) => {
                for agent in &agents {
                    index.to_agent_except(agent, except, &frame);
                }
            }
        });
        if delivery == Delivery::WeChat {
            self.note_wechat_message(conversation_id, !to_visitor);
            if to_visitor {
                // The WeChat send is an outbound call: it runs at the end of the callback, from
                // the outbox stored with the message.
                if let ServerFrame::Message { message } = &frame {
                    self.queue_wechat(conversation_id, message.seq)?;
                }
            }
            // The reply quota moved (a reply spent one, a user message renewed it): the holder
            // sees what is left.
            if let (Some(agent), Some(conversation)) = (self.holder(conversation_id)?, self.summary(conversation_id)?) {
                let update = ServerFrame::ConversationUpdated { conversation };
                self.with_sockets(|index| index.to_agent(&agent, &update));
            }
        }
        // A conversation on the site-wide lists (nobody holds it) shows its news there: the board
        // is compared at the end of the callback. Held ones: their agents have the message.
        if self.on_board(conversation_id)? {
            self.lists_changed();
        }
        Ok(true)
    }

    /// Step 1: who may write what. Returns the body as it will be stored (uploads resolved to
    /// their stored name, size and type; a card image from elsewhere than the site dropped).
    fn check(
        &self,
        source: &Source<'_>,
        conversation_id: &str,
        client_id: &str,
        body: MessageBody,
    ) -> EdgeResult<MessageBody> {
        if client_id.is_empty() || client_id.len() > protocol::MAX_CLIENT_ID {
            return Err(EdgeError::BadRequest(format!("client_id must be 1-{} characters", protocol::MAX_CLIENT_ID)));
        }
        validate_body(&body)?;
        let mut body = body;
        if let Source::MiniProgram { visitor_id } = source {
            let config = self.config()?;
            self.limit(config.rate_limits, |l| &mut l.messages_per_visitor, visitor_id)?;
        }
        if let Source::Visitor { visitor_id, verified, .. } = source {
            if matches!(body, MessageBody::Card { .. }) && !verified {
                return Err(EdgeError::CardNotAllowed);
            }
            let config = self.config()?;
            if let MessageBody::Card { image, .. } = &mut body {
                // Agents' browsers fetch card images: only from the site's own origins.
                let origins = config.allowed_origins.iter().chain(&config.card_image_origins);
                if !image.is_empty() && !protocol::checks::card_image_allowed(image, origins) {
                    image.clear();
                }
            }
            self.limit(config.rate_limits, |l| &mut l.messages_per_visitor, visitor_id)?;
        }
        uploads::message_body(self.store()?, conversation_id, body)
    }

    /// The channel a conversation's visitor is reached through.
    pub(super) fn delivery(&self, conversation_id: &str) -> Delivery {
        let conv = ConvId(conversation_id.to_string());
        let channel = self.with_core(|core| core.conversation(&conv).map(|c| c.channel)).ok().flatten();
        match channel {
            Some(routing::Channel::MiniProgram) => Delivery::WeChat,
            _ => Delivery::WebSocket,
        }
    }

    /// Makes sure the routing core knows the conversation (its first message, or the first after it
    /// was closed, opens it there); `first_seq` is where the opening's messages start.
    pub(super) fn ensure_routed(&self, conversation_id: &str, first_seq: u64) -> EdgeResult<()> {
        let conv = ConvId(conversation_id.to_string());
        if self.with_core(|core| core.conversation(&conv).is_some())? {
            return Ok(());
        }
        refusal(&self.open_in_core(conversation_id, first_seq)?)
    }
}

/// Tells the sender which message was refused (and why), so its line shows as failed; platform
/// failures stay errors.
pub(super) fn refused(ws: &WebSocket, client_id: String, sent: EdgeResult<bool>) -> EdgeResult<()> {
    match sent {
        Ok(_) => Ok(()),
        Err(err) if !matches!(err, EdgeError::Internal(_)) => {
            sockets::send(
                ws,
                &ServerFrame::Rejected { client_id, code: err.code().to_string(), message: err.message() },
            );
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// A refusal of the routing core as a typed error.
pub(super) fn refusal(out: &core::Outcome) -> EdgeResult<()> {
    match &out.rejected {
        Some(reason) => Err(EdgeError::Routing { code: reason.code(), message: reason.to_string() }),
        None => Ok(()),
    }
}

fn ack(message: &ChatMessage) -> ServerFrame {
    ServerFrame::Ack {
        client_id: message.client_id.clone(),
        conversation_id: message.conversation_id.clone(),
        seq: message.seq,
        at_ms: message.at_ms,
    }
}

/// The text routing sees of a message (keywords, bot replies).
fn routing_text(body: &MessageBody) -> String {
    match body {
        MessageBody::Text { text } => text.clone(),
        MessageBody::Image { .. } => "[image]".into(),
        MessageBody::File { name, .. } => format!("[file] {name}"),
        MessageBody::Card { title, .. } => format!("[card] {title}"),
    }
}

fn validate_body(body: &MessageBody) -> EdgeResult<()> {
    match body {
        MessageBody::Text { text } => {
            if text.trim().is_empty() {
                return Err(EdgeError::BadRequest("empty message".into()));
            }
            if text.chars().count() > protocol::MAX_TEXT_CHARS {
                return Err(EdgeError::MessageTooLong);
            }
            Ok(())
        }
        // Checked against the upload record in `uploads::message_body`.
        MessageBody::Image { .. } | MessageBody::File { .. } => Ok(()),
        MessageBody::Card { .. } => protocol::checks::check_card(body).map_err(|why| EdgeError::BadRequest(why.into())),
    }
}
