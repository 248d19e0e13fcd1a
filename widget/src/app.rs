//! The widget's start: the state from the iframe's address, the page, the bridge to the host
//! page, and the first render.

use protocol::lite::Json;

use crate::api;
use crate::host::{self, params, Command};
use crate::state::{self, read, update};
use crate::theme::Theme;

/// Starts the widget: builds the page, listens to the visitor and the host page, says `ready`.
pub fn start() {
    let params = params();
    let mut theme = Theme::default();
    theme.merge(&params.site_theme);
    theme.merge(&params.theme);
    let entry = params.entry.clone();
    update(|c| {
        c.theme = theme;
        c.entry = entry;
    });
    let root = crate::view::mount();
    crate::events::listen(&root);
    state::set_renderer(crate::view::render);
    state::render_now();
    host::listen(params.host.clone(), command);
    // Opened on its own (no host page), a returning visitor reconnects at once; inside a host page
    // the loader's `init` does it (it carries the identity).
    if params.host.is_empty() && api::has_session() {
        api::start();
    }
    host::post(&params.host, "ready", Json::obj([]));
}

/// Carries out a command of the host page's `ChatWidget(...)` API.
fn command(command: Command) {
    match command {
        Command::Init { identity } => {
            if let Some(token) = identity.filter(|t| !t.is_empty()) {
                update(|c| c.identity = Some(token));
            }
            // A returning visitor reconnects at once, so replies that came meanwhile raise the badge.
            if api::has_session() || read(|c| c.open) {
                api::start();
            }
        }
        Command::Page { url, title, visit } => {
            let changed = read(|c| !c.page.0.is_empty() && c.page.0 != url);
            update(|c| {
                c.page = (url, title);
                if !visit.is_empty() {
                    c.visit = visit;
                }
            });
            if changed {
                api::refresh();
            }
        }
        Command::Identify(token) => api::identify(token),
        Command::Logout => api::logout(),
        Command::Open => api::set_open(true),
        Command::Close => api::set_open(false),
        Command::Toggle => api::set_open(!read(|c| c.open)),
        Command::Layout(narrow) => update(|c| c.narrow = narrow),
        Command::SetTheme(tokens) => update(|c| c.theme.merge(&tokens)),
        Command::SetCustomFields(fields) => {
            update(|c| c.custom_fields.extend(fields));
            api::refresh();
        }
        Command::SetCards(list, cards) => update(|c| {
            c.cards.insert(list, cards);
        }),
        Command::OpenEntry(entry) => api::open_entry(entry),
    }
}
