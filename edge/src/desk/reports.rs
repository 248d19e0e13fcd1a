//! The 报表 endpoint (`POST /reports`, an agent's token): reads the chats and presence changes of
//! the asked days from the store, cuts the first messages into words, and has `report` compute
//! the figures. An admin gets the whole site; an agent his own conversations and time.

use worker::Response;

use super::{now_ms, parse_json, report, topics, Desk};
use crate::error::{EdgeError, EdgeResult};

impl Desk {
    /// `POST /reports`: a report for a signed-in agent (an admin's of anyone, an agent's of his own
    /// conversations and time).
    pub(super) fn report_for(&self, token: Option<String>, body: &[u8]) -> EdgeResult<Response> {
        let (agent_id, role) = self.signed_in_agent(token)?;
        let mut query: protocol::report::ReportQuery = parse_json(body)?;
        if !role.manages_settings() {
            query.agent = Some(agent_id);
        }
        Ok(Response::from_json(&self.report(query)?)?)
    }

    /// A report's figures, from the chats and presence changes stored for its days.
    fn report(&self, query: protocol::report::ReportQuery) -> EdgeResult<protocol::report::Report> {
        let config = self.config()?;
        // The site's day, as for today's figures (the service hours' time zone).
        let offset = self.with_core(|core| core.config().service_hours.utc_offset_minutes)?;
        let span = report::Span::of(&query, offset).map_err(EdgeError::BadRequest)?;
        let store = self.store()?;
        let chats = store.chats(span.start_ms(), span.end_ms())?;
        let presence = store.presence_changes(span.start_ms(), span.end_ms())?;
        let before = span.before();
        let words: Vec<Vec<String>> = chats.iter().map(|c| topics::words(&c.first_text)).collect();
        let words_before: Vec<Vec<String>> =
            store.first_texts(before.start_ms(), before.end_ms())?.iter().map(|t| topics::words(t)).collect();
        let names = report::Names {
            agents: config
                .agents
                .iter()
                .map(|a| (a.id.clone(), if a.name.is_empty() { a.id.clone() } else { a.name.clone() }))
                .collect(),
            groups: config
                .groups
                .iter()
                .map(|g| (g.id.clone(), if g.name.is_empty() { g.id.clone() } else { g.name.clone() }))
                .collect(),
            plugins: config.plugins.iter().map(|p| (p.id.clone(), p.name.clone())).collect(),
        };
        let inputs = report::Inputs { chats: &chats, presence: &presence, words_before: &words_before, words: &words };
        Ok(report::build(query, &span, &inputs, &names, now_ms()))
    }
}
