//! A first-come, first-served line for the Worker's password hashing: one PBKDF2 derivation runs
//! at a time in an isolate, so whatever else the isolate serves (under `wrangler dev`, the Desk and
//! its sockets) waits behind at most one slice of hashing, never behind one slice of every
//! concurrent login. The isolate is single-threaded, so the line is plain `RefCell` state.
//!
//! A waiting request checks for its turn on a timer of its own rather than being woken by the
//! request ahead of it: workerd cancels a request whose only pending work would be resolved from
//! another request's context.

use std::cell::RefCell;
use std::collections::VecDeque;

/// Most derivations in line (running or waiting); a login that would queue behind more is refused
/// at once (`rate_limited`) rather than answered seconds later.
pub const MAX_IN_LINE: usize = 8;

#[derive(Default)]
struct Line {
    /// Ids in arrival order; the first one may run.
    order: VecDeque<u64>,
    next_id: u64,
}

thread_local! {
    static LINE: RefCell<Line> = RefCell::new(Line::default());
}

/// How many derivations are in line now (running or waiting).
pub fn in_line() -> usize {
    LINE.with(|l| l.borrow().order.len())
}

/// Joins the end of the line; the ticket leaves it when dropped (done, or its request gone).
pub fn join() -> Ticket {
    LINE.with(|l| {
        let mut line = l.borrow_mut();
        let id = line.next_id;
        line.next_id += 1;
        line.order.push_back(id);
        Ticket { id }
    })
}

/// A place in the line.
pub struct Ticket {
    id: u64,
}

impl Ticket {
    /// Whether this ticket is first in line (its derivation may run).
    pub fn is_first(&self) -> bool {
        LINE.with(|l| l.borrow().order.front() == Some(&self.id))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        LINE.with(|l| l.borrow_mut().order.retain(|&x| x != self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_go_in_arrival_order_and_a_dropped_ticket_leaves_the_line() {
        let (a, b, c) = (join(), join(), join());
        assert_eq!(in_line(), 3);
        assert!(a.is_first() && !b.is_first() && !c.is_first());
        drop(b); // gave up (its request went away) before its turn
        assert_eq!(in_line(), 2);
        assert!(!c.is_first(), "still behind the running one");
        drop(a);
        assert!(c.is_first(), "the next in line runs");
        drop(c);
        assert_eq!(in_line(), 0);
    }
}
