//! The reports' records and queries (schema v19): a row per chat (one opening of a conversation)
//! written as routing moves it, agents' presence changes, and the reads the 报表 page's figures are
//! computed from (`report`). Part of the store: the only other code that touches SQLite.

use serde::Deserialize;

use super::report::{ChatFact, ChatStart, PresenceChange};
use super::store::{int, Store};
use crate::error::EdgeResult;

/// The newest chat of a conversation (what an update applies to; it names the table, so the
/// messages' subqueries can too).
const NEWEST: &str =
    "conversation_id = ?1 AND opened_ms = (SELECT MAX(opened_ms) FROM chats WHERE conversation_id = ?1)";

/// A chat's count of visitors' and agents' messages (prompts not counted), for `chats c`.
const MESSAGES: &str = r#"(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = chats.conversation_id
    AND m.seq >= chats.first_seq AND m.author != '{"role":"system"}')"#;

/// When an agent first wrote in a chat, for `chats c`.
const FIRST_REPLY: &str = r#"(SELECT MIN(m.at_ms) FROM messages m WHERE m.conversation_id = chats.conversation_id
    AND m.seq >= chats.first_seq AND m.author LIKE '{"role":"agent"%')"#;

/// A chat as stored, with what its messages say.
#[derive(Debug, Deserialize)]
struct ChatRow {
    conversation_id: String,
    opened_ms: f64,
    channel: String,
    plugin: Option<String>,
    page: Option<String>,
    product: Option<String>,
    source: String,
    campaign: Option<String>,
    verified: f64,
    grp: Option<String>,
    agent: Option<String>,
    waited: f64,
    connected_ms: Option<f64>,
    closed_ms: Option<f64>,
    transfers: f64,
    left_message: f64,
    score: Option<f64>,
    messages: f64,
    first_reply_ms: Option<f64>,
    first_text: Option<String>,
}

impl Store {
    /// Records a conversation's opening: where the visitor came from; `first_seq` is the seq of
    /// the message that opened it (its messages are those from there on).
    pub fn open_chat(&self, start: &ChatStart, first_seq: u64, now_ms: u64) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT OR IGNORE INTO chats (conversation_id, opened_ms, channel, plugin, page, product, source, campaign, verified, first_seq)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                start.conversation_id.as_str().into(),
                int(now_ms),
                start.channel.as_str().into(),
                start.plugin.as_deref().into(),
                start.page.as_deref().into(),
                start.product.as_deref().into(),
                start.source.as_str().into(),
                start.campaign.as_deref().into(),
                int(u64::from(start.verified)),
                int(first_seq),
            ],
        )?;
        Ok(())
    }

    /// The chat waits for an agent (a queue, a pending list) of `group`.
    pub fn chat_waited(&self, conversation_id: &str, group: &str) -> EdgeResult<()> {
        self.sql().exec(
            &format!("UPDATE chats SET waited = 1, grp = ?2 WHERE {NEWEST}"),
            vec![conversation_id.into(), group.into()],
        )?;
        Ok(())
    }

    /// The chat got an agent (the first time sets when it was connected).
    pub fn chat_connected(
        &self,
        conversation_id: &str,
        agent: &str,
        group: Option<&str>,
        now_ms: u64,
    ) -> EdgeResult<()> {
        self.sql().exec(
            &format!(
                "UPDATE chats SET agent = ?2, grp = COALESCE(?3, grp), connected_ms = COALESCE(connected_ms, ?4) WHERE {NEWEST}"
            ),
            vec![conversation_id.into(), agent.into(), group.into(), int(now_ms)],
        )?;
        Ok(())
    }

    /// The chat moved from one agent to another.
    pub fn chat_transferred(&self, conversation_id: &str) -> EdgeResult<()> {
        self.sql().exec(
            &format!("UPDATE chats SET transfers = transfers + 1 WHERE {NEWEST}"),
            vec![conversation_id.into()],
        )?;
        Ok(())
    }

    /// The visitor left a message in the chat.
    pub fn chat_left_message(&self, conversation_id: &str) -> EdgeResult<()> {
        self.sql().exec(&format!("UPDATE chats SET left_message = 1 WHERE {NEWEST}"), vec![conversation_id.into()])?;
        Ok(())
    }

    /// The chat ended: its messages are those up to the newest now; their count and the first
    /// agent message's time are read from them once, here (a report then reads one row).
    pub fn chat_closed(&self, conversation_id: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql().exec(
            &format!(
                "UPDATE chats SET closed_ms = ?2, last_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?1),
                   messages = {MESSAGES}, first_reply_ms = {FIRST_REPLY} WHERE {NEWEST}"
            ),
            vec![conversation_id.into(), int(now_ms)],
        )?;
        Ok(())
    }

    /// The visitor rated the chat (a second rating replaces the first).
    pub fn chat_rated(&self, conversation_id: &str, score: u8) -> EdgeResult<()> {
        self.sql().exec(
            &format!("UPDATE chats SET score = ?2 WHERE {NEWEST}"),
            vec![conversation_id.into(), int(u64::from(score))],
        )?;
        Ok(())
    }

    /// An agent's presence changed.
    pub fn log_presence(&self, agent_id: &str, status: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT INTO presence_log (agent_id, at_ms, status) VALUES (?, ?, ?)",
            vec![agent_id.into(), int(now_ms), status.into()],
        )?;
        Ok(())
    }

    /// The chats opened in `[from_ms, to_ms)`, each with its count of visitors' and agents'
    /// messages, the time of its first agent message and the text of its first message.
    pub fn chats(&self, from_ms: u64, to_ms: u64) -> EdgeResult<Vec<ChatFact>> {
        let rows: Vec<ChatRow> = self
            .sql()
            .exec(
                &format!(
                    r#"SELECT conversation_id, opened_ms, channel, plugin, page, product, source, campaign, verified, grp,
                         agent, waited, connected_ms, closed_ms, transfers, left_message, score,
                         CASE WHEN closed_ms IS NULL THEN {MESSAGES} ELSE messages END AS messages,
                         CASE WHEN closed_ms IS NULL THEN {FIRST_REPLY} ELSE first_reply_ms END AS first_reply_ms,
                         (SELECT json_extract(f.body, '$.text') FROM messages f WHERE f.conversation_id = chats.conversation_id
                            AND f.seq = chats.first_seq AND f.author = '{{"role":"visitor"}}') AS first_text
                       FROM chats WHERE opened_ms >= ? AND opened_ms < ?"#
                ),
                vec![int(from_ms), int(to_ms)],
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let opened_ms = r.opened_ms as u64;
                let connected_ms = r.connected_ms.map(|v| v as u64);
                ChatFact {
                    start: ChatStart {
                        conversation_id: r.conversation_id,
                        channel: r.channel,
                        plugin: r.plugin,
                        page: r.page,
                        product: r.product,
                        source: r.source,
                        campaign: r.campaign,
                        verified: r.verified != 0.0,
                    },
                    opened_ms,
                    group: r.grp,
                    agent: r.agent,
                    waited: r.waited != 0.0,
                    connected_ms,
                    closed_ms: r.closed_ms.map(|v| v as u64),
                    first_reply_ms: r.first_reply_ms.map(|v| v as u64),
                    transfers: r.transfers as u32,
                    left_message: r.left_message != 0.0,
                    score: r.score.and_then(|s| u8::try_from(s as u64).ok()),
                    messages: r.messages as u32,
                    first_text: r.first_text.unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The first message texts of the chats opened in `[from_ms, to_ms)` (hot questions' trend).
    pub fn first_texts(&self, from_ms: u64, to_ms: u64) -> EdgeResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Row {
            text: Option<String>,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec(
                r#"SELECT json_extract(f.body, '$.text') AS text FROM chats c JOIN messages f
                     ON f.conversation_id = c.conversation_id AND f.seq = c.first_seq AND f.author = '{"role":"visitor"}'
                   WHERE c.opened_ms >= ? AND c.opened_ms < ?"#,
                vec![int(from_ms), int(to_ms)],
            )?
            .to_array()?;
        Ok(rows.into_iter().filter_map(|r| r.text).collect())
    }

    /// Agents' presence changes in `[from_ms, to_ms)`, after each agent's last change before it.
    pub fn presence_changes(&self, from_ms: u64, to_ms: u64) -> EdgeResult<Vec<PresenceChange>> {
        #[derive(Deserialize)]
        struct Row {
            agent_id: String,
            at_ms: f64,
            status: String,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec(
                "SELECT agent_id, MAX(at_ms) AS at_ms, status FROM presence_log WHERE at_ms < ?1 GROUP BY agent_id
                 UNION ALL
                 SELECT agent_id, at_ms, status FROM presence_log WHERE at_ms >= ?1 AND at_ms < ?2
                 ORDER BY at_ms",
                vec![int(from_ms), int(to_ms)],
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| PresenceChange { agent_id: r.agent_id, at_ms: r.at_ms as u64, status: r.status })
            .collect())
    }
}
