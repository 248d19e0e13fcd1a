//! Settings → History (修改记录): every saved change, who made it, when, and what changed.

use leptos::prelude::*;

use crate::api::Settings;
use crate::app::Lang;
use crate::browser::local_time;

/// The history page.
#[component]
pub fn History() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    view! {
        <h2>{lang.t("修改记录", "History")}</h2>
        <ol class="history" data-testid="history">
            <For each=move || settings.history.get() key=|c| (c.version, c.at_ms, c.who.clone()) let:change>
                <li data-testid="history-entry">
                    <p class="who">
                        <strong>"v" {change.version}</strong> " · " {change.who.clone()} " · "
                        <time>{local_time(change.at_ms, lang.locale())}</time>
                    </p>
                    <ul>
                        {change.changes.iter().map(|c| view! {
                            <li>
                                <code>{c.path.clone()}</code> ": "
                                <del>{c.before.clone().unwrap_or_else(|| "—".into())}</del> " → "
                                <ins>{c.after.clone().unwrap_or_else(|| "—".into())}</ins>
                            </li>
                        }).collect_view()}
                    </ul>
                </li>
            </For>
        </ol>
        {move || settings.history.with(Vec::is_empty).then(|| view! { <p class="note">{lang.t("还没有修改。", "No changes yet.")}</p> })}
    }
}
