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

/// A row of checkboxes choosing some of `options` (`(key, label)`); none chosen means all. Each
/// box is `{testid}-{key}`; `chosen` reads the keys, `toggle` sets one on or off.
#[component]
pub fn Picks(
    testid: String,
    label: &'static str,
    options: Signal<Vec<(String, String)>>,
    chosen: Signal<Vec<String>>,
    toggle: Callback<(String, bool)>,
) -> impl IntoView {
    move || {
        let testid = testid.clone();
        (!options.with(Vec::is_empty)).then(|| {
            view! {
                <div class="channels" role="group" aria-label=label>
                    <span>{label}</span>
                    {options.get().into_iter().map(|(key, name)| {
                        let (checked, toggled) = (key.clone(), key.clone());
                        view! {
                            <label class="switch">
                                <input type="checkbox" data-testid=format!("{testid}-{key}")
                                    prop:checked=move || chosen.with(|c| c.contains(&checked))
                                    on:change=move |ev| toggle.run((toggled.clone(), event_target_checked(&ev))) />
                                {name}
                            </label>
                        }
                    }).collect_view()}
                </div>
            }
        })
    }
}

/// The channels a rule or a session group may take, as [`Picks`] options.
pub fn channel_options(lang: crate::app::Lang) -> Vec<(String, String)> {
    use protocol::Channel;
    [
        (Channel::Web, "网页", "Web"),
        (Channel::MobileWeb, "手机网页", "Mobile web"),
        (Channel::App, "App", "App"),
        (Channel::MiniProgram, "小程序", "Mini-program"),
    ]
    .into_iter()
    .map(|(c, zh, en)| (c.as_str().to_string(), lang.t(zh, en).to_string()))
    .collect()
}

/// The site's web plugins as [`Picks`] options.
pub fn plugin_options(d: &SiteConfig) -> Vec<(String, String)> {
    d.plugins.iter().map(|p| (p.id.clone(), p.name.clone())).collect()
}

/// Sets `key` on or off in `list`, keeping the order of the others.
pub fn toggle_in<T: PartialEq>(list: &mut Vec<T>, key: T, on: bool) {
    list.retain(|k| *k != key);
    if on {
        list.push(key);
    }
}
