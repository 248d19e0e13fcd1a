//! Settings → Entries (指定客服): an entry id sends a visitor straight to a designated agent or
//! group (售前, 售后, VIP buttons), with the code to paste for a web button and for a mini-program
//! button (`session-from` ending in `entry=ID`). An unavailable agent
//! fails over to their group, as the routing core does for every entry.

use leptos::prelude::*;
use protocol::EntrySetting;

use crate::api::Settings;
use crate::app::Lang;

/// The entries page.
#[component]
pub fn Entries() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let count = move || settings.draft.with(|d| d.routing.entries.len());
    let problem = move || settings.draft.with(|d| protocol::checks::check_entries(d).err());
    let id = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut draft = settings.draft.get_untracked();
        let target = draft.groups.first().map(|g| g.id.clone());
        let entry = EntrySetting {
            id: id.get_untracked().trim().to_string(),
            group: target.clone(),
            agent: if target.is_none() { draft.agents.first().map(|a| a.id.clone()) } else { None },
        };
        draft.routing.entries.push(entry.clone());
        if let Err((_, why)) = protocol::checks::check_entries(&draft) {
            error.set(Some(why));
            return;
        }
        error.set(None);
        settings.edit(|d| d.routing.entries.push(entry));
        id.set(String::new());
    };
    view! {
        <h2>{lang.t("指定客服入口", "Entries")}</h2>
        <p class="hint">{lang.t(
            "每个入口把访客直接交给指定客服或客服组；指定客服不在或已满时转到其分组，并告诉访客。",
            "Each entry hands the visitor straight to a designated agent or group; an agent who is away or full fails over to their group, and the visitor is told."
        )}</p>
        {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="entries-error">{field} ": " {why}</p> })}
        <ol class="rules">
            {move || (0..count()).map(|i| view! { <EntryCard index=i /> }).collect_view()}
        </ol>
        <form class="add" on:submit=add data-testid="add-entry">
            <h3>{lang.t("添加入口", "Add an entry")}</h3>
            <label>{lang.t("入口 ID（a-z 0-9 - _）", "Entry id (a-z 0-9 - _)")}<input data-testid="new-entry-id" bind:value=id required maxlength="64" /></label>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="new-entry-error">{e}</p> })}
            <button type="submit" data-testid="new-entry-add">{lang.t("添加", "Add")}</button>
        </form>
    }
}

/// One entry: its target and its codes.
#[component]
fn EntryCard(index: usize) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let entry = move || settings.draft.with(|d| d.routing.entries.get(index).cloned().unwrap_or_default());
    let targets = move || {
        settings.draft.with(|d| {
            let groups =
                d.groups.iter().map(|g| (format!("group:{}", g.id), format!("{} {}", lang.t("分组", "Group"), g.name)));
            let agents =
                d.agents.iter().map(|a| (format!("agent:{}", a.id), format!("{} {}", lang.t("客服", "Agent"), a.name)));
            groups.chain(agents).collect::<Vec<_>>()
        })
    };
    let current = move || {
        let e = entry();
        e.agent.map(|a| format!("agent:{a}")).or(e.group.map(|g| format!("group:{g}"))).unwrap_or_default()
    };
    let set_target = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        settings.edit(|d| {
            if let Some(e) = d.routing.entries.get_mut(index) {
                e.agent = value.strip_prefix("agent:").map(String::from);
                e.group = value.strip_prefix("group:").map(String::from);
            }
        })
    };
    let button = move || {
        let id = entry().id;
        format!(
            "<button type=\"button\" onclick=\"ChatWidget('openEntry', '{id}')\">{}</button>",
            lang.t("联系客服", "Chat with us")
        )
    };
    let attribute = move || format!("data-entry=\"{}\"", entry().id);
    // WeChat hands `session-from` back as the entering user's SessionFrom (protocol::session_from).
    let mini_program = move || {
        let from = protocol::session_from::SessionFrom::for_entry("miniprogram", &entry().id);
        format!("<button open-type=\"contact\" session-from=\"{from}\">{}</button>", lang.t("联系客服", "Chat with us"))
    };
    view! {
        <li class="card" data-testid=format!("entry-{index}")>
            <div class="rule-top">
                <code class="grow">{move || entry().id}</code>
                <button class="ghost danger-text" data-testid=format!("entry-{index}-remove")
                    on:click=move |_| settings.edit(|d| { d.routing.entries.remove(index); })>
                    {lang.t("删除", "Remove")}
                </button>
            </div>
            <label class="line">{lang.t("交给", "Goes to")}
                <select data-testid=format!("entry-{index}-target") on:change=set_target>
                    {move || targets().into_iter().map(|(value, label)| {
                        let selected = value.clone();
                        view! { <option value=value prop:selected=move || current() == selected>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="line">{lang.t("网页按钮代码（页面已有接入代码时）", "A web button (on a page that has the snippet)")}
                <textarea readonly rows="2" class="snippet" data-testid=format!("entry-{index}-button") prop:value=button></textarea>
            </label>
            <label class="line">{lang.t("或者在接入代码上加", "Or add to the snippet")}
                <input readonly class="snippet" data-testid=format!("entry-{index}-attribute") prop:value=attribute />
            </label>
            <label class="line">{lang.t("小程序按钮代码（WXML）", "A mini-program button (WXML)")}
                <textarea readonly rows="2" class="snippet" data-testid=format!("entry-{index}-mini-program") prop:value=mini_program></textarea>
            </label>
            <p class="hint">{lang.t(
                "session-from 的格式：来源|昵称|头像地址|自定义字段JSON|entry=入口，最多 1000 字节；昵称、头像和字段只用于展示，不作为身份。",
                "session-from reads source|nickname|avatarUrl|customField JSON|entry=ID, at most 1000 bytes; the nickname, avatar and fields are shown to agents, never taken as identity."
            )}</p>
        </li>
    }
}
