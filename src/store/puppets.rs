//! Puppets: the bridge's local stand-ins for remote identities, keyed by handle, with an
//! index from the source they mirror (address and feed URL) back to the handle, written in
//! the same transaction. Also the poll state of each puppet's feed (for hubless feeds).

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError as Abort;

use super::codec::{check_part, decode, encode, prefix, utf8};
use super::{Result, Store, StoreError, name};

/// What a puppet presents itself as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PuppetKind {
    /// A person's account.
    Person,
    /// A bot or feed-only account.
    Service,
    /// A group.
    Group,
}

/// A puppet: one remote identity as it appears on the bridge's domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Puppet {
    /// The local handle (user part under the bridge's domain); never changes.
    pub handle: String,
    /// Person, Service or Group.
    pub kind: PuppetKind,
    /// The address of what it mirrors (`acct:alice@gs.example`, an actor or profile URL).
    pub source: String,
    /// The feed it is fed from, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_url: Option<String>,
    /// The profile to show (name, summary, avatar…), as the bridge core shaped it.
    #[serde(default)]
    pub profile: serde_json::Value,
    /// When it was made, in Unix milliseconds.
    pub created_ms: u64,
}

impl Puppet {
    /// The index keys a puppet owns: its source and its feed URL.
    fn sources(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.source.as_str()).chain(self.feed_url.as_deref())
    }
}

/// Where polling a hubless feed left off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollState {
    /// The feed URL this state is for (a changed URL means start over).
    pub feed_url: String,
    /// `ETag` of the last 200 reply, for `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified` of the last 200 reply, for `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Ids of the entries already seen (the caller keeps it bounded, newest first).
    #[serde(default)]
    pub seen_entry_ids: Vec<String>,
    /// When the feed was last polled, in Unix milliseconds.
    #[serde(default)]
    pub last_polled_ms: u64,
}

impl Store {
    /// Creates or updates a puppet and its source index in one transaction. A source or
    /// feed URL already owned by another handle is a [`StoreError::Conflict`].
    pub async fn put_puppet(&self, puppet: &Puppet) -> Result<()> {
        check_part("handle", &puppet.handle)?;
        for s in puppet.sources() {
            check_part("puppet source", s)?;
        }
        let value = encode(name::PUPPETS, puppet)?;
        let puppet = puppet.clone();
        self.unblock(move |db| {
            (&db.t.puppets, &db.t.sources).transaction(|(puppets, sources)| {
                let handle = puppet.handle.as_bytes();
                for s in puppet.sources() {
                    if let Some(owner) = sources.get(s.as_bytes())?
                        && owner.as_ref() != handle
                    {
                        return Err(Abort::Abort(StoreError::Conflict {
                            what: "puppet source",
                            key: s.to_owned(),
                            existing: String::from_utf8_lossy(&owner).into_owned(),
                        }));
                    }
                }
                if let Some(old) = puppets.get(handle)? {
                    let old: Puppet = decode(name::PUPPETS, handle, &old).map_err(Abort::Abort)?;
                    for s in old.sources().filter(|s| !puppet.sources().any(|n| n == *s)) {
                        sources.remove(s.as_bytes())?;
                    }
                }
                for s in puppet.sources() {
                    sources.insert(s.as_bytes(), handle)?;
                }
                puppets.insert(handle, value.as_slice())?;
                Ok(())
            })?;
            Ok(())
        })
        .await
    }

    /// The puppet with this handle.
    pub async fn get_puppet_by_handle(&self, handle: &str) -> Result<Option<Puppet>> {
        let handle = handle.to_owned();
        self.unblock(move |db| {
            db.t.puppets
                .get(handle.as_bytes())?
                .map(|v| decode(name::PUPPETS, handle.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// The puppet mirroring this source address or feed URL.
    pub async fn get_puppet_by_source(&self, source: &str) -> Result<Option<Puppet>> {
        let source = source.to_owned();
        self.unblock(move |db| {
            let Some(handle) = db.t.sources.get(source.as_bytes())? else {
                return Ok(None);
            };
            let handle = utf8(name::SOURCES, source.as_bytes(), &handle)?;
            db.t.puppets
                .get(handle.as_bytes())?
                .map(|v| decode(name::PUPPETS, handle.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// Puppets in handle order, `limit` at a time, starting after `after` (for the poller
    /// and admin listings).
    pub async fn puppets_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<Puppet>> {
        // The smallest key above `after` is `after 0x00`.
        let start = after.map(prefix).unwrap_or_default();
        self.unblock(move |db| {
            db.t.puppets
                .range(start..)
                .take(limit)
                .map(|kv| {
                    let (k, v) = kv?;
                    decode(name::PUPPETS, &k, &v)
                })
                .collect()
        })
        .await
    }

    /// Records where polling a puppet's feed left off.
    pub async fn put_poll_state(&self, handle: &str, state: &PollState) -> Result<()> {
        check_part("handle", handle)?;
        let value = encode(name::POLL, state)?;
        let handle = handle.to_owned();
        self.unblock(move |db| {
            db.t.poll.insert(handle.as_bytes(), value)?;
            Ok(())
        })
        .await
    }

    /// Where polling a puppet's feed left off.
    pub async fn poll_state(&self, handle: &str) -> Result<Option<PollState>> {
        let handle = handle.to_owned();
        self.unblock(move |db| {
            db.t.poll
                .get(handle.as_bytes())?
                .map(|v| decode(name::POLL, handle.as_bytes(), &v))
                .transpose()
        })
        .await
    }
}
