//! Browser plumbing shared by the widget and the console: JSON over fetch, a reconnecting
//! WebSocket, storage and ids. UI crates call only these; nothing here knows about Leptos.

mod http;
mod socket;
pub mod timeline;
mod upload;
mod util;

pub use http::{get_text, post_json, post_text, send_text, FetchError};
pub use socket::{Socket, SocketEvents};
pub use upload::upload;
pub use util::{
    clock, download, is_send_key, new_client_id, now_ms, origin, session_get, session_remove, session_set, storage_get,
    storage_set, ws_url,
};

/// Declares an app's interface strings, one row per string with its Chinese and English text:
/// makes `Strings` (a field per row, documented with its English text), the tables `ZH` and `EN`
/// and `strings(locale)`, which picks one. The console and the reports page each declare theirs with it.
#[macro_export]
macro_rules! strings {
    ($($key:ident: $zh:expr, $en:expr;)*) => {
        /// The app's strings in one language (each field's doc is its English text).
        #[derive(Debug)]
        pub struct Strings {
            $(#[doc = $en] pub $key: &'static str,)*
        }
        const ZH: Strings = Strings { $($key: $zh,)* };
        const EN: Strings = Strings { $($key: $en,)* };

        /// The strings for a locale tag; Chinese unless it starts with `en`.
        pub fn strings(locale: &str) -> &'static Strings {
            if locale.to_ascii_lowercase().starts_with("en") {
                &EN
            } else {
                &ZH
            }
        }
    };
}
