//! Settings → Workbench (工作台): session groups (会话分组), named filters over the agents' lists
//! defined by channel, web plugin, verified visitors and conditions on the visitor (a custom
//! field such as `vip`, a pre-chat answer, the page, the place); and the sidebar's fields
//! (工作台拓展信息), which visitor, identity, custom, pre-chat and CRM contact fields agents see,
//! in which order and under which label. Checked with `protocol::checks::check_workbench`, the
//! API's own check.

use leptos::prelude::*;
use protocol::workbench::{SidebarField, SidebarSource, CONTACT_FIELDS, VISITOR_FIELDS};
use protocol::{Channel, SessionGroupSetting};

use crate::api::Settings;
use crate::app::Lang;
use crate::conditions::{Holder, MoreConditions};
use crate::controls::{channel_options, plugin_options, toggle_in, Picks};
use crate::forms::{List, Tools};

/// The workbench page.
#[component]
pub fn Workbench() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let count = move || settings.draft.with(|d| d.workbench.session_groups.len());
    let add = move |_| {
        settings.edit(|d| {
            let n = d.workbench.session_groups.len() + 1;
            d.workbench.session_groups.push(SessionGroupSetting {
                id: format!("group{n}"),
                name: format!("{} {n}", lang.t("分组", "Group")),
                ..SessionGroupSetting::default()
            })
        })
    };
    view! {
        <h2>{lang.t("工作台", "Workbench")}</h2>
        <fieldset class="card" data-testid="session-groups">
            <legend>{lang.t("会话分组", "Session groups")}</legend>
            <p class="hint">{lang.t(
                "客服工作台的会话列表上方按这些分组筛选（如 VIP、小程序、售后）。一个会话可以属于多个分组；分组只用于查看，不影响分配。",
                "Filters above the agents' lists (VIP, mini-program, after-sale...). A conversation may be in several; they only narrow the view, they route nothing."
            )}</p>
            <ol class="rules">
                {move || (0..count()).map(|i| view! { <SessionGroupCard index=i /> }).collect_view()}
            </ol>
            <button class="ghost start" data-testid="session-group-add" on:click=add>
                {lang.t("＋ 添加会话分组", "+ Add a session group")}
            </button>
        </fieldset>
        <WaitThresholds />
        <SidebarFields />
    }
}

/// When a waiting visitor's time turns amber, then red, in the agents' lists.
#[component]
fn WaitThresholds() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let thresholds = move || settings.draft.with(|d| d.workbench.wait_thresholds());
    let problem = move || {
        settings
            .draft
            .with(|d| protocol::checks::check_workbench(d).err().filter(|(field, _)| field.contains(".wait_")))
    };
    let secs = |ev: &leptos::ev::Event| event_target_value(ev).trim().parse::<u32>().unwrap_or(0);
    view! {
        <fieldset class="card" data-testid="wait-thresholds">
            <legend>{lang.t("等待时长提醒", "Waiting time")}</legend>
            <p class="hint">{lang.t(
                "访客发消息后没有客服回复，会话列表上显示已等待多久；超过第一个时长变为橙色，超过第二个变为红色。",
                "While a visitor's message has no answer, the lists show how long they have waited: amber past the first time, red past the second."
            )}</p>
            <label class="line">{lang.t("橙色提醒（秒）", "Amber after (seconds)")}
                <input type="number" min="1" max="86400" class="narrow" data-testid="wait-warn" prop:value=move || thresholds().0.to_string()
                    on:change=move |ev| { let n = secs(&ev); settings.edit(|d| d.workbench.wait_warn_secs = n) } />
            </label>
            <label class="line">{lang.t("红色告警（秒）", "Red after (seconds)")}
                <input type="number" min="1" max="86400" class="narrow" data-testid="wait-alert" prop:value=move || thresholds().1.to_string()
                    on:change=move |ev| { let n = secs(&ev); settings.edit(|d| d.workbench.wait_alert_secs = n) } />
            </label>
            {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="wait-thresholds-error">{field} ": " {why}</p> })}
        </fieldset>
    }
}

/// One session group.
#[component]
fn SessionGroupCard(index: usize) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let group = move || settings.draft.with(|d| d.workbench.session_groups.get(index).cloned().unwrap_or_default());
    let edit = move |change: Box<dyn FnOnce(&mut SessionGroupSetting)>| {
        settings.edit(|d| {
            if let Some(g) = d.workbench.session_groups.get_mut(index) {
                change(g);
            }
        })
    };
    let testid = move |what: &str| format!("session-group-{index}-{what}");
    let count = move || settings.draft.with(|d| d.workbench.session_groups.len());
    let problem = move || {
        settings.draft.with(|d| {
            protocol::checks::check_workbench(d).err().filter(|(field, _)| {
                let at = format!("workbench.session_groups[{index}]");
                field.starts_with(&at) && !field.starts_with(&format!("{at}.conditions"))
            })
        })
    };
    view! {
        <li class="card rule" data-testid=testid("card")>
            <div class="rule-top">
                <strong>{index + 1} "."</strong>
                <input class="grow" data-testid=testid("name") aria-label=lang.t("分组名称", "Name") prop:value=move || group().name
                    on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |g| g.name = v)) } />
                <Tools i=index len=Signal::derive(count) testid=format!("session-group-{index}") list=List::SessionGroups />
            </div>
            <label class="inline">"ID"
                <input data-testid=testid("id") prop:value=move || group().id size="12"
                    on:input=move |ev| { let v = event_target_value(&ev).trim().to_string(); edit(Box::new(move |g| g.id = v)) } />
            </label>
            {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid=testid("error")>{field} ": " {why}</p> })}
            <label class="switch">
                <input type="checkbox" data-testid=testid("verified") prop:checked=move || group().verified_only
                    on:change=move |ev| { let on = event_target_checked(&ev); edit(Box::new(move |g| g.verified_only = on)) } />
                {lang.t("只含验证过身份的访客", "Verified visitors only")}
            </label>
            <Picks testid=format!("session-group-{index}-channel") label=lang.t("渠道（都不选：全部）", "Channels (none: all)")
                options=Signal::derive(move || channel_options(lang))
                chosen=Signal::derive(move || group().channels.iter().map(|c| c.as_str().to_string()).collect())
                toggle=Callback::new(move |(key, on): (String, bool)| {
                    if let Some(channel) = Channel::parse(&key) { edit(Box::new(move |g| toggle_in(&mut g.channels, channel, on))) }
                }) />
            <Picks testid=format!("session-group-{index}-plugin") label=lang.t("网页插件（都不选：全部）", "Web plugins (none: all)")
                options=Signal::derive(move || settings.draft.with(plugin_options))
                chosen=Signal::derive(move || group().plugins)
                toggle=Callback::new(move |(key, on): (String, bool)| edit(Box::new(move |g| toggle_in(&mut g.plugins, key, on)))) />
            <MoreConditions of=Holder::session_group(index) />
        </li>
    }
}

/// The names agents read for the visitor facts, in [`VISITOR_FIELDS`] order.
const VISITOR_LABELS: [(&str, &str); 11] = [
    ("姓名", "Name"),
    ("手机", "Phone"),
    ("验证字段", "Verified by"),
    ("渠道", "Channel"),
    ("网页插件", "Web plugin"),
    ("入口", "Entry"),
    ("所选分组", "Picked group"),
    ("地区", "Location"),
    ("设备", "Device"),
    ("当前页面", "Page"),
    ("页面标题", "Page title"),
];

/// The names agents read for the CRM contact facts, in [`CONTACT_FIELDS`] order.
const CONTACT_LABELS: [(&str, &str); 5] = [
    ("联系人姓名", "Contact name"),
    ("联系人编号", "Contact id"),
    ("联系人负责人", "Contact owner"),
    ("客户编号", "Customer id"),
    ("客户负责人", "Customer owner"),
];

const SOURCES: [(&str, &str); 5] = [
    ("访客", "Visitor"),
    ("身份字段（已验证）", "Identity field (verified)"),
    ("自定义字段（setCustomField）", "Custom field (setCustomField)"),
    ("咨询前表单", "Pre-chat answer"),
    ("CRM 联系人", "CRM contact"),
];

/// The built-in facts of `source` with their labels; empty for sources of named fields.
fn facts(source: SidebarSource, lang: Lang) -> Vec<(&'static str, &'static str)> {
    let (keys, labels): (&[&'static str], &[(&'static str, &'static str)]) = match source {
        SidebarSource::Visitor => (&VISITOR_FIELDS, &VISITOR_LABELS),
        SidebarSource::Contact => (&CONTACT_FIELDS, &CONTACT_LABELS),
        _ => (&[], &[]),
    };
    keys.iter().zip(labels).map(|(k, (zh, en))| (*k, lang.t(zh, en))).collect()
}

/// The sidebar's fields, in order.
#[component]
fn SidebarFields() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let count = move || settings.draft.with(|d| d.workbench.sidebar_fields.len());
    let add = move |_| {
        settings.edit(|d| {
            d.workbench.sidebar_fields.push(SidebarField { source: SidebarSource::Custom, ..SidebarField::default() })
        })
    };
    // A start from the built-in layout's facts.
    let start = move |_| {
        settings.edit(|d| {
            d.workbench.sidebar_fields = ["name", "phone", "channel", "place", "device", "page"]
                .into_iter()
                .chain(["name", "owner"])
                .zip(
                    std::iter::repeat_n(SidebarSource::Visitor, 6)
                        .chain(std::iter::repeat_n(SidebarSource::Contact, 2)),
                )
                .map(|(key, source)| {
                    let label = facts(source, lang).into_iter().find(|(k, _)| *k == key).map_or(key, |(_, l)| l);
                    SidebarField { source, key: key.into(), label: label.into() }
                })
                .collect()
        })
    };
    view! {
        <fieldset class="card" data-testid="sidebar-fields">
            <legend>{lang.t("访客信息栏（工作台拓展信息）", "Visitor sidebar fields")}</legend>
            <p class="hint">{lang.t(
                "客服工作台右侧按这里的顺序和名称显示访客的信息；没有值的行不显示。不设置时显示默认的全部信息。",
                "The workbench's sidebar shows these, in this order and under these labels; a row without a value is left out. None: the built-in layout with everything."
            )}</p>
            <ol class="rules">
                {move || (0..count()).map(|i| view! { <SidebarRow index=i /> }).collect_view()}
            </ol>
            <div class="row">
                <button class="ghost start" data-testid="sidebar-field-add" on:click=add>{lang.t("＋ 添加字段", "+ Add a field")}</button>
                {move || (count() == 0).then(|| view! {
                    <button class="ghost start" data-testid="sidebar-fields-start" on:click=start>{lang.t("从默认字段开始", "Start from the built-in fields")}</button>
                })}
            </div>
        </fieldset>
    }
}

/// One sidebar field.
#[component]
fn SidebarRow(index: usize) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let field = move || settings.draft.with(|d| d.workbench.sidebar_fields.get(index).cloned().unwrap_or_default());
    let edit = move |change: Box<dyn FnOnce(&mut SidebarField)>| {
        settings.edit(|d| {
            if let Some(f) = d.workbench.sidebar_fields.get_mut(index) {
                change(f);
            }
        })
    };
    let testid = move |what: &str| format!("sidebar-field-{index}-{what}");
    let count = move || settings.draft.with(|d| d.workbench.sidebar_fields.len());
    let problem = move || {
        settings.draft.with(|d| {
            protocol::checks::check_workbench(d)
                .err()
                .filter(|(field, _)| field.starts_with(&format!("workbench.sidebar_fields[{index}]")))
        })
    };
    let set_source = move |ev: leptos::ev::Event| {
        let picked = event_target_value(&ev);
        let source = SidebarSource::ALL.into_iter().find(|s| s.as_str() == picked).unwrap_or_default();
        // A built-in source starts at its first fact, with its label.
        let first = facts(source, lang).first().copied();
        edit(Box::new(move |f| {
            f.source = source;
            let (key, label) = first.unwrap_or_default();
            f.key = key.into();
            f.label = label.into();
        }))
    };
    let set_fact = move |ev: leptos::ev::Event| {
        let key = event_target_value(&ev);
        let label = facts(field().source, lang).into_iter().find(|(k, _)| *k == key).map(|(_, l)| l);
        edit(Box::new(move |f| {
            // Keep a label the owner wrote; follow the fact's own name otherwise.
            let own = facts(f.source, lang).iter().all(|(_, l)| *l != f.label) && !f.label.is_empty();
            if let Some(label) = label.filter(|_| !own) {
                f.label = label.into();
            }
            f.key = key;
        }))
    };
    view! {
        <li class="condition form-row" data-testid=testid("row")>
            <label>{lang.t("来自", "From")}
                <select data-testid=testid("source") on:change=set_source>
                    {SidebarSource::ALL.into_iter().zip(SOURCES).map(|(source, (zh, en))| view! {
                        <option value=source.as_str() prop:selected=move || field().source == source>{lang.t(zh, en)}</option>
                    }).collect_view()}
                </select>
            </label>
            {move || {
                let options = facts(field().source, lang);
                if options.is_empty() {
                    view! {
                        <label>{lang.t("字段名", "Field name")}
                            <input data-testid=testid("key") placeholder="vipNo" prop:value=move || field().key
                                on:input=move |ev| { let v = event_target_value(&ev).trim().to_string(); edit(Box::new(move |f| f.key = v)) } />
                        </label>
                    }.into_any()
                } else {
                    view! {
                        <label>{lang.t("信息", "Fact")}
                            <select data-testid=testid("key") on:change=set_fact>
                                {options.into_iter().map(|(key, label)| view! {
                                    <option value=key prop:selected=move || field().key == key>{label}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    }.into_any()
                }
            }}
            <label>{lang.t("显示名称", "Label")}
                <input data-testid=testid("label") prop:value=move || field().label
                    on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |f| f.label = v)) } />
            </label>
            <Tools i=index len=Signal::derive(count) testid=format!("sidebar-field-{index}") list=List::SidebarFields />
            {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid=testid("error")>{field} ": " {why}</p> })}
        </li>
    }
}
