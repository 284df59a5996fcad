//! The id map: a legacy id (`tag:` URI, Pump `acct:`/URL id) ↔ the https id the bridge gave
//! it. Two trees, one per direction, always written together in one transaction, and never
//! changed once written: ids must stay stable for peers that stored them.

use sled::Transactional;
use sled::transaction::ConflictableTransactionError as Abort;

use super::codec::{check_part, utf8};
use super::{Inner, Result, Store, StoreError, name};

impl Store {
    /// Maps `legacy` ↔ `ap`, both directions in one transaction. `Ok(true)` when new,
    /// `Ok(false)` when exactly this pair is already there, [`StoreError::Conflict`] (and
    /// nothing written) when either id is already mapped to something else.
    pub async fn map_ids(&self, legacy: &str, ap: &str) -> Result<bool> {
        let pairs = vec![(legacy.to_owned(), ap.to_owned())];
        Ok(self.map_ids_batch(pairs).await? == 1)
    }

    /// Maps many pairs in one transaction (an archive import): all or none. Returns how many
    /// were new.
    pub async fn map_ids_batch(&self, pairs: Vec<(String, String)>) -> Result<usize> {
        for (legacy, ap) in &pairs {
            check_part("legacy id", legacy)?;
            check_part("ActivityPub id", ap)?;
        }
        self.unblock(move |db| map_pairs(db, &pairs)).await
    }

    /// The https id the bridge gave a legacy id.
    pub async fn ap_for_legacy(&self, legacy: &str) -> Result<Option<String>> {
        let legacy = legacy.to_owned();
        self.unblock(move |db| {
            db.t.legacy_ap
                .get(legacy.as_bytes())?
                .map(|v| utf8(name::LEGACY_AP, legacy.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// The legacy id behind an https id.
    pub async fn legacy_for_ap(&self, ap: &str) -> Result<Option<String>> {
        let ap = ap.to_owned();
        self.unblock(move |db| {
            db.t.ap_legacy
                .get(ap.as_bytes())?
                .map(|v| utf8(name::AP_LEGACY, ap.as_bytes(), &v))
                .transpose()
        })
        .await
    }
}

fn map_pairs(db: &Inner, pairs: &[(String, String)]) -> Result<usize> {
    let written = (&db.t.legacy_ap, &db.t.ap_legacy).transaction(|(fwd, rev)| {
        let mut new = 0;
        for (legacy, ap) in pairs {
            let to_ap = fwd.get(legacy.as_bytes())?;
            let to_legacy = rev.get(ap.as_bytes())?;
            if let Some(existing) = to_ap.as_ref().filter(|v| v.as_ref() != ap.as_bytes()) {
                return Err(Abort::Abort(conflict("legacy id", legacy, existing)));
            }
            if let Some(existing) = to_legacy
                .as_ref()
                .filter(|v| v.as_ref() != legacy.as_bytes())
            {
                return Err(Abort::Abort(conflict("ActivityPub id", ap, existing)));
            }
            if to_ap.is_none() || to_legacy.is_none() {
                fwd.insert(legacy.as_bytes(), ap.as_bytes())?;
                rev.insert(ap.as_bytes(), legacy.as_bytes())?;
                new += 1;
            }
        }
        Ok(new)
    })?;
    Ok(written)
}

fn conflict(what: &'static str, key: &str, existing: &[u8]) -> StoreError {
    StoreError::Conflict {
        what,
        key: key.to_owned(),
        existing: String::from_utf8_lossy(existing).into_owned(),
    }
}
