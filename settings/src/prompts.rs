//! Settings → Prompts (提示语): what a shopper reads when everyone is busy, nobody is online or the
//! site is closed (each can be switched off), the welcome, and the text above the leave-message
//! form.

use leptos::prelude::*;
use protocol::{Prompt, PromptTexts};

use crate::api::Settings;
use crate::app::Lang;

/// One prompt: which text of [`PromptTexts`] it is, and the switch it has (if any).
struct Row {
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    switch: Option<Prompt>,
    text: fn(&mut PromptTexts) -> &mut Option<String>,
    default_zh: &'static str,
}

const ROWS: [Row; 5] = [
    Row {
        id: "busy",
        zh: "客服繁忙（排队）",
        en: "All agents busy (queued)",
        switch: Some(Prompt::Busy),
        text: |t| &mut t.busy,
        default_zh: "客服繁忙，您已进入排队，请稍候。",
    },
    Row {
        id: "offline",
        zh: "客服全部离线",
        en: "All agents offline",
        switch: Some(Prompt::Offline),
        text: |t| &mut t.offline,
        default_zh: "客服暂时不在线，请留言，我们会尽快联系您。",
    },
    Row {
        id: "off_hours",
        zh: "非工作时间",
        en: "Outside service hours",
        switch: Some(Prompt::OffHours),
        text: |t| &mut t.off_hours,
        default_zh: "现在是非工作时间，请留言，我们上班后会联系您。",
    },
    Row {
        id: "welcome",
        zh: "欢迎语（接通时）",
        en: "Welcome (when connected)",
        switch: None,
        text: |t| &mut t.welcome,
        default_zh: "",
    },
    Row {
        id: "leave_message",
        zh: "留言表单说明",
        en: "Above the leave-message form",
        switch: None,
        text: |t| &mut t.leave_message,
        default_zh: "",
    },
];

/// Most characters of a prompt (the same bound as a message).
const MAX_PROMPT_CHARS: usize = protocol::MAX_TEXT_CHARS;

/// The prompts page.
#[component]
pub fn Prompts() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let rows = ROWS.iter().map(|row| {
        let Row { id, zh, en, switch, text, default_zh } = *row;
        let current = move || settings.draft.with(|d| (text)(&mut d.routing.prompts.texts.clone()).clone().unwrap_or_default());
        let on = move || switch.is_none_or(|s| settings.draft.with(|d| !d.routing.prompts.off.contains(&s)));
        let toggle = move |ev: leptos::ev::Event| {
            let checked = event_target_checked(&ev);
            if let Some(s) = switch {
                settings.edit(|d| {
                    d.routing.prompts.off.retain(|x| *x != s);
                    if !checked {
                        d.routing.prompts.off.push(s);
                    }
                });
            }
        };
        let input = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            settings.edit(|d| *(text)(&mut d.routing.prompts.texts) = Some(value).filter(|v| !v.trim().is_empty()));
        };
        let too_long = move || current().chars().count() > MAX_PROMPT_CHARS;
        let label_id = format!("prompt-{id}-label");
        view! {
            <fieldset class="prompt" data-testid=format!("prompt-{id}")>
                <legend id=label_id.clone()>{lang.t(zh, en)}</legend>
                {switch.map(|_| view! {
                    <label class="switch">
                        <input type="checkbox" data-testid=format!("prompt-{id}-on") prop:checked=on on:change=toggle />
                        {lang.t("开启", "On")}
                    </label>
                })}
                <textarea
                    data-testid=format!("prompt-{id}-text")
                    aria-labelledby=label_id
                    rows="2"
                    placeholder=match (default_zh.is_empty(), id) {
                        (false, _) => default_zh,
                        (true, "leave_message") => lang.t("（默认说明）", "(the default text)"),
                        (true, _) => lang.t("（不发送）", "(none)"),
                    }
                    prop:value=current
                    disabled=move || !on()
                    on:input=input
                ></textarea>
                {move || too_long().then(|| view! {
                    <p class="field-error" role="alert">{lang.t("太长了，最多字符数：", "Too long; most characters: ")} {MAX_PROMPT_CHARS}</p>
                })}
            </fieldset>
        }
    });
    view! {
        <h2>{lang.t("提示语", "Prompts")}</h2>
        <p class="hint">{lang.t("留空则使用默认文字；关闭后访客只看到排队位置或留言表单。", "Empty uses the default text; switched off, the shopper sees only the queue position or the leave-message form.")}</p>
        {rows.collect_view()}
    }
}
