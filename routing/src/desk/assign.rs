//! Choosing an agent: strategies, preferences, the queue, and connecting a conversation.
//!
//! Cost of one decision: O(members of the group) to pick, O(log n) to take the queue head;
//! never proportional to the queue's length.

use crate::command::{Command, ConvState, PromptKind, Via, WaitReason};
use crate::config::{AcceptMode, BaseStrategy, Strategy};
use crate::event::AgentStatus;
use crate::ids::{AgentId, ConvId, Millis};

use super::{Desk, Prefer};

impl Desk {
    /// Whether an agent can take a new conversation now: online, with a free slot.
    pub(super) fn eligible(&self, a: usize) -> bool {
        self.eligible_under(a, None)
    }

    /// Whether an agent can take a conversation whose rule caps an agent's live sessions at
    /// `cap`: online, holding fewer than its own max and than the cap.
    pub(super) fn eligible_under(&self, a: usize, cap: Option<u32>) -> bool {
        let rt = &self.agents[a];
        let cap = cap.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX));
        rt.status == AgentStatus::Online && rt.occupied() < self.site.max_sessions(a).min(cap)
    }

    /// The cap of conversation `id` (its rule's max sessions per agent), if any.
    pub(super) fn cap_of(&self, id: &ConvId) -> Option<u32> {
        self.convs.get(id).and_then(|c| c.cap)
    }

    /// Sends a conversation that needs an agent to one, or to its group's queue.
    pub(super) fn route(&mut self, id: &ConvId, prefer: Prefer, now: Millis) {
        let Some(conv) = self.convs.get(id) else {
            return;
        };
        let g = self.site.group_of(&conv.group);
        if !self.hours_open(g, now) {
            self.enqueue(id, g, WaitReason::OffHours, now);
            return;
        }
        let cap = conv.cap;
        match prefer {
            Prefer::Designated(a) if self.eligible(a) => {
                self.connect(id, a, g, Via::Designated, now);
                return;
            }
            Prefer::Previous(a) if self.eligible_under(a, cap) => {
                self.connect(id, a, g, Via::PreviousAgent, now);
                return;
            }
            Prefer::Designated(_) => {
                let text = self.site.cfg.prompts.failover.clone();
                self.prompt(id, PromptKind::Failover, text, now);
            }
            Prefer::Previous(_) | Prefer::Nobody => {}
        }
        let Some(conv) = self.convs.get(id) else {
            return;
        };
        let owners = (conv.customer_owner.as_ref(), conv.contact_owner.as_ref());
        if let Some((a, via)) = self.pick(g, owners, None, cap, now) {
            self.note_round_robin(g, a, via);
            self.connect(id, a, g, via, now);
        } else {
            let anyone_online = self.site.members[g].iter().any(|&m| self.agents[m].status == AgentStatus::Online);
            let reason = if anyone_online { WaitReason::Busy } else { WaitReason::Offline };
            self.enqueue(id, g, reason, now);
        }
    }

    /// The member of group `g` its strategy chooses among agents eligible under `cap` (never
    /// `exclude`).
    pub(super) fn pick(
        &self,
        g: usize,
        owners: (Option<&AgentId>, Option<&AgentId>),
        exclude: Option<usize>,
        cap: Option<u32>,
        now: Millis,
    ) -> Option<(usize, Via)> {
        let ok = |a: usize| Some(a) != exclude && self.eligible_under(a, cap);
        let owner = |owner: Option<&AgentId>| {
            owner
                .and_then(|o| self.site.agent_ix.get(o).copied())
                .filter(|&a| self.site.agent_groups[a].contains(&g) && ok(a))
        };
        let base = match self.site.cfg.groups[g].strategy {
            Strategy::Load => BaseStrategy::Load,
            Strategy::RoundRobin => BaseStrategy::RoundRobin,
            Strategy::IdleRate => BaseStrategy::IdleRate,
            Strategy::CustomerOwner { otherwise } => {
                if let Some(a) = owner(owners.0) {
                    return Some((a, Via::CustomerOwner));
                }
                otherwise
            }
            Strategy::ContactOwner { otherwise } => {
                if let Some(a) = owner(owners.1) {
                    return Some((a, Via::ContactOwner));
                }
                otherwise
            }
        };
        match base {
            BaseStrategy::Load => self.least(g, &ok, |a| self.agents[a].occupied() as u64).map(|a| (a, Via::Load)),
            BaseStrategy::IdleRate => {
                let day = self.local_day(now);
                self.least(g, &ok, |a| {
                    let today = &self.agents[a].today;
                    if today.day == day {
                        u64::from(today.accepted)
                    } else {
                        0
                    }
                })
                .map(|a| (a, Via::IdleRate))
            }
            BaseStrategy::RoundRobin => {
                let members = &self.site.members[g];
                let start =
                    self.rr_last[g].and_then(|last| members.iter().position(|&m| m == last)).map_or(0, |p| p + 1);
                (0..members.len())
                    .map(|k| members[(start + k) % members.len()])
                    .find(|&a| ok(a))
                    .map(|a| (a, Via::RoundRobin))
            }
        }
    }

    /// The eligible member with the smallest `key`; ties go to the longest since its last
    /// assignment, then to the smallest id.
    fn least(&self, g: usize, ok: &dyn Fn(usize) -> bool, key: impl Fn(usize) -> u64) -> Option<usize> {
        let mut best: Option<(u64, u64, &AgentId, usize)> = None;
        for &a in &self.site.members[g] {
            if !ok(a) {
                continue;
            }
            let candidate = (key(a), self.agents[a].last_assigned, &self.site.cfg.agents[a].id, a);
            if best.as_ref().is_none_or(|b| (candidate.0, candidate.1, candidate.2) < (b.0, b.1, b.2)) {
                best = Some(candidate);
            }
        }
        best.map(|b| b.3)
    }

    /// Remembers the last round-robin assignment of a group.
    pub(super) fn note_round_robin(&mut self, g: usize, a: usize, via: Via) {
        if via == Via::RoundRobin {
            self.rr_last[g] = Some(a);
            self.dirty_counters = true;
        }
    }

    /// Gives a conversation to an agent: connected at once, or offered in a pending-accept group.
    pub(super) fn connect(&mut self, id: &ConvId, a: usize, g: usize, via: Via, now: Millis) {
        if self.site.cfg.groups[g].accept == AcceptMode::Pending {
            self.offer(id, a, g, via);
        } else {
            let first = self.activate(id, a, now);
            self.emit_connected(id, a, via, first, now);
        }
    }

    fn offer(&mut self, id: &ConvId, a: usize, g: usize, via: Via) {
        self.assign_seq += 1;
        self.dirty_counters = true;
        let seq = self.assign_seq;
        let rt = &mut self.agents[a];
        rt.offered.insert(id.clone());
        rt.last_assigned = seq;
        self.touch_agent(a);
        let agent = self.site.agent_id(a);
        if let Some(conv) = self.convs.get_mut(id) {
            conv.state = ConvState::Offered { agent: agent.clone() };
        }
        self.touch_conv(id);
        self.emit(Command::Offered { conv: id.clone(), agent, group: self.site.group_id(g), via });
    }

    /// Connects a detached conversation to agent `a`; returns whether it is its first connection.
    pub(super) fn activate(&mut self, id: &ConvId, a: usize, now: Millis) -> bool {
        self.assign_seq += 1;
        self.dirty_counters = true;
        let seq = self.assign_seq;
        let day = self.local_day(now);
        let rt = &mut self.agents[a];
        rt.active.insert(id.clone());
        rt.last_assigned = seq;
        rt.today(day).accepted += 1;
        self.touch_agent(a);
        let agent = self.site.agent_id(a);
        let Some(conv) = self.convs.get_mut(id) else {
            return false;
        };
        conv.state = ConvState::Active { agent };
        conv.held_since = Some(now);
        conv.last_activity = now;
        let first = conv.connected_at.is_none();
        if first {
            conv.connected_at = Some(now);
        }
        self.touch_conv(id);
        first
    }

    /// Tells both sides a conversation is connected; the first time, sends the welcome and promo.
    pub(super) fn emit_connected(&mut self, id: &ConvId, a: usize, via: Via, first: bool, now: Millis) {
        self.emit(Command::Assigned { conv: id.clone(), agent: self.site.agent_id(a), via });
        if !first {
            return;
        }
        let (welcome, promo) = match self.convs.get_mut(id) {
            Some(conv) => (conv.welcome.take(), conv.promo.take()),
            None => (None, None),
        };
        if let Some(text) = welcome {
            self.prompt(id, PromptKind::Welcome, text, now);
        }
        if let Some(text) = promo {
            self.prompt(id, PromptKind::Promo, text, now);
        }
    }

    /// Puts a conversation at the end of group `g`'s queue and tells the visitor why.
    fn enqueue(&mut self, id: &ConvId, g: usize, reason: WaitReason, now: Millis) {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.dirty_counters = true;
        self.queues[g].insert(ticket, id.clone());
        let position = self.queues[g].len();
        let group = self.site.group_id(g);
        if let Some(conv) = self.convs.get_mut(id) {
            conv.state = ConvState::Queued { group: group.clone(), ticket, reason };
        }
        self.touch_conv(id);
        self.emit(Command::Enqueued { conv: id.clone(), group, position, reason });
        let prompts = &self.site.cfg.prompts;
        let (kind, text) = match reason {
            WaitReason::Busy => (PromptKind::Busy, prompts.busy.clone()),
            WaitReason::Offline => (PromptKind::Offline, prompts.offline.clone()),
            WaitReason::OffHours => (PromptKind::OffHours, prompts.off_hours.clone()),
        };
        self.prompt(id, kind, text, now);
        self.offer_leave_message(id, now);
    }

    /// Takes a conversation out of its queue or agent; returns the agent whose slot it freed.
    /// The caller sets the new state.
    pub(super) fn detach(&mut self, id: &ConvId, now: Millis) -> Option<usize> {
        let state = self.convs.get(id)?.state.clone();
        match state {
            ConvState::Queued { group, ticket, .. } => {
                if let Some(&g) = self.site.group_ix.get(&group) {
                    self.queues[g].remove(&ticket);
                }
                self.moved_queues.insert(group);
                None
            }
            ConvState::Offered { agent } => {
                let a = *self.site.agent_ix.get(&agent)?;
                self.agents[a].offered.remove(id);
                self.touch_agent(a);
                Some(a)
            }
            ConvState::Active { agent } => {
                let a = *self.site.agent_ix.get(&agent)?;
                self.agents[a].active.remove(id);
                let held = self.convs.get_mut(id).and_then(|c| c.held_since.take());
                if let Some(since) = held {
                    let day = self.local_day(now);
                    self.agents[a].today(day).handling.add(now.since(since));
                }
                self.touch_agent(a);
                self.touch_conv(id);
                Some(a)
            }
            ConvState::Bot | ConvState::Expired | ConvState::Dormant { .. } => None,
        }
    }

    /// Serves the queues of the groups agent `a` belongs to (its capacity or presence changed).
    pub(super) fn drain_for_agent(&mut self, a: usize, now: Millis) {
        if self.site.agent_groups[a].len() == 1 {
            let g = self.site.agent_groups[a][0];
            self.drain(&[g], now);
        } else {
            let groups = self.site.agent_groups[a].clone();
            self.drain(&groups, now);
        }
    }

    /// Serves every queue (config change, service hours opening, restore).
    pub(super) fn drain_all(&mut self, now: Millis) {
        let groups: Vec<usize> = (0..self.queues.len()).collect();
        self.drain(&groups, now);
    }

    /// Serves the queues that lost a conversation during this event: a head held back by its
    /// rule's cap (see [`Self::pick`]) no longer blocks the ones behind it once it leaves.
    pub(super) fn drain_moved(&mut self, now: Millis) {
        let groups: Vec<usize> = self.moved_queues.iter().filter_map(|g| self.site.group_ix.get(g).copied()).collect();
        if !groups.is_empty() {
            self.drain(&groups, now);
        }
    }

    /// Assigns queue heads of `groups`, oldest ticket first, while someone eligible can take one.
    fn drain(&mut self, groups: &[usize], now: Millis) {
        let open: Vec<usize> = groups.iter().copied().filter(|&g| self.hours_open(g, now)).collect();
        let groups = open.as_slice();
        loop {
            let mut heads: Vec<(u64, usize)> =
                groups.iter().filter_map(|&g| self.queues[g].first_key_value().map(|(&t, _)| (t, g))).collect();
            heads.sort_unstable();
            let mut assigned = false;
            for (ticket, g) in heads {
                let Some(id) = self.queues[g].get(&ticket).cloned() else {
                    continue;
                };
                let Some(conv) = self.convs.get(&id) else {
                    // A queue entry without a conversation cannot happen; drop it if it does.
                    self.queues[g].remove(&ticket);
                    continue;
                };
                let owners = (conv.customer_owner.as_ref(), conv.contact_owner.as_ref());
                if let Some((a, via)) = self.pick(g, owners, None, conv.cap, now) {
                    self.detach(&id, now);
                    self.note_round_robin(g, a, via);
                    self.connect(&id, a, g, via, now);
                    assigned = true;
                    break;
                }
            }
            if !assigned {
                break;
            }
        }
    }
}
