//! Searching the site's conversations: a box over the lists (visitor name, phone, any message
//! text), filters (agent, dates, channel, rating), and the hits in the lists' place, each opening
//! the conversation's transcript (read-only unless the agent holds it).

use leptos::prelude::*;
use protocol::search::{SearchHit, SearchQuery, MAX_QUERY_CHARS};
use protocol::Channel;

use crate::api::Desk;
use crate::i18n::Strings;

/// The search box and its filters.
#[component]
pub fn SearchBox() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let text = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let agent = RwSignal::new(String::new());
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let channel = RwSignal::new(String::new());
    let rating = RwSignal::new(String::new());
    let run = move || {
        let query = SearchQuery {
            text: text.get_untracked().trim().to_string(),
            agent: Some(agent.get_untracked()).filter(|a| !a.is_empty()),
            from_ms: day_start(&from.get_untracked(), 0),
            to_ms: day_start(&to.get_untracked(), 1),
            channel: Channel::parse(&channel.get_untracked()),
            plugin: None,
            rating: rating.get_untracked().parse().ok(),
            offset: 0,
            n: 0,
        };
        desk.search(query);
    };
    let select = move |signal: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            signal.set(event_target_value(&ev));
            run();
        }
    };
    let channels = [Channel::Web, Channel::MobileWeb, Channel::App, Channel::MiniProgram];
    view! {
        <form class="search" role="search" data-testid="search" on:submit=move |ev| { ev.prevent_default(); run(); }>
            <div class="search-line">
                <input
                    type="search"
                    data-testid="search-input"
                    maxlength=MAX_QUERY_CHARS.to_string()
                    aria-label=strings.search
                    placeholder=strings.search_hint
                    prop:value=text
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <button type="button" class="ghost" data-testid="search-filters" aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>{strings.filters}</button>
            </div>
            <Show when=move || open.get()>
                <div class="search-filters">
                    <label>{strings.by_agent}
                        <select data-testid="search-agent" on:change=select(agent)>
                            <option value="">{strings.all}</option>
                            {move || desk.board.with(|b| b.team.iter().map(|m| view! { <option value=m.id.clone()>{m.name.clone()}</option> }).collect_view())}
                        </select>
                    </label>
                    <label>{strings.from_date}<input type="date" data-testid="search-from" on:change=select(from) /></label>
                    <label>{strings.to_date}<input type="date" data-testid="search-to" on:change=select(to) /></label>
                    <label>{strings.channel}
                        <select data-testid="search-channel" on:change=select(channel)>
                            <option value="">{strings.all}</option>
                            {channels.into_iter().map(|c| view! { <option value=c.as_str()>{strings.channel_name(c)}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{strings.rating}
                        <select data-testid="search-rating" on:change=select(rating)>
                            <option value="">{strings.all}</option>
                            {(1..=5).rev().map(|s: u8| view! { <option value=s.to_string()>{"★".repeat(usize::from(s))}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
            </Show>
        </form>
    }
}

/// The start of a local day given as `YYYY-MM-DD`, plus `days`, unix ms.
fn day_start(date: &str, days: u32) -> Option<u64> {
    let mut parts = date.split('-').map(|p| p.parse::<u32>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let day = js_sys::Date::new_with_year_month_day(y, m.checked_sub(1)? as i32, (d + days) as i32);
    let ms = day.get_time();
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

/// The hits in the lists' place, with the way back.
#[component]
pub fn SearchResults() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let hits = move || desk.search.with(|s| s.as_ref().map(|s| s.hits.clone()).unwrap_or_default());
    let waiting = move || desk.search.with(|s| s.as_ref().is_some_and(|s| s.waiting));
    let more = move || desk.search.with(|s| s.as_ref().is_some_and(|s| s.more && !s.waiting));
    let next = move |_| {
        if let Some(s) = desk.search.get_untracked() {
            let offset = u32::try_from(s.hits.len()).unwrap_or(u32::MAX);
            desk.search(SearchQuery { offset, ..s.query });
        }
    };
    view! {
        <section class="list search-results" data-testid="search-results" aria-busy=move || waiting().to_string()>
            <h2>
                {strings.search_results}
                <span class="count" data-testid="count">{move || hits().len()}</span>
                <button type="button" class="ghost clear" data-testid="search-clear" on:click=move |_| desk.search.set(None)>{strings.back_to_lists}</button>
            </h2>
            {move || (!waiting() && hits().is_empty()).then(|| view! { <p class="empty" data-testid="search-none">{strings.nothing_found}</p> })}
            <ul role="listbox" aria-label=strings.search_results>
                <For each=hits key=|h| h.conversation_id.clone() let:hit>
                    <Hit hit />
                </For>
            </ul>
            <Show when=more>
                <button type="button" class="ghost more" data-testid="search-more" on:click=next>{strings.more}</button>
            </Show>
        </section>
    }
}

/// One conversation found: who, when, which agent, channel and rating, and where the text matched.
#[component]
fn Hit(hit: SearchHit) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let agent = hit.agent.as_ref().map(|id| {
        desk.board
            .with_untracked(|b| b.team.iter().find(|m| &m.id == id).map_or_else(|| id.clone(), |m| m.name.clone()))
    });
    let id = hit.conversation_id.clone();
    let id_selected = id.clone();
    let open = move || desk.select(id.clone());
    let status = if hit.status == "closed" { strings.state_closed } else { strings.state_active };
    view! {
        <li
            role="option"
            tabindex="0"
            class="conv hit"
            data-testid="search-hit"
            data-conversation=hit.conversation_id.clone()
            aria-selected=move || (desk.selected.get().as_deref() == Some(id_selected.as_str())).to_string()
            on:click={ let open = open.clone(); move |_| open() }
            on:keydown=move |ev| if ev.key() == "Enter" { open() }
        >
            <span class="who">{hit.visitor_name.clone()}</span>
            <time class="when">{date_time(hit.created_ms)}</time>
            <span class="preview" data-testid="snippet">{hit.snippet.clone()}</span>
            <span class="tags">
                <small class="plugin">{status}</small>
                {agent.map(|a| view! { <small class="plugin" data-testid="hit-agent">{a}</small> })}
                {(hit.channel != Channel::Web).then(|| view! { <small class="channel">{strings.channel_name(hit.channel)}</small> })}
                {hit.score.map(|s| view! { <span class="score" data-testid="score">{"★".repeat(usize::from(s))}</span> })}
            </span>
        </li>
    }
}

/// `MM-DD HH:MM` in local time.
pub fn date_time(at_ms: u64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64));
    format!("{:02}-{:02} {}", d.get_month() + 1, d.get_date(), client::clock(at_ms))
}
