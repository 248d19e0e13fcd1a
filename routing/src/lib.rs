//! The routing core: a pure, sans-IO state machine that assigns conversations to agents by the site's rules.
//!
//! One [`Desk`] per site. Events go in ([`Event`]), commands come out ([`Command`]); time is
//! passed in as [`Millis`]. No IO, no clock, no randomness: the same events at the same times
//! always give the same commands. See [`Desk`] for the call order and [`Snapshot`] for
//! persistence.

#![warn(missing_docs)]

mod clock;
mod command;
mod config;
mod desk;
mod error;
mod event;
mod ids;

pub use clock::{DaySpan, ServiceHours};
pub use command::{
    AgentRecord, AgentStats, Average, Command, ConvState, ConversationRecord, Counters, DayStats, DeskStats,
    DormantReason, Party, PromptKind, Quota, Record, Snapshot, Via, WaitReason,
};
pub use config::{
    session_groups_of, AcceptMode, AgentConfig, AutoReply, BaseStrategy, BotSettings, Channel, Condition, EntryConfig,
    FieldFilter, FieldTest, FormField, GroupConfig, LeaveMessageForm, Prompts, ReplyQuotas, RoutingMode, Rule,
    SessionGroup, SiteConfig, Strategy, Target, Timeouts, DEFAULT_TRANSFER_KEYWORDS, ENTER_QUOTA, ENTER_WINDOW_MS,
    MESSAGE_QUOTA, MESSAGE_WINDOW_MS,
};
pub use desk::{ConfigImpact, Desk};
pub use error::Rejection;
pub use event::{AgentStatus, Closer, Event, NewConversation};
pub use ids::{AgentId, ConvId, EntryId, GroupId, Millis, DAY, HOUR, MILLISECOND, MINUTE, SECOND};
