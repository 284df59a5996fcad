//! The durable delivery queue, and what delivery remembers about remote hosts and inboxes.
//!
//! Keys: `job id` (u64 big-endian) → job; `next attempt ms ‖ job id` (both big-endian) → ∅,
//! so "what is due" is one ordered range scan from the start of the index. A job and its
//! index entry change together in one transaction, so a crash (kill -9 included) leaves
//! every job findable. `host` → breaker state; `inbox` → when it answered 410 Gone.

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError as Abort, TransactionalTree};

use super::codec::{check_part, decode, encode, now_ms, pair_key, read_u64};
use super::{Inner, Protocol, Result, Store, StoreError, name};

/// A delivery to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// How to deliver (HTTP-Signature POST, Salmon, WebSub push, Pump).
    pub protocol: Protocol,
    /// Where to POST.
    pub inbox: String,
    /// The puppet handle whose key signs it.
    pub signer: String,
    /// `Content-Type` of the body.
    pub content_type: String,
    /// The body, ready to sign and send.
    pub body: String,
    /// Earliest attempt, in Unix milliseconds (0: now).
    pub not_before_ms: u64,
}

/// A queued delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Its id (from [`Store::generate_id`]).
    pub id: u64,
    /// How to deliver.
    pub protocol: Protocol,
    /// Where to POST.
    pub inbox: String,
    /// The puppet handle whose key signs it.
    pub signer: String,
    /// `Content-Type` of the body.
    pub content_type: String,
    /// The body.
    pub body: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When it is due next, in Unix milliseconds.
    pub next_attempt_ms: u64,
    /// When it was queued, in Unix milliseconds (for giving up after `max_age_hours`).
    pub created_ms: u64,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// What delivery remembers about one remote host: its circuit breaker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostState {
    /// Failures in a row (reset by a success).
    #[serde(default)]
    pub consecutive_failures: u32,
    /// No deliveries to this host before this time, in Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until_ms: Option<u64>,
    /// Last successful delivery, in Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_ms: Option<u64>,
    /// Last failed delivery, in Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_ms: Option<u64>,
}

fn job_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

type TxResult<T> = sled::transaction::ConflictableTransactionResult<T, StoreError>;

/// Moves a job to a new due time inside a transaction: index entry and record together.
fn move_job(
    jobs: &TransactionalTree,
    due: &TransactionalTree,
    mut job: Job,
    next_ms: u64,
) -> TxResult<Job> {
    due.remove(&pair_key(job.next_attempt_ms, job.id)[..])?;
    job.next_attempt_ms = next_ms;
    due.insert(&pair_key(next_ms, job.id)[..], &[][..])?;
    let value = encode(name::JOBS, &job).map_err(Abort::Abort)?;
    jobs.insert(&job_key(job.id)[..], value)?;
    Ok(job)
}

fn get_job(jobs: &TransactionalTree, id: u64) -> TxResult<Option<Job>> {
    let key = job_key(id);
    jobs.get(key)?
        .map(|v| decode(name::JOBS, &key, &v))
        .transpose()
        .map_err(Abort::Abort)
}

/// Ids of the jobs due at `now_ms`, earliest first.
fn due_ids(db: &Inner, now_ms: u64, limit: usize) -> Result<Vec<u64>> {
    db.t.due
        .range(..pair_key(now_ms, u64::MAX))
        .take(limit)
        .map(|kv| {
            let (k, _) = kv?;
            read_u64(name::DUE, &k, k.get(8..).unwrap_or_default())
        })
        .collect()
}

impl Store {
    /// Queues one delivery.
    pub async fn enqueue(&self, job: NewJob) -> Result<Job> {
        let mut jobs = self.enqueue_many(vec![job]).await?;
        jobs.pop()
            .ok_or(StoreError::Task("enqueue returned no job".into()))
    }

    /// Queues many deliveries (one activity's fan-out) in one transaction: all or none.
    pub async fn enqueue_many(&self, new: Vec<NewJob>) -> Result<Vec<Job>> {
        for j in &new {
            check_part("inbox", &j.inbox)?;
            check_part("signer", &j.signer)?;
        }
        let jobs = self
            .unblock(move |db| {
                let created_ms = now_ms();
                let mut jobs = Vec::with_capacity(new.len());
                for j in new {
                    jobs.push(Job {
                        id: db.db.generate_id()?,
                        protocol: j.protocol,
                        inbox: j.inbox,
                        signer: j.signer,
                        content_type: j.content_type,
                        body: j.body,
                        attempts: 0,
                        next_attempt_ms: if j.not_before_ms == 0 {
                            created_ms
                        } else {
                            j.not_before_ms
                        },
                        created_ms,
                        last_error: None,
                    });
                }
                let values = jobs
                    .iter()
                    .map(|j| encode(name::JOBS, j))
                    .collect::<Result<Vec<_>>>()?;
                (&db.t.jobs, &db.t.due).transaction(|(t_jobs, t_due)| {
                    for (j, v) in jobs.iter().zip(&values) {
                        t_jobs.insert(&job_key(j.id)[..], v.as_slice())?;
                        t_due.insert(&pair_key(j.next_attempt_ms, j.id)[..], &[][..])?;
                    }
                    Ok(())
                })?;
                Ok(jobs)
            })
            .await?;
        self.signal_queued();
        Ok(jobs)
    }

    /// Jobs due at `now_ms`, earliest due first, at most `limit`. Read only, like
    /// [`Store::due_jobs_except`] with nothing to skip.
    pub async fn due_jobs(&self, now_ms: u64, limit: usize) -> Result<Vec<Job>> {
        self.due_jobs_except(now_ms, limit, std::collections::HashSet::new())
            .await
    }

    /// Up to `limit` due jobs whose ids are not in `skip`, in due order, without changing
    /// them: the delivery worker's lease lives in its memory (`skip` is what it holds), so a
    /// delivery costs no store write before its outcome, and after a crash every unfinished
    /// job is simply due.
    pub async fn due_jobs_except(
        &self,
        now_ms: u64,
        limit: usize,
        skip: std::collections::HashSet<u64>,
    ) -> Result<Vec<Job>> {
        self.unblock(move |db| {
            let mut out = Vec::new();
            for kv in db.t.due.range(..pair_key(now_ms, u64::MAX)) {
                if out.len() >= limit {
                    break;
                }
                let (k, _) = kv?;
                let id = read_u64(name::DUE, &k, k.get(8..).unwrap_or_default())?;
                if skip.contains(&id) {
                    continue;
                }
                let key = job_key(id);
                // A job completed between the index scan and this read is simply gone.
                if let Some(v) = db.t.jobs.get(key)? {
                    out.push(decode(name::JOBS, &key, &v)?);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Takes up to `limit` due jobs for delivery: each is moved to `lease_until_ms` in the
    /// same transaction, so no other poller gets it, and if the process dies mid-delivery it
    /// comes back once the lease runs out. Finish each with [`Store::complete`] or
    /// [`Store::reschedule`].
    pub async fn lease_due_jobs(
        &self,
        now_ms: u64,
        lease_until_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>> {
        self.unblock(move |db| {
            let ids = due_ids(db, now_ms, limit)?;
            let leased = (&db.t.jobs, &db.t.due).transaction(|(jobs, due)| {
                let mut out = Vec::with_capacity(ids.len());
                for &id in &ids {
                    let Some(job) = get_job(jobs, id)? else {
                        continue;
                    };
                    // Re-check inside the transaction: another poller may have leased it.
                    if job.next_attempt_ms > now_ms
                        || due.get(&pair_key(job.next_attempt_ms, id)[..])?.is_none()
                    {
                        continue;
                    }
                    out.push(move_job(jobs, due, job, lease_until_ms)?);
                }
                Ok(out)
            })?;
            Ok(leased)
        })
        .await
    }

    /// Records a failed attempt: counts it, keeps the error, and makes the job due again at
    /// `next_ms`. `None` when the job is gone (completed meanwhile).
    pub async fn reschedule(
        &self,
        job_id: u64,
        next_ms: u64,
        error: Option<&str>,
    ) -> Result<Option<Job>> {
        let error = error.map(str::to_owned);
        self.unblock(move |db| {
            let job = (&db.t.jobs, &db.t.due).transaction(|(jobs, due)| {
                let Some(mut job) = get_job(jobs, job_id)? else {
                    return Ok(None);
                };
                job.attempts = job.attempts.saturating_add(1);
                job.last_error = error.clone();
                Ok(Some(move_job(jobs, due, job, next_ms)?))
            })?;
            Ok(job)
        })
        .await
    }

    /// Makes jobs due again at `next_ms` without counting an attempt: for jobs the worker
    /// leased but could not start (their host is busy or paused). Jobs gone meanwhile are
    /// skipped; returns how many moved.
    pub async fn postpone(&self, job_ids: Vec<u64>, next_ms: u64) -> Result<usize> {
        self.unblock(move |db| {
            let moved = (&db.t.jobs, &db.t.due).transaction(|(jobs, due)| {
                let mut n = 0;
                for &id in &job_ids {
                    if let Some(job) = get_job(jobs, id)? {
                        move_job(jobs, due, job, next_ms)?;
                        n += 1;
                    }
                }
                Ok(n)
            })?;
            Ok(moved)
        })
        .await
    }

    /// Removes a job: delivered, or given up on. True if it was queued.
    pub async fn complete(&self, job_id: u64) -> Result<bool> {
        self.unblock(move |db| {
            let done = (&db.t.jobs, &db.t.due).transaction(|(jobs, due)| {
                let Some(job) = get_job(jobs, job_id)? else {
                    return Ok(false);
                };
                jobs.remove(&job_key(job_id)[..])?;
                due.remove(&pair_key(job.next_attempt_ms, job_id)[..])?;
                Ok(true)
            })?;
            Ok(done)
        })
        .await
    }

    /// One queued job by id.
    pub async fn get_job(&self, job_id: u64) -> Result<Option<Job>> {
        self.unblock(move |db| {
            let key = job_key(job_id);
            db.t.jobs
                .get(key)?
                .map(|v| decode(name::JOBS, &key, &v))
                .transpose()
        })
        .await
    }

    /// Jobs in the queue (counts every record: for metrics and tests, not hot paths).
    pub async fn queue_len(&self) -> Result<usize> {
        self.unblock(|db| Ok(db.t.jobs.len())).await
    }

    /// The breaker state of `host` (the default, all clear, when none was stored).
    pub async fn host_state(&self, host: &str) -> Result<HostState> {
        let host = host.to_ascii_lowercase();
        self.unblock(move |db| {
            db.t.hosts
                .get(host.as_bytes())?
                .map(|v| decode(name::HOSTS, host.as_bytes(), &v))
                .transpose()
                .map(Option::unwrap_or_default)
        })
        .await
    }

    /// Stores the breaker state of `host`; the default state removes the record.
    pub async fn put_host_state(&self, host: &str, state: &HostState) -> Result<()> {
        check_part("host", host)?;
        let host = host.to_ascii_lowercase();
        let value = (*state != HostState::default())
            .then(|| encode(name::HOSTS, state))
            .transpose()?;
        self.unblock(move |db| {
            match value {
                Some(v) => db.t.hosts.insert(host.as_bytes(), v)?,
                None => db.t.hosts.remove(host.as_bytes())?,
            };
            Ok(())
        })
        .await
    }

    /// Marks an inbox dead (it answered 410 Gone): delivery skips it from now on.
    pub async fn mark_inbox_dead(&self, inbox: &str) -> Result<()> {
        check_part("inbox", inbox)?;
        let inbox = inbox.to_owned();
        self.unblock(move |db| {
            db.t.dead
                .insert(inbox.as_bytes(), &now_ms().to_be_bytes())?;
            Ok(())
        })
        .await
    }

    /// Since when an inbox is dead, in Unix milliseconds; `None` while it is alive.
    pub async fn inbox_dead_since(&self, inbox: &str) -> Result<Option<u64>> {
        let inbox = inbox.to_owned();
        self.unblock(move |db| {
            db.t.dead
                .get(inbox.as_bytes())?
                .map(|v| read_u64(name::DEAD, inbox.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// Brings a dead inbox back (its actor reappeared). True if it was dead.
    pub async fn revive_inbox(&self, inbox: &str) -> Result<bool> {
        let inbox = inbox.to_owned();
        self.unblock(move |db| Ok(db.t.dead.remove(inbox.as_bytes())?.is_some()))
            .await
    }
}
