//! Persistence and configuration: snapshot, restore, the records each call emits, config updates, stats.

use std::collections::{BTreeMap, BTreeSet};

use crate::command::{
    AgentRecord, AgentStats, Command, ConvState, Counters, DayStats, DeskStats, DormantReason, Record, Snapshot,
    WaitReason,
};
use crate::config::SiteConfig;
use crate::error::Rejection;
use crate::event::AgentStatus;
use crate::ids::{AgentId, ConvId, GroupId, Millis};

use super::{AgentRt, Desk, Prefer, Site};

impl Desk {
    /// Rebuilds a desk from its config and the records stored so far (see [`Command::Persist`]).
    ///
    /// Records that no longer fit the config are repaired, never refused: a queue of a removed
    /// group moves to the fallback group, a conversation held by a removed or offline agent
    /// becomes dormant. The first call to [`Desk::handle`] then serves every queue.
    /// Fails only when the config itself is inconsistent.
    pub fn restore(config: SiteConfig, snapshot: Snapshot, now: Millis) -> Result<Desk, Rejection> {
        let site = Site::compile(config)?;
        let groups = site.cfg.groups.len();
        let mut desk = Desk {
            agents: vec![AgentRt::new(); site.cfg.agents.len()],
            queues: vec![BTreeMap::new(); groups],
            rr_last: vec![None; groups],
            site,
            convs: BTreeMap::new(),
            timers: BTreeSet::new(),
            deadlines: BTreeMap::new(),
            hours_wake: None,
            next_ticket: snapshot.counters.next_ticket,
            assign_seq: snapshot.counters.assign_seq,
            now,
            alarm: None,
            drain_pending: true,
            out: Vec::new(),
            dirty_convs: BTreeSet::new(),
            dirty_agents: BTreeSet::new(),
            dirty_counters: false,
            moved_queues: BTreeSet::new(),
            removed_agents: BTreeSet::new(),
        };
        for record in snapshot.agents {
            if let Some(&a) = desk.site.agent_ix.get(&record.id) {
                let rt = &mut desk.agents[a];
                rt.status = record.status;
                rt.last_assigned = record.last_assigned;
                rt.today = record.today;
            }
        }
        for (group, agent) in snapshot.counters.round_robin {
            if let (Some(&g), Some(&a)) = (desk.site.group_ix.get(&group), desk.site.agent_ix.get(&agent)) {
                desk.rr_last[g] = Some(a);
            }
        }
        for conv in &snapshot.conversations {
            if let ConvState::Queued { ticket, .. } = conv.state {
                desk.next_ticket = desk.next_ticket.max(ticket.saturating_add(1));
            }
        }
        for mut conv in snapshot.conversations {
            if desk.convs.contains_key(&conv.id) {
                continue;
            }
            let id = conv.id.clone();
            let mut repaired = false;
            if !desk.site.group_ix.contains_key(&conv.group) {
                conv.group = desk.site.group_id(desk.site.fallback);
                repaired = true;
            }
            let agent_of = |agent: &AgentId| {
                desk.site.agent_ix.get(agent).copied().filter(|&a| desk.agents[a].status != AgentStatus::Offline)
            };
            match conv.state.clone() {
                ConvState::Queued { group, ticket, reason } => {
                    let g = desk.site.group_of(&group);
                    let ticket = if desk.queues[g].contains_key(&ticket) {
                        desk.next_ticket += 1;
                        repaired = true;
                        desk.next_ticket - 1
                    } else {
                        ticket
                    };
                    desk.queues[g].insert(ticket, id.clone());
                    let group = desk.site.group_id(g);
                    repaired |= !matches!(&conv.state, ConvState::Queued { group: old, ticket: t, .. } if *old == group && *t == ticket);
                    conv.state = ConvState::Queued { group, ticket, reason };
                }
                ConvState::Offered { agent } => match agent_of(&agent) {
                    Some(a) => {
                        desk.agents[a].offered.insert(id.clone());
                    }
                    None => {
                        let g = desk.site.group_of(&conv.group);
                        let ticket = desk.next_ticket;
                        desk.next_ticket += 1;
                        desk.queues[g].insert(ticket, id.clone());
                        conv.state =
                            ConvState::Queued { group: desk.site.group_id(g), ticket, reason: WaitReason::Busy };
                        repaired = true;
                    }
                },
                ConvState::Active { agent } => match agent_of(&agent) {
                    Some(a) => {
                        desk.agents[a].active.insert(id.clone());
                    }
                    None => {
                        conv.state = ConvState::Dormant { previous: agent, reason: DormantReason::AgentLeft };
                        conv.held_since = None;
                        repaired = true;
                    }
                },
                ConvState::Bot | ConvState::Expired | ConvState::Dormant { .. } => {}
            }
            desk.convs.insert(id.clone(), conv);
            if repaired {
                desk.dirty_convs.insert(id.clone());
                desk.dirty_counters = true;
            }
            desk.sync_timer(&id);
        }
        desk.hours_wake = desk.hours_wake_at(now);
        desk.alarm = desk.next_deadline();
        Ok(desk)
    }

    /// The whole state as records (conversations and agents by id); equal to what the
    /// [`Command::Persist`] records written so far add up to.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let mut agents: Vec<AgentRecord> = (0..self.agents.len()).map(|a| self.agent_record(a)).collect();
        agents.sort_by(|x, y| x.id.cmp(&y.id));
        Snapshot { conversations: self.convs.values().cloned().collect(), agents, counters: self.counters() }
    }

    fn agent_record(&self, a: usize) -> AgentRecord {
        let rt = &self.agents[a];
        AgentRecord { id: self.site.agent_id(a), status: rt.status, last_assigned: rt.last_assigned, today: rt.today }
    }

    fn counters(&self) -> Counters {
        Counters {
            next_ticket: self.next_ticket,
            assign_seq: self.assign_seq,
            round_robin: self
                .rr_last
                .iter()
                .enumerate()
                .filter_map(|(g, a)| a.map(|a| (self.site.group_id(g), self.site.agent_id(a))))
                .collect(),
        }
    }

    /// When a closed site with waiting conversations must wake up to serve them.
    fn hours_wake_at(&self, now: Millis) -> Option<Millis> {
        (0..self.queues.len())
            .filter(|&g| !self.queues[g].is_empty())
            .map(|g| self.hours_of(g))
            .filter(|hours| hours.weekly.is_some() && !hours.is_open(now))
            .filter_map(|hours| hours.next_open(now))
            .min()
    }

    /// Ends a call: timers, queue-moved notices, storage records and the alarm, then the commands.
    pub(super) fn finish(&mut self, now: Millis) -> Vec<Command> {
        let dirty = std::mem::take(&mut self.dirty_convs);
        for id in &dirty {
            self.sync_timer(id);
        }
        self.hours_wake = self.hours_wake_at(now);
        for group in std::mem::take(&mut self.moved_queues) {
            if let Some(&g) = self.site.group_ix.get(&group) {
                if !self.queues[g].is_empty() {
                    self.out.push(Command::QueueMoved { group });
                }
            }
        }
        for id in dirty {
            let record = match self.convs.get(&id) {
                Some(conv) => Record::Conversation(Box::new(conv.clone())),
                None => Record::ConversationClosed(id),
            };
            self.out.push(Command::Persist(record));
        }
        for agent in std::mem::take(&mut self.removed_agents) {
            if !self.site.agent_ix.contains_key(&agent) {
                self.out.push(Command::Persist(Record::AgentRemoved(agent)));
            }
        }
        for agent in std::mem::take(&mut self.dirty_agents) {
            if let Some(&a) = self.site.agent_ix.get(&agent) {
                let record = self.agent_record(a);
                self.out.push(Command::Persist(Record::Agent(record)));
            }
        }
        if std::mem::take(&mut self.dirty_counters) {
            let counters = self.counters();
            self.out.push(Command::Persist(Record::Counters(counters)));
        }
        let next = self.next_deadline();
        if next != self.alarm {
            self.alarm = next;
            self.out.push(Command::SetAlarm { at: next });
        }
        std::mem::take(&mut self.out)
    }

    /// Replaces the configuration: new conversations follow it; existing ones keep their place.
    ///
    /// Removed agents' conversations become dormant (their offers are routed again); queues of
    /// removed groups join the fallback group's queue in ticket order; then every queue is served.
    pub(super) fn apply_config(&mut self, cfg: SiteConfig, now: Millis) {
        let site = match Site::compile(cfg) {
            Ok(site) => site,
            Err(reason) => {
                self.reject(crate::command::Party::Site, reason);
                return;
            }
        };
        let old_rr = self.counters().round_robin;
        let old = std::mem::replace(&mut self.site, site);
        let mut old_agents: BTreeMap<AgentId, AgentRt> =
            old.cfg.agents.iter().map(|a| a.id.clone()).zip(std::mem::take(&mut self.agents)).collect();
        self.agents =
            self.site.cfg.agents.iter().map(|a| old_agents.remove(&a.id).unwrap_or_else(AgentRt::new)).collect();
        for a in 0..self.agents.len() {
            self.touch_agent(a);
        }
        let mut reroute: Vec<ConvId> = Vec::new();
        for (agent, rt) in old_agents {
            self.removed_agents.insert(agent.clone());
            for id in rt.active {
                if let Some(conv) = self.convs.get_mut(&id) {
                    conv.state = ConvState::Dormant { previous: agent.clone(), reason: DormantReason::AgentLeft };
                    conv.held_since = None;
                }
                self.touch_conv(&id);
                self.emit(Command::NeedsReaccept {
                    conv: id,
                    previous: agent.clone(),
                    reason: DormantReason::AgentLeft,
                });
            }
            for id in rt.offered {
                self.emit(Command::Withdrawn { conv: id.clone(), agent: agent.clone() });
                reroute.push(id);
            }
        }
        let mut old_queues: BTreeMap<GroupId, BTreeMap<u64, ConvId>> =
            old.cfg.groups.iter().map(|g| g.id.clone()).zip(std::mem::take(&mut self.queues)).collect();
        self.queues = self.site.cfg.groups.iter().map(|g| old_queues.remove(&g.id).unwrap_or_default()).collect();
        let fallback = self.site.fallback;
        let fallback_id = self.site.group_id(fallback);
        for (_, queue) in old_queues {
            for (ticket, id) in queue {
                if let Some(conv) = self.convs.get_mut(&id) {
                    if let ConvState::Queued { group, .. } = &mut conv.state {
                        group.clone_from(&fallback_id);
                    }
                }
                self.queues[fallback].insert(ticket, id.clone());
                self.touch_conv(&id);
                self.moved_queues.insert(fallback_id.clone());
            }
        }
        let ids: Vec<ConvId> =
            self.convs.values().filter(|c| !self.site.group_ix.contains_key(&c.group)).map(|c| c.id.clone()).collect();
        for id in ids {
            if let Some(conv) = self.convs.get_mut(&id) {
                conv.group.clone_from(&fallback_id);
            }
            self.touch_conv(&id);
        }
        self.rr_last = vec![None; self.queues.len()];
        for (group, agent) in old_rr {
            if let (Some(&g), Some(&a)) = (self.site.group_ix.get(&group), self.site.agent_ix.get(&agent)) {
                self.rr_last[g] = Some(a);
            }
        }
        self.dirty_counters = true;
        // Timers of conversations depend on the timeouts, which may have changed.
        let all: Vec<ConvId> = self.convs.keys().cloned().collect();
        for id in &all {
            self.sync_timer(id);
        }
        for id in reroute {
            self.route(&id, Prefer::Nobody, now);
        }
        self.drain_all(now);
    }

    /// Today's figures of every agent, in config order, and the sizes of the lists.
    #[must_use]
    pub fn stats(&self, now: Millis) -> DeskStats {
        let agents = (0..self.agents.len()).map(|a| self.stats_of(a, now)).collect();
        let mut stats = DeskStats { agents, queued: 0, bot_list: 0, expired: 0, dormant: 0 };
        for conv in self.convs.values() {
            match conv.state {
                ConvState::Queued { .. } => stats.queued += 1,
                ConvState::Bot => stats.bot_list += 1,
                ConvState::Expired => stats.expired += 1,
                ConvState::Dormant { .. } => stats.dormant += 1,
                ConvState::Offered { .. } | ConvState::Active { .. } => {}
            }
        }
        stats
    }

    /// One agent's figures for today (site time zone).
    #[must_use]
    pub fn agent_stats(&self, agent: &AgentId, now: Millis) -> Option<AgentStats> {
        self.site.agent_ix.get(agent).map(|&a| self.stats_of(a, now))
    }

    fn stats_of(&self, a: usize, now: Millis) -> AgentStats {
        let rt = &self.agents[a];
        let day = self.local_day(now);
        let today = if rt.today.day == day { rt.today } else { DayStats { day, ..DayStats::default() } };
        AgentStats {
            agent: self.site.agent_id(a),
            status: rt.status,
            live: u32::try_from(rt.active.len()).unwrap_or(u32::MAX),
            pending: u32::try_from(rt.offered.len()).unwrap_or(u32::MAX),
            max_sessions: self.site.cfg.agents[a].max_sessions,
            accepted_today: today.accepted,
            first_response: today.first_response,
            handling: today.handling,
        }
    }
}
