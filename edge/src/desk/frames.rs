//! Frames from the sockets, one handler per role: a socket that has not signed in yet (only
//! `auth`, a visitor's `open`, or the benchmark's echo), a visitor, an agent. Messages go into the
//! one pipeline (`pipeline.rs`); the other frames are small: typing and read receipts relayed, left
//! messages and ratings checked (`protocol::checks`) and handed on, history pages read back.

use protocol::{AgentFrame, ConsoleFrame, Presence, ServerFrame, SessionOpened, SessionRequest, Side, VisitorFrame};
use routing::{AgentId, AgentStatus, Closer, ConvId, Event, Target};
use worker::WebSocket;

use super::pipeline::{refusal, refused, Delivery, Source};
use super::sockets::{self, Opener, Role, Who};
use super::{now_ms, parse_frame, Desk};
use crate::error::{EdgeError, EdgeResult};

/// A socket waiting for its first frame, as its attachment says.
struct Pending {
    role: Role,
    sid: String,
    ip: String,
    opener: Option<Box<Opener>>,
}

/// A signed-in visitor socket, as its attachment says.
struct Visitor<'a> {
    ws: &'a WebSocket,
    sid: String,
    visitor_id: String,
    conversation_id: String,
    verified: bool,
}

impl Desk {
    /// Handles one frame of a socket, by who the socket speaks for.
    pub(super) fn on_frame(&self, ws: &WebSocket, who: Who, text: &str) -> EdgeResult<()> {
        match who {
            Who::Pending { role, sid, ip, opener, .. } => {
                self.pending_frame(ws, Pending { role, sid, ip, opener }, text)
            }
            Who::Visitor { sid, conversation_id, visitor_id, verified, .. } => {
                let frame = self.throttled(parse_frame(text)?, &visitor_id)?;
                self.visitor_frame(Visitor { ws, sid, visitor_id, conversation_id, verified }, frame)
            }
            Who::Agent { session, .. } if !self.agent_session_alive(&session)? => {
                // Ended for inactivity while the socket stayed open.
                self.end_sockets(|who| matches!(who, Who::Agent { session: s, .. } if *s == session));
                Ok(())
            }
            Who::Agent { sid, agent_id, name, .. } => self.agent_frame(ws, &sid, agent_id, name, parse_frame(text)?),
        }
    }

    /// Before `auth`: the only frame a socket may send (the benchmark's echo sockets excepted); a
    /// visitor's may instead be `open`, which opens the session first.
    fn pending_frame(&self, ws: &WebSocket, pending: Pending, text: &str) -> EdgeResult<()> {
        let Pending { role, sid, ip, opener } = pending;
        match role {
            Role::Visitor => match parse_frame::<VisitorFrame>(text)? {
                VisitorFrame::Auth { token, last_seq } => {
                    let signed_in = self.auth_visitor(ws, sid, ip, &token, last_seq);
                    self.unless_internal(ws, signed_in)
                }
                VisitorFrame::Open { session } => {
                    let opener =
                        opener.ok_or_else(|| EdgeError::BadRequest("this socket cannot open a session".into()))?;
                    self.open_frame(ws, sid, ip, &opener, session)
                }
                _ => Err(EdgeError::BadRequest("the first frame is auth or open".into())),
            },
            Role::Agent => match parse_frame::<AgentFrame>(text)? {
                AgentFrame::Auth { token } => {
                    let signed_in = self.auth_agent(ws, sid, ip, &token);
                    self.unless_internal(ws, signed_in)
                }
                _ => Err(EdgeError::BadRequest("the first frame is auth".into())),
            },
            #[cfg(feature = "bench")]
            Role::Echo => {
                sockets::echo(ws, text);
                Ok(())
            }
            #[cfg(feature = "bench")]
            Role::EchoDurable => {
                self.store()?.bench_write(text)?;
                sockets::echo(ws, text);
                if text.contains(sockets::BENCH_RELAY_MARK) {
                    sockets::bench_forward(&self.state, ws, text);
                }
                Ok(())
            }
        }
    }

    /// `open`: the session is opened as `POST sessions` opens it, answered with `session`, and the
    /// socket signs in with its token. A refusal (identity, origin, entry, limit) is the `error`
    /// frame and the close [`protocol::CLOSE_REFUSED`]; a storage failure closes with
    /// [`protocol::CLOSE_INTERNAL`] and the widget opens again.
    fn open_frame(
        &self,
        ws: &WebSocket,
        sid: String,
        ip: String,
        opener: &Opener,
        request: SessionRequest,
    ) -> EdgeResult<()> {
        let session = match self.open_visitor(&opener.site, &opener.caller, request) {
            Ok(session) => session,
            Err(err @ EdgeError::Internal(_)) => return self.unless_internal(ws, Err(err)),
            Err(err) => {
                sockets::send(ws, &super::error_frame(&err));
                sockets::close(ws, protocol::CLOSE_REFUSED, err.code());
                self.forget(ws);
                return Ok(());
            }
        };
        // Signed in with the session just opened (no second look-up of its token).
        let visitor = (session.visitor_id.clone(), session.conversation_id.clone(), session.verified);
        sockets::send(ws, &SessionOpened { session });
        let signed_in = self.sign_in_visitor(ws, sid, ip, visitor, 0, None);
        self.unless_internal(ws, signed_in)
    }

    /// Takes a token of the visitor's frame limit for every frame but messages (limited on their
    /// own) and `auth`: typing, read receipts, left messages, ratings and history pages.
    fn throttled(&self, frame: VisitorFrame, visitor_id: &str) -> EdgeResult<VisitorFrame> {
        if !matches!(frame, VisitorFrame::Send { .. } | VisitorFrame::Auth { .. }) {
            self.limit(self.config()?.rate_limits, |l| &mut l.frames_per_visitor, visitor_id)?;
        }
        Ok(frame)
    }

    /// A signed-in visitor's frame.
    fn visitor_frame(&self, v: Visitor<'_>, frame: VisitorFrame) -> EdgeResult<()> {
        let Visitor { ws, sid, visitor_id, conversation_id, verified } = v;
        match frame {
            VisitorFrame::Send { client_id, body } => {
                let source = Source::Visitor { ws, sid: &sid, visitor_id: &visitor_id, verified };
                let sent = self.pipeline(source, &conversation_id, &client_id, body);
                refused(ws, client_id, sent)
            }
            VisitorFrame::LeaveMessage { fields } => {
                protocol::checks::check_left_message(&fields).map_err(|why| EdgeError::BadRequest(why.into()))?;
                // The opening's messages are those after the newest one now.
                let next_seq = self.store()?.newest_seq(&conversation_id)? + 1;
                self.ensure_routed(&conversation_id, next_seq)?;
                refusal(&self.route(Event::LeaveMessage { conv: ConvId(conversation_id), fields })?)
            }
            VisitorFrame::Typing { typing } => self.to_holder(
                &conversation_id,
                &ServerFrame::Typing { conversation_id: conversation_id.clone(), from: Side::Visitor, typing },
            ),
            VisitorFrame::Read { seq } => {
                let seq = self.store()?.mark_read(&conversation_id, true, seq)?;
                self.to_holder(
                    &conversation_id,
                    &ServerFrame::Read { conversation_id: conversation_id.clone(), from: Side::Visitor, seq },
                )
            }
            VisitorFrame::Rate { score, comment } => {
                protocol::checks::check_rating(score, &comment).map_err(|why| EdgeError::BadRequest(why.into()))?;
                if !self.store()?.is_rateable(&conversation_id)? {
                    return Err(EdgeError::BadRequest(
                        "a conversation is rated after an agent served it and it closed".into(),
                    ));
                }
                self.store()?.rate(&conversation_id, score, &comment, now_ms())?;
                self.lists_changed();
                sockets::send(ws, &ServerFrame::Rated { conversation_id, score });
                Ok(())
            }
            VisitorFrame::History { before_seq } => {
                for message in self.store()?.messages_before(&conversation_id, before_seq)? {
                    sockets::send(ws, &ServerFrame::Message { message });
                }
                Ok(())
            }
            VisitorFrame::Auth { .. } | VisitorFrame::Open { .. } => {
                Err(EdgeError::BadRequest("already authenticated".into()))
            }
        }
    }

    /// A signed-in agent's frame.
    fn agent_frame(
        &self,
        ws: &WebSocket,
        sid: &str,
        agent_id: String,
        name: String,
        frame: AgentFrame,
    ) -> EdgeResult<()> {
        match frame {
            AgentFrame::Send { conversation_id, client_id, body } => {
                let sent =
                    self.pipeline(Source::Agent { ws, sid, id: agent_id, name }, &conversation_id, &client_id, body);
                refused(ws, client_id, sent)
            }
            AgentFrame::Sync { conversation_id, after_seq } => {
                self.store()?.conversation(&conversation_id, false)?.ok_or(EdgeError::ConversationNotFound)?;
                for message in self.store()?.messages_after(&conversation_id, after_seq)? {
                    sockets::send(ws, &ServerFrame::Message { message });
                }
                // A mini-program chat's failures, whole (none: those shown before were resent).
                if self.delivery(&conversation_id) == Delivery::WeChat {
                    let failures = self.store()?.send_failures(&conversation_id)?;
                    sockets::send(ws, &ConsoleFrame::SendFailures { conversation_id, failures });
                }
                Ok(())
            }
            AgentFrame::Retry { conversation_id, seq } => {
                // Only the agent holding the conversation sends into it.
                if self.holder(&conversation_id)?.as_deref() != Some(agent_id.as_str()) {
                    return Err(EdgeError::Forbidden);
                }
                self.retry_send(&conversation_id, seq)
            }
            AgentFrame::Accept { conversation_id } => {
                refusal(&self.route(Event::Accept { conv: ConvId(conversation_id), agent: AgentId(agent_id) })?)
            }
            AgentFrame::Transfer { conversation_id, to_agent, to_group } => {
                let to = match (to_agent, to_group) {
                    (Some(agent), None) => Target::Agent(AgentId(agent)),
                    (None, Some(group)) => Target::Group(group.as_str().into()),
                    _ => return Err(EdgeError::BadRequest("transfer to exactly one of to_agent, to_group".into())),
                };
                let event = Event::Transfer { conv: ConvId(conversation_id), agent: AgentId(agent_id), to };
                refusal(&self.route(event)?)
            }
            AgentFrame::Close { conversation_id } => {
                let event = Event::Close { conv: ConvId(conversation_id), by: Closer::Agent(AgentId(agent_id)) };
                refusal(&self.route(event)?)
            }
            AgentFrame::Presence { status } => {
                let agent = AgentId(agent_id);
                let event = match status {
                    Presence::Online => Event::AgentStatus { agent, status: AgentStatus::Online },
                    Presence::Away => Event::AgentStatus { agent, status: AgentStatus::Away },
                    Presence::Offline => Event::AgentLogout { agent },
                };
                refusal(&self.route(event)?)
            }
            // Typing and read receipts tell the visitor what the agent holding the conversation
            // does: from anyone else (a supervisor reading along) they are dropped.
            AgentFrame::Typing { conversation_id, .. } | AgentFrame::Read { conversation_id, .. }
                if self.holder(&conversation_id)?.as_deref() != Some(agent_id.as_str()) =>
            {
                Ok(())
            }
            AgentFrame::Typing { conversation_id, typing } => {
                if self.delivery(&conversation_id) == Delivery::WeChat {
                    self.agent_typing(&conversation_id, typing);
                    return Ok(());
                }
                let frame = ServerFrame::Typing { conversation_id: conversation_id.clone(), from: Side::Agent, typing };
                self.with_sockets(|s| s.to_conversation(&conversation_id, &frame));
                Ok(())
            }
            AgentFrame::Read { conversation_id, seq } => {
                let seq = self.store()?.mark_read(&conversation_id, false, seq)?;
                let frame = ServerFrame::Read { conversation_id: conversation_id.clone(), from: Side::Agent, seq };
                self.with_sockets(|s| s.to_conversation(&conversation_id, &frame));
                Ok(())
            }
            AgentFrame::ListLeftMessages => {
                sockets::send(ws, &ServerFrame::LeftMessages { items: self.store()?.left_messages(200)? });
                Ok(())
            }
            frame @ (AgentFrame::PickUp { .. }
            | AgentFrame::Board
            | AgentFrame::Profile { .. }
            | AgentFrame::Stats
            | AgentFrame::Search { .. }
            | AgentFrame::Phrases
            | AgentFrame::SavePhrase { .. }
            | AgentFrame::DeletePhrase { .. }) => self.console_frame(ws, &agent_id, frame),
            AgentFrame::Auth { .. } => Err(EdgeError::BadRequest("already authenticated".into())),
        }
    }
}
