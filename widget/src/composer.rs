//! The composer: text (Enter sends, Shift+Enter adds a line), the built-in emoji picker, image and
//! file attachments (pick, paste, drop), and the quick-send card buttons of verified visitors.

use leptos::html::Textarea;
use leptos::prelude::*;
use protocol::MessageBody;
use wasm_bindgen::JsCast;

use crate::api::Chat;
use crate::host::Params;
use crate::i18n::Strings;

/// The built-in emoji set (no network, no images: the system font draws them).
const EMOJI: &str = "😀 😁 😂 🤣 😊 😍 😘 😎 🤔 😅 😭 😡 😱 😴 🙄 😉 🥰 🤗 🙏 👍 👎 👌 👏 🤝 💪 🎉 ❤️ 💔 🔥 ⭐ ✅ ❌ ❓ ❗ 💯 🎁 📦 🚚 💰 🛒 📷 ☕ 🌹 🍀 👋 🙂";

/// Which popup of the composer is open.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Popup {
    None,
    Emoji,
    Cards(String),
}

/// The composer at the bottom of the window.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    let params = expect_context::<Params>();
    let input: NodeRef<Textarea> = NodeRef::new();
    let popup = RwSignal::new(Popup::None);
    let typing = StoredValue::new(false);

    // `try_`: a `blur` fires while the textarea is being removed, after this component's state
    // was disposed (a session that fails replaces the composer); that blur must not panic.
    let set_typing = move |now: bool| {
        if typing.try_get_value().is_some_and(|was| was != now) {
            typing.set_value(now);
            chat.typing(now);
        }
    };
    // Removed while the visitor was typing: the agent's "typing" indicator stops too.
    on_cleanup(move || {
        if typing.try_get_value() == Some(true) {
            chat.typing(false);
        }
    });
    let send = move || {
        if let Some(el) = input.try_get_untracked().flatten() {
            if chat.send_text(el.value(), strings) {
                el.set_value("");
            }
            let _ = el.focus();
        }
        set_typing(false);
    };
    let insert = move |emoji: &str| {
        if let Some(el) = input.try_get_untracked().flatten() {
            let value = el.value();
            let at = el.selection_start().ok().flatten().map(|i| i as usize).unwrap_or(value.encode_utf16().count());
            let utf16: Vec<u16> = value.encode_utf16().collect();
            let at = at.min(utf16.len());
            let updated =
                format!("{}{emoji}{}", String::from_utf16_lossy(&utf16[..at]), String::from_utf16_lossy(&utf16[at..]));
            el.set_value(&updated);
            let cursor = (at + emoji.encode_utf16().count()) as u32;
            let _ = el.set_selection_range(cursor, cursor);
            let _ = el.focus();
        }
        popup.set(Popup::None);
    };
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });

    let file_params = params.clone();
    let on_files = move |ev: leptos::ev::Event| {
        let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        if let Some(files) = el.files() {
            for i in 0..files.length() {
                if let Some(file) = files.get(i) {
                    chat.send_file(&file_params, file);
                }
            }
        }
        el.set_value("");
    };
    let paste_params = params.clone();
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        let Some(files) = ev.clipboard_data().and_then(|d| d.files()) else { return };
        if files.length() > 0 {
            ev.prevent_default();
            for i in 0..files.length() {
                if let Some(file) = files.get(i) {
                    chat.send_file(&paste_params, file);
                }
            }
        }
    };
    // Card buttons: verified visitors only, and only for lists the page gave cards for.
    let card_buttons = move || {
        if !chat.verified.get() {
            return Vec::new();
        }
        let buttons = chat.config.with(|c| c.as_ref().map(|c| c.card_buttons.clone()).unwrap_or_default());
        chat.cards
            .with(|cards| buttons.into_iter().filter(|b| cards.get(&b.list).is_some_and(|l| !l.is_empty())).collect())
    };
    let toggle = move |p: Popup| popup.update(|current| *current = if *current == p { Popup::None } else { p });

    view! {
        <div class="cw-composer-wrap">
            {move || match popup.get() {
                Popup::None => None,
                Popup::Emoji => Some(view! {
                    <div class="cw-popup cw-emoji" role="group" aria-label=strings.emoji data-testid="cw-emoji-panel">
                        {EMOJI.split(' ').map(|e| view! {
                            <button type="button" aria-label=e data-testid="cw-emoji-option" on:click=move |_| insert(e)>{e}</button>
                        }).collect_view()}
                    </div>
                }.into_any()),
                Popup::Cards(list) => {
                    let name = chat.config.with(|c| c.as_ref().and_then(|c| c.card_buttons.iter().find(|b| b.list == list).map(|b| b.name.clone())).unwrap_or_default());
                    let cards = chat.cards.with(|c| c.get(&list).cloned().unwrap_or_default());
                    Some(view! {
                        <div class="cw-popup cw-cards" role="group" aria-label=strings.card_picker data-testid="cw-card-picker">
                            <p class="cw-popup-title">{strings.pick_card}{name}</p>
                            {cards.into_iter().map(|card| {
                                let (title, price, status) = match &card {
                                    MessageBody::Card { title, price, status, .. } => (title.clone(), price.clone(), status.clone()),
                                    _ => Default::default(),
                                };
                                view! {
                                    <button type="button" class="cw-card-option" data-testid="cw-card-option" on:click=move |_| {
                                        chat.send(card.clone());
                                        popup.set(Popup::None);
                                    }>
                                        <strong>{title}</strong>
                                        <span>{price}" "{status}</span>
                                    </button>
                                }
                            }).collect_view()}
                        </div>
                    }.into_any())
                }
            }}
            <div class="cw-tools">
                <button type="button" class="cw-tool" data-testid="cw-emoji" aria-label=strings.emoji
                    aria-expanded=move || (popup.get() == Popup::Emoji).to_string()
                    on:click=move |_| toggle(Popup::Emoji)>"😊"</button>
                <label class="cw-tool" data-testid="cw-attach-image" title=strings.image>
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm0 12.5V18h16v-3l-4-4-5 5-3-3zM8 7a2 2 0 1 0 0 4 2 2 0 0 0 0-4z" /></svg>
                    <input type="file" class="cw-visually-hidden" accept=protocol::checks::IMAGE_TYPES.join(",") aria-label=strings.image data-testid="cw-image-input" on:change=on_files.clone() />
                </label>
                <label class="cw-tool" data-testid="cw-attach-file" title=strings.file>
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M16.5 6.5v11a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v12.5a6 6 0 0 0 12 0v-11z" /></svg>
                    <input type="file" class="cw-visually-hidden" aria-label=strings.file data-testid="cw-file-input" on:change=on_files />
                </label>
                <For each=card_buttons key=|b| b.list.clone() let:button>
                    <button type="button" class="cw-tool cw-tool-text" data-testid=format!("cw-cards-{}", button.list)
                        on:click=move |_| toggle(Popup::Cards(button.list.clone()))>{button.name.clone()}</button>
                </For>
            </div>
            <form class="cw-composer" on:submit=move |ev| { ev.prevent_default(); send(); }>
                <textarea
                    class="cw-input"
                    data-testid="cw-input"
                    rows="1"
                    maxlength=protocol::MAX_TEXT_CHARS.to_string()
                    aria-label=strings.placeholder
                    placeholder=strings.placeholder
                    node_ref=input
                    on:keydown=move |ev| {
                        if client::is_send_key(&ev) {
                            send();
                        }
                    }
                    on:input=move |_| set_typing(input.try_get_untracked().flatten().is_some_and(|el| !el.value().trim().is_empty()))
                    on:blur=move |_| set_typing(false)
                    on:paste=on_paste
                ></textarea>
                <button type="submit" class="cw-send" data-testid="cw-send">{strings.send}</button>
            </form>
        </div>
    }
}
