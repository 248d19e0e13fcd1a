//! Settings → Identity (身份校验): the site key (made here from the browser's CSPRNG, shown in
//! full until the page is left, then masked; shown again only for the agent's password), a
//! rotation that keeps the replaced key valid for a chosen time, the token formats (`v2` on, the
//! compat ECB off unless turned on knowingly), the verification fields, identity required, and
//! the CRM auto-link. Checked with `protocol::checks::check_identity`, the API's own check.

use leptos::prelude::*;
use protocol::settings::is_masked;

use crate::api::Settings;
use crate::app::Lang;
use crate::browser::{copy_text, local_time, new_site_key, now_ms};
use crate::controls::Toggle;

/// How long a replaced key keeps working, offered when a key is rotated (`None`: until removed).
const GRACE: [(Option<u64>, &str, &str); 5] = [
    (Some(3_600_000), "1 小时", "1 hour"),
    (Some(86_400_000), "1 天", "1 day"),
    (Some(7 * 86_400_000), "7 天", "7 days"),
    (Some(30 * 86_400_000), "30 天", "30 days"),
    (None, "直到手动停用", "until I remove it"),
];

/// The identity page.
#[component]
pub fn Identity() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let identity = move || settings.draft.with(|d| d.identity.clone());
    let problem = move || settings.draft.with(|d| protocol::checks::check_identity(d).err());
    // Keys made in this page, shown in full until it is left.
    let made = RwSignal::new(Vec::<String>::new());
    let grace = RwSignal::new(1usize);
    let no_csprng = RwSignal::new(false);
    // Keys shown for the password, with the version they were read at: shown only while the keys
    // are still the ones saved at that version.
    let revealed = RwSignal::new(None::<(u64, Vec<String>)>);
    let full_key = move |i: usize| {
        let (version, keys) = revealed.get()?;
        let current = settings.view.with(|v| {
            v.as_ref().is_some_and(|v| {
                v.version == version && settings.draft.with(|d| d.identity.keys == v.config.identity.keys)
            })
        });
        current.then(|| keys.get(i).cloned()).flatten()
    };
    let make_key = move |_| {
        let Some(key) = new_site_key() else {
            no_csprng.set(true);
            return;
        };
        let ends = GRACE.get(grace.get_untracked()).and_then(|(ms, _, _)| *ms).map(|ms| now_ms() + ms);
        made.update(|m| m.push(key.clone()));
        settings.edit(|d| {
            let old = d.identity.keys.first().cloned();
            d.identity.keys = std::iter::once(key).chain(old).collect();
            d.identity.rotation_ends_ms = if d.identity.keys.len() == 2 { ends } else { None };
        });
    };
    let remove_old = move |_| {
        settings.edit(|d| {
            d.identity.keys.truncate(1);
            d.identity.rotation_ends_ms = None;
        })
    };
    let key_line = move |i: usize, key: String| {
        let shown =
            if is_masked(&key) { key.clone() } else { format!("{}…", key.chars().take(6).collect::<String>()) };
        let fresh = made.with(|m| m.contains(&key));
        let full = if fresh { Some(key.clone()) } else { full_key(i) };
        view! {
            <li class="row key-line">
                <span class="key-label">{if i == 0 { lang.t("当前密钥", "Current key") } else { lang.t("被替换的密钥", "Key being replaced") }}</span>
                <code data-testid=format!("identity-key-{i}")>{full.clone().unwrap_or(shown)}</code>
                {full.map(|key| {
                    view! {
                        <button class="ghost" data-testid=format!("identity-copy-{i}") on:click=move |_| copy_text(&key)>
                            {lang.t("复制", "Copy")}
                        </button>
                    }
                })}
            </li>
        }
    };
    let rotation = move || {
        let id = identity();
        (id.keys.len() == 2).then(|| {
            let until = match id.rotation_ends_ms {
                Some(ms) if ms <= now_ms() => lang.t("已失效，不再接受", "expired: no longer accepted").to_string(),
                Some(ms) => {
                    format!("{} {}", lang.t("继续有效至", "still accepted until"), local_time(ms, lang.locale()))
                }
                None => lang.t("继续有效，直到手动停用", "still accepted until you remove it").to_string(),
            };
            view! {
                <p class="row" data-testid="identity-rotation">
                    <span>{until}</span>
                    <button class="ghost danger-text" data-testid="identity-remove-old" on:click=remove_old>
                        {lang.t("立即停用被替换的密钥", "Remove the replaced key now")}
                    </button>
                </p>
            }
        })
    };
    view! {
        <h2>{lang.t("身份校验", "Identity")}</h2>
        <p class="hint">{lang.t(
            "你的服务器用站点密钥加密访客身份（姓名、手机等），放进代码的 data-identity 或 ChatWidget('identify')。验证通过的访客按校验字段合并为同一人，可以发送订单卡片，也可以自动关联 CRM 联系人。",
            "Your server encrypts the shopper's identity (name, phone…) with the site key and puts it in the snippet's data-identity or ChatWidget('identify'). Verified shoppers are recognised by the verification fields, may send order cards, and can be linked to CRM contacts."
        )}</p>
        {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="identity-error">{field} ": " {why}</p> })}
        <fieldset class="card">
            <legend>{lang.t("站点密钥", "Site key")}</legend>
            <ul class="keys">
                {move || identity().keys.into_iter().enumerate().map(|(i, k)| key_line(i, k)).collect_view()}
            </ul>
            {rotation}
            {move || identity().keys.is_empty().then(|| view! {
                <p class="hint" data-testid="identity-no-key">{lang.t("还没有密钥：所有访客都是游客。", "No key yet: every shopper is a guest.")}</p>
            })}
            {move || (!made.with(Vec::is_empty)).then(|| view! {
                <p class="notice" role="note" data-testid="identity-new-key-note">{lang.t(
                    "新密钥只在这里完整显示：现在复制并交给你的服务器。保存后才生效；以后再看需要输入你的密码。",
                    "The new key is shown in full only here: copy it to your server now. It takes effect when saved; seeing it again later asks for your password."
                )}</p>
            })}
            <div class="row">
                {move || (!identity().keys.is_empty()).then(|| view! {
                    <label class="inline">{lang.t("旧密钥继续有效", "Keep the old key working for")}
                        <select data-testid="identity-grace" on:change=move |ev| {
                            grace.set(event_target_value(&ev).parse().unwrap_or(1))
                        }>
                            {GRACE.iter().enumerate().map(|(i, (_, zh, en))| view! {
                                <option value=i.to_string() selected=move || grace.get() == i>{lang.t(zh, en)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })}
                <button data-testid="identity-generate" on:click=make_key>
                    {move || if identity().keys.is_empty() { lang.t("生成密钥", "Generate a key") } else { lang.t("轮换：生成新密钥", "Rotate: generate a new key") }}
                </button>
            </div>
            {move || no_csprng.get().then(|| view! {
                <p class="field-error" role="alert">{lang.t("这个浏览器不能生成安全的随机数。", "This browser cannot make secure random numbers.")}</p>
            })}
            <Reveal revealed=revealed />
        </fieldset>
        <Formats />
        <fieldset class="card">
            <legend>{lang.t("校验字段与访客", "Verification and visitors")}</legend>
            <label class="line">{lang.t("校验字段（逗号分隔，这些字段相同即为同一访客）", "Verification fields (commas; shoppers with the same values are one person)")}
                <input data-testid="identity-fields" prop:value=move || identity().verification_fields.join(", ")
                    on:change=move |ev| {
                        let fields: Vec<String> = event_target_value(&ev).split([',', '，']).map(str::trim).filter(|f| !f.is_empty()).map(String::from).collect();
                        settings.edit(|d| d.identity.verification_fields = fields)
                    } />
            </label>
            <Toggle testid="identity-required" get=|d| d.identity.require_identity set=|d, on| d.identity.require_identity = on>
                {lang.t("只接待验证过的访客（游客不能咨询）", "Verified shoppers only (guests cannot chat)")}
            </Toggle>
            <Toggle testid="identity-auto-link" get=|d| d.identity.auto_link set=|d, on| d.identity.auto_link = on>
                {lang.t("按手机号（或姓名＋手机号）自动关联 CRM 联系人", "Link verified shoppers to the CRM contact with the same phone (or name and phone)")}
            </Toggle>
        </fieldset>
    }
}

/// The token formats: `v2` (recommended), the compat ECB (with why it is weaker), `exp` required.
#[component]
fn Formats() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let identity = move || settings.draft.with(|d| d.identity.clone());
    view! {
        <fieldset class="card">
            <legend>{lang.t("接受的令牌格式", "Accepted token formats")}</legend>
            <Toggle testid="identity-v2" get=|d| d.identity.accept_v2 set=|d, on| d.identity.accept_v2 = on>
                {lang.t("v2（AES-256-GCM，含过期时间和站点，推荐）", "v2 (AES-256-GCM with expiry and site: recommended)")}
            </Toggle>
            <Toggle testid="identity-ecb" get=|d| d.identity.accept_ecb set=|d, on| d.identity.accept_ecb = on>
                {lang.t("兼容格式 customParams（AES/ECB，十六进制）", "Compat customParams (AES/ECB, hex)")}
            </Toggle>
            {move || identity().accept_ecb.then(|| view! {
                <p class="notice warn" role="note" data-testid="identity-ecb-warning">{lang.t(
                    "ECB 格式较弱：它不防篡改，密文的分组可以在不同令牌之间剪切拼接，也没有过期时间和站点绑定。只为还不能发送 v2 的服务器打开；我们会严格检查内容，但请尽快改用 v2 并关闭它。",
                    "ECB is weaker: nothing detects tampering, blocks of ciphertext can be cut and pasted between tokens, and a token carries no expiry or site unless you add one. Turn it on only for servers that cannot send v2 yet; payloads are checked strictly, but move to v2 and turn this off."
                )}</p>
            })}
            <Toggle testid="identity-exp" get=|d| d.identity.require_exp set=|d, on| d.identity.require_exp = on>
                {lang.t("每个令牌都必须带过期时间 exp（v2 总是需要）", "Every token must carry exp (v2 always does)")}
            </Toggle>
        </fieldset>
    }
}

/// Asks for the signed-in agent's password and puts the stored keys, in full, into `revealed`
/// (with the version they were read at).
#[component]
fn Reveal(revealed: RwSignal<Option<(u64, Vec<String>)>>) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let asking = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let refused = RwSignal::new(None::<String>);
    let stored = move || {
        revealed.get().is_none()
            && settings.view.with(|v| v.as_ref().is_some_and(|v| v.config.identity.keys.iter().any(|k| is_masked(k))))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        let version = settings.view.with_untracked(|v| v.as_ref().map(|v| v.version)).unwrap_or_default();
        leptos::task::spawn_local(async move {
            match settings.reveal_keys(typed).await {
                Ok(keys) => {
                    password.set(String::new());
                    asking.set(false);
                    refused.set(None);
                    revealed.set(Some((version, keys)));
                }
                Err(why) => refused.set(Some(why)),
            }
        });
    };
    view! {
        {move || (stored() && !asking.get()).then(|| view! {
            <button class="ghost start" data-testid="identity-reveal" on:click=move |_| { refused.set(None); asking.set(true) }>
                {lang.t("显示完整密钥…", "Show the keys in full…")}
            </button>
        })}
        {move || asking.get().then(|| view! {
            <form class="row" on:submit=submit>
                <label class="inline">{lang.t("输入你的登录密码", "Your sign-in password")}
                    <input type="password" autocomplete="current-password" data-testid="identity-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </label>
                <button type="submit" data-testid="identity-reveal-confirm">{lang.t("显示", "Show")}</button>
                <button type="button" class="ghost" on:click=move |_| asking.set(false)>{lang.t("取消", "Cancel")}</button>
            </form>
        })}
        {move || refused.get().map(|why| view! { <p class="field-error" role="alert" data-testid="identity-reveal-error">{why}</p> })}
    }
}
