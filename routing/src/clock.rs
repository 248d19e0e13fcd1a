//! Calendar arithmetic in the site's time zone: local days, weekdays and service hours.

use crate::ids::{Millis, DAY, MINUTE};

const DAY_I: i64 = DAY as i64;
const MINUTE_I: i64 = MINUTE as i64;
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A span of one day in local time, in minutes since local midnight: `start..end`, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaySpan {
    /// First open minute (0..1440).
    pub start_minute: u16,
    /// First closed minute after the span (1..=1440).
    pub end_minute: u16,
}

impl DaySpan {
    /// A span from `start` to `end`, both as `(hour, minute)`.
    #[must_use]
    pub fn new(start: (u16, u16), end: (u16, u16)) -> Self {
        DaySpan { start_minute: start.0 * 60 + start.1, end_minute: end.0 * 60 + end.1 }
    }
}

/// When agents take conversations: a weekly schedule (Monday first) in the site's UTC offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceHours {
    /// The site's offset from UTC in minutes (China: +480). Also defines "today" for idle rate.
    pub utc_offset_minutes: i32,
    /// Open spans per weekday, Monday first; `None` means always open.
    pub weekly: Option<[Vec<DaySpan>; 7]>,
}

impl Default for ServiceHours {
    fn default() -> Self {
        Self::always()
    }
}

impl ServiceHours {
    /// Always open, site time zone UTC.
    #[must_use]
    pub fn always() -> Self {
        ServiceHours { utc_offset_minutes: 0, weekly: None }
    }

    /// Whether the site is open at `now`.
    #[must_use]
    pub fn is_open(&self, now: Millis) -> bool {
        let Some(weekly) = &self.weekly else {
            return true;
        };
        let local = local_ms(now, self.utc_offset_minutes);
        let day = local.div_euclid(DAY_I);
        let minute = local.rem_euclid(DAY_I) / MINUTE_I;
        weekly[weekday(day)].iter().any(|s| i64::from(s.start_minute) <= minute && minute < i64::from(s.end_minute))
    }

    /// The first instant at or after `now` when the site is open (`now` itself when open), if any within a week.
    #[must_use]
    pub fn next_open(&self, now: Millis) -> Option<Millis> {
        let Some(weekly) = &self.weekly else {
            return Some(now);
        };
        let local = local_ms(now, self.utc_offset_minutes);
        let today = local.div_euclid(DAY_I);
        for d in 0..=7 {
            let day = today + d;
            let best = weekly[weekday(day)]
                .iter()
                .filter(|s| s.start_minute < s.end_minute)
                .filter_map(|s| {
                    let start = day * DAY_I + i64::from(s.start_minute) * MINUTE_I;
                    let end = day * DAY_I + i64::from(s.end_minute) * MINUTE_I;
                    (end > local).then_some(start.max(local))
                })
                .min();
            if let Some(open_local) = best {
                let utc = open_local.saturating_sub(i64::from(self.utc_offset_minutes) * MINUTE_I);
                return Some(Millis(u64::try_from(utc).unwrap_or(0).max(now.0)));
            }
        }
        None
    }

    /// Inconsistencies in the schedule; empty when valid.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.utc_offset_minutes.abs() > 14 * 60 {
            problems.push(format!("UTC offset {} minutes is out of range", self.utc_offset_minutes));
        }
        if let Some(weekly) = &self.weekly {
            for (day, spans) in WEEKDAYS.iter().zip(weekly.iter()) {
                for s in spans {
                    if s.start_minute >= s.end_minute || s.end_minute > 24 * 60 {
                        problems.push(format!(
                            "service hours on {day}: {}..{} is not a span of one day",
                            s.start_minute, s.end_minute
                        ));
                    }
                }
            }
        }
        problems
    }

    /// The site-local day number of `now` (days since 1970-01-01 in the site's time zone).
    #[must_use]
    pub fn local_day(&self, now: Millis) -> i64 {
        local_ms(now, self.utc_offset_minutes).div_euclid(DAY_I)
    }
}

/// Milliseconds since the epoch, shifted into the site's time zone.
fn local_ms(now: Millis, offset_minutes: i32) -> i64 {
    i64::try_from(now.0).unwrap_or(i64::MAX).saturating_add(i64::from(offset_minutes) * MINUTE_I)
}

/// The weekday of a local day number, Monday = 0 (1970-01-01 was a Thursday).
fn weekday(day: i64) -> usize {
    usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::HOUR;

    /// 2024-01-01 00:00 UTC, a Monday.
    const MONDAY: u64 = 1_704_067_200_000;

    fn nine_to_six_china() -> ServiceHours {
        let weekday = vec![DaySpan::new((9, 0), (18, 0))];
        ServiceHours {
            utc_offset_minutes: 480,
            weekly: Some([
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday,
                Vec::new(),
                Vec::new(),
            ]),
        }
    }

    #[test]
    fn weekday_of_a_known_monday() {
        let h = ServiceHours::always();
        assert_eq!(weekday(h.local_day(Millis(MONDAY))), 0);
    }

    #[test]
    fn service_hours_use_the_site_offset() {
        let h = nine_to_six_china();
        // Monday 00:59 UTC is 08:59 in China: closed; 01:00 UTC is 09:00: open.
        assert!(!h.is_open(Millis(MONDAY + HOUR - MINUTE)));
        assert!(h.is_open(Millis(MONDAY + HOUR)));
        // 18:00 local (10:00 UTC) is closed.
        assert!(!h.is_open(Millis(MONDAY + 10 * HOUR)));
    }

    #[test]
    fn next_open_skips_the_weekend() {
        let h = nine_to_six_china();
        // Friday 18:00 local = Friday 10:00 UTC.
        let friday_close = Millis(MONDAY + 4 * DAY + 10 * HOUR);
        let next = h.next_open(friday_close).expect("opens again on Monday");
        assert_eq!(next, Millis(MONDAY + 7 * DAY + HOUR));
        assert_eq!(h.next_open(Millis(MONDAY + 2 * HOUR)), Some(Millis(MONDAY + 2 * HOUR)));
    }

    #[test]
    fn an_empty_schedule_never_opens() {
        let h = ServiceHours { utc_offset_minutes: 0, weekly: Some(Default::default()) };
        assert_eq!(h.next_open(Millis(MONDAY)), None);
    }
}
