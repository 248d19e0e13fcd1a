//! WebSocket frames between the clients (widget, console) and the Desk.

use serde::{Deserialize, Serialize};

use crate::{Channel, ConvStatus, MessageKind, Side, WaitReason};

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Author {
    /// The shopper.
    Visitor,
    /// A human agent.
    Agent {
        /// Agent id.
        id: String,
        /// Display name.
        name: String,
    },
    /// The system (prompts, welcome messages).
    System,
}

/// The content of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageBody {
    /// Plain text (with emoji); always rendered as text, never as HTML.
    Text {
        /// The text.
        text: String,
    },
    /// An uploaded image (`POST .../uploads`), shown inline.
    Image {
        /// Upload id; the upload must belong to the message's conversation.
        upload_id: String,
        /// File name.
        name: String,
        /// Size in bytes.
        size: u64,
        /// Content type recognised from the bytes.
        content_type: String,
    },
    /// An uploaded file (`POST .../uploads`), offered as a download.
    File {
        /// Upload id; the upload must belong to the message's conversation.
        upload_id: String,
        /// File name.
        name: String,
        /// Size in bytes.
        size: u64,
        /// Content type recognised from the bytes.
        content_type: String,
    },
    /// An order or product card a verified visitor picked with a quick-send button (the page gave
    /// the cards with `setCards`); agents may send cards too. Links are http(s) only.
    Card {
        /// The card list it came from (`orders`, `products`, ...).
        #[serde(default)]
        list: String,
        /// Order or product id in the site owner's system.
        id: String,
        /// Title (product name, order summary).
        title: String,
        /// Picture URL (http or https), if any.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        image: String,
        /// Price as the page shows it (`¥199.00`).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        price: String,
        /// Order status as the page shows it (`已发货`).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        status: String,
        /// Link to the order or product page (http or https), if any.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        url: String,
    },
}

/// A stored message, as every client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Conversation the message belongs to.
    pub conversation_id: String,
    /// Position in the conversation, from 1, without gaps.
    pub seq: u64,
    /// Id the sending client chose, for de-duplication.
    pub client_id: String,
    /// Who wrote it.
    pub author: Author,
    /// What it says.
    pub body: MessageBody,
    /// When the Desk stored it, unix milliseconds.
    pub at_ms: u64,
}

/// A conversation as the console lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    /// Conversation id.
    pub conversation_id: String,
    /// Visitor id.
    pub visitor_id: String,
    /// Name to show for the visitor.
    pub visitor_name: String,
    /// Highest `seq` in the conversation.
    pub last_seq: u64,
    /// Whether the visitor proved its identity (guests are `false`).
    #[serde(default)]
    pub verified: bool,
    /// The CRM contact the visitor is linked to, if any.
    #[serde(default)]
    pub contact_id: Option<String>,
    /// Where the conversation stands.
    #[serde(default)]
    pub state: ConvStatus,
    /// The agent holding or offered it.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The channel the visitor came through (web, mobile web, app, mini-program).
    #[serde(default)]
    pub channel: Channel,
    /// The name of the web plugin the visitor came through (sites with several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The session groups (ids) it is in, for the console's filters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_groups: Vec<String>,
    /// A mini-program conversation's reply quota: what WeChat still allows, until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<ReplyQuota>,
    /// The newest message of the visitor or an agent (system prompts left out), for the lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<LastMessage>,
    /// When the oldest visitor message no agent has answered yet was sent (unix ms): the visitor
    /// has waited since then. `None` when the last word is an agent's (or nobody wrote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_since_ms: Option<u64>,
    /// Visitor messages after what the agents have read (at most [`MAX_UNREAD_COUNTED`]).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub unread: u32,
}

/// Most unread messages a summary counts (the lists show more as this many).
pub const MAX_UNREAD_COUNTED: u32 = 99;

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// Most characters of a message a list shows.
pub const LAST_MESSAGE_CHARS: usize = 60;

/// A conversation's newest message as its list item shows it: one line, text only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastMessage {
    /// Who wrote it.
    pub from: Side,
    /// What it is.
    pub kind: MessageKind,
    /// One line of it: a text's first line, an upload's file name, a card's title (at most
    /// [`LAST_MESSAGE_CHARS`] characters).
    pub text: String,
    /// When it was stored, unix milliseconds.
    pub at_ms: u64,
}

impl LastMessage {
    /// The list line of a stored message; `None` for the system's (prompts are not the news).
    #[must_use]
    pub fn of(message: &ChatMessage) -> Option<Self> {
        Self::written(&message.author, &message.body, message.at_ms)
    }

    /// The list line of what `author` wrote at `at_ms` (a line the writer's own app shows,
    /// acknowledged but not sent back); `None` for the system's.
    #[must_use]
    pub fn written(author: &Author, body: &MessageBody, at_ms: u64) -> Option<Self> {
        let from = match author {
            Author::Visitor => Side::Visitor,
            Author::Agent { .. } => Side::Agent,
            Author::System => return None,
        };
        let (kind, text) = match body {
            MessageBody::Text { text } => (MessageKind::Text, text.as_str()),
            MessageBody::Image { name, .. } => (MessageKind::Image, name.as_str()),
            MessageBody::File { name, .. } => (MessageKind::File, name.as_str()),
            MessageBody::Card { title, .. } => (MessageKind::Card, title.as_str()),
        };
        let line = text.split(['\n', '\r']).map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        let text = line.chars().take(LAST_MESSAGE_CHARS).collect();
        Some(Self { from, kind, text, at_ms })
    }
}

/// The replies WeChat still allows in a mini-program conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyQuota {
    /// Replies left.
    pub remaining: u8,
    /// When the window closes, unix milliseconds.
    pub until_ms: u64,
}

/// A field of the leave-message form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFieldInfo {
    /// Field name (`name`, `phone`, `message`, ...).
    pub name: String,
    /// Whether it must be filled.
    pub required: bool,
    /// The site's label for it (absent: the widget's label for the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Frames a visitor's widget sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorFrame {
    /// First frame of a page that has no session token yet: opens (or, with `resume_token`,
    /// resumes) the visitor's session in the socket itself, one connection instead of
    /// `POST .../sessions` and then the socket. Answered with `session`, then as `auth` from
    /// `last_seq` 0; a refusal is an `error` frame and the close [`crate::CLOSE_REFUSED`].
    Open {
        /// What `POST .../sessions` takes.
        session: crate::SessionRequest,
    },
    /// First frame: the session token, and the last `seq` the widget has seen.
    Auth {
        /// Session token from `POST .../sessions`.
        token: String,
        /// Last `seq` already shown; the Desk replays everything after it.
        #[serde(default)]
        last_seq: u64,
    },
    /// Send a message.
    Send {
        /// Client-chosen id; a resend with the same id is acknowledged once and stored once.
        client_id: String,
        /// The content.
        body: MessageBody,
    },
    /// Submit the leave-message form (nobody could answer).
    LeaveMessage {
        /// Field name to answer.
        fields: std::collections::BTreeMap<String, String>,
    },
    /// The visitor started or stopped typing.
    Typing {
        /// Whether the visitor is typing now.
        typing: bool,
    },
    /// The visitor has seen every message up to `seq`.
    Read {
        /// Highest `seq` seen.
        seq: u64,
    },
    /// Asks for older messages: up to [`crate::REPLAY_PAGE`] of them before `before_seq`, sent as
    /// `message` frames, oldest first (a resume from far behind replays only the newest page).
    History {
        /// Send messages with a smaller `seq`.
        before_seq: u64,
    },
    /// Satisfaction rating after the agent closed the conversation.
    Rate {
        /// 1 (bad) to 5 (great).
        score: u8,
        /// Optional comment.
        #[serde(default)]
        comment: String,
    },
}

/// A leave-message form submission, as agents list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftMessage {
    /// Conversation it came from.
    pub conversation_id: String,
    /// The answers.
    pub fields: std::collections::BTreeMap<String, String>,
    /// When it was left, unix milliseconds.
    pub at_ms: u64,
}

/// An agent's presence, as the console sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Takes new conversations.
    Online,
    /// Keeps current conversations, gets no new ones.
    Away,
    /// Logged out: held conversations must be re-accepted.
    Offline,
}

/// Frames an agent's console sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentFrame {
    /// First frame: the agent token.
    Auth {
        /// Token from `POST .../agents/login`.
        token: String,
    },
    /// Send a message that did not reach the user's channel again (see `send_failures`).
    Retry {
        /// Conversation id.
        conversation_id: String,
        /// The message.
        seq: u64,
    },
    /// Ask for a conversation's messages after `after_seq`.
    Sync {
        /// Conversation id.
        conversation_id: String,
        /// Replay messages with a greater `seq`.
        #[serde(default)]
        after_seq: u64,
    },
    /// Send a message into a conversation.
    Send {
        /// Conversation id.
        conversation_id: String,
        /// Client-chosen id for de-duplication.
        client_id: String,
        /// The content.
        body: MessageBody,
    },
    /// Accept a conversation offered in the pending list (or re-accept a dormant one).
    Accept {
        /// Conversation id.
        conversation_id: String,
    },
    /// Hand a conversation to another agent or group.
    Transfer {
        /// Conversation id.
        conversation_id: String,
        /// Target agent.
        #[serde(default)]
        to_agent: Option<String>,
        /// Target group.
        #[serde(default)]
        to_group: Option<String>,
    },
    /// Close a conversation.
    Close {
        /// Conversation id.
        conversation_id: String,
    },
    /// Change presence.
    Presence {
        /// The new presence.
        status: Presence,
    },
    /// The agent started or stopped typing in a conversation.
    Typing {
        /// Conversation id.
        conversation_id: String,
        /// Whether the agent is typing now.
        typing: bool,
    },
    /// The agent has seen every message of a conversation up to `seq`.
    Read {
        /// Conversation id.
        conversation_id: String,
        /// Highest `seq` seen.
        seq: u64,
    },
    /// Ask for the site's newest leave-message submissions.
    ListLeftMessages,
    /// Pick a bot-list (or expired) conversation up by hand.
    PickUp {
        /// Conversation id.
        conversation_id: String,
    },
    /// Ask for the site-wide lists (answered with [`crate::ConsoleFrame::Board`], also pushed on change).
    Board,
    /// Ask for the sidebar of a conversation's visitor.
    Profile {
        /// Conversation id.
        conversation_id: String,
    },
    /// Ask for today's figures: the agent's own, or every agent's for an admin.
    Stats,
    /// Search the site's conversations (answered with [`crate::ConsoleFrame::SearchResults`]).
    Search {
        /// What to find.
        query: crate::search::SearchQuery,
    },
    /// Ask for the quick phrases (the site's shared ones and the agent's own).
    Phrases,
    /// Add a quick phrase, or change one (`id` given).
    SavePhrase {
        /// The phrase to change; absent: a new one.
        #[serde(default)]
        id: Option<String>,
        /// Its text.
        text: String,
        /// Shared with the whole site (admins only).
        #[serde(default)]
        shared: bool,
    },
    /// Delete a quick phrase.
    DeletePhrase {
        /// Phrase id.
        id: String,
    },
}

/// The answer to a visitor's `open` frame: the session it opened (what `POST .../sessions`
/// answers), as `{"type":"session","session":{...}}`; `ready` follows. A frame of its own, not a
/// [`ServerFrame`], so the console (which decodes `ServerFrame` with serde) carries no decoder of
/// the session's shapes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "session")]
pub struct SessionOpened {
    /// The session, with its token for the next connections and uploads.
    pub session: crate::SessionResponse,
}

/// Frames the Desk sends to visitors and agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Authentication succeeded; replayed messages follow.
    Ready {
        /// Who the socket now speaks for (visitor or agent id).
        principal: String,
        /// Messages up to this `seq` are left out of the replay that follows (a visitor resuming
        /// from far behind gets the newest [`crate::REPLAY_PAGE`] only; `history` asks for older
        /// ones); 0 when nothing is left out.
        #[serde(default, skip_serializing_if = "is_zero")]
        skipped_to: u64,
    },
    /// A message was stored: sent to the conversation's other sockets (a visitor's sending socket
    /// gets only [`ServerFrame::Ack`] for a text message, which it already shows as written).
    Message {
        /// The stored message.
        message: ChatMessage,
    },
    /// The stored message for a client id (answer to `Send`, also for duplicates).
    Ack {
        /// The client id that was sent.
        client_id: String,
        /// Conversation id.
        conversation_id: String,
        /// The `seq` the message got.
        seq: u64,
        /// When it was stored (unix ms): the line's time, as the other ends show it.
        #[serde(default)]
        at_ms: u64,
    },
    /// The conversations an agent can see (sent after auth and on change).
    Conversations {
        /// Every open conversation of the site the agent may see.
        conversations: Vec<ConversationSummary>,
    },
    /// Where the visitor's conversation stands (sent to the visitor).
    Status {
        /// Conversation id.
        conversation_id: String,
        /// `queued`, `offered`, `active`, `dormant` or `closed`.
        state: ConvStatus,
        /// Position in the queue, from 1.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<u32>,
        /// Why it waits.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<WaitReason>,
        /// Name of the agent serving.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_name: Option<String>,
    },
    /// Nobody can answer now: the site's leave-message form.
    LeaveMessageForm {
        /// Conversation id.
        conversation_id: String,
        /// Text above the form.
        intro: String,
        /// The fields.
        fields: Vec<FormFieldInfo>,
    },
    /// The other side is typing (or stopped).
    Typing {
        /// Conversation id.
        conversation_id: String,
        /// Who is typing.
        from: Side,
        /// Whether they are typing now.
        typing: bool,
    },
    /// The other side has read up to `seq`.
    Read {
        /// Conversation id.
        conversation_id: String,
        /// Who read.
        from: Side,
        /// Highest `seq` read.
        seq: u64,
    },
    /// The visitor's widget connected or went away (sent to the agent holding the conversation).
    VisitorPresence {
        /// Conversation id.
        conversation_id: String,
        /// Whether a widget of the visitor is connected.
        online: bool,
    },
    /// The site's newest leave-message submissions.
    LeftMessages {
        /// Newest first.
        items: Vec<LeftMessage>,
    },
    /// The rating was stored.
    Rated {
        /// Conversation id.
        conversation_id: String,
        /// The score.
        score: u8,
    },
    /// A conversation left this agent's lists (transferred away, withdrawn, closed).
    ConversationRemoved {
        /// Conversation id.
        conversation_id: String,
        /// Set when the agent handed it to a colleague: that colleague's name (the conversation
        /// goes on, read-only for the agent who handed it over).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transferred_to: Option<String>,
    },
    /// A conversation changed (new message, new visitor); agents upsert it in their lists.
    ConversationUpdated {
        /// The conversation's current summary.
        conversation: ConversationSummary,
    },
    /// A `send` was refused and nothing was stored (the sender shows it failed, with a retry).
    Rejected {
        /// The client id of the refused message.
        client_id: String,
        /// Stable code (`rate_limited`, `message_too_long`, `card_not_allowed`, ...).
        code: String,
        /// Human-readable message.
        message: String,
    },
    /// A request failed; the socket stays open unless the code says otherwise.
    Error {
        /// Stable code.
        code: String,
        /// Human-readable message.
        message: String,
    },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests;
