//! The Desk's SQLite storage: versioned schema and every query. The only code that touches `sql()`.

use protocol::{Author, ChatMessage, ConversationSummary, MessageBody, SendFailure, SiteConfig};
use serde::Deserialize;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use worker::{SqlStorage, SqlStorageValue};

use super::limits::LockState;
use crate::error::{EdgeError, EdgeResult};
use crate::secrets::StoredPassword;

/// Most conversations whose newest seq is kept in memory (per-conversation memory stays bounded
/// however many conversations a Desk sees between two evictions).
const MAX_CACHED_SEQS: usize = 20_000;

/// How many of a conversation's newest messages its list item is read from ([`Store::list_news`]).
const NEWS_WINDOW: u64 = 100;

/// What a list item says of a conversation's messages.
#[derive(Debug, Default)]
struct ListNews {
    last: Option<protocol::LastMessage>,
    waiting_since_ms: Option<u64>,
    unread: u32,
}

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    // v1: site config, agents, visitors, conversations, messages.
    "CREATE TABLE IF NOT EXISTS config (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, salt TEXT NOT NULL, password_hash TEXT NOT NULL);
     CREATE TABLE IF NOT EXISTS agent_sessions (token_hash TEXT PRIMARY KEY, agent_id TEXT NOT NULL, created_ms INTEGER NOT NULL);
     CREATE TABLE IF NOT EXISTS visitors (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_ms INTEGER NOT NULL);
     CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, visitor_id TEXT NOT NULL, status TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
     CREATE INDEX IF NOT EXISTS conversations_by_visitor ON conversations (visitor_id, status);
     CREATE TABLE IF NOT EXISTS messages (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, client_id TEXT NOT NULL, author TEXT NOT NULL, body TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (conversation_id, seq), UNIQUE (conversation_id, client_id));",
    // v2: verified visitors (one person, many devices: sessions apart from visitors), CRM contacts.
    "CREATE TABLE IF NOT EXISTS visitor_sessions (token_hash TEXT PRIMARY KEY, visitor_id TEXT NOT NULL, created_ms INTEGER NOT NULL);
     INSERT OR IGNORE INTO visitor_sessions (token_hash, visitor_id, created_ms) SELECT token_hash, id, created_ms FROM visitors;
     ALTER TABLE visitors ADD COLUMN match_key TEXT;
     ALTER TABLE visitors ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE visitors ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
     ALTER TABLE visitors ADD COLUMN contact_id TEXT;
     CREATE UNIQUE INDEX IF NOT EXISTS visitors_by_match_key ON visitors (match_key) WHERE match_key IS NOT NULL;
     CREATE TABLE IF NOT EXISTS contacts (id TEXT PRIMARY KEY, name TEXT NOT NULL, phone_digits TEXT NOT NULL, owner_agent TEXT, customer_id TEXT, customer_owner TEXT);
     CREATE INDEX IF NOT EXISTS contacts_by_phone ON contacts (phone_digits);",
    // v3: uploads (metadata; the bytes live in R2) and the Desk's own secrets (download-link key).
    "CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, uploader TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT NOT NULL, r2_key TEXT NOT NULL, created_ms INTEGER NOT NULL);
     CREATE INDEX IF NOT EXISTS uploads_by_conversation ON uploads (conversation_id);
     CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // v4: the routing core's records, the entry a conversation came through, left messages.
    "CREATE TABLE IF NOT EXISTS routing_records (kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id));
     ALTER TABLE conversations ADD COLUMN entry TEXT;
     CREATE TABLE IF NOT EXISTS left_messages (id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, fields TEXT NOT NULL, created_ms INTEGER NOT NULL);",
    // v5: read receipts and satisfaction ratings.
    "ALTER TABLE conversations ADD COLUMN visitor_read_seq INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE conversations ADD COLUMN agent_read_seq INTEGER NOT NULL DEFAULT 0;
     CREATE TABLE IF NOT EXISTS ratings (conversation_id TEXT PRIMARY KEY, score INTEGER NOT NULL, comment TEXT NOT NULL, created_ms INTEGER NOT NULL);",
    // v6: the console: quick phrases (agent_id NULL: shared by the site), the agent who held a
    // conversation last (closed-today list, ratings per agent).
    "CREATE TABLE IF NOT EXISTS phrases (id TEXT PRIMARY KEY, agent_id TEXT, text TEXT NOT NULL, created_ms INTEGER NOT NULL);
     CREATE INDEX IF NOT EXISTS phrases_by_agent ON phrases (agent_id);
     ALTER TABLE conversations ADD COLUMN last_agent TEXT;
     CREATE INDEX IF NOT EXISTS conversations_by_status ON conversations (status, updated_ms);",
    // v7: a stored message moves its conversation's last_seq inside SQLite (one statement per
    // message instead of two on the hot path).
    "CREATE TRIGGER IF NOT EXISTS messages_advance_seq AFTER INSERT ON messages BEGIN
       UPDATE conversations SET last_seq = NEW.seq, updated_ms = NEW.at_ms WHERE id = NEW.conversation_id;
     END;",
    // v8: a message no longer moves `updated_ms` (indexed by status, and only read as the time a
    // conversation was closed): one index write less per message.
    "DROP TRIGGER IF EXISTS messages_advance_seq;
     CREATE TRIGGER messages_advance_seq AFTER INSERT ON messages BEGIN
       UPDATE conversations SET last_seq = NEW.seq WHERE id = NEW.conversation_id;
     END;",
    // v9: the Desk keeps each conversation's newest seq in memory (read back from `messages` after
    // a wake) and a message is one plain insert; `conversations.last_seq` is no longer kept (the
    // column stays, unread).
    "DROP TRIGGER IF EXISTS messages_advance_seq",
    // v10: sessions end. Each session remembers its last use (refreshed at most every hour or so):
    // a visitor session lives for a sliding period after it, an agent session ends after a
    // stretch without it. Sessions that existed before get their first period from the upgrade.
    "ALTER TABLE visitor_sessions ADD COLUMN last_used_ms INTEGER NOT NULL DEFAULT 0;
     UPDATE visitor_sessions SET last_used_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
     ALTER TABLE agent_sessions ADD COLUMN last_used_ms INTEGER NOT NULL DEFAULT 0;
     UPDATE agent_sessions SET last_used_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
     CREATE INDEX IF NOT EXISTS visitor_sessions_by_visitor ON visitor_sessions (visitor_id);
     CREATE INDEX IF NOT EXISTS visitor_sessions_by_last_use ON visitor_sessions (last_used_ms);
     CREATE INDEX IF NOT EXISTS agent_sessions_by_agent ON agent_sessions (agent_id);
     CREATE INDEX IF NOT EXISTS agent_sessions_by_last_use ON agent_sessions (last_used_ms);",
    // v11: each password hash keeps its PBKDF2 iteration count (older rows were made with 20,000;
    // they are rehashed at the current count on the next successful login), and each account its
    // failed logins and lock.
    "ALTER TABLE agents ADD COLUMN iterations INTEGER NOT NULL DEFAULT 20000;
     ALTER TABLE agents ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE agents ADD COLUMN locked_until_ms INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE agents ADD COLUMN last_failure_ms INTEGER NOT NULL DEFAULT 0",
    // v12: whether a message names the upload (uploads from before count as named); unnamed ones
    // are deleted after `uploads.unused_ttl_secs`.
    "ALTER TABLE uploads ADD COLUMN used INTEGER NOT NULL DEFAULT 1;
     CREATE INDEX IF NOT EXISTS uploads_unused ON uploads (used, created_ms)",
    // v13: settings are data with a version (a save names the version it read; the operator's
    // PUT config moves it too), and every save (and contacts import) leaves a row of what changed,
    // by whom, at which version.
    "ALTER TABLE config ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
     CREATE TABLE IF NOT EXISTS settings_history (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, at_ms INTEGER NOT NULL, who TEXT NOT NULL, changes TEXT NOT NULL)",
    // v14: WeChat retries a push it got no answer to: the events (which carry no MsgId) already
    // handled, by mini-program, user and push key; messages are deduplicated as any message is,
    // by their client id (`wx` and the MsgId).
    "CREATE TABLE IF NOT EXISTS wechat_events (app_id TEXT NOT NULL, openid TEXT NOT NULL, key TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (app_id, openid, key))",
    // v15: every push forgets what is older than a day and looks its nonce up: by index, not by
    // scanning the table.
    "CREATE INDEX IF NOT EXISTS wechat_events_at ON wechat_events (at_ms);
     CREATE INDEX IF NOT EXISTS wechat_events_key ON wechat_events (app_id, key)",
    // v16: messages a mini-program user's WeChat did not take, until they are sent again.
    "CREATE TABLE IF NOT EXISTS send_failures (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, reason TEXT NOT NULL, retry INTEGER NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (conversation_id, seq))",
    // v17: the outbox to WeChat, written with the message it sends, so a Desk that stops before
    // sending (evicted, restarted) sends it when it next runs; in the order stored.
    "CREATE TABLE IF NOT EXISTS wechat_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, queued_ms INTEGER NOT NULL, UNIQUE (conversation_id, seq))",
    // v18: full-text search over the visitors' and agents' messages (SQLite's FTS5; a CJK
    // character is a word of its own, `protocol::search`), filled from the messages already
    // stored when it is made (`Store::index_stored_messages`).
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5(words, conversation_id UNINDEXED, seq UNINDEXED)",
    // v19: the reports' records (`report_store`). A chat is one opening of a conversation (its
    // first message, or the first after it was closed): where the visitor came from, then what
    // routing did with it (group, agent, waited, connected, transfers, left message, closed) and
    // its rating, written as each happens. Messages stay in `messages`: a chat's count of them and
    // its first agent message are read from there when it closes (and live while it is open).
    // Agents' presence changes, for their online and away time.
    "CREATE TABLE IF NOT EXISTS chats (conversation_id TEXT NOT NULL, opened_ms INTEGER NOT NULL, channel TEXT NOT NULL,
       plugin TEXT, page TEXT, product TEXT, source TEXT NOT NULL, campaign TEXT, verified INTEGER NOT NULL,
       first_seq INTEGER NOT NULL, last_seq INTEGER, grp TEXT, agent TEXT, waited INTEGER NOT NULL DEFAULT 0,
       connected_ms INTEGER, closed_ms INTEGER, messages INTEGER, first_reply_ms INTEGER, transfers INTEGER NOT NULL DEFAULT 0,
       left_message INTEGER NOT NULL DEFAULT 0, score INTEGER, PRIMARY KEY (conversation_id, opened_ms));
     CREATE INDEX IF NOT EXISTS chats_by_opening ON chats (opened_ms);
     CREATE TABLE IF NOT EXISTS presence_log (agent_id TEXT NOT NULL, at_ms INTEGER NOT NULL, status TEXT NOT NULL);
     CREATE INDEX IF NOT EXISTS presence_log_by_time ON presence_log (at_ms)",
    // v20: messages go into the search index in batches (`Store::index_waiting`), no longer with
    // each insert; `meta.search_indexed_to` says up to which `messages` rowid they are in it
    // (every message stored before this version is).
    "INSERT OR REPLACE INTO meta (key, value) SELECT 'search_indexed_to', CAST(COALESCE(MAX(rowid), 0) AS TEXT) FROM messages",
];

/// The schema version that made the search index: migrating to it indexes the stored messages.
const SEARCH_INDEX_VERSION: usize = 18;

/// The statements of a migration, split at `;` except inside a trigger's `BEGIN ... END`.
fn statements(migration: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut trigger = String::new();
    for piece in migration.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        if trigger.is_empty() && !piece.starts_with("CREATE TRIGGER") {
            out.push(piece.to_string());
            continue;
        }
        trigger.push_str(piece);
        trigger.push(';');
        if piece.ends_with("END") {
            out.push(std::mem::take(&mut trigger));
        }
    }
    out
}

/// Most messages one agent `sync` sends.
const MAX_REPLAY: i64 = 1_000;

/// Typed access to the Desk's SQLite database.
pub struct Store {
    sql: SqlStorage,
    /// The newest `seq` of each conversation that stored a message since this object woke (read
    /// from `messages` on first use): a message is then one plain insert.
    last_seqs: RefCell<HashMap<String, u64>>,
    /// Messages stored and not yet in the search index: since when (unix ms) and how many; `None`
    /// when there are none.
    pub(super) unindexed: Cell<Option<(u64, u64)>>,
}

/// A conversation's newest `seq`, for queries over `conversations c` (the primary key of
/// `messages` answers it from the index).
pub(super) const LAST_SEQ: &str = "(SELECT COALESCE(MAX(m.seq), 0) FROM messages m WHERE m.conversation_id = c.id)";

/// A stored agent account.
#[derive(Debug, Deserialize)]
pub struct AgentRow {
    /// Agent id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// The `agents` columns a [`LoginRow`] is read from.
const LOGIN_COLUMNS: &str = "id, name, salt, password_hash, iterations, failures, locked_until_ms, last_failure_ms";

/// An agent account as a login sees it: its password and its failed logins.
#[derive(Debug, Deserialize)]
pub struct LoginRow {
    /// Agent id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Password salt (hex; "" without a password).
    pub salt: String,
    /// PBKDF2 hash (hex; "" without a password).
    pub password_hash: String,
    /// PBKDF2 iterations of the hash.
    pub iterations: f64,
    /// Failed logins since the last success.
    pub failures: f64,
    /// Locked until (unix ms).
    pub locked_until_ms: f64,
    /// When the last failure was counted (unix ms).
    pub last_failure_ms: f64,
}

impl LoginRow {
    /// The stored password.
    pub fn password(&self) -> StoredPassword {
        StoredPassword { salt: self.salt.clone(), hash: self.password_hash.clone(), iterations: self.iterations as u32 }
    }

    /// The account's failed logins and lock.
    pub fn lock(&self) -> LockState {
        LockState {
            failures: self.failures as u32,
            locked_until_ms: self.locked_until_ms as u64,
            last_failure_ms: self.last_failure_ms as u64,
        }
    }
}

/// A visitor with its open conversation.
#[derive(Debug, Deserialize)]
pub struct VisitorSession {
    /// Visitor id.
    pub visitor_id: String,
    /// Open conversation id.
    pub conversation_id: String,
    /// Name shown for the visitor.
    pub name: String,
    /// 1 when the visitor proved its identity.
    pub verified: f64,
    /// The stored profile JSON (identity fields, custom fields, page, pre-chat answers).
    pub profile: String,
}

/// A new visitor to store.
#[derive(Debug)]
pub struct NewVisitor<'a> {
    /// Visitor id.
    pub id: &'a str,
    /// Name shown to agents.
    pub name: &'a str,
    /// Normalised verification fields (verified visitors), or `wx:{app_id}:{openid}` (a
    /// mini-program user, one visitor per openid).
    pub match_key: Option<&'a str>,
    /// Whether the visitor proved its identity with a site token.
    pub verified: bool,
    /// Display-only profile (JSON object).
    pub profile: &'a str,
    /// Linked CRM contact.
    pub contact_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct MessageRow {
    conversation_id: String,
    seq: f64,
    client_id: String,
    author: String,
    body: String,
    at_ms: f64,
}

#[derive(Deserialize)]
struct Count {
    n: f64,
}

/// The digits of a phone number (ASCII and full-width), for matching.
pub fn digits(phone: &str) -> String {
    phone
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            _ => None,
        })
        .collect()
}

/// A `LIKE` pattern that finds `text` anywhere, its `%`, `_` and backslash taken literally (the
/// query says `ESCAPE` with a backslash).
pub(super) fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

pub(super) fn int(v: u64) -> SqlStorageValue {
    SqlStorageValue::Integer(i64::try_from(v).unwrap_or(i64::MAX))
}

/// What the routing core needs to know when a conversation opens.
#[derive(Debug, Deserialize)]
pub struct OpenContext {
    /// `open` or `closed`.
    pub status: String,
    /// Entry id the visitor came through.
    pub entry: Option<String>,
    /// The visitor's display-only profile (JSON).
    pub profile: String,
    /// Owner agent of the linked CRM contact.
    pub owner_agent: Option<String>,
    /// Owner agent of the linked CRM customer.
    pub customer_owner: Option<String>,
    /// The last agent who had the conversation (none: no agent ever served it).
    pub last_agent: Option<String>,
    /// Whether the visitor proved its identity (`1.0`) or is a guest (`0.0`).
    pub verified: f64,
}

impl Store {
    /// The SQLite handle, for the routing records (`routing_store`).
    pub fn sql(&self) -> &SqlStorage {
        &self.sql
    }

    /// Facts about a conversation and its visitor for the routing core.
    pub fn open_context(&self, conversation_id: &str) -> EdgeResult<Option<OpenContext>> {
        let rows: Vec<OpenContext> = self
            .sql
            .exec(
                "SELECT c.status, c.entry, v.profile, k.owner_agent, k.customer_owner, c.last_agent, v.verified FROM conversations c
                 JOIN visitors v ON v.id = c.visitor_id LEFT JOIN contacts k ON k.id = v.contact_id WHERE c.id = ?",
                vec![conversation_id.into()],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// Marks a conversation open or closed.
    pub fn set_conversation_status(&self, conversation_id: &str, status: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "UPDATE conversations SET status = ?, updated_ms = ? WHERE id = ?",
            vec![status.into(), int(now_ms), conversation_id.into()],
        )?;
        Ok(())
    }

    /// Records the entry (designated agent or group button) a conversation starts from.
    pub fn set_conversation_entry(&self, conversation_id: &str, entry: &str) -> EdgeResult<()> {
        self.sql.exec("UPDATE conversations SET entry = ? WHERE id = ?", vec![entry.into(), conversation_id.into()])?;
        Ok(())
    }

    /// Stores a leave-message form submission.
    pub fn add_left_message(
        &self,
        conversation_id: &str,
        fields: &std::collections::BTreeMap<String, String>,
        now_ms: u64,
    ) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT INTO left_messages (conversation_id, fields, created_ms) VALUES (?, ?, ?)",
            vec![conversation_id.into(), serde_json::to_string(fields)?.into(), int(now_ms)],
        )?;
        Ok(())
    }

    /// Records how far one side has read (never backwards); returns the stored value.
    pub fn mark_read(&self, conversation_id: &str, visitor_side: bool, seq: u64) -> EdgeResult<u64> {
        #[derive(Deserialize)]
        struct Row {
            n: f64,
        }
        let column = if visitor_side { "visitor_read_seq" } else { "agent_read_seq" };
        let rows: Vec<Row> = self
            .sql
            .exec(
                &format!("UPDATE conversations AS c SET {column} = MAX({column}, MIN(?, {LAST_SEQ})) WHERE id = ? RETURNING {column} AS n"),
                vec![int(seq), conversation_id.into()],
            )?
            .to_array()?;
        rows.first().map(|r| r.n as u64).ok_or(EdgeError::ConversationNotFound)
    }

    /// Stores (or replaces) the visitor's rating of a closed conversation.
    pub fn rate(&self, conversation_id: &str, score: u8, comment: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT INTO ratings (conversation_id, score, comment, created_ms) VALUES (?, ?, ?, ?)
             ON CONFLICT(conversation_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, created_ms = excluded.created_ms",
            vec![conversation_id.into(), SqlStorageValue::Integer(i64::from(score)), comment.into(), int(now_ms)],
        )?;
        self.chat_rated(conversation_id, score)
    }

    /// The newest leave-message submissions.
    pub fn left_messages(&self, limit: u32) -> EdgeResult<Vec<protocol::LeftMessage>> {
        #[derive(Deserialize)]
        struct Row {
            conversation_id: String,
            fields: String,
            created_ms: f64,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT conversation_id, fields, created_ms FROM left_messages ORDER BY id DESC LIMIT ?",
                vec![int(u64::from(limit))],
            )?
            .to_array()?;
        rows.into_iter()
            .map(|r| {
                Ok(protocol::LeftMessage {
                    conversation_id: r.conversation_id,
                    fields: serde_json::from_str(&r.fields)?,
                    at_ms: r.created_ms as u64,
                })
            })
            .collect()
    }

    /// Whether a conversation is closed after an agent served it (only then is it rated).
    pub fn is_rateable(&self, conversation_id: &str) -> EdgeResult<bool> {
        Ok(self.open_context(conversation_id)?.is_some_and(|c| c.status == "closed" && c.last_agent.is_some()))
    }

    /// The stored message with this client id, if any (a resend).
    pub fn find_message(&self, conversation_id: &str, client_id: &str) -> EdgeResult<Option<ChatMessage>> {
        self.message_by_client_id(conversation_id, client_id)
    }
}

impl Store {
    /// Opens the storage if the site has any (reading only: a Desk for a site id that no operator
    /// created writes nothing), migrating it to the current schema.
    pub fn existing(sql: SqlStorage) -> EdgeResult<Option<Self>> {
        let rows: Vec<Count> = sql
            .exec("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", None)?
            .to_array()?;
        match rows.first().is_some_and(|c| c.n > 0.0) {
            true => Self::open(sql).map(Some),
            false => Ok(None),
        }
    }

    /// Opens (creating when needed) and migrates the storage.
    pub fn open(sql: SqlStorage) -> EdgeResult<Self> {
        // Messages stored before a restart may wait for the index: looked for at the first chance.
        let store = Self { sql, last_seqs: RefCell::new(HashMap::new()), unindexed: Cell::new(Some((0, 0))) };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> EdgeResult<()> {
        self.sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", None)?;
        let rows: Vec<Count> =
            self.sql.exec("SELECT COALESCE(MAX(version), 0) AS n FROM schema_version", None)?.to_array()?;
        let current = rows.first().map_or(0, |c| c.n as usize);
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(current) {
            for statement in statements(migration) {
                self.sql.exec(&statement, None)?;
            }
            if i + 1 == SEARCH_INDEX_VERSION {
                self.index_stored_messages(0)?;
            }
            self.sql.exec("INSERT INTO schema_version (version) VALUES (?)", vec![int(i as u64 + 1)])?;
        }
        Ok(())
    }

    /// The site configuration, if the admin has written one.
    pub fn config(&self) -> EdgeResult<Option<SiteConfig>> {
        #[derive(Deserialize)]
        struct Row {
            json: String,
        }
        let rows: Vec<Row> = self.sql.exec("SELECT json FROM config WHERE id = 1", None)?.to_array()?;
        match rows.first() {
            Some(row) => Ok(Some(serde_json::from_str(&row.json)?)),
            None => Ok(None),
        }
    }

    /// The stored configuration's version (0: none stored).
    pub fn config_version(&self) -> EdgeResult<u64> {
        #[derive(Deserialize)]
        struct Row {
            version: f64,
        }
        let rows: Vec<Row> = self.sql.exec("SELECT version FROM config WHERE id = 1", None)?.to_array()?;
        Ok(rows.first().map_or(0, |r| r.version as u64))
    }

    /// Keeps one saved change of the settings (`changes`: its JSON list of changed fields).
    pub fn add_settings_change(&self, version: u64, at_ms: u64, who: &str, changes: &str) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT INTO settings_history (version, at_ms, who, changes) VALUES (?, ?, ?, ?)",
            vec![int(version), int(at_ms), who.into(), changes.into()],
        )?;
        Ok(())
    }

    /// The newest `limit` saved changes of the settings, newest first.
    pub fn settings_history(&self, limit: u32) -> EdgeResult<Vec<protocol::settings::SettingsChange>> {
        #[derive(Deserialize)]
        struct Row {
            version: f64,
            at_ms: f64,
            who: String,
            changes: String,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT version, at_ms, who, changes FROM settings_history ORDER BY id DESC LIMIT ?",
                vec![int(u64::from(limit))],
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| protocol::settings::SettingsChange {
                version: r.version as u64,
                at_ms: r.at_ms as u64,
                who: r.who,
                changes: serde_json::from_str(&r.changes).unwrap_or_default(),
            })
            .collect())
    }

    /// Writes the site configuration (without passwords) and the agent accounts.
    ///
    /// `passwords` holds the new stored password of agents whose password was given (which also
    /// clears their failed logins and lock); agents not in the config are removed together with
    /// their sessions.
    pub fn put_config(
        &self,
        config: &SiteConfig,
        passwords: &std::collections::BTreeMap<String, StoredPassword>,
    ) -> EdgeResult<()> {
        let json = serde_json::to_string(config)?;
        self.sql.exec(
            "INSERT INTO config (id, json, version) VALUES (1, ?, 1)
             ON CONFLICT(id) DO UPDATE SET json = excluded.json, version = config.version + 1",
            vec![json.into()],
        )?;
        for agent in &config.agents {
            let (salt, hash, iterations) = passwords
                .get(&agent.id)
                .map(|p| (p.salt.as_str(), p.hash.as_str(), p.iterations))
                .unwrap_or(("", "", crate::secrets::PASSWORD_ITERATIONS));
            self.sql.exec(
                "INSERT INTO agents (id, name, salt, password_hash, iterations) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name,
                   salt = CASE WHEN excluded.password_hash = '' THEN agents.salt ELSE excluded.salt END,
                   iterations = CASE WHEN excluded.password_hash = '' THEN agents.iterations ELSE excluded.iterations END,
                   failures = CASE WHEN excluded.password_hash = '' THEN agents.failures ELSE 0 END,
                   locked_until_ms = CASE WHEN excluded.password_hash = '' THEN agents.locked_until_ms ELSE 0 END,
                   password_hash = CASE WHEN excluded.password_hash = '' THEN agents.password_hash ELSE excluded.password_hash END",
                vec![agent.id.as_str().into(), agent.name.as_str().into(), salt.into(), hash.into(), int(u64::from(iterations))],
            )?;
        }
        let keep: Vec<String> = config.agents.iter().map(|a| a.id.clone()).collect();
        let existing: Vec<AgentRow> = self.sql.exec("SELECT id, name FROM agents", None)?.to_array()?;
        for gone in existing.iter().filter(|a| !keep.contains(&a.id)) {
            self.sql.exec("DELETE FROM agents WHERE id = ?", vec![gone.id.as_str().into()])?;
            self.sql.exec("DELETE FROM agent_sessions WHERE agent_id = ?", vec![gone.id.as_str().into()])?;
        }
        Ok(())
    }

    /// The stored password of every agent that has one, by agent id.
    pub fn passwords(&self) -> EdgeResult<std::collections::BTreeMap<String, StoredPassword>> {
        let rows: Vec<LoginRow> = self
            .sql
            .exec(&format!("SELECT {LOGIN_COLUMNS} FROM agents WHERE password_hash <> ''"), None)?
            .to_array()?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row.password())).collect())
    }

    /// An agent account with its password and failed logins, for a login.
    pub fn agent_login(&self, id: &str) -> EdgeResult<Option<LoginRow>> {
        let rows: Vec<LoginRow> =
            self.sql.exec(&format!("SELECT {LOGIN_COLUMNS} FROM agents WHERE id = ?"), vec![id.into()])?.to_array()?;
        Ok(rows.into_iter().next())
    }

    /// Stores an account's failed logins and lock.
    pub fn set_login_lock(&self, id: &str, lock: LockState) -> EdgeResult<()> {
        self.sql.exec(
            "UPDATE agents SET failures = ?, locked_until_ms = ?, last_failure_ms = ? WHERE id = ?",
            vec![int(u64::from(lock.failures)), int(lock.locked_until_ms), int(lock.last_failure_ms), id.into()],
        )?;
        Ok(())
    }

    /// A successful login: clears the failed logins and lock, and replaces the stored password
    /// with `rehash` (same password, more iterations) while the hash is still `checked_hash`.
    pub fn login_succeeded(&self, id: &str, checked_hash: &str, rehash: Option<&StoredPassword>) -> EdgeResult<()> {
        self.sql.exec("UPDATE agents SET failures = 0, locked_until_ms = 0 WHERE id = ?", vec![id.into()])?;
        if let Some(new) = rehash {
            self.sql.exec(
                "UPDATE agents SET salt = ?, password_hash = ?, iterations = ? WHERE id = ? AND password_hash = ?",
                vec![
                    new.salt.as_str().into(),
                    new.hash.as_str().into(),
                    int(u64::from(new.iterations)),
                    id.into(),
                    checked_hash.into(),
                ],
            )?;
        }
        Ok(())
    }

    /// Accounts locked at `now_ms`: `(agent id, locked until)`.
    pub fn locked_agents(&self, now_ms: u64) -> EdgeResult<Vec<(String, u64)>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            locked_until_ms: f64,
        }
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT id, locked_until_ms FROM agents WHERE locked_until_ms > ?", vec![int(now_ms)])?
            .to_array()?;
        Ok(rows.into_iter().map(|r| (r.id, r.locked_until_ms as u64)).collect())
    }

    /// Records an agent session token (by hash), used now.
    pub fn add_agent_session(&self, token_hash: &str, agent_id: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT INTO agent_sessions (token_hash, agent_id, created_ms, last_used_ms) VALUES (?, ?, ?, ?)",
            vec![token_hash.into(), agent_id.into(), int(now_ms), int(now_ms)],
        )?;
        Ok(())
    }

    /// The agent a session token (by hash) belongs to, if the session was used at or after
    /// `alive_since` (unix ms).
    pub fn agent_by_token(&self, token_hash: &str, alive_since: u64) -> EdgeResult<Option<AgentRow>> {
        let rows: Vec<AgentRow> = self
            .sql
            .exec(
                "SELECT a.id, a.name FROM agent_sessions s JOIN agents a ON a.id = s.agent_id
                 WHERE s.token_hash = ? AND s.last_used_ms >= ?",
                vec![token_hash.into(), int(alive_since)],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// Records a use of an agent session that is still alive (used at or after `alive_since`);
    /// false when the session is gone or ended for inactivity.
    pub fn touch_agent_session(&self, token_hash: &str, now_ms: u64, alive_since: u64) -> EdgeResult<bool> {
        let cursor = self.sql.exec(
            "UPDATE agent_sessions SET last_used_ms = ? WHERE token_hash = ? AND last_used_ms >= ?",
            vec![int(now_ms), token_hash.into(), int(alive_since)],
        )?;
        Ok(cursor.rows_written() > 0)
    }

    /// Ends one agent session (a log-out).
    pub fn end_agent_session(&self, token_hash: &str) -> EdgeResult<()> {
        self.sql.exec("DELETE FROM agent_sessions WHERE token_hash = ?", vec![token_hash.into()])?;
        Ok(())
    }

    /// Ends every session of an agent (its password changed, it was disabled).
    pub fn end_agent_sessions(&self, agent_id: &str) -> EdgeResult<()> {
        self.sql.exec("DELETE FROM agent_sessions WHERE agent_id = ?", vec![agent_id.into()])?;
        Ok(())
    }

    /// Ends every session of every verified visitor (a site key they were verified with is gone);
    /// guests keep theirs.
    pub fn end_verified_visitor_sessions(&self) -> EdgeResult<()> {
        self.sql.exec(
            "DELETE FROM visitor_sessions WHERE visitor_id IN (SELECT id FROM visitors WHERE verified = 1)",
            None,
        )?;
        Ok(())
    }

    /// Deletes sessions whose lifetime is over (visitor sessions last used before
    /// `visitor_alive_since`, agent sessions before `agent_alive_since`); both are refused anyway.
    pub fn drop_expired_sessions(&self, visitor_alive_since: u64, agent_alive_since: u64) -> EdgeResult<()> {
        self.sql.exec("DELETE FROM visitor_sessions WHERE last_used_ms < ?", vec![int(visitor_alive_since)])?;
        self.sql.exec("DELETE FROM agent_sessions WHERE last_used_ms < ?", vec![int(agent_alive_since)])?;
        Ok(())
    }

    /// The visitor a session token (by hash) belongs to, with its open conversation ("" if none),
    /// if the session was used at or after `alive_since` (unix ms).
    pub fn visitor_by_token(&self, token_hash: &str, alive_since: u64) -> EdgeResult<Option<VisitorSession>> {
        self.visitor_where(
            "JOIN visitor_sessions s ON s.visitor_id = v.id WHERE s.token_hash = ? AND s.last_used_ms >= ?",
            vec![token_hash.into(), int(alive_since)],
        )
    }

    /// Records a use of a visitor session, writing only when the stored use is older than
    /// `every_ms` (the sliding lifetime needs no more precision, and the write stays rare).
    pub fn touch_visitor_session(&self, token_hash: &str, now_ms: u64, every_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "UPDATE visitor_sessions SET last_used_ms = ? WHERE token_hash = ? AND last_used_ms < ?",
            vec![int(now_ms), token_hash.into(), int(now_ms.saturating_sub(every_ms))],
        )?;
        Ok(())
    }

    /// The verified visitor with these normalised verification fields, with its open conversation.
    pub fn visitor_by_match_key(&self, match_key: &str) -> EdgeResult<Option<VisitorSession>> {
        self.visitor_where("WHERE v.match_key = ?", vec![match_key.into()])
    }

    fn visitor_where(&self, clause: &str, bindings: Vec<SqlStorageValue>) -> EdgeResult<Option<VisitorSession>> {
        let query = format!(
            "SELECT v.id AS visitor_id, COALESCE(c.id, '') AS conversation_id, v.name, v.verified, v.profile FROM visitors v
             LEFT JOIN conversations c ON c.visitor_id = v.id AND c.status = 'open' {clause}
             ORDER BY c.created_ms DESC LIMIT 1"
        );
        let rows: Vec<VisitorSession> = self.sql.exec(&query, bindings)?.to_array()?;
        Ok(rows.into_iter().next())
    }

    /// The mini-program and openid of a conversation's visitor, when it is a mini-program user
    /// (its match key is `wx:{app_id}:{openid}`).
    pub fn wechat_user_of(&self, conversation_id: &str) -> EdgeResult<Option<(String, String)>> {
        #[derive(Deserialize)]
        struct Row {
            match_key: Option<String>,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT v.match_key FROM conversations c JOIN visitors v ON v.id = c.visitor_id WHERE c.id = ?",
                vec![conversation_id.into()],
            )?
            .to_array()?;
        Ok(rows.into_iter().next().and_then(|r| {
            let key = r.match_key?;
            let (app_id, openid) = key.strip_prefix("wx:")?.split_once(':')?;
            Some((app_id.to_string(), openid.to_string()))
        }))
    }

    /// Notes that a message did not reach the user's channel (replacing an earlier failure of it).
    pub fn note_send_failure(&self, conversation_id: &str, failure: &SendFailure, now_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT OR REPLACE INTO send_failures (conversation_id, seq, reason, retry, at_ms) VALUES (?, ?, ?, ?, ?)",
            vec![
                conversation_id.into(),
                int(failure.seq),
                failure.reason.as_str().into(),
                int(u64::from(failure.retry)),
                int(now_ms),
            ],
        )?;
        Ok(())
    }

    /// Forgets a message's failure (it is being sent again); `false` when it had none.
    pub fn clear_send_failure(&self, conversation_id: &str, seq: u64) -> EdgeResult<bool> {
        let cursor = self.sql.exec(
            "DELETE FROM send_failures WHERE conversation_id = ? AND seq = ?",
            vec![conversation_id.into(), int(seq)],
        )?;
        Ok(cursor.rows_written() > 0)
    }

    /// A conversation's messages that did not reach the user's channel, by `seq`.
    pub fn send_failures(&self, conversation_id: &str) -> EdgeResult<Vec<SendFailure>> {
        #[derive(Deserialize)]
        struct Row {
            seq: f64,
            reason: String,
            retry: f64,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT seq, reason, retry FROM send_failures WHERE conversation_id = ? ORDER BY seq",
                vec![conversation_id.into()],
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| SendFailure { seq: r.seq as u64, reason: r.reason, retry: r.retry != 0.0 })
            .collect())
    }

    /// Puts a stored message in the outbox to WeChat (once, however often it is asked).
    pub fn queue_wechat_out(&self, conversation_id: &str, seq: u64, now_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT OR IGNORE INTO wechat_outbox (conversation_id, seq, queued_ms) VALUES (?, ?, ?)",
            vec![conversation_id.into(), int(seq), int(now_ms)],
        )?;
        Ok(())
    }

    /// The oldest message in the outbox to WeChat: its conversation and `seq`.
    pub fn next_wechat_out(&self) -> EdgeResult<Option<(String, u64)>> {
        #[derive(Deserialize)]
        struct Row {
            conversation_id: String,
            seq: f64,
        }
        let rows: Vec<Row> =
            self.sql.exec("SELECT conversation_id, seq FROM wechat_outbox ORDER BY id LIMIT 1", None)?.to_array()?;
        Ok(rows.into_iter().next().map(|r| (r.conversation_id, r.seq as u64)))
    }

    /// Takes a message out of the outbox to WeChat (sent, or noted as failed).
    pub fn done_wechat_out(&self, conversation_id: &str, seq: u64) -> EdgeResult<()> {
        self.sql.exec(
            "DELETE FROM wechat_outbox WHERE conversation_id = ? AND seq = ?",
            vec![conversation_id.into(), int(seq)],
        )?;
        Ok(())
    }

    /// One stored message by its `seq`.
    pub fn message_at(&self, conversation_id: &str, seq: u64) -> EdgeResult<Option<ChatMessage>> {
        let rows: Vec<MessageRow> = self
            .sql
            .exec(
                "SELECT conversation_id, seq, client_id, author, body, at_ms FROM messages WHERE conversation_id = ? AND seq = ?",
                vec![conversation_id.into(), int(seq)],
            )?
            .to_array()?;
        rows.into_iter().next().map(Self::decode).transpose()
    }

    /// Notes a WeChat event as handled; `false` when it was already (a retried push).
    pub fn first_wechat_event(&self, app_id: &str, openid: &str, key: &str, now_ms: u64) -> EdgeResult<bool> {
        let cursor = self.sql.exec(
            "INSERT OR IGNORE INTO wechat_events (app_id, openid, key, at_ms) VALUES (?, ?, ?, ?)",
            vec![app_id.into(), openid.into(), key.into(), int(now_ms)],
        )?;
        Ok(cursor.rows_written() > 0)
    }

    /// Notes a WeChat event at `now_ms`, again if it was noted before.
    pub fn note_wechat_event(&self, app_id: &str, openid: &str, key: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT OR REPLACE INTO wechat_events (app_id, openid, key, at_ms) VALUES (?, ?, ?, ?)",
            vec![app_id.into(), openid.into(), key.into(), int(now_ms)],
        )?;
        Ok(())
    }

    /// When a WeChat event was noted, if it was.
    pub fn wechat_event_at(&self, app_id: &str, openid: &str, key: &str) -> EdgeResult<Option<u64>> {
        #[derive(Deserialize)]
        struct Row {
            at_ms: f64,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT at_ms FROM wechat_events WHERE app_id = ? AND openid = ? AND key = ?",
                vec![app_id.into(), openid.into(), key.into()],
            )?
            .to_array()?;
        Ok(rows.first().map(|r| r.at_ms as u64))
    }

    /// Whether a push's `timestamp` and `nonce` came before with another body (`body_hash`): a
    /// replay with a body of someone's choosing. The same body again (WeChat's own retry) is not.
    /// Notes them otherwise, and forgets what is older than a day.
    pub fn wechat_nonce_reused(&self, app_id: &str, nonce_key: &str, body_hash: &str, now_ms: u64) -> EdgeResult<bool> {
        self.sql
            .exec("DELETE FROM wechat_events WHERE at_ms < ?", vec![int(now_ms.saturating_sub(24 * 3600 * 1000))])?;
        #[derive(Deserialize)]
        struct Row {
            openid: String,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT openid FROM wechat_events WHERE app_id = ? AND key = ?",
                vec![app_id.into(), nonce_key.into()],
            )?
            .to_array()?;
        if rows.iter().any(|r| r.openid != body_hash) {
            return Ok(true);
        }
        // The body's hash stands in the openid column of a nonce's row.
        self.first_wechat_event(app_id, body_hash, nonce_key, now_ms)?;
        Ok(false)
    }

    /// Creates a visitor, its first session token (by hash) and its first conversation.
    pub fn create_visitor(
        &self,
        visitor: &NewVisitor<'_>,
        token_hash: &str,
        conversation_id: &str,
        now_ms: u64,
    ) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT INTO visitors (id, token_hash, name, created_ms, match_key, verified, profile, contact_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                visitor.id.into(),
                token_hash.into(),
                visitor.name.into(),
                int(now_ms),
                visitor.match_key.into(),
                SqlStorageValue::Integer(i64::from(visitor.verified)),
                visitor.profile.into(),
                visitor.contact_id.into(),
            ],
        )?;
        self.add_visitor_session(token_hash, visitor.id, now_ms)?;
        self.create_conversation(visitor.id, conversation_id, now_ms)
    }

    /// Opens a new conversation for a visitor.
    pub fn create_conversation(&self, visitor_id: &str, conversation_id: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT INTO conversations (id, visitor_id, status, last_seq, created_ms, updated_ms) VALUES (?, ?, 'open', 0, ?, ?)",
            vec![conversation_id.into(), visitor_id.into(), int(now_ms), int(now_ms)],
        )?;
        // Its first message needs no `MAX(seq)` read.
        self.remember_seq(conversation_id, 0);
        Ok(())
    }

    /// Records another session token (by hash) for a visitor: the same person on another device.
    pub fn add_visitor_session(&self, token_hash: &str, visitor_id: &str, now_ms: u64) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT OR IGNORE INTO visitor_sessions (token_hash, visitor_id, created_ms, last_used_ms) VALUES (?, ?, ?, ?)",
            vec![token_hash.into(), visitor_id.into(), int(now_ms), int(now_ms)],
        )?;
        Ok(())
    }

    /// Updates what agents see of a visitor (name, display-only profile, CRM link).
    pub fn update_visitor(
        &self,
        visitor_id: &str,
        name: &str,
        profile: &str,
        contact_id: Option<&str>,
    ) -> EdgeResult<()> {
        self.sql.exec(
            "UPDATE visitors SET name = ?, profile = ?, contact_id = COALESCE(?, contact_id) WHERE id = ?",
            vec![name.into(), profile.into(), contact_id.into(), visitor_id.into()],
        )?;
        Ok(())
    }

    /// Adds or updates CRM contacts; returns how many were written.
    pub fn upsert_contacts(&self, contacts: &[protocol::Contact]) -> EdgeResult<usize> {
        for c in contacts {
            self.sql.exec(
                "INSERT INTO contacts (id, name, phone_digits, owner_agent, customer_id, customer_owner) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, phone_digits = excluded.phone_digits,
                   owner_agent = excluded.owner_agent, customer_id = excluded.customer_id, customer_owner = excluded.customer_owner",
                vec![
                    c.id.as_str().into(),
                    c.name.trim().into(),
                    digits(&c.phone).into(),
                    c.owner_agent.as_deref().into(),
                    c.customer_id.as_deref().into(),
                    c.customer_owner.as_deref().into(),
                ],
            )?;
        }
        Ok(contacts.len())
    }

    /// CRM contacts whose id, name or phone digits contain `q`, in id order: `limit` from
    /// `offset`, and how many match in all.
    pub fn search_contacts(&self, q: &str, offset: u32, limit: u32) -> EdgeResult<(Vec<protocol::Contact>, u32)> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
            phone_digits: String,
            owner_agent: Option<String>,
            customer_id: Option<String>,
            customer_owner: Option<String>,
        }
        #[derive(Deserialize)]
        struct Count {
            n: u32,
        }
        let q = q.trim();
        // A query that is a phone number (digits and phone punctuation, three digits or more) also
        // matches phones; "客户1" must not match every phone with a 1 in it.
        let phone_like = q.chars().all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c) || " +-()".contains(c));
        let phone = Some(digits(q)).filter(|d| phone_like && d.len() >= 3).unwrap_or_default();
        // `q` is matched as text: LIKE's wildcards in it are escaped.
        let (text, phone) = (like_pattern(q), if phone.is_empty() { String::new() } else { like_pattern(&phone) });
        let filter =
            "(id LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\' OR (?2 <> '' AND phone_digits LIKE ?2 ESCAPE '\\'))";
        let rows: Vec<Row> = self
            .sql
            .exec(
                &format!(
                    "SELECT id, name, phone_digits, owner_agent, customer_id, customer_owner FROM contacts WHERE {filter}
                     ORDER BY id LIMIT ?3 OFFSET ?4"
                ),
                vec![text.as_str().into(), phone.as_str().into(), i64::from(limit).into(), i64::from(offset).into()],
            )?
            .to_array()?;
        let counted: Vec<Count> = self
            .sql
            .exec(&format!("SELECT COUNT(*) AS n FROM contacts WHERE {filter}"), vec![text.into(), phone.into()])?
            .to_array()?;
        let contacts = rows
            .into_iter()
            .map(|r| protocol::Contact {
                id: r.id,
                name: r.name,
                phone: r.phone_digits,
                owner_agent: r.owner_agent,
                customer_id: r.customer_id,
                customer_owner: r.customer_owner,
            })
            .collect();
        Ok((contacts, counted.first().map_or(0, |c| c.n)))
    }

    /// The CRM contact with this phone; with several, the one that also has this name.
    pub fn contact_for(&self, phone: &str, name: Option<&str>) -> EdgeResult<Option<String>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
        }
        let phone = digits(phone);
        if phone.is_empty() {
            return Ok(None);
        }
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT id, name FROM contacts WHERE phone_digits = ? ORDER BY id", vec![phone.into()])?
            .to_array()?;
        Ok(match rows.as_slice() {
            [only] => Some(only.id.clone()),
            many => many.iter().find(|r| Some(r.name.as_str()) == name.map(str::trim)).map(|r| r.id.clone()),
        })
    }

    /// A conversation's summary, if it exists, and with `profile` its visitor's stored profile
    /// (JSON text) for what the summary derives from it (session groups).
    pub fn conversation(
        &self,
        conversation_id: &str,
        profile: bool,
    ) -> EdgeResult<Option<(ConversationSummary, Option<String>)>> {
        #[derive(Deserialize)]
        struct Row {
            conversation_id: String,
            visitor_id: String,
            visitor_name: String,
            last_seq: f64,
            verified: f64,
            contact_id: Option<String>,
            plugin: Option<String>,
            channel: Option<String>,
            profile: Option<String>,
            agent_read_seq: f64,
        }
        let whole = if profile { "v.profile" } else { "NULL" };
        let query = format!(
            "SELECT c.id AS conversation_id, c.visitor_id, v.name AS visitor_name, {LAST_SEQ} AS last_seq, v.verified, v.contact_id, json_extract(v.profile, '$.plugin') AS plugin, json_extract(v.profile, '$.channel') AS channel, {whole} AS profile, c.agent_read_seq FROM conversations c JOIN visitors v ON v.id = c.visitor_id WHERE c.id = ?"
        );
        let rows: Vec<Row> = self.sql.exec(&query, vec![conversation_id.into()])?.to_array()?;
        let Some(r) = rows.into_iter().next() else { return Ok(None) };
        let news = self.list_news(conversation_id, r.agent_read_seq as u64)?;
        Ok(Some(r).map(|r| {
            let summary = ConversationSummary {
                conversation_id: r.conversation_id,
                visitor_id: r.visitor_id,
                visitor_name: r.visitor_name,
                last_seq: r.last_seq as u64,
                verified: r.verified != 0.0,
                contact_id: r.contact_id,
                state: protocol::ConvStatus::default(),
                agent_id: None,
                // The plugin's id; the Desk turns it into the plugin's name.
                plugin: r.plugin,
                channel: r.channel.as_deref().and_then(protocol::Channel::parse).unwrap_or_default(),
                session_groups: Vec::new(),
                quota: None,
                last: news.last,
                waiting_since_ms: news.waiting_since_ms,
                unread: news.unread,
            };
            (summary, r.profile)
        }))
    }

    /// What a conversation's list item says of its messages: the newest (not a prompt), since
    /// when the visitor waits for an answer, and how many visitor messages the agents have not
    /// read (after `agent_read_seq`). Read from the newest [`NEWS_WINDOW`] messages, one index
    /// range: a visitor who wrote more than that without an answer waits since the oldest of them.
    fn list_news(&self, conversation_id: &str, agent_read_seq: u64) -> EdgeResult<ListNews> {
        #[derive(Deserialize)]
        struct Row {
            seq: f64,
            role: Option<String>,
            at_ms: f64,
            author: Option<String>,
            body: Option<String>,
        }
        // The body only of the newest message that is not a prompt (a text can be 5,000 characters).
        let rows: Vec<Row> = self
            .sql
            .exec(
                "WITH newest AS (SELECT seq, json_extract(author, '$.role') AS role, at_ms, author, body FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?)
                 SELECT seq, role, at_ms,
                   CASE WHEN seq = (SELECT MAX(seq) FROM newest WHERE role != 'system') THEN author END AS author,
                   CASE WHEN seq = (SELECT MAX(seq) FROM newest WHERE role != 'system') THEN body END AS body
                 FROM newest ORDER BY seq DESC",
                vec![conversation_id.into(), int(NEWS_WINDOW)],
            )?
            .to_array()?;
        let mut news = ListNews::default();
        let mut answered = false;
        for row in &rows {
            if let (Some(author), Some(body), None) = (&row.author, &row.body, &news.last) {
                let message = ChatMessage {
                    conversation_id: conversation_id.to_string(),
                    seq: row.seq as u64,
                    client_id: String::new(),
                    author: serde_json::from_str(author)?,
                    body: serde_json::from_str(body)?,
                    at_ms: row.at_ms as u64,
                };
                news.last = protocol::LastMessage::of(&message);
            }
            match row.role.as_deref() {
                Some("agent") => answered = true,
                Some("visitor") => {
                    if !answered {
                        news.waiting_since_ms = Some(row.at_ms as u64);
                    }
                    if row.seq as u64 > agent_read_seq {
                        news.unread = (news.unread + 1).min(protocol::MAX_UNREAD_COUNTED);
                    }
                }
                _ => {}
            }
        }
        Ok(news)
    }

    /// Stores a new message with the next `seq`, or returns `None` when this client id is already
    /// stored in the conversation (a resend): one plain insert on the hot path.
    pub fn insert_message(
        &self,
        conversation_id: &str,
        client_id: &str,
        author: &Author,
        body: &MessageBody,
        now_ms: u64,
    ) -> EdgeResult<Option<ChatMessage>> {
        let known = self.last_seqs.borrow().get(conversation_id).copied();
        let seq = match known {
            Some(last) => last + 1,
            None => self.newest_seq(conversation_id)? + 1,
        };
        // A resend of a stored client id is ignored by the unique index: nothing written.
        let cursor = self.sql.exec(
            "INSERT OR IGNORE INTO messages (conversation_id, seq, client_id, author, body, at_ms)
             SELECT id, ?, ?, ?, ?, ? FROM conversations WHERE id = ?",
            vec![
                int(seq),
                client_id.into(),
                serde_json::to_string(author)?.into(),
                serde_json::to_string(body)?.into(),
                int(now_ms),
                conversation_id.into(),
            ],
        )?;
        if cursor.rows_written() == 0 {
            if self.message_by_client_id(conversation_id, client_id)?.is_some() {
                return Ok(None);
            }
            if known.is_some() {
                // The seq was taken after all (memory behind the table): read it again, once.
                self.last_seqs.borrow_mut().remove(conversation_id);
                return self.insert_message(conversation_id, client_id, author, body, now_ms);
            }
            return Err(EdgeError::ConversationNotFound);
        }
        self.remember_seq(conversation_id, seq);
        self.unindexed.set(Some(match self.unindexed.get() {
            Some((since, count)) => (since, count + 1),
            None => (now_ms, 1),
        }));
        Ok(Some(ChatMessage {
            conversation_id: conversation_id.to_string(),
            seq,
            client_id: client_id.to_string(),
            author: author.clone(),
            body: body.clone(),
            at_ms: now_ms,
        }))
    }

    /// Keeps a conversation's newest `seq` in [`Store::last_seqs`].
    fn remember_seq(&self, conversation_id: &str, seq: u64) {
        let mut seqs = self.last_seqs.borrow_mut();
        if seqs.len() >= MAX_CACHED_SEQS && !seqs.contains_key(conversation_id) {
            // A cache (a miss reads the table): bounded by dropping half of it, whichever half.
            let mut keep = true;
            seqs.retain(|_, _| {
                keep = !keep;
                keep
            });
        }
        seqs.insert(conversation_id.to_string(), seq);
    }

    /// The newest stored `seq` of a conversation (0 before its first message).
    pub fn newest_seq(&self, conversation_id: &str) -> EdgeResult<u64> {
        let cursor = self.sql.exec(
            "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?",
            vec![conversation_id.into()],
        )?;
        let first = cursor.raw().next().transpose()?;
        Ok(first.as_deref().and_then(|row| row.first()).and_then(whole_number).unwrap_or(0))
    }

    fn message_by_client_id(&self, conversation_id: &str, client_id: &str) -> EdgeResult<Option<ChatMessage>> {
        let rows: Vec<MessageRow> = self
            .sql
            .exec(
                "SELECT conversation_id, seq, client_id, author, body, at_ms FROM messages WHERE conversation_id = ? AND client_id = ?",
                vec![conversation_id.into(), client_id.into()],
            )?
            .to_array()?;
        rows.into_iter().next().map(Self::decode).transpose()
    }

    #[cfg(feature = "bench")]
    /// The durable-echo baseline of the relay benchmark: one row written (and trimmed) per frame.
    pub fn bench_write(&self, text: &str) -> EdgeResult<()> {
        self.sql.exec("CREATE TABLE IF NOT EXISTS bench_echo (id INTEGER PRIMARY KEY, t TEXT NOT NULL)", None)?;
        self.sql.exec("INSERT INTO bench_echo (t) VALUES (?)", vec![text.into()])?;
        self.sql.exec("DELETE FROM bench_echo WHERE id <= (SELECT MAX(id) - 1000 FROM bench_echo)", None)?;
        Ok(())
    }

    /// Messages of a conversation after `after_seq`, in order.
    pub fn messages_after(&self, conversation_id: &str, after_seq: u64) -> EdgeResult<Vec<ChatMessage>> {
        let rows: Vec<MessageRow> = self
            .sql
            .exec(
                "SELECT conversation_id, seq, client_id, author, body, at_ms FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                vec![conversation_id.into(), int(after_seq), SqlStorageValue::Integer(MAX_REPLAY)],
            )?
            .to_array()?;
        rows.into_iter().map(Self::decode).collect()
    }

    /// What a resume after `after_seq` replays: the messages after it, but at most the newest
    /// [`protocol::REPLAY_PAGE`]; with them the `seq` up to which messages were left out (0: none).
    pub fn replay(&self, conversation_id: &str, after_seq: u64) -> EdgeResult<(u64, Vec<ChatMessage>)> {
        let page = protocol::REPLAY_PAGE;
        let rows: Vec<MessageRow> = self
            .sql
            .exec(
                "SELECT conversation_id, seq, client_id, author, body, at_ms FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq DESC LIMIT ?",
                vec![conversation_id.into(), int(after_seq), int(page)],
            )?
            .to_array()?;
        let mut messages = rows.into_iter().map(Self::decode).collect::<EdgeResult<Vec<_>>>()?;
        messages.reverse();
        let oldest = messages.first().map_or(0, |m| m.seq);
        let skipped_to = if messages.len() as u64 == page && oldest > after_seq + 1 { oldest - 1 } else { 0 };
        Ok((skipped_to, messages))
    }

    /// The [`protocol::REPLAY_PAGE`] messages before `before_seq`, oldest first (a client paging
    /// back through a long conversation).
    pub fn messages_before(&self, conversation_id: &str, before_seq: u64) -> EdgeResult<Vec<ChatMessage>> {
        let rows: Vec<MessageRow> = self
            .sql
            .exec(
                "SELECT conversation_id, seq, client_id, author, body, at_ms FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                vec![conversation_id.into(), int(before_seq), int(protocol::REPLAY_PAGE)],
            )?
            .to_array()?;
        let mut messages = rows.into_iter().map(Self::decode).collect::<EdgeResult<Vec<_>>>()?;
        messages.reverse();
        Ok(messages)
    }

    fn decode(row: MessageRow) -> EdgeResult<ChatMessage> {
        Ok(ChatMessage {
            conversation_id: row.conversation_id,
            seq: row.seq as u64,
            client_id: row.client_id,
            author: serde_json::from_str(&row.author)?,
            body: serde_json::from_str(&row.body)?,
            at_ms: row.at_ms as u64,
        })
    }
}

/// A stored upload: its metadata; the bytes live in R2 under `r2_key`.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadRow {
    /// Upload id.
    pub id: String,
    /// Conversation the upload belongs to.
    pub conversation_id: String,
    /// Who uploaded it (`visitor:ID` or `agent:ID`).
    pub uploader: String,
    /// `image` or `file`.
    pub kind: String,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: f64,
    /// Content type recognised from the bytes.
    pub content_type: String,
    /// Object key in the R2 bucket.
    pub r2_key: String,
    /// When it was recorded, unix milliseconds.
    pub created_ms: f64,
}

impl Store {
    /// A value the Desk keeps for itself (`meta`), if set.
    pub fn meta(&self, name: &str) -> EdgeResult<Option<String>> {
        #[derive(Deserialize)]
        struct Row {
            value: String,
        }
        let rows: Vec<Row> = self.sql.exec("SELECT value FROM meta WHERE key = ?", vec![name.into()])?.to_array()?;
        Ok(rows.into_iter().next().map(|r| r.value))
    }

    /// Sets (or, with `None`, removes) a value the Desk keeps for itself.
    pub fn set_meta(&self, name: &str, value: Option<&str>) -> EdgeResult<()> {
        match value {
            Some(value) => self.sql.exec(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                vec![name.into(), value.into()],
            )?,
            None => self.sql.exec("DELETE FROM meta WHERE key = ?", vec![name.into()])?,
        };
        Ok(())
    }

    /// A named secret of this Desk (hex), created with `make` on first use.
    pub fn secret(&self, name: &str, make: impl FnOnce() -> EdgeResult<String>) -> EdgeResult<String> {
        #[derive(Deserialize)]
        struct Row {
            value: String,
        }
        let read = || -> EdgeResult<Option<String>> {
            let rows: Vec<Row> =
                self.sql.exec("SELECT value FROM meta WHERE key = ?", vec![name.into()])?.to_array()?;
            Ok(rows.into_iter().next().map(|r| r.value))
        };
        if let Some(value) = read()? {
            return Ok(value);
        }
        self.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", vec![name.into(), make()?.into()])?;
        read()?.ok_or_else(|| EdgeError::Internal(format!("secret {name} not stored")))
    }

    /// Records an upload whose bytes are in R2.
    pub fn insert_upload(&self, row: &UploadRow) -> EdgeResult<()> {
        self.sql.exec(
            "INSERT INTO uploads (id, conversation_id, uploader, kind, name, size, content_type, r2_key, created_ms, used)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            vec![
                row.id.as_str().into(),
                row.conversation_id.as_str().into(),
                row.uploader.as_str().into(),
                row.kind.as_str().into(),
                row.name.as_str().into(),
                int(row.size as u64),
                row.content_type.as_str().into(),
                row.r2_key.as_str().into(),
                int(row.created_ms as u64),
            ],
        )?;
        Ok(())
    }

    /// Marks an upload as named by a message (it is kept for good).
    pub fn mark_upload_used(&self, id: &str) -> EdgeResult<()> {
        self.sql.exec("UPDATE uploads SET used = 1 WHERE id = ? AND used = 0", vec![id.into()])?;
        Ok(())
    }

    /// How many uploads a conversation holds, and their bytes.
    pub fn conversation_uploads(&self, conversation_id: &str) -> EdgeResult<(u64, u64)> {
        #[derive(Deserialize)]
        struct Totals {
            n: f64,
            bytes: f64,
        }
        let rows: Vec<Totals> = self
            .sql
            .exec(
                "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM uploads WHERE conversation_id = ?",
                vec![conversation_id.into()],
            )?
            .to_array()?;
        Ok(rows.first().map_or((0, 0), |t| (t.n as u64, t.bytes as u64)))
    }

    /// Up to `limit` uploads that no message named, made before `before_ms`: `(id, R2 key)`.
    pub fn unused_uploads(&self, before_ms: u64, limit: u32) -> EdgeResult<Vec<(String, String)>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            r2_key: String,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT id, r2_key FROM uploads WHERE used = 0 AND created_ms < ? ORDER BY created_ms LIMIT ?",
                vec![int(before_ms), int(u64::from(limit))],
            )?
            .to_array()?;
        Ok(rows.into_iter().map(|r| (r.id, r.r2_key)).collect())
    }

    /// Deletes an upload's row, unless a message named it meanwhile; true when deleted.
    pub fn delete_unused_upload(&self, id: &str) -> EdgeResult<bool> {
        let cursor = self.sql.exec("DELETE FROM uploads WHERE id = ? AND used = 0", vec![id.into()])?;
        Ok(cursor.rows_written() > 0)
    }

    /// An upload by id.
    pub fn upload(&self, id: &str) -> EdgeResult<Option<UploadRow>> {
        let rows: Vec<UploadRow> = self
            .sql
            .exec(
                "SELECT id, conversation_id, uploader, kind, name, size, content_type, r2_key, created_ms FROM uploads WHERE id = ?",
                vec![id.into()],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }
}

/// A whole number SQLite handed back (JS numbers arrive as floats).
fn whole_number(value: &SqlStorageValue) -> Option<u64> {
    match value {
        SqlStorageValue::Integer(n) => u64::try_from(*n).ok(),
        SqlStorageValue::Float(f) if *f >= 0.0 && f.fract() == 0.0 => Some(*f as u64),
        _ => None,
    }
}
