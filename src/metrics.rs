//! Counters for `/metrics` in the Prometheus text format: what an operator watches to see the
//! bridge is healthy (requests, deliveries by outcome, queue depth, signature failures).
//! Hand-written: four metric families do not justify a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

/// How a delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryOutcome {
    /// The inbox accepted it.
    Delivered,
    /// It failed and will be retried.
    Retry,
    /// It failed for good (4xx, 410 Gone, too old).
    Failed,
    /// The host is paused by the circuit breaker.
    Paused,
}

impl DeliveryOutcome {
    fn label(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Retry => "retry",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::Paused => "paused",
        }
    }
}

/// The bridge's counters. Shared behind an `Arc`; every method takes `&self`.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    deliveries: Mutex<BTreeMap<DeliveryOutcome, u64>>,
    signature_failures: Mutex<BTreeMap<&'static str, u64>>,
    queue_depth: AtomicI64,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    // A poisoned lock only means another thread panicked mid-increment; counting goes on.
    let mut m = map.lock().unwrap_or_else(|e| e.into_inner());
    *m.entry(key).or_insert(0) += 1;
}

impl Metrics {
    /// Counts one answered request; `route` is a fixed route name, never a raw path, so
    /// strangers cannot grow the label set.
    pub fn request(&self, route: &'static str, status: u16) {
        bump(&self.requests, (route, status));
    }

    /// Counts one delivery attempt.
    pub fn delivery(&self, outcome: DeliveryOutcome) {
        bump(&self.deliveries, outcome);
    }

    /// Counts one refused signature, by a fixed reason name.
    pub fn signature_failure(&self, reason: &'static str) {
        bump(&self.signature_failures, reason);
    }

    /// Sets the number of queued deliveries.
    pub fn set_queue_depth(&self, depth: u64) {
        self.queue_depth
            .store(i64::try_from(depth).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "bridge_http_requests_total",
            "HTTP requests answered, by route and status.",
            "counter",
        );
        for ((route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "bridge_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        family(
            &mut out,
            "bridge_deliveries_total",
            "Delivery attempts, by outcome.",
            "counter",
        );
        for (outcome, n) in self
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "bridge_deliveries_total{{outcome=\"{}\"}} {n}",
                outcome.label()
            );
        }
        family(
            &mut out,
            "bridge_signature_failures_total",
            "Inbound requests refused for their signature, by reason.",
            "counter",
        );
        for (reason, n) in self
            .signature_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "bridge_signature_failures_total{{reason=\"{reason}\"}} {n}"
            );
        }
        family(
            &mut out,
            "bridge_delivery_queue_depth",
            "Deliveries waiting in the queue.",
            "gauge",
        );
        let _ = writeln!(
            out,
            "bridge_delivery_queue_depth {}",
            self.queue_depth.load(Ordering::Relaxed)
        );
        out
    }
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts() {
        let m = Metrics::default();
        m.request("inbox", 202);
        m.request("inbox", 202);
        m.request("inbox", 401);
        m.delivery(DeliveryOutcome::Delivered);
        m.signature_failure("bad_signature");
        m.set_queue_depth(7);
        let text = m.render();
        assert!(text.contains("bridge_http_requests_total{route=\"inbox\",status=\"202\"} 2\n"));
        assert!(text.contains("bridge_http_requests_total{route=\"inbox\",status=\"401\"} 1\n"));
        assert!(text.contains("bridge_deliveries_total{outcome=\"delivered\"} 1\n"));
        assert!(text.contains("bridge_signature_failures_total{reason=\"bad_signature\"} 1\n"));
        assert!(text.contains("bridge_delivery_queue_depth 7\n"));
        assert!(text.contains("# TYPE bridge_delivery_queue_depth gauge\n"));
    }
}
