//! What can go wrong in the store. One enum, so callers can map store failures to HTTP
//! statuses in one place (a `Conflict` is the peer's fault, everything else is ours).

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled reported an I/O error, corruption it detected itself, or a bug.
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    /// Another process (or a store still open in this one) holds the folder.
    #[error("the store at {path} is in use by another process (is another bridge running?)")]
    Locked {
        /// The store folder.
        path: String,
    },
    /// A stored record could not be decoded: the bytes on disk are not what this build wrote.
    #[error("corrupt record in tree {tree:?} at key {key:?}: {reason}")]
    Corrupt {
        /// The sled tree the record is in.
        tree: &'static str,
        /// The key, printed lossily (binary parts as `\u{fffd}`).
        key: String,
        /// What did not decode.
        reason: String,
    },
    /// The store was written by a newer build with a schema this build does not know.
    #[error(
        "store schema version {found} is newer than this build supports ({supported}): \
         run a newer ostatus-bridge, or point [store] path at another folder"
    )]
    SchemaTooNew {
        /// The version in the store's `meta` tree.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The store has an older schema and this build has no migration for it.
    #[error("store schema version {found} is older than {supported} and cannot be migrated")]
    SchemaTooOld {
        /// The version in the store's `meta` tree.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The folder holds a sled database with data but no schema version: not a bridge store.
    #[error("{path} holds a sled database that is not an ostatus-bridge store (no schema version)")]
    Unversioned {
        /// The folder.
        path: String,
    },
    /// A key part is empty, too long, or contains the NUL byte the key layouts use as separator.
    #[error("invalid {what}: {reason}")]
    InvalidKey {
        /// Which argument.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The write would change something that must never change (an id mapping, the handle
    /// a source address maps to).
    #[error("{what} {key:?} is already mapped to {existing:?}")]
    Conflict {
        /// What kind of mapping.
        what: &'static str,
        /// The key that is taken.
        key: String,
        /// What it maps to now.
        existing: String,
    },
    /// A record could not be encoded (a value serde_json refuses).
    #[error("cannot encode record for tree {tree:?}: {reason}")]
    Encode {
        /// The tree it was meant for.
        tree: &'static str,
        /// serde_json's message.
        reason: String,
    },
    /// The group-commit flush that covered this write failed; the write may not be durable.
    #[error("flush failed: {0}")]
    Flush(String),
    /// A blocking store task panicked or was cancelled.
    #[error("store task failed: {0}")]
    Task(String),
    /// The store's flusher is gone (the runtime is shutting down).
    #[error("store is closed")]
    Closed,
}

impl StoreError {
    /// True when the write was refused because it would change a fixed mapping.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
}

/// sled's transaction error, with our own abort reason, back into one error.
impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(e: sled::transaction::TransactionError<StoreError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
        }
    }
}
