//! Self-check of the desk's invariants, for tests and debug builds of the adapter.

use std::collections::BTreeMap;

use crate::command::ConvState;
use crate::event::AgentStatus;
use crate::ids::ConvId;

use super::Desk;

impl Desk {
    /// Checks every invariant of the core and describes each violation; empty when all hold.
    ///
    /// - every open conversation is in exactly one place (one queue entry, one agent's pending
    ///   or live set, or none for the bot, expired and dormant lists), matching its state;
    /// - no agent holds more than its max sessions (pending offers count);
    /// - no conversation waits at the head of a queue while its group is within its service
    ///   hours and a member of the group is online with a free slot (under the conversation's
    ///   rule's cap, if it has one);
    /// - every connected or bot-list conversation has exactly one timer, others none.
    #[must_use]
    pub fn audit(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut places: BTreeMap<&ConvId, Vec<String>> = BTreeMap::new();
        for (g, queue) in self.queues.iter().enumerate() {
            for (ticket, id) in queue {
                places.entry(id).or_default().push(format!("queue {} #{ticket}", self.site.cfg.groups[g].id));
            }
        }
        for (a, rt) in self.agents.iter().enumerate() {
            let agent = &self.site.cfg.agents[a].id;
            for id in &rt.active {
                places.entry(id).or_default().push(format!("live {agent}"));
            }
            for id in &rt.offered {
                places.entry(id).or_default().push(format!("pending {agent}"));
            }
            let max = self.site.max_sessions(a);
            if rt.occupied() > max {
                problems.push(format!("agent {agent} holds {} > max {max}", rt.occupied()));
            }
        }
        for (id, where_) in &places {
            if !self.convs.contains_key(*id) {
                problems.push(format!("{id} is in {where_:?} but not open"));
            }
        }
        for (id, conv) in &self.convs {
            let expected = match &conv.state {
                ConvState::Queued { group, ticket, .. } => Some(format!("queue {group} #{ticket}")),
                ConvState::Offered { agent } => Some(format!("pending {agent}")),
                ConvState::Active { agent } => Some(format!("live {agent}")),
                ConvState::Bot | ConvState::Expired | ConvState::Dormant { .. } => None,
            };
            let actual = places.get(id).cloned().unwrap_or_default();
            let ok = match &expected {
                Some(e) => actual.len() == 1 && actual[0] == *e,
                None => actual.is_empty(),
            };
            if !ok {
                problems.push(format!("{id} is {:?} but found in {actual:?}", conv.state));
            }
            let timed = matches!(conv.state, ConvState::Active { .. } | ConvState::Bot);
            if timed != self.deadlines.contains_key(id) {
                problems.push(format!("{id} is {:?} with timer {:?}", conv.state, self.deadlines.get(id)));
            }
        }
        if self.timers.len() != self.deadlines.len() {
            problems.push("timer set and deadline map disagree".to_owned());
        }
        for (g, queue) in self.queues.iter().enumerate() {
            if queue.is_empty() || !self.hours_open(g, self.now) {
                continue;
            }
            let cap = queue.values().next().and_then(|head| self.cap_of(head));
            for &a in &self.site.members[g] {
                if self.eligible_under(a, cap) {
                    problems.push(format!(
                        "{} waits in {} while {} is online with a free slot",
                        queue.values().next().map_or("?", |c| c.as_str()),
                        self.site.cfg.groups[g].id,
                        self.site.cfg.agents[a].id
                    ));
                }
            }
        }
        for (a, rt) in self.agents.iter().enumerate() {
            if rt.status == AgentStatus::Offline && !rt.active.is_empty() {
                problems.push(format!("offline agent {} holds live chats", self.site.cfg.agents[a].id));
            }
        }
        problems
    }
}
