//! Wire types shared by the widget, the console and the edge: every JSON shape that crosses a wire.
//!
//! HTTP bodies live in [`http`], WebSocket frames in [`frames`]. Frames are tagged enums
//! (`{"type": "..."}`) so a peer can always tell what it got, and unknown frames fail to parse
//! into a typed error instead of being misread.

pub mod admin;
mod board;
pub mod checks;
pub mod console;
pub mod frames;
pub mod http;
pub mod lite;
pub mod mini_program;
pub mod raw;
pub mod report;
pub mod search;
pub mod session_from;
pub mod settings;
mod states;
pub mod theme;
pub mod workbench;

pub use board::{BoardDelta, BoardEntry, BoardList};
pub use states::{AgentRole, Channel, ColorScheme, ConvStatus, MessageKind, Prompt, Side, WaitReason};

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

/// Close code of a socket whose token was refused or whose session ended (expired, logged out,
/// revoked): reconnecting with the same token cannot help. The only close a client gives up on.
pub const CLOSE_UNAUTHORIZED: u16 = 4401;

/// Close code of a socket whose `open` frame was refused (identity required or refused, a page the
/// site does not allow, an unknown entry, too many sessions): the same `open` cannot succeed now,
/// so a client does not send it again by itself.
pub const CLOSE_REFUSED: u16 = 4403;

/// Close code of a socket that sent no `auth` frame within [`AUTH_TIMEOUT_MS`]; a client may
/// connect again.
pub const CLOSE_AUTH_TIMEOUT: u16 = 4408;

/// Close code of a socket refused because its visitor already has as many sockets as the site
/// allows (`rate_limits.sockets_per_visitor`); a client may try again later.
pub const CLOSE_TOO_MANY_SOCKETS: u16 = 4429;

/// Close code of a socket whose `auth` failed inside the Desk (storage): the token may be fine,
/// so a client connects again with it.
pub const CLOSE_INTERNAL: u16 = 4500;

/// How long a socket may stay open without authenticating, in milliseconds.
pub const AUTH_TIMEOUT_MS: u64 = 10_000;

/// Most messages one `auth` replays (the newest ones) and one `history` request returns.
pub const REPLAY_PAGE: u64 = 100;

/// Whether a client should connect again after its socket closed with `code` (everything but a
/// refused token or a refused `open`).
pub fn close_is_retryable(code: u16) -> bool {
    code != CLOSE_UNAUTHORIZED && code != CLOSE_REFUSED
}

pub use admin::{
    AcceptSetting, AgentConfig, AutoReplySetting, BotSetting, CardButton, ConditionOn, ConditionSetting, Contact,
    ContactImport, EntrySetting, GroupConfig, IdentitySettings, LeaveFieldSetting, PluginConfig, PreChatField,
    PreChatKind, PromptSettings, PromptSlot, PromptTexts, RateLimitSettings, RoutingSettings, RuleSetting,
    ServiceHoursSetting, SessionSettings, SiteConfig, StrategySetting, ThemeSetting, ThemeTokens, UploadSettings,
    PLACE_FIELDS,
};
pub use console::{
    AgentDayStats, Board, ClosedConversation, ConsoleFrame, ContactInfo, GroupAvailability, PastConversation, Phrase,
    SendFailure, TeamMember, VisitorProfile,
};
pub use frames::{
    AgentFrame, Author, ChatMessage, ConversationSummary, FormFieldInfo, LastMessage, LeftMessage, MessageBody,
    Presence, ReplyQuota, ServerFrame, SessionOpened, VisitorFrame, LAST_MESSAGE_CHARS, MAX_UNREAD_COUNTED,
};
pub use http::{
    AgentLoginRequest, AgentLoginResponse, AgentLogoutRequest, ApiError, ErrorBody, GroupChoice, SessionRequest,
    SessionResponse, UploadKind, UploadResponse, WidgetConfig,
};
pub use workbench::{
    ProfileRow, SessionGroupInfo, SessionGroupSetting, SidebarField, SidebarSource, WorkbenchSettings,
};

#[cfg(test)]
mod close_tests {
    use super::*;

    #[test]
    fn only_a_refused_token_is_final() {
        assert!(!close_is_retryable(CLOSE_UNAUTHORIZED));
        assert!(!close_is_retryable(CLOSE_REFUSED));
        for code in [1000, 1001, 1006, 1011, CLOSE_AUTH_TIMEOUT, CLOSE_TOO_MANY_SOCKETS, CLOSE_INTERNAL] {
            assert!(close_is_retryable(code), "{code} is retried");
        }
    }
}
