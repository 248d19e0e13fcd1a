//! The composer: text (Enter sends, Shift+Enter adds a line), the built-in emoji picker, image and
//! file attachments (pick, paste, drop), and the quick-send card buttons of verified visitors.

use protocol::MessageBody;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlTextAreaElement};

use crate::dom::{add, el, find, icon, set_attr, text_el, Slot};
use crate::i18n::Strings;
use crate::state::{read, update, Chat, Popup};

/// The built-in emoji set (no network, no images: the system font draws them).
const EMOJI: &str = "😀 😁 😂 🤣 😊 😍 😘 😎 🤔 😅 😭 😡 😱 😴 🙄 😉 🥰 🤗 🙏 👍 👎 👌 👏 🤝 💪 🎉 ❤️ 💔 🔥 ⭐ ✅ ❌ ❓ ❗ 💯 🎁 📦 🚚 💰 🛒 📷 ☕ 🌹 🍀 👋 🙂";

/// What the popup shows: the emoji, or a list's name and cards.
#[derive(Debug, Clone, PartialEq)]
enum PopupView {
    Emoji,
    Cards(String, Vec<MessageBody>),
}

/// The composer on the page.
pub struct ComposerUi {
    /// Its outer element.
    pub wrap: Element,
    popup: Slot<PopupView>,
    emoji: Element,
    card_buttons: Slot<Vec<(String, String)>>,
}

impl ComposerUi {
    /// Builds the composer.
    pub fn build(strings: &Strings) -> Self {
        let wrap = el("div", &[("class", "cw-composer-wrap")]);
        let popup = Slot::new(&wrap);
        let tools = el("div", &[("class", "cw-tools")]);
        let emoji = text_el(
            "button",
            &[
                ("type", "button"),
                ("class", "cw-tool"),
                ("data-testid", "cw-emoji"),
                ("aria-label", strings.emoji),
                ("aria-expanded", "false"),
                ("data-act", "emoji"),
            ],
            "😊",
        );
        let image_types = protocol::checks::IMAGE_TYPES.join(",");
        let image = attach(
            "cw-attach-image",
            strings.image,
            "M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm0 12.5V18h16v-3l-4-4-5 5-3-3zM8 7a2 2 0 1 0 0 4 2 2 0 0 0 0-4z",
            &[("accept", &image_types), ("data-testid", "cw-image-input")],
        );
        let file = attach(
            "cw-attach-file",
            strings.file,
            "M16.5 6.5v11a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v12.5a6 6 0 0 0 12 0v-11z",
            &[("data-testid", "cw-file-input")],
        );
        add(&tools, &[&emoji, &image, &file]);
        let card_buttons = Slot::new(&tools);
        let form = el("form", &[("class", "cw-composer"), ("data-form", "compose")]);
        let max = protocol::MAX_TEXT_CHARS.to_string();
        let input = el(
            "textarea",
            &[
                ("class", "cw-input"),
                ("data-testid", "cw-input"),
                ("rows", "1"),
                ("maxlength", &max),
                ("aria-label", strings.placeholder),
                ("placeholder", strings.placeholder),
            ],
        );
        let send =
            text_el("button", &[("type", "submit"), ("class", "cw-send"), ("data-testid", "cw-send")], strings.send);
        add(&form, &[&input, &send]);
        add(&wrap, &[&tools, &form]);
        Self { wrap, popup, emoji, card_buttons }
    }

    /// Follows the state: the popup, the emoji button, the card buttons.
    pub fn render(&mut self, chat: &Chat, strings: &Strings) {
        let view = match &chat.popup {
            Popup::None => None,
            Popup::Emoji => Some(PopupView::Emoji),
            Popup::Cards(list) => {
                Some(PopupView::Cards(button_name(chat, list), chat.cards.get(list).cloned().unwrap_or_default()))
            }
        };
        self.popup.show(view, |view| popup(view, strings));
        set_attr(&self.emoji, "aria-expanded", if chat.popup == Popup::Emoji { "true" } else { "false" });
        // Card buttons: verified visitors only, and only for lists the page gave cards for.
        let buttons: Vec<(String, String)> = match &chat.config {
            Some(config) if chat.verified => config
                .card_buttons
                .iter()
                .filter(|b| chat.cards.get(&b.list).is_some_and(|l| !l.is_empty()))
                .map(|b| (b.list.clone(), b.name.clone()))
                .collect(),
            _ => Vec::new(),
        };
        self.card_buttons.show(Some(buttons), |buttons| {
            let group = el("span", &[("class", "cw-tool-group")]);
            for (list, name) in buttons {
                let id = format!("cw-cards-{list}");
                let button = text_el(
                    "button",
                    &[
                        ("type", "button"),
                        ("class", "cw-tool cw-tool-text"),
                        ("data-testid", &id),
                        ("data-act", "cards"),
                        ("data-v", list),
                    ],
                    name,
                );
                add(&group, &[&button]);
            }
            group
        });
    }

    /// Puts the cursor in the text box.
    pub fn focus(&self) {
        if let Some(input) = input_of(&self.wrap) {
            let _ = input.focus();
        }
    }
}

fn button_name(chat: &Chat, list: &str) -> String {
    chat.config
        .as_ref()
        .and_then(|c| c.card_buttons.iter().find(|b| b.list == list).map(|b| b.name.clone()))
        .unwrap_or_default()
}

/// An attach button: a label around a hidden file input.
fn attach(testid: &str, label: &str, path: &str, input_attrs: &[(&str, &str)]) -> Element {
    let tool = el("label", &[("class", "cw-tool"), ("data-testid", testid), ("title", label)]);
    let input =
        el("input", &[("type", "file"), ("class", "cw-visually-hidden"), ("aria-label", label), ("data-act", "files")]);
    for (name, value) in input_attrs {
        let _ = input.set_attribute(name, value);
    }
    add(&tool, &[&icon("", path), &input])
}

fn popup(view: &PopupView, strings: &Strings) -> Element {
    match view {
        PopupView::Emoji => {
            let panel = el(
                "div",
                &[
                    ("class", "cw-popup cw-emoji"),
                    ("role", "group"),
                    ("aria-label", strings.emoji),
                    ("data-testid", "cw-emoji-panel"),
                ],
            );
            for e in EMOJI.split(' ') {
                let option = text_el(
                    "button",
                    &[
                        ("type", "button"),
                        ("aria-label", e),
                        ("data-testid", "cw-emoji-option"),
                        ("data-act", "insert"),
                    ],
                    e,
                );
                add(&panel, &[&option]);
            }
            panel
        }
        PopupView::Cards(name, cards) => {
            let panel = el(
                "div",
                &[
                    ("class", "cw-popup cw-cards"),
                    ("role", "group"),
                    ("aria-label", strings.card_picker),
                    ("data-testid", "cw-card-picker"),
                ],
            );
            add(&panel, &[&text_el("p", &[("class", "cw-popup-title")], &format!("{}{name}", strings.pick_card))]);
            for (i, card) in cards.iter().enumerate() {
                let MessageBody::Card { title, price, status, .. } = card else { continue };
                let option = el(
                    "button",
                    &[
                        ("type", "button"),
                        ("class", "cw-card-option"),
                        ("data-testid", "cw-card-option"),
                        ("data-act", "card"),
                        ("data-v", &i.to_string()),
                    ],
                );
                add(&option, &[&text_el("strong", &[], title), &text_el("span", &[], &format!("{price} {status}"))]);
                add(&panel, &[&option]);
            }
            panel
        }
    }
}

/// The composer's text box under `root`.
pub fn input_of(root: &Element) -> Option<HtmlTextAreaElement> {
    find(root, ".cw-input").and_then(|e| e.dyn_into().ok())
}

/// Sends what the text box holds (kept when it is too long), and stops "typing".
pub fn send(input: &HtmlTextAreaElement) {
    if crate::api::send_text(&input.value(), crate::view::strings()) {
        input.set_value("");
    }
    let _ = input.focus();
    crate::api::typing(false);
}

/// Puts an emoji at the cursor and closes the picker.
pub fn insert(input: &HtmlTextAreaElement, emoji: &str) {
    let value = input.value();
    let utf16: Vec<u16> = value.encode_utf16().collect();
    let at = input.selection_start().ok().flatten().map_or(utf16.len(), |i| i as usize).min(utf16.len());
    let updated =
        format!("{}{emoji}{}", String::from_utf16_lossy(&utf16[..at]), String::from_utf16_lossy(&utf16[at..]));
    input.set_value(&updated);
    let cursor = (at + emoji.encode_utf16().count()) as u32;
    let _ = input.set_selection_range(cursor, cursor);
    let _ = input.focus();
    update(|c| c.popup = Popup::None);
}

/// Opens the popup `p`, or closes it when it is the one open.
pub fn toggle(p: Popup) {
    update(|c| c.popup = if c.popup == p { Popup::None } else { p });
}

/// Sends the card at `index` of the open card list.
pub fn send_card(index: usize) {
    let card = read(|c| match &c.popup {
        Popup::Cards(list) => c.cards.get(list).and_then(|l| l.get(index)).cloned(),
        _ => None,
    });
    if let Some(card) = card {
        crate::api::send(card);
    }
    update(|c| c.popup = Popup::None);
}
