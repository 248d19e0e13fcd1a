//! The consult button pinned in the corner, with the unread badge.

use leptos::prelude::*;

use crate::api::Chat;
use crate::i18n::Strings;

/// The launcher button; it toggles the window.
#[component]
pub fn Launcher() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    view! {
        <button
            type="button"
            class="cw-launcher"
            data-testid="cw-launcher"
            aria-label=move || if chat.open.get() { strings.close_chat } else { strings.open_chat }
            aria-expanded=move || chat.open.get().to_string()
            on:click=move |_| chat.open.update(|o| *o = !*o)
        >
            <svg class="cw-icon" viewBox="0 0 24 24" aria-hidden="true" width="28" height="28">
                <Show
                    when=move || chat.open.get()
                    fallback=|| view! { <path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z" /> }
                >
                    <path fill="currentColor" d="M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z" />
                </Show>
            </svg>
            <Show when=move || { chat.unread.get() > 0 }>
                <span class="cw-badge" data-testid="cw-unread">{move || chat.unread.get()}</span>
            </Show>
        </button>
    }
}
