//! One message bubble: text, image (thumbnail, full size on click), file (download), card, with
//! time and delivery state (sending, upload progress, failed with retry, read).

use client::timeline::{Line, Status};
use protocol::checks::is_web_url;
use protocol::{Author, MessageBody};
use web_sys::Element;

use crate::dom::{add, el, icon, set_attr, text_el, Slot};
use crate::i18n::Strings;
use crate::state::Chat;

/// What a bubble is built from: a bubble is rebuilt when its line is stored, fails, its upload
/// finishes or its link arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineKey {
    key: String,
    status: Status,
    uploaded: bool,
    link: Option<String>,
}

/// The key of a line's bubble.
pub fn key_of(chat: &Chat, line: &Line) -> LineKey {
    let link = match &line.body {
        MessageBody::Image { upload_id, .. } | MessageBody::File { upload_id, .. } => {
            chat.upload_url(upload_id, &line.key)
        }
        _ => None,
    };
    LineKey { key: line.key.clone(), status: line.status, uploaded: !line.is_uploading(), link }
}

/// A bubble on the page, and its parts that change in place.
pub struct LineView {
    /// What it was built from.
    pub key: LineKey,
    /// The bubble.
    pub el: Element,
    progress: Slot<u32>,
    meta: Slot<&'static str>,
}

impl LineView {
    /// Builds the bubble of `line`.
    pub fn build(line: &Line, key: LineKey, strings: &Strings) -> Self {
        let who = line.role();
        let bubble = el(
            "div",
            &[
                ("class", &format!("cw-msg cw-msg-{who}")),
                ("data-testid", "cw-message"),
                ("data-author", who),
                ("data-key", &line.key),
            ],
        );
        if let Author::Agent { name, .. } = &line.author {
            let name = if name.is_empty() { strings.agent } else { name };
            add(&bubble, &[&text_el("span", &[("class", "cw-name")], name)]);
        }
        add(&bubble, &[&content(line, key.link.as_deref(), strings)]);
        let progress = Slot::new(&bubble);
        let meta = el("span", &[("class", "cw-meta")]);
        add(&meta, &[&text_el("time", &[], &client::clock(line.at_ms))]);
        let meta_slot = Slot::new(&meta);
        if line.status == Status::Failed {
            let mark = text_el("span", &[("class", "cw-failed-mark")], strings.send_failed);
            let retry = text_el(
                "button",
                &[("type", "button"), ("class", "cw-retry"), ("data-testid", "cw-retry"), ("data-act", "retry")],
                strings.retry,
            );
            add(&meta, &[&mark, &retry]);
        }
        add(&bubble, &[&meta]);
        Self { key, el: bubble, progress, meta: meta_slot }
    }

    /// Shows what changes without a rebuild: read, upload progress.
    pub fn update(&mut self, chat: &Chat, line: &Line, strings: &'static Strings) {
        let mine = matches!(line.author, Author::Visitor);
        let state = match line.status {
            Status::Failed => "failed",
            Status::Sending => "sending",
            Status::Sent if mine && chat.agent_read_seq >= line.seq.unwrap_or(u64::MAX) => "read",
            Status::Sent => "sent",
        };
        set_attr(&self.el, "data-status", state);
        let meta = match state {
            "sending" => Some(strings.sending),
            "read" => Some(strings.read),
            _ => None,
        };
        self.meta.show(meta, |m| text_el("span", &[], m));
        self.progress.show(chat.progress.get(&line.key).copied(), |p| {
            el(
                "progress",
                &[
                    ("class", "cw-progress"),
                    ("data-testid", "cw-progress"),
                    ("max", "100"),
                    ("value", &p.to_string()),
                    ("aria-label", strings.uploading),
                ],
            )
        });
    }
}

fn content(line: &Line, link: Option<&str>, strings: &Strings) -> Element {
    match &line.body {
        MessageBody::Text { text } => text_el("p", &[("class", "cw-text")], text),
        MessageBody::Image { upload_id, name, .. } => {
            want_link(upload_id);
            let thumb = el(
                "button",
                &[
                    ("type", "button"),
                    ("class", "cw-thumb"),
                    ("data-testid", "cw-image"),
                    ("aria-label", name),
                    ("data-act", "image"),
                ],
            );
            let img = el("img", &[("alt", name)]);
            if let Some(src) = link {
                let _ = img.set_attribute("src", src);
            }
            add(&thumb, &[&img])
        }
        MessageBody::File { upload_id, name, size, .. } => {
            want_link(upload_id);
            let label = format!("{name} · {}", human_size(*size));
            let aria = format!("{} {label}", strings.download);
            let file = el(
                "a",
                &[
                    ("class", "cw-file"),
                    ("data-testid", "cw-file"),
                    ("download", name),
                    ("target", "_blank"),
                    ("rel", "noopener"),
                    ("aria-label", &aria),
                ],
            );
            if let Some(href) = link {
                let _ = file.set_attribute("href", href);
            }
            let path = "M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5z";
            add(&file, &[&icon("", path), &text_el("span", &[], &label)])
        }
        MessageBody::Card { title, image, price, status, url, .. } => {
            let card = el(
                "a",
                &[
                    ("class", "cw-card"),
                    ("data-testid", "cw-card"),
                    ("target", "_blank"),
                    ("rel", "noopener noreferrer"),
                ],
            );
            if is_web_url(url) {
                let _ = card.set_attribute("href", url);
            }
            if is_web_url(image) {
                add(&card, &[&el("img", &[("src", image), ("alt", "")])]);
            }
            let body = el("span", &[("class", "cw-card-body")]);
            add(
                &body,
                &[
                    &text_el("strong", &[], title),
                    &text_el("span", &[("class", "cw-card-price")], price),
                    &text_el("span", &[("class", "cw-card-status")], status),
                ],
            );
            add(&card, &[&body])
        }
    }
}

/// Asks for an upload's signed link after this render (a render only reads the state).
fn want_link(upload_id: &str) {
    let id = upload_id.to_string();
    wasm_bindgen_futures::spawn_local(async move { crate::upload::load_upload_url(&id) });
}

/// `1.2 MB`, `340 KB`.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        let tenths = bytes * 10 / (1024 * 1024);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}
