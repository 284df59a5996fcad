//! Group commit: many request handlers, one fsync.
//!
//! A handler makes its writes, then awaits [`Store::durable`](super::Store::durable). That
//! takes a ticket (a counter bumped *after* the writes) and wakes one background task. The
//! task reads the newest ticket, runs one `flush_async`, and publishes "everything up to
//! ticket T is on disk". Because T was read before the flush began, every writer holding a
//! ticket ≤ T wrote before that flush started, so the flush covers its write. Callers that
//! arrive while a flush runs take larger tickets and share the next one: N concurrent
//! writers cost about two flushes, not N.

use std::sync::Arc;
use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, watch};

use super::{Inner, StoreError};

/// What the flusher last finished: every ticket up to `covered`, and whether that flush failed.
#[derive(Clone, Debug, Default)]
struct Outcome {
    covered: u64,
    error: Option<Arc<str>>,
}

/// Counters the flusher and the callers share; kept apart from [`Inner`] so the flusher can
/// look at them without holding the database open.
#[derive(Default)]
struct Counters {
    requested: AtomicU64,
    flushes: AtomicU64,
}

/// The caller's side of group commit; lives in [`Inner`].
pub(crate) struct GroupCommit {
    counters: Arc<Counters>,
    wake: mpsc::Sender<()>,
    done: watch::Receiver<Outcome>,
}

impl GroupCommit {
    /// Starts the flusher task. It holds the database only weakly and only while flushing,
    /// so dropping the last `Store` closes the database; it ends when `Inner` is dropped.
    pub(crate) fn start(inner: Weak<Inner>) -> GroupCommit {
        let counters = Arc::new(Counters::default());
        let (wake, wake_rx) = mpsc::channel(1);
        let (done_tx, done) = watch::channel(Outcome::default());
        tokio::spawn(flusher(inner, counters.clone(), wake_rx, done_tx));
        GroupCommit {
            counters,
            wake,
            done,
        }
    }

    /// Returns once a flush that started after this call has finished.
    pub(crate) async fn durable(&self) -> Result<(), StoreError> {
        let ticket = self.counters.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut done = self.done.clone();
        // A full channel means a wake is pending; that flush will read our ticket.
        let _ = self.wake.try_send(());
        let outcome = done
            .wait_for(|o| o.covered >= ticket)
            .await
            .map_err(|_| StoreError::Closed)?
            .clone();
        match outcome.error {
            None => Ok(()),
            Some(e) => Err(StoreError::Flush(e.to_string())),
        }
    }

    /// Counts a flush made outside the flusher task (an explicit `Store::flush`).
    pub(crate) fn count_flush(&self) {
        self.counters.flushes.fetch_add(1, Ordering::Relaxed);
    }

    /// Flushes made so far, by the flusher task and by explicit flushes.
    pub(crate) fn flushes(&self) -> u64 {
        self.counters.flushes.load(Ordering::Relaxed)
    }
}

async fn flusher(
    inner: Weak<Inner>,
    counters: Arc<Counters>,
    mut wake: mpsc::Receiver<()>,
    done: watch::Sender<Outcome>,
) {
    let mut covered = 0;
    while wake.recv().await.is_some() {
        let target = counters.requested.load(Ordering::SeqCst);
        if target <= covered {
            continue; // a stale wake: an earlier flush already covered it
        }
        let Some(db) = inner.upgrade() else { break };
        let result = db.db.flush_async().await;
        counters.flushes.fetch_add(1, Ordering::Relaxed);
        // Let go of the database before telling anyone, so a caller that drops its last
        // `Store` right after `durable()` really closes it (and can reopen the folder).
        drop(db);
        if let Err(e) = &result {
            tracing::error!(error = %e, "store flush failed");
        }
        covered = target;
        done.send_replace(Outcome {
            covered,
            error: result.err().map(|e| Arc::from(e.to_string())),
        });
    }
}
