//! One activity to every follower of a puppet: one job per shared inbox (else per personal
//! inbox), dead inboxes left out, all queued in one transaction.

use std::collections::BTreeSet;

use serde_json::Value;
use tokio::sync::Notify;

use super::{ACTIVITY_JSON, DeliveryError};
use crate::store::{NewJob, Protocol, Store};

/// Followers read per store call while collecting the targets.
const PAGE: usize = 1000;

/// The inboxes that get one copy each: a follower's shared inbox when it has one (a server
/// then receives one POST for all its followers, PROTOCOLS.md §9.2), else its own inbox.
/// Sorted and without duplicates.
pub async fn targets(store: &Store, puppet: &str) -> Result<BTreeSet<String>, DeliveryError> {
    let mut out = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.followers_page(puppet, after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.actor.clone());
        let full = page.len() == PAGE;
        for f in page {
            out.insert(f.shared_inbox.filter(|s| !s.is_empty()).unwrap_or(f.inbox));
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

/// `bto` and `bcc` must not reach the recipients (ActivityPub §6.2); they only widen whom the
/// sender delivers to, and the bridge delivers to followers.
fn strip_blind(activity: &Value) -> Value {
    let mut v = activity.clone();
    if let Value::Object(m) = &mut v {
        m.remove("bto");
        m.remove("bcc");
        if let Some(Value::Object(o)) = m.get_mut("object") {
            o.remove("bto");
            o.remove("bcc");
        }
    }
    v
}

/// Queues `activity`, signed by `puppet`'s key, for every follower of `puppet`: one job per
/// distinct shared (else personal) inbox, skipping inboxes that answered 410 Gone, all in one
/// transaction so a crash leaves all of them queued or none. Wakes the worker through
/// `wake`. Returns the number of jobs queued.
pub async fn fan_out(
    store: &Store,
    puppet: &str,
    activity: &Value,
    wake: &Notify,
) -> Result<usize, DeliveryError> {
    let body = serde_json::to_string(&strip_blind(activity))
        .map_err(|e| DeliveryError::Encode(e.to_string()))?;
    let mut jobs = Vec::new();
    for inbox in targets(store, puppet).await? {
        if store.inbox_dead_since(&inbox).await?.is_some() {
            tracing::debug!(inbox = ?inbox, "skipping a dead inbox");
            continue;
        }
        jobs.push(NewJob {
            protocol: Protocol::ActivityPub,
            inbox,
            signer: puppet.to_string(),
            content_type: ACTIVITY_JSON.to_string(),
            body: body.clone(),
            not_before_ms: 0,
        });
    }
    let n = jobs.len();
    if n > 0 {
        store.enqueue_many(jobs).await?;
        wake.notify_one();
    }
    tracing::debug!(puppet = ?puppet, jobs = n, "fan-out queued");
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blind_copies_are_removed_from_activity_and_object() {
        let v = serde_json::json!({
            "type": "Create", "bto": ["a"], "bcc": ["b"], "to": ["c"],
            "object": {"type": "Note", "bcc": ["d"], "cc": ["e"]}
        });
        let s = strip_blind(&v);
        assert_eq!(
            s,
            serde_json::json!({"type": "Create", "to": ["c"], "object": {"type": "Note", "cc": ["e"]}})
        );
    }
}
