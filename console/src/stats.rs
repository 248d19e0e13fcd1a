//! The figures panel: the agent's day (accepted, live, average first response and handling time,
//! CSAT) and, for admins, the same per agent for the whole site.

use leptos::prelude::*;
use protocol::AgentDayStats;

use crate::api::Desk;
use crate::i18n::Strings;

/// `1m 05s`, `42s`, or `–`.
pub fn duration(ms: Option<u64>) -> String {
    match ms {
        None => "–".into(),
        Some(ms) if ms < 60_000 => format!("{}s", ms / 1000),
        Some(ms) => format!("{}m {:02}s", ms / 60_000, (ms / 1000) % 60),
    }
}

/// `4.5 (2)` or `–`.
pub fn csat(s: &AgentDayStats) -> String {
    if s.ratings == 0 {
        "–".into()
    } else {
        format!("{:.1} ({})", f64::from(s.rating_total) / f64::from(s.ratings), s.ratings)
    }
}

/// The panel.
#[component]
pub fn StatsPanel() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let strings = expect_context::<&'static Strings>();
    let me = move || desk.session.with(|s| s.as_ref().map(|s| s.agent_id.clone()).unwrap_or_default());
    let admin = move || desk.session.with(|s| s.as_ref().is_some_and(|s| s.admin));
    let mine = move || desk.stats.with(|all| all.iter().find(|s| s.agent_id == me()).cloned());
    view! {
        <section class="stats" data-testid="stats" aria-label=strings.stats>
            <h2>{strings.stats}</h2>
            {move || mine().map(|s| view! {
                <div class="tiles">
                    <div class="tile"><b data-testid="stat-accepted">{s.accepted}</b><small>{strings.accepted}</small></div>
                    <div class="tile"><b data-testid="stat-live">{s.live}</b><small>{strings.live}</small></div>
                    <div class="tile"><b data-testid="stat-first-response">{duration(s.avg_first_response_ms)}</b><small>{strings.first_response}</small></div>
                    <div class="tile"><b data-testid="stat-handling">{duration(s.avg_handling_ms)}</b><small>{strings.handling}</small></div>
                    <div class="tile"><b data-testid="stat-csat">{csat(&s)}</b><small>{strings.csat}</small></div>
                </div>
            })}
            <Show when=admin>
                <h3>{strings.site_stats}</h3>
                <table data-testid="site-stats">
                    <thead><tr>
                        <th></th><th>{strings.status}</th><th>{strings.accepted}</th><th>{strings.live}</th>
                        <th>{strings.first_response}</th><th>{strings.handling}</th><th>{strings.csat}</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || desk.stats.get() key=|s| format!("{s:?}") let:s>
                            <tr data-agent=s.agent_id.clone()>
                                <td>{s.name.clone()}</td>
                                <td>{format!("{:?}", s.status).to_lowercase()}</td>
                                <td>{s.accepted}</td>
                                <td>{s.live}</td>
                                <td>{duration(s.avg_first_response_ms)}</td>
                                <td>{duration(s.avg_handling_ms)}</td>
                                <td>{csat(&s)}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_minutes_and_seconds() {
        assert_eq!(duration(None), "–");
        assert_eq!(duration(Some(42_400)), "42s");
        assert_eq!(duration(Some(65_000)), "1m 05s");
    }
}
