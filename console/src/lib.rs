//! The agent workbench at `/console`: log in, see the site's conversations live, answer them.
//!
//! `api` holds all network code and the reactive state; `login` and `workbench` are the screens,
//! `lists` (with `search`), `conversation` (with `message` and `composer`), `sidebar` and `stats`
//! its parts. The 报表 page is an app of its own (`reports`, at `/console/reports/`).

mod api;
mod app;
mod composer;
mod conversation;
mod export;
mod i18n;
mod lists;
mod login;
mod message;
mod search;
mod sidebar;
mod stats;
mod workbench;

/// Mounts the console; wasm-bindgen calls this when the module loads.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(app::App);
}
