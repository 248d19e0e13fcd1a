//! Settings → Agents (客服): add, edit, disable and remove accounts; reset a password; set the
//! role and how many conversations each holds at once. Checked with `protocol::checks::check_agents`,
//! the API's own check.

use leptos::prelude::*;
use protocol::{AgentConfig, AgentRole};

use crate::api::Settings;
use crate::app::Lang;

/// The agents page.
#[component]
pub fn Agents() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let you = move || settings.view.with(|v| v.as_ref().map(|v| (v.you.clone(), v.role)).unwrap_or_default());
    let problem = move || settings.draft.with(|d| protocol::checks::check_agents(&d.agents).err());
    let ids = move || settings.draft.with(|d| d.agents.iter().map(|a| a.id.clone()).collect::<Vec<_>>());
    view! {
        <h2>{lang.t("客服", "Agents")}</h2>
        {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="agents-error">{field} ": " {why}</p> })}
        <table class="agents">
            <thead>
                <tr>
                    <th>{lang.t("登录名", "Login")}</th>
                    <th>{lang.t("名字", "Name")}</th>
                    <th>{lang.t("角色", "Role")}</th>
                    <th>{lang.t("同时接待", "Max chats")}</th>
                    <th>{lang.t("停用", "Disabled")}</th>
                    <th>{lang.t("重设密码", "New password")}</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                <For each=ids key=|id| id.clone() let:id>
                    <AgentRow id=id you=you />
                </For>
            </tbody>
        </table>
        <AddAgent />
    }
}

/// One agent's row; edits go straight into the draft.
#[component]
fn AgentRow(id: String, you: impl Fn() -> (String, AgentRole) + Copy + Send + Sync + 'static) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let agent = {
        let id = id.clone();
        move || settings.draft.with(|d| d.agents.iter().find(|a| a.id == id).cloned().unwrap_or_default())
    };
    let edit = {
        let id = id.clone();
        move |change: Box<dyn FnOnce(&mut AgentConfig)>| {
            settings.edit(|d| {
                if let Some(a) = d.agents.iter_mut().find(|a| a.id == id) {
                    change(a);
                }
            })
        }
    };
    let is_you = {
        let id = id.clone();
        move || you().0 == id
    };
    // Owners are changed by owners only; nobody removes their own access.
    let locked = {
        let agent = agent.clone();
        move || agent().role == AgentRole::Owner && you().1 != AgentRole::Owner
    };
    let (e1, e2, e3, e4, e5) = (edit.clone(), edit.clone(), edit.clone(), edit.clone(), edit.clone());
    let remove = {
        let id = id.clone();
        move |_| {
            settings.edit(|d| {
                d.agents.retain(|a| a.id != id);
                // A group may not name an agent that is gone.
                d.groups.iter_mut().for_each(|g| g.agents.retain(|a| *a != id));
            })
        }
    };
    let testid = |what: &str| format!("agent-{id}-{what}");
    let (a1, a2, a3, a4, a5) = (agent.clone(), agent.clone(), agent.clone(), agent.clone(), agent.clone());
    let (l1, l2, l3, l4, l5, l6) =
        (locked.clone(), locked.clone(), locked.clone(), locked.clone(), locked.clone(), locked.clone());
    let (y1, y2) = (is_you.clone(), is_you.clone());
    view! {
        <tr data-testid=testid("row")>
            <td>
                <code>{id.clone()}</code>
                {move || y2().then(|| view! { <small class="you">{lang.t(" (你)", " (you)")}</small> })}
                {move || a5().locked_until_ms.map(|_| view! { <small class="locked">{lang.t(" 已锁定", " locked")}</small> })}
            </td>
            <td data-label=lang.t("名字", "Name")>
                <input data-testid=testid("name") aria-label=lang.t("名字", "Name") prop:value=move || a1().name disabled=l1
                    on:input=move |ev| { let v = event_target_value(&ev); e1(Box::new(move |a| a.name = v)) } />
            </td>
            <td data-label=lang.t("角色", "Role")>
                <select data-testid=testid("role") aria-label=lang.t("角色", "Role") disabled=l2
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(role) = AgentRole::parse(&v) { e2(Box::new(move |a| a.role = role)) }
                    }>
                    {AgentRole::ALL.iter().map(|role| {
                        let role = *role;
                        let a = a2.clone();
                        view! {
                            <option value=role.as_str() prop:selected=move || a().role == role
                                disabled=move || role == AgentRole::Owner && you().1 != AgentRole::Owner>
                                {match role {
                                    AgentRole::Agent => lang.t("客服", "Agent"),
                                    AgentRole::Admin => lang.t("管理员", "Admin"),
                                    AgentRole::Owner => lang.t("所有者", "Owner"),
                                }}
                            </option>
                        }
                    }).collect_view()}
                </select>
            </td>
            <td data-label=lang.t("同时接待", "Max chats")>
                <input type="number" min="1" max="200" class="narrow" data-testid=testid("max") aria-label=lang.t("同时接待", "Max chats")
                    prop:value=move || a3().max_sessions.to_string() disabled=l3
                    on:input=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<u32>() { e3(Box::new(move |a| a.max_sessions = n)) }
                    } />
            </td>
            <td data-label=lang.t("停用", "Disabled")>
                <input type="checkbox" data-testid=testid("disabled") aria-label=lang.t("停用", "Disabled")
                    prop:checked=move || a4().disabled disabled=move || l4() || y1()
                    on:change=move |ev| { let v = event_target_checked(&ev); e4(Box::new(move |a| a.disabled = v)) } />
            </td>
            <td data-label=lang.t("重设密码", "New password")>
                <input type="password" autocomplete="new-password" data-testid=testid("password") aria-label=lang.t("重设密码", "New password")
                    placeholder=lang.t("不修改", "unchanged") disabled=l5
                    prop:value=move || agent().password.unwrap_or_default()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        e5(Box::new(move |a| a.password = Some(v).filter(|p| !p.is_empty())))
                    } />
            </td>
            <td>
                <button class="ghost danger-text" data-testid=testid("remove") disabled=move || l6() || is_you() on:click=remove>
                    {lang.t("删除", "Remove")}
                </button>
            </td>
        </tr>
    }
}

/// The form that adds an agent to the draft.
#[component]
fn AddAgent() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let admin = RwSignal::new(false);
    let max = RwSignal::new("5".to_string());
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let agent = AgentConfig {
            id: id.get_untracked().trim().to_string(),
            name: Some(name.get_untracked().trim().to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| id.get_untracked().trim().to_string()),
            password: Some(password.get_untracked()),
            max_sessions: max.get_untracked().parse().unwrap_or(5).max(1),
            role: if admin.get_untracked() { AgentRole::Admin } else { AgentRole::Agent },
            ..AgentConfig::default()
        };
        let mut agents = settings.draft.with_untracked(|d| d.agents.clone());
        agents.push(agent.clone());
        if let Err((_, why)) = protocol::checks::check_agents(&agents) {
            error.set(Some(why));
            return;
        }
        error.set(None);
        settings.edit(|d| d.agents.push(agent));
        id.set(String::new());
        name.set(String::new());
        password.set(String::new());
    };
    view! {
        <form class="add" on:submit=add data-testid="add-agent">
            <h3>{lang.t("添加客服", "Add an agent")}</h3>
            <label>{lang.t("登录名", "Login")}<input data-testid="new-agent-id" bind:value=id required maxlength="64" /></label>
            <label>{lang.t("名字", "Name")}<input data-testid="new-agent-name" bind:value=name /></label>
            <label>{lang.t("密码（至少 8 位）", "Password (8+ characters)")}<input type="password" autocomplete="new-password" data-testid="new-agent-password" bind:value=password required /></label>
            <label>{lang.t("同时接待", "Max chats")}<input type="number" min="1" max="200" class="narrow" data-testid="new-agent-max" bind:value=max /></label>
            <label class="switch"><input type="checkbox" data-testid="new-agent-admin" bind:checked=admin />{lang.t("管理员", "Admin")}</label>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="new-agent-error">{e}</p> })}
            <button type="submit" data-testid="new-agent-add">{lang.t("添加", "Add")}</button>
        </form>
    }
}
