//! The closed sets that travel as words on the wire: where a conversation stands, why it waits,
//! which side did something, which channel a visitor came through. Each is an enum here, written
//! as the same snake_case word it always was, so widget, console and edge compare variants, never
//! string literals, and the lite codec reads and writes them with [`as_str`](ConvStatus::as_str)
//! and [`parse`](ConvStatus::parse).

use serde::{Deserialize, Serialize};

/// Declares a closed set with its wire words once: the enum (serde uses the words), `as_str`,
/// `parse` and `ALL`.
macro_rules! wire_words {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The word on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }

            /// The value a wire word names (`None`: not one of them).
            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $($word => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_words! {
    /// Where a conversation stands.
    #[derive(Default)]
    pub enum ConvStatus {
        /// Opened, not yet routed (no message yet).
        #[default]
        New = "new",
        /// Waiting in a group's queue.
        Queued = "queued",
        /// Offered to an agent who has not accepted yet.
        Offered = "offered",
        /// An agent is serving it.
        Active = "active",
        /// Idle or left by its agent: the next visitor message re-routes it.
        Dormant = "dormant",
        /// In the bot list (bot-first sites).
        Bot = "bot",
        /// Left in the bot list too long.
        Expired = "expired",
        /// Closed.
        Closed = "closed",
    }
}

wire_words! {
    /// Why a queued conversation waits.
    pub enum WaitReason {
        /// Every agent who could take it is busy.
        Busy = "busy",
        /// Nobody who could take it is online.
        Offline = "offline",
        /// Outside the site's service hours.
        OffHours = "off_hours",
    }
}

wire_words! {
    /// What a message is, as [`crate::MessageBody`]'s `kind` names it.
    pub enum MessageKind {
        /// Text.
        Text = "text",
        /// An image.
        Image = "image",
        /// A file.
        File = "file",
        /// An order or product card.
        Card = "card",
    }
}

wire_words! {
    /// Which side of a conversation typed or read.
    pub enum Side {
        /// The visitor.
        Visitor = "visitor",
        /// The agent.
        Agent = "agent",
    }
}

wire_words! {
    /// The channel a visitor came through.
    #[derive(Default)]
    pub enum Channel {
        /// A desktop browser.
        #[default]
        Web = "web",
        /// A phone-narrow browser.
        MobileWeb = "mobile_web",
        /// An app.
        App = "app",
        /// A WeChat mini-program.
        MiniProgram = "mini_program",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Copy + PartialEq + std::fmt::Debug + Serialize + for<'de> Deserialize<'de>>(
        all: &[T],
        word: impl Fn(T) -> &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) {
        for &value in all {
            let json = serde_json::to_string(&value).expect("serialises");
            assert_eq!(json, format!("\"{}\"", word(value)), "serde writes the wire word");
            assert_eq!(serde_json::from_str::<T>(&json).ok(), Some(value));
            assert_eq!(parse(word(value)), Some(value));
        }
        assert_eq!(parse("Queued"), None, "words are exact");
    }

    #[test]
    fn every_word_is_what_serde_writes_and_reads_back() {
        round_trip(ConvStatus::ALL, ConvStatus::as_str, ConvStatus::parse);
        round_trip(WaitReason::ALL, WaitReason::as_str, WaitReason::parse);
        round_trip(Side::ALL, Side::as_str, Side::parse);
        round_trip(Channel::ALL, Channel::as_str, Channel::parse);
    }
}

wire_words! {
    /// What an agent account may do beyond answering: admins and owners manage the site's
    /// settings in the console; owners are the site's first accounts, made by the operator.
    #[derive(Default, PartialOrd, Ord)]
    pub enum AgentRole {
        /// Answers conversations.
        #[default]
        Agent = "agent",
        /// Also sees every agent's figures, manages shared phrases and the settings.
        Admin = "admin",
        /// An admin the operator named when creating the site.
        Owner = "owner",
    }
}

impl AgentRole {
    /// Whether the role may read and change the site's settings.
    pub fn manages_settings(self) -> bool {
        self >= Self::Admin
    }
}

wire_words! {
    /// The prompts a site may switch off: the visitor then waits (queue position, or the
    /// leave-message form) without that text.
    pub enum Prompt {
        /// All agents busy: queued.
        Busy = "busy",
        /// All agents offline.
        Offline = "offline",
        /// Outside service hours.
        OffHours = "off_hours",
    }
}

wire_words! {
    /// A web plugin's colour scheme.
    #[derive(Default)]
    pub enum ColorScheme {
        /// Light.
        #[default]
        Light = "light",
        /// Dark.
        Dark = "dark",
        /// The visitor's system setting.
        Auto = "auto",
    }
}
