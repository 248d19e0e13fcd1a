//! The reports page: a range of days (per day or per hour), split by agent, group, channel or
//! plugin and narrowed by any of them; the range's figures as tiles, charts of the volume, the
//! first response and the ratings, and tables (each with its CSV) of every figure, agents' online
//! time, hot questions (each opening its conversations in the workbench), pages, products and
//! sources.

use leptos::prelude::*;
use protocol::report::{check_span, day_label, duration_text, Figures, Named, Report, ReportQuery, Split};
use protocol::Channel;

use crate::api::{open_in_workbench, Answer, Reports};
use crate::chart::{BarChart, Unit};
use crate::i18n::{self, Strings};
use crate::tables::{demand_table, figures_table, presence_table, topics_table, DataTable};

/// Today in the browser's calendar, as a day number.
fn today() -> i64 {
    let d = js_sys::Date::new_0();
    protocol::report::days_from_civil(i64::from(d.get_full_year()), d.get_month() + 1, d.get_date())
}

/// What the page asks first: the last seven days, per day, by agent.
fn first_query() -> ReportQuery {
    let today = today();
    ReportQuery { from: day_label(today - 6), to: day_label(today), ..ReportQuery::default() }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let language = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let strings = i18n::strings(&params.as_ref().and_then(|p| p.get("locale")).unwrap_or(language));
    provide_context(strings);
    let reports = Reports::start();
    provide_context(reports);
    reports.ask(first_query());
    // The filters' choices: the names the last report came with (kept while the next is on its way).
    let names = RwSignal::new((Vec::<Named>::new(), Vec::<Named>::new(), Vec::<Named>::new()));
    let asked = move || reports.query.get();
    let error = RwSignal::new(None::<String>);
    // Every control changes the query and asks again, once the days are right.
    let change = move |edit: fn(&mut ReportQuery, String), value: String| {
        let mut query = reports.query.get_untracked();
        edit(&mut query, value);
        match check_span(&query) {
            Ok(_) => {
                error.set(None);
                reports.ask(query);
            }
            Err(why) => error.set(Some(why)),
        }
    };
    let on =
        move |edit: fn(&mut ReportQuery, String)| move |ev: leptos::ev::Event| change(edit, event_target_value(&ev));
    let options =
        |list: Vec<Named>| list.into_iter().map(|n| view! { <option value=n.id>{n.name}</option> }).collect_view();
    let admin = reports.admin();
    view! {
        <main class="reports" data-testid="reports" aria-labelledby="reports-title">
            <header class="reports-top">
                <h1 id="reports-title">{strings.reports}</h1>
            </header>
            <form class="report-controls" on:submit=|ev| ev.prevent_default()>
                <label>{strings.from_date}
                    <input type="date" data-testid="report-from" prop:value=move || asked().from on:change=on(|q, v| q.from = v) />
                </label>
                <label>{strings.to_date}
                    <input type="date" data-testid="report-to" prop:value=move || asked().to on:change=on(|q, v| q.to = v) />
                </label>
                <label>{strings.r_per}
                    <select data-testid="report-per" on:change=on(|q, v| q.hourly = v == "hour")>
                        <option value="day" selected=move || !asked().hourly>{strings.r_day}</option>
                        <option value="hour" selected=move || asked().hourly>{strings.r_hour}</option>
                    </select>
                </label>
                <label>{strings.r_split}
                    <select data-testid="report-split" on:change=on(|q, v| q.split = split_of(&v))>
                        <option value="agent">{strings.by_agent}</option>
                        <option value="group">{strings.r_group}</option>
                        <option value="channel">{strings.r_channel}</option>
                        <option value="plugin">{strings.r_plugin}</option>
                    </select>
                </label>
                <label>{strings.r_group}
                    <select data-testid="report-group" on:change=on(|q, v| q.group = Some(v).filter(|v| !v.is_empty()))>
                        <option value="">{strings.r_all}</option>
                        {move || options(names.get().1)}
                    </select>
                </label>
                {admin.then(|| view! {
                    <label>{strings.by_agent}
                        <select data-testid="report-agent" on:change=on(|q, v| q.agent = Some(v).filter(|v| !v.is_empty()))>
                            <option value="">{strings.r_all}</option>
                            {move || options(names.get().0)}
                        </select>
                    </label>
                })}
                <label>{strings.r_channel}
                    <select data-testid="report-channel" on:change=on(|q, v| q.channel = channel_of(&v))>
                        <option value="">{strings.r_all}</option>
                        {[Channel::Web, Channel::MobileWeb, Channel::MiniProgram].map(|c| view! {
                            <option value=c.as_str()>{strings.channel_name(c)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{strings.r_plugin}
                    <select data-testid="report-plugin" on:change=on(|q, v| q.plugin = Some(v).filter(|v| !v.is_empty()))>
                        <option value="">{strings.r_all}</option>
                        {move || options(names.get().2)}
                    </select>
                </label>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="report-error">{e}</p> })}
            {move || match reports.answer.get() {
                Answer::Ready(report) => {
                    let fresh = (report.agents.clone(), report.groups.clone(), report.plugins.clone());
                    if names.with_untracked(|n| *n != fresh) {
                        names.set(fresh);
                    }
                    let n = report.n;
                    view! { <ReportBody report=*report n /> }.into_any()
                }
                Answer::Waiting => view! { <p class="muted" aria-busy="true" data-testid="report-waiting">{strings.r_waiting}</p> }.into_any(),
                Answer::Failed(why) => view! { <p class="error" role="alert" data-testid="report-failed">{why}</p> }.into_any(),
                Answer::SignedOut => view! {
                    <p class="muted" data-testid="report-signed-out">{strings.signed_out}" "<a href="/console/">{strings.to_workbench}</a></p>
                }.into_any(),
            }}
        </main>
    }
}

fn split_of(value: &str) -> Split {
    match value {
        "group" => Split::Group,
        "channel" => Split::Channel,
        "plugin" => Split::Plugin,
        _ => Split::Agent,
    }
}

fn channel_of(value: &str) -> Option<Channel> {
    [Channel::Web, Channel::MobileWeb, Channel::MiniProgram].into_iter().find(|c| c.as_str() == value)
}

/// A report once it came: tiles, charts and tables.
#[component]
fn ReportBody(report: Report, n: u32) -> impl IntoView {
    let strings = expect_context::<&'static Strings>();
    let t = report.total.clone();
    let zh = strings.zh();
    let dur = move |ms: Option<u64>| ms.map_or_else(|| "–".into(), |ms| duration_text(ms, zh));
    let csat = t.rating_mean_x100().map_or_else(|| "–".into(), |v| format!("{}.{:02} ★", v / 100, v % 100));
    let short = |key: &str| {
        if report.query.hourly {
            key.get(11..13).unwrap_or(key).to_string()
        } else {
            key.get(5..).unwrap_or(key).to_string()
        }
    };
    let volume: Vec<(String, u64)> =
        report.buckets.iter().map(|b| (short(&b.key), u64::from(b.conversations))).collect();
    let first: Vec<(String, u64)> =
        report.buckets.iter().map(|b| (short(&b.key), b.first_response_median_ms.unwrap_or(0))).collect();
    let ratings: Vec<(String, u64)> = (1..=5).map(|s| (format!("{s}★"), u64::from(t.ratings[s - 1]))).collect();
    let split_heading = match report.query.split {
        Split::Agent => strings.by_agent,
        Split::Group => strings.r_group,
        Split::Channel => strings.r_channel,
        Split::Plugin => strings.r_plugin,
    };
    let split = report.query.split;
    let row_label = move |f: &Figures| match (split, f.key.as_str()) {
        (_, "") => strings.r_none.to_string(),
        (Split::Channel, key) => {
            channel_of(key).map_or_else(|| key.to_string(), |c| strings.channel_name(c).to_string())
        }
        _ => f.label.clone(),
    };
    let range = format!("{}_{}", report.query.from, report.query.to);
    let topics = report.topics.clone();
    let topics_csv = topics_table(strings, &report.topics).csv();
    let topics_file = format!("report-topics-{range}.csv");
    let save_topics = move |_| client::download(&topics_file, &topics_csv, "text/csv;charset=utf-8");
    let tile = |value: String, label: &'static str, id: &'static str| {
        view! { <div class="tile"><b data-testid=id>{value}</b><small>{label}</small></div> }
    };
    view! {
        <div class="report-body" data-testid="report" data-n=n>
            <div class="tiles">
                {tile(t.conversations.to_string(), strings.r_conversations, "r-conversations")}
                {tile(t.served.to_string(), strings.r_served, "r-served")}
                {tile(dur(t.first_response_median_ms), strings.r_first_median, "r-first-median")}
                {tile(dur(t.first_response_p90_ms), strings.r_first_p90, "r-first-p90")}
                {tile(dur(t.handling_mean_ms), strings.r_handling, "r-handling")}
                {tile(t.missed.to_string(), strings.r_missed, "r-missed")}
                {tile(t.left_messages.to_string(), strings.r_left, "r-left")}
                {tile(t.transfers.to_string(), strings.r_transfers, "r-transfers")}
                {tile(csat, strings.r_csat, "r-csat")}
            </div>
            {(t.conversations == 0).then(|| view! { <p class="muted" data-testid="report-empty">{strings.r_empty}</p> })}
            <div class="charts">
                <figure><figcaption>{strings.r_volume}</figcaption>
                    <BarChart title=strings.r_volume.to_string() bars=volume unit=Unit::Count testid="chart-volume" /></figure>
                <figure><figcaption>{strings.r_first_median}</figcaption>
                    <BarChart title=strings.r_first_median.to_string() bars=first unit=Unit::Duration { zh } testid="chart-first" /></figure>
                <figure><figcaption>{strings.r_csat_chart}</figcaption>
                    <BarChart title=strings.r_csat_chart.to_string() bars=ratings unit=Unit::Count testid="chart-csat" /></figure>
            </div>
            <DataTable caption=strings.r_by_time.to_string() file=format!("report-time-{range}.csv") testid="table-time"
                data=figures_table(strings, strings.r_time, &report.buckets, |f| f.key.clone()) />
            <DataTable caption=split_heading.to_string() file=format!("report-{}-{range}.csv", split_name(split)) testid="table-split"
                data=figures_table(strings, split_heading, &report.rows, row_label) />
            <DataTable caption=strings.r_presence.to_string() file=format!("report-presence-{range}.csv") testid="table-presence"
                data=presence_table(strings, &report.presence) />
            <figure class="report-table" data-testid="table-topics">
                <figcaption>
                    <span>{strings.r_topics}</span>
                    <button type="button" class="ghost small" data-testid="csv" on:click=save_topics>{strings.r_csv}</button>
                </figcaption>
                <div class="scroll"><table>
                    <thead><tr>
                        <th scope="col">{strings.r_topic}</th><th scope="col">{strings.r_conversations}</th>
                        <th scope="col">{strings.r_before}</th><th scope="col">{strings.r_trend}</th><th scope="col">{strings.r_open_topic}</th>
                    </tr></thead>
                    <tbody>
                        {topics.into_iter().map(|topic| {
                            let trend = match topic.count.cmp(&topic.before) {
                                std::cmp::Ordering::Greater => "↑",
                                std::cmp::Ordering::Less => "↓",
                                std::cmp::Ordering::Equal => "→",
                            };
                            view! {
                                <tr data-testid="topic" data-word=topic.word.clone()>
                                    <th scope="row">{topic.word.clone()}</th><td>{topic.count}</td><td>{topic.before}</td><td>{trend}</td>
                                    <td><details><summary>{topic.conversations.len()}</summary>
                                        {topic.conversations.into_iter().map(|id| {
                                            let (open, attr) = (id.clone(), id.clone());
                                            view! { <button type="button" class="link" data-testid="topic-conversation" data-conversation=attr
                                                title=strings.r_open_hint on:click=move |_| open_in_workbench(&open)>{id}</button> }
                                        }).collect_view()}
                                    </details></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            </figure>
            <DataTable caption=strings.r_pages.to_string() file=format!("report-pages-{range}.csv") testid="table-pages"
                data=demand_table(strings, strings.r_page, &report.pages) />
            <DataTable caption=strings.r_products.to_string() file=format!("report-products-{range}.csv") testid="table-products"
                data=demand_table(strings, strings.r_product, &report.products) />
            <DataTable caption=strings.r_sources.to_string() file=format!("report-sources-{range}.csv") testid="table-sources"
                data=demand_table(strings, strings.r_source, &report.sources) />
        </div>
    }
}

fn split_name(split: Split) -> &'static str {
    match split {
        Split::Agent => "agents",
        Split::Group => "groups",
        Split::Channel => "channels",
        Split::Plugin => "plugins",
    }
}
