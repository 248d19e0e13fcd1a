//! The visitor sidebar: verified or guest, then the site's own layout of fields (工作台拓展信息)
//! or the built-in one (by which fields verified, name, phone, the page's custom fields, CRM
//! contact and owner, source, current page, device, pre-chat answers), then past chats.

use std::collections::BTreeMap;

use leptos::prelude::*;
use protocol::VisitorProfile;

use crate::api::Desk;
use crate::i18n::Strings;
use crate::search::date_time;

/// The right column.
#[component]
pub fn Sidebar() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let profile = move || desk.selected.get().and_then(|id| desk.profiles.with(|p| p.get(&id).cloned()));
    view! {
        <aside class="sidebar" aria-label=strings.visitor data-testid="sidebar">
            <h2>
                <button type="button" class="ghost narrow-only" data-testid="hide-profile" aria-label=strings.back_to_chat
                    on:click=move |_| desk.profile_shown.set(false)>"‹"</button>
                {strings.visitor}
            </h2>
            {move || match profile() {
                Some(p) => view! { <Profile profile=p /> }.into_any(),
                None => view! { <p class="empty">{strings.none}</p> }.into_any(),
            }}
        </aside>
    }
}

/// One row: a label and a value (text only).
fn row(label: &'static str, testid: &'static str, value: Option<String>) -> impl IntoView {
    value.filter(|v| !v.is_empty()).map(|v| {
        view! {
            <div class="row" data-testid=testid>
                <dt>{label}</dt>
                <dd>{v}</dd>
            </div>
        }
    })
}

fn fields(title: &'static str, testid: &'static str, map: BTreeMap<String, String>) -> impl IntoView {
    (!map.is_empty()).then(|| {
        view! {
            <h3>{title}</h3>
            <dl class="fields" data-testid=testid>
                {map
                    .into_iter()
                    .map(|(k, v)| {
                        let field = k.clone();
                        view! { <div class="row" data-field=field><dt>{k}</dt><dd>{v}</dd></div> }
                    })
                    .collect_view()}
            </dl>
        }
    })
}

#[component]
fn Profile(profile: VisitorProfile) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let p = profile;
    let badge = if p.verified { strings.verified } else { strings.guest };
    // The page sent an identity token the Desk refused: the visitor chats as a guest; say why.
    let refused = p.identity_refused.as_ref().map(|e| format!("{} ({})", e.message, e.code));
    // The site's own layout (工作台拓展信息), laid out by the Desk, else the built-in one.
    let details = if p.fields.is_empty() {
        view! { <Builtin p=p.clone() /> }.into_any()
    } else {
        view! {
            <dl class="fields" data-testid="profile-fields">
                {p.fields
                    .iter()
                    .map(|f| view! { <div class="row" data-field=f.key.clone()><dt>{f.label.clone()}</dt><dd>{f.value.clone()}</dd></div> })
                    .collect_view()}
            </dl>
        }
        .into_any()
    };
    view! {
        <div class="profile" data-testid="profile" data-verified=p.verified.to_string()>
            <p class="name-line">
                {p.avatar_url.clone().map(|src| view! { <Avatar src=src name=p.name.clone() /> })}
                <strong data-testid="profile-name">{p.name.clone()}</strong>
                <span class="pill" class:ok=p.verified data-testid="profile-verified">{badge}</span>
            </p>
            <dl>{row(strings.identity_refused, "profile-identity-refused", refused)}</dl>
            {details}
            <h3>{strings.past}</h3>
            <ul class="past" data-testid="profile-past">
                {if p.past.is_empty() {
                    view! { <li class="empty">{strings.none}</li> }.into_any()
                } else {
                    p.past
                        .iter()
                        .map(|c| {
                            let id = c.conversation_id.clone();
                            let stars = c.score.map(|s| "★".repeat(usize::from(s))).unwrap_or_default();
                            let status = if c.status == "closed" { strings.state_closed } else { strings.state_active };
                            let label = format!("{} · {status} · {}{} {stars}", date_time(c.created_ms), c.last_seq, strings.messages_unit);
                            let about = c.first_line.clone();
                            view! {
                                <li><button type="button" class="ghost" data-testid="past-conversation" on:click=move |_| desk.select(id.clone())>
                                    <span>{label}</span>
                                    {about.map(|a| view! { <small class="about">{a}</small> })}
                                </button></li>
                            }
                        })
                        .collect_view()
                        .into_any()
                }}
            </ul>
        </div>
    }
}

/// The visitor's picture; when it does not load (WeChat's link expired, no network), the first
/// letter of the name in its place.
#[component]
fn Avatar(src: String, name: String) -> impl IntoView {
    let broken = RwSignal::new(false);
    let initial = name.chars().next().map(String::from).unwrap_or_default();
    view! {
        <span class="avatar initial">
            <span aria-hidden="true">{initial}</span>
            <img class="avatar" class:gone=move || broken.get() data-testid="profile-avatar" src=src alt="" width="32" height="32"
                referrerpolicy="no-referrer" on:error=move |_| broken.set(true) />
        </span>
    }
}

/// The built-in layout: who, source, channel, plugin, place, device, page, custom fields, CRM
/// contact, pre-chat answers.
#[component]
fn Builtin(p: VisitorProfile) -> impl IntoView {
    let strings = expect_context::<&'static Strings>();
    let verified_by = (!p.verified_by.is_empty()).then(|| p.verified_by.join(" + "));
    let contact = p.contact.clone();
    let page = p.page_url.clone().filter(|u| crate::message::safe_url(u));
    let source = [
        p.entry.clone().map(|e| format!("{}: {e}", strings.entry)),
        p.group.clone().map(|g| format!("{}: {g}", strings.group)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <dl>
            {row(strings.verified_by, "profile-verified-by", verified_by)}
            {row(strings.name, "profile-full-name", p.identity.get("full_name").or(p.identity.get("name")).cloned())}
            {row(strings.phone, "profile-phone", p.phone.clone())}
            {row(strings.source, "profile-source", Some(source))}
            {row(strings.came_from, "profile-came-from", p.came_from.clone())}
            {row(strings.channel, "profile-channel", Some(strings.channel_name(p.channel).to_string()))}
            {row(strings.plugin, "profile-plugin", p.plugin.clone())}
            {row(strings.place, "profile-place", p.place.clone())}
            {row(strings.device, "profile-device", Some(protocol::workbench::device(&p.user_agent)))}
        </dl>
        // A mini-program user has no page.
        {(p.page_url.is_some() || p.page_title.is_some()).then(|| view! {
            <h3>{strings.page}</h3>
            <div class="page" data-testid="profile-page">
                <div>{p.page_title.clone().unwrap_or_default()}</div>
                {match page {
                    Some(url) => {
                        let href = url.clone();
                        view! { <a href=href target="_blank" rel="noopener noreferrer">{url}</a> }.into_any()
                    }
                    None => view! { <span>{p.page_url.clone().unwrap_or_default()}</span> }.into_any(),
                }}
            </div>
        })}
        {fields(strings.custom_fields, "profile-custom", p.custom_fields.clone())}
        {contact.map(|c| view! {
            <h3>{strings.crm_contact}</h3>
            <dl data-testid="profile-contact">
                {row(strings.name, "contact-name", Some(format!("{} ({})", c.name, c.id)))}
                {row(strings.owner, "contact-owner", c.owner_agent.clone())}
                {row("Customer", "contact-customer", c.customer_id.clone().map(|id| match &c.customer_owner {
                    Some(owner) => format!("{id} · {owner}"),
                    None => id,
                }))}
            </dl>
        })}
        {fields(strings.pre_chat, "profile-pre-chat", p.pre_chat.clone())}
    }
}
