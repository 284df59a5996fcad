//! When a signature counts as fresh, and HTTP dates.
//!
//! Mastodon's rule (PROTOCOLS.md §11.5, §12.8 and trap 27): a signature is made at `created`
//! (the `(created)`/`created` parameter, else the `Date` header) and expires at `expires`
//! (the parameter, else `created` + 5 min, never later than `created` + 12 h). It is
//! refused when `created` is more than 1 h ahead of the clock or the clock is more than 1 h
//! past `expires`. With only a `Date`, that accepts `Date` ∈ [now − 65 min, now + 60 min].

use chrono::{DateTime, Utc};

use super::Error;

/// Clock skew tolerated both ways.
pub const CLOCK_SKEW_SECS: i64 = 60 * 60;
/// Lifetime of a signature that signs no `expires`.
pub const DEFAULT_LIFETIME_SECS: i64 = 5 * 60;
/// Longest lifetime honoured, whatever `expires` says.
pub const MAX_LIFETIME_SECS: i64 = 12 * 60 * 60;

/// Checks a signature made at `created`, optionally expiring at `expires`, against the
/// clock `now` (all Unix seconds).
pub fn check(created: i64, expires: Option<i64>, now: i64) -> Result<(), Error> {
    if created > now.saturating_add(CLOCK_SKEW_SECS) {
        return Err(Error::DateOutOfWindow {
            created,
            now,
            future: true,
        });
    }
    let latest = created.saturating_add(MAX_LIFETIME_SECS);
    let expires = expires
        .unwrap_or_else(|| created.saturating_add(DEFAULT_LIFETIME_SECS))
        .min(latest);
    if now > expires.saturating_add(CLOCK_SKEW_SECS) {
        return Err(Error::DateOutOfWindow {
            created,
            now,
            future: false,
        });
    }
    Ok(())
}

/// An HTTP `Date` value (RFC 9110 IMF-fixdate): `Tue, 20 Apr 2021 02:07:55 GMT`.
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Reads an HTTP `Date` (IMF-fixdate; RFC 2822 forms such as a missing weekday or a
/// numeric zone are tolerated) as Unix seconds.
pub fn parse_http_date(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_edges() {
        let now = 1_600_000_000;
        // Date only: [now − 65 min, now + 60 min].
        assert!(check(now, None, now).is_ok());
        assert!(check(now + 3600, None, now).is_ok());
        assert!(matches!(
            check(now + 3601, None, now),
            Err(Error::DateOutOfWindow { future: true, .. })
        ));
        assert!(check(now - 3900, None, now).is_ok());
        assert!(matches!(
            check(now - 3901, None, now),
            Err(Error::DateOutOfWindow { future: false, .. })
        ));
        // A signed expiry extends the lifetime, up to 12 h.
        assert!(check(now - 7200, Some(now), now).is_ok());
        assert!(check(now - 13 * 3600, Some(now + 86400), now).is_ok());
        assert!(check(now - 13 * 3600 - 1, Some(now + 86400), now).is_err());
        // Extremes do not overflow.
        assert!(check(i64::MAX, Some(i64::MAX), now).is_err());
        assert!(check(i64::MIN, Some(i64::MIN), now).is_err());
    }

    #[test]
    fn dates() {
        let t = DateTime::from_timestamp(1618884475, 0).unwrap();
        assert_eq!(http_date(t), "Tue, 20 Apr 2021 02:07:55 GMT");
        assert_eq!(
            parse_http_date("Tue, 20 Apr 2021 02:07:55 GMT"),
            Some(1618884475)
        );
        assert_eq!(
            parse_http_date("20 Apr 2021 02:07:55 GMT"),
            Some(1618884475)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
