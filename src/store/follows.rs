//! Followers of each puppet, with the counts the followers collection and per-host limits
//! need kept beside them (a count of 100k followers must not be a 100k-key scan).
//!
//! Keys: `handle 0x00 actor id` → a compact follower record (short field names: there is
//! one per follower). `handle` → follower count and `host` → follows from that host, both
//! u64 big-endian, updated in the same transaction as the edge.

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::codec::{check_part, composite, decode, encode, host_of, now_ms, prefix, suffix_str};
use super::{Result, Store, StoreError, add_count, name, read_count};

/// A remote actor following a puppet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    /// The follower's actor id.
    pub actor: String,
    /// Its personal inbox.
    pub inbox: String,
    /// Its server's shared inbox, preferred for fan-out.
    pub shared_inbox: Option<String>,
    /// When it started following, in Unix milliseconds (set by the store on first add).
    pub since_ms: u64,
}

impl Follower {
    /// A follower whose `since_ms` the store fills in.
    pub fn new(
        actor: impl Into<String>,
        inbox: impl Into<String>,
        shared_inbox: Option<String>,
    ) -> Follower {
        Follower {
            actor: actor.into(),
            inbox: inbox.into(),
            shared_inbox,
            since_ms: 0,
        }
    }
}

/// What is stored per follower (the actor id is in the key).
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(rename = "i")]
    inbox: String,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    shared_inbox: Option<String>,
    #[serde(rename = "t")]
    since_ms: u64,
}

/// The host a follower counts against; ids without one count under `""`.
fn follow_host(actor: &str) -> String {
    host_of(actor).unwrap_or_default()
}

impl Store {
    /// Adds (or updates the inboxes of) a follower of `puppet`. True when the follow is new;
    /// counts change only then, and `since_ms` is kept from the first add.
    pub async fn add_follower(&self, puppet: &str, follower: &Follower) -> Result<bool> {
        check_part("handle", puppet)?;
        check_part("follower actor id", &follower.actor)?;
        let key = composite(puppet, follower.actor.as_bytes());
        let count_key = puppet.as_bytes().to_vec();
        let host = follow_host(&follower.actor);
        let f = follower.clone();
        self.unblock(move |db| {
            let new = (&db.t.followers, &db.t.follower_counts, &db.t.host_follows).transaction(
                |(followers, counts, hosts)| {
                    let old = followers.get(&key)?;
                    let since_ms = match &old {
                        Some(v) => decode::<Stored>(name::FOLLOWERS, &key, v)
                            .map(|s| s.since_ms)
                            .unwrap_or_else(|_| now_ms()),
                        None => now_ms(),
                    };
                    let stored = Stored {
                        inbox: f.inbox.clone(),
                        shared_inbox: f.shared_inbox.clone(),
                        since_ms,
                    };
                    let value = encode(name::FOLLOWERS, &stored)
                        .map_err(sled::transaction::ConflictableTransactionError::Abort)?;
                    followers.insert(key.as_slice(), value)?;
                    if old.is_none() {
                        add_count(counts, name::FOLLOWER_COUNTS, &count_key, 1)?;
                        add_count(hosts, name::HOST_FOLLOWS, host.as_bytes(), 1)?;
                    }
                    Ok(old.is_none())
                },
            )?;
            Ok(new)
        })
        .await
    }

    /// Removes a follower of `puppet` (Undo Follow, Block, a dead inbox). True if it was one.
    pub async fn remove_follower(&self, puppet: &str, actor: &str) -> Result<bool> {
        check_part("handle", puppet)?;
        check_part("follower actor id", actor)?;
        let key = composite(puppet, actor.as_bytes());
        let count_key = puppet.as_bytes().to_vec();
        let host = follow_host(actor);
        self.unblock(move |db| {
            let removed = (&db.t.followers, &db.t.follower_counts, &db.t.host_follows)
                .transaction(|(followers, counts, hosts)| {
                    if followers.remove(key.as_slice())?.is_none() {
                        return Ok(false);
                    }
                    add_count(counts, name::FOLLOWER_COUNTS, &count_key, -1)?;
                    add_count(hosts, name::HOST_FOLLOWS, host.as_bytes(), -1)?;
                    Ok(true)
                })?;
            Ok(removed)
        })
        .await
    }

    /// The follower record, if `actor` follows `puppet`.
    pub async fn get_follower(&self, puppet: &str, actor: &str) -> Result<Option<Follower>> {
        check_part("handle", puppet)?;
        let key = composite(puppet, actor.as_bytes());
        let actor = actor.to_owned();
        self.unblock(move |db| {
            db.t.followers
                .get(&key)?
                .map(|v| to_follower(actor.clone(), decode(name::FOLLOWERS, &key, &v)?))
                .transpose()
        })
        .await
    }

    /// Followers of `puppet` in actor-id order, `limit` at a time, starting after the actor
    /// id `after` (the last one of the previous page): the followers collection's pages.
    pub async fn followers_page(
        &self,
        puppet: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Follower>> {
        check_part("handle", puppet)?;
        let pre = prefix(puppet);
        // The smallest key above `handle 0 after` is `handle 0 after 0`.
        let start = match after {
            Some(a) => {
                let mut k = composite(puppet, a.as_bytes());
                k.push(0);
                k
            }
            None => pre.clone(),
        };
        self.unblock(move |db| {
            let mut page = Vec::with_capacity(limit.min(1024));
            for kv in db.t.followers.range(start..) {
                let (k, v) = kv?;
                if !k.starts_with(&pre) || page.len() >= limit {
                    break;
                }
                let actor = suffix_str(name::FOLLOWERS, &k, pre.len())?;
                page.push(to_follower(actor, decode(name::FOLLOWERS, &k, &v)?)?);
            }
            Ok(page)
        })
        .await
    }

    /// How many followers `puppet` has (the collection's `totalItems`).
    pub async fn follower_count(&self, puppet: &str) -> Result<u64> {
        let key = puppet.as_bytes().to_vec();
        self.unblock(move |db| read_count(&db.t.follower_counts, name::FOLLOWER_COUNTS, &key))
            .await
    }

    /// How many follows actors on `host` (as [`host_of`] spells it) have made, over all
    /// puppets: for per-host follow limits.
    pub async fn follows_from_host(&self, host: &str) -> Result<u64> {
        let key = host.to_ascii_lowercase().into_bytes();
        self.unblock(move |db| read_count(&db.t.host_follows, name::HOST_FOLLOWS, &key))
            .await
    }
}

fn to_follower(actor: String, s: Stored) -> Result<Follower, StoreError> {
    Ok(Follower {
        actor,
        inbox: s.inbox,
        shared_inbox: s.shared_inbox,
        since_ms: s.since_ms,
    })
}
