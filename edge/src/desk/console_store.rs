//! The console's queries (schema v6): quick phrases, the closed-today list, visitor profiles,
//! ratings per agent. Part of the store: the only other code that touches SQLite.

use protocol::{ClosedConversation, ContactInfo, PastConversation, Phrase};
use serde::Deserialize;

use super::store::{int, Store, LAST_SEQ};
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
        }
        let rows: Vec<Row> = self
            .sql()
            .exec(
                &format!(
                    "SELECT c.id, c.status, c.created_ms, {LAST_SEQ} AS last_seq, r.score FROM conversations c
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
