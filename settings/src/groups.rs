//! Settings → Groups (客服分组): each group's members, how it picks among them (load, round robin,
//! idle rate, customer or contact owner), whether a chat is connected at once or offered, and the
//! fallback group for conversations no rule places.

use leptos::prelude::*;
use protocol::{AcceptSetting, GroupConfig, StrategySetting};

use crate::api::Settings;
use crate::app::Lang;

/// The strategies, with their names.
const STRATEGIES: [(StrategySetting, &str, &str, &str); 5] = [
    (StrategySetting::Load, "load", "负载最少", "Fewest live chats"),
    (StrategySetting::RoundRobin, "round_robin", "轮流分配", "Round robin"),
    (StrategySetting::IdleRate, "idle_rate", "今日接待最少", "Fewest accepted today"),
    (StrategySetting::CustomerOwner, "customer_owner", "客户负责人", "Customer owner"),
    (StrategySetting::ContactOwner, "contact_owner", "联系人负责人", "Contact owner"),
];

/// The groups page.
#[component]
pub fn Groups() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let ids = move || settings.draft.with(|d| d.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>());
    let fallback = move || settings.draft.with(|d| d.routing.fallback_group.clone().unwrap_or_default());
    let set_fallback = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        settings.edit(|d| d.routing.fallback_group = Some(value).filter(|v| !v.is_empty()));
    };
    view! {
        <h2>{lang.t("客服分组", "Groups")}</h2>
        <p class="hint">{lang.t("没有分组时，所有客服在同一个默认分组里。", "Without groups, every agent serves one default group.")}</p>
        <For each=ids key=|id| id.clone() let:id>
            <GroupCard id=id />
        </For>
        <AddGroup />
        <label class="line">
            {lang.t("兜底分组（没有规则匹配时）", "Fallback group (when no rule matches)")}
            <select data-testid="fallback-group" on:change=set_fallback>
                <option value="" prop:selected=move || fallback().is_empty()>{lang.t("第一个分组", "The first group")}</option>
                {move || ids().into_iter().map(|id| {
                    let selected = id.clone();
                    view! { <option value=id.clone() prop:selected=move || fallback() == selected>{id.clone()}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// One group: name, members, strategy, accept mode.
#[component]
fn GroupCard(id: String) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let group = {
        let id = id.clone();
        move || settings.draft.with(|d| d.groups.iter().find(|g| g.id == id).cloned().unwrap_or_default())
    };
    let edit = {
        let id = id.clone();
        move |change: Box<dyn FnOnce(&mut GroupConfig)>| {
            settings.edit(|d| {
                if let Some(g) = d.groups.iter_mut().find(|g| g.id == id) {
                    change(g);
                }
            })
        }
    };
    let in_use = {
        let id = id.clone();
        move || {
            settings.draft.with(|d| {
                d.routing.rules.iter().any(|r| r.group == id)
                    || d.routing.entries.iter().any(|e| e.group.as_deref() == Some(id.as_str()))
                    || d.routing.fallback_group.as_deref() == Some(id.as_str())
            })
        }
    };
    let agents =
        move || settings.draft.with(|d| d.agents.iter().map(|a| (a.id.clone(), a.name.clone())).collect::<Vec<_>>());
    let testid = |what: &str| format!("group-{id}-{what}");
    let (e1, e2, e3, e4) = (edit.clone(), edit.clone(), edit.clone(), edit.clone());
    let (g1, g2, g3, g4) = (group.clone(), group.clone(), group.clone(), group.clone());
    let remove = {
        let id = id.clone();
        move |_| settings.edit(|d| d.groups.retain(|g| g.id != id))
    };
    let (label_for, label_id) = (format!("group-{id}-members-label"), format!("group-{id}-members-label"));
    let in_use_note = in_use.clone();
    view! {
        <fieldset class="card" data-testid=testid("card")>
            <legend><code>{id.clone()}</code></legend>
            <label class="line">{lang.t("名称", "Name")}
                <input data-testid=testid("name") prop:value=move || g1().name
                    on:input=move |ev| { let v = event_target_value(&ev); e1(Box::new(move |g| g.name = v)) } />
            </label>
            <div role="group" aria-labelledby=label_for class="members">
                <span id=label_id>{lang.t("成员", "Members")}</span>
                {move || agents().into_iter().map(|(agent, name)| {
                    let g = g2.clone();
                    let e = e2.clone();
                    let member = agent.clone();
                    view! {
                        <label class="switch">
                            <input type="checkbox" data-testid=format!("group-{}-member-{agent}", g().id)
                                prop:checked={ let agent = agent.clone(); move || g().agents.contains(&agent) }
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let member = member.clone();
                                    e(Box::new(move |g| {
                                        g.agents.retain(|a| *a != member);
                                        if on { g.agents.push(member) }
                                    }))
                                } />
                            {name}
                        </label>
                    }
                }).collect_view()}
            </div>
            <label class="line">{lang.t("分配方式", "Strategy")}
                <select data-testid=testid("strategy") on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Some((s, ..)) = STRATEGIES.iter().find(|(_, word, ..)| *word == v) { let s = *s; e3(Box::new(move |g| g.strategy = s)) }
                }>
                    {STRATEGIES.iter().map(|(s, word, zh, en)| {
                        let (s, g) = (*s, g3.clone());
                        view! { <option value=*word prop:selected=move || g().strategy == s>{lang.t(zh, en)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="switch">
                <input type="checkbox" data-testid=testid("manual")
                    prop:checked=move || g4().accept == AcceptSetting::Pending
                    on:change=move |ev| {
                        let manual = event_target_checked(&ev);
                        e4(Box::new(move |g| g.accept = if manual { AcceptSetting::Pending } else { AcceptSetting::Auto }))
                    } />
                {lang.t("客服手动接入（否则自动接入）", "Agents accept by hand (else connected at once)")}
            </label>
            <div>
                <button class="ghost danger-text" data-testid=testid("remove") disabled=in_use on:click=remove>
                    {lang.t("删除分组", "Remove group")}
                </button>
                {move || in_use_note().then(|| view! { <small class="hint">{lang.t(" 规则、入口或兜底在使用这个分组", " used by a rule, an entry or as fallback")}</small> })}
            </div>
        </fieldset>
    }
}

/// Adds a group (its id is fixed once made: rules and entries name it).
#[component]
fn AddGroup() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<&'static str>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_id = id.get_untracked().trim().to_string();
        let valid = !new_id.is_empty()
            && new_id.len() <= 64
            && new_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            error.set(Some(lang.t("分组 ID：1-64 个字母、数字、- 或 _", "Group id: 1-64 letters, digits, - or _")));
            return;
        }
        if settings.draft.with_untracked(|d| d.groups.iter().any(|g| g.id == new_id)) {
            error.set(Some(lang.t("已有这个分组 ID", "A group has this id already")));
            return;
        }
        error.set(None);
        let group = GroupConfig { name: name.get_untracked().trim().to_string(), id: new_id, ..GroupConfig::default() };
        settings.edit(|d| d.groups.push(group));
        id.set(String::new());
        name.set(String::new());
    };
    view! {
        <form class="add" on:submit=add data-testid="add-group">
            <h3>{lang.t("添加分组", "Add a group")}</h3>
            <label>{lang.t("分组 ID", "Group id")}<input data-testid="new-group-id" bind:value=id required maxlength="64" /></label>
            <label>{lang.t("名称", "Name")}<input data-testid="new-group-name" bind:value=name /></label>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="new-group-error">{e}</p> })}
            <button type="submit" data-testid="new-group-add">{lang.t("添加", "Add")}</button>
        </form>
    }
}
