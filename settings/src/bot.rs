//! Settings → Bot (机器人): whether new conversations go to the bot first, its greeting, the words
//! that hand a conversation to a human, keyword auto-replies and the fallback reply.

use leptos::prelude::*;
use protocol::AutoReplySetting;

use crate::api::Settings;
use crate::app::Lang;
use crate::controls::Toggle;

/// The transfer words the routing core uses when the site names none.
const DEFAULT_TRANSFER: &str = "人工, 客服, rg, kf, 退货, 发票, 退款, 快递";

/// The bot page.
#[component]
pub fn Bot() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let bot = move || settings.draft.with(|d| d.bot.clone());
    let text = |value: String| Some(value.trim().to_string()).filter(|v| !v.is_empty());
    let count = move || settings.draft.with(|d| d.bot.auto_replies.len());
    view! {
        <h2>{lang.t("机器人", "Bot")}</h2>
        <p class="hint">{lang.t(
            "开启后，新会话先由机器人接待：按关键词自动回复，访客说出转人工的词时进入分配；客服也可以在“机器人接待”列表里手动接过。",
            "On: new conversations meet the bot first, which answers by keyword; a transfer word sends the visitor to routing, and agents may pick a conversation up from the bot list."
        )}</p>
        <Toggle testid="bot-on" get=|d| d.bot.enabled set=|d, on| d.bot.enabled = on>
            {lang.t("新会话先由机器人接待", "New conversations go to the bot first")}
        </Toggle>
        <label class="line">{lang.t("机器人问候语", "Bot greeting")}
            <input data-testid="bot-greeting" prop:value=move || bot().greeting.unwrap_or_default()
                on:input=move |ev| { let v = text(event_target_value(&ev)); settings.edit(|d| d.bot.greeting = v) } />
        </label>
        <label class="line">{lang.t("转人工关键词（逗号分隔，空：默认）", "Transfer words (commas; empty: the defaults)")}
            <input data-testid="bot-transfer" placeholder=DEFAULT_TRANSFER prop:value=move || bot().transfer_keywords.join(", ")
                on:input=move |ev| {
                    let words: Vec<String> = event_target_value(&ev).split([',', '，']).map(str::trim).filter(|w| !w.is_empty()).map(String::from).collect();
                    settings.edit(|d| d.bot.transfer_keywords = words)
                } />
        </label>
        <h3>{lang.t("关键词自动回复", "Keyword replies")}</h3>
        <ol class="rules">
            {move || (0..count()).map(|i| {
                let reply = move || settings.draft.with(|d| d.bot.auto_replies.get(i).cloned().unwrap_or_default());
                let edit = move |change: Box<dyn FnOnce(&mut AutoReplySetting)>| settings.edit(|d| {
                    if let Some(r) = d.bot.auto_replies.get_mut(i) { change(r) }
                });
                view! {
                    <li class="card reply-row" data-testid=format!("bot-reply-{i}")>
                        <label>{lang.t("访客消息包含", "When the message contains")}
                            <input data-testid=format!("bot-reply-{i}-keyword") prop:value=move || reply().keyword
                                on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |r| r.keyword = v)) } />
                        </label>
                        <label class="grow">{lang.t("回复", "Reply")}
                            <input data-testid=format!("bot-reply-{i}-reply") prop:value=move || reply().reply
                                on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |r| r.reply = v)) } />
                        </label>
                        <button class="ghost danger-text" data-testid=format!("bot-reply-{i}-remove")
                            on:click=move |_| settings.edit(|d| { d.bot.auto_replies.remove(i); })>
                            {lang.t("删除", "Remove")}
                        </button>
                    </li>
                }
            }).collect_view()}
        </ol>
        <button class="ghost" data-testid="bot-add-reply" on:click=move |_| settings.edit(|d| d.bot.auto_replies.push(AutoReplySetting::default()))>
            {lang.t("＋ 添加自动回复", "+ Add a keyword reply")}
        </button>
        <label class="line">{lang.t("没有关键词匹配时的回复", "Reply when no keyword matches")}
            <input data-testid="bot-fallback" prop:value=move || bot().fallback_reply.unwrap_or_default()
                on:input=move |ev| { let v = text(event_target_value(&ev)); settings.edit(|d| d.bot.fallback_reply = v) } />
        </label>
    }
}
