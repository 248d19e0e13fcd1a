//! A conversation's transcript as a text file the agent downloads: who wrote what and when, the
//! files and images as their names with a link (a signed one when the console has it, else the
//! upload's API address, which needs an agent's token).

use client::timeline::Line;
use leptos::prelude::*;
use protocol::{Author, MessageBody};

use crate::api::Desk;
use crate::i18n::Strings;

/// Downloads the selected conversation's transcript as `chat-{id}.txt`.
pub fn export_selected(desk: Desk, strings: &Strings) {
    let Some(id) = desk.selected.get_untracked() else { return };
    let site = desk.session.with_untracked(|s| s.as_ref().map(|s| s.site.clone()).unwrap_or_default());
    let name = desk
        .summary_of(&id)
        .map(|s| s.visitor_name)
        .or_else(|| desk.profiles.with_untracked(|p| p.get(&id).map(|p| p.name.clone())))
        .unwrap_or_default();
    let lines = desk.timelines.with_untracked(|t| t.get(&id).map(|t| t.lines().to_vec()).unwrap_or_default());
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let link = |upload_id: &str| {
        desk.links
            .with_untracked(|l| l.get(upload_id).cloned())
            .unwrap_or_else(|| format!("/api/v1/sites/{site}/uploads/{upload_id}"))
    };
    let link = |upload_id: &str| {
        let url = link(upload_id);
        if url.starts_with('/') {
            format!("{origin}{url}")
        } else {
            url
        }
    };
    let text = transcript(strings, &id, &name, &lines, link);
    client::download(&format!("chat-{id}.txt"), &text, "text/plain;charset=utf-8");
}

/// The transcript's text: a heading, then one line per message, `[YYYY-MM-DD HH:MM] who: what`.
fn transcript(strings: &Strings, id: &str, name: &str, lines: &[Line], link: impl Fn(&str) -> String) -> String {
    let mut out = format!("{} {id} · {name}\n\n", strings.transcript_of);
    for line in lines {
        let who = match &line.author {
            Author::Visitor => name.to_string(),
            Author::Agent { name, .. } => format!("{}{name}", strings.agent_prefix),
            Author::System => strings.system_name.to_string(),
        };
        let what = match &line.body {
            MessageBody::Text { text } => text.replace('\n', "\n    "),
            MessageBody::Image { upload_id, name, .. } | MessageBody::File { upload_id, name, .. } => {
                format!("{name} {}", link(upload_id))
            }
            MessageBody::Card { title, price, url, .. } => {
                [title.as_str(), price, url].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
            }
        };
        out.push_str(&format!("[{}] {who}: {what}\n", date_time(line.at_ms)));
    }
    out
}

/// `YYYY-MM-DD HH:MM` in local time.
fn date_time(at_ms: u64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
    format!("{}-{:02}-{:02} {}", d.get_full_year(), d.get_month() + 1, d.get_date(), client::clock(at_ms))
}
