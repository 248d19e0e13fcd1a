//! Wire types shared by the widget, the console and the edge: every JSON shape that crosses a wire.
//!
//! HTTP bodies live in [`http`], WebSocket frames in [`frames`]. Frames are tagged enums
//! (`{"type": "..."}`) so a peer can always tell what it got, and unknown frames fail to parse
//! into a typed error instead of being misread.

pub mod admin;
pub mod checks;
pub mod console;
pub mod frames;
pub mod http;
pub mod lite;
pub mod raw;

/// Version of the wire protocol; it is also the `/api/v1` path segment.
pub const PROTOCOL_VERSION: u32 = 1;

/// Longest text message a client may send, in characters.
pub const MAX_TEXT_CHARS: usize = 5_000;

/// Longest client id of a message, in bytes.
pub const MAX_CLIENT_ID: usize = 64;

/// The heartbeat a client sends as a bare text frame (not JSON) when its socket has been quiet.
pub const PING: &str = "ping";

/// The answer to [`PING`]: the Durable Object's runtime sends it without waking the Desk.
pub const PONG: &str = "pong";

pub use admin::{
    AcceptSetting, AgentConfig, AutoReplySetting, BotSetting, CardButton, Contact, ContactImport, EntrySetting,
    GroupConfig, IdentitySettings, PreChatField, PreChatKind, PromptSettings, PromptSlot, PromptTexts,
    RateLimitSettings, RoutingSettings, RuleSetting, ServiceHoursSetting, SiteConfig, StrategySetting, UploadSettings,
};
pub use console::{
    AgentDayStats, Board, ClosedConversation, ConsoleFrame, ContactInfo, GroupAvailability, PastConversation, Phrase,
    TeamMember, VisitorProfile,
};
pub use frames::{
    AgentFrame, Author, ChatMessage, ConversationSummary, FormFieldInfo, LeftMessage, MessageBody, Presence,
    ServerFrame, VisitorFrame,
};
pub use http::{
    AgentLoginRequest, AgentLoginResponse, ApiError, ErrorBody, GroupChoice, SessionRequest, SessionResponse,
    UploadKind, UploadResponse, WidgetConfig,
};
