//! Settings → Chat window (用户聊天窗口设置): the quick-send card buttons (only verified shoppers
//! see them; the page gives each list its cards with `ChatWidget('setCards', list, cards)`), the
//! pre-chat questions and the leave-message form (`forms`). Checked with
//! `protocol::checks::check_forms`, the API's own check.

use leptos::prelude::*;
use protocol::CardButton;

use crate::api::Settings;
use crate::app::Lang;
use crate::forms::{LeaveForm, List, PreChat, Tools};

/// The chat-window page.
#[component]
pub fn ChatWindow() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let problem = move || settings.draft.with(|d| protocol::checks::check_forms(d).err());
    let count = move || settings.draft.with(|d| d.card_buttons.len());
    let add = move |_| {
        settings.edit(|d| {
            let list = if d.card_buttons.iter().any(|b| b.list == "orders") {
                format!("list{}", d.card_buttons.len() + 1)
            } else {
                "orders".into()
            };
            d.card_buttons.push(CardButton { list, name: String::new(), icon: "order".into() })
        })
    };
    view! {
        <h2>{lang.t("聊天窗口", "Chat window")}</h2>
        {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="window-error">{field} ": " {why}</p> })}
        <fieldset class="card" data-testid="card-buttons">
            <legend>{lang.t("快捷发送按钮", "Quick-send card buttons")}</legend>
            <p class="hint">{lang.t(
                "输入框上方的按钮，打开网页用 ChatWidget('setCards', 列表, 卡片) 提供的订单或商品，访客点一下就发给客服。只有验证过身份的访客能看到。",
                "Buttons above the message box open the orders or products the page gives with ChatWidget('setCards', list, cards); one tap sends a card to the agent. Only verified shoppers see them."
            )}</p>
            <ol class="rules">
                {move || (0..count()).map(|i| {
                    let button = move || settings.draft.with(|d| d.card_buttons.get(i).cloned().unwrap_or_default());
                    let edit = move |change: Box<dyn FnOnce(&mut CardButton)>| settings.edit(|d| if let Some(b) = d.card_buttons.get_mut(i) { change(b) });
                    let testid = move |what: &str| format!("card-button-{i}-{what}");
                    view! {
                        <li class="condition form-row" data-testid=testid("row")>
                            <label>{lang.t("按钮文字", "Button name")}
                                <input data-testid=testid("name") placeholder=lang.t("我的订单", "My orders") prop:value=move || button().name
                                    on:input=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |b| b.name = v)) } />
                            </label>
                            <label>{lang.t("卡片列表（setCards 的第一个参数）", "Card list (setCards' first argument)")}
                                <input data-testid=testid("list") prop:value=move || button().list
                                    on:input=move |ev| { let v = event_target_value(&ev).trim().to_string(); edit(Box::new(move |b| b.list = v)) } />
                            </label>
                            <code class="snippet">{move || format!("ChatWidget('setCards', '{}', [...])", button().list)}</code>
                            <Tools i=i len=Signal::derive(count) testid=format!("card-button-{i}") list=List::Cards />
                        </li>
                    }
                }).collect_view()}
            </ol>
            <button class="ghost start" data-testid="card-button-add" on:click=add>{lang.t("＋ 添加按钮", "+ Add a button")}</button>
        </fieldset>
        <PreChat />
        <LeaveForm />
    }
}
