//! The chat window: header, message log and composer.

use client::timeline::{Line, Status};
use leptos::html::Textarea;
use leptos::prelude::*;
use protocol::Author;

use crate::api::{Chat, Phase};
use crate::i18n::Strings;

/// The open chat window.
#[component]
pub fn ChatWindow() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    let input: NodeRef<Textarea> = NodeRef::new();
    let log: NodeRef<leptos::html::Div> = NodeRef::new();

    let send = move || {
        if let Some(el) = input.get() {
            chat.send_text(el.value());
            el.set_value("");
            let _ = el.focus();
        }
    };
    // Keep the newest message in view.
    Effect::new(move |_| {
        chat.timeline.track();
        if let Some(el) = log.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });

    let title = move || {
        chat.agent_name
            .get()
            .or_else(|| chat.config.get().map(|c| c.site_name))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| strings.title.to_string())
    };
    let status_line = move || match chat.phase.get() {
        Phase::Idle | Phase::Connecting => Some(strings.connecting.to_string()),
        Phase::Offline => Some(strings.reconnecting.to_string()),
        Phase::Failed(_) => Some(strings.failed.to_string()),
        Phase::Online if chat.agent_typing.get() => Some(strings.typing.to_string()),
        Phase::Online => chat.queue_position.get().map(|p| format!("{}{p}", strings.queued)),
    };

    view! {
        <section class="cw-window" data-testid="cw-window" role="dialog" aria-modal="false" aria-label=title>
            <header class="cw-header">
                <h1 class="cw-title" data-testid="cw-title">{title}</h1>
                <button type="button" class="cw-close" data-testid="cw-close" aria-label=strings.close_chat on:click=move |_| chat.open.set(false)>
                    "×"
                </button>
            </header>
            <div class="cw-log" role="log" aria-live="polite" aria-label=strings.messages node_ref=log data-testid="cw-log">
                <Show when=move || chat.config.with(|c| c.as_ref().is_some_and(|c| !c.greeting.is_empty()))>
                    <p class="cw-greeting" data-testid="cw-greeting">{move || chat.config.get().map(|c| c.greeting)}</p>
                </Show>
                <For each=move || chat.timeline.get().lines().to_vec() key=|line| (line.key.clone(), line.status == Status::Sent) let:line>
                    <Bubble line=line />
                </For>
            </div>
            {move || status_line().map(|s| view! { <p class="cw-status" role="status" data-testid="cw-status">{s}</p> })}
            <form class="cw-composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
                <textarea
                    class="cw-input"
                    data-testid="cw-input"
                    rows="1"
                    maxlength=protocol::MAX_TEXT_CHARS.to_string()
                    aria-label=strings.placeholder
                    placeholder=strings.placeholder
                    node_ref=input
                    on:keydown=move |ev| {
                        if client::is_send_key(&ev) {
                            send();
                        }
                    }
                ></textarea>
                <button type="submit" class="cw-send" data-testid="cw-send">{strings.send}</button>
            </form>
        </section>
    }
}

/// One message bubble.
#[component]
fn Bubble(line: Line) -> impl IntoView {
    let strings = expect_context::<&'static Strings>();
    let who = line.role();
    let name = match &line.author {
        Author::Agent { name, .. } if name.is_empty() => strings.agent.to_string(),
        Author::Agent { name, .. } => name.clone(),
        Author::Visitor | Author::System => String::new(),
    };
    let text = line.display_text();
    let sending = line.status == Status::Sending;
    view! {
        <div class=format!("cw-msg cw-msg-{who}") data-testid="cw-message" data-author=who data-status=if sending { "sending" } else { "sent" }>
            {(!name.is_empty()).then(|| view! { <span class="cw-name">{name}</span> })}
            <p class="cw-text">{text}</p>
            <span class="cw-meta">
                <time>{clock(line.at_ms)}</time>
                {sending.then(|| view! { <span class="cw-sending">{strings.sending}</span> })}
            </span>
        </div>
    }
}

/// `HH:MM` in the visitor's local time.
pub fn clock(at_ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
