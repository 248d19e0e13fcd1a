//! The chat window: header, message log, the forms the conversation needs, and the composer.
//! Keyboard users stay inside it (focus trap); Escape closes it.

use client::timeline::{Line, Status};
use leptos::prelude::*;
use protocol::WaitReason;
use wasm_bindgen::JsCast;

use crate::api::{Chat, Phase, Rating};
use crate::bubble::Bubble;
use crate::composer::Composer;
use crate::forms::{LeaveMessage, PreChat, RateChat};
use crate::host::Params;
use crate::i18n::Strings;

/// The image shown full size over the window, if any.
#[derive(Debug, Clone, Copy)]
pub struct Lightbox(pub RwSignal<Option<String>>);

/// The open chat window.
#[component]
pub fn ChatWindow() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    let params = expect_context::<Params>();
    let lightbox = Lightbox(RwSignal::new(None));
    provide_context(lightbox);
    let log: NodeRef<leptos::html::Div> = NodeRef::new();
    let window: NodeRef<leptos::html::Section> = NodeRef::new();

    // Keep the newest message (or form) in view.
    Effect::new(move |_| {
        chat.timeline.track();
        chat.leave_form.track();
        chat.rating.track();
        chat.agent_typing.track();
        if let Some(el) = log.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });

    let title = move || {
        let theme_title = chat.theme.with(|t| t.title.clone());
        Some(theme_title)
            .filter(|t| !t.is_empty())
            .or_else(|| chat.agent_name.get())
            .or_else(|| chat.config.get().map(|c| c.site_name))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| strings.title.to_string())
    };
    let subtitle = move || match chat.phase.get() {
        Phase::Idle | Phase::Connecting => Some(strings.connecting.to_string()),
        Phase::Offline => Some(strings.reconnecting.to_string()),
        Phase::Failed(..) => None,
        Phase::Online => match (chat.queue_position.get(), chat.wait_reason.get()) {
            (Some(p), _) => Some(strings.queued.replace("{}", &p.to_string())),
            (None, Some(WaitReason::Offline)) => Some(strings.waiting_offline.to_string()),
            (None, Some(WaitReason::OffHours)) => Some(strings.waiting_off_hours.to_string()),
            _ => chat.agent_name.get().filter(|_| chat.theme.with(|t| !t.title.is_empty())),
        },
    };
    let avatar = move || {
        chat.agent_name.get().and_then(|n| n.chars().next()).map(|c| {
            view! { <span class="cw-avatar" aria-hidden="true" data-testid="cw-avatar">{c.to_string()}</span> }
        })
    };
    let close = move || {
        chat.open.set(false);
        focus(".cw-launcher");
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            if lightbox.0.get_untracked().is_some() {
                lightbox.0.set(None);
            } else {
                close();
            }
        }
        "Tab" => {
            if let Some(el) = window.get() {
                trap_focus(&el, &ev);
            }
        }
        _ => {}
    };
    let drop_params = params.clone();
    // What the bottom of the window shows; a memo, so a reconnect (Online -> Offline -> Online)
    // never rebuilds the composer and loses what the visitor is typing.
    let mode = Memo::new(move |_| match chat.phase.get() {
        Phase::Failed(code, _) => Bottom::Failed(code),
        _ if !chat.pre_chat_done.get() => Bottom::PreChat,
        _ => Bottom::Composer,
    });
    let bottom = move || {
        let mode = mode.get();
        if let Bottom::Failed(code) = &mode {
            let p = params.clone();
            let unknown_entry = code == "unknown_entry";
            // The site requires a signed-in shopper: saying "try again later" would blame the
            // network; the page signs the shopper in and calls `identify`, which starts over.
            let needs_identity = code.starts_with("identity_");
            // Embedded by a page that is not the host it names: trying again cannot help.
            let final_failure = needs_identity || code == "origin_not_allowed";
            let retry = move |_| {
                if unknown_entry {
                    chat.entry.set(None);
                }
                chat.restart(&p);
            };
            let text = if unknown_entry {
                strings.unknown_entry
            } else if needs_identity {
                strings.identity_required
            } else {
                strings.failed
            };
            return view! {
                <div class="cw-failed" role="alert" data-testid="cw-failed" data-code=code.clone()>
                    <p>{text}</p>
                    {(!final_failure).then(|| view! {
                        <button type="button" class="cw-button" data-testid="cw-failed-action" on:click=retry>
                            {if unknown_entry { strings.general_chat } else { strings.try_again }}
                        </button>
                    })}
                </div>
            }
            .into_any();
        }
        if mode == Bottom::PreChat {
            return view! { <PreChat /> }.into_any();
        }
        view! { <Composer /> }.into_any()
    };

    view! {
        <section
            class="cw-window"
            data-testid="cw-window"
            role="dialog"
            aria-modal="true"
            aria-label=title
            node_ref=window
            on:keydown=on_keydown
            on:dragover=|ev| ev.prevent_default()
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
                    for i in 0..files.length() {
                        if let Some(file) = files.get(i) {
                            chat.send_file(&drop_params, file);
                        }
                    }
                }
            }
        >
            <header class="cw-header">
                {avatar}
                <div class="cw-heading">
                    <h1 class="cw-title" data-testid="cw-title">{title}</h1>
                    {move || subtitle().map(|s| view! { <p class="cw-sub" role="status" data-testid="cw-status">{s}</p> })}
                </div>
                <button type="button" class="cw-close" data-testid="cw-close" aria-label=strings.close_chat on:click=move |_| close()>
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z" /></svg>
                </button>
            </header>
            <div class="cw-log" role="log" aria-live="polite" aria-label=strings.messages node_ref=log data-testid="cw-log">
                <Show when=move || chat.config.with(|c| c.as_ref().is_some_and(|c| !c.greeting.is_empty()))>
                    <p class="cw-greeting" data-testid="cw-greeting">{move || chat.config.get().map(|c| c.greeting)}</p>
                </Show>
                <For each=move || chat.timeline.get().lines().to_vec() key=line_key let:line>
                    <Bubble line=line />
                </For>
                <Show when=move || chat.agent_typing.get()>
                    <div class="cw-typing" data-testid="cw-typing" aria-label=strings.typing><i></i><i></i><i></i></div>
                </Show>
                <Show when=move || chat.leave_form.with(Option::is_some)>
                    <LeaveMessage />
                </Show>
                <Show when=move || chat.rating.get() != Rating::None>
                    <RateChat />
                </Show>
            </div>
            {move || chat.notice.get().map(|n| view! { <p class="cw-notice" role="alert" data-testid="cw-notice">{n}</p> })}
            {bottom}
            {move || lightbox.0.get().map(|src| view! {
                <div class="cw-lightbox" data-testid="cw-lightbox" role="dialog" aria-label=strings.close_image on:click=move |_| lightbox.0.set(None)>
                    <img src=src alt="" />
                    <button type="button" class="cw-close" aria-label=strings.close_image>"×"</button>
                </div>
            })}
        </section>
    }
}

/// What the bottom of the window shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bottom {
    /// The session failed, with this code.
    Failed(String),
    /// The pre-chat form.
    PreChat,
    /// The composer.
    Composer,
}

/// A line re-renders when it is stored, fails, or its upload finishes.
fn line_key(line: &Line) -> (String, u8, bool) {
    let uploaded = !line.is_uploading();
    let status = match line.status {
        Status::Sending => 0,
        Status::Sent => 1,
        Status::Failed => 2,
    };
    (line.key.clone(), status, uploaded)
}

/// Moves focus to the element matching `selector`.
pub fn focus(selector: &str) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// Keeps Tab and Shift+Tab inside the window.
fn trap_focus(window: &web_sys::HtmlElement, ev: &leptos::ev::KeyboardEvent) {
    let Ok(nodes) = window.query_selector_all("button,textarea,input,select,a[href]") else { return };
    let focusable: Vec<web_sys::HtmlElement> = (0..nodes.length())
        .filter_map(|i| nodes.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|el| !el.has_attribute("disabled") && el.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else { return };
    let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
    let at = |el: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>());
    if ev.shift_key() && at(first) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && at(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}
