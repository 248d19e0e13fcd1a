//! The agent console's frames beyond chatting: the site-wide lists (the board, pushed to every
//! agent when a list changes), bot-list pick-up, the visitor sidebar, quick phrases and the
//! day's figures.

use protocol::{
    AgentDayStats, AgentFrame, Board, ConsoleFrame, ConversationSummary, GroupAvailability, Presence, SessionGroupInfo,
    TeamMember, VisitorProfile,
};
use routing::{AgentId, AgentStatus, ConvId, ConvState, Event, Millis, DAY, MINUTE};
use worker::WebSocket;

use super::pipeline::refusal;
use super::profile::StoredProfile;
use super::{now_ms, sockets, Desk};
use crate::error::{EdgeError, EdgeResult};
use crate::secrets;

/// Most conversations a board list carries.
const MAX_LIST: usize = 100;

/// The least time between two boards pushed to the agents, milliseconds.
pub(super) const BOARD_EVERY_MS: u64 = 250;

/// Longest quick phrase, in characters.
const MAX_PHRASE_CHARS: usize = 500;

/// Most phrases per agent, and shared ones per site.
const MAX_PHRASES: u32 = 200;

impl Desk {
    /// Handles an agent's console frame (lists, pick-up, sidebar, phrases, figures).
    pub(super) fn console_frame(&self, ws: &WebSocket, agent_id: &str, frame: AgentFrame) -> EdgeResult<()> {
        match frame {
            AgentFrame::PickUp { conversation_id } => {
                let event = Event::BotPickUp { conv: ConvId(conversation_id), agent: AgentId(agent_id.to_string()) };
                refusal(&self.route(event)?)
            }
            AgentFrame::Board => {
                sockets::send(ws, &ConsoleFrame::Board { board: self.current_board()? });
                Ok(())
            }
            AgentFrame::Profile { conversation_id } => {
                sockets::send(ws, &ConsoleFrame::Profile { profile: Box::new(self.profile(&conversation_id)?) });
                Ok(())
            }
            AgentFrame::Stats => {
                sockets::send(ws, &ConsoleFrame::Stats { agents: self.day_stats(agent_id)? });
                Ok(())
            }
            AgentFrame::Search { query } => {
                if query.text.chars().count() > protocol::search::MAX_QUERY_CHARS {
                    return Err(EdgeError::BadRequest("a search is at most 100 characters".into()));
                }
                let (hits, more) = self.store()?.search(&query)?;
                sockets::send(ws, &ConsoleFrame::SearchResults { n: query.n, hits, more });
                Ok(())
            }
            AgentFrame::Phrases => self.send_phrases(ws, agent_id),
            AgentFrame::SavePhrase { id, text, shared } => {
                self.save_phrase(agent_id, id.as_deref(), &text, shared)?;
                self.send_phrases(ws, agent_id)
            }
            AgentFrame::DeletePhrase { id } => {
                match self.store()?.phrase_owner(&id)? {
                    None => return Err(EdgeError::NotFound),
                    Some(owner) => self.may_edit_phrase(agent_id, owner.as_deref())?,
                }
                self.store()?.delete_phrase(&id)?;
                self.send_phrases(ws, agent_id)
            }
            _ => Err(EdgeError::BadRequest("not a console frame".into())),
        }
    }

    /// Tells every agent what changed on the board if a list changed: a [`protocol::BoardDelta`]
    /// against the board they have (the one last sent), or the whole board when a delta cannot say
    /// it. At most one board is built every [`BOARD_EVERY_MS`]: a change within that time waits
    /// for the end of a later callback (the alarm makes one), so a burst of new conversations
    /// costs the Desk a few boards a second, not one (every list's summaries read again) each.
    /// With no agent connected the last board is forgotten; the next agent asks for the whole
    /// board anyway.
    pub(super) fn push_board(&self) {
        if !self.board_dirty.get() {
            return;
        }
        if self.with_sockets(|s| s.agent_count()) == 0 {
            self.board_dirty.set(false);
            *self.board_sent.borrow_mut() = None;
            return;
        }
        // The runtime's clock, not the site's test clock (which may stand still).
        let now = js_sys::Date::now() as u64;
        if now < self.board_pushed_at.get().saturating_add(BOARD_EVERY_MS) {
            self.board_alarm.set(true);
            return;
        }
        self.board_dirty.set(false);
        self.board_pushed_at.set(now);
        let mut board = match self.board() {
            Ok(board) => board,
            Err(err) => return worker::console_error!("board update failed: {err:?}"),
        };
        let mut sent = self.board_sent.borrow_mut();
        board.seq = sent.as_ref().map_or(0, |old| old.seq);
        if sent.as_ref() == Some(&board) {
            return;
        }
        board.seq = self.next_board_seq();
        let frame = match sent.as_ref().and_then(|old| old.diff(&board)) {
            Some(delta) => ConsoleFrame::BoardDelta { delta },
            None => ConsoleFrame::Board { board: board.clone() },
        };
        *sent = Some(board);
        drop(sent);
        self.with_sockets(|s| s.to_agents(&frame));
    }

    /// The board as agents have it (the one last sent), or a new one when none was sent since the
    /// wake: the answer to an agent's `board`.
    fn current_board(&self) -> EdgeResult<Board> {
        if let Some(board) = self.board_sent.borrow().as_ref() {
            return Ok(board.clone());
        }
        let mut board = self.board()?;
        board.seq = self.next_board_seq();
        *self.board_sent.borrow_mut() = Some(board.clone());
        Ok(board)
    }

    /// The next board number. Numbers start at the wake's clock time (unix ms), so an agent that
    /// kept a board from before an eviction sees a gap, not a number it already had.
    fn next_board_seq(&self) -> u64 {
        let next = self.board_seq.get().max(now_ms()) + 1;
        self.board_seq.set(next);
        next
    }

    /// Sends a conversation's visitor profile to the agent holding it (after the visitor's session
    /// changed: another page, new custom fields, pre-chat answers), so an open sidebar stays current.
    /// On a site with session groups the conversation's groups may have changed too: the holder
    /// gets its summary again and the board is compared at the end of the callback.
    pub(super) fn push_profile(&self, conversation_id: &str) -> EdgeResult<()> {
        let grouped = !self.config()?.workbench.session_groups.is_empty();
        if grouped {
            self.lists_changed();
        }
        let Some(agent) = self.holder(conversation_id)? else { return Ok(()) };
        if self.with_sockets(|s| s.agent_sockets(&agent)) == 0 {
            return Ok(());
        }
        let frame = ConsoleFrame::Profile { profile: Box::new(self.profile(conversation_id)?) };
        self.with_sockets(|s| s.to_agent(&agent, &frame));
        if let Some(conversation) = self.summary(conversation_id)?.filter(|_| grouped) {
            self.with_sockets(|s| s.to_agent(&agent, &protocol::ServerFrame::ConversationUpdated { conversation }));
        }
        Ok(())
    }

    /// Notes that the site-wide lists may have changed (pushed at the end of the callback).
    pub(super) fn lists_changed(&self) {
        self.board_dirty.set(true);
    }

    pub(super) fn is_admin(&self, agent_id: &str) -> EdgeResult<bool> {
        Ok(self.config()?.agents.iter().any(|a| a.id == agent_id && a.is_admin()))
    }

    /// Start of the site's day (service-hours time zone) containing `now`, unix milliseconds.
    fn day_start(&self, now: u64) -> EdgeResult<u64> {
        let offset = self.with_core(|core| i64::from(core.config().service_hours.utc_offset_minutes))?;
        let shift = offset * i64::try_from(MINUTE).unwrap_or(60_000);
        let local = i64::try_from(now).unwrap_or(i64::MAX).saturating_add(shift);
        let day = i64::try_from(DAY).unwrap_or(86_400_000);
        Ok(u64::try_from(local.div_euclid(day) * day - shift).unwrap_or(0))
    }

    fn board(&self) -> EdgeResult<Board> {
        let now = now_ms();
        let (mut queued, bot, expired, dormant, stats) = self.with_core(|core| {
            let mut queued = Vec::new();
            let (mut bot, mut expired, mut dormant) = (Vec::new(), Vec::new(), Vec::new());
            for conv in core.conversations() {
                // Queues by ticket (first come first), the others by when they opened: a new
                // entry lands at the end of its list, which a board delta can say.
                let opened = (conv.opened_at.0, conv.id.0.clone());
                match &conv.state {
                    ConvState::Queued { ticket, .. } => queued.push((*ticket, conv.id.0.clone())),
                    ConvState::Bot => bot.push(opened),
                    ConvState::Expired => expired.push(opened),
                    ConvState::Dormant { .. } => dormant.push(opened),
                    ConvState::Offered { .. } | ConvState::Active { .. } => {}
                }
            }
            (queued, bot, expired, dormant, core.stats(Millis(now)))
        })?;
        let (mut bot, mut expired, mut dormant) = (bot, expired, dormant);
        for list in [&mut queued, &mut bot, &mut expired, &mut dormant] {
            list.sort();
        }
        let config = self.config()?;
        let team: Vec<TeamMember> = stats
            .agents
            .iter()
            .map(|s| TeamMember {
                id: s.agent.0.clone(),
                name: config.agents.iter().find(|a| a.id == s.agent.0).map(|a| a.name.clone()).unwrap_or_default(),
                status: presence(s.status),
                live: s.live,
                pending: s.pending,
                max_sessions: s.max_sessions,
            })
            .collect();
        let free = |id: &str| {
            team.iter().any(|m| m.id == id && m.status == Presence::Online && m.live + m.pending < m.max_sessions)
        };
        let groups = config
            .groups
            .iter()
            .map(|g| GroupAvailability {
                id: g.id.clone(),
                name: if g.name.is_empty() { g.id.clone() } else { g.name.clone() },
                available: u32::try_from(g.agents.iter().filter(|a| free(a)).count()).unwrap_or(u32::MAX),
                members: u32::try_from(g.agents.len()).unwrap_or(u32::MAX),
            })
            .collect();
        Ok(Board {
            seq: 0,
            queued: self.summaries(queued.into_iter().map(|(_, id)| id))?,
            bot: self.summaries(bot.into_iter().map(|(_, id)| id))?,
            expired: self.summaries(expired.into_iter().map(|(_, id)| id))?,
            dormant: self.summaries(dormant.into_iter().map(|(_, id)| id))?,
            closed_today: self.store()?.closed_since(self.day_start(now)?, MAX_LIST as u32)?,
            team,
            groups,
            left_messages: self.store()?.left_message_count()?,
            session_groups: config
                .workbench
                .session_groups
                .iter()
                .map(|g| SessionGroupInfo { id: g.id.clone(), name: g.name.clone() })
                .collect(),
            wait_thresholds: config.workbench.wait_thresholds(),
        })
    }

    fn summaries(&self, ids: impl IntoIterator<Item = String>) -> EdgeResult<Vec<ConversationSummary>> {
        let mut out = Vec::new();
        for id in ids.into_iter().take(MAX_LIST) {
            if let Some(summary) = self.summary(&id)? {
                out.push(summary);
            }
        }
        Ok(out)
    }

    fn profile(&self, conversation_id: &str) -> EdgeResult<VisitorProfile> {
        let store = self.store()?;
        let row = store.profile_of(conversation_id)?.ok_or(EdgeError::ConversationNotFound)?;
        let profile = StoredProfile::read(&row.profile);
        let identity = profile.identity_strings();
        let config = self.config()?;
        let verified = row.verified != 0.0;
        let verified_by = if verified {
            config.identity.verification_fields.iter().filter(|f| identity.contains_key(*f)).cloned().collect()
        } else {
            Vec::new()
        };
        let phone = identity.iter().find(|(k, _)| identity::is_phone_field(k)).map(|(_, v)| v.clone());
        let text = |value: Option<String>| value.filter(|s| !s.is_empty());
        let place = profile.place_text();
        // The visit's source, as the reports count it, and the pages it was read from.
        let came_from = (profile.referrer.is_some() || profile.landing_url.is_some()).then(|| {
            let landing = profile.landing_url.as_deref().or(profile.page_url.as_deref());
            let source = match super::report::source_of(landing, profile.referrer.as_deref()) {
                (source, Some(campaign)) => format!("{source} / {campaign}"),
                (source, None) => source,
            };
            let pages = [profile.referrer.as_deref(), profile.landing_url.as_deref()];
            format!("{source} ({})", pages.into_iter().flatten().collect::<Vec<_>>().join(" → "))
        });
        let mut out = VisitorProfile {
            conversation_id: conversation_id.to_string(),
            past: store.past_conversations(&row.visitor_id, conversation_id)?,
            contact: row.contact(),
            visitor_id: row.visitor_id,
            name: row.name,
            verified,
            verified_by,
            identity,
            // Only a guest's: a refusal noted earlier does not stick once the visitor is verified.
            identity_refused: if verified { None } else { profile.identity_refused },
            phone,
            // Agents' browsers load it: https only (the console's CSP allows no other images).
            avatar_url: profile.avatar_url.filter(|url| url.starts_with("https://")),
            custom_fields: profile.custom_fields,
            entry: row.entry,
            group: text(profile.group),
            channel: profile.channel,
            plugin: self.plugin_name(profile.plugin.as_deref())?,
            place,
            page_url: text(profile.page_url),
            page_title: text(profile.page_title),
            host_origin: text(profile.host_origin),
            user_agent: profile.user_agent,
            pre_chat: profile.pre_chat,
            came_from,
            fields: Vec::new(),
        };
        out.fields = protocol::workbench::lay_out(&config.workbench.sidebar_fields, &out);
        Ok(out)
    }

    fn day_stats(&self, agent_id: &str) -> EdgeResult<Vec<AgentDayStats>> {
        let now = now_ms();
        let admin = self.is_admin(agent_id)?;
        let stats = self.with_core(|core| core.stats(Millis(now)))?;
        let ratings = self.store()?.ratings_since(self.day_start(now)?)?;
        let config = self.config()?;
        Ok(stats
            .agents
            .iter()
            .filter(|s| admin || s.agent.0 == agent_id)
            .map(|s| {
                let rated = ratings.iter().find(|r| r.agent == s.agent.0);
                AgentDayStats {
                    agent_id: s.agent.0.clone(),
                    name: config.agents.iter().find(|a| a.id == s.agent.0).map(|a| a.name.clone()).unwrap_or_default(),
                    status: presence(s.status),
                    live: s.live,
                    accepted: s.accepted_today,
                    avg_first_response_ms: s.first_response.mean_ms(),
                    avg_handling_ms: s.handling.mean_ms(),
                    ratings: rated.map_or(0, |r| r.n as u32),
                    rating_total: rated.map_or(0, |r| r.total as u32),
                }
            })
            .collect())
    }

    fn send_phrases(&self, ws: &WebSocket, agent_id: &str) -> EdgeResult<()> {
        sockets::send(ws, &ConsoleFrame::Phrases { items: self.store()?.phrases(agent_id)? });
        Ok(())
    }

    /// Shared phrases are the admins'; an agent's own are its own.
    fn may_edit_phrase(&self, agent_id: &str, owner: Option<&str>) -> EdgeResult<()> {
        let allowed = match owner {
            None => self.is_admin(agent_id)?,
            Some(owner) => owner == agent_id,
        };
        if allowed {
            Ok(())
        } else {
            Err(EdgeError::Forbidden)
        }
    }

    fn save_phrase(&self, agent_id: &str, id: Option<&str>, text: &str, shared: bool) -> EdgeResult<()> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_PHRASE_CHARS {
            return Err(EdgeError::BadRequest(format!("a quick phrase has 1-{MAX_PHRASE_CHARS} characters")));
        }
        let store = self.store()?;
        if let Some(id) = id {
            let owner = store.phrase_owner(id)?.ok_or(EdgeError::NotFound)?;
            self.may_edit_phrase(agent_id, owner.as_deref())?;
            return store.update_phrase(id, text);
        }
        let owner = if shared { None } else { Some(agent_id) };
        self.may_edit_phrase(agent_id, owner)?;
        if store.phrase_count(owner)? >= MAX_PHRASES {
            return Err(EdgeError::BadRequest(format!("at most {MAX_PHRASES} quick phrases")));
        }
        store.add_phrase(&format!("p{}", secrets::random_hex(8)?), owner, text, now_ms())
    }
}

fn presence(status: AgentStatus) -> Presence {
    match status {
        AgentStatus::Online => Presence::Online,
        AgentStatus::Away => Presence::Away,
        AgentStatus::Offline => Presence::Offline,
    }
}
