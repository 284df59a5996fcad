//! Signers' keys for the inbox: the store's identity cache first, else the key document (or
//! actor) fetched with the guarded [`Fetcher`](crate::net::Fetcher).
//!
//! A fetched key is not cached at once: it is held in [`FetchingKeys::fetched`] and the inbox
//! stores it only after the request verified, so a refused request leaves nothing behind.
//! The actor document must come from the key's own host, and a standalone key document's
//! owner must list the same key, so a server cannot vouch for keys of actors elsewhere.

use std::sync::Mutex;

use serde_json::Value;
use url::Url;

use super::state::App;
use crate::httpsig::{Fetch, FoundKey, KeyLookup, LookupError, key_from_document};
use crate::net::{Accept, FetchError};
use crate::store::{self, Identity, Protocol};

/// A [`KeyLookup`] over the store and the network, remembering what it fetched.
pub struct FetchingKeys<'a> {
    app: &'a App,
    fetched: Mutex<Option<Identity>>,
}

impl<'a> FetchingKeys<'a> {
    /// A lookup for one request.
    pub fn new(app: &'a App) -> FetchingKeys<'a> {
        FetchingKeys {
            app,
            fetched: Mutex::new(None),
        }
    }

    /// The identity fetched during verification, to store once the request is accepted.
    pub fn fetched(&self) -> Option<Identity> {
        self.fetched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    async fn cached(&self, key_id: &str) -> Result<Option<FoundKey>, LookupError> {
        let found = self
            .app
            .store
            .identity_for_key_id(key_id)
            .await
            .map_err(|e| LookupError::Unavailable(format!("store: {e}")))?;
        let Some(identity) = found else {
            return Ok(None);
        };
        let Some(pem) = identity.public_key_pem.as_deref() else {
            return Ok(None);
        };
        match crate::crypto::PublicKey::from_pem(pem) {
            Ok(key) => Ok(Some(FoundKey {
                key,
                owner: identity.id.clone(),
                fresh: false,
            })),
            Err(e) => {
                tracing::warn!(key_id = ?key_id, error = %e, "cached key does not read; refetching");
                Ok(None)
            }
        }
    }

    async fn get_json(&self, url: &Url) -> Result<(Url, Value), LookupError> {
        let fetched = self
            .app
            .fetcher
            .get(url, Accept::ActivityJson, &[])
            .await
            .map_err(|e| match e {
                FetchError::Status { status, .. }
                    if status.as_u16() == 404 || status.as_u16() == 410 =>
                {
                    LookupError::NotFound
                }
                other => LookupError::Unavailable(other.to_string()),
            })?;
        let doc = crate::codec::json::parse_object(&fetched.body, &self.app.limits())
            .map_err(|e| LookupError::Unavailable(format!("{url}: {e}")))?;
        Ok((fetched.url, Value::Object(doc)))
    }

    async fn fetch(&self, key_id: &str) -> Result<FoundKey, LookupError> {
        let url = Url::parse(key_id)
            .map_err(|e| LookupError::Unavailable(format!("key id is not a URL: {e}")))?;
        let key_host = store::host_of(key_id)
            .ok_or_else(|| LookupError::Unavailable("key id has no host".into()))?;
        let (from, doc) = self.get_json(&url).await?;
        let key =
            key_from_document(&doc, key_id).map_err(|e| LookupError::Unavailable(e.to_string()))?;
        let same_host = |id: &str| store::host_of(id).as_deref() == Some(key_host.as_str());
        if !same_host(&key.owner) || !same_host(from.as_str()) {
            return Err(LookupError::Unavailable(format!(
                "key owner {} is not on the key's host {key_host}",
                key.owner
            )));
        }
        let actor_doc = if doc.get("id").and_then(Value::as_str) == Some(key.owner.as_str()) {
            doc
        } else {
            let owner = Url::parse(&key.owner)
                .map_err(|e| LookupError::Unavailable(format!("key owner is not a URL: {e}")))?;
            let (_, actor) = self.get_json(&owner).await?;
            let listed = key_from_document(&actor, key_id)
                .map_err(|e| LookupError::Unavailable(format!("owner {}: {e}", key.owner)))?;
            if listed.key != key.key || listed.owner != key.owner {
                return Err(LookupError::Unavailable(format!(
                    "owner {} does not list key {key_id}",
                    key.owner
                )));
            }
            actor
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let mut identity = Identity::new(key.owner.clone(), Protocol::ActivityPub, store::now_ms());
        identity.inbox = text(actor_doc.get("inbox"));
        identity.outbox = text(actor_doc.get("outbox"));
        identity.shared_inbox = text(
            actor_doc
                .get("endpoints")
                .and_then(|e| e.get("sharedInbox")),
        );
        identity.key_id = Some(key_id.to_string());
        identity.public_key_pem = Some(
            key.key
                .to_spki_pem()
                .map_err(|e| LookupError::Unavailable(e.to_string()))?,
        );
        *self.fetched.lock().unwrap_or_else(|e| e.into_inner()) = Some(identity);
        Ok(FoundKey {
            key: key.key,
            owner: key.owner,
            fresh: true,
        })
    }
}

impl KeyLookup for FetchingKeys<'_> {
    async fn lookup(&self, key_id: &str, fetch: Fetch) -> Result<FoundKey, LookupError> {
        if fetch == Fetch::Cached
            && let Some(found) = self.cached(key_id).await?
        {
            return Ok(found);
        }
        self.fetch(key_id).await
    }
}
