//! Settings → Rules (会话分配规则): the ordered rules that send a conversation to a group (the
//! first that matches wins), each with its channels, a condition on the visitor's info (identity
//! and custom fields) or a pre-chat answer, the welcome and promo sent when connected, whether it
//! takes verified visitors only and how many of its chats an agent holds at most; or the
//! designated-group mode (访客选择分组), where the visitor picks a group (售前 / 售后) before the
//! chat starts and the rules are not used.

use leptos::prelude::*;
use protocol::{Channel, RuleSetting};

use crate::api::Settings;
use crate::app::Lang;
use crate::conditions::{comparison_setters, set_test, test, value, Comparison, Holder, MoreConditions, Test};
use crate::controls::{channel_options, plugin_options, toggle_in, Picks};

/// What a rule looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Looks {
    All,
    Visitor,
    PreChat,
}

fn looks(rule: &RuleSetting) -> Looks {
    match (&rule.visitor_field, &rule.pre_chat_field) {
        (Some(_), _) => Looks::Visitor,
        (None, Some(_)) => Looks::PreChat,
        (None, None) => Looks::All,
    }
}

/// The rules page.
#[component]
pub fn Rules() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let count = move || settings.draft.with(|d| d.routing.rules.len());
    let add = move |_| {
        settings.edit(|d| {
            let group = d.groups.first().map(|g| g.id.clone()).unwrap_or_default();
            let name = format!("{} {}", lang.t("规则", "Rule"), d.routing.rules.len() + 1);
            d.routing.rules.push(RuleSetting { name, group, ..RuleSetting::default() });
        })
    };
    let no_groups = move || settings.draft.with(|d| d.groups.is_empty());
    let picks = move || settings.draft.with(|d| !d.routing.visitor_picks_group.is_empty());
    view! {
        <h2>{lang.t("会话分配规则", "Allocation rules")}</h2>
        <p class="hint">{lang.t("从上到下，第一条匹配的规则决定分组；都不匹配时进入兜底分组。", "Top to bottom, the first rule that matches picks the group; none: the fallback group.")}</p>
        {move || no_groups().then(|| view! { <p class="field-error" role="alert">{lang.t("先在“客服分组”里添加分组。", "Add a group under Groups first.")}</p> })}
        <Mode />
        <div class:muted=picks>
            <ol class="rules">
                {move || (0..count()).map(|i| view! { <RuleCard index=i /> }).collect_view()}
            </ol>
            <button class="ghost" data-testid="add-rule" disabled=no_groups on:click=add>{lang.t("＋ 添加规则", "+ Add a rule")}</button>
        </div>
    }
}

/// One rule, at its place in the order.
#[component]
fn RuleCard(index: usize) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let rule = move || settings.draft.with(|d| d.routing.rules.get(index).cloned().unwrap_or_default());
    let edit = move |change: Box<dyn FnOnce(&mut RuleSetting)>| {
        settings.edit(|d| {
            if let Some(r) = d.routing.rules.get_mut(index) {
                change(r);
            }
        })
    };
    let count = move || settings.draft.with(|d| d.routing.rules.len());
    let swap = move |with: usize| settings.edit(|d| d.routing.rules.swap(index, with));
    let groups =
        move || settings.draft.with(|d| d.groups.iter().map(|g| (g.id.clone(), g.name.clone())).collect::<Vec<_>>());
    let testid = move |what: &str| format!("rule-{index}-{what}");
    let set_looks = move |ev: leptos::ev::Event| {
        let field = rule().visitor_field.or(rule().pre_chat_field).unwrap_or_default();
        let looks = event_target_value(&ev);
        edit(Box::new(move |r| {
            r.visitor_field = None;
            r.pre_chat_field = None;
            match looks.as_str() {
                "visitor" => r.visitor_field = Some(field),
                "pre_chat" => r.pre_chat_field = Some(field),
                _ => set_test(r, Test::Present, ""),
            }
        }))
    };
    let set_field = move |ev: leptos::ev::Event| {
        let field = event_target_value(&ev).trim().to_string();
        edit(Box::new(move |r| match looks(r) {
            Looks::Visitor => r.visitor_field = Some(field),
            Looks::PreChat => r.pre_chat_field = Some(field),
            Looks::All => {}
        }))
    };
    let (set_kind, set_value) = comparison_setters(rule, edit);
    let text = move |value: String| Some(value).filter(|v| !v.trim().is_empty());
    view! {
        <li class="card rule" data-testid=testid("card")>
            <div class="rule-top">
                <strong>{index + 1} "."</strong>
                <input class="grow" data-testid=testid("name") aria-label=lang.t("规则名称", "Rule name") prop:value=move || rule().name
                    on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |r| r.name = v)) } />
                <button class="ghost" data-testid=testid("up") aria-label=lang.t("上移", "Move up") disabled=move || index == 0 on:click=move |_| swap(index - 1)>"↑"</button>
                <button class="ghost" data-testid=testid("down") aria-label=lang.t("下移", "Move down") disabled={move || index + 1 >= count()} on:click=move |_| swap(index + 1)>"↓"</button>
                <button class="ghost danger-text" data-testid=testid("remove") on:click=move |_| settings.edit(|d| { d.routing.rules.remove(index); })>
                    {lang.t("删除", "Remove")}
                </button>
            </div>
            <div class="condition">
                <label>{lang.t("条件", "Condition")}
                    <select data-testid=testid("looks") on:change=set_looks>
                        <option value="all" prop:selected=move || looks(&rule()) == Looks::All>{lang.t("所有访客", "All visitors")}</option>
                        <option value="visitor" prop:selected=move || looks(&rule()) == Looks::Visitor>{lang.t("访客信息（含自定义字段）", "Visitor info (custom fields too)")}</option>
                        <option value="pre_chat" prop:selected=move || looks(&rule()) == Looks::PreChat>{lang.t("咨询前表单", "Pre-chat answer")}</option>
                    </select>
                </label>
                <Show when=move || looks(&rule()) != Looks::All>
                    <label>{lang.t("字段", "Field")}
                        <input data-testid=testid("field") placeholder="vip" prop:value=move || rule().visitor_field.or(rule().pre_chat_field).unwrap_or_default() on:input=set_field />
                    </label>
                    <Comparison testid=format!("rule-{index}") test=Signal::derive(move || test(&rule()))
                        value=Signal::derive(move || value(&rule())) set_test=set_kind set_value=set_value />
                </Show>
                <label>{lang.t("分配到", "Send to")}
                    <select data-testid=testid("group") on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |r| r.group = v)) }>
                        {move || groups().into_iter().map(|(id, name)| {
                            let selected = id.clone();
                            view! { <option value=id.clone() prop:selected=move || rule().group == selected>{if name.is_empty() { id.clone() } else { name }}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <MoreConditions of=Holder::rule(index) />
            <Picks testid=format!("rule-{index}-channel") label=lang.t("适用渠道（都不选：全部）", "Channels (none: all)")
                options=Signal::derive(move || channel_options(lang))
                chosen=Signal::derive(move || rule().channels.iter().map(|c| c.as_str().to_string()).collect())
                toggle=Callback::new(move |(key, on): (String, bool)| {
                    if let Some(channel) = Channel::parse(&key) { edit(Box::new(move |r| toggle_in(&mut r.channels, channel, on))) }
                }) />
            <Picks testid=format!("rule-{index}-plugin") label=lang.t("适用网页插件（都不选：全部）", "Web plugins (none: all)")
                options=Signal::derive(move || settings.draft.with(plugin_options))
                chosen=Signal::derive(move || rule().plugins)
                toggle=Callback::new(move |(key, on): (String, bool)| edit(Box::new(move |r| toggle_in(&mut r.plugins, key, on)))) />
            <div class="row">
                <label class="switch">
                    <input type="checkbox" data-testid=testid("verified") prop:checked=move || rule().verified_only
                        on:change=move |ev| { let on = event_target_checked(&ev); edit(Box::new(move |r| r.verified_only = on)) } />
                    {lang.t("只匹配验证过身份的访客", "Verified visitors only")}
                </label>
                <label class="inline">{lang.t("每位客服最多同时接待本规则的会话（空：按客服上限）", "Each agent holds at most this many of its chats (empty: the agent's own max)")}
                    <input type="number" min="1" class="narrow" data-testid=testid("max") prop:value=move || rule().max_sessions.map(|m| m.to_string()).unwrap_or_default()
                        on:input=move |ev| { let v = event_target_value(&ev).trim().parse::<u32>().ok(); edit(Box::new(move |r| r.max_sessions = v)) } />
                </label>
            </div>
            <label class="line">{lang.t("接通时的欢迎语", "Welcome when connected")}
                <input data-testid=testid("welcome") prop:value=move || rule().welcome.unwrap_or_default()
                    on:input=move |ev| { let v = text(event_target_value(&ev)); edit(Box::new(move |r| r.welcome = v)) } />
            </label>
            <label class="line">{lang.t("推广语", "Promo")}
                <input data-testid=testid("promo") prop:value=move || rule().promo.unwrap_or_default()
                    on:input=move |ev| { let v = text(event_target_value(&ev)); edit(Box::new(move |r| r.promo = v)) } />
            </label>
        </li>
    }
}

/// Rule mode, or the designated-group mode with the groups offered, in order.
#[component]
fn Mode() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let picks = move || settings.draft.with(|d| d.routing.visitor_picks_group.clone());
    let groups =
        move || settings.draft.with(|d| d.groups.iter().map(|g| (g.id.clone(), g.name.clone())).collect::<Vec<_>>());
    let problem = move || settings.draft.with(|d| protocol::checks::check_group_choice(d).err());
    let set_mode = move |visitor_picks: bool| {
        settings.edit(|d| {
            d.routing.visitor_picks_group =
                if visitor_picks { d.groups.iter().take(2).map(|g| g.id.clone()).collect() } else { Vec::new() };
        })
    };
    view! {
        <fieldset class="card" data-testid="routing-mode">
            <legend>{lang.t("分配方式", "How conversations find a group")}</legend>
            <label class="switch">
                <input type="radio" name="routing-mode" data-testid="mode-rules" prop:checked=move || picks().is_empty()
                    on:change=move |_| set_mode(false) />
                {lang.t("按下面的规则分配", "By the rules below")}
            </label>
            <label class="switch">
                <input type="radio" name="routing-mode" data-testid="mode-visitor-picks" prop:checked=move || !picks().is_empty()
                    disabled=move || groups().is_empty() on:change=move |_| set_mode(true) />
                {lang.t("访客先选择分组（如 售前 / 售后），不使用规则", "The visitor picks a group first (pre-sale / after-sale); the rules are not used")}
            </label>
            {move || (!picks().is_empty()).then(|| view! {
                <div class="channels" role="group" aria-label=lang.t("访客可选的分组", "Groups the visitor picks from")>
                    {groups().into_iter().map(|(id, name)| {
                        let on = {
                            let id = id.clone();
                            move || picks().contains(&id)
                        };
                        let toggle = {
                            let id = id.clone();
                            move |ev: leptos::ev::Event| {
                                let checked = event_target_checked(&ev);
                                let id = id.clone();
                                settings.edit(move |d| {
                                    let list = &mut d.routing.visitor_picks_group;
                                    list.retain(|g| *g != id);
                                    if checked {
                                        // Offered in the order of the groups page.
                                        list.push(id);
                                        let order: Vec<String> = d.groups.iter().map(|g| g.id.clone()).collect();
                                        list.sort_by_key(|g| order.iter().position(|o| o == g));
                                    }
                                })
                            }
                        };
                        view! {
                            <label class="switch">
                                <input type="checkbox" data-testid=format!("mode-group-{id}") prop:checked=on.clone()
                                    disabled=move || on() && picks().len() == 1 on:change=toggle />
                                {if name.is_empty() { id.clone() } else { name }}
                            </label>
                        }
                    }).collect_view()}
                </div>
            })}
            {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="mode-error">{field} ": " {why}</p> })}
        </fieldset>
    }
}
