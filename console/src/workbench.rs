//! The workbench: conversation list, the open conversation and the reply box.

use client::timeline::Status;
use leptos::html::Textarea;
use leptos::prelude::*;

use crate::api::Desk;
use crate::i18n::Strings;

/// The logged-in screen.
#[component]
pub fn Workbench() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let me = move || desk.session.get().map(|s| s.name).unwrap_or_default();
    view! {
        <div class="bench">
            <header class="bench-top">
                <h1>{strings.title}</h1>
                <span class="me" data-testid="me">{me}</span>
                <span class="online" class:off=move || !desk.online.get() data-testid="online">
                    {move || if desk.online.get() { "●" } else { strings.reconnecting }}
                </span>
                <button type="button" data-testid="logout" on:click=move |_| desk.logout()>{strings.logout}</button>
            </header>
            <nav class="list" aria-label=strings.conversations>
                <h2>{strings.conversations}</h2>
                <Show when=move || desk.conversations.with(Vec::is_empty)>
                    <p class="empty">{strings.no_conversations}</p>
                </Show>
                <ul role="listbox" aria-label=strings.conversations>
                    <For each=move || desk.conversations.get() key=|c| c.conversation_id.clone() let:conv>
                        {
                            let id = conv.conversation_id.clone();
                            let id_selected = id.clone();
                            let id_unread = id.clone();
                            view! {
                                <li
                                    role="option"
                                    tabindex="0"
                                    data-testid="conversation"
                                    data-conversation=id.clone()
                                    aria-selected=move || (desk.selected.get().as_deref() == Some(id_selected.as_str())).to_string()
                                    on:click=move |_| desk.select(id.clone())
                                >
                                    <span class="who">{conv.visitor_name.clone()}</span>
                                    {move || desk.unread.with(|u| u.get(&id_unread).copied()).map(|n| view! { <span class="badge" data-testid="unread">{n}</span> })}
                                </li>
                            }
                        }
                    </For>
                </ul>
            </nav>
            <Conversation />
        </div>
    }
}

/// The selected conversation with its reply box.
#[component]
fn Conversation() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let input: NodeRef<Textarea> = NodeRef::new();
    let log: NodeRef<leptos::html::Div> = NodeRef::new();
    let lines = move || {
        let selected = desk.selected.get()?;
        Some(desk.timelines.with(|t| t.get(&selected).map(|tl| tl.lines().to_vec()).unwrap_or_default()))
    };
    Effect::new(move |_| {
        desk.timelines.track();
        if let Some(el) = log.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let send = move || {
        if let Some(el) = input.get() {
            desk.reply(el.value());
            el.set_value("");
        }
    };
    view! {
        <section class="conversation" aria-label=strings.conversations>
            <Show when=move || desk.selected.with(Option::is_some) fallback=move || view! { <p class="empty">{strings.pick_one}</p> }>
                <div class="log" role="log" aria-live="polite" node_ref=log data-testid="log">
                    <For each=move || lines().unwrap_or_default() key=|l| (l.key.clone(), l.status == Status::Sent) let:line>
                        {
                            let who = line.role();
                            let text = line.display_text();
                            let sending = line.status == Status::Sending;
                            view! {
                                <div class=format!("msg msg-{who}") data-testid="message" data-author=who>
                                    <p>{text}</p>
                                    {sending.then(|| view! { <small>{strings.sending}</small> })}
                                </div>
                            }
                        }
                    </For>
                </div>
                <form class="reply" on:submit=move |ev| { ev.prevent_default(); send(); }>
                    <textarea
                        data-testid="reply-input"
                        aria-label=strings.reply
                        placeholder=strings.reply
                        maxlength=protocol::MAX_TEXT_CHARS.to_string()
                        node_ref=input
                        on:keydown=move |ev| {
                            if client::is_send_key(&ev) {
                                send();
                            }
                        }
                    ></textarea>
                    <button type="submit" data-testid="reply-send">{strings.send}</button>
                </form>
            </Show>
        </section>
    }
}
