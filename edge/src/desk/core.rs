//! The routing core live in the Desk: callbacks become `routing::Event`s, and `apply` is the one
//! place that carries out the commands the core returns (storage, frames, the alarm).

use protocol::{ConvStatus, ConversationSummary, FormFieldInfo, MessageBody, PromptSlot, ServerFrame};
use routing::{AgentId, Command, ConvId, ConvState, Event, Millis, Party, PromptKind, Rejection, WaitReason};

use super::pipeline::Source;
use super::profile::StoredProfile;
use super::report::ChatStart;
use super::{console, now_ms, routing_config, routing_store, Desk};
use crate::error::{EdgeError, EdgeResult};
use crate::secrets;

/// What the caller of [`Desk::route`] still has to do.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Agents the message that caused the event goes to.
    pub deliver_to_agents: Vec<String>,
    /// Whether the message that caused the event goes to the visitor.
    pub deliver_to_visitor: bool,
    /// The core refused the event.
    pub rejected: Option<Rejection>,
}

impl Desk {
    /// The agent a conversation is with or offered to, if any.
    pub(super) fn holder(&self, conversation_id: &str) -> EdgeResult<Option<String>> {
        self.with_core(|core| holder(core, &ConvId(conversation_id.to_string())))
    }

    /// Runs `f` on the routing core, restoring it from storage first after a wake.
    pub(super) fn with_core<T>(&self, f: impl FnOnce(&mut routing::Desk) -> T) -> EdgeResult<T> {
        let mut slot = self.core.borrow_mut();
        if slot.is_none() {
            let config = routing_config::to_routing(self.config()?.as_ref())?;
            let sql = self.store()?.sql();
            self.records.borrow_mut().flush(sql, now_ms(), true)?;
            let snapshot = routing_store::load(sql)?;
            let core = routing::Desk::restore(config, snapshot, Millis(now_ms()))
                .map_err(|e| EdgeError::Internal(format!("routing restore: {e}")))?;
            *slot = Some(core);
        }
        match slot.as_mut() {
            Some(core) => Ok(f(core)),
            None => Err(EdgeError::Internal("routing core missing".into())),
        }
    }

    /// Feeds one event to the core and applies what it returns. An agent's presence that changed
    /// is recorded (the reports' online and away time).
    pub(super) fn route(&self, event: Event) -> EdgeResult<Outcome> {
        let now = now_ms();
        let agent = match &event {
            Event::AgentLogin { agent } | Event::AgentStatus { agent, .. } | Event::AgentLogout { agent } => {
                Some(agent.clone())
            }
            _ => None,
        };
        let (before, commands, after) = self.with_core(|core| {
            let before = agent.as_ref().and_then(|a| core.agent_status(a));
            let commands = core.handle(Millis(now), event);
            (before, commands, agent.as_ref().and_then(|a| core.agent_status(a)))
        })?;
        if let Some(agent) = agent.filter(|_| before != after) {
            let status = match after {
                Some(routing::AgentStatus::Online) => "online",
                Some(routing::AgentStatus::Away) => "away",
                _ => "offline",
            };
            self.store()?.log_presence(&agent.0, status, now)?;
        }
        self.apply(commands)
    }

    /// The one place where the core's commands take effect.
    fn apply(&self, commands: Vec<Command>) -> EdgeResult<Outcome> {
        let mut out = Outcome::default();
        for command in commands {
            if changes_lists(&command) {
                self.lists_changed();
            }
            match command {
                Command::Persist(record) => self.records.borrow_mut().persist(&record)?,
                Command::SetAlarm { at } => self.wanted_alarm.set(Some(at.map(|m| m.0))),
                Command::Assigned { conv, agent, .. } => self.connected(&conv, &agent)?,
                Command::Transferred { conv, from, to, .. } => {
                    self.store()?.chat_transferred(&conv.0)?;
                    // The agent who handed it over keeps it open, read-only, as "transferred to ...".
                    let frame = ServerFrame::ConversationRemoved {
                        conversation_id: conv.0.clone(),
                        transferred_to: Some(self.agent_name(&to)?),
                    };
                    self.with_sockets(|s| s.to_agent(&from.0, &frame));
                    self.connected(&conv, &to)?;
                }
                Command::Offered { conv, agent, group, .. } => {
                    self.store()?.chat_waited(&conv.0, &group.0)?;
                    if let Some(summary) = self.summary(&conv.0)? {
                        self.with_sockets(|s| {
                            s.to_agent(&agent.0, &ServerFrame::ConversationUpdated { conversation: summary })
                        });
                    }
                    self.to_visitor(&conv, status(&conv, ConvStatus::Offered, None, None, None));
                }
                Command::Withdrawn { conv, agent } => self.with_sockets(|s| s.to_agent(&agent.0, &removed(&conv))),
                Command::Enqueued { conv, group, position, reason } => {
                    self.store()?.chat_waited(&conv.0, &group.0)?;
                    let position = u32::try_from(position).unwrap_or(u32::MAX);
                    self.to_visitor(
                        &conv,
                        status(&conv, ConvStatus::Queued, Some(position), Some(wait_reason(reason)), None),
                    );
                }
                Command::QueueMoved { group } => {
                    let queue = self.with_core(|core| core.queue(&group))?;
                    for (i, conv) in queue.iter().enumerate() {
                        let reason = self.with_core(|core| match core.conversation(conv).map(|c| &c.state) {
                            Some(ConvState::Queued { reason, .. }) => Some(wait_reason(*reason)),
                            _ => None,
                        })?;
                        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
                        self.to_visitor(conv, status(conv, ConvStatus::Queued, Some(position), reason, None));
                    }
                }
                Command::Prompt { conv, kind, text } => {
                    if !self.prompt_is_off(kind)? {
                        let text = self.localized_prompt(&conv, kind, text)?;
                        self.system_message(&conv, text)?;
                    }
                }
                Command::BotReply { conv, text } => self.system_message(&conv, text)?,
                Command::OfferLeaveMessage { conv, form } => {
                    let intro = self.localized(&conv, PromptSlot::LeaveMessage)?.unwrap_or_else(|| form.intro.clone());
                    let fields = form.fields.iter().map(|f| FormFieldInfo {
                        name: f.name.clone(),
                        required: f.required,
                        label: f.label.clone(),
                    });
                    self.to_visitor(
                        &conv,
                        ServerFrame::LeaveMessageForm {
                            conversation_id: conv.0.clone(),
                            intro,
                            fields: fields.collect(),
                        },
                    );
                }
                Command::Deliver { to, .. } => match to {
                    Party::Agent(agent) => out.deliver_to_agents.push(agent.0),
                    Party::Visitor(_) => out.deliver_to_visitor = true,
                    Party::Site => {}
                },
                Command::NeedsReaccept { conv, previous, .. } => {
                    if let Some(summary) = self.summary(&conv.0)? {
                        self.with_sockets(|s| {
                            s.to_agent(&previous.0, &ServerFrame::ConversationUpdated { conversation: summary })
                        });
                    }
                    self.to_visitor(&conv, status(&conv, ConvStatus::Dormant, None, None, None));
                }
                Command::MessageLeft { conv, fields } => {
                    self.store()?.add_left_message(&conv.0, &fields, now_ms())?;
                    self.store()?.chat_left_message(&conv.0)?;
                }
                Command::Closed { conv, .. } => {
                    self.store()?.set_conversation_status(&conv.0, "closed", now_ms())?;
                    self.store()?.chat_closed(&conv.0, now_ms())?;
                    self.to_visitor(&conv, status(&conv, ConvStatus::Closed, None, None, None));
                    self.with_sockets(|s| s.to_agents(&removed(&conv)));
                }
                // The site's own automatic message left out (a mini-program's reply quota): a note,
                // not a refusal of the event that caused it.
                Command::Reject { to: Party::Site, reason: reason @ Rejection::QuotaExceeded(_) } => {
                    worker::console_log!("routing left an automatic message out: {reason}");
                }
                Command::Reject { reason, .. } => out.rejected = Some(reason),
                Command::EnteredBotList { .. } | Command::Expired { .. } => {}
            }
        }
        // The records of this event, in as few statements as they allow, before anything awaits:
        // they commit with the frames these commands sent.
        self.records.borrow_mut().flush(self.store()?.sql(), now_ms(), false)?;
        Ok(out)
    }

    /// A conversation got its agent: the agent's list and the visitor's window learn it.
    fn connected(&self, conv: &ConvId, agent: &AgentId) -> EdgeResult<()> {
        self.store()?.set_last_agent(&conv.0, &agent.0)?;
        let group = self.with_core(|core| core.conversation(conv).map(|c| c.group.0.clone()))?;
        self.store()?.chat_connected(&conv.0, &agent.0, group.as_deref(), now_ms())?;
        if let Some(summary) = self.summary(&conv.0)? {
            self.with_sockets(|s| s.to_agent(&agent.0, &ServerFrame::ConversationUpdated { conversation: summary }));
        }
        let name = self.agent_name(agent)?;
        self.to_visitor(conv, status(conv, ConvStatus::Active, None, None, Some(name)));
        Ok(())
    }

    /// Whether the site switched this prompt off (Settings → Prompts).
    fn prompt_is_off(&self, kind: PromptKind) -> EdgeResult<bool> {
        let switch = match kind {
            PromptKind::Busy => protocol::Prompt::Busy,
            PromptKind::Offline => protocol::Prompt::Offline,
            PromptKind::OffHours => protocol::Prompt::OffHours,
            PromptKind::Welcome | PromptKind::Promo | PromptKind::Failover => return Ok(false),
        };
        Ok(self.config()?.routing.prompts.off.contains(&switch))
    }

    /// A prompt of the core in the visitor's language. The core's text is the site's own (or the
    /// built-in Chinese); a rule's own welcome or promo stays as the site wrote it.
    fn localized_prompt(&self, conv: &ConvId, kind: PromptKind, text: String) -> EdgeResult<String> {
        let slot = match kind {
            PromptKind::Welcome if self.config()?.routing.prompts.texts.welcome.as_deref() == Some(text.as_str()) => {
                PromptSlot::Welcome
            }
            PromptKind::Welcome | PromptKind::Promo => return Ok(text),
            PromptKind::Busy => PromptSlot::Busy,
            PromptKind::Offline => PromptSlot::Offline,
            PromptKind::OffHours => PromptSlot::OffHours,
            PromptKind::Failover => PromptSlot::Failover,
        };
        Ok(self.localized(conv, slot)?.unwrap_or(text))
    }

    /// The site's text for the conversation's language where that differs from the site's own.
    fn localized(&self, conv: &ConvId, slot: PromptSlot) -> EdgeResult<Option<String>> {
        let Some(context) = self.store()?.open_context(&conv.0)? else { return Ok(None) };
        let Some(locale) = StoredProfile::read(&context.profile).locale else { return Ok(None) };
        Ok(self.config()?.routing.prompts.localized(&locale, slot).map(str::to_string))
    }

    /// An agent's display name (its id when it has none).
    fn agent_name(&self, agent: &AgentId) -> EdgeResult<String> {
        let config = self.config()?;
        let name = config.agents.iter().find(|a| a.id == agent.0).map(|a| a.name.as_str()).filter(|n| !n.is_empty());
        Ok(name.unwrap_or(&agent.0).to_string())
    }

    /// A system message (prompt, welcome, bot reply), through the one pipeline: stored, shown to
    /// the visitor and the agent holding the conversation.
    fn system_message(&self, conv: &ConvId, text: String) -> EdgeResult<()> {
        let client_id = format!("sys-{}", secrets::random_hex(8)?);
        self.pipeline(Source::System, &conv.0, &client_id, MessageBody::Text { text })?;
        Ok(())
    }

    fn to_visitor(&self, conv: &ConvId, frame: ServerFrame) {
        self.with_sockets(|s| s.to_conversation(&conv.0, &frame));
    }

    /// A conversation as agents list it: stored facts plus the core's state.
    pub(super) fn summary(&self, conversation_id: &str) -> EdgeResult<Option<ConversationSummary>> {
        let config = self.config()?;
        let groups = !config.workbench.session_groups.is_empty();
        let Some((mut summary, profile)) = self.store()?.conversation(conversation_id, groups)? else {
            return Ok(None);
        };
        let conv = ConvId(conversation_id.to_string());
        // One look at the core: the state, the agent and (mini-programs) the reply quota.
        let (state, agent, quota) = self.with_core(|core| {
            let found = core.conversation(&conv);
            let (state, agent) = match found.map(|c| &c.state) {
                None => (ConvStatus::New, None),
                Some(ConvState::Bot) => (ConvStatus::Bot, None),
                Some(ConvState::Expired) => (ConvStatus::Expired, None),
                Some(ConvState::Queued { .. }) => (ConvStatus::Queued, None),
                Some(ConvState::Offered { agent }) => (ConvStatus::Offered, Some(agent.0.clone())),
                Some(ConvState::Active { agent }) => (ConvStatus::Active, Some(agent.0.clone())),
                Some(ConvState::Dormant { previous, .. }) => (ConvStatus::Dormant, Some(previous.0.clone())),
            };
            (state, agent, found.and_then(|c| c.quota))
        })?;
        summary.state = state;
        summary.agent_id = agent;
        summary.quota = quota.map(|q| protocol::ReplyQuota { remaining: q.remaining, until_ms: q.until.0 });
        summary.plugin = self.plugin_name(summary.plugin.as_deref())?;
        if let Some(profile) = profile {
            let mut facts = StoredProfile::read(&profile).facts(conversation_id);
            facts.verified = summary.verified;
            let groups = routing_config::session_groups(&config);
            summary.session_groups = routing::session_groups_of(&groups, &facts);
        }
        Ok(Some(summary))
    }

    /// Whether a conversation is on the site-wide lists (queued, with the bot, expired, dormant).
    pub(super) fn on_board(&self, conversation_id: &str) -> EdgeResult<bool> {
        let conv = ConvId(conversation_id.to_string());
        self.with_core(|core| {
            core.conversation(&conv).is_some_and(|c| {
                matches!(
                    c.state,
                    ConvState::Queued { .. } | ConvState::Bot | ConvState::Expired | ConvState::Dormant { .. }
                )
            })
        })
    }

    /// The name agents see for a plugin id (only on sites with more than one plugin).
    pub(super) fn plugin_name(&self, id: Option<&str>) -> EdgeResult<Option<String>> {
        let config = self.config()?;
        if config.plugins.len() < 2 {
            return Ok(None);
        }
        Ok(id.and_then(|id| config.plugins.iter().find(|p| p.id == id)).map(|p| p.name.clone()))
    }

    /// Tells the core about a conversation's first message (or its first after it was closed),
    /// `first_seq` (the seq its messages start at), and records the opening for the reports.
    pub(super) fn open_in_core(&self, conversation_id: &str, first_seq: u64) -> EdgeResult<Outcome> {
        let store = self.store()?;
        let context = store.open_context(conversation_id)?.ok_or(EdgeError::ConversationNotFound)?;
        if context.status != "open" {
            store.set_conversation_status(conversation_id, "open", now_ms())?;
        }
        let profile = StoredProfile::read(&context.profile);
        let verified = context.verified != 0.0;
        store.open_chat(&ChatStart::of(conversation_id, &profile, verified), first_seq, now_ms())?;
        let mut open = profile.facts(conversation_id);
        open.verified = verified;
        open.entry = context.entry.map(Into::into);
        open.contact_owner = context.owner_agent.map(Into::into);
        open.customer_owner = context.customer_owner.map(Into::into);
        self.route(Event::Open(open))
    }

    /// Makes sure the Durable Object alarm fires no later than the earliest timer the core wants.
    ///
    /// Most messages push the core's deadline later (idle timers restart), so the alarm is only
    /// moved when it must fire earlier: an alarm that fires early is harmless (the core finds
    /// nothing due, and `alarm` asks it for its deadline again), and skipping the storage call
    /// keeps it off the message path.
    ///
    /// Sockets waiting for `auth` share the alarm: it also fires by the oldest one's deadline
    /// (a little after, so one alarm closes a burst).
    pub(super) async fn sync_alarm(&self) -> EdgeResult<()> {
        let core_wanted = self.wanted_alarm.take();
        let pending_changed = self.auth_alarm.replace(false);
        // The outbox a WeChat push left: sent from an alarm for now (the alarm asks the core for
        // its own deadline again when it fires). A board update that waits: when it may go out.
        let outbox_due = self.outbox_alarm.replace(false).then(now_ms);
        let board_due = self.board_alarm.replace(false).then(|| now_ms().saturating_add(console::BOARD_EVERY_MS));
        let soon = match (outbox_due, board_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if core_wanted.is_none() && !pending_changed && soon.is_none() {
            return Ok(());
        }
        let auth = self.with_sockets(|index| index.auth_deadline()).map(|at| at.saturating_add(AUTH_SWEEP_SLACK_MS));
        let wanted = match (core_wanted, auth) {
            (Some(Some(core)), Some(auth)) => Some(core.min(auth)),
            (Some(core), None) => core,
            (Some(None) | None, Some(auth)) => Some(auth),
            (None, None) if soon.is_none() => return Ok(()),
            (None, None) => None,
        };
        let wanted = match (wanted, soon) {
            (Some(at), Some(now)) => Some(at.min(now)),
            (at, now) => at.or(now),
        };
        let storage = self.state.storage();
        let current = match self.alarm_at.get() {
            Some(known) => known,
            None => storage.get_alarm().await?.map(|ms| u64::try_from(ms).unwrap_or(0)),
        };
        match (wanted, current) {
            (Some(at), Some(set)) if set <= at => self.alarm_at.set(Some(Some(set))),
            (Some(at), _) => {
                storage.set_alarm(std::time::Duration::from_millis(at.saturating_sub(now_ms()).max(1))).await?;
                self.alarm_at.set(Some(Some(at)));
            }
            (None, None) => self.alarm_at.set(Some(None)),
            (None, Some(_)) => {
                storage.delete_alarm().await?;
                self.alarm_at.set(Some(None));
            }
        }
        Ok(())
    }
}

/// How long after the oldest pending socket's deadline the alarm fires, so that one alarm closes
/// every socket of a burst that came in within this time.
const AUTH_SWEEP_SLACK_MS: u64 = 500;

/// Whether a command moves a conversation between the site-wide lists or changes an agent's
/// availability (the console's board is pushed again).
fn changes_lists(command: &Command) -> bool {
    !matches!(
        command,
        Command::Persist(routing::Record::Conversation(_) | routing::Record::Counters(_))
            | Command::SetAlarm { .. }
            | Command::Deliver { .. }
            | Command::Prompt { .. }
            | Command::OfferLeaveMessage { .. }
            | Command::Reject { .. }
    )
}

fn holder(core: &routing::Desk, conv: &ConvId) -> Option<String> {
    match core.conversation(conv).map(|c| &c.state) {
        Some(ConvState::Active { agent } | ConvState::Offered { agent }) => Some(agent.0.clone()),
        _ => None,
    }
}

fn removed(conv: &ConvId) -> ServerFrame {
    ServerFrame::ConversationRemoved { conversation_id: conv.0.clone(), transferred_to: None }
}

fn status(
    conv: &ConvId,
    state: ConvStatus,
    position: Option<u32>,
    reason: Option<protocol::WaitReason>,
    agent_name: Option<String>,
) -> ServerFrame {
    ServerFrame::Status { conversation_id: conv.0.clone(), state, position, reason, agent_name }
}

/// The routing core's wait reason as the wire's.
fn wait_reason(reason: WaitReason) -> protocol::WaitReason {
    match reason {
        WaitReason::Busy => protocol::WaitReason::Busy,
        WaitReason::Offline => protocol::WaitReason::Offline,
        WaitReason::OffHours => protocol::WaitReason::OffHours,
    }
}
