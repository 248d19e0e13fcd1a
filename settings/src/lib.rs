//! The back office at `/console/settings/`: a site's owners and admins change its settings in the
//! browser, with the same checks the API enforces. A separate wasm app, so an agent's console
//! does not carry it.
//!
//! `api` holds the session (the console's, from `sessionStorage`) and every network call; `app`
//! is the shell (navigation, save bar, the version conflict); `plugins`, `prompts`, `hours`,
//! `identity`, `agents`, `groups`, `rules` (with `conditions`), `entries`, `mini_programs`, `bot`, `window` (with `forms`), `workbench`, `contacts` (with `contact_search`) and `history` are the
//! pages; `browser` wraps the clipboard, random bytes and dates; `controls` holds shared form controls.

mod agents;
mod api;
mod app;
mod bot;
mod browser;
mod conditions;
mod contact_search;
mod contacts;
mod controls;
mod entries;
mod forms;
mod groups;
mod history;
mod hours;
mod identity;
mod mini_programs;
mod plugins;
mod prompts;
mod rules;
mod window;
mod workbench;

/// Mounts the settings app; wasm-bindgen calls this when the module loads.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(app::App);
}
