//! The reports page's tables: each is made once as text ([`TableData`]) and shown as an HTML table
//! and saved as CSV from that same text, so the file says what the screen says.

use leptos::prelude::*;
use protocol::report::{duration_text, AgentTime, Demand, Figures, Topic};

use crate::i18n::Strings;

/// A table's headings and rows, as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableData {
    /// Column headings.
    pub headers: Vec<String>,
    /// Rows, one cell per heading.
    pub rows: Vec<Vec<String>>,
}

impl TableData {
    /// The table as CSV (RFC 4180, with a byte-order mark so spreadsheet programs read the
    /// Chinese right). A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`: visitors
    /// and pages write some of these texts) is written with a leading `'`.
    pub fn csv(&self) -> String {
        let line = |cells: &[String]| cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
        let mut out = String::from("\u{feff}");
        out.push_str(&line(&self.headers));
        for row in &self.rows {
            out.push_str("\r\n");
            out.push_str(&line(row));
        }
        out.push_str("\r\n");
        out
    }
}

/// One CSV cell.
fn cell(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_number(text) => format!("'{text}"),
        _ => text.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Whether a cell is a plain signed number (`-1`, `+2.5`), which no spreadsheet runs.
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// A duration cell (`–` for none).
fn duration(strings: &Strings, ms: Option<u64>) -> String {
    ms.map_or_else(|| "–".to_string(), |ms| duration_text(ms, strings.zh()))
}

/// Hundredths as a decimal (`440` → `4.40`), `–` for none.
fn hundredths(v: Option<u32>) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{}.{:02}", v / 100, v % 100))
}

/// A share as a percentage (`–` with nothing to share).
fn percent(part: u32, whole: u32) -> String {
    (part * 100 + whole / 2).checked_div(whole).map_or_else(|| "–".into(), |p| format!("{p}%"))
}

/// Every figure of each row: the day/hour or agent/group/channel table.
pub fn figures_table(
    strings: &Strings,
    first: &str,
    rows: &[Figures],
    label: impl Fn(&Figures) -> String,
) -> TableData {
    let headers = [
        first,
        strings.r_conversations,
        strings.r_served,
        strings.r_first_median,
        strings.r_first_p90,
        strings.r_handling,
        strings.r_messages_per,
        strings.r_missed,
        strings.r_left,
        strings.r_transfers,
        strings.r_rated,
        strings.r_csat,
        strings.r_identified,
    ];
    let rows = rows
        .iter()
        .map(|f| {
            vec![
                label(f),
                f.conversations.to_string(),
                f.served.to_string(),
                duration(strings, f.first_response_median_ms),
                duration(strings, f.first_response_p90_ms),
                duration(strings, f.handling_mean_ms),
                hundredths(f.messages_per_conversation_x100()),
                f.missed.to_string(),
                f.left_messages.to_string(),
                f.transfers.to_string(),
                f.rated().to_string(),
                hundredths(f.rating_mean_x100()),
                percent(f.identified, f.conversations),
            ]
        })
        .collect();
    TableData { headers: headers.map(str::to_string).to_vec(), rows }
}

/// Agents' online and away time.
pub fn presence_table(strings: &Strings, times: &[AgentTime]) -> TableData {
    TableData {
        headers: [strings.by_agent, strings.r_online, strings.r_away].map(str::to_string).to_vec(),
        rows: times
            .iter()
            .map(|t| vec![t.name.clone(), duration(strings, Some(t.online_ms)), duration(strings, Some(t.away_ms))])
            .collect(),
    }
}

/// Hot questions: the word, its conversations now and in the period before, and their ids.
pub fn topics_table(strings: &Strings, topics: &[Topic]) -> TableData {
    TableData {
        headers: [strings.r_topic, strings.r_conversations, strings.r_before, strings.r_open_topic]
            .map(str::to_string)
            .to_vec(),
        rows: topics
            .iter()
            .map(|t| vec![t.word.clone(), t.count.to_string(), t.before.to_string(), t.conversations.join(" ")])
            .collect(),
    }
}

/// Conversations by page, product or source.
pub fn demand_table(strings: &Strings, first: &str, list: &[Demand]) -> TableData {
    let headers =
        [first, strings.r_conversations, strings.r_left, strings.r_rated, strings.r_csat, strings.r_identified];
    let rows = list
        .iter()
        .map(|d| {
            let f = Figures { conversations: d.conversations, ratings: d.ratings, ..Figures::default() };
            vec![
                d.key.clone(),
                d.conversations.to_string(),
                d.left_messages.to_string(),
                f.rated().to_string(),
                hundredths(f.rating_mean_x100()),
                percent(d.identified, d.conversations),
            ]
        })
        .collect();
    TableData { headers: headers.map(str::to_string).to_vec(), rows }
}

/// A table with its caption and a CSV button; `file` names the download.
#[component]
pub fn DataTable(caption: String, data: TableData, file: String, testid: &'static str) -> impl IntoView {
    let strings = expect_context::<&'static Strings>();
    let csv = data.csv();
    let save = move |_| client::download(&file, &csv, "text/csv;charset=utf-8");
    view! {
        <figure class="report-table" data-testid=testid>
            <figcaption>
                <span>{caption.clone()}</span>
                <button type="button" class="ghost small" data-testid="csv" on:click=save>{strings.r_csv}</button>
            </figcaption>
            <div class="scroll">
                <table>
                    <thead><tr>{data.headers.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {data.rows.into_iter().map(|row| {
                            let mut cells = row.into_iter();
                            let head = cells.next().unwrap_or_default();
                            view! { <tr><th scope="row">{head}</th>{cells.map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_it_must_and_defuses_formulas() {
        let data = TableData {
            headers: vec!["页面".into(), "会话".into()],
            rows: vec![
                vec!["/p/1?a=1,2".into(), "3".into()],
                vec!["=HYPERLINK(\"http://evil\")".into(), "-1".into()],
                vec!["@SUM(A1)".into(), "+2".into()],
                vec!["line\nbreak".into(), "0".into()],
            ],
        };
        assert_eq!(
            data.csv(),
            "\u{feff}页面,会话\r\n\"/p/1?a=1,2\",3\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",-1\r\n'@SUM(A1),+2\r\n\"line\nbreak\",0\r\n"
        );
    }

    #[test]
    fn figures_read_as_people_read_them() {
        assert_eq!(hundredths(Some(440)), "4.40");
        assert_eq!(hundredths(None), "–");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(0, 0), "–");
    }
}
