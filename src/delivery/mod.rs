//! Durable outbound delivery: the queue in the store is the truth, this module empties it.
//!
//! - [`fan_out`] turns one activity into one job per shared (else personal) inbox of the
//!   puppet's followers, in one transaction, and wakes the worker;
//! - [`Worker`] takes due jobs and holds them in memory until their outcome is known (the
//!   store is written once per attempt; after a crash every unfinished job is simply due),
//!   signs every attempt afresh with the signer puppet's key (on the blocking pool), POSTs,
//!   and completes, retries with exponential backoff and jitter, or gives up; it keeps a
//!   global and a per-host concurrency cap and a per-host circuit breaker;
//! - [`backoff`] holds the timing rules as pure functions; [`salmon`] sends OStatus jobs
//!   (Magic Envelopes signed at send time, with the unpadded and data-only fallbacks);
//! - `websub.rs` sends WebSub pushes (jobs of `Protocol::WebSub`, queued by
//!   [`crate::websub::hub::publish`]): HMAC-signed, no HTTP Signature.
//!
//! Delivery is at least once: a crash between a 2xx and the job's removal sends it again,
//! and receivers dedupe by activity id.
//!
//! Wiring (what `serve` does with it):
//!
//! ```text
//! let worker = Worker::new(store.clone(), fetcher.clone(), BridgeUrls::new(&public_url),
//!                          metrics.clone(), Settings::from_config(&config.delivery));
//! let poller = Poller::new(store.clone(), fetcher, &public_url,
//!                          PollSettings::from_config(&config), worker.waker());
//! tokio::spawn(worker.clone().run(shutdown_signal()));   // any Future<Output = ()>
//! tokio::spawn(poller.run(shutdown_signal()));
//! // anything that queues deliveries: fan_out(&store, handle, &activity, &worker.waker())
//! ```

pub mod backoff;
mod fanout;
pub mod salmon;
mod websub;
mod worker;

use std::time::Duration;

pub use fanout::{fan_out, targets};
pub use worker::Worker;

use crate::config::DeliveryConfig;
use crate::store::StoreError;

/// The media type ActivityPub deliveries are sent with (Mastodon's choice, accepted by all).
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// Why delivery work failed (individual delivery failures are retried, not errors).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The activity could not be serialised.
    #[error("cannot encode the activity: {0}")]
    Encode(String),
}

/// How the worker paces itself; [`Settings::from_config`] reads `[delivery]`, tests shorten
/// the delays.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Deliveries in flight at once, over all hosts.
    pub concurrency: usize,
    /// Deliveries in flight at once to one host.
    pub per_host_concurrency: usize,
    /// Jobs taken from the queue per store call.
    pub batch: usize,
    /// How often an idle worker looks at the queue without being woken.
    pub idle_poll: Duration,
    /// First retry delay; doubled per failure.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// A job older than this is dropped instead of retried.
    pub max_age: Duration,
    /// Failures in a row that pause a host.
    pub breaker_failures: u32,
    /// How long a host is paused.
    pub breaker_pause: Duration,
    /// How long shutdown waits for deliveries in flight before leaving them queued for the
    /// next start.
    pub shutdown_grace: Duration,
}

impl Settings {
    /// The settings `[delivery]` describes.
    pub fn from_config(c: &DeliveryConfig) -> Settings {
        Settings {
            concurrency: usize::try_from(c.concurrency).unwrap_or(32).max(1),
            per_host_concurrency: usize::try_from(c.per_host_concurrency).unwrap_or(4).max(1),
            batch: 256,
            idle_poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(c.retry_base_seconds.max(1)),
            retry_max: Duration::from_secs(c.retry_max_seconds.max(1)),
            max_age: Duration::from_secs(c.max_age_hours.saturating_mul(3600)),
            breaker_failures: c.breaker_failures.max(1),
            breaker_pause: Duration::from_secs(c.breaker_pause_seconds),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn shipped_delivery_settings() {
        let s = Settings::from_config(&Config::load_default().unwrap().delivery);
        assert_eq!(s.concurrency, 32);
        assert_eq!(s.per_host_concurrency, 4);
        assert_eq!(s.retry_base, Duration::from_secs(30));
        assert_eq!(s.retry_max, Duration::from_secs(6 * 3600));
        assert_eq!(s.max_age, Duration::from_secs(48 * 3600));
        assert_eq!(s.breaker_failures, 5);
        assert_eq!(s.breaker_pause, Duration::from_secs(600));
    }
}
