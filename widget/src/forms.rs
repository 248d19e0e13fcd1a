//! The forms a conversation may need: the pre-chat form (with the group choice), the
//! leave-message form when nobody can answer, and the rating after the agent closed the chat.

use std::collections::BTreeMap;

use leptos::prelude::*;
use protocol::checks::check_answer;
use protocol::PreChatKind;

use crate::api::{Chat, Rating};
use crate::host::Params;
use crate::i18n::Strings;

/// Answers typed so far, by field name.
type Answers = RwSignal<BTreeMap<String, String>>;

fn set_answer(answers: Answers, name: &str, value: String) {
    answers.update(|a| {
        a.insert(name.to_string(), value);
    });
}

/// The questions asked before the first message, and the group choice.
#[component]
pub fn PreChat() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    let params = expect_context::<Params>();
    let config = chat.config.get_untracked().unwrap_or_default();
    let answers: Answers = RwSignal::new(BTreeMap::new());
    let errors = RwSignal::new(BTreeMap::<String, &'static str>::new());
    let group = RwSignal::new(None::<String>);
    let fields = config.pre_chat.clone();
    let groups = config.groups.clone();
    let needs_group = !groups.is_empty();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let given = answers.get_untracked();
        let mut found = BTreeMap::new();
        for field in &fields {
            let answer = given.get(&field.name).map(String::as_str).unwrap_or("");
            if let Err(problem) = check_answer(field, answer) {
                found.insert(field.name.clone(), strings.answer_problem(problem));
            }
        }
        if needs_group && group.get_untracked().is_none() {
            found.insert("group".into(), strings.err_option);
        }
        let ok = found.is_empty();
        errors.set(found);
        if ok {
            let answers = protocol::lite::map_of(given.into_iter().filter(|(_, v)| !v.trim().is_empty()));
            chat.submit_pre_chat(&params, answers, group.get_untracked());
        }
    };
    let error = move |name: String| {
        move || errors.with(|e| e.get(&name).copied()).map(|m| view! { <span class="cw-error" role="alert">{m}</span> })
    };

    view! {
        <form class="cw-form" data-testid="cw-pre-chat" on:submit=submit novalidate>
            <p class="cw-form-title">{strings.pre_chat_title}</p>
            {needs_group.then(|| view! {
                <fieldset class="cw-groups" data-testid="cw-groups">
                    <legend>{strings.pick_group}</legend>
                    {groups.into_iter().map(|g| {
                        let id = g.id.clone();
                        let pressed = id.clone();
                        view! {
                            <button type="button" class="cw-choice" data-testid="cw-group" data-group=g.id.clone()
                                aria-pressed=move || (group.get().as_deref() == Some(pressed.as_str())).to_string()
                                on:click=move |_| group.set(Some(id.clone()))>{g.name}</button>
                        }
                    }).collect_view()}
                    {error("group".into())}
                </fieldset>
            })}
            {config.pre_chat.into_iter().map(|field| {
                let name = field.name.clone();
                let id = format!("cw-f-{name}");
                let label = format!("{}{}", field.label, if field.required { "" } else { strings.optional });
                let input = match field.kind {
                    PreChatKind::Select => {
                        let n = name.clone();
                        view! {
                            <select id=id.clone() data-testid=format!("cw-pre-{name}") on:change=move |ev| set_answer(answers, &n, event_target_value(&ev))>
                                <option value="">"—"</option>
                                {field.options.into_iter().map(|o| {
                                    let value = o.clone();
                                    view! { <option value=value>{o}</option> }
                                }).collect_view()}
                            </select>
                        }.into_any()
                    }
                    kind => {
                        let n = name.clone();
                        let kind = match kind {
                            PreChatKind::Phone => "tel",
                            PreChatKind::Email => "email",
                            _ => "text",
                        };
                        view! {
                            <input id=id.clone() type=kind data-testid=format!("cw-pre-{name}") autocomplete="on"
                                aria-invalid=move || errors.with(|e| e.contains_key(&n)).to_string()
                                on:input={ let n = name.clone(); move |ev| set_answer(answers, &n, event_target_value(&ev)) } />
                        }.into_any()
                    }
                };
                view! {
                    <div class="cw-field">
                        <label for=id>{label}</label>
                        {input}
                        {error(name)}
                    </div>
                }
            }).collect_view()}
            <button type="submit" class="cw-button" data-testid="cw-pre-submit">{strings.start}</button>
        </form>
    }
}

/// The site's leave-message form, offered when nobody can answer.
#[component]
pub fn LeaveMessage() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    let form = chat.leave_form.get_untracked().unwrap_or_else(|| crate::api::LeaveForm {
        intro: String::new(),
        fields: Vec::new(),
        sent: false,
    });
    let answers: Answers = RwSignal::new(BTreeMap::new());
    let missing = RwSignal::new(Vec::<String>::new());
    let fields = form.fields.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let given = answers.get_untracked();
        let empty: Vec<String> = fields
            .iter()
            .filter(|f| f.required && given.get(&f.name).is_none_or(|v| v.trim().is_empty()))
            .map(|f| f.name.clone())
            .collect();
        let ok = empty.is_empty();
        missing.set(empty);
        if ok {
            chat.leave_message(given);
        }
    };
    let sent = move || chat.leave_form.with(|f| f.as_ref().is_some_and(|f| f.sent));
    view! {
        <Show
            when=move || !sent()
            fallback=move || view! { <p class="cw-done" role="status" data-testid="cw-leave-sent">{strings.leave_sent}</p> }
        >
            <form class="cw-form cw-inline-form" data-testid="cw-leave-form" on:submit=submit.clone() novalidate>
                <p class="cw-form-title">{form.intro.clone()}</p>
                {form.fields.clone().into_iter().map(|field| {
                    let name = field.name.clone();
                    let id = format!("cw-l-{name}");
                    let shown = field.label.clone().unwrap_or_else(|| strings.field_label(&name));
                    let label = format!("{shown}{}", if field.required { "" } else { strings.optional });
                    let n = name.clone();
                    let on_input = move |ev| set_answer(answers, &n, event_target_value(&ev));
                    let m = StoredValue::new(name.clone());
                    let invalid = move || missing.with(|list| m.with_value(|m| list.contains(m)));
                    let input = if name == "message" || name == "content" {
                        view! { <textarea id=id.clone() rows="3" data-testid=format!("cw-leave-{name}") aria-invalid=move || invalid().to_string() on:input=on_input></textarea> }.into_any()
                    } else {
                        view! { <input id=id.clone() data-testid=format!("cw-leave-{name}") aria-invalid=move || invalid().to_string() on:input=on_input /> }.into_any()
                    };
                    view! {
                        <div class="cw-field">
                            <label for=id>{label}</label>
                            {input}
                            {move || invalid().then(|| view! { <span class="cw-error" role="alert">{strings.err_required}</span> })}
                        </div>
                    }
                }).collect_view()}
                <button type="submit" class="cw-button" data-testid="cw-leave-submit">{strings.leave_send}</button>
            </form>
        </Show>
    }
}

/// The rating asked for after the agent closed the conversation.
#[component]
pub fn RateChat() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    let score = RwSignal::new(0u8);
    let comment = RwSignal::new(String::new());
    view! {
        <div class="cw-rate" data-testid="cw-rate">
            <p class="cw-closed">{strings.closed}</p>
            {move || match chat.rating.get() {
                Rating::Done(_) => view! { <p class="cw-done" role="status" data-testid="cw-rated">{strings.rated}</p> }.into_any(),
                _ => view! {
                    <form class="cw-form cw-inline-form" on:submit=move |ev| {
                        ev.prevent_default();
                        if score.get_untracked() > 0 {
                            chat.rate(score.get_untracked(), comment.get_untracked());
                        }
                    }>
                        <p class="cw-form-title">{strings.rate_title}</p>
                        <div class="cw-stars" role="group" aria-label=strings.rate_title>
                            {(1..=5u8).map(|n| view! {
                                <button type="button" data-testid=format!("cw-star-{n}")
                                    class=move || { if score.get() >= n { "cw-star on" } else { "cw-star" } }
                                    aria-pressed=move || (score.get() == n).to_string()
                                    aria-label=format!("{n}{}", strings.stars)
                                    on:click=move |_| score.set(n)>"★"</button>
                            }).collect_view()}
                        </div>
                        <textarea rows="2" placeholder=strings.rate_comment aria-label=strings.rate_comment data-testid="cw-rate-comment"
                            on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                        <button type="submit" class="cw-button" data-testid="cw-rate-submit" disabled=move || score.get() == 0>{strings.rate_send}</button>
                    </form>
                }.into_any(),
            }}
        </div>
    }
}
