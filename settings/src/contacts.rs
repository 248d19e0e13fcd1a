//! Settings → CRM contacts (CRM 联系人): import a CSV (or pasted lines) with a preview, where
//! every bad row is listed with its line and why, and only the good ones are imported. The
//! columns are `id, name, phone[, owner_agent, customer_id, customer_owner]` (or 编号, 姓名, 手机,
//! 负责客服, 客户编号, 客户负责人); verified visitors are linked to the contact with their phone.
//! Finding contacts and changing their owners is `contact_search`.

use leptos::prelude::*;
use protocol::settings::ContactsImported;
use protocol::{Contact, ContactImport};
use wasm_bindgen::JsCast;

use crate::api::Settings;
use crate::app::Lang;
use crate::contact_search::ContactSearch;

/// Rows shown in the preview of good contacts.
const PREVIEW_ROWS: usize = 5;

/// The contacts page.
#[component]
pub fn Contacts() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let text = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<ContactsImported, String>>);
    let busy = RwSignal::new(false);
    // The CSV read against the draft's agents (owners must be agents of the site).
    let parsed = Memo::new(move |_| {
        let agents = settings.draft.with(|d| d.agents.clone());
        text.with(|t| {
            if t.trim().is_empty() {
                return None;
            }
            Some(protocol::checks::parse_contacts_csv(t).map(|rows| {
                let (mut good, mut bad) = (Vec::new(), Vec::new());
                for (line, row) in rows {
                    match row.and_then(|c| protocol::checks::check_contact(&c, &agents).map(|()| c)) {
                        Ok(contact) => good.push(contact),
                        Err(why) => bad.push((line, why)),
                    }
                }
                (good, bad)
            }))
        })
    });
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        leptos::task::spawn_local(async move {
            if let Ok(content) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                text.set(content.as_string().unwrap_or_default());
                outcome.set(None);
            }
        });
    };
    let import = move |_| {
        let Some(Ok((good, _))) = parsed.get_untracked() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = settings.import_contacts(&ContactImport { contacts: good }).await;
            busy.set(false);
            outcome.set(Some(answer));
        });
    };
    view! {
        <h2>{lang.t("CRM 联系人", "CRM contacts")}</h2>
        <p class="hint">{lang.t(
            "CSV 第一行是列名：编号, 姓名, 手机（必填），负责客服, 客户编号, 客户负责人（可选；也可用 id, name, phone, owner_agent, customer_id, customer_owner）。已认证访客按手机号关联到联系人，负责人可用于“客户负责人”分配。",
            "The CSV's first line names the columns: id, name, phone (required), owner_agent, customer_id, customer_owner (optional; or 编号, 姓名, 手机 …). Verified visitors are linked to the contact with their phone; owners serve the customer-owner strategies."
        )}</p>
        <label class="line">{lang.t("选择 CSV 文件", "Choose a CSV file")}
            <input type="file" accept=".csv,text/csv,text/plain" data-testid="contacts-file" on:change=on_file />
        </label>
        <label class="line">{lang.t("或粘贴", "Or paste")}
            <textarea rows="5" class="snippet" data-testid="contacts-text" prop:value=move || text.get()
                on:input=move |ev| { text.set(event_target_value(&ev)); outcome.set(None) }></textarea>
        </label>
        {move || match parsed.get() {
            None => view! { <span></span> }.into_any(),
            Some(Err(why)) => view! { <p class="field-error" role="alert" data-testid="contacts-error">{why}</p> }.into_any(),
            Some(Ok((good, bad))) => {
                let count = good.len();
                view! {
                    <p data-testid="contacts-summary" role="status">
                        {lang.t("可导入：", "Good: ")} <strong data-testid="contacts-good">{count}</strong>
                        " · " {lang.t("有问题：", "With problems: ")} <strong data-testid="contacts-bad">{bad.len()}</strong>
                    </p>
                    {(!bad.is_empty()).then(|| view! {
                        <table class="agents" data-testid="contacts-bad-rows">
                            <thead><tr><th>{lang.t("行", "Line")}</th><th>{lang.t("问题", "Problem")}</th></tr></thead>
                            <tbody>
                                {bad.into_iter().map(|(line, why)| view! {
                                    <tr data-testid="contacts-bad-row"><td>{line}</td><td>{why}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    <Preview contacts=good.into_iter().take(PREVIEW_ROWS).collect() />
                    <button data-testid="contacts-import" disabled=move || busy.get() || count == 0 on:click=import>
                        {lang.t("导入可导入的联系人", "Import the good contacts")}
                    </button>
                }
                .into_any()
            }
        }}
        {move || outcome.get().map(|o| match o {
            Ok(done) => view! {
                <p class="ok" role="status" data-testid="contacts-imported">
                    {lang.t("已导入 ", "Imported ")} {done.written}
                    {(!done.refused.is_empty()).then(|| format!(" · {} {}", lang.t("被拒绝", "refused"), done.refused.len()))}
                </p>
            }
            .into_any(),
            Err(why) => view! { <p class="error" role="alert" data-testid="contacts-failed">{why}</p> }.into_any(),
        })}
        <ContactSearch />
    }
}

/// The first good rows, as they will be stored.
#[component]
fn Preview(contacts: Vec<Contact>) -> impl IntoView {
    let lang = expect_context::<Lang>();
    view! {
        <table class="agents" data-testid="contacts-preview">
            <thead>
                <tr>
                    <th>{lang.t("编号", "Id")}</th>
                    <th>{lang.t("姓名", "Name")}</th>
                    <th>{lang.t("手机", "Phone")}</th>
                    <th>{lang.t("负责客服", "Owner")}</th>
                </tr>
            </thead>
            <tbody>
                {contacts.into_iter().map(|c| view! {
                    <tr><td>{c.id}</td><td>{c.name}</td><td>{c.phone}</td><td>{c.owner_agent.unwrap_or_default()}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
