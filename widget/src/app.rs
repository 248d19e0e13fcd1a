//! The widget's root: state, the bridge to the host page, launcher and window.

use leptos::prelude::*;
use serde_json::json;

use crate::api::Chat;
use crate::chat_window::ChatWindow;
use crate::host::{self, Command, Params};
use crate::i18n;
use crate::launcher::Launcher;

/// The whole widget.
#[component]
pub fn App() -> impl IntoView {
    let params = Params::from_url();
    let chat = Chat::new();
    let strings = i18n::strings(&params.locale);
    provide_context(chat);
    provide_context(params.clone());
    provide_context(strings);

    let narrow = RwSignal::new(false);
    let init_params = params.clone();
    host::listen(params.host.clone(), move |command| match command {
        Command::Init { identity } => {
            if let Some(token) = identity {
                chat.identify(&init_params, token);
            }
            // A returning visitor reconnects at once, so replies that came meanwhile raise the badge.
            if Chat::has_session(&init_params) || chat.open.get_untracked() {
                chat.start(&init_params);
            }
        }
        Command::Identify(token) => chat.identify(&init_params, token),
        Command::Open => chat.open.set(true),
        Command::Close => chat.open.set(false),
        Command::Toggle => chat.open.update(|o| *o = !*o),
        Command::Layout(is_narrow) => narrow.set(is_narrow),
    });

    // Sync the open state to the outside world: the loader resizes the iframe, the page hears events.
    let host_origin = params.host.clone();
    let start_params = params.clone();
    Effect::new(move |previous: Option<bool>| {
        let open = chat.open.get();
        if previous.is_some_and(|p| p == open) {
            return open;
        }
        host::post(&host_origin, "resize", json!({ "open": open }));
        if previous.is_some() {
            host::emit(&host_origin, if open { "open" } else { "close" }, json!({}));
        }
        if open {
            chat.unread.set(0);
            chat.start(&start_params);
        }
        open
    });

    // Inside a host page the loader's `init` starts the session (it carries the identity);
    // opened on its own (no host), a returning visitor reconnects at once.
    if params.host.is_empty() && Chat::has_session(&params) {
        chat.start(&params);
    }
    host::post(&params.host, "ready", json!({}));

    view! {
        <div class="cw" class:cw-open=move || chat.open.get() class:cw-narrow=move || narrow.get() lang=if strings.title == "Support" { "en" } else { "zh-CN" }>
            <Show when=move || chat.open.get()>
                <ChatWindow />
            </Show>
            <Launcher />
        </div>
    }
}
