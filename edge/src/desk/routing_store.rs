//! The routing core's records in SQLite: `Persist` commands are upserts of JSON rows, and the rows
//! add up to the `Snapshot` the core is restored from when the Desk wakes.
//!
//! `routing`'s types are not serde (by design); the mirrors here are the storage format.

use routing::{
    AgentId, AgentRecord, AgentStatus, Average, Channel, ConvId, ConvState, ConversationRecord, Counters, DayStats,
    DormantReason, GroupId, Millis, Quota, Record, Snapshot, WaitReason,
};
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use worker::{SqlStorage, SqlStorageValue};

use crate::error::EdgeResult;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
enum StateRow {
    Bot,
    Expired,
    Queued { group: String, ticket: u64, reason: u8 },
    Offered { agent: String },
    Active { agent: String },
    Dormant { previous: String, agent_left: bool },
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct ConvRow {
    id: String,
    channel: u8,
    group: String,
    designated: Option<String>,
    customer_owner: Option<String>,
    contact_owner: Option<String>,
    state: StateRow,
    opened_at: u64,
    last_activity: u64,
    connected_at: Option<u64>,
    held_since: Option<u64>,
    first_response_ms: Option<u64>,
    welcome: Option<String>,
    promo: Option<String>,
    quota: Option<(u8, u64)>,
    /// The rule's cap on an agent's live sessions (rows written before caps have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cap: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct AgentRow {
    id: String,
    status: u8,
    last_assigned: u64,
    day: i64,
    accepted: u32,
    first_response: (u32, u64),
    handling: (u32, u64),
}

#[derive(Serialize, Deserialize)]
struct CountersRow {
    next_ticket: u64,
    assign_seq: u64,
    round_robin: Vec<(String, String)>,
}

fn channel_code(c: Channel) -> u8 {
    match c {
        Channel::Web => 0,
        Channel::MobileWeb => 1,
        Channel::App => 2,
        Channel::MiniProgram => 3,
    }
}

fn channel_of(code: u8) -> Channel {
    match code {
        1 => Channel::MobileWeb,
        2 => Channel::App,
        3 => Channel::MiniProgram,
        _ => Channel::Web,
    }
}

fn opt_id(id: &Option<AgentId>) -> Option<String> {
    id.as_ref().map(|a| a.0.clone())
}

impl From<&ConversationRecord> for ConvRow {
    fn from(c: &ConversationRecord) -> Self {
        let state = match &c.state {
            ConvState::Bot => StateRow::Bot,
            ConvState::Expired => StateRow::Expired,
            ConvState::Queued { group, ticket, reason } => StateRow::Queued {
                group: group.0.clone(),
                ticket: *ticket,
                reason: match reason {
                    WaitReason::Busy => 0,
                    WaitReason::Offline => 1,
                    WaitReason::OffHours => 2,
                },
            },
            ConvState::Offered { agent } => StateRow::Offered { agent: agent.0.clone() },
            ConvState::Active { agent } => StateRow::Active { agent: agent.0.clone() },
            ConvState::Dormant { previous, reason } => {
                StateRow::Dormant { previous: previous.0.clone(), agent_left: *reason == DormantReason::AgentLeft }
            }
        };
        Self {
            id: c.id.0.clone(),
            channel: channel_code(c.channel),
            group: c.group.0.clone(),
            designated: opt_id(&c.designated),
            customer_owner: opt_id(&c.customer_owner),
            contact_owner: opt_id(&c.contact_owner),
            state,
            opened_at: c.opened_at.0,
            last_activity: c.last_activity.0,
            connected_at: c.connected_at.map(|m| m.0),
            held_since: c.held_since.map(|m| m.0),
            first_response_ms: c.first_response_ms,
            welcome: c.welcome.clone(),
            promo: c.promo.clone(),
            quota: c.quota.map(|q| (q.remaining, q.until.0)),
            cap: c.cap,
        }
    }
}

impl From<ConvRow> for ConversationRecord {
    fn from(r: ConvRow) -> Self {
        let state = match r.state {
            StateRow::Bot => ConvState::Bot,
            StateRow::Expired => ConvState::Expired,
            StateRow::Queued { group, ticket, reason } => ConvState::Queued {
                group: GroupId(group),
                ticket,
                reason: match reason {
                    1 => WaitReason::Offline,
                    2 => WaitReason::OffHours,
                    _ => WaitReason::Busy,
                },
            },
            StateRow::Offered { agent } => ConvState::Offered { agent: AgentId(agent) },
            StateRow::Active { agent } => ConvState::Active { agent: AgentId(agent) },
            StateRow::Dormant { previous, agent_left } => ConvState::Dormant {
                previous: AgentId(previous),
                reason: if agent_left { DormantReason::AgentLeft } else { DormantReason::Idle },
            },
        };
        Self {
            id: ConvId(r.id),
            channel: channel_of(r.channel),
            group: GroupId(r.group),
            designated: r.designated.map(AgentId),
            customer_owner: r.customer_owner.map(AgentId),
            contact_owner: r.contact_owner.map(AgentId),
            state,
            opened_at: Millis(r.opened_at),
            last_activity: Millis(r.last_activity),
            connected_at: r.connected_at.map(Millis),
            held_since: r.held_since.map(Millis),
            first_response_ms: r.first_response_ms,
            welcome: r.welcome,
            promo: r.promo,
            quota: r.quota.map(|(remaining, until)| Quota { remaining, until: Millis(until) }),
            cap: r.cap,
        }
    }
}

impl From<&AgentRecord> for AgentRow {
    fn from(a: &AgentRecord) -> Self {
        Self {
            id: a.id.0.clone(),
            status: match a.status {
                AgentStatus::Online => 0,
                AgentStatus::Away => 1,
                AgentStatus::Offline => 2,
            },
            last_assigned: a.last_assigned,
            day: a.today.day,
            accepted: a.today.accepted,
            first_response: (a.today.first_response.count, a.today.first_response.total_ms),
            handling: (a.today.handling.count, a.today.handling.total_ms),
        }
    }
}

impl From<AgentRow> for AgentRecord {
    fn from(r: AgentRow) -> Self {
        Self {
            id: AgentId(r.id),
            status: match r.status {
                0 => AgentStatus::Online,
                1 => AgentStatus::Away,
                _ => AgentStatus::Offline,
            },
            last_assigned: r.last_assigned,
            today: DayStats {
                day: r.day,
                accepted: r.accepted,
                first_response: Average { count: r.first_response.0, total_ms: r.first_response.1 },
                handling: Average { count: r.handling.0, total_ms: r.handling.1 },
            },
        }
    }
}

/// How long a conversation record whose only change is its activity time may wait to be written.
const HOLD_MS: u64 = 1_000;

/// Rows per upsert statement: three bound values each, under SQLite's 100 a statement.
const ROWS_PER_STATEMENT: usize = 33;

/// Writes the core's `Persist` records once the commands of the event that made them have run
/// ([`Writer::flush`] at the end of `apply`), the newest of each record only and in as few
/// statements as the rows allow: one event (a message, an assignment) makes several records (the
/// conversation, its agent, the counters), and each statement costs the Desk's thread more than
/// its rows do. Nothing awaits in between, so the records commit with the frames those commands
/// sent. Every message also makes a conversation record whose only change is its activity
/// time; those are held back and written at most once a second, so the message path costs one row
/// less. If the object is evicted meanwhile, a restored conversation is at most a second older
/// than it was, which moves its 30-minute idle timer by as much.
#[derive(Default)]
pub struct Writer {
    /// Conversation id to its record as last written, without the activity fields.
    shapes: HashMap<String, ConvRow>,
    /// Conversation id to its newest record not written yet, whose only change is its activity.
    held: BTreeMap<String, ConvRow>,
    /// Records to write at the end of this callback: (kind, id) to its JSON row, `None` to delete.
    due: BTreeMap<(&'static str, String), Option<String>>,
    /// When held records were last written.
    last_flush: u64,
}

impl Writer {
    /// Takes one `Persist` record, to write at the next flush (or later, when held).
    pub fn persist(&mut self, record: &Record) -> EdgeResult<()> {
        let (key, row) = match record {
            Record::Conversation(c) => {
                let row = ConvRow::from(c.as_ref());
                let shape = ConvRow { last_activity: 0, quota: None, ..row.clone() };
                if self.shapes.get(&c.id.0) == Some(&shape) && !self.due.contains_key(&("conv", c.id.0.clone())) {
                    self.held.insert(c.id.0.clone(), row);
                    return Ok(());
                }
                self.held.remove(&c.id.0);
                self.shapes.insert(c.id.0.clone(), shape);
                (("conv", c.id.0.clone()), Some(serde_json::to_string(&row)?))
            }
            Record::ConversationClosed(id) => {
                self.held.remove(&id.0);
                self.shapes.remove(&id.0);
                (("conv", id.0.clone()), None)
            }
            Record::Agent(a) => (("agent", a.id.0.clone()), Some(serde_json::to_string(&AgentRow::from(a))?)),
            Record::AgentRemoved(id) => (("agent", id.0.clone()), None),
            Record::Counters(c) => (
                ("counters", String::new()),
                Some(serde_json::to_string(&CountersRow {
                    next_ticket: c.next_ticket,
                    assign_seq: c.assign_seq,
                    round_robin: c.round_robin.iter().map(|(g, a)| (g.0.clone(), a.0.clone())).collect(),
                })?),
            ),
        };
        self.due.insert(key, row);
        Ok(())
    }

    /// Writes the records taken since the last flush, and the held ones when a second has passed
    /// since they were last written (or at once if `force`).
    pub fn flush(&mut self, sql: &SqlStorage, now: u64, force: bool) -> EdgeResult<()> {
        let mut upserts: Vec<(&'static str, String, String)> = Vec::new();
        for ((kind, id), row) in std::mem::take(&mut self.due) {
            match row {
                Some(json) => upserts.push((kind, id, json)),
                None => {
                    sql.exec("DELETE FROM routing_records WHERE kind = ? AND id = ?", vec![kind.into(), id.into()])?;
                }
            }
        }
        if !self.held.is_empty() && (force || now >= self.last_flush.saturating_add(HOLD_MS)) {
            for (id, row) in std::mem::take(&mut self.held) {
                upserts.push(("conv", id, serde_json::to_string(&row)?));
            }
            self.last_flush = now;
        }
        for chunk in upserts.chunks(ROWS_PER_STATEMENT) {
            upsert(sql, chunk)?;
        }
        Ok(())
    }
}

/// Writes rows of (kind, id, json) in one statement, each replacing the stored row of its key.
fn upsert(sql: &SqlStorage, rows: &[(&'static str, String, String)]) -> EdgeResult<()> {
    let values = vec!["(?, ?, ?)"; rows.len()].join(", ");
    let bindings = rows
        .iter()
        .flat_map(|(kind, id, json)| [(*kind).into(), id.as_str().into(), json.as_str().into()])
        .collect::<Vec<SqlStorageValue>>();
    sql.exec(
        &format!(
            "INSERT INTO routing_records (kind, id, json) VALUES {values} ON CONFLICT(kind, id) DO UPDATE SET json = excluded.json"
        ),
        bindings,
    )?;
    Ok(())
}

/// Reads every stored record back into a snapshot.
pub fn load(sql: &SqlStorage) -> EdgeResult<Snapshot> {
    #[derive(Deserialize)]
    struct Row {
        kind: String,
        json: String,
    }
    let rows: Vec<Row> = sql.exec("SELECT kind, json FROM routing_records ORDER BY kind, id", None)?.to_array()?;
    let mut snapshot = Snapshot::default();
    for row in rows {
        match row.kind.as_str() {
            "conv" => snapshot.conversations.push(serde_json::from_str::<ConvRow>(&row.json)?.into()),
            "agent" => snapshot.agents.push(serde_json::from_str::<AgentRow>(&row.json)?.into()),
            "counters" => {
                let c: CountersRow = serde_json::from_str(&row.json)?;
                snapshot.counters = Counters {
                    next_ticket: c.next_ticket,
                    assign_seq: c.assign_seq,
                    round_robin: c.round_robin.into_iter().map(|(g, a)| (GroupId(g), AgentId(a))).collect(),
                };
            }
            _ => {}
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(state: ConvState, channel: Channel) -> ConversationRecord {
        ConversationRecord {
            id: ConvId("c_1".into()),
            channel,
            group: GroupId("pre-sale".into()),
            designated: Some(AgentId("amy".into())),
            customer_owner: None,
            contact_owner: Some(AgentId("bob".into())),
            state,
            opened_at: Millis(1_700_000_000_000),
            last_activity: Millis(1_700_000_060_000),
            connected_at: Some(Millis(1_700_000_001_000)),
            held_since: None,
            first_response_ms: Some(4_200),
            welcome: Some("您好，欢迎光临".into()),
            promo: None,
            quota: (channel == Channel::MiniProgram)
                .then_some(Quota { remaining: 5, until: Millis(1_700_172_800_000) }),
            cap: (channel == Channel::Web).then_some(2),
        }
    }

    fn through_storage<R, S: Serialize + for<'de> Deserialize<'de>>(row: S, back: impl Fn(S) -> R) -> R {
        let json = serde_json::to_string(&row).expect("rows serialise");
        back(serde_json::from_str(&json).expect("rows read back"))
    }

    #[test]
    fn every_conversation_state_channel_and_reason_comes_back_as_it_was_stored() {
        let agent = || AgentId("amy".into());
        let states = [
            ConvState::Bot,
            ConvState::Expired,
            ConvState::Queued { group: GroupId("vip".into()), ticket: 42, reason: WaitReason::Busy },
            ConvState::Queued { group: GroupId("vip".into()), ticket: 43, reason: WaitReason::Offline },
            ConvState::Queued { group: GroupId("vip".into()), ticket: 44, reason: WaitReason::OffHours },
            ConvState::Offered { agent: agent() },
            ConvState::Active { agent: agent() },
            ConvState::Dormant { previous: agent(), reason: DormantReason::Idle },
            ConvState::Dormant { previous: agent(), reason: DormantReason::AgentLeft },
        ];
        for state in states {
            for channel in [Channel::Web, Channel::MobileWeb, Channel::App, Channel::MiniProgram] {
                let record = conversation(state.clone(), channel);
                let back = through_storage(ConvRow::from(&record), ConversationRecord::from);
                assert_eq!(back, record);
            }
        }
    }

    #[test]
    fn every_agent_status_and_figure_comes_back_as_it_was_stored() {
        for status in [AgentStatus::Online, AgentStatus::Away, AgentStatus::Offline] {
            let record = AgentRecord {
                id: AgentId("amy".into()),
                status,
                last_assigned: 17,
                today: DayStats {
                    day: 20_422,
                    accepted: 9,
                    first_response: Average { count: 8, total_ms: 96_000 },
                    handling: Average { count: 7, total_ms: 2_100_000 },
                },
            };
            let back = through_storage(AgentRow::from(&record), AgentRecord::from);
            assert_eq!(back, record);
        }
    }
}
