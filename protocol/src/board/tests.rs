//! The board's deltas: applying `diff(a, b)` to `a` gives `b`, a burst of new conversations costs
//! each one a few hundred bytes whatever the board's size, and what a delta cannot say is `None`.

use super::*;
use crate::{ConvStatus, Presence};

fn conv(id: usize, state: ConvStatus) -> ConversationSummary {
    ConversationSummary {
        conversation_id: format!("c_{id:04}"),
        visitor_id: format!("v_{id:04}"),
        visitor_name: format!("访客 {id:04}"),
        last_seq: 1,
        state,
        ..ConversationSummary::default()
    }
}

fn member(id: &str, live: u32) -> TeamMember {
    TeamMember { id: id.into(), name: id.into(), status: Presence::Online, live, pending: 0, max_sessions: 5 }
}

fn board(queued: usize) -> Board {
    Board {
        seq: 1,
        queued: (0..queued).map(|i| conv(i, ConvStatus::Queued)).collect(),
        team: (0..20).map(|i| member(&format!("agent{i:02}"), 1)).collect(),
        groups: vec![GroupAvailability { id: "pre-sale".into(), name: "售前".into(), available: 0, members: 20 }],
        ..Board::default()
    }
}

fn delta_bytes(old: &Board, new: &Board) -> usize {
    let delta = old.diff(new).expect("a delta says it");
    serde_json::to_string(&delta).expect("serialises").len()
}

#[test]
fn a_new_conversation_costs_a_few_hundred_bytes_however_long_the_queue() {
    for size in [10, 100, 500] {
        let old = board(size);
        let mut new = old.clone();
        new.seq = 2;
        new.queued.push(conv(size, ConvStatus::Queued));
        let bytes = delta_bytes(&old, &new);
        assert!(bytes < 400, "{bytes} bytes for one new conversation behind {size}");
        let mut applied = old.clone();
        applied.apply(&old.diff(&new).expect("delta"));
        assert_eq!(applied, new);
    }
}

#[test]
fn an_assignment_moves_one_conversation_and_one_agent() {
    let old = board(50);
    let mut new = old.clone();
    new.seq = 2;
    new.queued.remove(0);
    new.team[3].live = 2;
    new.groups[0].available = 1;
    let delta = old.diff(&new).expect("delta");
    assert_eq!(delta.removed, vec!["c_0000".to_string()]);
    assert_eq!((delta.entries.len(), delta.team.len(), delta.groups.len()), (0, 1, 1));
    let mut applied = old.clone();
    applied.apply(&delta);
    assert_eq!(applied, new);
}

#[test]
fn moves_between_lists_closings_ratings_and_left_messages() {
    let mut old = board(3);
    old.bot = vec![conv(10, ConvStatus::Bot)];
    old.closed_today =
        vec![ClosedConversation { conversation_id: "c_0100".into(), closed_ms: 1, ..Default::default() }];
    let mut new = old.clone();
    new.seq = 9;
    // The bot's conversation is picked up into the queue; a queued one goes dormant.
    let picked = ConversationSummary { state: ConvStatus::Queued, ..new.bot.remove(0) };
    new.queued.push(picked);
    let dormant = ConversationSummary { state: ConvStatus::Dormant, ..new.queued.remove(1) };
    new.dormant.push(dormant);
    // One closes (newest first), the older one is rated, a message is left.
    new.closed_today[0].score = Some(5);
    new.closed_today
        .insert(0, ClosedConversation { conversation_id: "c_0101".into(), closed_ms: 2, ..Default::default() });
    new.left_messages = 4;
    let delta = old.diff(&new).expect("delta");
    assert_eq!(delta.left_messages, Some(4));
    let mut applied = old.clone();
    applied.apply(&delta);
    assert_eq!(applied, new);
}

#[test]
fn what_a_delta_cannot_say_is_a_whole_board() {
    let old = board(5);
    let mut reordered = old.clone();
    reordered.queued.swap(0, 1);
    assert!(old.diff(&reordered).is_none(), "a reordered queue");
    let mut agent_left = old.clone();
    agent_left.team.pop();
    assert!(old.diff(&agent_left).is_none(), "an agent removed from the site");
    let mut new_day = old.clone();
    new_day.closed_today.clear();
    let mut with_closed = old.clone();
    with_closed.closed_today.push(ClosedConversation { conversation_id: "c_1".into(), ..Default::default() });
    assert!(with_closed.diff(&new_day).is_none(), "yesterday's closed list dropped");
}

#[test]
fn random_walks_of_the_board_always_round_trip_or_fall_back() {
    // A small deterministic generator: no randomness that is not seeded.
    let mut seed = 0x9e37_79b9_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut current = board(20);
    let mut fallbacks = 0;
    for step in 0..2_000 {
        let mut new = current.clone();
        new.seq = current.seq + 1;
        match next(6) {
            0 => new.queued.push(conv(1_000 + step, ConvStatus::Queued)),
            1 if !new.queued.is_empty() => {
                let i = next(new.queued.len());
                new.queued.remove(i);
            }
            2 if !new.queued.is_empty() => {
                let i = next(new.queued.len());
                let c = new.queued.remove(i);
                new.dormant.push(ConversationSummary { state: ConvStatus::Dormant, ..c });
            }
            3 => {
                let i = next(new.team.len());
                new.team[i].live = next(6) as u32;
            }
            4 if new.queued.len() > 1 => new.queued.swap(0, 1),
            _ => new.left_messages += 1,
        }
        match current.diff(&new) {
            Some(delta) => {
                let mut applied = current.clone();
                applied.apply(&delta);
                assert_eq!(applied, new, "step {step}");
            }
            None => fallbacks += 1,
        }
        current = new;
    }
    assert!(fallbacks < 500, "{fallbacks} of 2,000 changes needed the whole board");
}
