//! Settings → Chat window: the forms the widget shows. Pre-chat questions (咨询前表单: asked
//! before the first message; rules may route on the answers) and the leave-message form (留言模板:
//! its fields, labels, which are required, their order). Checked with
//! `protocol::checks::check_forms`, the API's own check.

use leptos::prelude::*;
use protocol::{LeaveFieldSetting, PreChatField, PreChatKind, SiteConfig};

use crate::api::Settings;
use crate::app::Lang;

const KINDS: [(PreChatKind, &str, &str, &str); 4] = [
    (PreChatKind::Text, "text", "文字", "Text"),
    (PreChatKind::Phone, "phone", "手机号", "Phone"),
    (PreChatKind::Email, "email", "邮箱", "E-mail"),
    (PreChatKind::Select, "select", "单选", "Choice"),
];

/// The leave-message fields the widget shows when the site names none.
fn default_leave_fields() -> Vec<LeaveFieldSetting> {
    [("name", false), ("phone", true), ("message", true)]
        .map(|(name, required)| LeaveFieldSetting { name: name.into(), label: None, required })
        .into()
}

/// Moves item `i` of a list one place up or down.
fn shift<T>(list: &mut [T], i: usize, up: bool) {
    match up {
        true if i > 0 && i < list.len() => list.swap(i, i - 1),
        false if i + 1 < list.len() => list.swap(i, i + 1),
        _ => {}
    }
}

/// Pre-chat questions.
#[component]
pub fn PreChat() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let count = move || settings.draft.with(|d| d.pre_chat.len());
    let add = move |_| {
        settings.edit(|d| {
            let n = d.pre_chat.len() + 1;
            d.pre_chat.push(PreChatField { name: format!("q{n}"), label: String::new(), ..PreChatField::default() })
        })
    };
    view! {
        <fieldset class="card" data-testid="pre-chat">
            <legend>{lang.t("咨询前表单", "Pre-chat questions")}</legend>
            <p class="hint">{lang.t(
                "访客发第一条消息前先回答；分配规则可以按答案分组。没有问题时直接开始聊天。",
                "Asked before the first message; rules may route on the answers. None: the chat starts at once."
            )}</p>
            <ol class="rules">
                {move || (0..count()).map(|i| {
                    let field = move || settings.draft.with(|d| d.pre_chat.get(i).cloned().unwrap_or_default());
                    let edit = move |change: Box<dyn FnOnce(&mut PreChatField)>| settings.edit(|d| if let Some(f) = d.pre_chat.get_mut(i) { change(f) });
                    let testid = move |what: &str| format!("pre-chat-{i}-{what}");
                    view! {
                        <li class="condition form-row" data-testid=testid("row")>
                            <label>{lang.t("问题", "Question")}
                                <input data-testid=testid("label") prop:value=move || field().label
                                    on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |f| f.label = v)) } />
                            </label>
                            <label>{lang.t("字段名（规则用）", "Field name (for rules)")}
                                <input data-testid=testid("name") prop:value=move || field().name
                                    on:input=move |ev| { let v = event_target_value(&ev).trim().to_string(); edit(Box::new(move |f| f.name = v)) } />
                            </label>
                            <label>{lang.t("类型", "Kind")}
                                <select data-testid=testid("kind") on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    let kind = KINDS.iter().find(|k| k.1 == v).map(|k| k.0).unwrap_or_default();
                                    edit(Box::new(move |f| f.kind = kind))
                                }>
                                    {KINDS.iter().map(|(kind, key, zh, en)| {
                                        let kind = *kind;
                                        view! { <option value=*key prop:selected=move || field().kind == kind>{lang.t(zh, en)}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <Show when=move || field().kind == PreChatKind::Select>
                                <label>{lang.t("选项（逗号分隔）", "Options (commas)")}
                                    <input data-testid=testid("options") prop:value=move || field().options.join(", ")
                                        on:change=move |ev| {
                                            let v: Vec<String> = event_target_value(&ev).split([',', '，']).map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect();
                                            edit(Box::new(move |f| f.options = v))
                                        } />
                                </label>
                            </Show>
                            <label class="switch">
                                <input type="checkbox" data-testid=testid("required") prop:checked=move || field().required
                                    on:change=move |ev| { let on = event_target_checked(&ev); edit(Box::new(move |f| f.required = on)) } />
                                {lang.t("必填", "Required")}
                            </label>
                            <Tools i=i len=Signal::derive(count) testid=format!("pre-chat-{i}") list=List::PreChat />
                        </li>
                    }
                }).collect_view()}
            </ol>
            <button class="ghost start" data-testid="pre-chat-add" on:click=add>{lang.t("＋ 添加问题", "+ Add a question")}</button>
        </fieldset>
    }
}

/// The leave-message form's fields.
#[component]
pub fn LeaveForm() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let count = move || settings.draft.with(|d| d.routing.leave_message_fields.len());
    let customize = move |_| settings.edit(|d| d.routing.leave_message_fields = default_leave_fields());
    let add = move |_| {
        settings.edit(|d| {
            let n = d.routing.leave_message_fields.len() + 1;
            d.routing
                .leave_message_fields
                .push(LeaveFieldSetting { name: format!("field{n}"), ..LeaveFieldSetting::default() })
        })
    };
    view! {
        <fieldset class="card" data-testid="leave-form">
            <legend>{lang.t("留言表单", "Leave-message form")}</legend>
            <p class="hint">{lang.t(
                "没有客服能接待时（下班、都不在线、排队时访客选择留言）显示。name、phone、email、message 这几个字段名自带标签。",
                "Shown when nobody can answer (off hours, all offline, or the visitor chooses to leave a message). The names name, phone, email and message come with their own labels."
            )}</p>
            {move || (count() == 0).then(|| view! {
                <p class="row">
                    <span>{lang.t("默认：姓名、手机（必填）、留言（必填）。", "Default: name, phone (required), message (required).")}</span>
                    <button class="ghost" data-testid="leave-customize" on:click=customize>{lang.t("自定义", "Customise")}</button>
                </p>
            })}
            <ol class="rules">
                {move || (0..count()).map(|i| {
                    let field = move || settings.draft.with(|d| d.routing.leave_message_fields.get(i).cloned().unwrap_or_default());
                    let edit = move |change: Box<dyn FnOnce(&mut LeaveFieldSetting)>| {
                        settings.edit(|d| if let Some(f) = d.routing.leave_message_fields.get_mut(i) { change(f) })
                    };
                    let testid = move |what: &str| format!("leave-{i}-{what}");
                    view! {
                        <li class="condition form-row" data-testid=testid("row")>
                            <label>{lang.t("字段名", "Field name")}
                                <input data-testid=testid("name") prop:value=move || field().name
                                    on:input=move |ev| { let v = event_target_value(&ev).trim().to_string(); edit(Box::new(move |f| f.name = v)) } />
                            </label>
                            <label>{lang.t("标签（空：默认）", "Label (empty: default)")}
                                <input data-testid=testid("label") prop:value=move || field().label.unwrap_or_default()
                                    on:input=move |ev| {
                                        let v = Some(event_target_value(&ev)).filter(|l| !l.trim().is_empty());
                                        edit(Box::new(move |f| f.label = v))
                                    } />
                            </label>
                            <label class="switch">
                                <input type="checkbox" data-testid=testid("required") prop:checked=move || field().required
                                    on:change=move |ev| { let on = event_target_checked(&ev); edit(Box::new(move |f| f.required = on)) } />
                                {lang.t("必填", "Required")}
                            </label>
                            <Tools i=i len=Signal::derive(count) testid=format!("leave-{i}") list=List::Leave />
                        </li>
                    }
                }).collect_view()}
            </ol>
            {move || (count() > 0).then(|| view! {
                <button class="ghost start" data-testid="leave-add" on:click=add>{lang.t("＋ 添加字段", "+ Add a field")}</button>
            })}
        </fieldset>
    }
}

/// The lists whose items move and go.
#[derive(Clone, Copy)]
pub enum List {
    /// `pre_chat`.
    PreChat,
    /// `routing.leave_message_fields`.
    Leave,
    /// `card_buttons`.
    Cards,
    /// `workbench.session_groups`.
    SessionGroups,
    /// `workbench.sidebar_fields`.
    SidebarFields,
}

impl List {
    /// Moves item `i` up or down, or removes it.
    fn change(self, d: &mut SiteConfig, i: usize, how: Option<bool>) {
        fn apply<T>(list: &mut Vec<T>, i: usize, how: Option<bool>) {
            match how {
                Some(up) => shift(list, i, up),
                None if i < list.len() => {
                    list.remove(i);
                }
                None => {}
            }
        }
        match self {
            List::PreChat => apply(&mut d.pre_chat, i, how),
            List::Leave => apply(&mut d.routing.leave_message_fields, i, how),
            List::Cards => apply(&mut d.card_buttons, i, how),
            List::SessionGroups => apply(&mut d.workbench.session_groups, i, how),
            List::SidebarFields => apply(&mut d.workbench.sidebar_fields, i, how),
        }
    }
}

/// Up, down and remove of item `i` of `list`.
#[component]
pub fn Tools(i: usize, len: Signal<usize>, testid: String, list: List) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    view! {
        <span class="row">
            <button class="ghost" data-testid=format!("{testid}-up") aria-label=lang.t("上移", "Move up") disabled=move || i == 0
                on:click=move |_| settings.edit(|d| list.change(d, i, Some(true)))>"↑"</button>
            <button class="ghost" data-testid=format!("{testid}-down") aria-label=lang.t("下移", "Move down") disabled={move || i + 1 >= len.get()}
                on:click=move |_| settings.edit(|d| list.change(d, i, Some(false)))>"↓"</button>
            <button class="ghost danger-text" data-testid=format!("{testid}-remove") aria-label=lang.t("删除", "Remove")
                on:click=move |_| settings.edit(|d| list.change(d, i, None))>"×"</button>
        </span>
    }
}
