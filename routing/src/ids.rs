//! Identifiers and time: the small value types every other module passes around.

use std::fmt;

/// One millisecond of wall-clock time, as a count.
pub const MILLISECOND: u64 = 1;
/// One second, in milliseconds.
pub const SECOND: u64 = 1_000;
/// One minute, in milliseconds.
pub const MINUTE: u64 = 60 * SECOND;
/// One hour, in milliseconds.
pub const HOUR: u64 = 60 * MINUTE;
/// One day, in milliseconds.
pub const DAY: u64 = 24 * HOUR;

/// A point in time: milliseconds since the Unix epoch (UTC), always passed in by the caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// The point `ms` milliseconds later, saturating instead of overflowing.
    #[must_use]
    pub fn plus(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }

    /// Milliseconds elapsed since `earlier` (zero when `earlier` is later).
    #[must_use]
    pub fn since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a string id.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }
    };
}

string_id!(
    /// A conversation's id, chosen by the adapter when the visitor opens it.
    ConvId
);
string_id!(
    /// An agent's id, as in the site configuration.
    AgentId
);
string_id!(
    /// A group's id, as in the site configuration.
    GroupId
);
string_id!(
    /// An entry id (a multi-entry button such as `pre-sale`), naming a designated agent or group.
    EntryId
);
