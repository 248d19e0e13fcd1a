//! The login screen.

use leptos::prelude::*;

use crate::api::Desk;
use crate::i18n::Strings;

/// Agent login form: site, agent, password.
#[component]
pub fn Login() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let query = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let default_site = web_sys::UrlSearchParams::new_with_str(&query)
        .ok()
        .and_then(|p| p.get("site"))
        .unwrap_or_else(|| "demo".into());
    let site = RwSignal::new(default_site);
    let agent = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = desk.login(site.get_untracked(), agent.get_untracked(), password.get_untracked()).await;
            busy.set(false);
            if let Err(err) = result {
                error.set(Some(err.to_string()));
            }
        });
    };
    view! {
        <main class="login">
            <form class="login-card" on:submit=submit>
                <h1>{strings.title}</h1>
                <label>{strings.site}<input data-testid="login-site" bind:value=site required /></label>
                <label>{strings.agent}<input data-testid="login-agent" bind:value=agent autocomplete="username" required /></label>
                <label>
                    {strings.password}
                    <input data-testid="login-password" type="password" bind:value=password autocomplete="current-password" required />
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="login-error">{e}</p> })}
                <button type="submit" data-testid="login-submit" disabled=move || busy.get()>{strings.login}</button>
            </form>
        </main>
    }
}
