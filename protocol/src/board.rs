//! What changed on the site-wide board, pushed to agents instead of the whole board (CONVENTIONS
//! 18). The Desk numbers its boards (`Board::seq`); after the first full board an agent gets
//! [`BoardDelta`]s, each made by [`Board::diff`] against the board of `seq - 1` and applied with
//! [`Board::apply`]. An agent that sees a gap in the numbers asks for the whole board again. A
//! change a delta cannot say (a reordered list, an agent or group that left, a new day) is sent as
//! a whole board. Both halves use these two functions, so a delta means the same on each side.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::console::{Board, ClosedConversation, GroupAvailability, TeamMember};
use crate::frames::ConversationSummary;

/// The lists of the board that hold conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardList {
    /// Waiting in group queues.
    Queued,
    /// With the bot.
    Bot,
    /// Left with the bot too long.
    Expired,
    /// Waiting to be re-accepted.
    Dormant,
}

const LISTS: [BoardList; 4] = [BoardList::Queued, BoardList::Bot, BoardList::Expired, BoardList::Dormant];

/// A conversation that joined a list or changed in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEntry {
    /// The list it is in now.
    pub list: BoardList,
    /// The conversation.
    pub summary: ConversationSummary,
}

/// The changes from the board of `seq - 1` to the board of `seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BoardDelta {
    /// The board this delta makes.
    pub seq: u64,
    /// Conversations that left every list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// Conversations that joined a list (at its end) or changed in it (in place).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<BoardEntry>,
    /// Agents whose availability changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub team: Vec<TeamMember>,
    /// Groups whose availability changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupAvailability>,
    /// Conversations closed today that are new (newest first) or changed (a rating).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closed: Vec<ClosedConversation>,
    /// The left-message count, when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_messages: Option<u32>,
}

impl Board {
    fn list(&self, list: BoardList) -> &Vec<ConversationSummary> {
        match list {
            BoardList::Queued => &self.queued,
            BoardList::Bot => &self.bot,
            BoardList::Expired => &self.expired,
            BoardList::Dormant => &self.dormant,
        }
    }

    fn list_mut(&mut self, list: BoardList) -> &mut Vec<ConversationSummary> {
        match list {
            BoardList::Queued => &mut self.queued,
            BoardList::Bot => &mut self.bot,
            BoardList::Expired => &mut self.expired,
            BoardList::Dormant => &mut self.dormant,
        }
    }

    /// The delta that turns this board into `newer`, or `None` when only the whole board can say
    /// it (checked: applying the delta to this board must give `newer` exactly).
    pub fn diff(&self, newer: &Board) -> Option<BoardDelta> {
        // Each conversation's list and summary on the older board, by id: one pass each way, so a
        // push costs the Desk O(board), not O(board²).
        let old: HashMap<&str, (BoardList, &ConversationSummary)> = LISTS
            .iter()
            .flat_map(|&l| self.list(l).iter().map(move |c| (c.conversation_id.as_str(), (l, c))))
            .collect();
        let new_ids: HashSet<&str> =
            LISTS.iter().flat_map(|&l| newer.list(l).iter().map(|c| c.conversation_id.as_str())).collect();
        let mut delta = BoardDelta { seq: newer.seq, ..BoardDelta::default() };
        for list in LISTS {
            for gone in self.list(list).iter().filter(|c| !new_ids.contains(c.conversation_id.as_str())) {
                delta.removed.push(gone.conversation_id.clone());
            }
            for summary in newer.list(list) {
                if old.get(summary.conversation_id.as_str()) != Some(&(list, summary)) {
                    delta.entries.push(BoardEntry { list, summary: summary.clone() });
                }
            }
        }
        delta.team = newer.team.iter().filter(|m| !self.team.contains(m)).cloned().collect();
        delta.groups = newer.groups.iter().filter(|g| !self.groups.contains(g)).cloned().collect();
        delta.closed = newer.closed_today.iter().filter(|c| !self.closed_today.contains(c)).cloned().collect();
        delta.left_messages = (newer.left_messages != self.left_messages).then_some(newer.left_messages);
        let mut check = self.clone();
        check.apply(&delta);
        (check == *newer).then_some(delta)
    }

    /// Applies a delta made against this board (see [`Board::diff`]).
    pub fn apply(&mut self, delta: &BoardDelta) {
        let removed: HashSet<&str> = delta.removed.iter().map(String::as_str).collect();
        let listed: HashMap<&str, BoardList> =
            delta.entries.iter().map(|e| (e.summary.conversation_id.as_str(), e.list)).collect();
        for list in LISTS {
            // Out: removed, or now in another list.
            self.list_mut(list).retain(|c| {
                let id = c.conversation_id.as_str();
                !removed.contains(id) && listed.get(id).is_none_or(|&l| l == list)
            });
        }
        for entry in &delta.entries {
            let items = self.list_mut(entry.list);
            match items.iter_mut().find(|c| c.conversation_id == entry.summary.conversation_id) {
                Some(existing) => *existing = entry.summary.clone(),
                None => items.push(entry.summary.clone()),
            }
        }
        for member in &delta.team {
            match self.team.iter_mut().find(|m| m.id == member.id) {
                Some(existing) => *existing = member.clone(),
                None => self.team.push(member.clone()),
            }
        }
        for group in &delta.groups {
            match self.groups.iter_mut().find(|g| g.id == group.id) {
                Some(existing) => *existing = group.clone(),
                None => self.groups.push(group.clone()),
            }
        }
        // Closed today is newest first: new ones go to the front, in their order.
        let mut fresh = Vec::new();
        for closed in &delta.closed {
            match self.closed_today.iter_mut().find(|c| c.conversation_id == closed.conversation_id) {
                Some(existing) => *existing = closed.clone(),
                None => fresh.push(closed.clone()),
            }
        }
        if !fresh.is_empty() {
            fresh.append(&mut self.closed_today);
            self.closed_today = fresh;
        }
        if let Some(count) = delta.left_messages {
            self.left_messages = count;
        }
        self.seq = delta.seq;
    }
}

#[cfg(test)]
mod tests;
