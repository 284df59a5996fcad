//! The bridge's own WebSub subscriptions at legacy hubs (the subscriber side; the hub's
//! subscribers are elsewhere): one per legacy puppet whose feed has a hub.
//!
//! Keys: `callback id` → the subscription (the id is the unguessable last segment of the
//! callback URL a hub calls, so a verification or push finds its record in one lookup);
//! `handle` → callback id, so the poller and the follow paths find a puppet's subscription.
//! Both are written in one transaction.

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::codec::{check_part, decode, encode, prefix, utf8};
use super::{Result, Store, name};

/// Which request the bridge sent a hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacySubMode {
    /// `hub.mode=subscribe` (first subscription or renewal).
    Subscribe,
    /// `hub.mode=unsubscribe` (the last follower left).
    Unsubscribe,
}

impl LegacySubMode {
    /// The `hub.mode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            LegacySubMode::Subscribe => "subscribe",
            LegacySubMode::Unsubscribe => "unsubscribe",
        }
    }
}

/// Where a subscription stands. A verified lease is kept in
/// [`LegacySubscription::lease_expires_ms`] separately, so a renewal in flight does not stop
/// pushes (or restart polling) while the old lease runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum LegacySubState {
    /// A request was sent (or is to be sent again at `retry_at_ms`); the hub's verification
    /// GET is answered only for this mode.
    Requested {
        /// What was asked.
        mode: LegacySubMode,
        /// When it was (last) sent, Unix ms.
        at_ms: u64,
        /// When to send it again after a hub answered 5xx/429 or could not be reached
        /// (0: no retry pending, wait for the verification).
        #[serde(default)]
        retry_at_ms: u64,
        /// Sends so far without a verification.
        #[serde(default)]
        attempts: u32,
    },
    /// The hub verified the subscription; pushes are expected until the lease ends.
    Active,
    /// No push for this feed: no hub found, the hub refused (3xx/4xx) or denied it. The feed
    /// is polled; the subscriber tries again after a while.
    Failed {
        /// When it failed, Unix ms.
        at_ms: u64,
        /// Why, for the operator.
        reason: String,
    },
}

/// A subscription the bridge holds (or asked for) at a legacy hub for a puppet's feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacySubscription {
    /// The callback id (32 random hex digits): `<public_url>/websub/callback/<id>`.
    pub id: String,
    /// The puppet whose feed this is.
    pub handle: String,
    /// `hub.topic`: the feed's `rel=self` URL.
    pub topic: String,
    /// The hub URL (empty when discovery found none).
    pub hub: String,
    /// `hub.secret` as sent; pushes must carry its HMAC. `None`: none was sent (a plain-http
    /// hub), and a push is only a hint to fetch the feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Where it stands.
    pub state: LegacySubState,
    /// When the verified lease ends, Unix ms (0: none verified).
    #[serde(default)]
    pub lease_expires_ms: u64,
    /// The `hub.lease_seconds` the bridge asked for.
    #[serde(default)]
    pub requested_lease_s: u64,
    /// When it was made, Unix ms.
    #[serde(default)]
    pub created_ms: u64,
}

impl LegacySubscription {
    /// True while pushes replace polling: a verified lease that has not run out, and no
    /// unsubscribe under way.
    pub fn is_live(&self, now_ms: u64) -> bool {
        self.lease_expires_ms > now_ms
            && !matches!(
                self.state,
                LegacySubState::Failed { .. }
                    | LegacySubState::Requested {
                        mode: LegacySubMode::Unsubscribe,
                        ..
                    }
            )
    }

    /// The mode a verification GET may confirm now, if any.
    pub fn pending_mode(&self) -> Option<LegacySubMode> {
        match &self.state {
            LegacySubState::Requested { mode, .. } => Some(*mode),
            _ => None,
        }
    }
}

impl Store {
    /// Stores a subscription and points its puppet at it, in one transaction. A different
    /// subscription the puppet had is removed (one per puppet).
    pub async fn put_legacy_subscription(&self, sub: &LegacySubscription) -> Result<()> {
        check_part("subscription id", &sub.id)?;
        check_part("handle", &sub.handle)?;
        let value = encode(name::LEGACY_SUBS, sub)?;
        let (id, handle) = (sub.id.clone(), sub.handle.clone());
        self.unblock(move |db| {
            (&db.t.legacy_subs, &db.t.legacy_sub_handles).transaction(|(subs, handles)| {
                if let Some(old) = handles.get(handle.as_bytes())?
                    && old.as_ref() != id.as_bytes()
                {
                    subs.remove(old)?;
                }
                subs.insert(id.as_bytes(), value.as_slice())?;
                handles.insert(handle.as_bytes(), id.as_bytes())?;
                Ok(())
            })?;
            Ok(())
        })
        .await
    }

    /// The subscription with callback id `id`.
    pub async fn legacy_subscription(&self, id: &str) -> Result<Option<LegacySubscription>> {
        if check_part("subscription id", id).is_err() {
            return Ok(None);
        }
        let id = id.to_owned();
        self.unblock(move |db| {
            db.t.legacy_subs
                .get(id.as_bytes())?
                .map(|v| decode(name::LEGACY_SUBS, id.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// The subscription for puppet `handle`'s feed.
    pub async fn legacy_subscription_for(
        &self,
        handle: &str,
    ) -> Result<Option<LegacySubscription>> {
        let handle = handle.to_owned();
        self.unblock(move |db| {
            let Some(id) = db.t.legacy_sub_handles.get(handle.as_bytes())? else {
                return Ok(None);
            };
            let id = utf8(name::LEGACY_SUB_HANDLES, handle.as_bytes(), &id)?;
            db.t.legacy_subs
                .get(id.as_bytes())?
                .map(|v| decode(name::LEGACY_SUBS, id.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// Removes subscription `id` and, if it still points there, its puppet's index entry.
    /// True if it existed.
    pub async fn remove_legacy_subscription(&self, id: &str) -> Result<bool> {
        check_part("subscription id", id)?;
        let id = id.to_owned();
        self.unblock(move |db| {
            let removed =
                (&db.t.legacy_subs, &db.t.legacy_sub_handles).transaction(|(subs, handles)| {
                    let Some(old) = subs.remove(id.as_bytes())? else {
                        return Ok(false);
                    };
                    let sub: LegacySubscription = decode(name::LEGACY_SUBS, id.as_bytes(), &old)
                        .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
                    if handles.get(sub.handle.as_bytes())?.as_deref() == Some(id.as_bytes()) {
                        handles.remove(sub.handle.as_bytes())?;
                    }
                    Ok(true)
                })?;
            Ok(removed)
        })
        .await
    }

    /// Subscriptions in callback-id order, `limit` at a time, after the id `after`: the
    /// renewal pass walks them.
    pub async fn legacy_subscriptions_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<LegacySubscription>> {
        // The smallest key above `after` is `after 0x00`.
        let start = after.map(prefix).unwrap_or_default();
        self.unblock(move |db| {
            db.t.legacy_subs
                .range(start..)
                .take(limit)
                .map(|kv| {
                    let (k, v) = kv?;
                    decode(name::LEGACY_SUBS, &k, &v)
                })
                .collect()
        })
        .await
    }
}
