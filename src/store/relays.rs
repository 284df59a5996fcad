//! What the two-way bridge remembers between one side's action and the other side's answer:
//! which puppet stands for which ActivityPub actor, which Follow the bridge sent on behalf of
//! a legacy account (so the AP side's Accept or Reject can be answered back over Salmon, and
//! an unfollow can name the Follow it undoes), and deletes that arrived before their post.
//!
//! Keys: `actor id` → handle (`ap-actor-handle`); `follow id` → [`Relay`] (`follow-id-relay`)
//! with `follower handle 0x00 target actor` → follow id (`pair-follow-id`) written in the same
//! transaction; `object id` → deleted-at ms (`object-id-deleted-at`).

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::codec::{check_part, composite, decode, encode, now_ms, read_u64, utf8};
use super::{Result, Store, name};

/// Where a relayed follow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayState {
    /// Sent; the AP side has not answered.
    Pending,
    /// The AP side accepted.
    Accepted,
    /// The AP side rejected.
    Rejected,
}

/// A Follow the bridge sent to an ActivityPub actor for a legacy account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relay {
    /// The id of the AP Follow.
    pub follow_id: String,
    /// The legacy account's puppet (its AP face), the Follow's actor.
    pub follower: String,
    /// The AP actor followed.
    pub target_actor: String,
    /// The puppet standing for the AP actor on the legacy side (its OStatus face).
    pub target_handle: String,
    /// The legacy account's Salmon endpoint, where the answer goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salmon: Option<String>,
    /// The legacy `follow` / `request-friend` entry id, nested in the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_request_id: Option<String>,
    /// Where it stands.
    pub state: RelayState,
    /// When it was sent, in Unix milliseconds.
    pub created_ms: u64,
}

impl Store {
    /// Records that `handle` is the puppet standing for the AP actor `actor`.
    pub async fn map_actor_puppet(&self, actor: &str, handle: &str) -> Result<()> {
        check_part("actor id", actor)?;
        check_part("handle", handle)?;
        let (actor, handle) = (actor.to_owned(), handle.to_owned());
        self.unblock(move |db| {
            db.t.actor_handles
                .insert(actor.as_bytes(), handle.as_bytes())?;
            Ok(())
        })
        .await
    }

    /// The puppet standing for the AP actor `actor`, if it has one.
    pub async fn puppet_for_actor(&self, actor: &str) -> Result<Option<String>> {
        let actor = actor.to_owned();
        self.unblock(move |db| {
            db.t.actor_handles
                .get(actor.as_bytes())?
                .map(|v| utf8(name::ACTOR_HANDLES, actor.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// Stores (or replaces) a relayed follow and its pair index in one transaction.
    pub async fn put_relay(&self, relay: &Relay) -> Result<()> {
        check_part("follow id", &relay.follow_id)?;
        check_part("handle", &relay.follower)?;
        let value = encode(name::RELAYS, relay)?;
        let pair = composite(&relay.follower, relay.target_actor.as_bytes());
        let id = relay.follow_id.clone();
        self.unblock(move |db| {
            (&db.t.relays, &db.t.relay_pairs).transaction(|(relays, pairs)| {
                relays.insert(id.as_bytes(), value.as_slice())?;
                pairs.insert(pair.as_slice(), id.as_bytes())?;
                Ok(())
            })?;
            Ok(())
        })
        .await
    }

    /// The relayed follow with this AP Follow id.
    pub async fn relay(&self, follow_id: &str) -> Result<Option<Relay>> {
        let id = follow_id.to_owned();
        self.unblock(move |db| {
            db.t.relays
                .get(id.as_bytes())?
                .map(|v| decode(name::RELAYS, id.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// The relayed follow of `target_actor` by the puppet `follower`, if one was sent.
    pub async fn relay_between(&self, follower: &str, target_actor: &str) -> Result<Option<Relay>> {
        let pair = composite(follower, target_actor.as_bytes());
        self.unblock(move |db| {
            let Some(id) = db.t.relay_pairs.get(&pair)? else {
                return Ok(None);
            };
            db.t.relays
                .get(&id)?
                .map(|v| decode(name::RELAYS, &id, &v))
                .transpose()
        })
        .await
    }

    /// Forgets a relayed follow (after an unfollow). True if it was there.
    pub async fn remove_relay(&self, follow_id: &str) -> Result<bool> {
        let id = follow_id.to_owned();
        self.unblock(move |db| {
            let removed = (&db.t.relays, &db.t.relay_pairs).transaction(|(relays, pairs)| {
                let Some(old) = relays.remove(id.as_bytes())? else {
                    return Ok(false);
                };
                let old: Relay = decode(name::RELAYS, id.as_bytes(), &old)
                    .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
                pairs.remove(composite(&old.follower, old.target_actor.as_bytes()))?;
                Ok(true)
            })?;
            Ok(removed)
        })
        .await
    }

    /// Remembers that `object_id` was deleted (a delete may arrive before its post).
    pub async fn remember_delete(&self, object_id: &str) -> Result<()> {
        check_part("object id", object_id)?;
        let id = object_id.to_owned();
        self.unblock(move |db| {
            db.t.early_deletes
                .insert(id.as_bytes(), &now_ms().to_be_bytes())?;
            Ok(())
        })
        .await
    }

    /// True when `object_id` was deleted less than `within_ms` ago; older marks are dropped.
    pub async fn deleted_within(&self, object_id: &str, within_ms: u64) -> Result<bool> {
        let id = object_id.to_owned();
        self.unblock(move |db| {
            let Some(v) = db.t.early_deletes.get(id.as_bytes())? else {
                return Ok(false);
            };
            let at = read_u64(name::EARLY_DELETES, id.as_bytes(), &v)?;
            if now_ms().saturating_sub(at) > within_ms {
                db.t.early_deletes.remove(id.as_bytes())?;
                return Ok(false);
            }
            Ok(true)
        })
        .await
    }
}
