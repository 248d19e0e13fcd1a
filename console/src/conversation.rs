//! The open conversation: its header with the actions its state allows (accept, re-activate,
//! pick up, transfer, close), the history, and the composer when the agent holds it.

use leptos::prelude::*;
use protocol::ConvStatus;

use crate::api::Desk;
use crate::composer::Composer;
use crate::i18n::Strings;
use crate::message::Bubble;

/// The selected conversation.
#[component]
pub fn Conversation() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let log: NodeRef<leptos::html::Div> = NodeRef::new();
    let lines = move || {
        let selected = desk.selected.get()?;
        Some(desk.timelines.with(|t| t.get(&selected).map(|tl| tl.lines().to_vec()).unwrap_or_default()))
    };
    Effect::new(move |_| {
        desk.timelines.track();
        desk.selected.track();
        if let Some(el) = log.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let me = move || desk.session.with(|s| s.as_ref().map(|s| s.agent_id.clone()).unwrap_or_default());
    let summary = move || desk.selected.get().and_then(|id| desk.summary_of(&id));
    // Not in any list: handed to a colleague (still going on), or closed.
    let handed_to = move || desk.selected.get().and_then(|id| desk.handed_over.with(|h| h.get(&id).cloned()));
    let state = move || {
        summary().map(|s| s.state.as_str()).unwrap_or_else(|| {
            if handed_to().is_some() {
                "transferred"
            } else {
                ConvStatus::Closed.as_str()
            }
        })
    };
    let state_label = move || match (summary(), handed_to()) {
        (None, Some(name)) => strings.transferred_to.replace("{}", &name),
        (Some(s), _) => strings.state(s.state).to_string(),
        (None, None) => strings.state(ConvStatus::Closed).to_string(),
    };
    let held = move || {
        summary().is_some_and(|s| s.state == ConvStatus::Active && s.agent_id.as_deref() == Some(me().as_str()))
    };
    // A mini-program conversation: the replies WeChat still allows, and none once they are used.
    let quota = move || summary().and_then(|s| s.quota);
    let quota_left = move || quota().map(|q| if q.until_ms > js_sys::Date::now() as u64 { q.remaining } else { 0 });
    let read_seq =
        move || desk.selected.get().and_then(|id| desk.visitor_read.with(|r| r.get(&id).copied())).unwrap_or(0);
    let transfer_open = RwSignal::new(false);
    view! {
        <section class="conversation" aria-label=strings.conversations>
            <Show when=move || desk.selected.with(Option::is_some) fallback=move || view! { <p class="empty">{strings.pick_one}</p> }>
                <header class="conv-top">
                    // Phones only (one column): back to the lists, and the visitor's sidebar.
                    <button type="button" class="ghost narrow-only" data-testid="back-to-lists" aria-label=strings.back_to_lists
                        on:click=move |_| { desk.profile_shown.set(false); desk.selected.set(None); }>"‹"</button>
                    <strong data-testid="conv-title">
                        {move || {
                            let id = desk.selected.get().unwrap_or_default();
                            summary()
                                .map(|s| s.visitor_name)
                                .or_else(|| desk.profiles.with(|p| p.get(&id).map(|p| p.name.clone())))
                                .unwrap_or(id)
                        }}
                    </strong>
                    <span class="state" data-testid="conv-state" data-state=state>{state_label}</span>
                    {move || {
                        let id = desk.selected.get().unwrap_or_default();
                        desk.visitor_online.with(|v| v.get(&id).copied()).map(|on| view! {
                            <span class="presence-note" class:on=on>{if on { strings.visitor_online } else { strings.visitor_left }}</span>
                        })
                    }}
                    {move || quota().map(|q| {
                        let left = quota_left().unwrap_or(0);
                        let text = if left == 0 {
                            strings.quota_none.to_string()
                        } else {
                            strings.quota_left.replacen("{}", &left.to_string(), 1).replacen("{}", &client::clock(q.until_ms), 1)
                        };
                        view! { <span class="quota" class:none={left == 0} data-testid="quota" data-left=left>{text}</span> }
                    })}
                    <span class="spacer"></span>
                    <button type="button" class="ghost narrow-only" data-testid="show-profile" on:click=move |_| desk.profile_shown.set(true)>
                        {strings.visitor}
                    </button>
                    <button type="button" class="ghost" data-testid="export" title=strings.export
                        on:click=move |_| crate::export::export_selected(desk, strings)>{strings.export}</button>
                    <Actions transfer_open=transfer_open />
                </header>
                {move || desk.notice.get().map(|n| view! { <p class="notice" role="alert" data-testid="notice">{n}</p> })}
                <Show when=move || transfer_open.get()>
                    <TransferPicker transfer_open=transfer_open />
                </Show>
                <div class="log" role="log" aria-live="polite" node_ref=log data-testid="log">
                    <For each=move || lines().unwrap_or_default() key=|l| (l.key.clone(), l.status == client::timeline::Status::Sent) let:line>
                        <Bubble line=line read_seq=Signal::derive(read_seq) />
                    </For>
                </div>
                <p class="typing" data-testid="visitor-typing" class:hidden=move || {
                    !desk.selected.get().is_some_and(|id| desk.typing.with(|t| t.contains(&id)))
                }>{strings.visitor_typing}</p>
                <Show when=move || held() && quota_left() != Some(0) fallback=move || view! {
                    <p class="readonly">{if held() { strings.quota_none } else { strings.read_only }}</p>
                }>
                    <Composer />
                </Show>
            </Show>
        </section>
    }
}

/// The buttons the selected conversation's state allows.
#[component]
fn Actions(transfer_open: RwSignal<bool>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let me = move || desk.session.with(|s| s.as_ref().map(|s| s.agent_id.clone()).unwrap_or_default());
    let id = move || desk.selected.get().unwrap_or_default();
    let summary = move || desk.selected.get().and_then(|id| desk.summary_of(&id));
    move || {
        let Some(s) = summary() else { return ().into_any() };
        let mine = s.agent_id.as_deref() == Some(me().as_str());
        match s.state {
            ConvStatus::Offered => view! {
                <button type="button" data-testid="accept" on:click=move |_| desk.accept(id())>{strings.accept}</button>
            }
            .into_any(),
            ConvStatus::Dormant => view! {
                <button type="button" data-testid="reactivate" on:click=move |_| desk.accept(id())>{strings.reactivate}</button>
            }
            .into_any(),
            ConvStatus::Bot | ConvStatus::Expired => view! {
                <button type="button" data-testid="pick-up" on:click=move |_| desk.pick_up(id())>{strings.pick_up}</button>
            }
            .into_any(),
            ConvStatus::Active if mine => view! {
                <button type="button" class="ghost" data-testid="transfer" on:click=move |_| transfer_open.update(|o| *o = !*o)>
                    {strings.transfer}
                </button>
                <button type="button" class="danger" data-testid="close" on:click=move |_| desk.close(id())>{strings.close}</button>
            }
            .into_any(),
            _ => ().into_any(),
        }
    }
}

/// Agents and groups to transfer to, with their availability.
#[component]
fn TransferPicker(transfer_open: RwSignal<bool>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let me = move || desk.session.with(|s| s.as_ref().map(|s| s.agent_id.clone()).unwrap_or_default());
    let go = move |agent: Option<String>, group: Option<String>| {
        if let Some(id) = desk.selected.get_untracked() {
            desk.transfer(id, agent, group);
        }
        transfer_open.set(false);
    };
    let status_text = move |p: protocol::Presence| match p {
        protocol::Presence::Online => strings.online,
        protocol::Presence::Away => strings.away,
        protocol::Presence::Offline => strings.offline,
    };
    let team = move || desk.board.with(|b| b.team.iter().filter(|m| m.id != me()).cloned().collect::<Vec<_>>());
    view! {
        <div class="transfer" data-testid="transfer-picker">
            <h3>{strings.to_agent}</h3>
            <ul>
                <For each=team key=|m| format!("{}-{:?}-{}", m.id, m.status, m.live) let:member>
                    {
                        let id = member.id.clone();
                        let full = member.live + member.pending >= member.max_sessions;
                        let status = format!("{:?}", member.status).to_lowercase();
                        view! {
                            <li>
                                <button type="button" class="ghost" data-testid="transfer-agent" data-agent=id.clone() on:click=move |_| go(Some(id.clone()), None)>
                                    <span class=format!("dot dot-{status}")></span>
                                    {member.name.clone()}
                                    <small data-testid="availability">
                                        {status_text(member.status)}" · "{member.live}"/"{member.max_sessions}
                                        {full.then(|| format!(" · {}", strings.busy))}
                                    </small>
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <h3>{strings.to_group}</h3>
            <ul>
                <For each=move || desk.board.with(|b| b.groups.clone()) key=|g| format!("{}-{}", g.id, g.available) let:group>
                    {
                        let id = group.id.clone();
                        view! {
                            <li>
                                <button type="button" class="ghost" data-testid="transfer-group" data-group=id.clone() on:click=move |_| go(None, Some(id.clone()))>
                                    {group.name.clone()}
                                    <small>{group.available}"/"{group.members}" "{strings.available}</small>
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <button type="button" class="ghost" on:click=move |_| transfer_open.set(false)>{strings.cancel}</button>
        </div>
    }
}
