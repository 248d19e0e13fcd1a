//! Settings → CRM contacts, the second half: find contacts by id, name or phone, and change who
//! owns them (the contact owner and the customer owner that the owner strategies route to). A
//! change is saved through the import call, so the Desk checks it the same way
//! (`protocol::checks::check_contact`) and the history records it.

use leptos::prelude::*;
use protocol::settings::ContactsPage;
use protocol::{Contact, ContactImport};

use crate::api::Settings;
use crate::app::Lang;

/// Finding contacts and editing their owners.
#[component]
pub fn ContactSearch() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Result<ContactsPage, String>>);
    let search = move |offset: u32| {
        let q = query.get_untracked();
        leptos::task::spawn_local(async move {
            let page = settings.search_contacts(&q, offset).await;
            found.update(|f| match (f, page) {
                // The next page adds to what is shown.
                (Some(Ok(shown)), Ok(next)) if offset > 0 => shown.contacts.extend(next.contacts),
                (f, page) => *f = Some(page),
            });
        });
    };
    view! {
        <h3>{lang.t("查找联系人", "Find contacts")}</h3>
        <form class="row" on:submit=move |ev| { ev.prevent_default(); search(0) }>
            <input type="search" data-testid="contacts-query" placeholder=lang.t("编号、姓名或手机号", "Id, name or phone")
                aria-label=lang.t("查找联系人", "Find contacts") prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
            <button type="submit" data-testid="contacts-search">{lang.t("查找", "Find")}</button>
        </form>
        {move || found.get().map(|page| match page {
            Err(why) => view! { <p class="field-error" role="alert">{why}</p> }.into_any(),
            Ok(page) => {
                let shown = page.contacts.len();
                let more = (shown as u32) < page.total;
                view! {
                    <p class="hint" role="status" data-testid="contacts-found">
                        {lang.t("找到 ", "Found ")} <strong data-testid="contacts-total">{page.total}</strong>
                        {(page.total as usize > shown).then(|| format!(" · {} {shown}", lang.t("显示", "showing")))}
                    </p>
                    <table class="agents" data-testid="contacts-results">
                        <thead>
                            <tr>
                                <th>{lang.t("编号", "Id")}</th>
                                <th>{lang.t("姓名", "Name")}</th>
                                <th>{lang.t("手机", "Phone")}</th>
                                <th>{lang.t("负责客服", "Owner")}</th>
                                <th>{lang.t("客户负责人", "Customer owner")}</th>
                                <th></th>
                            </tr>
                        </thead>
                        <tbody>
                            {page.contacts.into_iter().map(|c| view! { <ContactRow contact=c /> }).collect_view()}
                        </tbody>
                    </table>
                    {more.then(|| view! {
                        <button class="ghost" data-testid="contacts-more" on:click=move |_| search(shown as u32)>{lang.t("更多", "More")}</button>
                    })}
                }
                .into_any()
            }
        })}
    }
}

/// One contact found, with its owners to change.
#[component]
fn ContactRow(contact: Contact) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let row = RwSignal::new(contact.clone());
    let saved = RwSignal::new(contact);
    let status = RwSignal::new(None::<Result<(), String>>);
    let agents =
        move || settings.draft.with(|d| d.agents.iter().map(|a| (a.id.clone(), a.name.clone())).collect::<Vec<_>>());
    let id = StoredValue::new(row.with_untracked(|c| c.id.clone()));
    let testid = move |what: &str| id.with_value(|id| format!("contact-{id}-{what}"));
    let owner_select = move |which: &'static str, current: Option<String>, set: fn(&mut Contact, Option<String>)| {
        view! {
            <select data-testid=testid(which) aria-label=which on:change=move |ev| {
                let v = Some(event_target_value(&ev)).filter(|v| !v.is_empty());
                row.update(|c| set(c, v));
                status.set(None);
            }>
                <option value="" selected=current.is_none()>"—"</option>
                {agents().into_iter().map(|(agent, name)| {
                    let selected = current.as_deref() == Some(agent.as_str());
                    view! { <option value=agent.clone() selected=selected>{format!("{name} ({agent})")}</option> }
                }).collect_view()}
            </select>
        }
    };
    let save = move |_| {
        let contact = row.get_untracked();
        leptos::task::spawn_local(async move {
            let answer = settings.import_contacts(&ContactImport { contacts: vec![contact.clone()] }).await;
            status.set(Some(match answer {
                Ok(done) if done.refused.is_empty() => {
                    saved.set(contact);
                    Ok(())
                }
                Ok(done) => Err(done.refused.into_iter().map(|r| r.error).collect::<Vec<_>>().join("; ")),
                Err(why) => Err(why),
            }));
        });
    };
    let (c, now) = (row.get_untracked(), row.get_untracked());
    view! {
        <tr data-testid=testid("row")>
            <td>{c.id}</td>
            <td>{c.name}</td>
            <td>{c.phone}</td>
            <td>{owner_select("owner", now.owner_agent, |c, v| c.owner_agent = v)}</td>
            <td>{owner_select("customer-owner", now.customer_owner, |c, v| c.customer_owner = v)}</td>
            <td>
                <button data-testid=testid("save") disabled=move || row.get() == saved.get() on:click=save>{lang.t("保存", "Save")}</button>
                {move || status.get().map(|s| match s {
                    Ok(()) => view! { <span class="ok" role="status" data-testid=testid("saved")>" ✓"</span> }.into_any(),
                    Err(why) => view! { <span class="error" role="alert">{why}</span> }.into_any(),
                })}
            </td>
        </tr>
    }
}
