//! Rate limits and login locks kept in the Desk's memory: token buckets per client address (an
//! IPv6 client by its /64, `internal::ip_key`) or per visitor, and the failure counts of login
//! names that are no agent of the site.
//! Memory is bounded by evicting the least recently used entries, never by clearing them all;
//! an evicted Desk forgets them, which only ever makes them more lenient for a moment.

use std::collections::HashMap;

use protocol::RateLimitSettings;

/// Most keys one limiter remembers.
const MAX_KEYS: usize = 10_000;

/// How many of the least recently used keys go at once when a limiter is full (a tenth: the scan
/// that finds them is paid once per this many new keys).
const EVICT_BATCH: usize = MAX_KEYS / 10;

/// Failed logins (counted when a check starts) after which an account is locked.
pub const LOCK_AFTER_FAILURES: u32 = 5;

/// Longest lock, in seconds: the lock doubles with each further failure up to this.
pub const MAX_LOCK_SECS: u64 = 3_600;

/// A failure count older than this (ms) starts again from zero.
const FORGET_FAILURES_MS: u64 = 24 * 3_600 * 1_000;

/// Drops the `EVICT_BATCH` entries with the oldest `age` when `map` is full.
fn evict_oldest<V>(map: &mut HashMap<String, V>, age: impl Fn(&V) -> u64) {
    if map.len() < MAX_KEYS {
        return;
    }
    let mut ages: Vec<u64> = map.values().map(&age).collect();
    let cut = EVICT_BATCH.min(ages.len() - 1);
    let (_, threshold, _) = ages.select_nth_unstable(cut);
    let threshold = *threshold;
    let mut budget = EVICT_BATCH;
    map.retain(|_, v| {
        if budget > 0 && age(v) <= threshold {
            budget -= 1;
            false
        } else {
            true
        }
    });
}

/// One kind of limit: `capacity` requests at once, refilled at `per_second`.
#[derive(Debug)]
pub struct Limiter {
    capacity: f64,
    per_ms: f64,
    buckets: HashMap<String, (f64, u64)>,
}

impl Limiter {
    /// A limiter allowing bursts of `capacity`, refilled by `per_second` tokens a second.
    pub fn new(capacity: u32, per_second: f64) -> Self {
        Self { capacity: f64::from(capacity), per_ms: per_second / 1000.0, buckets: HashMap::new() }
    }

    /// Changes the burst and refill rate, keeping every bucket (none holds more than the new burst).
    pub fn reconfigure(&mut self, capacity: u32, per_second: f64) {
        self.capacity = f64::from(capacity);
        self.per_ms = per_second / 1000.0;
        let capacity = self.capacity;
        for (tokens, _) in self.buckets.values_mut() {
            *tokens = tokens.min(capacity);
        }
    }

    /// Takes one token for `key`; on refusal returns the seconds until one is available.
    pub fn take(&mut self, key: &str, now_ms: u64) -> Result<(), u32> {
        if !self.buckets.contains_key(key) {
            // Buckets that have refilled are the same as no bucket: they go first.
            if self.buckets.len() >= MAX_KEYS {
                let (capacity, per_ms) = (self.capacity, self.per_ms);
                self.buckets.retain(|_, (tokens, at)| *tokens + now_ms.saturating_sub(*at) as f64 * per_ms < capacity);
            }
            evict_oldest(&mut self.buckets, |(_, at)| *at);
        }
        let (tokens, at) = self.buckets.entry(key.to_string()).or_insert((self.capacity, now_ms));
        *tokens = (*tokens + now_ms.saturating_sub(*at) as f64 * self.per_ms).min(self.capacity);
        *at = now_ms.max(*at);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_ms / 1000.0).ceil().max(1.0) as u32)
        }
    }

    /// How many keys are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.len()
    }
}

/// Login failures of one account (or one unknown login name).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockState {
    /// Failed attempts since the last success (an attempt counts when its check starts).
    pub failures: u32,
    /// Locked until this time (unix ms; 0 or past: not locked).
    pub locked_until_ms: u64,
    /// When the last attempt was counted (unix ms).
    pub last_failure_ms: u64,
}

impl LockState {
    /// Counts one more attempt, which fails unless it is reported as a success. A locked account
    /// is refused with the seconds left; the attempt that reaches [`LOCK_AFTER_FAILURES`] locks it
    /// for `lock_secs`, and each further one for twice as long, up to [`MAX_LOCK_SECS`].
    pub fn attempt(self, now_ms: u64, lock_secs: u32) -> Result<Self, u32> {
        if self.locked_until_ms > now_ms {
            return Err((self.locked_until_ms - now_ms).div_ceil(1000).max(1) as u32);
        }
        let failures = if now_ms.saturating_sub(self.last_failure_ms) > FORGET_FAILURES_MS { 0 } else { self.failures };
        let failures = failures.saturating_add(1);
        let locked_until_ms = match failures.checked_sub(LOCK_AFTER_FAILURES) {
            Some(extra) => {
                let secs = u64::from(lock_secs.max(1)).saturating_mul(1u64 << extra.min(20)).min(MAX_LOCK_SECS);
                now_ms + secs * 1000
            }
            None => 0,
        };
        Ok(Self { failures, locked_until_ms, last_failure_ms: now_ms })
    }
}

/// The Desk's limits, built from the site's settings.
#[derive(Debug)]
pub struct Limits {
    /// The settings these buckets follow.
    settings: RateLimitSettings,
    /// New sessions per client IP.
    pub sessions_per_ip: Limiter,
    /// Agent login attempts per client IP.
    pub logins_per_ip: Limiter,
    /// Messages per visitor.
    pub messages_per_visitor: Limiter,
    /// Other frames (typing, read, left message, rating, history) per visitor.
    pub frames_per_visitor: Limiter,
    /// Uploads started per visitor.
    pub uploads_per_visitor: Limiter,
    /// Login failures of names that are no agent of the site, so that they lock like real ones.
    unknown_logins: HashMap<String, LockState>,
}

impl Limits {
    /// Buckets for these settings: sessions and logins refill their burst over a minute, messages
    /// over six seconds.
    pub fn new(settings: RateLimitSettings) -> Self {
        let [sessions, logins, messages, frames, uploads] = Self::rates(settings);
        Self {
            settings,
            sessions_per_ip: Limiter::new(sessions.0, sessions.1),
            logins_per_ip: Limiter::new(logins.0, logins.1),
            messages_per_visitor: Limiter::new(messages.0, messages.1),
            frames_per_visitor: Limiter::new(frames.0, frames.1),
            uploads_per_visitor: Limiter::new(uploads.0, uploads.1),
            unknown_logins: HashMap::new(),
        }
    }

    /// Follows changed settings without forgetting any bucket.
    pub fn update(&mut self, settings: RateLimitSettings) {
        if self.settings == settings {
            return;
        }
        let [sessions, logins, messages, frames, uploads] = Self::rates(settings);
        self.sessions_per_ip.reconfigure(sessions.0, sessions.1);
        self.logins_per_ip.reconfigure(logins.0, logins.1);
        self.messages_per_visitor.reconfigure(messages.0, messages.1);
        self.frames_per_visitor.reconfigure(frames.0, frames.1);
        self.uploads_per_visitor.reconfigure(uploads.0, uploads.1);
        self.settings = settings;
    }

    /// Counts a login attempt for a name that is no agent of the site (see [`LockState::attempt`]).
    pub fn unknown_login(&mut self, name: &str, now_ms: u64, lock_secs: u32) -> Result<(), u32> {
        let key: String = name.chars().take(64).collect();
        let state = self.unknown_logins.get(&key).copied().unwrap_or_default();
        let next = state.attempt(now_ms, lock_secs)?;
        if !self.unknown_logins.contains_key(&key) {
            evict_oldest(&mut self.unknown_logins, |s| s.last_failure_ms);
        }
        self.unknown_logins.insert(key, next);
        Ok(())
    }

    fn rates(settings: RateLimitSettings) -> [(u32, f64); 5] {
        let per_minute = |n: u32| (n.max(1), f64::from(n.max(1)) / 60.0);
        [
            per_minute(settings.sessions_per_ip),
            per_minute(settings.logins_per_ip),
            (settings.messages_per_visitor.max(1), f64::from(settings.messages_per_visitor.max(1)) / 6.0),
            per_minute(settings.frames_per_visitor),
            per_minute(settings.uploads_per_visitor),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_limiter_evicts_its_oldest_not_everything() {
        let mut limiter = Limiter::new(2, 1.0 / 60.0);
        for i in 0..MAX_KEYS as u64 {
            limiter.take(&format!("k{i}"), i).expect("first take");
        }
        limiter.take("k-new", MAX_KEYS as u64).expect("first take");
        assert!(limiter.len() <= MAX_KEYS && limiter.len() > MAX_KEYS - EVICT_BATCH - 1);
        // The newest keys keep their (emptied) buckets.
        let last = format!("k{}", MAX_KEYS - 1);
        limiter.take(&last, MAX_KEYS as u64).expect("second take");
        assert!(limiter.take(&last, MAX_KEYS as u64).is_err());
    }

    #[test]
    fn new_settings_keep_the_buckets() {
        let mut limits = Limits::new(RateLimitSettings { logins_per_ip: 2, ..Default::default() });
        limits.logins_per_ip.take("ip", 0).expect("1");
        limits.logins_per_ip.take("ip", 0).expect("2");
        limits.update(RateLimitSettings { logins_per_ip: 3, ..Default::default() });
        assert!(limits.logins_per_ip.take("ip", 0).is_err(), "the emptied bucket stays empty");
    }

    #[test]
    fn the_lock_starts_at_the_limit_and_doubles() {
        let mut state = LockState::default();
        for _ in 1..LOCK_AFTER_FAILURES {
            state = state.attempt(0, 60).expect("below the limit");
            assert_eq!(state.locked_until_ms, 0);
        }
        state = state.attempt(0, 60).expect("the attempt that reaches the limit is checked");
        assert_eq!(state.locked_until_ms, 60_000);
        assert_eq!(state.attempt(1_000, 60), Err(59));
        state = state.attempt(60_000, 60).expect("after the lock");
        assert_eq!(state.locked_until_ms, 60_000 + 120_000);
        for _ in 0..20 {
            state = state.attempt(state.locked_until_ms, 60).expect("after each lock");
        }
        assert_eq!(state.locked_until_ms - state.last_failure_ms, MAX_LOCK_SECS * 1000);
    }

    #[test]
    fn a_bucket_allows_its_burst_refills_at_its_rate_and_says_when_to_retry() {
        // 3 at once, refilled one per 20 s (3 a minute).
        let mut limiter = Limiter::new(3, 3.0 / 60.0);
        for _ in 0..3 {
            limiter.take("v1", 0).expect("within the burst");
        }
        assert_eq!(limiter.take("v1", 0), Err(20), "the next token comes in 20 s");
        assert_eq!(limiter.take("v1", 15_000), Err(5));
        limiter.take("v1", 20_000).expect("one token refilled");
        assert!(limiter.take("v1", 20_000).is_err());
        limiter.take("v2", 0).expect("another key has its own bucket");
        // A long pause refills to the burst, never beyond.
        for _ in 0..3 {
            limiter.take("v1", 10_000_000).expect("refilled to the burst");
        }
        assert!(limiter.take("v1", 10_000_000).is_err());
        // A clock that goes backwards refills nothing.
        assert!(limiter.take("v1", 0).is_err());
    }
}
