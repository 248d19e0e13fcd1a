//! The workbench: the top bar (presence, figures, reports, logout), the lists, the open conversation and
//! the visitor sidebar; keyboard shortcuts for the next and previous conversation.

use leptos::prelude::*;
use protocol::Presence;

use crate::api::Desk;
use crate::conversation::Conversation;
use crate::i18n::Strings;
use crate::lists::Lists;
use crate::message::{Lightbox, LightboxUrl};
use crate::sidebar::Sidebar;
use crate::stats::StatsPanel;

/// The logged-in screen.
#[component]
pub fn Workbench() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let me = move || desk.session.get().map(|s| s.name).unwrap_or_default();
    provide_context(LightboxUrl(RwSignal::new(None)));
    // Alt+↓ / Alt+↑ walk through the agent's own conversations from anywhere on the page.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.alt_key() && !ev.ctrl_key() && !ev.meta_key() {
            match ev.key().as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    desk.select_next(1);
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    desk.select_next(-1);
                }
                _ => {}
            }
        }
    });
    on_cleanup(move || keys.remove());
    let presence_value = move || match desk.presence.get() {
        Presence::Online => "online",
        Presence::Away => "away",
        Presence::Offline => "offline",
    };
    let on_presence = move |ev: leptos::ev::Event| {
        let status = match event_target_value(&ev).as_str() {
            "away" => Presence::Away,
            "offline" => Presence::Offline,
            _ => Presence::Online,
        };
        desk.set_presence(status);
    };
    view! {
        // One column on a phone: the lists, or the picked conversation (or its visitor's sidebar).
        <div class="bench" class:picked=move || desk.selected.with(Option::is_some) class:profile-shown=move || desk.profile_shown.get()>
            <header class="bench-top">
                <h1>{strings.title}</h1>
                <small class="hint">{strings.shortcuts}</small>
                // New-chat alerts sit in the header bar, where they cover neither the reply box nor
                // the messages.
                {move || desk.alert.get().map(|name| view! {
                    <button type="button" class="toast" role="status" data-testid="new-chat-alert" on:click=move |_| desk.alert.set(None)>
                        {strings.new_chat}": "{name}
                    </button>
                })}
                {move || desk.session.with(|s| s.as_ref().is_some_and(|s| s.admin)).then(|| view! {
                    // A tab of its own (the workbench stays online); `opener` keeps the tab's
                    // sessionStorage, where the session is.
                    <a class="settings-link" href="/console/settings/" target="_blank" rel="opener" data-testid="open-settings">{strings.settings}</a>
                })}
                <span class="me" data-testid="me">{me}</span>
                <label class="presence">
                    <span class=move || format!("dot dot-{}", presence_value())></span>
                    <select data-testid="presence" aria-label=strings.status prop:value=presence_value on:change=on_presence>
                        <option value="online">{strings.online}</option>
                        <option value="away">{strings.away}</option>
                        <option value="offline">{strings.offline}</option>
                    </select>
                </label>
                <span class="online" class:off=move || !desk.online.get() data-testid="online">
                    {move || if desk.online.get() { "●" } else { strings.reconnecting }}
                </span>
                <button
                    type="button"
                    class="ghost"
                    data-testid="stats-toggle"
                    aria-expanded=move || desk.stats_open.get().to_string()
                    on:click=move |_| {
                        desk.stats_open.update(|o| *o = !*o);
                        desk.ask_stats();
                    }
                >
                    {strings.stats}
                </button>
                // The reports are a page of their own, in a tab (the workbench stays online); a
                // conversation opened there comes back here (`api::listen_for_opens`).
                <a class="settings-link" href="/console/reports/" target="_blank" rel="opener" data-testid="open-reports">{strings.reports}</a>
                <button type="button" class="ghost" data-testid="logout" on:click=move |_| desk.logout()>{strings.logout}</button>
            </header>
            <Lists />
            <Conversation />
            <Sidebar />
            <Lightbox />
            <Show when=move || desk.stats_open.get()>
                <StatsPanel />
            </Show>
        </div>
    }
}
