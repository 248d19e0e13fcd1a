//! Rate limits: token buckets kept in the Desk's memory (reset when the object is evicted,
//! which only ever makes them more lenient for a moment).

use std::collections::HashMap;

use protocol::RateLimitSettings;

/// Most keys one limiter remembers; full buckets are dropped first when it is exceeded.
const MAX_KEYS: usize = 10_000;

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

    /// Takes one token for `key`; on refusal returns the seconds until one is available.
    pub fn take(&mut self, key: &str, now_ms: u64) -> Result<(), u32> {
        if self.buckets.len() >= MAX_KEYS && !self.buckets.contains_key(key) {
            let (capacity, per_ms) = (self.capacity, self.per_ms);
            self.buckets.retain(|_, (tokens, at)| *tokens + now_ms.saturating_sub(*at) as f64 * per_ms < capacity);
            if self.buckets.len() >= MAX_KEYS {
                self.buckets.clear();
            }
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
}

/// The Desk's limits, built from the site's settings.
#[derive(Debug)]
pub struct Limits {
    /// The settings these buckets were built from.
    pub settings: RateLimitSettings,
    /// New sessions per client IP.
    pub sessions_per_ip: Limiter,
    /// Agent login attempts per client IP.
    pub logins_per_ip: Limiter,
    /// Messages per visitor.
    pub messages_per_visitor: Limiter,
}

impl Limits {
    /// Buckets for these settings: sessions and logins refill their burst over a minute, messages
    /// over six seconds.
    pub fn new(settings: RateLimitSettings) -> Self {
        let per_minute = |n: u32| f64::from(n.max(1)) / 60.0;
        Self {
            settings,
            sessions_per_ip: Limiter::new(settings.sessions_per_ip.max(1), per_minute(settings.sessions_per_ip)),
            logins_per_ip: Limiter::new(settings.logins_per_ip.max(1), per_minute(settings.logins_per_ip)),
            messages_per_visitor: Limiter::new(
                settings.messages_per_visitor.max(1),
                f64::from(settings.messages_per_visitor.max(1)) / 6.0,
            ),
        }
    }
}
