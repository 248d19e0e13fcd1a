//! A first-come, first-served line for the Worker's password hashing: one PBKDF2 derivation runs
//! at a time in an isolate, so whatever else the isolate serves (under `wrangler dev`, the Desk and
//! its sockets) waits behind at most one slice of hashing, never behind one slice of every
//! concurrent login. The isolate is single-threaded, so the line is plain `RefCell` state.
//!
//! A waiting request checks for its turn on a timer of its own rather than being woken by the
//! request ahead of it: workerd cancels a request whose only pending work would be resolved from
//! another request's context.
//!
//! A request whose client goes away is cancelled by workerd with its pending work, which then
//! never runs again: its ticket is never dropped. So every ticket says it is alive each time it
//! runs (`touch`, at each slice or check), and one not heard from for [`STALE_MS`] leaves the
//! line: cancelled logins cannot hold the line (and every later login) for the isolate's life.

use std::cell::RefCell;
use std::collections::VecDeque;

/// Most derivations in line (running or waiting); a login that would queue behind more is refused
/// at once (`rate_limited`) rather than answered seconds later.
pub const MAX_IN_LINE: usize = 8;

/// A ticket not heard from for this long (ms) is taken for a cancelled request's. A live one
/// speaks every few ms (a slice of hashing, or a check for its turn every 2 ms).
pub const STALE_MS: f64 = 2_000.0;

#[derive(Default)]
struct Line {
    /// Ids in arrival order with when each was last heard from; the first one may run.
    order: VecDeque<(u64, f64)>,
    next_id: u64,
}

impl Line {
    /// Drops the tickets of requests that are gone.
    fn prune(&mut self, now_ms: f64) {
        self.order.retain(|&(_, seen)| now_ms - seen <= STALE_MS);
    }
}

thread_local! {
    static LINE: RefCell<Line> = RefCell::new(Line::default());
}

/// How many derivations are in line now (running or waiting).
pub fn in_line(now_ms: f64) -> usize {
    LINE.with(|l| {
        let mut line = l.borrow_mut();
        line.prune(now_ms);
        line.order.len()
    })
}

/// Joins the end of the line; the ticket leaves it when dropped (done, or its request gone).
pub fn join(now_ms: f64) -> Ticket {
    LINE.with(|l| {
        let mut line = l.borrow_mut();
        let id = line.next_id;
        line.next_id += 1;
        line.order.push_back((id, now_ms));
        Ticket { id }
    })
}

/// A place in the line.
pub struct Ticket {
    id: u64,
}

impl Ticket {
    /// Says this ticket's request is still running.
    pub fn touch(&self, now_ms: f64) {
        LINE.with(|l| {
            if let Some(entry) = l.borrow_mut().order.iter_mut().find(|(id, _)| *id == self.id) {
                entry.1 = now_ms;
            }
        });
    }

    /// Whether this ticket is first in line (its derivation may run); says it is alive, and
    /// drops the tickets of requests that are gone.
    pub fn is_first(&self, now_ms: f64) -> bool {
        self.touch(now_ms);
        LINE.with(|l| {
            let mut line = l.borrow_mut();
            line.prune(now_ms);
            line.order.front().map(|&(id, _)| id) == Some(self.id)
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        LINE.with(|l| l.borrow_mut().order.retain(|&(x, _)| x != self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_go_in_arrival_order_and_a_dropped_ticket_leaves_the_line() {
        let (a, b, c) = (join(0.0), join(0.0), join(0.0));
        assert_eq!(in_line(0.0), 3);
        assert!(a.is_first(1.0) && !b.is_first(1.0) && !c.is_first(1.0));
        drop(b); // gave up (its request went away) before its turn
        assert_eq!(in_line(2.0), 2);
        assert!(!c.is_first(2.0), "still behind the running one");
        drop(a);
        assert!(c.is_first(3.0), "the next in line runs");
        drop(c);
        assert_eq!(in_line(3.0), 0);
    }

    /// The attack: logins whose clients hang up while hashing. workerd cancels such a request and
    /// its future is never polled or dropped again (here: forgotten), so without the staleness
    /// rule its ticket would hold the line, and every later login, forever.
    #[test]
    fn cancelled_requests_do_not_hold_the_line() {
        for _ in 0..MAX_IN_LINE {
            std::mem::forget(join(0.0));
        }
        assert_eq!(in_line(1_000.0), MAX_IN_LINE, "recent tickets count: a full line turns logins away");
        let agent = join(1_000.0);
        assert!(!agent.is_first(1_500.0), "behind tickets heard from 1.5 s ago");
        assert!(agent.is_first(2_000.0 + 1.0), "their requests are gone: the real login runs");
        assert_eq!(in_line(2_001.0), 1);
        // A live ticket that keeps saying so is never taken for a gone one.
        let next = join(2_001.0);
        for t in 0..10 {
            let now = 2_001.0 + f64::from(t) * 1_000.0;
            agent.touch(now);
            assert!(!next.is_first(now), "the running derivation keeps its turn at {now}");
        }
        drop(agent);
        assert!(next.is_first(12_001.0));
        drop(next);
        assert_eq!(in_line(12_001.0), 0);
    }
}
