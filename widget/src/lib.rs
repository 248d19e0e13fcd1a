//! The visitor chat widget: launcher and chat window, in the edge-origin iframe that the loader
//! (`loader/w.js`) puts on the host page. Written over the DOM by hand (no UI framework), so an
//! open chat downloads little.
//!
//! `state` holds what the widget shows and renders it after each change through `view` (with
//! `bubble`, `composer` and `forms`); `events` is what the visitor does; `api` is all network
//! code (`upload` the files); `host` the postMessage bridge to the loader; `theme` the theme
//! tokens; `i18n` every visible string; `dom` the few helpers the views are written with.

mod api;
mod app;
mod bubble;
mod composer;
mod dom;
mod events;
mod forms;
mod host;
mod i18n;
mod state;
mod theme;
mod upload;
mod view;

/// Starts the widget; wasm-bindgen calls this when the module loads (not in unit tests).
#[cfg_attr(not(test), wasm_bindgen::prelude::wasm_bindgen(start))]
pub fn start() {
    app::start();
}

#[cfg(test)]
mod tests;
