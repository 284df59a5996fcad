//! Remote identities: where a remote actor's endpoints are and which key it signs with,
//! with the time they were fetched (so callers can refetch stale ones). A second tree maps
//! an HTTP-Signature `keyId` to its actor, for verifying without a fetch.

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError as Abort;

use super::codec::{check_part, decode, encode, utf8};
use super::{Result, Store, StoreError, name};

/// Which protocol family a remote peer (or a delivery) speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// ActivityPub (JSON-LD, HTTP Signatures).
    ActivityPub,
    /// OStatus (Atom, Salmon, WebSub).
    OStatus,
    /// Pump.io (AS1 JSON, Dialback).
    Pump,
    /// A WebSub content distribution (a delivery only: an Atom push to a hub subscriber's
    /// callback, signed with the subscription's secret).
    WebSub,
}

/// A remote actor as last fetched: its endpoints and public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The actor id (AP actor URL, OStatus profile URL or `acct:`).
    pub id: String,
    /// The protocol it speaks.
    pub protocol: Protocol,
    /// Personal inbox (AP, Pump).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<String>,
    /// Shared inbox (AP), preferred for fan-out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<String>,
    /// Outbox (AP, Pump).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<String>,
    /// Atom feed (OStatus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    /// Salmon endpoint (OStatus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salmon: Option<String>,
    /// WebSub hub of the feed (OStatus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    /// HTTP-Signature key id (AP `publicKey.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Public key PEM (AP `publicKeyPem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,
    /// Salmon magic public key (`RSA.n.e`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magic_key: Option<String>,
    /// When this was fetched, in Unix milliseconds.
    pub fetched_ms: u64,
}

impl Identity {
    /// An identity with only its id, protocol and fetch time; fill in the rest.
    pub fn new(id: impl Into<String>, protocol: Protocol, fetched_ms: u64) -> Identity {
        Identity {
            id: id.into(),
            protocol,
            inbox: None,
            shared_inbox: None,
            outbox: None,
            feed: None,
            salmon: None,
            hub: None,
            key_id: None,
            public_key_pem: None,
            magic_key: None,
            fetched_ms,
        }
    }
}

impl Store {
    /// Stores (or replaces) an identity and indexes its key id, in one transaction. A key id
    /// already claimed by another actor is a [`StoreError::Conflict`].
    pub async fn put_identity(&self, identity: &Identity) -> Result<()> {
        check_part("actor id", &identity.id)?;
        if let Some(k) = &identity.key_id {
            check_part("key id", k)?;
        }
        let value = encode(name::IDENTITIES, identity)?;
        let id = identity.id.clone();
        let key_id = identity.key_id.clone();
        self.unblock(move |db| {
            (&db.t.identities, &db.t.key_ids).transaction(|(ids, keys)| {
                if let Some(k) = &key_id
                    && let Some(owner) = keys.get(k.as_bytes())?
                    && owner.as_ref() != id.as_bytes()
                {
                    return Err(Abort::Abort(StoreError::Conflict {
                        what: "key id",
                        key: k.clone(),
                        existing: String::from_utf8_lossy(&owner).into_owned(),
                    }));
                }
                if let Some(old) = ids.get(id.as_bytes())? {
                    let old: Identity =
                        decode(name::IDENTITIES, id.as_bytes(), &old).map_err(Abort::Abort)?;
                    if let Some(old_key) = old.key_id.filter(|o| Some(o) != key_id.as_ref()) {
                        keys.remove(old_key.as_bytes())?;
                    }
                }
                if let Some(k) = &key_id {
                    keys.insert(k.as_bytes(), id.as_bytes())?;
                }
                ids.insert(id.as_bytes(), value.as_slice())?;
                Ok(())
            })?;
            Ok(())
        })
        .await
    }

    /// The identity last stored for an actor id.
    pub async fn get_identity(&self, id: &str) -> Result<Option<Identity>> {
        let id = id.to_owned();
        self.unblock(move |db| {
            db.t.identities
                .get(id.as_bytes())?
                .map(|v| decode(name::IDENTITIES, id.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// The identity whose key has this HTTP-Signature key id.
    pub async fn identity_for_key_id(&self, key_id: &str) -> Result<Option<Identity>> {
        let key_id = key_id.to_owned();
        self.unblock(move |db| {
            let Some(owner) = db.t.key_ids.get(key_id.as_bytes())? else {
                return Ok(None);
            };
            let owner = utf8(name::KEY_IDS, key_id.as_bytes(), &owner)?;
            db.t.identities
                .get(owner.as_bytes())?
                .map(|v| decode(name::IDENTITIES, owner.as_bytes(), &v))
                .transpose()
        })
        .await
    }

    /// Forgets an identity and its key id (an actor deleted itself). True if it was there.
    pub async fn remove_identity(&self, id: &str) -> Result<bool> {
        let id = id.to_owned();
        self.unblock(move |db| {
            let removed = (&db.t.identities, &db.t.key_ids).transaction(|(ids, keys)| {
                let Some(old) = ids.remove(id.as_bytes())? else {
                    return Ok(false);
                };
                let old: Identity =
                    decode(name::IDENTITIES, id.as_bytes(), &old).map_err(Abort::Abort)?;
                if let Some(k) = old.key_id
                    && keys
                        .get(k.as_bytes())?
                        .is_some_and(|o| o.as_ref() == id.as_bytes())
                {
                    keys.remove(k.as_bytes())?;
                }
                Ok(true)
            })?;
            Ok(removed)
        })
        .await
    }
}
