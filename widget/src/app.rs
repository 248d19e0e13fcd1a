//! The widget's root: state, the bridge to the host page, theme, launcher and window.

use leptos::prelude::*;
use protocol::lite::Json;

use crate::api::Chat;
use crate::chat_window::ChatWindow;
use crate::host::{self, Command, Params};
use crate::i18n;
use crate::launcher::Launcher;
use crate::theme::Theme;

/// Room around the launcher inside the closed iframe (its shadow and badge), px.
const LAUNCHER_ROOM: f64 = 16.0;

/// The whole widget.
#[component]
pub fn App() -> impl IntoView {
    let params = Params::from_url();
    let mut theme = Theme::default();
    theme.merge(&params.site_theme);
    theme.merge(&params.theme);
    let chat = Chat::new(theme, params.entry.clone());
    let strings = i18n::strings(&params.locale);
    provide_context(chat);
    provide_context(params.clone());
    provide_context(strings);

    let p = params.clone();
    host::listen(params.host.clone(), move |command| match command {
        Command::Init { identity } => {
            if let Some(token) = identity.filter(|t| !t.is_empty()) {
                chat.identity.set(Some(token));
            }
            // A returning visitor reconnects at once, so replies that came meanwhile raise the badge.
            if Chat::has_session(&p) || chat.open.get_untracked() {
                chat.start(&p);
            }
        }
        Command::Page { url, title, visit } => {
            let changed = chat.page.with_untracked(|(u, _)| !u.is_empty() && *u != url);
            chat.page.set((url, title));
            if !visit.is_empty() {
                chat.visit.set(visit);
            }
            if changed {
                chat.refresh(&p);
            }
        }
        Command::Identify(token) => chat.identify(&p, token),
        Command::Logout => chat.logout(&p),
        Command::Open => chat.open.set(true),
        Command::Close => chat.open.set(false),
        Command::Toggle => chat.open.update(|o| *o = !*o),
        Command::Layout(is_narrow) => chat.narrow.set(is_narrow),
        Command::SetTheme(tokens) => chat.theme.update(|t| t.merge(&tokens)),
        Command::SetCustomFields(fields) => {
            chat.custom_fields.update(|f| f.extend(fields));
            chat.refresh(&p);
        }
        Command::SetCards(list, cards) => chat.cards.update(|c| {
            c.insert(list, cards);
        }),
        Command::OpenEntry(entry) => chat.open_entry(&p, entry),
    });

    // Sync the open state to the outside world: the loader resizes the iframe, the page hears events.
    let host_origin = params.host.clone();
    let start_params = params.clone();
    Effect::new(move |previous: Option<bool>| {
        let open = chat.open.get();
        if previous == Some(open) {
            return open;
        }
        if previous.is_some() {
            host::emit(&host_origin, if open { "open" } else { "close" }, Json::obj([]));
        }
        if open {
            chat.unread.set(0);
            chat.start(&start_params);
            chat.mark_read();
        }
        open
    });
    // The iframe is as large as the launcher needs while closed, and as the window needs when open.
    let resize_host = params.host.clone();
    Effect::new(move |_| {
        let open = chat.open.get();
        let theme = chat.theme.get();
        chat.narrow.track();
        let (w, h) = launcher_size();
        host::post(
            &resize_host,
            "resize",
            Json::obj([
                ("open", open.into()),
                ("w", ((w + f64::from(theme.offset_x) + LAUNCHER_ROOM).ceil() as u64).into()),
                ("h", ((h + f64::from(theme.offset_y) + LAUNCHER_ROOM).ceil() as u64).into()),
                ("left", theme.left.into()),
                // The open window (380 px) above the launcher, with room for its shadow.
                ("ow", u64::from(380 + theme.offset_x + 20).into()),
            ]),
        );
    });

    // Opened on its own (no host page), a returning visitor reconnects at once; inside a host page
    // the loader's `init` does it (it carries the identity).
    if params.host.is_empty() && Chat::has_session(&params) {
        chat.start(&params);
    }
    host::post(&params.host, "ready", Json::obj([]));

    view! {
        <div
            class=move || format!("cw {}", chat.theme.with(Theme::classes))
            class:cw-open=move || chat.open.get()
            class:cw-narrow=move || chat.narrow.get()
            style=move || chat.theme.with(Theme::style)
            lang=i18n::lang(&params.locale)
        >
            <Show when=move || chat.open.get()>
                <ChatWindow />
            </Show>
            <Launcher />
        </div>
    }
}

/// The launcher's rendered size, px.
fn launcher_size() -> (f64, f64) {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(".cw-launcher").ok().flatten())
        .map(|el| {
            let rect = el.get_bounding_client_rect();
            (rect.width(), rect.height())
        })
        .unwrap_or((56.0, 56.0))
}
