//! The 报表 page at `/console/reports/`: a site's figures over a range of days, opened from the
//! workbench in a tab of its own (a separate wasm app, so the workbench every agent loads does not
//! carry it). Admins see the whole site; an agent his own conversations (the Desk decides).
//!
//! `api` holds the session (the console's, from `sessionStorage`) and the one network call;
//! `app` is the page (controls, tiles, charts); `tables` makes each table once, for the screen and
//! its CSV; `chart` draws the SVG bar charts; `i18n` holds the strings.

mod api;
mod app;
mod chart;
mod i18n;
mod tables;

/// Mounts the reports page; wasm-bindgen calls this when the module loads.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(app::App);
}
