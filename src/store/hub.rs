//! The bridge's WebSub hub: who subscribed to which puppet feed, and the subscribe and
//! unsubscribe requests still waiting for their verification of intent.
//!
//! Keys:
//! - `handle 0x00 callback` → [`HubSubscription`] (verified subscriptions);
//! - `handle 0x00 callback` → [`HubPending`] in another tree (one request per pair waits;
//!   a newer request replaces an older one, whose verification then no longer counts);
//! - `lease end ms (big-endian) ‖ handle 0x00 callback` → ∅, so expiry is one range scan;
//! - `callback host` → how many (handle, callback) pairs of that host are pending or active
//!   (u64 big-endian), for the per-host flood limit.
//!
//! Every change writes the record, its expiry index entry and the host count in one
//! transaction, so the count and the index never drift from the records.

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError as Abort, TransactionalTree};

use super::codec::{check_part, composite, decode, encode, host_of, prefix, suffix_str};
use super::{Result, Store, StoreError, add_count, name, read_count};
use crate::websub::HmacAlgo;

/// A verified subscription of a callback to a puppet's feed: what a push needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSubscription {
    /// The puppet whose feed is the topic.
    pub handle: String,
    /// Where pushes go (exactly as the subscriber gave it, query string included).
    pub callback: String,
    /// `hub.secret`: pushes carry `X-Hub-Signature` when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The HMAC of `X-Hub-Signature` (sha1 unless the subscriber or operator asked for more).
    #[serde(default = "default_algo")]
    pub algo: HmacAlgo,
    /// When the lease runs out, in Unix milliseconds; no pushes after it.
    pub lease_expires_ms: u64,
    /// When the pair was first verified, in Unix milliseconds (kept across renewals).
    pub created_ms: u64,
    /// When the latest verification succeeded, in Unix milliseconds.
    pub verified_ms: u64,
}

fn default_algo() -> HmacAlgo {
    HmacAlgo::Sha1
}

impl HubSubscription {
    /// True while the lease runs at `now_ms`.
    pub fn is_live(&self, now_ms: u64) -> bool {
        self.lease_expires_ms > now_ms
    }
}

/// What a hub request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HubMode {
    /// Start (or renew) a subscription.
    Subscribe,
    /// End one.
    Unsubscribe,
}

impl HubMode {
    /// The `hub.mode` value.
    pub fn name(self) -> &'static str {
        match self {
            HubMode::Subscribe => "subscribe",
            HubMode::Unsubscribe => "unsubscribe",
        }
    }
}

/// A subscribe or unsubscribe request waiting for its verification GET, stored so that a
/// restart re-runs it instead of losing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubPending {
    /// The puppet whose feed is the topic.
    pub handle: String,
    /// The subscriber's callback.
    pub callback: String,
    /// Subscribe or unsubscribe.
    pub mode: HubMode,
    /// `hub.secret` of a subscribe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The HMAC the subscription will sign with.
    #[serde(default = "default_algo")]
    pub algo: HmacAlgo,
    /// The lease granted (already clamped), in seconds.
    pub lease_seconds: u64,
    /// `hub.verify_token` (PubSubHubbub 0.3), passed back on verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
    /// The challenge the callback must echo; also tells this request from a newer one for
    /// the same pair.
    pub challenge: String,
    /// When the request came, in Unix milliseconds.
    pub requested_ms: u64,
}

/// What [`Store::hub_add_pending`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingAdded {
    /// Stored; verify it now.
    Added,
    /// The callback's host already has the most pending or active subscriptions allowed;
    /// nothing was stored.
    HostFull,
}

/// The host a callback counts against (`""` when it has none; the hub refuses those first).
fn callback_host(callback: &str) -> String {
    host_of(callback).unwrap_or_default()
}

fn pair(handle: &str, callback: &str) -> Vec<u8> {
    composite(handle, callback.as_bytes())
}

fn expiry_key(expires_ms: u64, handle: &str, callback: &str) -> Vec<u8> {
    let mut k = expires_ms.to_be_bytes().to_vec();
    k.extend_from_slice(&pair(handle, callback));
    k
}

type TxResult<T> = sled::transaction::ConflictableTransactionResult<T, StoreError>;

fn get_tx<T: serde::de::DeserializeOwned>(
    tree: &TransactionalTree,
    tree_name: &'static str,
    key: &[u8],
) -> TxResult<Option<T>> {
    tree.get(key)?
        .map(|v| decode(tree_name, key, &v))
        .transpose()
        .map_err(Abort::Abort)
}

/// The four hub trees inside one transaction.
struct Tx<'a> {
    subs: &'a TransactionalTree,
    pending: &'a TransactionalTree,
    expiry: &'a TransactionalTree,
    hosts: &'a TransactionalTree,
}

impl Tx<'_> {
    fn present(&self, key: &[u8]) -> TxResult<bool> {
        Ok(self.subs.get(key)?.is_some() || self.pending.get(key)?.is_some())
    }

    /// Keeps the host count right after a change that took the pair from `before` (pending
    /// or active) to whatever it is now.
    fn recount(&self, key: &[u8], host: &str, before: bool) -> TxResult<()> {
        let after = self.present(key)?;
        if before != after {
            add_count(
                self.hosts,
                name::HUB_HOSTS,
                host.as_bytes(),
                if after { 1 } else { -1 },
            )?;
        }
        Ok(())
    }

    fn remove_sub(&self, key: &[u8]) -> TxResult<Option<HubSubscription>> {
        let Some(old) = get_tx::<HubSubscription>(self.subs, name::HUB_SUBS, key)? else {
            return Ok(None);
        };
        self.subs.remove(key)?;
        self.expiry
            .remove(expiry_key(old.lease_expires_ms, &old.handle, &old.callback))?;
        Ok(Some(old))
    }

    fn put_sub(&self, key: &[u8], sub: &HubSubscription) -> TxResult<()> {
        self.remove_sub(key)?;
        let value = encode(name::HUB_SUBS, sub).map_err(Abort::Abort)?;
        self.subs.insert(key, value)?;
        self.expiry.insert(
            expiry_key(sub.lease_expires_ms, &sub.handle, &sub.callback),
            &[][..],
        )?;
        Ok(())
    }
}

impl Store {
    /// Runs `f` over the hub trees in one transaction.
    async fn hub_tx<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Tx<'_>) -> TxResult<T> + Send + 'static,
    {
        self.unblock(move |db| {
            let t = &db.t;
            let out = (&t.hub_subs, &t.hub_pending, &t.hub_expiry, &t.hub_hosts).transaction(
                |(subs, pending, expiry, hosts)| {
                    f(&Tx {
                        subs,
                        pending,
                        expiry,
                        hosts,
                    })
                },
            )?;
            Ok(out)
        })
        .await
    }

    /// Stores a request waiting for verification, replacing an older one for the same
    /// (handle, callback). A pair that is neither pending nor active counts against its
    /// callback host: when the host already has `max_per_host`, nothing is stored.
    pub async fn hub_add_pending(
        &self,
        request: &HubPending,
        max_per_host: u64,
    ) -> Result<PendingAdded> {
        check_part("handle", &request.handle)?;
        check_part("callback", &request.callback)?;
        let key = pair(&request.handle, &request.callback);
        let host = callback_host(&request.callback);
        let value = encode(name::HUB_PENDING, request)?;
        self.hub_tx(move |tx| {
            let before = tx.present(&key)?;
            if !before && read_count_tx(tx.hosts, host.as_bytes())? >= max_per_host {
                return Ok(PendingAdded::HostFull);
            }
            tx.pending.insert(key.as_slice(), value.as_slice())?;
            tx.recount(&key, &host, before)?;
            Ok(PendingAdded::Added)
        })
        .await
    }

    /// The request waiting for verification for (handle, callback), if any.
    pub async fn hub_pending(&self, handle: &str, callback: &str) -> Result<Option<HubPending>> {
        let key = pair(handle, callback);
        self.unblock(move |db| {
            db.t.hub_pending
                .get(&key)?
                .map(|v| decode(name::HUB_PENDING, &key, &v))
                .transpose()
        })
        .await
    }

    /// Every request still waiting for verification (for re-running them after a restart),
    /// at most `limit`.
    pub async fn hub_pending_all(&self, limit: usize) -> Result<Vec<HubPending>> {
        self.unblock(move |db| {
            db.t.hub_pending
                .iter()
                .take(limit)
                .map(|kv| {
                    let (k, v) = kv?;
                    decode(name::HUB_PENDING, &k, &v)
                })
                .collect()
        })
        .await
    }

    /// The callback echoed the challenge of the pending request for (handle, callback): a
    /// subscribe becomes a subscription with a lease from `now_ms` (its first `created_ms`
    /// kept on renewal), an unsubscribe removes the subscription. `None` (and nothing
    /// changed) when the pending request is gone or is a newer one with another challenge.
    pub async fn hub_confirm(
        &self,
        handle: &str,
        callback: &str,
        challenge: &str,
        now_ms: u64,
    ) -> Result<Option<HubMode>> {
        let key = pair(handle, callback);
        let host = callback_host(callback);
        let challenge = challenge.to_owned();
        self.hub_tx(move |tx| {
            let Some(p) = get_tx::<HubPending>(tx.pending, name::HUB_PENDING, &key)? else {
                return Ok(None);
            };
            if p.challenge != challenge {
                return Ok(None);
            }
            let before = tx.present(&key)?;
            tx.pending.remove(key.as_slice())?;
            match p.mode {
                HubMode::Subscribe => {
                    let created_ms = get_tx::<HubSubscription>(tx.subs, name::HUB_SUBS, &key)?
                        .map_or(now_ms, |old| old.created_ms);
                    let sub = HubSubscription {
                        handle: p.handle.clone(),
                        callback: p.callback.clone(),
                        secret: p.secret.clone(),
                        algo: p.algo,
                        lease_expires_ms: now_ms
                            .saturating_add(p.lease_seconds.saturating_mul(1000)),
                        created_ms,
                        verified_ms: now_ms,
                    };
                    tx.put_sub(&key, &sub)?;
                }
                HubMode::Unsubscribe => {
                    tx.remove_sub(&key)?;
                }
            }
            tx.recount(&key, &host, before)?;
            Ok(Some(p.mode))
        })
        .await
    }

    /// The verification of the pending request with `challenge` failed: forget the request
    /// (an existing subscription stays as it was). True if it was still pending.
    pub async fn hub_drop_pending(
        &self,
        handle: &str,
        callback: &str,
        challenge: &str,
    ) -> Result<bool> {
        let key = pair(handle, callback);
        let host = callback_host(callback);
        let challenge = challenge.to_owned();
        self.hub_tx(move |tx| {
            let Some(p) = get_tx::<HubPending>(tx.pending, name::HUB_PENDING, &key)? else {
                return Ok(false);
            };
            if p.challenge != challenge {
                return Ok(false);
            }
            let before = tx.present(&key)?;
            tx.pending.remove(key.as_slice())?;
            tx.recount(&key, &host, before)?;
            Ok(true)
        })
        .await
    }

    /// The subscription of `callback` to `handle`'s feed, expired or not.
    pub async fn hub_subscription(
        &self,
        handle: &str,
        callback: &str,
    ) -> Result<Option<HubSubscription>> {
        let key = pair(handle, callback);
        self.unblock(move |db| {
            db.t.hub_subs
                .get(&key)?
                .map(|v| decode(name::HUB_SUBS, &key, &v))
                .transpose()
        })
        .await
    }

    /// Subscriptions to `handle`'s feed in callback order, `limit` at a time, starting after
    /// the callback `after`: what a push fans out to (expired ones included until swept).
    pub async fn hub_subscriptions(
        &self,
        handle: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<HubSubscription>> {
        check_part("handle", handle)?;
        let pre = prefix(handle);
        let start = match after {
            Some(a) => {
                let mut k = pair(handle, a);
                k.push(0);
                k
            }
            None => pre.clone(),
        };
        self.unblock(move |db| {
            let mut page = Vec::with_capacity(limit.min(1024));
            for kv in db.t.hub_subs.range(start..) {
                let (k, v) = kv?;
                if !k.starts_with(&pre) || page.len() >= limit {
                    break;
                }
                // The key names the callback; the record repeats it, and must agree.
                let callback = suffix_str(name::HUB_SUBS, &k, pre.len())?;
                let sub: HubSubscription = decode(name::HUB_SUBS, &k, &v)?;
                if sub.callback != callback {
                    return Err(super::codec::corrupt(
                        name::HUB_SUBS,
                        &k,
                        "callback differs from the key".into(),
                    ));
                }
                page.push(sub);
            }
            Ok(page)
        })
        .await
    }

    /// Removes a subscription (the callback answered 410 Gone, or an operator removed it).
    /// True if there was one.
    pub async fn hub_remove_subscription(&self, handle: &str, callback: &str) -> Result<bool> {
        let key = pair(handle, callback);
        let host = callback_host(callback);
        self.hub_tx(move |tx| {
            let before = tx.present(&key)?;
            let removed = tx.remove_sub(&key)?.is_some();
            tx.recount(&key, &host, before)?;
            Ok(removed)
        })
        .await
    }

    /// How many (puppet, callback) pairs of callbacks on `host` (as [`host_of`] spells it)
    /// are pending or active: what the flood limit counts.
    pub async fn hub_callback_host_count(&self, host: &str) -> Result<u64> {
        let key = host.to_ascii_lowercase().into_bytes();
        self.unblock(move |db| read_count(&db.t.hub_hosts, name::HUB_HOSTS, &key))
            .await
    }

    /// Deletes up to `limit` subscriptions whose lease ended at or before `now_ms`, oldest
    /// first, each in its own transaction; returns how many went.
    pub async fn hub_expire(&self, now_ms: u64, limit: usize) -> Result<usize> {
        let ended: Vec<(Vec<u8>, String, String)> = self
            .unblock(move |db| {
                let end = (now_ms.saturating_add(1)).to_be_bytes();
                let mut out = Vec::new();
                for kv in db.t.hub_expiry.range(..end.to_vec()).take(limit) {
                    let (k, _) = kv?;
                    let rest = k.get(8..).unwrap_or_default();
                    let Some(nul) = rest.iter().position(|&b| b == 0) else {
                        return Err(super::codec::corrupt(
                            name::HUB_EXPIRY,
                            &k,
                            "no separator".into(),
                        ));
                    };
                    let handle = suffix_str(name::HUB_EXPIRY, &rest[..nul], 0)?;
                    let callback = suffix_str(name::HUB_EXPIRY, rest, nul + 1)?;
                    out.push((k.to_vec(), handle, callback));
                }
                Ok(out)
            })
            .await?;
        let mut n = 0;
        for (index_key, handle, callback) in ended {
            let key = pair(&handle, &callback);
            let host = callback_host(&callback);
            let gone = self
                .hub_tx(move |tx| {
                    match get_tx::<HubSubscription>(tx.subs, name::HUB_SUBS, &key)? {
                        Some(s) if !s.is_live(now_ms) => {}
                        // Renewed (or removed) since the scan: the entry is no longer its
                        // index entry; drop it so the sweep does not meet it again.
                        _ => {
                            tx.expiry.remove(index_key.as_slice())?;
                            return Ok(false);
                        }
                    }
                    let before = tx.present(&key)?;
                    tx.remove_sub(&key)?;
                    tx.recount(&key, &host, before)?;
                    Ok(true)
                })
                .await?;
            if gone {
                n += 1;
            }
        }
        Ok(n)
    }
}

fn read_count_tx(tree: &TransactionalTree, key: &[u8]) -> TxResult<u64> {
    match tree.get(key)? {
        Some(v) => super::codec::read_u64(name::HUB_HOSTS, key, &v).map_err(Abort::Abort),
        None => Ok(0),
    }
}
