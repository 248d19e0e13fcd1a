//! The desk: the routing state machine of one site, and how each event changes it.

mod assign;
mod audit;
mod store;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use crate::command::{Command, ConvState, ConversationRecord, DayStats, DormantReason, Party, PromptKind, Quota, Via};
use crate::config::{Channel, SiteConfig, Target};
use crate::error::Rejection;
use crate::event::{AgentStatus, Closer, Event, NewConversation};
use crate::ids::{AgentId, ConvId, EntryId, GroupId, Millis};

/// The routing core of one site: a deterministic, sans-IO state machine.
///
/// Call order, all on one thread, never across an `.await`:
///
/// 1. Build it with [`Desk::new`] (no state yet) or [`Desk::restore`] (config + the records
///    stored so far, + the current time).
/// 2. For every input, call [`Desk::handle`] with the current time and one [`Event`]; carry out
///    the returned [`Command`]s in order (send, store, set the alarm) before the next call.
///    Time never goes backwards: an earlier `now` counts as the latest seen.
/// 3. Keep one alarm at [`Desk::next_deadline`] (every call also returns a
///    [`Command::SetAlarm`] when it changes); when it fires, call `handle(now, Event::TimerFired)`.
///    Due timers also run at the start of every other call, so a late alarm is harmless.
/// 4. Read-only questions ([`Desk::queue`], [`Desk::stats`], [`Desk::snapshot`], ...) may be
///    asked at any time between calls.
///
/// Every call returns; bad or late input (unknown ids, a second accept, a closed conversation)
/// becomes a [`Command::Reject`] with a [`Rejection`], never a panic.
#[derive(Debug)]
pub struct Desk {
    site: Site,
    agents: Vec<AgentRt>,
    queues: Vec<BTreeMap<u64, ConvId>>,
    rr_last: Vec<Option<usize>>,
    convs: BTreeMap<ConvId, ConversationRecord>,
    timers: BTreeSet<(Millis, ConvId)>,
    deadlines: BTreeMap<ConvId, Millis>,
    hours_wake: Option<Millis>,
    next_ticket: u64,
    assign_seq: u64,
    now: Millis,
    alarm: Option<Millis>,
    drain_pending: bool,
    out: Vec<Command>,
    dirty_convs: BTreeSet<ConvId>,
    dirty_agents: BTreeSet<AgentId>,
    dirty_counters: bool,
    moved_queues: BTreeSet<GroupId>,
    removed_agents: BTreeSet<AgentId>,
}

/// What a new configuration does to open conversations ([`Desk::config_impact`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigImpact {
    /// A removed group's queue moves to the new fallback group, in its order.
    QueueMoves {
        /// The removed group.
        group: GroupId,
        /// Conversations waiting in it.
        queued: usize,
        /// Where they go.
        to: GroupId,
    },
    /// A removed agent's conversations: the live ones wait for re-accept (the visitor's next
    /// message routes them again), the offered ones go back to routing.
    AgentLeaves {
        /// The removed agent.
        agent: AgentId,
        /// Conversations it holds.
        live: usize,
        /// Conversations offered to it.
        offered: usize,
    },
}

/// The configuration with its lookup tables.
#[derive(Debug)]
struct Site {
    cfg: SiteConfig,
    agent_ix: BTreeMap<AgentId, usize>,
    group_ix: BTreeMap<GroupId, usize>,
    entries: BTreeMap<EntryId, Target>,
    /// Group index -> member agent indexes, in configured order.
    members: Vec<Vec<usize>>,
    /// Agent index -> group indexes it belongs to, in configured order.
    agent_groups: Vec<Vec<usize>>,
    fallback: usize,
    transfer_keywords: Vec<String>,
    auto_replies: Vec<(String, String)>,
}

impl Site {
    fn compile(cfg: SiteConfig) -> Result<Site, Rejection> {
        let problems = cfg.problems();
        if !problems.is_empty() {
            return Err(Rejection::InvalidConfig(problems.join("; ")));
        }
        let agent_ix: BTreeMap<AgentId, usize> =
            cfg.agents.iter().enumerate().map(|(i, a)| (a.id.clone(), i)).collect();
        let group_ix: BTreeMap<GroupId, usize> =
            cfg.groups.iter().enumerate().map(|(i, g)| (g.id.clone(), i)).collect();
        let mut agent_groups = vec![Vec::new(); cfg.agents.len()];
        let members = cfg
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                group
                    .members
                    .iter()
                    .filter_map(|m| agent_ix.get(m).copied())
                    .inspect(|&a| agent_groups[a].push(g))
                    .collect()
            })
            .collect();
        let Some(&fallback) = group_ix.get(&cfg.fallback_group) else {
            return Err(Rejection::InvalidConfig("no fallback group".to_owned()));
        };
        let entries = cfg.entries.iter().map(|e| (e.id.clone(), e.target.clone())).collect();
        let transfer_keywords =
            cfg.bot.transfer_keywords.iter().map(|k| k.trim().to_lowercase()).filter(|k| !k.is_empty()).collect();
        let auto_replies = cfg
            .bot
            .auto_replies
            .iter()
            .map(|r| (r.keyword.trim().to_lowercase(), r.reply.clone()))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        Ok(Site { cfg, agent_ix, group_ix, entries, members, agent_groups, fallback, transfer_keywords, auto_replies })
    }

    /// The index of a group, or the fallback group's when it no longer exists.
    fn group_of(&self, id: &GroupId) -> usize {
        self.group_ix.get(id).copied().unwrap_or(self.fallback)
    }

    fn group_id(&self, g: usize) -> GroupId {
        self.cfg.groups[g].id.clone()
    }

    fn agent_id(&self, a: usize) -> AgentId {
        self.cfg.agents[a].id.clone()
    }

    fn max_sessions(&self, a: usize) -> usize {
        usize::try_from(self.cfg.agents[a].max_sessions).unwrap_or(usize::MAX)
    }

    /// Whether `text` contains a transfer keyword (case-insensitive, anywhere in the text).
    fn wants_human(&self, text: &str) -> bool {
        let text = text.to_lowercase();
        self.transfer_keywords.iter().any(|k| text.contains(k.as_str()))
    }

    /// The first keyword auto-reply whose keyword `text` contains.
    fn auto_reply(&self, text: &str) -> Option<String> {
        let text = text.to_lowercase();
        self.auto_replies.iter().find(|(k, _)| text.contains(k.as_str())).map(|(_, r)| r.clone())
    }
}

/// What the desk tracks about an agent at run time.
#[derive(Debug, Clone)]
struct AgentRt {
    status: AgentStatus,
    active: BTreeSet<ConvId>,
    offered: BTreeSet<ConvId>,
    last_assigned: u64,
    today: DayStats,
}

impl AgentRt {
    fn new() -> Self {
        AgentRt {
            status: AgentStatus::Offline,
            active: BTreeSet::new(),
            offered: BTreeSet::new(),
            last_assigned: 0,
            today: DayStats::default(),
        }
    }

    fn occupied(&self) -> usize {
        self.active.len() + self.offered.len()
    }

    /// Today's figures, starting a new day when the site-local day changed.
    fn today(&mut self, day: i64) -> &mut DayStats {
        if self.today.day != day {
            self.today = DayStats { day, ..DayStats::default() };
        }
        &mut self.today
    }
}

/// Where a new conversation goes, as its entry, the visitor's pick or its rule decides.
struct Resolved {
    /// The group that serves it.
    group: usize,
    /// The designated agent of its entry.
    designated: Option<usize>,
    /// Welcome to send on first connection.
    welcome: Option<String>,
    /// Promo to send after it.
    promo: Option<String>,
    /// Its rule's cap on the agent's live sessions.
    cap: Option<u32>,
}

/// Which agent to try before the group's strategy.
#[derive(Clone, Copy, Debug)]
enum Prefer {
    Nobody,
    Designated(usize),
    Previous(usize),
}

impl Desk {
    /// A desk with no conversations and every agent offline; fails only on an inconsistent config.
    pub fn new(config: SiteConfig) -> Result<Desk, Rejection> {
        Desk::restore(config, crate::command::Snapshot::default(), Millis(0))
    }

    /// Feeds one event at time `now`; returns what the adapter must do, in order.
    #[must_use = "the commands must be carried out"]
    pub fn handle(&mut self, now: Millis, event: Event) -> Vec<Command> {
        let now = now.max(self.now);
        self.now = now;
        self.run_due(now);
        if self.drain_pending {
            self.drain_pending = false;
            self.drain_all(now);
        }
        match event {
            Event::Open(req) => self.open(req, now),
            Event::VisitorEntered { conv } => self.visitor_entered(conv, now),
            Event::VisitorMessage { conv, text } => self.visitor_message(conv, text, now),
            Event::AgentMessage { conv, agent, text } => self.agent_message(conv, agent, text, now),
            Event::AgentLogin { agent } => self.set_status(agent, AgentStatus::Online, now),
            Event::AgentStatus { agent, status } => self.set_status(agent, status, now),
            Event::AgentLogout { agent } => self.set_status(agent, AgentStatus::Offline, now),
            Event::Accept { conv, agent } => self.accept(conv, agent, now),
            Event::Transfer { conv, agent, to } => self.transfer(conv, agent, to, now),
            Event::Close { conv, by } => self.close(conv, by, now),
            Event::LeaveMessage { conv, fields } => self.leave_message(conv, fields, now),
            Event::BotPickUp { conv, agent } => self.pick_up(conv, agent, now),
            Event::ConfigUpdate(cfg) => self.apply_config(*cfg, now),
            Event::TimerFired => {}
        }
        self.drain_moved(now);
        self.finish(now)
    }

    /// The earliest instant the desk needs [`Event::TimerFired`] (idle, bot expiry, service hours opening).
    #[must_use]
    pub fn next_deadline(&self) -> Option<Millis> {
        let conv = self.timers.first().map(|(t, _)| *t);
        match (conv, self.hours_wake) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The configuration in force.
    #[must_use]
    pub fn config(&self) -> &SiteConfig {
        &self.site.cfg
    }

    /// One open conversation.
    #[must_use]
    pub fn conversation(&self, conv: &ConvId) -> Option<&ConversationRecord> {
        self.convs.get(conv)
    }

    /// Every open conversation, by id.
    pub fn conversations(&self) -> impl Iterator<Item = &ConversationRecord> {
        self.convs.values()
    }

    /// The queue of a group, first in line first.
    #[must_use]
    pub fn queue(&self, group: &GroupId) -> Vec<ConvId> {
        self.site.group_ix.get(group).map(|&g| self.queues[g].values().cloned().collect()).unwrap_or_default()
    }

    /// A queued conversation's position in its group's queue (1 = next).
    #[must_use]
    pub fn queue_position(&self, conv: &ConvId) -> Option<usize> {
        let ConvState::Queued { group, ticket, .. } = &self.convs.get(conv)?.state else {
            return None;
        };
        let g = *self.site.group_ix.get(group)?;
        Some(self.queues[g].range(..*ticket).count() + 1)
    }

    /// The bot list, by id.
    #[must_use]
    pub fn bot_list(&self) -> Vec<ConvId> {
        self.in_state(|s| matches!(s, ConvState::Bot))
    }

    /// The expired list (bot-list conversations idle 48 hours), by id.
    #[must_use]
    pub fn expired_list(&self) -> Vec<ConvId> {
        self.in_state(|s| matches!(s, ConvState::Expired))
    }

    /// Conversations waiting to be re-accepted, by id.
    #[must_use]
    pub fn dormant_list(&self) -> Vec<ConvId> {
        self.in_state(|s| matches!(s, ConvState::Dormant { .. }))
    }

    /// An agent's pending list, by id.
    #[must_use]
    pub fn pending(&self, agent: &AgentId) -> Vec<ConvId> {
        self.site.agent_ix.get(agent).map(|&a| self.agents[a].offered.iter().cloned().collect()).unwrap_or_default()
    }

    /// An agent's live conversations, by id.
    #[must_use]
    pub fn live(&self, agent: &AgentId) -> Vec<ConvId> {
        self.site.agent_ix.get(agent).map(|&a| self.agents[a].active.iter().cloned().collect()).unwrap_or_default()
    }

    /// What replacing the configuration with `next` would do to open conversations, for a warning
    /// before it is saved: the queue of each removed group moves to `next`'s fallback group; each
    /// removed agent's live conversations wait for re-accept and its offers go back to routing.
    /// [`Event::ConfigUpdate`] then does exactly that (it is the same repair as a restore's).
    #[must_use]
    pub fn config_impact(&self, next: &SiteConfig) -> Vec<ConfigImpact> {
        let mut out = Vec::new();
        for (g, group) in self.site.cfg.groups.iter().enumerate() {
            let queued = self.queues[g].len();
            if queued > 0 && !next.groups.iter().any(|n| n.id == group.id) {
                out.push(ConfigImpact::QueueMoves { group: group.id.clone(), queued, to: next.fallback_group.clone() });
            }
        }
        for (a, agent) in self.site.cfg.agents.iter().enumerate() {
            let rt = &self.agents[a];
            let (live, offered) = (rt.active.len(), rt.offered.len());
            if live + offered > 0 && !next.agents.iter().any(|n| n.id == agent.id) {
                out.push(ConfigImpact::AgentLeaves { agent: agent.id.clone(), live, offered });
            }
        }
        out
    }

    /// An agent's presence.
    #[must_use]
    pub fn agent_status(&self, agent: &AgentId) -> Option<AgentStatus> {
        self.site.agent_ix.get(agent).map(|&a| self.agents[a].status)
    }

    fn in_state(&self, f: impl Fn(&ConvState) -> bool) -> Vec<ConvId> {
        self.convs.values().filter(|c| f(&c.state)).map(|c| c.id.clone()).collect()
    }

    // ----- small helpers -----

    fn emit(&mut self, command: Command) {
        self.out.push(command);
    }

    fn reject(&mut self, to: Party, reason: Rejection) {
        self.out.push(Command::Reject { to, reason });
    }

    fn touch_conv(&mut self, id: &ConvId) {
        if !self.dirty_convs.contains(id) {
            self.dirty_convs.insert(id.clone());
        }
    }

    fn touch_agent(&mut self, a: usize) {
        let id = &self.site.cfg.agents[a].id;
        if !self.dirty_agents.contains(id) {
            self.dirty_agents.insert(id.clone());
        }
    }

    fn local_day(&self, now: Millis) -> i64 {
        self.site.cfg.service_hours.local_day(now)
    }

    /// The service hours group `g` works by: its own, else the site's.
    fn hours_of(&self, g: usize) -> &crate::clock::ServiceHours {
        self.site
            .cfg
            .groups
            .get(g)
            .and_then(|group| group.service_hours.as_ref())
            .unwrap_or(&self.site.cfg.service_hours)
    }

    /// Whether group `g` is within its service hours at `now`.
    fn hours_open(&self, g: usize, now: Millis) -> bool {
        self.hours_of(g).is_open(now)
    }

    /// Takes one mini-program reply from the quota, when more than `reserve` are left; true when
    /// the message may be sent.
    fn take_quota(&mut self, id: &ConvId, reserve: u8, now: Millis) -> bool {
        let Some(conv) = self.convs.get_mut(id) else {
            return false;
        };
        if conv.channel != Channel::MiniProgram {
            return true;
        }
        match &mut conv.quota {
            Some(q) if q.remaining > reserve && now < q.until => {
                q.remaining -= 1;
                self.touch_conv(id);
                true
            }
            _ => false,
        }
    }

    /// Sends an automatic visitor-facing message, unless the reply quota forbids it: automatic
    /// messages spend the quota too, but never its last reply, which is kept for an agent.
    fn say(&mut self, id: &ConvId, command: Command, now: Millis) {
        if self.take_quota(id, 1, now) {
            self.emit(command);
        } else {
            self.reject(Party::Site, Rejection::QuotaExceeded(id.clone()));
        }
    }

    fn prompt(&mut self, id: &ConvId, kind: PromptKind, text: String, now: Millis) {
        if text.trim().is_empty() {
            return;
        }
        let conv = id.clone();
        self.say(id, Command::Prompt { conv, kind, text }, now);
    }

    fn bot_say(&mut self, id: &ConvId, text: String, now: Millis) {
        let conv = id.clone();
        self.say(id, Command::BotReply { conv, text }, now);
    }

    fn offer_leave_message(&mut self, id: &ConvId, now: Millis) {
        let form = self.site.cfg.leave_message.clone();
        let conv = id.clone();
        self.say(id, Command::OfferLeaveMessage { conv, form }, now);
    }

    fn deliver_if_active(&mut self, id: &ConvId, text: String) {
        if let Some(ConvState::Active { agent }) = self.convs.get(id).map(|c| &c.state) {
            let to = Party::Agent(agent.clone());
            self.emit(Command::Deliver { conv: id.clone(), to, text });
        }
    }

    fn prefer_designated(&self, id: &ConvId) -> Prefer {
        self.convs
            .get(id)
            .and_then(|c| c.designated.as_ref())
            .and_then(|a| self.site.agent_ix.get(a))
            .map_or(Prefer::Nobody, |&a| Prefer::Designated(a))
    }

    // ----- events -----

    fn open(&mut self, req: NewConversation, now: Millis) {
        let id = req.conv.clone();
        if self.convs.contains_key(&id) {
            self.reject(Party::Visitor(id.clone()), Rejection::DuplicateConversation(id));
            return;
        }
        let Resolved { group: g, designated, welcome, promo, cap } = match self.resolve(&req) {
            Ok(found) => found,
            Err(reason) => {
                self.reject(Party::Visitor(id), reason);
                return;
            }
        };
        let quotas = self.site.cfg.quotas;
        let quota = (req.channel == Channel::MiniProgram)
            .then(|| Quota { remaining: quotas.enter, until: now.plus(quotas.enter_window_ms) });
        let record = ConversationRecord {
            id: id.clone(),
            channel: req.channel,
            group: self.site.group_id(g),
            designated: designated.map(|a| self.site.agent_id(a)),
            customer_owner: req.customer_owner,
            contact_owner: req.contact_owner,
            state: ConvState::Bot,
            opened_at: now,
            last_activity: now,
            connected_at: None,
            held_since: None,
            first_response_ms: None,
            welcome,
            promo,
            quota,
            cap,
        };
        self.convs.insert(id.clone(), record);
        self.touch_conv(&id);
        if self.site.cfg.bot.enabled {
            self.emit(Command::EnteredBotList { conv: id.clone() });
            if let Some(greeting) = self.site.cfg.bot.greeting.clone() {
                self.bot_say(&id, greeting, now);
            }
        } else {
            let prefer = designated.map_or(Prefer::Nobody, Prefer::Designated);
            self.route(&id, prefer, now);
        }
    }

    /// Entry -> group: designated agent or group, the visitor's pick, or the first matching rule.
    fn resolve(&self, req: &NewConversation) -> Result<Resolved, Rejection> {
        let site = |g: usize| Resolved {
            group: g,
            designated: None,
            welcome: self.site.cfg.prompts.welcome.clone(),
            promo: None,
            cap: None,
        };
        if let Some(entry) = &req.entry {
            return match self.site.entries.get(entry) {
                None => Err(Rejection::UnknownEntry(entry.clone())),
                Some(Target::Group(g)) => Ok(site(self.site.group_of(g))),
                Some(Target::Agent(agent)) => {
                    let Some(&a) = self.site.agent_ix.get(agent) else {
                        return Err(Rejection::UnknownEntry(entry.clone()));
                    };
                    let g = self.site.agent_groups[a].first().copied().unwrap_or(self.site.fallback);
                    Ok(Resolved { designated: Some(a), ..site(g) })
                }
            };
        }
        match &self.site.cfg.mode {
            crate::config::RoutingMode::VisitorPicksGroup { groups } => match &req.chosen_group {
                Some(g) if groups.contains(g) => Ok(site(self.site.group_of(g))),
                Some(g) => Err(Rejection::UnknownGroup(g.clone())),
                None => Ok(site(self.site.fallback)),
            },
            crate::config::RoutingMode::Rules => {
                for rule in &self.site.cfg.rules {
                    if rule.matches(req) {
                        let base = site(self.site.group_of(&rule.group));
                        return Ok(Resolved {
                            welcome: rule.welcome.clone().or(base.welcome.clone()),
                            promo: rule.promo.clone(),
                            cap: rule.max_sessions,
                            ..base
                        });
                    }
                }
                Ok(site(self.site.fallback))
            }
        }
    }

    fn visitor_entered(&mut self, id: ConvId, now: Millis) {
        let Some(conv) = self.convs.get_mut(&id) else {
            self.reject(Party::Visitor(id.clone()), Rejection::UnknownConversation(id));
            return;
        };
        let quotas = self.site.cfg.quotas;
        if conv.channel == Channel::MiniProgram {
            conv.quota = Some(Quota { remaining: quotas.enter, until: now.plus(quotas.enter_window_ms) });
            self.touch_conv(&id);
        }
    }

    fn visitor_message(&mut self, id: ConvId, text: String, now: Millis) {
        let Some(conv) = self.convs.get_mut(&id) else {
            self.reject(Party::Visitor(id.clone()), Rejection::UnknownConversation(id));
            return;
        };
        conv.last_activity = now;
        let quotas = self.site.cfg.quotas;
        if conv.channel == Channel::MiniProgram {
            conv.quota = Some(Quota { remaining: quotas.message, until: now.plus(quotas.message_window_ms) });
        }
        let state = conv.state.clone();
        self.touch_conv(&id);
        match state {
            ConvState::Bot => self.bot_message(&id, text, false, now),
            ConvState::Expired => self.bot_message(&id, text, true, now),
            ConvState::Queued { .. } | ConvState::Offered { .. } => {}
            ConvState::Active { agent } => self.emit(Command::Deliver { conv: id, to: Party::Agent(agent), text }),
            ConvState::Dormant { previous, .. } => {
                let prefer = self.site.agent_ix.get(&previous).map_or(Prefer::Nobody, |&a| Prefer::Previous(a));
                self.route(&id, prefer, now);
                self.deliver_if_active(&id, text);
            }
        }
    }

    /// A visitor message in the bot list: a transfer keyword (or the bot switched off) routes it,
    /// otherwise the bot answers.
    fn bot_message(&mut self, id: &ConvId, text: String, expired: bool, now: Millis) {
        if !self.site.cfg.bot.enabled || self.site.wants_human(&text) {
            let prefer = self.prefer_designated(id);
            self.route(id, prefer, now);
            self.deliver_if_active(id, text);
            return;
        }
        if expired {
            if let Some(conv) = self.convs.get_mut(id) {
                conv.state = ConvState::Bot;
            }
            self.emit(Command::EnteredBotList { conv: id.clone() });
        }
        let reply = self.site.auto_reply(&text).or_else(|| self.site.cfg.bot.fallback_reply.clone());
        if let Some(reply) = reply {
            self.bot_say(id, reply, now);
        }
    }

    fn agent_message(&mut self, id: ConvId, agent: AgentId, text: String, now: Millis) {
        let Some(a) = self.known_agent(&id, &agent) else { return };
        let Some(conv) = self.convs.get(&id) else { return };
        if !matches!(&conv.state, ConvState::Active { agent: holder } if *holder == agent) {
            self.reject(Party::Agent(agent.clone()), Rejection::NotAssignedToYou { conv: id, agent });
            return;
        }
        if !self.take_quota(&id, 0, now) {
            self.reject(Party::Agent(agent), Rejection::QuotaExceeded(id));
            return;
        }
        let day = self.local_day(now);
        let mut first_response = None;
        if let Some(conv) = self.convs.get_mut(&id) {
            conv.last_activity = now;
            if let (None, Some(connected)) = (conv.first_response_ms, conv.connected_at) {
                let ms = now.since(connected);
                conv.first_response_ms = Some(ms);
                first_response = Some(ms);
            }
        }
        if let Some(ms) = first_response {
            self.agents[a].today(day).first_response.add(ms);
            self.touch_agent(a);
        }
        self.touch_conv(&id);
        self.emit(Command::Deliver { conv: id.clone(), to: Party::Visitor(id), text });
    }

    fn set_status(&mut self, agent: AgentId, status: AgentStatus, now: Millis) {
        let Some(&a) = self.site.agent_ix.get(&agent) else {
            self.reject(Party::Agent(agent.clone()), Rejection::UnknownAgent(agent));
            return;
        };
        if self.agents[a].status == status {
            return;
        }
        self.agents[a].status = status;
        self.touch_agent(a);
        match status {
            AgentStatus::Online => self.drain_for_agent(a, now),
            AgentStatus::Away => self.withdraw_offers(a, now),
            AgentStatus::Offline => {
                let held: Vec<ConvId> = self.agents[a].active.iter().cloned().collect();
                for id in held {
                    self.go_dormant(&id, DormantReason::AgentLeft, now);
                }
                self.withdraw_offers(a, now);
            }
        }
    }

    fn accept(&mut self, id: ConvId, agent: AgentId, now: Millis) {
        let Some(a) = self.acting_agent(&id, &agent) else { return };
        let Some(conv) = self.convs.get(&id) else { return };
        let to = Party::Agent(agent.clone());
        let has_room = self.agents[a].occupied() < self.site.max_sessions(a);
        match conv.state.clone() {
            ConvState::Active { agent: by } => {
                self.reject(to, Rejection::AlreadyAccepted { conv: id, by });
            }
            ConvState::Offered { agent: offered_to } => {
                let holder = self.site.agent_ix.get(&offered_to).copied();
                if holder != Some(a) {
                    let g = self.site.group_of(&conv.group);
                    if !self.site.members[g].contains(&a) {
                        self.reject(to, Rejection::NotInGroup { conv: id, agent });
                        return;
                    }
                    if !has_room {
                        self.reject(to, Rejection::AgentAtCapacity(agent));
                        return;
                    }
                }
                self.detach(&id, now);
                if holder != Some(a) {
                    self.emit(Command::Withdrawn { conv: id.clone(), agent: offered_to });
                }
                let first = self.activate(&id, a, now);
                self.emit_connected(&id, a, Via::Accepted, first, now);
                if let Some(h) = holder.filter(|&h| h != a) {
                    self.drain_for_agent(h, now);
                }
            }
            ConvState::Dormant { .. } => {
                if !has_room {
                    self.reject(to, Rejection::AgentAtCapacity(agent));
                    return;
                }
                let first = self.activate(&id, a, now);
                self.emit_connected(&id, a, Via::Reaccepted, first, now);
            }
            ConvState::Bot | ConvState::Expired | ConvState::Queued { .. } => {
                self.reject(to, Rejection::NotPending(id));
            }
        }
    }

    fn transfer(&mut self, id: ConvId, agent: AgentId, target: Target, now: Millis) {
        let Some(a) = self.known_agent(&id, &agent) else { return };
        let Some(conv) = self.convs.get(&id) else { return };
        let to = Party::Agent(agent.clone());
        if !matches!(&conv.state, ConvState::Active { agent: holder } if *holder == agent) {
            self.reject(to, Rejection::NotAssignedToYou { conv: id, agent });
            return;
        }
        let (b, via, new_group) = match target {
            Target::Agent(other) => {
                let Some(&b) = self.site.agent_ix.get(&other) else {
                    self.reject(to, Rejection::UnknownAgent(other));
                    return;
                };
                if b == a {
                    self.reject(to, Rejection::TransferToSelf(id));
                    return;
                }
                if self.agents[b].status != AgentStatus::Online {
                    self.reject(to, Rejection::AgentUnavailable(other));
                    return;
                }
                if self.agents[b].occupied() >= self.site.max_sessions(b) {
                    self.reject(to, Rejection::AgentAtCapacity(other));
                    return;
                }
                (b, Via::Transfer, None)
            }
            Target::Group(group) => {
                let Some(&g) = self.site.group_ix.get(&group) else {
                    self.reject(to, Rejection::UnknownGroup(group));
                    return;
                };
                let owners = (conv.customer_owner.as_ref(), conv.contact_owner.as_ref());
                // A transfer is a person's choice: a rule's cap binds routing, not them.
                let Some((b, via)) = self.pick(g, owners, Some(a), None, now) else {
                    self.reject(to, Rejection::NoAgentAvailable(group));
                    return;
                };
                self.note_round_robin(g, b, via);
                (b, via, Some(group))
            }
        };
        self.detach(&id, now);
        if let Some(group) = new_group {
            if let Some(conv) = self.convs.get_mut(&id) {
                conv.group = group;
            }
        }
        self.activate(&id, b, now);
        self.emit(Command::Transferred { conv: id, from: agent, to: self.site.agent_id(b), via });
        self.drain_for_agent(a, now);
    }

    fn close(&mut self, id: ConvId, by: Closer, now: Millis) {
        let to = match &by {
            Closer::Visitor => Party::Visitor(id.clone()),
            Closer::Agent(agent) => Party::Agent(agent.clone()),
            Closer::System => Party::Site,
        };
        let Some(conv) = self.convs.get(&id) else {
            self.reject(to, Rejection::UnknownConversation(id));
            return;
        };
        if let Closer::Agent(agent) = &by {
            if !self.site.agent_ix.contains_key(agent) {
                self.reject(to, Rejection::UnknownAgent(agent.clone()));
                return;
            }
            let involved = match &conv.state {
                ConvState::Active { agent: x } | ConvState::Offered { agent: x } => x == agent,
                ConvState::Dormant { previous, .. } => previous == agent,
                _ => false,
            };
            if !involved {
                let agent = agent.clone();
                self.reject(to, Rejection::NotAssignedToYou { conv: id, agent });
                return;
            }
        }
        let freed = self.detach(&id, now);
        let Some(conv) = self.convs.remove(&id) else {
            return;
        };
        self.touch_conv(&id);
        self.emit(Command::Closed {
            conv: id,
            by,
            first_response_ms: conv.first_response_ms,
            handled_ms: conv.connected_at.map(|c| now.since(c)),
        });
        if let Some(a) = freed {
            self.drain_for_agent(a, now);
        }
    }

    fn leave_message(&mut self, id: ConvId, fields: BTreeMap<String, String>, now: Millis) {
        if !self.convs.contains_key(&id) {
            self.reject(Party::Visitor(id.clone()), Rejection::UnknownConversation(id));
            return;
        }
        let missing = self
            .site
            .cfg
            .leave_message
            .fields
            .iter()
            .find(|f| f.required && fields.get(&f.name).is_none_or(|v| v.trim().is_empty()))
            .map(|f| f.name.clone());
        if let Some(name) = missing {
            self.reject(Party::Visitor(id), Rejection::MissingField(name));
            return;
        }
        self.emit(Command::MessageLeft { conv: id.clone(), fields });
        self.close(id, Closer::Visitor, now);
    }

    /// The index of a known agent writing about an open conversation, or `None` after rejecting
    /// the event.
    fn known_agent(&mut self, id: &ConvId, agent: &AgentId) -> Option<usize> {
        let Some(&a) = self.site.agent_ix.get(agent) else {
            self.reject(Party::Agent(agent.clone()), Rejection::UnknownAgent(agent.clone()));
            return None;
        };
        if !self.convs.contains_key(id) {
            self.reject(Party::Agent(agent.clone()), Rejection::UnknownConversation(id.clone()));
            return None;
        }
        Some(a)
    }

    /// Like [`Self::known_agent`], and the agent must not be offline (accept, pick-up).
    fn acting_agent(&mut self, id: &ConvId, agent: &AgentId) -> Option<usize> {
        let a = self.known_agent(id, agent)?;
        if self.agents[a].status == AgentStatus::Offline {
            self.reject(Party::Agent(agent.clone()), Rejection::AgentOffline(agent.clone()));
            return None;
        }
        Some(a)
    }

    fn pick_up(&mut self, id: ConvId, agent: AgentId, now: Millis) {
        let Some(a) = self.acting_agent(&id, &agent) else { return };
        let Some(conv) = self.convs.get(&id) else { return };
        let to = Party::Agent(agent.clone());
        if !matches!(conv.state, ConvState::Bot | ConvState::Expired) {
            self.reject(to, Rejection::NotInBotList(id));
            return;
        }
        if self.agents[a].occupied() >= self.site.max_sessions(a) {
            self.reject(to, Rejection::AgentAtCapacity(agent));
            return;
        }
        let first = self.activate(&id, a, now);
        self.emit_connected(&id, a, Via::PickUp, first, now);
    }

    /// Runs every timer due at `now`, earliest first.
    fn run_due(&mut self, now: Millis) {
        loop {
            let conv_due = self.timers.first().filter(|(t, _)| *t <= now).map(|(t, id)| (*t, id.clone()));
            let hours_due = self.hours_wake.filter(|t| *t <= now);
            match (conv_due, hours_due) {
                (None, None) => break,
                (Some((t, id)), h) if h.is_none_or(|h| t <= h) => {
                    self.timers.remove(&(t, id.clone()));
                    self.deadlines.remove(&id);
                    self.fire(&id, now);
                    self.sync_timer(&id);
                }
                _ => {
                    self.hours_wake = None;
                    self.drain_all(now);
                }
            }
        }
    }

    /// A conversation's timer: idle connected conversations go dormant, idle bot-list ones expire.
    fn fire(&mut self, id: &ConvId, now: Millis) {
        let Some(conv) = self.convs.get(id) else {
            return;
        };
        let timeouts = self.site.cfg.timeouts;
        let idle = matches!(conv.state, ConvState::Active { .. }) && now >= conv.last_activity.plus(timeouts.idle_ms);
        let expired = matches!(conv.state, ConvState::Bot) && now >= conv.last_activity.plus(timeouts.bot_expiry_ms);
        if idle {
            self.go_dormant(id, DormantReason::Idle, now);
        } else if expired {
            if let Some(conv) = self.convs.get_mut(id) {
                conv.state = ConvState::Expired;
            }
            self.touch_conv(id);
            self.emit(Command::Expired { conv: id.clone() });
        }
    }

    /// Takes a connected conversation from its agent: it must be re-accepted.
    fn go_dormant(&mut self, id: &ConvId, reason: DormantReason, now: Millis) {
        let Some(a) = self.detach(id, now) else {
            return;
        };
        let previous = self.site.agent_id(a);
        if let Some(conv) = self.convs.get_mut(id) {
            conv.state = ConvState::Dormant { previous: previous.clone(), reason };
        }
        self.touch_conv(id);
        self.emit(Command::NeedsReaccept { conv: id.clone(), previous, reason });
        if self.agents[a].status == AgentStatus::Online {
            self.drain_for_agent(a, now);
        }
    }

    /// Takes back every offer in an agent's pending list and routes those conversations again.
    fn withdraw_offers(&mut self, a: usize, now: Millis) {
        let offered = std::mem::take(&mut self.agents[a].offered);
        let agent = self.site.agent_id(a);
        for id in offered {
            self.emit(Command::Withdrawn { conv: id.clone(), agent: agent.clone() });
            self.route(&id, Prefer::Nobody, now);
        }
    }

    /// Keeps the conversation's timer in line with its state (idle when connected, expiry in the bot list).
    fn sync_timer(&mut self, id: &ConvId) {
        let timeouts = self.site.cfg.timeouts;
        let want = self.convs.get(id).and_then(|c| match c.state {
            ConvState::Active { .. } => Some(c.last_activity.plus(timeouts.idle_ms)),
            ConvState::Bot => Some(c.last_activity.plus(timeouts.bot_expiry_ms)),
            _ => None,
        });
        let have = self.deadlines.get(id).copied();
        if want == have {
            return;
        }
        if let Some(h) = have {
            self.timers.remove(&(h, id.clone()));
            self.deadlines.remove(id);
        }
        if let Some(w) = want {
            self.timers.insert((w, id.clone()));
            self.deadlines.insert(id.clone(), w);
        }
    }
}
