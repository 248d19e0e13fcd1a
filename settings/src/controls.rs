//! Form controls the pages share.

use leptos::prelude::*;
use protocol::SiteConfig;

use crate::api::Settings;

/// A labelled checkbox bound to one switch of the draft (`get` reads it, `set` writes it).
#[component]
pub fn Toggle(
    testid: &'static str,
    get: fn(&SiteConfig) -> bool,
    set: fn(&mut SiteConfig, bool),
    children: Children,
) -> impl IntoView {
    let settings = expect_context::<Settings>();
    view! {
        <label class="switch">
            <input type="checkbox" data-testid=testid prop:checked=move || settings.draft.with(get)
                on:change=move |ev| { let on = event_target_checked(&ev); settings.edit(|d| set(d, on)) } />
            {children()}
        </label>
    }
}
