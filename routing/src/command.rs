//! Outputs: what the adapter must do after each event, and the records it persists.

use std::collections::BTreeMap;

use crate::config::{Channel, LeaveMessageForm};
use crate::error::Rejection;
use crate::event::{AgentStatus, Closer};
use crate::ids::{AgentId, ConvId, GroupId, Millis};

/// One effect for the adapter to carry out, in the order returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// The conversation is connected to `agent`: tell both sides.
    Assigned {
        /// The conversation.
        conv: ConvId,
        /// The agent now serving it.
        agent: AgentId,
        /// Which rule chose the agent.
        via: Via,
    },
    /// The conversation waits in `agent`'s pending list (a slot is reserved); members of `group` may accept it.
    Offered {
        /// The conversation.
        conv: ConvId,
        /// The agent it is offered to.
        agent: AgentId,
        /// The group whose members may accept it.
        group: GroupId,
        /// Which rule chose the agent.
        via: Via,
    },
    /// An offer was taken back from `agent` (someone else accepted, or the agent left).
    Withdrawn {
        /// The conversation.
        conv: ConvId,
        /// The agent whose pending list loses it.
        agent: AgentId,
    },
    /// The conversation joined the queue of `group` at `position` (1-based).
    Enqueued {
        /// The conversation.
        conv: ConvId,
        /// The group's queue.
        group: GroupId,
        /// Its position, 1 = next.
        position: usize,
        /// Why nobody took it.
        reason: WaitReason,
    },
    /// Positions in the queue of `group` changed; read them with [`crate::Desk::queue`].
    QueueMoved {
        /// The group.
        group: GroupId,
    },
    /// Show the visitor a prompt.
    Prompt {
        /// The conversation.
        conv: ConvId,
        /// Which prompt.
        kind: PromptKind,
        /// Its per-site text.
        text: String,
    },
    /// Offer the visitor the leave-message form.
    OfferLeaveMessage {
        /// The conversation.
        conv: ConvId,
        /// The per-site form template.
        form: LeaveMessageForm,
    },
    /// The conversation entered the bot list.
    EnteredBotList {
        /// The conversation.
        conv: ConvId,
    },
    /// The bot answers the visitor.
    BotReply {
        /// The conversation.
        conv: ConvId,
        /// The reply.
        text: String,
    },
    /// A bot-list conversation idle for 48 hours moved to the expired list.
    Expired {
        /// The conversation.
        conv: ConvId,
    },
    /// Deliver a message live (the adapter has stored it already).
    Deliver {
        /// The conversation.
        conv: ConvId,
        /// Who receives it.
        to: Party,
        /// The message text.
        text: String,
    },
    /// The conversation was idle or its agent left: it must be re-accepted.
    NeedsReaccept {
        /// The conversation.
        conv: ConvId,
        /// The agent who held it.
        previous: AgentId,
        /// Why.
        reason: DormantReason,
    },
    /// The conversation moved from one agent to another.
    Transferred {
        /// The conversation.
        conv: ConvId,
        /// The agent who gave it away.
        from: AgentId,
        /// The agent who has it now.
        to: AgentId,
        /// How the receiving agent was chosen.
        via: Via,
    },
    /// The visitor left a message; store it for the agents.
    MessageLeft {
        /// The conversation.
        conv: ConvId,
        /// The answers by field name.
        fields: BTreeMap<String, String>,
    },
    /// The conversation ended.
    Closed {
        /// The conversation.
        conv: ConvId,
        /// Who ended it.
        by: Closer,
        /// Time from first connection to the first agent message.
        first_response_ms: Option<u64>,
        /// Time from first connection to the end.
        handled_ms: Option<u64>,
    },
    /// Refuse an input, telling `to` why.
    Reject {
        /// Who sent the refused input (or the site, for automatic messages and config).
        to: Party,
        /// Why.
        reason: Rejection,
    },
    /// Write this record to storage (upsert by id).
    Persist(Record),
    /// Set the alarm to this instant (`None`: delete it); then send [`crate::Event::TimerFired`].
    SetAlarm {
        /// When.
        at: Option<Millis>,
    },
}

/// Who a message or a refusal is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Party {
    /// The visitor of a conversation.
    Visitor(ConvId),
    /// An agent.
    Agent(AgentId),
    /// The site (admins, logs): config refusals and dropped automatic messages.
    Site,
}

/// Which rule chose an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The entry's designated agent.
    Designated,
    /// The agent who held the conversation before it went dormant.
    PreviousAgent,
    /// The owner of the visitor's CRM customer.
    CustomerOwner,
    /// The owner of the visitor's CRM contact.
    ContactOwner,
    /// Fewest live sessions.
    Load,
    /// Next in order after the last assigned.
    RoundRobin,
    /// Fewest accepted today.
    IdleRate,
    /// The agent accepted it from the pending list.
    Accepted,
    /// The agent re-accepted a dormant conversation.
    Reaccepted,
    /// The agent picked it up from the bot list.
    PickUp,
    /// Transferred to this agent by name.
    Transfer,
}

/// Why a conversation waits in a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// Members are online but full.
    Busy,
    /// No member is online.
    Offline,
    /// Outside service hours.
    OffHours,
}

/// Which prompt the visitor sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// Sent on first connection.
    Welcome,
    /// Sent after the welcome.
    Promo,
    /// Everyone busy; queued.
    Busy,
    /// Nobody online.
    Offline,
    /// Outside service hours.
    OffHours,
    /// The designated agent cannot take it; moving to a group.
    Failover,
}

/// Why a conversation must be re-accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DormantReason {
    /// No message for the idle timeout (30 minutes).
    Idle,
    /// Its agent logged out, went offline, or was removed.
    AgentLeft,
}

/// Where a conversation is. Each open conversation is in exactly one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConvState {
    /// In the bot list.
    Bot,
    /// In the expired list (bot list, idle 48 hours).
    Expired,
    /// In a group's queue.
    Queued {
        /// The group.
        group: GroupId,
        /// Its ticket: queues are ordered by ticket (first come, first served).
        ticket: u64,
        /// Why it waits.
        reason: WaitReason,
    },
    /// In an agent's pending list, waiting to be accepted.
    Offered {
        /// The agent.
        agent: AgentId,
    },
    /// Connected to an agent.
    Active {
        /// The agent.
        agent: AgentId,
    },
    /// Idle or abandoned: the next visitor message re-routes it, preferring `previous`.
    Dormant {
        /// The agent who held it.
        previous: AgentId,
        /// Why.
        reason: DormantReason,
    },
}

/// A mini-program reply quota: `remaining` messages until `until` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Messages still allowed.
    pub remaining: u8,
    /// The end of the window.
    pub until: Millis,
}

/// Everything the core keeps about one open conversation; also its storage record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRecord {
    /// The conversation's id.
    pub id: ConvId,
    /// Its channel.
    pub channel: Channel,
    /// The group that serves it (resolved when opened, changed by a transfer to a group).
    pub group: GroupId,
    /// The designated agent of its entry, if any.
    pub designated: Option<AgentId>,
    /// The CRM customer owner.
    pub customer_owner: Option<AgentId>,
    /// The CRM contact owner.
    pub contact_owner: Option<AgentId>,
    /// Where it is.
    pub state: ConvState,
    /// When it was opened.
    pub opened_at: Millis,
    /// The last message (either side), connection or transfer.
    pub last_activity: Millis,
    /// When an agent first got it.
    pub connected_at: Option<Millis>,
    /// When the current agent got it.
    pub held_since: Option<Millis>,
    /// Time from first connection to the first agent message.
    pub first_response_ms: Option<u64>,
    /// Welcome still to send on first connection.
    pub welcome: Option<String>,
    /// Promo still to send on first connection.
    pub promo: Option<String>,
    /// The mini-program reply quota (mini-program only).
    pub quota: Option<Quota>,
    /// Its rule's cap: an agent takes it only while holding fewer live sessions than this (and
    /// than its own max).
    pub cap: Option<u32>,
}

/// A count and a total, for averages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Average {
    /// How many.
    pub count: u32,
    /// Their sum in milliseconds.
    pub total_ms: u64,
}

impl Average {
    /// Adds one sample.
    pub fn add(&mut self, ms: u64) {
        self.count = self.count.saturating_add(1);
        self.total_ms = self.total_ms.saturating_add(ms);
    }

    /// The mean in milliseconds, if any sample.
    #[must_use]
    pub fn mean_ms(&self) -> Option<u64> {
        (self.count > 0).then(|| self.total_ms / u64::from(self.count))
    }
}

/// An agent's figures for one site-local day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayStats {
    /// The site-local day number these figures are for.
    pub day: i64,
    /// Conversations accepted (connected to the agent) that day.
    pub accepted: u32,
    /// First-response times of that day.
    pub first_response: Average,
    /// Handling times (per stretch an agent held a conversation) of that day.
    pub handling: Average,
}

/// Everything the core keeps about an agent (beyond its config); also its storage record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentRecord {
    /// The agent.
    pub id: AgentId,
    /// Presence.
    pub status: AgentStatus,
    /// The assignment sequence number of its last assignment (0: never); ties prefer the smallest.
    pub last_assigned: u64,
    /// Today's figures.
    pub today: DayStats,
}

/// The desk-wide counters; also their storage record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// The next queue ticket.
    pub next_ticket: u64,
    /// The last assignment sequence number.
    pub assign_seq: u64,
    /// Per group, the agent round robin assigned last.
    pub round_robin: Vec<(GroupId, AgentId)>,
}

/// One storage write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// Upsert a conversation.
    Conversation(Box<ConversationRecord>),
    /// Delete a conversation (it closed).
    ConversationClosed(ConvId),
    /// Upsert an agent.
    Agent(AgentRecord),
    /// Delete an agent (removed from the config).
    AgentRemoved(AgentId),
    /// Replace the counters.
    Counters(Counters),
}

/// The whole persisted state; what [`crate::Desk::restore`] rebuilds from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Open conversations, by id.
    pub conversations: Vec<ConversationRecord>,
    /// Agents, by id.
    pub agents: Vec<AgentRecord>,
    /// The counters.
    pub counters: Counters,
}

impl Snapshot {
    /// Applies one storage write, as the adapter's storage would.
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::Conversation(c) => match self.conversations.binary_search_by(|x| x.id.cmp(&c.id)) {
                Ok(i) => self.conversations[i] = *c,
                Err(i) => self.conversations.insert(i, *c),
            },
            Record::ConversationClosed(id) => {
                if let Ok(i) = self.conversations.binary_search_by(|x| x.id.cmp(&id)) {
                    self.conversations.remove(i);
                }
            }
            Record::Agent(a) => match self.agents.binary_search_by(|x| x.id.cmp(&a.id)) {
                Ok(i) => self.agents[i] = a,
                Err(i) => self.agents.insert(i, a),
            },
            Record::AgentRemoved(id) => self.agents.retain(|a| a.id != id),
            Record::Counters(c) => self.counters = c,
        }
    }
}

/// One agent's figures for the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentStats {
    /// The agent.
    pub agent: AgentId,
    /// Presence.
    pub status: AgentStatus,
    /// Live (connected) conversations.
    pub live: u32,
    /// Conversations in its pending list.
    pub pending: u32,
    /// Its capacity.
    pub max_sessions: u32,
    /// Conversations accepted today (site time zone).
    pub accepted_today: u32,
    /// First-response times today.
    pub first_response: Average,
    /// Handling times today.
    pub handling: Average,
}

/// The desk's figures for the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeskStats {
    /// Per agent, in config order.
    pub agents: Vec<AgentStats>,
    /// Conversations waiting in queues.
    pub queued: u32,
    /// Conversations in the bot list.
    pub bot_list: u32,
    /// Conversations in the expired list.
    pub expired: u32,
    /// Conversations waiting to be re-accepted.
    pub dormant: u32,
}
