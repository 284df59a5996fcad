//! Pure timing decisions: when to retry a delivery, and what the circuit breaker does with a
//! host. No I/O here, so the rules are unit-tested without a clock or a network.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::store::HostState;

/// A random factor in [-1, 1), seeded per call from the process's random hasher keys: enough
/// to spread retries of one failed fan-out apart (no cryptographic need, no extra crate).
fn unit_noise(seed: u64) -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(seed);
    let bits = h.finish() >> 11; // 53 bits
    (bits as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

/// `d` changed by up to ±`fraction` at random.
pub fn jitter(d: Duration, fraction: f64, seed: u64) -> Duration {
    let factor = 1.0 + fraction * unit_noise(seed);
    Duration::from_secs_f64((d.as_secs_f64() * factor).max(0.0))
}

/// The delay before the next attempt after `failures` failed ones (1 after the first
/// failure): `base · 2^(failures-1)`, at most `max`, then ±20 % jitter.
pub fn retry_delay(failures: u32, base: Duration, max: Duration, seed: u64) -> Duration {
    let exp = failures.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << exp).min(max);
    jitter(raw, 0.2, seed)
}

/// What the breaker says about sending to a host now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Send.
    Closed,
    /// Paused until this time (Unix ms): do not send.
    Open(u64),
    /// The pause is over but nothing has succeeded since: one probe goes first.
    HalfOpen,
}

/// The breaker's view of `state` at `now_ms`, with `threshold` failures opening it.
pub fn gate(state: &HostState, now_ms: u64, threshold: u32) -> Gate {
    match state.paused_until_ms {
        Some(until) if until > now_ms => Gate::Open(until),
        _ if state.consecutive_failures >= threshold => Gate::HalfOpen,
        _ => Gate::Closed,
    }
}

/// Records a failed attempt on `state`; returns true when this failure (re)opened the
/// breaker, pausing the host until `now_ms + pause`.
pub fn record_failure(state: &mut HostState, now_ms: u64, threshold: u32, pause: Duration) -> bool {
    state.consecutive_failures = state.consecutive_failures.saturating_add(1);
    state.last_failure_ms = Some(now_ms);
    if state.consecutive_failures >= threshold {
        let pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX);
        state.paused_until_ms = Some(now_ms.saturating_add(pause_ms));
        true
    } else {
        false
    }
}

/// Records that the host answered (a success, or a final 4xx: it is up). True when the
/// state changed and must be stored.
pub fn record_answer(state: &mut HostState, now_ms: u64) -> bool {
    if state.consecutive_failures == 0 && state.paused_until_ms.is_none() {
        return false;
    }
    *state = HostState {
        last_success_ms: Some(now_ms),
        ..HostState::default()
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_are_capped_and_jittered_within_twenty_percent() {
        let base = Duration::from_secs(30);
        let max = Duration::from_secs(6 * 3600);
        for (failures, nominal) in [(1u32, 30.0f64), (2, 60.0), (3, 120.0), (10, 15360.0)] {
            for seed in 0..50 {
                let d = retry_delay(failures, base, max, seed).as_secs_f64();
                assert!(
                    d >= nominal * 0.8 - 1e-6 && d <= nominal * 1.2 + 1e-6,
                    "{failures}: {d}"
                );
            }
        }
        for failures in [11, 40, u32::MAX] {
            let d = retry_delay(failures, base, max, 1).as_secs_f64();
            assert!(d <= 6.0 * 3600.0 * 1.2 + 1e-6, "{d}");
            assert!(d >= 6.0 * 3600.0 * 0.8 - 1e-6, "{d}");
        }
        let spread: std::collections::BTreeSet<u64> = (0..20)
            .map(|s| retry_delay(1, base, max, s).as_millis() as u64)
            .collect();
        assert!(spread.len() > 10, "jitter spreads retries: {spread:?}");
    }

    #[test]
    fn breaker_opens_after_threshold_half_opens_after_pause_and_resets_on_answer() {
        let pause = Duration::from_secs(600);
        let mut s = HostState::default();
        assert_eq!(gate(&s, 0, 3), Gate::Closed);
        assert!(!record_failure(&mut s, 1_000, 3, pause));
        assert!(!record_failure(&mut s, 2_000, 3, pause));
        assert_eq!(gate(&s, 2_000, 3), Gate::Closed);
        assert!(record_failure(&mut s, 3_000, 3, pause));
        assert_eq!(s.paused_until_ms, Some(603_000));
        assert_eq!(gate(&s, 3_001, 3), Gate::Open(603_000));
        assert_eq!(gate(&s, 603_000, 3), Gate::HalfOpen);
        // A failed probe pauses again.
        assert!(record_failure(&mut s, 604_000, 3, pause));
        assert_eq!(gate(&s, 604_001, 3), Gate::Open(1_204_000));
        assert!(record_answer(&mut s, 1_300_000));
        assert_eq!(gate(&s, 1_300_000, 3), Gate::Closed);
        assert_eq!(s.consecutive_failures, 0);
        assert!(
            !record_answer(&mut s, 1_300_001),
            "no write when already clear"
        );
    }
}
