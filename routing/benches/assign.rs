//! Benchmark: one assignment decision with 1,000 agents in 50 groups and 10,000 queued conversations.
//!
//! The decision measured is the busiest one: an agent closes a conversation, its slot frees,
//! and the head of its group's queue is assigned (with every command that comes with it).
//! Criterion reports the mean; the same binary then times 10,000 single decisions itself and
//! prints the median and p99 as `bench:` lines, and compares 1,000 with 10,000 queued.

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use routing::{
    AgentConfig, Closer, Command, ConvId, Desk, EntryConfig, EntryId, Event, GroupConfig, GroupId, Millis,
    NewConversation, SiteConfig, Target,
};

const AGENTS: usize = 1_000;
const GROUPS: usize = 50;
const MAX_SESSIONS: u32 = 2;

/// A desk with every agent online and full, and `queued` conversations spread over the groups.
struct Fixture {
    desk: Desk,
    now: u64,
    /// Conversations held by agents, oldest first, with their group.
    live: VecDeque<(ConvId, usize)>,
    next: u64,
}

impl Fixture {
    fn new(queued: usize) -> Fixture {
        let mut config = SiteConfig::new("g0");
        config.agents = (0..AGENTS).map(|a| AgentConfig::new(format!("agent-{a:04}").as_str(), MAX_SESSIONS)).collect();
        config.groups = (0..GROUPS)
            .map(|g| {
                let members = (0..AGENTS).filter(|a| a % GROUPS == g).map(|a| config.agents[a].id.clone()).collect();
                GroupConfig::new(format!("g{g}").as_str(), members)
            })
            .collect();
        config.entries = (0..GROUPS)
            .map(|g| EntryConfig {
                id: EntryId::new(format!("e{g}")),
                target: Target::Group(GroupId::new(format!("g{g}"))),
            })
            .collect();
        let desk = Desk::new(config).expect("a valid config");
        let mut fixture = Fixture { desk, now: 1_704_067_200_000, live: VecDeque::new(), next: 0 };
        for a in 0..AGENTS {
            let agent = format!("agent-{a:04}").as_str().into();
            let _ = fixture.desk.handle(Millis(fixture.now), Event::AgentLogin { agent });
        }
        let full = AGENTS * MAX_SESSIONS as usize;
        for i in 0..full + queued {
            let commands = fixture.open(i % GROUPS);
            for c in commands {
                if let Command::Assigned { conv, .. } = c {
                    fixture.live.push_back((conv, i % GROUPS));
                }
            }
        }
        fixture
    }

    fn open(&mut self, group: usize) -> Vec<Command> {
        let mut req = NewConversation::new(format!("c{}", self.next).as_str());
        req.entry = Some(EntryId::new(format!("e{group}")));
        self.next += 1;
        self.desk.handle(Millis(self.now), Event::Open(req))
    }

    /// One decision (timed by the caller): close the oldest live conversation, which assigns the
    /// head of its group's queue. Returns the elapsed time; then refills the queue (untimed).
    fn decide(&mut self) -> Duration {
        let (conv, group) = self.live.pop_front().expect("agents hold conversations");
        self.now += 1;
        let event = Event::Close { conv, by: Closer::Visitor };
        let start = Instant::now();
        let commands = self.desk.handle(Millis(self.now), event);
        let elapsed = start.elapsed();
        let mut assigned = false;
        for c in black_box(commands) {
            if let Command::Assigned { conv, .. } = c {
                self.live.push_back((conv, group));
                assigned = true;
            }
        }
        assert!(assigned, "the freed slot took the head of the queue");
        let _ = self.open(group);
        elapsed
    }
}

fn percentiles(fixture: &mut Fixture, n: usize) -> (u128, u128) {
    let mut samples: Vec<u128> = (0..n).map(|_| fixture.decide().as_nanos()).collect();
    samples.sort_unstable();
    (samples[n / 2], samples[(n * 99 / 100).min(n - 1)])
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let n = if benching { 10_000 } else { 200 };
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    let mut big = Fixture::new(10_000);
    criterion.bench_function("routing_assign_1000_agents_50_groups_10000_queued", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| big.decide()).sum());
    });
    criterion.final_summary();

    let (p50, p99) = percentiles(&mut big, n);
    println!("bench: routing_assign_p50_ns {p50} ns");
    println!("bench: routing_assign_p99_ns {p99} ns");

    // Cost must not grow with the queue: the same decision with a tenth of the queue.
    let mut small = Fixture::new(1_000);
    let (small_p50, small_p99) = percentiles(&mut small, n);
    let (big_p50, big_p99) = percentiles(&mut big, n);
    println!(
        "queue-length scaling: p50 {small_p50} ns with 1,000 queued vs {big_p50} ns with 10,000 queued \
         (ratio {:.2}; p99 {small_p99} vs {big_p99} ns); linear growth would be 10x",
        big_p50 as f64 / small_p50.max(1) as f64
    );
}
