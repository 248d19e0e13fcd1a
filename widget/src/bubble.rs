//! One message bubble: text, image (thumbnail, full size on click), file (download), card, with
//! time and delivery state (sending, upload progress, failed with retry, read).

use client::timeline::{Line, Status};
use leptos::prelude::*;
use protocol::checks::is_web_url;
use protocol::{Author, MessageBody};

use crate::api::Chat;
use crate::chat_window::Lightbox;
use crate::host::Params;
use crate::i18n::Strings;

/// One message bubble.
#[component]
pub fn Bubble(line: Line) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    let params = expect_context::<Params>();
    let who = line.role();
    let name = match &line.author {
        Author::Agent { name, .. } if name.is_empty() => strings.agent.to_string(),
        Author::Agent { name, .. } => name.clone(),
        Author::Visitor | Author::System => String::new(),
    };
    let key = line.key.clone();
    let seq = line.seq.unwrap_or(u64::MAX);
    let mine = matches!(line.author, Author::Visitor);
    let status = line.status;
    let content = content(chat, &params, &key, line.body);

    let progress_key = key.clone();
    let progress = move || chat.progress.with(|p| p.get(&progress_key).copied());
    let retry = move |_| chat.retry(&params, key.clone());
    let state = move || match status {
        Status::Failed => "failed",
        Status::Sending => "sending",
        Status::Sent if mine && chat.agent_read_seq.get() >= seq => "read",
        Status::Sent => "sent",
    };
    let meta = move || match state() {
        "sending" => Some(strings.sending),
        "read" => Some(strings.read),
        _ => None,
    };
    view! {
        <div class=format!("cw-msg cw-msg-{who}") data-testid="cw-message" data-author=who data-status=state>
            {(!name.is_empty()).then(|| view! { <span class="cw-name">{name}</span> })}
            {content}
            {move || progress().map(|p| view! {
                <progress class="cw-progress" data-testid="cw-progress" max="100" value=((p * 100.0) as u32).to_string() aria-label=strings.uploading></progress>
            })}
            <span class="cw-meta">
                <time>{client::clock(line.at_ms)}</time>
                {move || meta().map(|m| view! { <span>{m}</span> })}
                {(status == Status::Failed).then(|| view! {
                    <span class="cw-failed-mark">{strings.send_failed}</span>
                    <button type="button" class="cw-retry" data-testid="cw-retry" on:click=retry>{strings.retry}</button>
                })}
            </span>
        </div>
    }
}

fn content(chat: Chat, params: &Params, key: &str, body: MessageBody) -> AnyView {
    let strings = expect_context::<&'static Strings>();
    match body {
        MessageBody::Text { text } => view! { <p class="cw-text">{text}</p> }.into_any(),
        MessageBody::Image { upload_id, name, .. } => {
            chat.load_upload_url(params, upload_id.clone());
            let url = upload_url(chat, upload_id, key.to_string());
            let lightbox = expect_context::<Lightbox>();
            let alt = name.clone();
            view! {
                <button type="button" class="cw-thumb" data-testid="cw-image" aria-label=name on:click=move |_| lightbox.0.set(url())>
                    <img src=url alt=alt />
                </button>
            }
            .into_any()
        }
        MessageBody::File { upload_id, name, size, .. } => {
            chat.load_upload_url(params, upload_id.clone());
            let url = upload_url(chat, upload_id, key.to_string());
            let label = format!("{name} · {}", human_size(size));
            let aria = format!("{} {label}", strings.download);
            view! {
                <a class="cw-file" data-testid="cw-file" href=url download=name target="_blank" rel="noopener" aria-label=aria>
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5z" /></svg>
                    <span>{label}</span>
                </a>
            }
            .into_any()
        }
        MessageBody::Card { title, image, price, status, url, .. } => {
            let image = is_web_url(&image).then_some(image);
            let href = is_web_url(&url).then_some(url);
            view! {
                <a class="cw-card" data-testid="cw-card" href=href target="_blank" rel="noopener noreferrer">
                    {image.map(|src| view! { <img src=src alt="" /> })}
                    <span class="cw-card-body">
                        <strong>{title}</strong>
                        <span class="cw-card-price">{price}</span>
                        <span class="cw-card-status">{status}</span>
                    </span>
                </a>
            }
            .into_any()
        }
    }
}

/// The link of an upload: its signed URL, or the local preview while it uploads.
fn upload_url(chat: Chat, upload_id: String, key: String) -> impl Fn() -> Option<String> + Copy + 'static {
    let ids = StoredValue::new((upload_id, key));
    move || {
        ids.with_value(|(id, key)| {
            chat.upload_urls.with(|u| u.get(id).or_else(|| u.get(key)).filter(|s| !s.is_empty()).cloned())
        })
    }
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
