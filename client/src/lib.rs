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
    clock, is_send_key, new_client_id, now_ms, origin, session_get, session_remove, session_set, storage_get,
    storage_set, ws_url,
};
