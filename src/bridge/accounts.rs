//! The puppets on both sides of an interaction: the ActivityPub face of a legacy account
//! (made by [`ensure_puppet`] from its address) and the OStatus face of an ActivityPub actor
//! (made from the actor's `preferredUsername@host`, then remembered by actor id).

use serde_json::{Map, Value};
use url::Url;

use super::BridgeError;
use crate::identity::Address;
use crate::net::Accept;
use crate::server::lookup::StoredProfile;
use crate::server::{App, ensure_puppet};
use crate::store::{self, Identity, Protocol, Puppet};

/// The legacy account's own id, the one its server knows it by: the feed author's URI when
/// discovery read one, else the WebFinger subject.
pub fn legacy_id(profile: &StoredProfile) -> String {
    profile
        .actor
        .as_ref()
        .and_then(|a| a.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| profile.id.clone())
}

/// True when the puppet mirrors an ActivityPub account (so it has the OStatus face).
pub fn is_ap_source(profile: &StoredProfile) -> bool {
    use crate::identity::discover::Protocol as P;
    profile.protocols.contains(&P::ActivityPub)
        && !profile
            .protocols
            .iter()
            .any(|p| matches!(p, P::OStatus | P::Feed | P::PumpIo))
}

/// The ActivityPub actor an OStatus-face puppet stands for.
pub fn source_actor(puppet: &Puppet) -> Option<String> {
    let profile = StoredProfile::from_puppet(puppet);
    profile
        .endpoints
        .actor
        .clone()
        .filter(|_| is_ap_source(&profile))
}

/// The puppet a bridge URL (actor, profile page or feed) names, when it is one of ours.
pub async fn puppet_of_url(app: &App, url: &str) -> Result<Option<Puppet>, BridgeError> {
    let handle = app.urls.handle_of(url).or_else(|| {
        url.strip_prefix(&format!("{}/@", app.urls.base()))
            .map(str::to_string)
    });
    let Some(h) = handle else {
        return Ok(None);
    };
    Ok(app.store.get_puppet_by_handle(&h).await?)
}

/// Fetches an ActivityPub actor document.
pub async fn actor_document(app: &App, actor: &str) -> Result<Map<String, Value>, BridgeError> {
    let url = Url::parse(actor)
        .map_err(|_| BridgeError::Malformed(format!("actor {actor:?} is not a URL")))?;
    let fetched = app
        .fetcher
        .get(&url, Accept::ActivityJson, &[])
        .await
        .map_err(|e| BridgeError::Remote(format!("actor {actor}: {e}")))?;
    crate::codec::json::parse_object(&fetched.body, &app.limits())
        .map_err(|e| BridgeError::Remote(format!("actor {actor}: {e}")))
}

/// Where to deliver to an ActivityPub actor: the cached identity, else the fetched actor
/// (cached afterwards, key included, so its signatures verify without another fetch).
pub async fn ap_identity(app: &App, actor: &str) -> Result<Identity, BridgeError> {
    if let Some(i) = app.store.get_identity(actor).await?
        && i.inbox.is_some()
    {
        return Ok(i);
    }
    let doc = actor_document(app, actor).await?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let mut identity = Identity::new(actor, Protocol::ActivityPub, store::now_ms());
    identity.inbox = text(doc.get("inbox"));
    identity.outbox = text(doc.get("outbox"));
    identity.shared_inbox = text(doc.get("endpoints").and_then(|e| e.get("sharedInbox")));
    if let Some(key) = doc.get("publicKey") {
        identity.key_id = text(key.get("id"));
        identity.public_key_pem = text(key.get("publicKeyPem"));
    }
    if identity.inbox.is_none() {
        return Err(BridgeError::Remote(format!("actor {actor} has no inbox")));
    }
    if let Err(e) = app.store.put_identity(&identity).await {
        if !e.is_conflict() {
            return Err(e.into());
        }
        tracing::warn!(actor = ?actor, error = %e, "actor's key id belongs to another actor; not cached");
    }
    Ok(identity)
}

/// The OStatus-face puppet of an ActivityPub actor, made on first need from the actor's
/// `preferredUsername` and host (WebFinger on that address leads back to the actor).
pub async fn reverse_puppet(app: &App, actor: &str) -> Result<String, BridgeError> {
    if let Some(h) = app.store.puppet_for_actor(actor).await? {
        return Ok(h);
    }
    if let Some(h) = app.urls.handle_of(actor) {
        return Err(BridgeError::Malformed(format!(
            "{actor} is the bridge's own puppet {h}, not an ActivityPub account"
        )));
    }
    let doc = actor_document(app, actor).await?;
    let user = doc
        .get("preferredUsername")
        .and_then(Value::as_str)
        .ok_or_else(|| BridgeError::Remote(format!("actor {actor} has no preferredUsername")))?;
    let url = Url::parse(actor)
        .map_err(|_| BridgeError::Malformed(format!("actor {actor:?} is not a URL")))?;
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => return Err(BridgeError::Malformed(format!("actor {actor} has no host"))),
    };
    let address = Address::parse(&format!("{user}@{host}"))
        .map_err(|e| BridgeError::Malformed(format!("actor {actor}: {e}")))?;
    let view = ensure_puppet(app, &address.to_string()).await?;
    app.store.map_actor_puppet(actor, &view.handle).await?;
    tracing::info!(actor = ?actor, handle = %view.handle, "OStatus face made for an ActivityPub actor");
    Ok(view.handle)
}
