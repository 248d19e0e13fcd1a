//! Why the core refused an input: one enum, a stable snake_case code per variant.

use crate::ids::{AgentId, ConvId, EntryId, GroupId};

/// Why the core refused an input. Refusals are outcomes (a `Command::Reject`), never panics.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The entry id names no designated agent or group of this site.
    #[error("unknown entry `{0}`")]
    UnknownEntry(EntryId),
    /// The group id names no group of this site, or one the visitor may not pick.
    #[error("unknown group `{0}`")]
    UnknownGroup(GroupId),
    /// The agent id names no agent of this site.
    #[error("unknown agent `{0}`")]
    UnknownAgent(AgentId),
    /// No open conversation has this id (never opened, or closed already).
    #[error("no open conversation `{0}`")]
    UnknownConversation(ConvId),
    /// A conversation with this id is already open.
    #[error("conversation `{0}` is already open")]
    DuplicateConversation(ConvId),
    /// The conversation was already accepted (first accept wins).
    #[error("conversation `{conv}` was already accepted by `{by}`")]
    AlreadyAccepted {
        /// The conversation.
        conv: ConvId,
        /// Who holds it.
        by: AgentId,
    },
    /// The conversation is not waiting to be accepted.
    #[error("conversation `{0}` is not waiting to be accepted")]
    NotPending(ConvId),
    /// The agent is not a member of the group the conversation was offered in.
    #[error("agent `{agent}` is not in the group of conversation `{conv}`")]
    NotInGroup {
        /// The conversation.
        conv: ConvId,
        /// The agent who tried.
        agent: AgentId,
    },
    /// The conversation is not connected to this agent.
    #[error("conversation `{conv}` is not connected to agent `{agent}`")]
    NotAssignedToYou {
        /// The conversation.
        conv: ConvId,
        /// The agent who tried.
        agent: AgentId,
    },
    /// The agent is offline; log in first.
    #[error("agent `{0}` is offline")]
    AgentOffline(AgentId),
    /// The agent is away or offline and takes no new conversations.
    #[error("agent `{0}` is not taking new conversations")]
    AgentUnavailable(AgentId),
    /// The agent already holds as many conversations as allowed.
    #[error("agent `{0}` has no free slot")]
    AgentAtCapacity(AgentId),
    /// Nobody in the group is online with a free slot.
    #[error("nobody in group `{0}` can take the conversation")]
    NoAgentAvailable(GroupId),
    /// The conversation is already with that agent.
    #[error("conversation `{0}` is already with that agent")]
    TransferToSelf(ConvId),
    /// The conversation is in neither the bot list nor the expired list.
    #[error("conversation `{0}` is not in the bot list")]
    NotInBotList(ConvId),
    /// The mini-program reply quota of the conversation is used up.
    #[error("the reply quota of conversation `{0}` is used up")]
    QuotaExceeded(ConvId),
    /// A required leave-message field is missing or blank.
    #[error("leave-message field `{0}` is required")]
    MissingField(String),
    /// The site configuration is inconsistent.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

impl Rejection {
    /// The stable machine-readable code (`unknown_entry`, `already_accepted`, ...).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::UnknownEntry(_) => "unknown_entry",
            Rejection::UnknownGroup(_) => "unknown_group",
            Rejection::UnknownAgent(_) => "unknown_agent",
            Rejection::UnknownConversation(_) => "unknown_conversation",
            Rejection::DuplicateConversation(_) => "duplicate_conversation",
            Rejection::AlreadyAccepted { .. } => "already_accepted",
            Rejection::NotPending(_) => "not_pending",
            Rejection::NotInGroup { .. } => "not_in_group",
            Rejection::NotAssignedToYou { .. } => "not_assigned_to_you",
            Rejection::AgentOffline(_) => "agent_offline",
            Rejection::AgentUnavailable(_) => "agent_unavailable",
            Rejection::AgentAtCapacity(_) => "agent_at_capacity",
            Rejection::NoAgentAvailable(_) => "no_agent_available",
            Rejection::TransferToSelf(_) => "transfer_to_self",
            Rejection::NotInBotList(_) => "not_in_bot_list",
            Rejection::QuotaExceeded(_) => "quota_exceeded",
            Rejection::MissingField(_) => "missing_field",
            Rejection::InvalidConfig(_) => "invalid_config",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_entry_has_the_documented_code_and_message() {
        let r = Rejection::UnknownEntry(EntryId::from("vip"));
        assert_eq!(r.code(), "unknown_entry");
        assert_eq!(r.to_string(), "unknown entry `vip`");
    }

    #[test]
    fn second_accept_names_the_winner() {
        let r = Rejection::AlreadyAccepted { conv: ConvId::from("c1"), by: AgentId::from("a1") };
        assert_eq!(r.code(), "already_accepted");
        assert_eq!(r.to_string(), "conversation `c1` was already accepted by `a1`");
    }
}
