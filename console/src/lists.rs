//! The left column: the agent's pending and active chats, then the site-wide lists (dormant,
//! queued, bot, expired, left messages, closed today), each with its count.

use leptos::prelude::*;
use protocol::{Channel, ConvStatus, ConversationSummary};

use crate::api::Desk;
use crate::i18n::Strings;
use crate::search::{SearchBox, SearchResults};

/// Every list, live.
#[component]
pub fn Lists() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let me = move || desk.session.with(|s| s.as_ref().map(|s| s.agent_id.clone()).unwrap_or_default());
    // The session group (会话分组) the lists are narrowed to, if any.
    let filter = RwSignal::new(None::<String>);
    let shown = move |c: &ConversationSummary| filter.with(|f| f.as_ref().is_none_or(|g| c.session_groups.contains(g)));
    let mine_in = move |state: ConvStatus| {
        Signal::derive(move || {
            let me = me();
            desk.conversations.with(|l| {
                l.iter()
                    .filter(|c| c.state == state && c.agent_id.as_deref() == Some(me.as_str()) && shown(c))
                    .cloned()
                    .collect()
            })
        })
    };
    // Dormant: the agent's own, then the site's others.
    let dormant = Signal::derive(move || {
        let mut list: Vec<ConversationSummary> =
            desk.conversations.with(|l| l.iter().filter(|c| c.state == ConvStatus::Dormant).cloned().collect());
        desk.board.with(|b| {
            for c in &b.dormant {
                if !list.iter().any(|x| x.conversation_id == c.conversation_id) {
                    list.push(c.clone());
                }
            }
        });
        list.retain(shown);
        list
    });
    let board = move |pick: fn(&protocol::Board) -> &Vec<ConversationSummary>| {
        Signal::derive(move || desk.board.with(|b| pick(b).iter().filter(|c| shown(c)).cloned().collect()))
    };
    let searching = move || desk.search.with(Option::is_some);
    view! {
        <nav class="lists" aria-label=strings.conversations>
            <SearchBox />
            <Show when=searching>
                <SearchResults />
            </Show>
            // Hidden, not dropped, during a search: the lists keep their state underneath.
            <div class="all-lists" hidden=searching data-testid="lists" aria-busy=move || (!desk.loaded.get()).to_string()>
                <Filters filter />
                <Section name="pending" title=strings.pending items=mine_in(ConvStatus::Offered) />
                <Section name="mine" title=strings.mine items=mine_in(ConvStatus::Active) />
                <Section name="dormant" title=strings.dormant items=dormant />
                <Section name="queued" title=strings.queued items=board(|b| &b.queued) />
                <Section name="bot" title=strings.bot items=board(|b| &b.bot) />
                <Section name="expired" title=strings.expired items=board(|b| &b.expired) />
                <LeftMessages />
                <ClosedToday />
            </div>
        </nav>
    }
}

/// The session groups as filters over every list, each with how many conversations it holds
/// (shown when the site defines some).
#[component]
fn Filters(filter: RwSignal<Option<String>>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let count = move |group: &str| {
        let mut ids = std::collections::HashSet::new();
        let mut note = |c: &ConversationSummary| {
            if c.session_groups.iter().any(|g| g == group) {
                ids.insert(c.conversation_id.clone());
            }
        };
        desk.conversations.with(|l| l.iter().for_each(&mut note));
        desk.board.with(|b| [&b.queued, &b.bot, &b.expired, &b.dormant].into_iter().flatten().for_each(&mut note));
        ids.len()
    };
    let chip = move |id: Option<String>, name: String| {
        let pressed = id.clone();
        let group = id.clone().unwrap_or_default();
        let attr = group.clone();
        view! {
            <button
                type="button"
                data-group=attr
                aria-pressed=move || filter.with(|f| *f == pressed).to_string()
                on:click=move |_| filter.set(id.clone())
            >
                {name}
                {(!group.is_empty()).then(|| view! { <span class="count">{move || count(&group)}</span> })}
            </button>
        }
    };
    move || {
        let groups = desk.board.with(|b| b.session_groups.clone());
        (!groups.is_empty()).then(|| {
            view! {
                <div class="filters" role="group" aria-label=strings.session_groups data-testid="session-groups">
                    {chip(None, strings.all.to_string())}
                    {groups.into_iter().map(|g| chip(Some(g.id), g.name)).collect_view()}
                </div>
            }
        })
    }
}

/// One list of conversations with its count. Each item: the visitor's name, the time and one line
/// of the newest message, the unread count, then its channel, plugin and session groups and, while
/// the visitor waits for an answer in a queue or a pending list, for how long (amber, then red at
/// the site's thresholds).
#[component]
fn Section(name: &'static str, title: &'static str, items: Signal<Vec<ConversationSummary>>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let count = move || items.with(Vec::len);
    // A row is made once per conversation and state; what changes inside it is read from the list.
    let current = move |id: &str| items.with(|l| l.iter().find(|c| c.conversation_id == id).cloned());
    view! {
        <section class="list" data-list=name data-testid=format!("list-{name}")>
            <h2>{title}<span class="count" data-testid="count">{move || if desk.loaded.get() { count().to_string() } else { "…".to_string() }}</span></h2>
            <ul role="listbox" aria-label=title>
                <For each=move || items.get() key=|c| (c.conversation_id.clone(), c.state) let:conv>
                    {
                        let id = conv.conversation_id.clone();
                        let id_selected = id.clone();
                        let (id_when, id_line, id_unread, id_wait) = (id.clone(), id.clone(), id.clone(), id.clone());
                        // A visitor waits for a person; the bot answers at once.
                        let waits = !matches!(conv.state, ConvStatus::Bot | ConvStatus::Expired);
                        let group_names: Vec<String> = desk.board.with_untracked(|b| {
                            conv.session_groups
                                .iter()
                                .filter_map(|g| b.session_groups.iter().find(|i| &i.id == g).map(|i| i.name.clone()))
                                .collect()
                        });
                        view! {
                            <li
                                role="option"
                                tabindex="0"
                                class="conv"
                                data-testid="conversation"
                                data-conversation=id.clone()
                                data-state=conv.state.as_str()
                                aria-selected=move || (desk.selected.get().as_deref() == Some(id_selected.as_str())).to_string()
                                on:click={
                                    let id = id.clone();
                                    move |_| desk.select(id.clone())
                                }
                                on:keydown=move |ev| {
                                    if ev.key() == "Enter" {
                                        desk.select(id.clone());
                                    }
                                }
                            >
                                <span class="who">
                                    {conv.visitor_name.clone()}
                                    {conv.verified.then(|| view! { <span class="tick" title="verified">"✓"</span> })}
                                </span>
                                <time class="when" data-testid="when">
                                    {move || current(&id_when).and_then(|c| c.last).map(|l| stamp(l.at_ms, desk.now.get()))}
                                </time>
                                <span class="preview" data-testid="preview">
                                    {move || {
                                        if desk.typing.with(|t| t.contains(&id_line)) {
                                            return view! { <span class="typing-dot">{strings.typing_now}</span> }.into_any();
                                        }
                                        let line = current(&id_line).and_then(|c| c.last).map(|l| strings.last_line(&l));
                                        line.unwrap_or_default().into_any()
                                    }}
                                </span>
                                {move || desk.unread.with(|u| u.get(&id_unread).copied()).map(|n| view! { <span class="badge" data-testid="unread">{n}</span> })}
                                <span class="tags">
                                    {(conv.channel != Channel::Web).then(|| view! {
                                        <small class="channel" data-testid="channel" data-channel=conv.channel.as_str()>{strings.channel_name(conv.channel)}</small>
                                    })}
                                    {conv.plugin.clone().map(|p| view! { <small class="plugin" data-testid="plugin">{p}</small> })}
                                    {group_names.into_iter().map(|g| view! { <small class="group" data-testid="group">{g}</small> }).collect_view()}
                                    {move || {
                                        let since = current(&id_wait).and_then(|c| c.waiting_since_ms).filter(|_| waits)?;
                                        let secs = desk.now.get().saturating_sub(since) / 1000;
                                        let (warn, alert) = desk.board.with(|b| b.wait_thresholds);
                                        let level = if secs >= u64::from(alert) { "alert" } else if secs >= u64::from(warn) { "warn" } else { "ok" };
                                        Some(view! {
                                            <small class="wait" data-testid="waiting" data-level=level>{strings.waiting}{strings.duration(secs)}</small>
                                        })
                                    }}
                                </span>
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
}

/// When a message was sent, as a list shows it: the time today, the date before today.
fn stamp(at_ms: u64, now_ms: u64) -> String {
    let day = |ms: u64| {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        (d.get_full_year(), d.get_month(), d.get_date())
    };
    let (_, month, date) = day(at_ms);
    if day(at_ms) == day(now_ms) {
        client::clock(at_ms)
    } else {
        format!("{:02}-{:02}", month + 1, date)
    }
}

/// Leave-message submissions (newest first).
#[component]
fn LeftMessages() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    view! {
        <section class="list" data-testid="list-left">
            <h2>{strings.left_messages}<span class="count" data-testid="count">{move || desk.left.with(Vec::len)}</span></h2>
            <ul>
                <For each=move || desk.left.get() key=|m| (m.conversation_id.clone(), m.at_ms) let:item>
                    {
                        let id = item.conversation_id.clone();
                        let text = item.fields.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(" · ");
                        view! {
                            <li class="left-item" data-testid="left-message" tabindex="0" on:click=move |_| desk.select(id.clone())>
                                <small>{client::clock(item.at_ms)}</small>
                                <span>{text}</span>
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
}

/// Conversations closed today, with their ratings.
#[component]
fn ClosedToday() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let items = move || desk.board.with(|b| b.closed_today.clone());
    view! {
        <section class="list" data-testid="list-closed">
            <h2>{strings.closed_today}<span class="count" data-testid="count">{move || desk.board.with(|b| b.closed_today.len())}</span></h2>
            <ul>
                <For each=items key=|c| (c.conversation_id.clone(), c.score) let:item>
                    {
                        let id = item.conversation_id.clone();
                        view! {
                            <li data-testid="closed-conversation" tabindex="0" on:click=move |_| desk.select(id.clone())>
                                <span class="who">{item.visitor_name.clone()}</span>
                                {item.score.map(|s| view! { <span class="score" data-testid="score">{"★".repeat(usize::from(s))}</span> })}
                            </li>
                        }
                    }
                </For>
            </ul>
        </section>
    }
}
