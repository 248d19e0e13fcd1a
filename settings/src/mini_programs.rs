//! Settings → Mini-programs (小程序客服): each WeChat mini-program whose customer-service messages
//! reach the site's agents (AppID, name, AppSecret, the message push's Token, EncodingAESKey, data
//! format and encryption mode), the push URL to paste into WeChat's admin (消息推送), and the reply
//! quotas WeChat allows after each user action. Checked with `protocol::mini_program`'s checks, the
//! ones the Desk applies; stored secrets come back masked and stay as they are unless replaced.

use leptos::prelude::*;
use protocol::mini_program::{check_mini_programs, MiniProgramConfig, PushFormat, PushMode};

use crate::api::Settings;
use crate::app::Lang;
use crate::browser::{copy_text, random_alphanumeric};

/// The mini-programs page.
#[component]
pub fn MiniPrograms() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let count = move || settings.draft.with(|d| d.mini_programs.len());
    let problem = move || settings.draft.with(|d| check_mini_programs(&d.mini_programs).err());
    let app_id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let program = MiniProgramConfig {
            app_id: app_id.get_untracked().trim().to_string(),
            name: name.get_untracked().trim().to_string(),
            token: random_alphanumeric(32),
            encoding_aes_key: random_alphanumeric(43),
            ..MiniProgramConfig::default()
        };
        let mut list = settings.draft.with_untracked(|d| d.mini_programs.clone());
        list.push(program.clone());
        // Only the fields the form asks for can be wrong here (the secret is filled in next).
        if let Some((field, why)) = check_mini_programs(&list).err().filter(|(f, _)| !f.ends_with("app_secret")) {
            error.set(Some(format!("{field}: {why}")));
            return;
        }
        error.set(None);
        settings.edit(|d| d.mini_programs.push(program));
        app_id.set(String::new());
        name.set(String::new());
    };
    view! {
        <h2>{lang.t("小程序客服", "Mini-programs")}</h2>
        <p class="hint">{lang.t(
            "小程序用户点 <button open-type=\"contact\"> 发来的消息，经微信的消息推送到这里，和网页访客一样分配给客服；客服的回复经微信客服消息接口发回。",
            "Messages a mini-program's users send from <button open-type=\"contact\"> reach this site through WeChat's message push and are routed like web visitors; agents' replies go back through WeChat's customer-service API."
        )}</p>
        <p class="hint">{lang.t(
            "在小程序后台 → 开发管理 → 开发设置 → 消息推送，填入下面每个小程序的消息推送 URL、Token 和 EncodingAESKey，选择相同的数据格式和加解密方式；保存本页后再点微信后台的“提交”（微信会先校验 URL）。已保存的密钥只显示摘要，不改就保持原值。",
            "In the mini-program admin → Development → Settings → Message push, enter each mini-program's push URL, Token and EncodingAESKey below and choose the same format and encryption; save this page before you submit there (WeChat checks the URL first). Saved secrets show only a fingerprint and stay as they are unless replaced."
        )}</p>
        {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="mini-programs-error">{field} ": " {why}</p> })}
        <ol class="rules">
            {move || (0..count()).map(|i| view! { <ProgramCard index=i /> }).collect_view()}
        </ol>
        <form class="add" on:submit=add data-testid="add-mini-program">
            <h3>{lang.t("添加小程序", "Add a mini-program")}</h3>
            <label>"AppID"<input data-testid="new-mini-program-app-id" bind:value=app_id required maxlength="18" placeholder="wx0123456789abcdef" /></label>
            <label>{lang.t("名称（客服看到的）", "Name (agents see it)")}<input data-testid="new-mini-program-name" bind:value=name required maxlength="64" /></label>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="new-mini-program-error">{e}</p> })}
            <button type="submit" data-testid="new-mini-program-add">{lang.t("添加", "Add")}</button>
        </form>
        <Quotas />
    }
}

/// One mini-program: its keys, push settings and push URL.
#[component]
fn ProgramCard(index: usize) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let program = move || settings.draft.with(|d| d.mini_programs.get(index).cloned().unwrap_or_default());
    let set = move |change: fn(&mut MiniProgramConfig, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev).trim().to_string();
            settings.edit(|d| {
                if let Some(m) = d.mini_programs.get_mut(index) {
                    change(m, value);
                }
            })
        }
    };
    let testid = move |what: &str| format!("mini-program-{index}-{what}");
    let push_url = move || {
        let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        format!("{origin}/api/v1/sites/{}/wechat/{}", settings.site(), program().app_id)
    };
    let regenerate = move |length: usize, field: fn(&mut MiniProgramConfig) -> &mut String| {
        move |_| {
            let fresh = random_alphanumeric(length);
            settings.edit(|d| {
                if let Some(m) = d.mini_programs.get_mut(index) {
                    *field(m) = fresh;
                }
            })
        }
    };
    view! {
        <li class="card" data-testid=testid("card")>
            <div class="rule-top">
                <strong class="grow">{move || program().name}</strong>
                <code>{move || program().app_id}</code>
                <button class="ghost danger-text" data-testid=testid("remove")
                    on:click=move |_| settings.edit(|d| { d.mini_programs.remove(index); })>
                    {lang.t("删除", "Remove")}
                </button>
            </div>
            <label class="line">{lang.t("名称", "Name")}
                <input data-testid=testid("name") prop:value=move || program().name maxlength="64"
                    on:change=set(|m, v| m.name = v) />
            </label>
            <label class="line">"AppSecret"
                <input data-testid=testid("app-secret") prop:value=move || program().app_secret autocomplete="off"
                    placeholder=lang.t("小程序后台 → 开发管理 → 开发设置", "Mini-program admin → Development → Settings")
                    on:change=set(|m, v| m.app_secret = v) />
            </label>
            <label class="line">{lang.t("消息推送 URL（复制到微信后台）", "Push URL (paste into WeChat's admin)")}
                <span class="copy-row">
                    <input readonly class="snippet" data-testid=testid("push-url") prop:value=push_url />
                    <button type="button" class="ghost" data-testid=testid("copy-url") on:click=move |_| copy_text(&push_url())>
                        {lang.t("复制", "Copy")}
                    </button>
                </span>
            </label>
            <label class="line">"Token"
                <span class="copy-row">
                    <input data-testid=testid("token") prop:value=move || program().token autocomplete="off" maxlength="32"
                        on:change=set(|m, v| m.token = v) />
                    <button type="button" class="ghost" data-testid=testid("new-token") on:click=regenerate(32, |m| &mut m.token)>
                        {lang.t("重新生成", "New")}
                    </button>
                </span>
            </label>
            <label class="line">"EncodingAESKey"
                <span class="copy-row">
                    <input data-testid=testid("aes-key") prop:value=move || program().encoding_aes_key autocomplete="off" maxlength="43"
                        on:change=set(|m, v| m.encoding_aes_key = v) />
                    <button type="button" class="ghost" data-testid=testid("new-aes-key") on:click=regenerate(43, |m| &mut m.encoding_aes_key)>
                        {lang.t("重新生成", "New")}
                    </button>
                </span>
            </label>
            <label class="line">{lang.t("数据格式", "Data format")}
                <select data-testid=testid("format") on:change=set(|m, v| m.format = if v == "json" { PushFormat::Json } else { PushFormat::Xml })>
                    <option value="xml" prop:selected=move || program().format == PushFormat::Xml>"XML"</option>
                    <option value="json" prop:selected=move || program().format == PushFormat::Json>"JSON"</option>
                </select>
            </label>
            <label class="line">{lang.t("消息加解密方式", "Encryption")}
                <select data-testid=testid("mode") on:change=set(|m, v| m.mode = match v.as_str() {
                    "plain" => PushMode::Plain,
                    "compat" => PushMode::Compat,
                    _ => PushMode::Safe,
                })>
                    <option value="safe" prop:selected=move || program().mode == PushMode::Safe>{lang.t("安全模式（推荐）", "Safe (recommended)")}</option>
                    <option value="compat" prop:selected=move || program().mode == PushMode::Compat>{lang.t("兼容模式", "Compatible")}</option>
                    <option value="plain" prop:selected=move || program().mode == PushMode::Plain>{lang.t("明文模式", "Plain")}</option>
                </select>
            </label>
            <label class="line">{lang.t("商品/订单卡片打开的页面（{id} 为卡片编号）", "Page a product or order card opens ({id}: the card's id)")}
                <input data-testid=testid("card-page") prop:value=move || program().card_page maxlength="200"
                    placeholder="pages/goods/detail?id={id}" on:change=set(|m, v| m.card_page = v.trim().to_string()) />
            </label>
        </li>
    }
}

/// The reply quotas: how many replies WeChat allows, and for how long, after the user enters the
/// session and after each user message.
#[component]
fn Quotas() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let quotas = move || settings.draft.with(|d| d.reply_quotas);
    let problem = move || quotas().check().err();
    let number = |ev: &leptos::ev::Event| event_target_value(ev).trim().parse::<u64>().unwrap_or(0);
    view! {
        <section class="card quotas" data-testid="reply-quotas">
            <h3>{lang.t("回复次数限制", "Reply quotas")}</h3>
            <p class="hint">{lang.t(
                "微信只允许在用户行为之后回复有限条数（目前：进入会话后 1 分钟内 2 条，用户发消息后 48 小时内 5 条；每次行为重置，不累加）。欢迎语、提示和机器人回复也占用次数，但总给客服留最后一条。微信的拒绝（45015、45047）以微信为准。",
                "WeChat allows a limited number of replies after each user action (today: 2 within 1 minute of entering the session, 5 within 48 hours of a message; each action resets them, they do not add up). Welcome messages, prompts and bot replies count too, but always leave the last reply to an agent. WeChat's own refusals (45015, 45047) are final."
            )}</p>
            <label class="line">{lang.t("进入会话后可回复（条）", "Replies after entering")}
                <input type="number" min="1" max="20" data-testid="quota-enter-replies" prop:value=move || quotas().enter_replies.to_string()
                    on:change=move |ev| { let n = number(&ev); settings.edit(|d| d.reply_quotas.enter_replies = u8::try_from(n).unwrap_or(0)) } />
            </label>
            <label class="line">{lang.t("…在多少秒内", "…within seconds")}
                <input type="number" min="1" data-testid="quota-enter-secs" prop:value=move || quotas().enter_window_secs.to_string()
                    on:change=move |ev| { let n = number(&ev); settings.edit(|d| d.reply_quotas.enter_window_secs = n) } />
            </label>
            <label class="line">{lang.t("用户发消息后可回复（条）", "Replies after a message")}
                <input type="number" min="1" max="20" data-testid="quota-message-replies" prop:value=move || quotas().message_replies.to_string()
                    on:change=move |ev| { let n = number(&ev); settings.edit(|d| d.reply_quotas.message_replies = u8::try_from(n).unwrap_or(0)) } />
            </label>
            <label class="line">{lang.t("…在多少小时内", "…within hours")}
                <input type="number" min="1" max="168" data-testid="quota-message-hours" prop:value=move || (quotas().message_window_secs / 3600).to_string()
                    on:change=move |ev| { let n = number(&ev); settings.edit(|d| d.reply_quotas.message_window_secs = n.saturating_mul(3600)) } />
            </label>
            {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="reply-quotas-error">{field} ": " {why}</p> })}
        </section>
    }
}
