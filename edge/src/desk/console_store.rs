//! The console's queries (schema v6): quick phrases, the closed-today list, visitor profiles,
//! ratings per agent, and the search over conversations with its full-text index (v18). Part of
//! the store: the only other code that touches SQLite.

use protocol::search::{index_words, match_expression, snippet, SearchHit, SearchQuery, SEARCH_PAGE};
use protocol::{Author, ClosedConversation, ContactInfo, MessageBody, PastConversation, Phrase};
use serde::Deserialize;
use worker::SqlStorageValue;

use super::store::{int, like_pattern, Store, LAST_SEQ};
use crate::error::EdgeResult;

/// Facts about a conversation's visitor, for the sidebar.
#[derive(Debug, Deserialize)]
pub struct ProfileRow {
    /// Visitor id.
    pub visitor_id: String,
    /// Name shown for the visitor.
    pub name: String,
    /// 1 when verified.
    pub verified: f64,
    /// Display-only profile (JSON).
    pub profile: String,
    /// Entry the conversation came through.
    pub entry: Option<String>,
    /// Linked CRM contact id.
    pub contact_id: Option<String>,
    /// Its name.
    pub contact_name: Option<String>,
    /// Its owner.
    pub owner_agent: Option<String>,
    /// Its customer.
    pub customer_id: Option<String>,
    /// The customer's owner.
    pub customer_owner: Option<String>,
}

impl ProfileRow {
    /// The linked CRM contact, if any.
    pub fn contact(&self) -> Option<ContactInfo> {
        self.contact_id.as_ref().map(|id| ContactInfo {
            id: id.clone(),
            name: self.contact_name.clone().unwrap_or_default(),
            owner_agent: self.owner_agent.clone(),
            customer_id: self.customer_id.clone(),
            customer_owner: self.customer_owner.clone(),
        })
    }
}

/// One agent's ratings of a day.
#[derive(Debug, Deserialize)]
pub struct RatingRow {
    /// The agent who held the conversations last.
    pub agent: String,
    /// How many ratings.
    pub n: f64,
    /// Their sum.
    pub total: f64,
}

fn score(v: Option<f64>) -> Option<u8> {
    v.and_then(|s| u8::try_from(s as i64).ok())
}

impl Store {
    /// Records the agent who holds a conversation now (kept after it closes).
    pub fn set_last_agent(&self, conversation_id: &str, agent_id: &str) -> EdgeResult<()> {
        self.sql().exec(
            "UPDATE conversations SET last_agent = ? WHERE id = ?",
            vec![agent_id.into(), conversation_id.into()],
        )?;
        Ok(())
    }

    /// Conversations closed since `since_ms`, newest first.
    pub fn closed_since(&self, since_ms: u64, limit: u32) -> EdgeResult<Vec<ClosedConversation>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
            last_agent: Option<String>,
            updated_ms: f64,
            score: Option<f64>,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec(
                "SELECT c.id, v.name, c.last_agent, c.updated_ms, r.score FROM conversations c
                 JOIN visitors v ON v.id = c.visitor_id LEFT JOIN ratings r ON r.conversation_id = c.id
                 WHERE c.status = 'closed' AND c.updated_ms >= ? ORDER BY c.updated_ms DESC LIMIT ?",
                vec![int(since_ms), int(u64::from(limit))],
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| ClosedConversation {
                conversation_id: r.id,
                visitor_name: r.name,
                agent_id: r.last_agent,
                closed_ms: r.updated_ms as u64,
                score: score(r.score),
            })
            .collect())
    }

    /// How many leave-message submissions the site has.
    pub fn left_message_count(&self) -> EdgeResult<u32> {
        #[derive(Deserialize)]
        struct Row {
            n: f64,
        }
        let rows: Vec<Row> = self.sql().exec("SELECT COUNT(*) AS n FROM left_messages", None)?.to_array()?;
        Ok(rows.first().map_or(0, |r| r.n as u32))
    }

    /// The sidebar facts of a conversation's visitor.
    pub fn profile_of(&self, conversation_id: &str) -> EdgeResult<Option<ProfileRow>> {
        let rows: Vec<ProfileRow> = self
            .sql()
            .exec(
                "SELECT v.id AS visitor_id, v.name, v.verified, v.profile, c.entry, v.contact_id,
                   k.name AS contact_name, k.owner_agent, k.customer_id, k.customer_owner
                 FROM conversations c JOIN visitors v ON v.id = c.visitor_id
                 LEFT JOIN contacts k ON k.id = v.contact_id WHERE c.id = ?",
                vec![conversation_id.into()],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// A visitor's conversations other than `except`, newest first.
    pub fn past_conversations(&self, visitor_id: &str, except: &str) -> EdgeResult<Vec<PastConversation>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            status: String,
            created_ms: f64,
            last_seq: f64,
            score: Option<f64>,
            first_body: Option<String>,
            first_at: Option<f64>,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec(
                &format!(
                    "SELECT c.id, c.status, c.created_ms, {LAST_SEQ} AS last_seq, r.score,
                       (SELECT m.body FROM messages m WHERE m.conversation_id = c.id AND m.author = '{{\"role\":\"visitor\"}}' ORDER BY m.seq LIMIT 1) AS first_body,
                       (SELECT m.at_ms FROM messages m WHERE m.conversation_id = c.id AND m.author = '{{\"role\":\"visitor\"}}' ORDER BY m.seq LIMIT 1) AS first_at
                 FROM conversations c
                 LEFT JOIN ratings r ON r.conversation_id = c.id
                 WHERE c.visitor_id = ? AND c.id != ? ORDER BY c.created_ms DESC LIMIT 20"
                ),
                vec![visitor_id.into(), except.into()],
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| PastConversation {
                conversation_id: r.id,
                status: r.status,
                created_ms: r.created_ms as u64,
                last_seq: r.last_seq as u64,
                score: score(r.score),
                first_line: r.first_body.and_then(|body| serde_json::from_str::<MessageBody>(&body).ok()).and_then(
                    |body| {
                        let at_ms = r.first_at.map_or(0, |a| a as u64);
                        let message = protocol::ChatMessage {
                            conversation_id: String::new(),
                            seq: 0,
                            client_id: String::new(),
                            author: Author::Visitor,
                            body,
                            at_ms,
                        };
                        protocol::LastMessage::of(&message).map(|line| line.text)
                    },
                ),
            })
            .collect())
    }

    /// Ratings given since `since_ms`, per agent who held the conversation last.
    pub fn ratings_since(&self, since_ms: u64) -> EdgeResult<Vec<RatingRow>> {
        Ok(self
            .sql()
            .exec(
                "SELECT c.last_agent AS agent, COUNT(*) AS n, SUM(r.score) AS total FROM ratings r
                 JOIN conversations c ON c.id = r.conversation_id
                 WHERE r.created_ms >= ? AND c.last_agent IS NOT NULL GROUP BY c.last_agent",
                vec![int(since_ms)],
            )?
            .to_array()?)
    }

    /// The site's shared phrases, then the agent's own, oldest first.
    pub fn phrases(&self, agent_id: &str) -> EdgeResult<Vec<Phrase>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            agent_id: Option<String>,
            text: String,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec(
                "SELECT id, agent_id, text FROM phrases WHERE agent_id IS NULL OR agent_id = ?
                 ORDER BY agent_id IS NOT NULL, created_ms, id",
                vec![agent_id.into()],
            )?
            .to_array()?;
        Ok(rows.into_iter().map(|r| Phrase { id: r.id, text: r.text, shared: r.agent_id.is_none() }).collect())
    }

    /// The owner of a phrase (`Some(None)`: shared by the site), or `None` if there is no such phrase.
    pub fn phrase_owner(&self, id: &str) -> EdgeResult<Option<Option<String>>> {
        #[derive(Deserialize)]
        struct Row {
            agent_id: Option<String>,
        }
        let rows: Vec<Row> =
            self.sql().exec("SELECT agent_id FROM phrases WHERE id = ?", vec![id.into()])?.to_array()?;
        Ok(rows.into_iter().next().map(|r| r.agent_id))
    }

    /// How many phrases an owner has (`None`: the site's shared ones).
    pub fn phrase_count(&self, owner: Option<&str>) -> EdgeResult<u32> {
        #[derive(Deserialize)]
        struct Row {
            n: f64,
        }
        let rows: Vec<Row> = match owner {
            Some(agent) => {
                self.sql().exec("SELECT COUNT(*) AS n FROM phrases WHERE agent_id = ?", vec![agent.into()])?
            }
            None => self.sql().exec("SELECT COUNT(*) AS n FROM phrases WHERE agent_id IS NULL", None)?,
        }
        .to_array()?;
        Ok(rows.first().map_or(0, |r| r.n as u32))
    }

    /// Adds a phrase (`owner` `None`: shared by the site).
    pub fn add_phrase(&self, id: &str, owner: Option<&str>, text: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql().exec(
            "INSERT INTO phrases (id, agent_id, text, created_ms) VALUES (?, ?, ?, ?)",
            vec![id.into(), owner.into(), text.into(), int(now_ms)],
        )?;
        Ok(())
    }

    /// Changes a phrase's text.
    pub fn update_phrase(&self, id: &str, text: &str) -> EdgeResult<()> {
        self.sql().exec("UPDATE phrases SET text = ? WHERE id = ?", vec![text.into(), id.into()])?;
        Ok(())
    }

    /// Deletes a phrase.
    pub fn delete_phrase(&self, id: &str) -> EdgeResult<()> {
        self.sql().exec("DELETE FROM phrases WHERE id = ?", vec![id.into()])?;
        Ok(())
    }
}

/// The text of a message the search finds it by: a text, an upload's file name, a card's title
/// and id. Prompts and other system messages are not indexed.
fn searchable(author: &Author, body: &MessageBody) -> Option<String> {
    if matches!(author, Author::System) {
        return None;
    }
    Some(match body {
        MessageBody::Text { text } => text.clone(),
        MessageBody::Image { name, .. } | MessageBody::File { name, .. } => name.clone(),
        MessageBody::Card { title, id, .. } => format!("{title} {id}"),
    })
}

/// Messages go into the search index in batches, off the message path: at the end of a callback
/// once the oldest waiting one has waited this long (unix ms)...
const INDEX_AFTER_MS: u64 = 1_000;
/// ... or this many wait; and always before a search runs.
const INDEX_BATCH: u64 = 64;
/// `meta` key: the `messages` rowid up to which messages are in the search index.
const INDEXED_TO: &str = "search_indexed_to";

/// Search rows per insert: three bound values each, under SQLite's 100 a statement.
const SEARCH_ROWS_PER_STATEMENT: usize = 33;

impl Store {
    /// Adds the messages stored since the last batch to the search index: all of them when `all`
    /// (a search is about to run), else only once the oldest has waited [`INDEX_AFTER_MS`] or
    /// [`INDEX_BATCH`] are waiting. Called at the end of every callback; a batch is one storage
    /// transaction, written after that callback's own messages.
    pub fn index_waiting(&self, now_ms: u64, all: bool) -> EdgeResult<()> {
        let Some((since, count)) = self.unindexed.get() else { return Ok(()) };
        if !all && count < INDEX_BATCH && now_ms.saturating_sub(since) < INDEX_AFTER_MS {
            return Ok(());
        }
        self.index_new()
    }

    /// Indexes the messages stored after `meta.search_indexed_to` and moves it on.
    fn index_new(&self) -> EdgeResult<()> {
        let from = self.meta(INDEXED_TO)?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let to = self.index_stored_messages(from)?;
        if to != from {
            self.set_meta(INDEXED_TO, Some(&to.to_string()))?;
        }
        self.unindexed.set(None);
        Ok(())
    }

    /// Adds stored messages to the search index: (conversation, seq, words) rows, as few
    /// statements as the rows allow (each statement costs the Desk's thread more than its rows).
    fn index_rows(&self, rows: &[(String, u64, String)]) -> EdgeResult<()> {
        for chunk in rows.chunks(SEARCH_ROWS_PER_STATEMENT) {
            let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let bindings = chunk
                .iter()
                .flat_map(|(conversation_id, seq, words)| {
                    [words.as_str().into(), conversation_id.as_str().into(), int(*seq)]
                })
                .collect::<Vec<SqlStorageValue>>();
            self.sql()
                .exec(&format!("INSERT INTO message_search (words, conversation_id, seq) VALUES {values}"), bindings)?;
        }
        Ok(())
    }

    /// Indexes the stored messages after rowid `after` (all of them when the index is made), a page
    /// at a time; returns the last rowid it read (`after` when there were none).
    pub(super) fn index_stored_messages(&self, after: u64) -> EdgeResult<u64> {
        #[derive(Deserialize)]
        struct Row {
            rowid: f64,
            conversation_id: String,
            seq: f64,
            author: String,
            body: String,
        }
        let mut after = after;
        loop {
            let rows: Vec<Row> = self
                .sql()
                .exec(
                    "SELECT rowid, conversation_id, seq, author, body FROM messages WHERE rowid > ? ORDER BY rowid LIMIT 500",
                    vec![int(after)],
                )?
                .to_array()?;
            let Some(last) = rows.last() else { return Ok(after) };
            after = last.rowid as u64;
            let mut indexed = Vec::with_capacity(rows.len());
            for row in rows {
                // A row that does not read (written by a much older version) is left out, not fatal.
                let (Ok(author), Ok(body)) = (serde_json::from_str(&row.author), serde_json::from_str(&row.body))
                else {
                    continue;
                };
                let words = searchable(&author, &body).map(|t| index_words(&t)).unwrap_or_default();
                if !words.is_empty() {
                    indexed.push((row.conversation_id, row.seq as u64, words));
                }
            }
            self.index_rows(&indexed)?;
        }
    }

    /// The conversations a search finds, newest first: those with a message matching the text,
    /// or whose visitor's name or phone contains it, narrowed by the filters; a page of
    /// [`SEARCH_PAGE`], and whether there are more.
    pub fn search(&self, query: &SearchQuery) -> EdgeResult<(Vec<SearchHit>, bool)> {
        // Whatever waits for the index goes in first: a search finds every stored message.
        self.index_waiting(0, true)?;
        #[derive(Deserialize)]
        struct Row {
            conversation_id: String,
            visitor_name: String,
            status: String,
            created_ms: f64,
            agent: Option<String>,
            channel: Option<String>,
            score: Option<f64>,
            hit_seq: Option<f64>,
        }
        let text = query.text.trim();
        let expression = match_expression(text);
        let mut params: Vec<worker::SqlStorageValue> = Vec::new();
        let mut sql = String::from(
            "SELECT c.id AS conversation_id, v.name AS visitor_name, c.status, c.created_ms, c.last_agent AS agent,
               json_extract(v.profile, '$.channel') AS channel, r.score, h.seq AS hit_seq
             FROM conversations c JOIN visitors v ON v.id = c.visitor_id
             LEFT JOIN ratings r ON r.conversation_id = c.id ",
        );
        match &expression {
            Some(expression) => {
                sql.push_str(
                    "LEFT JOIN (SELECT conversation_id, MAX(seq) AS seq FROM message_search WHERE message_search MATCH ? GROUP BY conversation_id) h ON h.conversation_id = c.id ",
                );
                params.push(expression.as_str().into());
            }
            None => sql.push_str("LEFT JOIN (SELECT NULL AS conversation_id, NULL AS seq) h ON 0 "),
        }
        sql.push_str("WHERE 1 ");
        if !text.is_empty() {
            let like = like_pattern(text);
            sql.push_str(
                "AND (h.seq IS NOT NULL OR v.name LIKE ? ESCAPE '\\' OR json_extract(v.profile, '$.identity.phone') LIKE ? ESCAPE '\\') ",
            );
            params.push(like.as_str().into());
            params.push(like.as_str().into());
        }
        if let Some(from) = query.from_ms {
            sql.push_str("AND c.created_ms >= ? ");
            params.push(int(from));
        }
        if let Some(to) = query.to_ms {
            sql.push_str("AND c.created_ms < ? ");
            params.push(int(to));
        }
        if let Some(agent) = &query.agent {
            sql.push_str("AND c.last_agent = ? ");
            params.push(agent.as_str().into());
        }
        if let Some(channel) = query.channel {
            sql.push_str("AND COALESCE(json_extract(v.profile, '$.channel'), 'web') = ? ");
            params.push(channel.as_str().into());
        }
        if let Some(plugin) = &query.plugin {
            sql.push_str("AND json_extract(v.profile, '$.plugin') = ? ");
            params.push(plugin.as_str().into());
        }
        if let Some(rating) = query.rating {
            sql.push_str("AND r.score = ? ");
            params.push(int(u64::from(rating)));
        }
        sql.push_str("ORDER BY c.created_ms DESC, c.id LIMIT ? OFFSET ?");
        params.push(int(u64::from(SEARCH_PAGE) + 1));
        params.push(int(u64::from(query.offset)));
        let mut rows: Vec<Row> = self.sql().exec(&sql, params)?.to_array()?;
        let more = rows.len() > SEARCH_PAGE as usize;
        rows.truncate(SEARCH_PAGE as usize);
        let mut hits = Vec::with_capacity(rows.len());
        for row in rows {
            let snippet = match row.hit_seq {
                Some(seq) => self.search_snippet(&row.conversation_id, seq as u64, text)?,
                None => String::new(),
            };
            hits.push(SearchHit {
                conversation_id: row.conversation_id,
                visitor_name: row.visitor_name,
                status: row.status,
                created_ms: row.created_ms as u64,
                agent: row.agent,
                channel: row.channel.as_deref().and_then(protocol::Channel::parse).unwrap_or_default(),
                score: row.score.map(|s| s as u8),
                snippet,
            });
        }
        Ok((hits, more))
    }

    /// The piece of a matched message a hit shows.
    fn search_snippet(&self, conversation_id: &str, seq: u64, query: &str) -> EdgeResult<String> {
        #[derive(Deserialize)]
        struct Row {
            author: String,
            body: String,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec(
                "SELECT author, body FROM messages WHERE conversation_id = ? AND seq = ?",
                vec![conversation_id.into(), int(seq)],
            )?
            .to_array()?;
        Ok(rows
            .first()
            .and_then(|r| {
                let author: Author = serde_json::from_str(&r.author).ok()?;
                let body: MessageBody = serde_json::from_str(&r.body).ok()?;
                searchable(&author, &body)
            })
            .map(|text| snippet(&text, query))
            .unwrap_or_default())
    }

    /// The search benchmark's history: `conversations` made-up conversations numbered from `from`
    /// (a visitor each, created a minute apart going back from `now_ms`), each with `messages`
    /// messages alternating visitor and agent, in Chinese and English, indexed as the Desk indexes
    /// stored messages. Returns how many messages it stored.
    #[cfg(feature = "bench")]
    pub fn bench_fill(
        &self,
        from: u64,
        conversations: u64,
        messages: u64,
        spread_ms: u64,
        now_ms: u64,
    ) -> EdgeResult<u64> {
        const LINES: [&str; 12] = [
            "请问这款蓝牙耳机有货吗？",
            "我想退货，订单号 A{n}",
            "发票怎么开？公司抬头要写全称吗",
            "快递到哪里了，三天还没到",
            "Do you ship to Singapore? How long does it take?",
            "尺码偏大还是偏小，我平时穿 42 码",
            "优惠券用不了，提示已过期",
            "The blue shoes in size 42, are they back in stock?",
            "能便宜一点吗，买两件有折扣吗",
            "收到的商品有划痕，可以换货吗",
            "会员积分怎么兑换",
            "好的，谢谢！",
        ];
        let agent = Author::Agent { id: "a0".into(), name: "Agent".into() };
        let mut written = 0;
        for c in from..from + conversations {
            let (conv, visitor) = (format!("bench-c{c}"), format!("bench-v{c}"));
            let created = now_ms.saturating_sub(c * spread_ms);
            self.sql().exec(
                "INSERT OR IGNORE INTO visitors (id, token_hash, name, created_ms) VALUES (?, ?, ?, ?)",
                vec![visitor.as_str().into(), format!("bench-{c}").into(), format!("访客 {c}").into(), int(created)],
            )?;
            self.sql().exec(
                "INSERT OR IGNORE INTO conversations (id, visitor_id, status, last_seq, created_ms, updated_ms, last_agent) VALUES (?, ?, 'closed', 0, ?, ?, 'a0')",
                vec![conv.as_str().into(), visitor.as_str().into(), int(created), int(created)],
            )?;
            for seq in 1..=messages {
                let line = LINES[((c * 7 + seq * 3) % LINES.len() as u64) as usize].replace("{n}", &c.to_string());
                let author = if seq % 2 == 1 { Author::Visitor } else { agent.clone() };
                let body = MessageBody::Text { text: line };
                self.sql().exec(
                    "INSERT OR IGNORE INTO messages (conversation_id, seq, client_id, author, body, at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    vec![
                        conv.as_str().into(),
                        int(seq),
                        format!("b{seq}").into(),
                        serde_json::to_string(&author)?.into(),
                        serde_json::to_string(&body)?.into(),
                        int(created + seq * 1000),
                    ],
                )?;
                written += 1;
            }
            self.bench_chat(c, &conv, created, messages)?;
        }
        if from == 0 {
            self.bench_presence(now_ms.saturating_sub(conversations.max(1) * spread_ms), now_ms)?;
        }
        self.index_new()?;
        Ok(written)
    }

    /// The report's record of a made-up conversation: eight agents, two groups, three channels,
    /// fifty pages, twenty products, four sources; some waited, some were missed, transferred,
    /// rated.
    #[cfg(feature = "bench")]
    fn bench_chat(&self, c: u64, conv: &str, created: u64, messages: u64) -> EdgeResult<()> {
        let missed = c.is_multiple_of(23);
        let channel = ["web", "mobile_web", "mini_program"][(c % 3) as usize];
        let source = ["direct", "baidu", "www.google.com", "wechat"][(c % 4) as usize];
        let connected = (!missed).then(|| int(created + 5_000 + (c % 7) * 1_000));
        self.sql().exec(
            "INSERT OR IGNORE INTO chats (conversation_id, opened_ms, channel, plugin, page, product, source, campaign, verified,
               first_seq, last_seq, grp, agent, waited, connected_ms, closed_ms, messages, first_reply_ms, transfers, left_message, score)
             VALUES (?, ?, ?, 'main', ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                conv.into(),
                int(created),
                channel.into(),
                format!("/p/{}", c % 50).into(),
                format!("商品 {}", c % 20).into(),
                source.into(),
                (c % 4 == 1).then(|| "双11".to_string()).into(),
                int(u64::from(c.is_multiple_of(5))),
                int(messages),
                (if c.is_multiple_of(2) { "presale" } else { "aftersale" }).into(),
                (!missed).then(|| format!("a{}", c % 8)).into(),
                int(u64::from(c.is_multiple_of(3) || missed)),
                connected.unwrap_or(worker::SqlStorageValue::Null),
                int(created + 600_000),
                // Closed: what `chat_closed` reads from its messages (every other one an agent's,
                // a second apart).
                int(messages),
                if missed { worker::SqlStorageValue::Null } else { int(created + 2_000) },
                int(u64::from(c.is_multiple_of(11))),
                int(u64::from(missed)),
                if c.is_multiple_of(2) { int(1 + c % 5) } else { worker::SqlStorageValue::Null },
            ],
        )?;
        Ok(())
    }

    /// Eight agents' days over the bench's span: online at nine, away at noon for an hour, off at six.
    #[cfg(feature = "bench")]
    fn bench_presence(&self, from_ms: u64, to_ms: u64) -> EdgeResult<()> {
        const HOUR: u64 = 3_600_000;
        let mut day = from_ms - from_ms % (24 * HOUR);
        while day < to_ms {
            for agent in 0..8 {
                for (at, status) in [(9, "online"), (12, "away"), (13, "online"), (18, "offline")] {
                    self.log_presence(&format!("a{agent}"), status, day + at * HOUR)?;
                }
            }
            day += 24 * HOUR;
        }
        Ok(())
    }
}
