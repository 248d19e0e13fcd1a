//! Inputs: every callback of the adapter becomes one [`Event`].

use std::collections::BTreeMap;

use crate::config::{Channel, SiteConfig, Target};
use crate::ids::{AgentId, ConvId, EntryId, GroupId};

/// Everything that can happen to a desk. Closed: the adapter converts each callback into one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A visitor opens a conversation.
    Open(NewConversation),
    /// A mini-program user enters the session again (resets the reply quota to 1 within 1 minute).
    VisitorEntered {
        /// The conversation.
        conv: ConvId,
    },
    /// The visitor sends a message (`text` is what keywords are matched on; empty for images).
    VisitorMessage {
        /// The conversation.
        conv: ConvId,
        /// The message text.
        text: String,
    },
    /// An agent sends a message to the visitor.
    AgentMessage {
        /// The conversation.
        conv: ConvId,
        /// The sender.
        agent: AgentId,
        /// The message text.
        text: String,
    },
    /// An agent logs in (status online).
    AgentLogin {
        /// The agent.
        agent: AgentId,
    },
    /// An agent changes status (online / away / offline).
    AgentStatus {
        /// The agent.
        agent: AgentId,
        /// The new status.
        status: AgentStatus,
    },
    /// An agent logs out (same as status offline): held conversations must be re-accepted.
    AgentLogout {
        /// The agent.
        agent: AgentId,
    },
    /// An agent accepts a pending or dormant conversation.
    Accept {
        /// The conversation.
        conv: ConvId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent holding a conversation transfers it to another agent or a group.
    Transfer {
        /// The conversation.
        conv: ConvId,
        /// The agent holding it.
        agent: AgentId,
        /// Where it goes.
        to: Target,
    },
    /// A conversation ends.
    Close {
        /// The conversation.
        conv: ConvId,
        /// Who ends it.
        by: Closer,
    },
    /// The visitor fills in the leave-message form; the conversation ends.
    LeaveMessage {
        /// The conversation.
        conv: ConvId,
        /// The form's answers by field name.
        fields: BTreeMap<String, String>,
    },
    /// An agent picks a bot-list (or expired-list) conversation up by hand.
    BotPickUp {
        /// The conversation.
        conv: ConvId,
        /// The agent.
        agent: AgentId,
    },
    /// The site configuration changes; it applies to new conversations.
    ConfigUpdate(Box<SiteConfig>),
    /// The alarm set from [`crate::Desk::next_deadline`] fired (due timers run on every event anyway).
    TimerFired,
}

/// What the adapter knows when a visitor opens a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewConversation {
    /// The id the adapter chose for the conversation.
    pub conv: ConvId,
    /// Where the visitor is.
    pub channel: Channel,
    /// The web plugin the visitor came through, if any.
    pub plugin: Option<String>,
    /// The entry button used, if any (designated agent or group).
    pub entry: Option<EntryId>,
    /// The group the visitor picked (designated-group mode).
    pub chosen_group: Option<GroupId>,
    /// Whether the visitor proved its identity (rules and session groups may want it).
    pub verified: bool,
    /// Visitor info fields (identity and custom fields) that rules filter on.
    pub info: BTreeMap<String, String>,
    /// Pre-chat form answers that rules filter on.
    pub pre_chat: BTreeMap<String, String>,
    /// The URL of the page the visitor is on, if known.
    pub page_url: Option<String>,
    /// Where the visitor's connection came from (`country`, `region`, `city`), as the edge saw it.
    pub place: BTreeMap<String, String>,
    /// The owner of the visitor's CRM customer, if known.
    pub customer_owner: Option<AgentId>,
    /// The owner of the visitor's CRM contact, if known.
    pub contact_owner: Option<AgentId>,
}

impl NewConversation {
    /// A web conversation with nothing else known.
    pub fn new(conv: impl Into<ConvId>) -> Self {
        NewConversation { conv: conv.into(), ..Default::default() }
    }
}

/// An agent's presence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentStatus {
    /// Takes new conversations.
    Online,
    /// Keeps current conversations, gets no new ones.
    Away,
    /// Logged out; held conversations must be re-accepted.
    Offline,
}

/// Who ends a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Closer {
    /// The visitor.
    Visitor,
    /// An agent (must hold it, or have held it before it went dormant).
    Agent(AgentId),
    /// The adapter (e.g. a retention sweep).
    System,
}
