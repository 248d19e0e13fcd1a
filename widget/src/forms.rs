//! The forms a conversation may need: the pre-chat form (with the group choice), the
//! leave-message form when nobody can answer, and the rating after the agent closed the chat.
//!
//! A form keeps what the visitor types in its own fields; the state changes only when it is sent.

use std::collections::BTreeMap;

use protocol::checks::check_answer;
use protocol::{PreChatKind, WidgetConfig};
use wasm_bindgen::JsValue;
use web_sys::Element;

use crate::dom::{add, el, find, set_attr, text_el};
use crate::i18n::Strings;
use crate::state::{read, LeaveForm, Rating};

/// The value of a form control (input, select, textarea).
fn value_of(control: &Element) -> String {
    js_sys::Reflect::get(control, &JsValue::from_str("value")).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// The answers of `form`'s fields, by the field's name (`data-field`).
fn answers(form: &Element) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    if let Ok(controls) = form.query_selector_all("[data-field]") {
        for i in 0..controls.length() {
            let Some(control) = controls.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<Element>(n).ok()) else {
                continue;
            };
            if let Some(name) = control.get_attribute("data-field") {
                found.insert(name, value_of(&control));
            }
        }
    }
    found
}

/// Marks a field (its `.cw-field` or fieldset, found by `data-for`) as wrong with `message`, or
/// clears it.
fn mark(form: &Element, name: &str, message: Option<&str>) {
    let Ok(Some(field)) = form.query_selector(&format!("[data-for=\"{}\"]", css_escape(name))) else { return };
    if let Some(old) = find(&field, ".cw-error") {
        old.remove();
    }
    if let Some(control) = find(&field, "[data-field]") {
        set_attr(&control, "aria-invalid", if message.is_some() { "true" } else { "false" });
    }
    if let Some(message) = message {
        add(&field, &[&text_el("span", &[("class", "cw-error"), ("role", "alert")], message)]);
    }
}

/// A name inside a quoted CSS attribute selector.
fn css_escape(name: &str) -> String {
    name.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A labelled field: `<div class=cw-field data-for=name><label/>{control}</div>`.
fn field(name: &str, id: &str, label: &str, control: &Element) -> Element {
    let field = el("div", &[("class", "cw-field"), ("data-for", name)]);
    add(&field, &[&text_el("label", &[("for", id)], label), control])
}

/// The questions asked before the first message, and the group choice.
pub fn pre_chat(config: WidgetConfig, strings: &Strings) -> Element {
    let form = el(
        "form",
        &[("class", "cw-form"), ("data-testid", "cw-pre-chat"), ("data-form", "prechat"), ("novalidate", "")],
    );
    add(&form, &[&text_el("p", &[("class", "cw-form-title")], strings.pre_chat_title)]);
    if !config.groups.is_empty() {
        let groups = el("fieldset", &[("class", "cw-groups"), ("data-testid", "cw-groups"), ("data-for", "group")]);
        add(&groups, &[&text_el("legend", &[], strings.pick_group)]);
        for g in &config.groups {
            let choice = text_el(
                "button",
                &[
                    ("type", "button"),
                    ("class", "cw-choice"),
                    ("data-testid", "cw-group"),
                    ("data-group", &g.id),
                    ("aria-pressed", "false"),
                    ("data-act", "group"),
                ],
                &g.name,
            );
            add(&groups, &[&choice]);
        }
        add(&form, &[&groups]);
    }
    for q in config.pre_chat {
        let id = format!("cw-f-{}", q.name);
        let testid = format!("cw-pre-{}", q.name);
        let label = format!("{}{}", q.label, if q.required { "" } else { strings.optional });
        let control = match q.kind {
            PreChatKind::Select => {
                let select = el("select", &[("id", &id), ("data-testid", &testid), ("data-field", &q.name)]);
                add(&select, &[&text_el("option", &[("value", "")], "—")]);
                for o in &q.options {
                    add(&select, &[&text_el("option", &[("value", o)], o)]);
                }
                select
            }
            kind => {
                let kind = match kind {
                    PreChatKind::Phone => "tel",
                    PreChatKind::Email => "email",
                    _ => "text",
                };
                el(
                    "input",
                    &[
                        ("id", &id),
                        ("type", kind),
                        ("data-testid", &testid),
                        ("autocomplete", "on"),
                        ("aria-invalid", "false"),
                        ("data-field", &q.name),
                    ],
                )
            }
        };
        add(&form, &[&field(&q.name, &id, &label, &control)]);
    }
    let submit = text_el(
        "button",
        &[("type", "submit"), ("class", "cw-button"), ("data-testid", "cw-pre-submit")],
        strings.start,
    );
    add(&form, &[&submit])
}

/// Picks a group in the pre-chat form.
pub fn pick_group(choice: &Element) {
    if let Some(groups) = choice.parent_element() {
        if let Ok(all) = groups.query_selector_all(".cw-choice") {
            for i in 0..all.length() {
                if let Some(other) = all.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<Element>(n).ok()) {
                    set_attr(&other, "aria-pressed", "false");
                }
            }
        }
    }
    set_attr(choice, "aria-pressed", "true");
}

/// Checks the pre-chat form with the same checks the Desk makes, and sends it when it passes.
pub fn submit_pre_chat(form: &Element, strings: &Strings) {
    let config = read(|c| c.config.clone().unwrap_or_default());
    let given = answers(form);
    let mut ok = true;
    for q in &config.pre_chat {
        let answer = given.get(&q.name).map(String::as_str).unwrap_or("");
        let problem = check_answer(q, answer).err().map(|p| strings.answer_problem(p));
        ok &= problem.is_none();
        mark(form, &q.name, problem);
    }
    let group = find(form, ".cw-choice[aria-pressed=true]").and_then(|g| g.get_attribute("data-group"));
    if !config.groups.is_empty() {
        ok &= group.is_some();
        mark(form, "group", group.is_none().then_some(strings.err_option));
    }
    if ok {
        let answers = protocol::lite::map_of(given.into_iter().filter(|(_, v)| !v.trim().is_empty()));
        crate::api::submit_pre_chat(answers, group);
    }
}

/// The site's leave-message form, offered when nobody can answer; once sent, a line saying so.
pub fn leave_message(offer: &LeaveForm, strings: &Strings) -> Element {
    if offer.sent {
        return text_el(
            "p",
            &[("class", "cw-done"), ("role", "status"), ("data-testid", "cw-leave-sent")],
            strings.leave_sent,
        );
    }
    let form = el(
        "form",
        &[
            ("class", "cw-form cw-inline-form"),
            ("data-testid", "cw-leave-form"),
            ("data-form", "leave"),
            ("novalidate", ""),
        ],
    );
    add(&form, &[&text_el("p", &[("class", "cw-form-title")], &offer.intro)]);
    for f in &offer.fields {
        let id = format!("cw-l-{}", f.name);
        let testid = format!("cw-leave-{}", f.name);
        let shown = f.label.clone().unwrap_or_else(|| strings.field_label(&f.name));
        let label = format!("{shown}{}", if f.required { "" } else { strings.optional });
        let attrs = [("id", id.as_str()), ("data-testid", &testid), ("aria-invalid", "false"), ("data-field", &f.name)];
        let control = if f.name == "message" || f.name == "content" {
            let area = el("textarea", &attrs);
            let _ = area.set_attribute("rows", "3");
            area
        } else {
            el("input", &attrs)
        };
        add(&form, &[&field(&f.name, &id, &label, &control)]);
    }
    let submit = text_el(
        "button",
        &[("type", "submit"), ("class", "cw-button"), ("data-testid", "cw-leave-submit")],
        strings.leave_send,
    );
    add(&form, &[&submit])
}

/// Sends the leave-message form when its required fields are filled in.
pub fn submit_leave_message(form: &Element, strings: &Strings) {
    let fields = read(|c| c.leave_form.as_ref().map(|f| f.fields.clone()).unwrap_or_default());
    let given = answers(form);
    let mut ok = true;
    for f in &fields {
        let missing = f.required && given.get(&f.name).is_none_or(|v| v.trim().is_empty());
        ok &= !missing;
        mark(form, &f.name, missing.then_some(strings.err_required));
    }
    if ok {
        crate::api::leave_message(given);
    }
}

/// The rating asked for after the agent closed the conversation.
pub fn rate(rating: Rating, strings: &Strings) -> Element {
    let view = el("div", &[("class", "cw-rate"), ("data-testid", "cw-rate")]);
    add(&view, &[&text_el("p", &[("class", "cw-closed")], strings.closed)]);
    if let Rating::Done(_) = rating {
        return add(
            &view,
            &[&text_el("p", &[("class", "cw-done"), ("role", "status"), ("data-testid", "cw-rated")], strings.rated)],
        );
    }
    let form = el("form", &[("class", "cw-form cw-inline-form"), ("data-form", "rate")]);
    let stars = el("div", &[("class", "cw-stars"), ("role", "group"), ("aria-label", strings.rate_title)]);
    for n in 1..=5u8 {
        let star = text_el(
            "button",
            &[
                ("type", "button"),
                ("data-testid", &format!("cw-star-{n}")),
                ("class", "cw-star"),
                ("aria-pressed", "false"),
                ("aria-label", &format!("{n}{}", strings.stars)),
                ("data-act", "star"),
                ("data-v", &n.to_string()),
            ],
            "★",
        );
        add(&stars, &[&star]);
    }
    let comment = el(
        "textarea",
        &[
            ("rows", "2"),
            ("placeholder", strings.rate_comment),
            ("aria-label", strings.rate_comment),
            ("data-testid", "cw-rate-comment"),
        ],
    );
    let submit = text_el(
        "button",
        &[("type", "submit"), ("class", "cw-button"), ("data-testid", "cw-rate-submit"), ("disabled", "")],
        strings.rate_send,
    );
    add(&form, &[&text_el("p", &[("class", "cw-form-title")], strings.rate_title), &stars, &comment, &submit]);
    add(&view, &[&form])
}

/// Picks `score` stars: they light up to it, and the form can be sent.
pub fn pick_star(star: &Element, score: u8) {
    let Some(form) = star.closest("form").ok().flatten() else { return };
    if let Ok(all) = form.query_selector_all(".cw-star") {
        for i in 0..all.length() {
            let Some(s) = all.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<Element>(n).ok()) else { continue };
            let n = i as u8 + 1;
            set_attr(&s, "class", if n <= score { "cw-star on" } else { "cw-star" });
            set_attr(&s, "aria-pressed", if n == score { "true" } else { "false" });
        }
    }
    set_attr(&form, "data-score", &score.to_string());
    if let Some(submit) = find(&form, "[type=submit]") {
        let _ = submit.remove_attribute("disabled");
    }
}

/// Sends the rating once a score was picked.
pub fn submit_rating(form: &Element) {
    let score = form.get_attribute("data-score").and_then(|s| s.parse::<u8>().ok()).unwrap_or(0);
    if score > 0 {
        let comment = find(form, "textarea").map(|t| value_of(&t)).unwrap_or_default();
        crate::api::rate(score, comment);
    }
}
