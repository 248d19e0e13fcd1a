//! The visitor chat widget: launcher and chat window, a Leptos CSR app in the edge-origin iframe
//! that the loader (`loader/w.js`) puts on the host page.
//!
//! `app` holds the state and layout, `api` all network code, `host` the postMessage bridge to the
//! loader, `theme` the theme tokens, `i18n` every visible string; the window is built from
//! `chat_window`, `bubble`, `composer` and `forms`.

mod api;
mod app;
mod bubble;
mod chat_window;
mod composer;
mod forms;
mod host;
mod i18n;
mod launcher;
mod theme;
mod upload;

/// Mounts the widget; wasm-bindgen calls this when the module loads (not in unit tests, which
/// mount single components themselves).
#[cfg_attr(not(test), wasm_bindgen::prelude::wasm_bindgen(start))]
pub fn start() {
    leptos::mount::mount_to_body(app::App);
}

#[cfg(test)]
mod tests;
