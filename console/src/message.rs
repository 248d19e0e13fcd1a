//! One message of the history: text (as text, never HTML), an image thumbnail that opens full
//! size, a file to download, or an order/product card.

use client::timeline::{Line, Status};
use leptos::prelude::*;
use protocol::{Author, MessageBody};

use crate::api::Desk;
use crate::i18n::Strings;

/// Whether a link may be put in `href`/`src` (http and https only; the Desk checks it too).
pub fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// A message bubble.
#[component]
pub fn Bubble(line: Line, read_seq: Signal<u64>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let light = expect_context::<LightboxUrl>().0;
    let who = line.role();
    let sending = line.status == Status::Sending;
    let seq = line.seq;
    // Whether the user's channel (WeChat) did not take this message.
    let failure = move || {
        let conversation = desk.selected.get()?;
        desk.failures.with(|all| {
            let (_, list) = all.iter().find(|(id, _)| *id == conversation)?;
            list.iter().find(|f| Some(f.seq) == seq).cloned()
        })
    };
    let author_name = match &line.author {
        Author::Agent { name, .. } => Some(name.clone()),
        _ => None,
    };
    let kind = match &line.body {
        MessageBody::Text { .. } => "text",
        MessageBody::Image { .. } => "image",
        MessageBody::File { .. } => "file",
        MessageBody::Card { .. } => "card",
    };
    let body = match line.body.clone() {
        MessageBody::Text { text } => view! { <p>{text}</p> }.into_any(),
        MessageBody::Image { upload_id, name, .. } => {
            let id = StoredValue::new(upload_id);
            let link = move || id.with_value(|id| desk.link(id));
            view! {
                <button type="button" class="thumb" data-testid="msg-image" aria-label=format!("{} {name}", strings.open)
                    on:click=move |_| light.set(link())>
                    {move || link().map(|url| view! { <img src=url alt="" loading="lazy" /> })}
                </button>
            }
            .into_any()
        }
        MessageBody::File { upload_id, name, size, .. } => {
            let label = format!("{name} · {} KB", size.div_ceil(1024));
            view! {
                <p class="file">
                    {move || match desk.link(&upload_id) {
                        Some(url) => view! { <a data-testid="msg-file" href=url download=name.clone() title=strings.download>{label.clone()}</a> }.into_any(),
                        None => view! { <span data-testid="msg-file">{label.clone()}</span> }.into_any(),
                    }}
                </p>
            }
            .into_any()
        }
        MessageBody::Card { id, title, image, price, status, url, .. } => view! {
            <div class="card" data-testid="msg-card">
                {safe_url(&image).then(|| view! { <img src=image.clone() alt="" loading="lazy" /> })}
                <div class="card-text">
                    <strong data-testid="card-title">{title}</strong>
                    <small>"#"{id}</small>
                    {(!price.is_empty()).then(|| view! { <span class="price">{price}</span> })}
                    {(!status.is_empty()).then(|| view! { <span class="card-status">{status}</span> })}
                    {safe_url(&url).then(|| view! { <a href=url target="_blank" rel="noopener noreferrer">{strings.open}" ↗"</a> })}
                </div>
            </div>
        }
        .into_any(),
    };
    view! {
        <div class=format!("msg msg-{who}") data-testid="message" data-author=who data-kind=kind>
            {author_name.map(|n| view! { <small class="author">{n}</small> })}
            {body}
            {move || failure().map(|f| {
                let conversation = desk.selected.get_untracked().unwrap_or_default();
                view! {
                    <div class="failed" role="alert" data-testid="send-failed">
                        {strings.not_delivered}" "{f.reason}
                        {f.retry.then(|| view! {
                            <button type="button" class="link" data-testid="send-retry"
                                on:click=move |_| desk.retry_send(conversation.clone(), f.seq)>{strings.retry}</button>
                        })}
                    </div>
                }
            })}
            <small class="meta">
                {client::clock(line.at_ms)}
                {sending.then(|| format!(" · {}", strings.sending))}
                {move || (who == "agent" && seq.is_some_and(|s| s <= read_seq.get())).then(|| format!(" · {}", strings.read))}
            </small>
        </div>
    }
}

/// The image shown full size over the page, if any (provided by the workbench).
#[derive(Debug, Clone, Copy)]
pub struct LightboxUrl(pub RwSignal<Option<String>>);

/// The full-size image overlay (click anywhere to close).
#[component]
pub fn Lightbox() -> impl IntoView {
    let light = expect_context::<LightboxUrl>().0;
    move || {
        light.get().map(|url| {
            view! {
                <div class="lightbox" data-testid="lightbox" role="dialog" on:click=move |_| light.set(None)>
                    <img src=url alt="" />
                </div>
            }
        })
    }
}
