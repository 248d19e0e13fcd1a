//! Shapes only the agent console and the Desk exchange: the site-wide lists (the board), the
//! visitor sidebar, quick phrases and the day's figures.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::frames::{ConversationSummary, Presence};
use crate::Channel;

/// Frames the Desk sends only to agents' consoles, on the agent socket next to [`crate::ServerFrame`]
/// (a separate enum, so the widget's codec, which decodes `ServerFrame` only, never carries them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConsoleFrame {
    /// The site-wide lists, whole: the answer to `board` (on connect, or after a gap), and when a
    /// change is more than a delta can say.
    Board {
        /// The lists.
        board: Board,
    },
    /// What changed on the board since the one before it (pushed whenever a list changes).
    BoardDelta {
        /// The changes.
        delta: crate::BoardDelta,
    },
    /// A visitor's sidebar (answer to `profile`).
    Profile {
        /// The profile.
        profile: Box<VisitorProfile>,
    },
    /// Today's figures (answer to `stats`): one row, or one per agent for admins.
    Stats {
        /// Per agent.
        agents: Vec<AgentDayStats>,
    },
    /// The quick phrases the agent may use (answer to `phrases` and to every change).
    Phrases {
        /// Shared phrases first, then the agent's own.
        items: Vec<Phrase>,
    },
    /// The conversations a `search` found, newest first.
    SearchResults {
        /// The search's number (`SearchQuery::n`).
        n: u32,
        /// The hits of this page.
        hits: Vec<crate::search::SearchHit>,
        /// Whether a next page has more.
        more: bool,
    },
    /// The messages of a conversation that did not reach the user's channel (a mini-program
    /// user's WeChat), all of them: after a `sync`, and whenever one fails or is retried.
    SendFailures {
        /// Conversation id.
        conversation_id: String,
        /// Each failed message, by `seq` (empty: every message went out).
        failures: Vec<SendFailure>,
    },
}

/// A stored message that its channel did not take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendFailure {
    /// The message.
    pub seq: u64,
    /// Why, as the channel said it.
    pub reason: String,
    /// Whether sending it again may work (`false`: the channel refused it for good, e.g. WeChat's
    /// reply window closed).
    pub retry: bool,
}

/// The site-wide lists every agent of a site sees, pushed whenever one of them changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Board {
    /// The board's number: each push is the next, and a [`crate::BoardDelta`] turns board `seq - 1`
    /// into board `seq`.
    pub seq: u64,
    /// Conversations waiting in group queues, first come first.
    pub queued: Vec<ConversationSummary>,
    /// Conversations the bot is answering (bot-first sites); agents may pick them up.
    pub bot: Vec<ConversationSummary>,
    /// Bot-list conversations idle for 48 hours.
    pub expired: Vec<ConversationSummary>,
    /// Conversations idle (or whose agent left) that must be re-accepted.
    pub dormant: Vec<ConversationSummary>,
    /// Conversations closed today (site time), newest first.
    pub closed_today: Vec<ClosedConversation>,
    /// Every agent with its availability, for transfers.
    pub team: Vec<TeamMember>,
    /// Every group with how many of its members could take a conversation now.
    pub groups: Vec<GroupAvailability>,
    /// How many leave-message submissions the site has (the console fetches them when it grows).
    pub left_messages: u32,
    /// The site's session groups, the filters over every list (conversations name theirs in
    /// [`ConversationSummary::session_groups`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub session_groups: Vec<crate::workbench::SessionGroupInfo>,
    /// After how many seconds of waiting a list shows a visitor's wait in amber, then in red
    /// (the site's [`crate::WorkbenchSettings::wait_thresholds`]).
    pub wait_thresholds: (u32, u32),
}

/// A conversation closed today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClosedConversation {
    /// Conversation id.
    pub conversation_id: String,
    /// Name shown for the visitor.
    pub visitor_name: String,
    /// The agent who held it last.
    pub agent_id: Option<String>,
    /// When it closed, unix milliseconds.
    pub closed_ms: u64,
    /// The visitor's satisfaction rating (1-5), once given.
    pub score: Option<u8>,
}

/// An agent as a transfer target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    /// Agent id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Presence.
    pub status: Presence,
    /// Live conversations.
    pub live: u32,
    /// Conversations waiting for its accept.
    pub pending: u32,
    /// Capacity.
    pub max_sessions: u32,
}

/// A group as a transfer target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupAvailability {
    /// Group id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Online members with a free slot.
    pub available: u32,
    /// Members in total.
    pub members: u32,
}

/// Everything the sidebar shows about a conversation's visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VisitorProfile {
    /// Conversation the profile was asked for.
    pub conversation_id: String,
    /// Visitor id.
    pub visitor_id: String,
    /// Name shown for the visitor.
    pub name: String,
    /// Whether the visitor proved its identity with a site token.
    pub verified: bool,
    /// The verification fields the token carried (`full_name`, `phone`).
    pub verified_by: Vec<String>,
    /// The identity token's fields (verified visitors only).
    pub identity: BTreeMap<String, String>,
    /// The page gave an identity token the Desk refused (the visitor chats as a guest): the code
    /// (`identity_expired`, `identity_invalid`, ...) and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_refused: Option<crate::http::ApiError>,
    /// Phone from the identity, if any.
    pub phone: Option<String>,
    /// The visitor's picture (a mini-program user's WeChat avatar, from the button's
    /// `session-from`): an https link, display only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// Fields the page set with `setCustomField` (display only, never trusted).
    pub custom_fields: BTreeMap<String, String>,
    /// The linked CRM contact.
    pub contact: Option<ContactInfo>,
    /// Entry id the visitor came through.
    pub entry: Option<String>,
    /// Group the visitor picked.
    pub group: Option<String>,
    /// The channel the visitor came through.
    pub channel: Channel,
    /// The name of the web plugin the visitor came through (sites with several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// URL of the page the visitor is on.
    pub page_url: Option<String>,
    /// Where the visitor's connection came from (`US · Texas · Austin`), as the edge saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Title of that page.
    pub page_title: Option<String>,
    /// Origin of the host page.
    pub host_origin: Option<String>,
    /// The browser's `User-Agent`.
    pub user_agent: String,
    /// Pre-chat form answers.
    pub pre_chat: BTreeMap<String, String>,
    /// The visitor's other conversations, newest first.
    pub past: Vec<PastConversation>,
    /// Where the visit came from, as the reports count it (`baidu / 双11`, `www.google.com`,
    /// `direct`), then the referrer and the landing page: `www.google.com (https://www.google.com/
    /// → https://shop.example/p/1)`. Absent when the page did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub came_from: Option<String>,
    /// The site's sidebar layout applied to this profile (工作台拓展信息); empty: the console
    /// shows its built-in layout.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::workbench::ProfileRow>,
}

/// A CRM contact as the sidebar shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactInfo {
    /// Contact id.
    pub id: String,
    /// Contact name.
    pub name: String,
    /// Agent who owns the contact.
    pub owner_agent: Option<String>,
    /// Customer (account) id.
    pub customer_id: Option<String>,
    /// Agent who owns the customer.
    pub customer_owner: Option<String>,
}

/// Another conversation of the same visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PastConversation {
    /// Conversation id.
    pub conversation_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// When it started, unix milliseconds.
    pub created_ms: u64,
    /// How many messages it has.
    pub last_seq: u64,
    /// Its satisfaction rating, if given.
    pub score: Option<u8>,
    /// The first line of the visitor's first message in it (an upload's name, a card's title):
    /// what it was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_line: Option<String>,
}

/// A quick phrase (canned reply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Phrase {
    /// Phrase id.
    pub id: String,
    /// The text inserted into the composer.
    pub text: String,
    /// Shared with every agent of the site (admins manage these); otherwise the agent's own.
    pub shared: bool,
}

/// One agent's figures for today (site time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentDayStats {
    /// Agent id.
    pub agent_id: String,
    /// Display name.
    pub name: String,
    /// Presence.
    pub status: Presence,
    /// Live conversations now.
    pub live: u32,
    /// Conversations accepted (connected) today.
    pub accepted: u32,
    /// Mean time from connection to the first agent reply, in milliseconds.
    pub avg_first_response_ms: Option<u64>,
    /// Mean time an agent held a conversation, in milliseconds.
    pub avg_handling_ms: Option<u64>,
    /// Ratings received today.
    pub ratings: u32,
    /// Sum of today's scores (the mean is `rating_total / ratings`).
    pub rating_total: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_frames_are_not_server_frames() {
        let text = serde_json::to_string(&ConsoleFrame::Phrases { items: vec![] }).expect("serialize");
        assert_eq!(text, r#"{"type":"phrases","items":[]}"#);
        assert!(serde_json::from_str::<crate::ServerFrame>(&text).is_err());
    }

    #[test]
    fn an_empty_board_parses_from_an_empty_object() {
        let board: Board = serde_json::from_str("{}").expect("parse");
        assert_eq!(board, Board::default());
    }

    #[test]
    fn a_profile_parses_with_only_some_fields() {
        let p: VisitorProfile =
            serde_json::from_str(r#"{"conversation_id":"c1","verified":true,"custom_fields":{"vipNo":"v1"}}"#)
                .expect("parse");
        assert!(p.verified);
        assert_eq!(p.custom_fields["vipNo"], "v1");
        assert!(p.past.is_empty());
    }
}
