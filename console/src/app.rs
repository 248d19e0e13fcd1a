//! The console's root: the login screen or the workbench.

use leptos::prelude::*;

use crate::api::Desk;
use crate::i18n;
use crate::login::Login;
use crate::workbench::Workbench;

/// The whole console.
#[component]
pub fn App() -> impl IntoView {
    let language = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    let query = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&query).ok();
    let locale = params.as_ref().and_then(|p| p.get("locale")).unwrap_or(language);
    provide_context(i18n::strings(&locale));
    let desk = Desk::restore();
    provide_context(desk);
    view! {
        <Show when=move || desk.session.with(Option::is_some) fallback=|| view! { <Login /> }>
            <Workbench />
        </Show>
    }
}
