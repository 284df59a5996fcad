//! Append-only records: each puppet's entries (its outbox and feed), the ids of activities
//! already accepted (dedupe), Flag reports for the operator, and inbound activities kept for
//! later bridging.
//!
//! Keys: entries are `handle 0x00 seq` (seq u64 big-endian from [`Store::generate_id`], so a
//! puppet's entries sort oldest → newest and pages are range scans), with a per-handle count
//! beside them. Reports and inbound activities are keyed by seq alone. Seen ids are
//! `activity id` → first-seen time (u64 big-endian ms).

use serde::{Deserialize, Serialize};
use sled::Transactional;

use super::codec::{check_part, composite, decode, encode, now_ms, prefix, suffix_u64, utf8};
use super::{Inner, Result, Store, add_count, name, read_count};

/// One entry of a puppet's outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its sequence number: increasing, unique across the store, a page cursor.
    pub seq: u64,
    /// The activity as the bridge publishes it.
    pub activity: serde_json::Value,
}

/// A stored inbound activity or Flag report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Its sequence number (cursor, and the id to remove it by).
    #[serde(skip)]
    pub seq: u64,
    /// When it arrived, in Unix milliseconds.
    pub received_ms: u64,
    /// The authenticated sender.
    pub actor: String,
    /// The activity as received.
    pub activity: serde_json::Value,
}

/// An object found by its id: the entry that carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectEntry {
    /// The puppet whose outbox holds it.
    pub handle: String,
    /// The entry's sequence number.
    pub seq: u64,
    /// The whole activity; the object is its `object`.
    pub activity: serde_json::Value,
}

impl Store {
    /// Appends an activity to `puppet`'s outbox; returns its sequence number. The id of the
    /// object it carries (a Create's note, an Update's new version, a Delete's Tombstone) is
    /// indexed in the same transaction, so the object stays dereferenceable by its id in its
    /// latest state ([`Store::object_by_id`]).
    pub async fn append_entry(&self, puppet: &str, activity: &serde_json::Value) -> Result<u64> {
        check_part("handle", puppet)?;
        let value = encode(name::ENTRIES, activity)?;
        let object_id = activity
            .get("object")
            .and_then(|o| o.get("id"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        if let Some(id) = &object_id {
            check_part("object id", id)?;
        }
        let puppet = puppet.to_owned();
        self.unblock(move |db| {
            let seq = db.db.generate_id()?;
            let key = composite(&puppet, &seq.to_be_bytes());
            (&db.t.entries, &db.t.entry_counts, &db.t.objects).transaction(
                |(entries, counts, objects)| {
                    entries.insert(key.as_slice(), value.as_slice())?;
                    add_count(counts, name::ENTRY_COUNTS, puppet.as_bytes(), 1)?;
                    if let Some(id) = &object_id {
                        objects.insert(id.as_bytes(), key.as_slice())?;
                    }
                    Ok(())
                },
            )?;
            Ok(seq)
        })
        .await
    }

    /// The object with id `object_id` as the newest entry that carried it holds it, with that
    /// entry's puppet and sequence number: what `GET <object id>` serves.
    pub async fn object_by_id(&self, object_id: &str) -> Result<Option<ObjectEntry>> {
        check_part("object id", object_id)?;
        let id = object_id.to_owned();
        self.unblock(move |db| {
            let Some(key) = db.t.objects.get(id.as_bytes())? else {
                return Ok(None);
            };
            let Some(v) = db.t.entries.get(&key)? else {
                return Ok(None);
            };
            let activity: serde_json::Value = decode(name::ENTRIES, &key, &v)?;
            let seq = suffix_u64(name::ENTRIES, &key)?;
            // `handle 0x00 seq`: the handle is what precedes the separator and the seq.
            let handle = utf8(
                name::ENTRIES,
                &key,
                key.get(..key.len().saturating_sub(9)).unwrap_or_default(),
            )?;
            Ok(Some(ObjectEntry {
                handle,
                seq,
                activity,
            }))
        })
        .await
    }

    /// `puppet`'s entries newest first, `limit` at a time, older than `before` (the last seq
    /// of the previous page; `None` for the first page).
    pub async fn outbox_page(
        &self,
        puppet: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        check_part("handle", puppet)?;
        let lo = prefix(puppet);
        let hi = composite(puppet, &before.unwrap_or(u64::MAX).to_be_bytes());
        self.unblock(move |db| {
            let mut page = Vec::with_capacity(limit.min(1024));
            for kv in db.t.entries.range(lo..hi).rev().take(limit) {
                let (k, v) = kv?;
                page.push(Entry {
                    seq: suffix_u64(name::ENTRIES, &k)?,
                    activity: decode(name::ENTRIES, &k, &v)?,
                });
            }
            Ok(page)
        })
        .await
    }

    /// One entry of `puppet` by its sequence number (to serve the activity's own URL).
    pub async fn get_entry(&self, puppet: &str, seq: u64) -> Result<Option<serde_json::Value>> {
        check_part("handle", puppet)?;
        let key = composite(puppet, &seq.to_be_bytes());
        self.unblock(move |db| {
            db.t.entries
                .get(&key)?
                .map(|v| decode(name::ENTRIES, &key, &v))
                .transpose()
        })
        .await
    }

    /// How many entries `puppet` has (the outbox's `totalItems`).
    pub async fn entry_count(&self, puppet: &str) -> Result<u64> {
        let key = puppet.as_bytes().to_vec();
        self.unblock(move |db| read_count(&db.t.entry_counts, name::ENTRY_COUNTS, &key))
            .await
    }

    /// Records that an activity id was accepted. True exactly once per id, however many
    /// callers race (an atomic insert-if-absent): only the caller that got true acts on it,
    /// the others acknowledge a duplicate.
    pub async fn mark_seen(&self, activity_id: &str) -> Result<bool> {
        check_part("activity id", activity_id)?;
        let id = activity_id.to_owned();
        self.unblock(move |db| {
            let now = now_ms().to_be_bytes();
            Ok(db
                .t
                .seen
                .compare_and_swap(id.as_bytes(), None::<&[u8]>, Some(&now[..]))?
                .is_ok())
        })
        .await
    }

    /// Whether an activity id was accepted before.
    pub async fn is_seen(&self, activity_id: &str) -> Result<bool> {
        let id = activity_id.to_owned();
        self.unblock(move |db| Ok(db.t.seen.contains_key(id.as_bytes())?))
            .await
    }

    /// Keeps a Flag (report) for the operator; returns its sequence number.
    pub async fn record_flag(&self, actor: &str, activity: &serde_json::Value) -> Result<u64> {
        self.append_report(Log::Flags, actor, activity).await
    }

    /// Flag reports oldest first, after sequence number `after`.
    pub async fn flags_page(&self, after: Option<u64>, limit: usize) -> Result<Vec<Report>> {
        self.reports_page(Log::Flags, after, limit).await
    }

    /// Removes a handled Flag report. True if it was there.
    pub async fn remove_flag(&self, seq: u64) -> Result<bool> {
        self.remove_report(Log::Flags, seq).await
    }

    /// Keeps an inbound activity (Create, Update, Delete…) for bridging later; returns its
    /// sequence number.
    pub async fn record_inbound(&self, actor: &str, activity: &serde_json::Value) -> Result<u64> {
        self.append_report(Log::Inbound, actor, activity).await
    }

    /// Inbound activities oldest first, after sequence number `after`.
    pub async fn inbound_page(&self, after: Option<u64>, limit: usize) -> Result<Vec<Report>> {
        self.reports_page(Log::Inbound, after, limit).await
    }

    /// Removes an inbound activity once it is bridged. True if it was there.
    pub async fn remove_inbound(&self, seq: u64) -> Result<bool> {
        self.remove_report(Log::Inbound, seq).await
    }

    async fn append_report(
        &self,
        log: Log,
        actor: &str,
        activity: &serde_json::Value,
    ) -> Result<u64> {
        check_part("actor id", actor)?;
        let report = Report {
            seq: 0,
            received_ms: now_ms(),
            actor: actor.to_owned(),
            activity: activity.clone(),
        };
        let value = encode(log.name(), &report)?;
        self.unblock(move |db| {
            let seq = db.db.generate_id()?;
            log.tree(db).insert(seq.to_be_bytes(), value)?;
            Ok(seq)
        })
        .await
    }

    async fn reports_page(
        &self,
        log: Log,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Report>> {
        let start = after.map_or(0, |a| a.saturating_add(1));
        if after == Some(u64::MAX) {
            return Ok(Vec::new());
        }
        self.unblock(move |db| {
            log.tree(db)
                .range(start.to_be_bytes()..)
                .take(limit)
                .map(|kv| {
                    let (k, v) = kv?;
                    let mut r: Report = decode(log.name(), &k, &v)?;
                    r.seq = suffix_u64(log.name(), &k)?;
                    Ok(r)
                })
                .collect()
        })
        .await
    }

    async fn remove_report(&self, log: Log, seq: u64) -> Result<bool> {
        self.unblock(move |db| Ok(log.tree(db).remove(seq.to_be_bytes())?.is_some()))
            .await
    }
}

/// The two seq-keyed logs of reports.
#[derive(Clone, Copy)]
enum Log {
    Flags,
    Inbound,
}

impl Log {
    fn name(self) -> &'static str {
        match self {
            Log::Flags => name::FLAGS,
            Log::Inbound => name::INBOUND,
        }
    }

    fn tree(self, db: &Inner) -> &sled::Tree {
        match self {
            Log::Flags => &db.t.flags,
            Log::Inbound => &db.t.inbound,
        }
    }
}
