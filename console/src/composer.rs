//! The reply box: text (Enter sends), emoji, image and file upload with progress, order/product
//! cards, and quick phrases (the site's shared ones and the agent's own).

use leptos::html::{Input, Textarea};
use leptos::prelude::*;
use protocol::MessageBody;

use crate::api::Desk;
use crate::i18n::Strings;

const EMOJI: [&str; 24] = [
    "😀", "😊", "😂", "🥰", "😉", "🤔", "😅", "😭", "👍", "👌", "🙏", "👏", "🎉", "❤️", "🌹", "☕", "📦", "🚚", "💰",
    "🎁", "✅", "❌", "⏰", "📞",
];

/// Which popover of the toolbar is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pop {
    None,
    Emoji,
    Phrases,
    Card,
}

/// The composer of the selected conversation.
#[component]
pub fn Composer() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let input: NodeRef<Textarea> = NodeRef::new();
    let files: NodeRef<Input> = NodeRef::new();
    let pop = RwSignal::new(Pop::None);
    let send = move || {
        if let Some(el) = input.get() {
            if desk.reply(el.value(), strings) {
                el.set_value("");
            }
        }
    };
    let insert = move |text: &str| {
        if let Some(el) = input.get() {
            let mut value = el.value();
            value.push_str(text);
            el.set_value(&value);
            let _ = el.focus();
        }
        pop.set(Pop::None);
    };
    let toggle = move |which: Pop| pop.update(|p| *p = if *p == which { Pop::None } else { which });
    let on_files = move |_| {
        let Some(el) = files.get() else { return };
        if let Some(list) = el.files() {
            for i in 0..list.length() {
                if let Some(file) = list.get(i) {
                    desk.upload(file);
                }
            }
        }
        el.set_value("");
    };
    view! {
        <div class="composer">
            <div class="toolbar" role="toolbar">
                <button type="button" class="tool" data-testid="emoji-toggle" aria-label=strings.emoji on:click=move |_| toggle(Pop::Emoji)>"😊"</button>
                <label class="tool">
                    {strings.image}" / "{strings.file}
                    <input type="file" class="visually-hidden" data-testid="upload-input" multiple node_ref=files on:change=on_files />
                </label>
                <button type="button" class="tool" data-testid="card-toggle" on:click=move |_| toggle(Pop::Card)>{strings.card}</button>
                <button type="button" class="tool" data-testid="phrases-toggle" on:click=move |_| toggle(Pop::Phrases)>{strings.phrases}</button>
            </div>
            {move || match pop.get() {
                Pop::Emoji => view! {
                    <div class="popover emoji" data-testid="emoji-picker">
                        {EMOJI.iter().map(|e| view! { <button type="button" class="tool" on:click=move |_| insert(e)>{*e}</button> }).collect_view()}
                    </div>
                }
                .into_any(),
                Pop::Phrases => view! { <Phrases insert=Callback::new(move |t: String| insert(&t)) /> }.into_any(),
                Pop::Card => view! { <CardForm done=Callback::new(move |()| pop.set(Pop::None)) /> }.into_any(),
                Pop::None => ().into_any(),
            }}
            <ul class="uploads">
                <For each=move || desk.uploads.get() key=|u| (u.id.clone(), u.percent, u.failed.is_some()) let:up>
                    {
                        let id = up.id.clone();
                        view! {
                            <li data-testid="upload-progress">
                                {up.name.clone()}" "
                                {match up.failed.clone() {
                                    Some(why) => view! {
                                        <span class="error">{strings.upload_failed}": "{why}</span>
                                        <button type="button" class="ghost" on:click=move |_| desk.dismiss_upload(&id)>"×"</button>
                                    }.into_any(),
                                    None => view! { <progress max="100" value=up.percent></progress> }.into_any(),
                                }}
                            </li>
                        }
                    }
                </For>
            </ul>
            <form class="reply" on:submit=move |ev| { ev.prevent_default(); send(); }>
                <textarea
                    data-testid="reply-input"
                    aria-label=strings.reply
                    placeholder=strings.reply
                    maxlength=protocol::MAX_TEXT_CHARS.to_string()
                    node_ref=input
                    on:input=move |_| desk.typing()
                    on:blur=move |_| desk.typing_stopped()
                    on:keydown=move |ev| {
                        if client::is_send_key(&ev) {
                            send();
                        }
                    }
                ></textarea>
                <button type="submit" data-testid="reply-send">{strings.send}</button>
            </form>
        </div>
    }
}

/// The quick phrases: click to insert; add one (shared with the site for admins); delete.
#[component]
fn Phrases(insert: Callback<String>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let admin = move || desk.session.with(|s| s.as_ref().is_some_and(|s| s.admin));
    let text = RwSignal::new(String::new());
    let shared = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = text.get_untracked();
        if !value.trim().is_empty() {
            desk.save_phrase(value, shared.get_untracked());
            text.set(String::new());
        }
    };
    view! {
        <div class="popover phrases" data-testid="phrases">
            <ul>
                <For each=move || desk.phrases.get() key=|p| (p.id.clone(), p.text.clone()) let:phrase>
                    {
                        let text = phrase.text.clone();
                        let id = phrase.id.clone();
                        let may_delete = !phrase.shared || admin();
                        view! {
                            <li>
                                <button type="button" class="ghost phrase" data-testid="phrase" on:click=move |_| insert.run(text.clone())>
                                    {phrase.shared.then_some("★ ")}{phrase.text.clone()}
                                </button>
                                {may_delete.then(|| view! {
                                    <button type="button" class="ghost" aria-label=strings.delete data-testid="phrase-delete" on:click=move |_| desk.delete_phrase(id.clone())>"×"</button>
                                })}
                            </li>
                        }
                    }
                </For>
            </ul>
            <form on:submit=add>
                <input data-testid="phrase-new" placeholder=strings.new_phrase bind:value=text maxlength="500" />
                {move || admin().then(|| view! {
                    <label><input type="checkbox" bind:checked=shared />{strings.shared}</label>
                })}
                <button type="submit" data-testid="phrase-add">{strings.add}</button>
            </form>
        </div>
    }
}

/// A small form for an order or product card.
#[component]
fn CardForm(done: Callback<()>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let [title, id, price, status, url, image] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = MessageBody::Card {
            list: "agent".into(),
            id: id.get_untracked().trim().to_string(),
            title: title.get_untracked().trim().to_string(),
            image: image.get_untracked().trim().to_string(),
            price: price.get_untracked().trim().to_string(),
            status: status.get_untracked().trim().to_string(),
            url: url.get_untracked().trim().to_string(),
        };
        match protocol::checks::check_card(&body) {
            Ok(()) => {
                desk.send_body(body);
                done.run(());
            }
            Err(why) => error.set(Some(why.to_string())),
        }
    };
    let field = move |label: &'static str, testid: &'static str, value: RwSignal<String>| {
        view! { <label>{label}<input data-testid=testid bind:value=value /></label> }
    };
    view! {
        <form class="popover card-form" data-testid="card-form" on:submit=submit>
            {field(strings.card_title, "card-title-input", title)}
            {field(strings.card_id, "card-id-input", id)}
            {field(strings.card_price, "card-price-input", price)}
            {field(strings.card_status, "card-status-input", status)}
            {field(strings.card_url, "card-url-input", url)}
            {field(strings.card_image, "card-image-input", image)}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <button type="submit" data-testid="card-send">{strings.send}</button>
        </form>
    }
}
