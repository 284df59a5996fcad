//! The store: everything the bridge must remember, in sled 0.34 trees behind a typed,
//! `async` API. This folder is the only code that names sled, so another backend (see
//! DESIGN.md, "Where users outgrow one machine") is a new module, not a rewrite.
//!
//! Layout:
//! - `mod.rs`: [`Store`] (open, schema version, group commit, ids), the tree names;
//! - `codec.rs`: key layouts (NUL-separated parts, big-endian numbers) and record encoding;
//! - `commit.rs`: group commit behind [`Store::durable`];
//! - one file per family of trees: `ids.rs`, `identities.rs`, `keys.rs`, `puppets.rs`,
//!   `follows.rs`, `entries.rs` (outboxes, seen ids, Flag reports, inbound activities),
//!   `queue.rs` (delivery jobs, per-host state, dead inboxes), `relays.rs` (what the two-way
//!   bridge remembers between an action and its answer), `hub.rs` (the WebSub hub's
//!   subscriptions and pending verifications), `websub_subs.rs` (the bridge's own
//!   subscriptions at legacy WebSub hubs).
//!
//! Every method runs its sled work on tokio's blocking pool (one `unblock` path, as
//! aode-relay does), because a lookup that misses the page cache reads the disk. Writes are
//! in the OS page cache when a method returns; they are on disk after [`Store::durable`].

mod codec;
mod commit;
mod entries;
mod error;
mod follows;
mod hub;
mod identities;
mod ids;
mod keys;
mod puppets;
mod queue;
mod relays;
mod websub_subs;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use codec::{host_of, now_ms};
pub use entries::{Entry, ObjectEntry, Report};
pub use error::StoreError;
pub use follows::Follower;
pub use hub::{HubMode, HubPending, HubSubscription, PendingAdded};
pub use identities::{Identity, Protocol};
pub use keys::KeyPair;
pub use puppets::{PollState, Puppet, PuppetKind};
pub use queue::{HostState, Job, NewJob};
pub use relays::{Relay, RelayState};
pub use websub_subs::{LegacySubMode, LegacySubState, LegacySubscription};

use crate::config::StoreConfig;

/// The schema this build writes and reads. Bump it (and add a migration or a new data
/// folder) whenever a key layout or a record's meaning changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// The folder name that carries the on-disk format: sled 0.34's. A later engine or sled
/// format gets a new folder beside it (`bridge.toml` has `path = "data/sled-0-34"`).
pub const FORMAT_DIR: &str = "sled-0-34";

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Interval of sled's own background flush for writes nobody awaits `durable()` for.
const FLUSH_EVERY_MS: u64 = 500;

/// Tree names, one per mapping, named after what maps to what (greppable in a sled dump).
pub(crate) mod name {
    pub const META: &str = "meta";
    pub const LEGACY_AP: &str = "legacy-id-ap-id";
    pub const AP_LEGACY: &str = "ap-id-legacy-id";
    pub const IDENTITIES: &str = "actor-id-identity";
    pub const KEY_IDS: &str = "key-id-actor-id";
    pub const KEYPAIRS: &str = "handle-keypair";
    pub const PUPPETS: &str = "handle-puppet";
    pub const SOURCES: &str = "source-handle";
    pub const POLL: &str = "handle-poll-state";
    pub const FOLLOWERS: &str = "handle-actor-follower";
    pub const FOLLOWER_COUNTS: &str = "handle-follower-count";
    pub const HOST_FOLLOWS: &str = "host-follow-count";
    pub const ENTRIES: &str = "handle-seq-entry";
    pub const ENTRY_COUNTS: &str = "handle-entry-count";
    pub const SEEN: &str = "activity-id-seen-at";
    pub const JOBS: &str = "job-id-job";
    pub const DUE: &str = "due-at-job-id";
    pub const HOSTS: &str = "host-state";
    pub const DEAD: &str = "inbox-dead-since";
    pub const FLAGS: &str = "seq-flag";
    pub const INBOUND: &str = "seq-inbound";
    pub const OBJECTS: &str = "object-id-handle-seq";
    pub const ACTOR_HANDLES: &str = "ap-actor-handle";
    pub const RELAYS: &str = "follow-id-relay";
    pub const RELAY_PAIRS: &str = "pair-follow-id";
    pub const EARLY_DELETES: &str = "object-id-deleted-at";
    pub const HUB_SUBS: &str = "hub-handle-callback-subscription";
    pub const HUB_PENDING: &str = "hub-handle-callback-pending";
    pub const HUB_EXPIRY: &str = "hub-lease-end-subscription";
    pub const HUB_HOSTS: &str = "hub-callback-host-count";
    pub const LEGACY_SUBS: &str = "callback-id-legacy-subscription";
    pub const LEGACY_SUB_HANDLES: &str = "handle-legacy-subscription-id";
}

/// Key of the schema version in the `meta` tree (value: u32 big-endian).
const SCHEMA_KEY: &[u8] = b"schema_version";

/// The open trees.
pub(crate) struct Trees {
    pub meta: sled::Tree,
    pub legacy_ap: sled::Tree,
    pub ap_legacy: sled::Tree,
    pub identities: sled::Tree,
    pub key_ids: sled::Tree,
    pub keypairs: sled::Tree,
    pub puppets: sled::Tree,
    pub sources: sled::Tree,
    pub poll: sled::Tree,
    pub followers: sled::Tree,
    pub follower_counts: sled::Tree,
    pub host_follows: sled::Tree,
    pub entries: sled::Tree,
    pub entry_counts: sled::Tree,
    pub seen: sled::Tree,
    pub jobs: sled::Tree,
    pub due: sled::Tree,
    pub hosts: sled::Tree,
    pub dead: sled::Tree,
    pub flags: sled::Tree,
    pub inbound: sled::Tree,
    pub objects: sled::Tree,
    pub actor_handles: sled::Tree,
    pub relays: sled::Tree,
    pub relay_pairs: sled::Tree,
    pub early_deletes: sled::Tree,
    pub hub_subs: sled::Tree,
    pub hub_pending: sled::Tree,
    pub hub_expiry: sled::Tree,
    pub hub_hosts: sled::Tree,
    pub legacy_subs: sled::Tree,
    pub legacy_sub_handles: sled::Tree,
}

impl Trees {
    fn open(db: &sled::Db) -> Result<Trees> {
        Ok(Trees {
            meta: db.open_tree(name::META)?,
            legacy_ap: db.open_tree(name::LEGACY_AP)?,
            ap_legacy: db.open_tree(name::AP_LEGACY)?,
            identities: db.open_tree(name::IDENTITIES)?,
            key_ids: db.open_tree(name::KEY_IDS)?,
            keypairs: db.open_tree(name::KEYPAIRS)?,
            puppets: db.open_tree(name::PUPPETS)?,
            sources: db.open_tree(name::SOURCES)?,
            poll: db.open_tree(name::POLL)?,
            followers: db.open_tree(name::FOLLOWERS)?,
            follower_counts: db.open_tree(name::FOLLOWER_COUNTS)?,
            host_follows: db.open_tree(name::HOST_FOLLOWS)?,
            entries: db.open_tree(name::ENTRIES)?,
            entry_counts: db.open_tree(name::ENTRY_COUNTS)?,
            seen: db.open_tree(name::SEEN)?,
            jobs: db.open_tree(name::JOBS)?,
            due: db.open_tree(name::DUE)?,
            hosts: db.open_tree(name::HOSTS)?,
            dead: db.open_tree(name::DEAD)?,
            flags: db.open_tree(name::FLAGS)?,
            inbound: db.open_tree(name::INBOUND)?,
            objects: db.open_tree(name::OBJECTS)?,
            actor_handles: db.open_tree(name::ACTOR_HANDLES)?,
            relays: db.open_tree(name::RELAYS)?,
            relay_pairs: db.open_tree(name::RELAY_PAIRS)?,
            early_deletes: db.open_tree(name::EARLY_DELETES)?,
            hub_subs: db.open_tree(name::HUB_SUBS)?,
            hub_pending: db.open_tree(name::HUB_PENDING)?,
            hub_expiry: db.open_tree(name::HUB_EXPIRY)?,
            hub_hosts: db.open_tree(name::HUB_HOSTS)?,
            legacy_subs: db.open_tree(name::LEGACY_SUBS)?,
            legacy_sub_handles: db.open_tree(name::LEGACY_SUB_HANDLES)?,
        })
    }
}

/// What every clone of a [`Store`] shares.
pub(crate) struct Inner {
    pub db: sled::Db,
    pub t: Trees,
    path: PathBuf,
    commit: commit::GroupCommit,
    /// Signalled after every enqueue, so the delivery worker wakes at once.
    queued: Arc<tokio::sync::Notify>,
}

/// The bridge's persistent state. Cheap to clone (an `Arc`); the database closes when the
/// last clone is dropped, after sled's final flush.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the store `[store]` in `bridge.toml` names.
    pub async fn open(config: &StoreConfig) -> Result<Store> {
        Store::open_path(&config.path, config.cache_mb).await
    }

    /// Opens (or creates) the store in `path` with a page cache of `cache_mb` MiB (at least 1).
    /// Fails with [`StoreError::SchemaTooNew`] on a store written by a newer build, and with
    /// [`StoreError::Unversioned`] on a sled database that is not a bridge store. Must run
    /// inside a tokio runtime: it starts the group-commit task.
    pub async fn open_path(path: impl AsRef<Path>, cache_mb: u64) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains("0-34"))
        {
            tracing::warn!(path = %path.display(), "store folder name does not carry the format version (e.g. {FORMAT_DIR})");
        }
        let p = path.clone();
        let (db, trees) = tokio::task::spawn_blocking(move || open_blocking(&p, cache_mb))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))??;
        let inner = Arc::new_cyclic(|weak| Inner {
            db,
            t: trees,
            path,
            commit: commit::GroupCommit::start(weak.clone()),
            queued: Arc::new(tokio::sync::Notify::new()),
        });
        Ok(Store { inner })
    }

    /// Runs `f` on the blocking pool with the trees: the one path every method takes to sled.
    pub(crate) async fn unblock<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Waits until every write this task made before the call is on disk. Await it before
    /// acknowledging a request (202 to an inbox, 2xx to a hub push). Concurrent callers share
    /// one flush (group commit), so call it once per request, after all of its writes.
    pub async fn durable(&self) -> Result<()> {
        self.inner.commit.durable().await
    }

    /// Flushes now, without waiting to share the flush with other callers. For tools and
    /// shutdown; request handlers should await [`Store::durable`] instead.
    pub async fn flush(&self) -> Result<()> {
        self.inner.db.flush_async().await?;
        self.inner.commit.count_flush();
        Ok(())
    }

    /// Flushes and lets go of this handle (graceful shutdown). The database closes when the
    /// last clone is dropped.
    pub async fn close(self) -> Result<()> {
        self.durable().await
    }

    /// Flushes done so far (group commits plus explicit flushes): a metric, and how tests
    /// check that concurrent writers share flushes.
    pub fn flush_count(&self) -> u64 {
        self.inner.commit.flushes()
    }

    /// The schema version recorded in the store.
    pub async fn schema_version(&self) -> Result<u32> {
        self.unblock(|db| {
            read_schema(&db.t.meta)?
                .ok_or_else(|| codec::corrupt(name::META, SCHEMA_KEY, "missing".into()))
        })
        .await
    }

    /// A new id, larger than every id handed out before, also across restarts and crashes
    /// (sled persists the counter ahead of use). Not contiguous.
    pub async fn generate_id(&self) -> Result<u64> {
        self.unblock(|db| Ok(db.db.generate_id()?)).await
    }

    /// Bytes the database takes on disk.
    pub async fn size_on_disk(&self) -> Result<u64> {
        self.unblock(|db| Ok(db.db.size_on_disk()?)).await
    }

    /// Notified after every successful enqueue: whoever empties the queue waits on it instead
    /// of polling, and enqueuers (inbox, fan-out, poller) need no handle on the worker.
    pub fn queue_waker(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.inner.queued)
    }

    /// Wakes whoever waits on [`Store::queue_waker`].
    pub(crate) fn signal_queued(&self) {
        self.inner.queued.notify_one();
    }

    /// The folder the store lives in.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

/// How long opening waits for the folder's lock: sled's own background threads can hold a
/// just-closed database open for a moment, so a reopen in the same process may race them.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

fn open_blocking(path: &Path, cache_mb: u64) -> Result<(sled::Db, Trees)> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(cache_mb.max(1).saturating_mul(1024 * 1024))
        .flush_every_ms(Some(FLUSH_EVERY_MS));
    let started = std::time::Instant::now();
    let db = loop {
        match config.open() {
            Ok(db) => break db,
            Err(e) if is_lock_error(&e) && started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) if is_lock_error(&e) => {
                return Err(StoreError::Locked {
                    path: path.display().to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        }
    };
    let meta = db.open_tree(name::META)?;
    match read_schema(&meta)? {
        Some(found) if found > SCHEMA_VERSION => {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(found) if found < SCHEMA_VERSION => {
            return Err(StoreError::SchemaTooOld {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(_) => {}
        None => {
            // Fresh, unless some other tree already holds data.
            let foreign = db.tree_names().into_iter().any(|n| {
                n.as_ref() != name::META.as_bytes()
                    && db.open_tree(&n).map(|t| !t.is_empty()).unwrap_or(true)
            });
            if foreign {
                return Err(StoreError::Unversioned {
                    path: path.display().to_string(),
                });
            }
            meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
            db.flush()?;
        }
    }
    let trees = Trees::open(&db)?;
    Ok((db, trees))
}

fn read_schema(meta: &sled::Tree) -> Result<Option<u32>> {
    let Some(v) = meta.get(SCHEMA_KEY)? else {
        return Ok(None);
    };
    let arr: [u8; 4] = v.as_ref().try_into().map_err(|_| {
        codec::corrupt(
            name::META,
            SCHEMA_KEY,
            format!("expected 4 bytes, found {}", v.len()),
        )
    })?;
    Ok(Some(u32::from_be_bytes(arr)))
}

/// Adds `delta` to the big-endian counter at `key` inside a transaction; a counter that
/// reaches zero is removed, so the count trees hold only live keys.
pub(crate) fn add_count(
    tree: &sled::transaction::TransactionalTree,
    tree_name: &'static str,
    key: &[u8],
    delta: i64,
) -> sled::transaction::ConflictableTransactionResult<u64, StoreError> {
    let current = match tree.get(key)? {
        Some(v) => codec::read_u64(tree_name, key, &v)
            .map_err(sled::transaction::ConflictableTransactionError::Abort)?,
        None => 0,
    };
    let next = if delta >= 0 {
        current.saturating_add(delta.unsigned_abs())
    } else {
        current.saturating_sub(delta.unsigned_abs())
    };
    if next == 0 {
        tree.remove(key)?;
    } else {
        tree.insert(key, &next.to_be_bytes())?;
    }
    Ok(next)
}

/// A counter read outside a transaction (0 when absent).
pub(crate) fn read_count(tree: &sled::Tree, tree_name: &'static str, key: &[u8]) -> Result<u64> {
    match tree.get(key)? {
        Some(v) => codec::read_u64(tree_name, key, &v),
        None => Ok(0),
    }
}
