//! What the visitor does: one listener per kind of event on the widget's root, which finds the
//! control by its `data-act` (clicks, file inputs) or `data-form` (submits) and calls the code
//! that acts on it. Nothing is listened to per element, so nothing is left behind when parts of
//! the page are rebuilt.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlElement, HtmlInputElement, KeyboardEvent};

use crate::api;
use crate::composer::{self, input_of};
use crate::dom::focus;
use crate::state::{read, update, Popup};
use crate::view::strings;

/// Listens on the root for everything the visitor does in the widget.
pub fn listen(root: &Element) {
    on(root, "click", click);
    on(root, "submit", submit);
    on(root, "keydown", keydown);
    on(root, "input", input);
    on(root, "change", change);
    on(root, "focusout", focusout);
    on(root, "paste", paste);
    on(root, "dragover", |ev| {
        if in_window(&ev) {
            ev.prevent_default();
        }
    });
    on(root, "drop", drop);
}

fn on(root: &Element, kind: &str, handler: fn(Event)) {
    let closure = Closure::<dyn FnMut(Event)>::new(handler);
    let _ = root.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
    closure.forget();
}

fn target(ev: &Event) -> Option<Element> {
    ev.target().and_then(|t| t.dyn_into::<Element>().ok())
}

/// The control the event happened on (the nearest with `data-act`), and its action.
fn acted(ev: &Event) -> Option<(Element, String)> {
    let el = target(ev)?.closest("[data-act]").ok().flatten()?;
    let act = el.get_attribute("data-act")?;
    Some((el, act))
}

fn in_window(ev: &Event) -> bool {
    target(ev).and_then(|t| t.closest(".cw-window").ok().flatten()).is_some()
}

fn window_input() -> Option<web_sys::HtmlTextAreaElement> {
    crate::dom::doc().document_element().and_then(|d| input_of(&d))
}

/// Closes the window and gives the focus back to the launcher.
fn close() {
    api::set_open(false);
    // The launcher stays where it is, so it can take the focus at once.
    focus(".cw-launcher");
}

fn click(ev: Event) {
    let Some((el, act)) = acted(&ev) else { return };
    let value = el.get_attribute("data-v").unwrap_or_default();
    match act.as_str() {
        "launcher" => api::set_open(!read(|c| c.open)),
        "close" => close(),
        "retry" => {
            if let Some(key) = el.closest("[data-key]").ok().flatten().and_then(|m| m.get_attribute("data-key")) {
                crate::upload::retry(key);
            }
        }
        "image" => {
            let src = el.query_selector("img").ok().flatten().and_then(|img| img.get_attribute("src"));
            if src.is_some() {
                update(|c| c.lightbox = src);
            }
        }
        "lightbox" => update(|c| c.lightbox = None),
        "emoji" => composer::toggle(Popup::Emoji),
        "insert" => {
            if let (Some(input), Some(emoji)) = (window_input(), el.text_content()) {
                composer::insert(&input, &emoji);
            }
        }
        "cards" => composer::toggle(Popup::Cards(value)),
        "card" => composer::send_card(value.parse().unwrap_or(usize::MAX)),
        "group" => crate::forms::pick_group(&el),
        "star" => crate::forms::pick_star(&el, value.parse().unwrap_or(0)),
        "failed" => {
            if read(|c| matches!(&c.phase, crate::state::Phase::Failed(code, _) if code == "unknown_entry")) {
                update(|c| c.entry = None);
            }
            api::restart();
        }
        _ => {}
    }
}

fn submit(ev: Event) {
    let Some(form) = target(&ev) else { return };
    let Some(kind) = form.get_attribute("data-form") else { return };
    ev.prevent_default();
    let strings = strings();
    match kind.as_str() {
        "compose" => {
            if let Some(input) = input_of(&form) {
                composer::send(&input);
            }
        }
        "prechat" => crate::forms::submit_pre_chat(&form, strings),
        "leave" => crate::forms::submit_leave_message(&form, strings),
        "rate" => crate::forms::submit_rating(&form),
        _ => {}
    }
}

fn keydown(ev: Event) {
    let Some(key_ev) = ev.dyn_ref::<KeyboardEvent>() else { return };
    let Some(window) = target(&ev).and_then(|t| t.closest(".cw-window").ok().flatten()) else { return };
    match key_ev.key().as_str() {
        "Escape" => {
            if read(|c| c.lightbox.is_some()) {
                update(|c| c.lightbox = None);
            } else {
                close();
            }
        }
        "Tab" => trap_focus(&window, key_ev),
        _ => {
            let input = target(&ev).and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok());
            if let Some(input) = input.filter(|i| i.class_list().contains("cw-input")) {
                if client::is_send_key(key_ev) {
                    composer::send(&input);
                }
            }
        }
    }
}

/// Typing in the composer tells the agent (only when it changes).
fn input(ev: Event) {
    if let Some(input) = target(&ev).and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
        if input.class_list().contains("cw-input") {
            api::typing(!input.value().trim().is_empty());
        }
    }
}

fn change(ev: Event) {
    let Some((el, act)) = acted(&ev) else { return };
    if act != "files" {
        return;
    }
    if let Ok(input) = el.dyn_into::<HtmlInputElement>() {
        crate::upload::send_files(input.files());
        input.set_value("");
    }
}

/// Leaving the composer stops "typing". This can fire during a render (the composer removed
/// while focused), so it touches no state.
fn focusout(ev: Event) {
    if target(&ev).is_some_and(|t| t.class_list().contains("cw-input")) {
        api::typing(false);
    }
}

fn paste(ev: Event) {
    let Some(clipboard) = ev.dyn_ref::<web_sys::ClipboardEvent>().and_then(|c| c.clipboard_data()) else { return };
    if let Some(files) = clipboard.files().filter(|f| f.length() > 0) {
        ev.prevent_default();
        crate::upload::send_files(Some(files));
    }
}

fn drop(ev: Event) {
    if !in_window(&ev) {
        return;
    }
    ev.prevent_default();
    if let Some(drag) = ev.dyn_ref::<web_sys::DragEvent>() {
        crate::upload::send_files(drag.data_transfer().and_then(|d| d.files()));
    }
}

/// Keeps Tab and Shift+Tab inside the window.
fn trap_focus(window: &Element, ev: &KeyboardEvent) {
    let Ok(nodes) = window.query_selector_all("button,textarea,input,select,a[href]") else { return };
    let focusable: Vec<HtmlElement> = (0..nodes.length())
        .filter_map(|i| nodes.item(i)?.dyn_into::<HtmlElement>().ok())
        .filter(|el| !el.has_attribute("disabled") && el.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else { return };
    let active = crate::dom::doc().active_element();
    let at = |el: &HtmlElement| active.as_ref().is_some_and(|a| a == el.unchecked_ref::<Element>());
    if ev.shift_key() && at(first) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && at(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}
