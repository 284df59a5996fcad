//! Puppets from lookups: `GET /api/lookup?address=alice@gs.example` and
//! `ostatus-bridge lookup alice@gs.example` both call [`ensure_puppet`], which discovers the
//! legacy account, names its puppet with the reversible handle (`alice_at_gs.example`), and
//! stores the puppet, its RSA key pair and the remote identity the first time.
//!
//! What discovery found is kept in the puppet's `profile` as a small JSON record
//! ([`StoredProfile`]), so the actor, WebFinger and the lookup answer are rebuilt from the store
//! without asking the legacy server again.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use warp::http::StatusCode;

use super::errors::Status;
use super::state::App;
use crate::codec::as2;
use crate::crypto::{KeyError, KeyPair as RsaKeyPair};
use crate::identity::discover::{self, DiscoverError, Endpoints, Identity, Protocol};
use crate::identity::{Address, HandleError};
use crate::model::{Activity, Actor, Document, Node, ObjectType};
use crate::net::{FetchError, Refused};
use crate::store::{self, KeyPair, Puppet, PuppetKind, StoreError};

/// Why a lookup failed; each maps to the status `GET /api/lookup` answers with.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// Not an address or URL (400).
    #[error("{0}")]
    BadAddress(String),
    /// The address cannot be written as a handle (400).
    #[error(transparent)]
    Handle(#[from] HandleError),
    /// Nothing was found for it (404).
    #[error("{0}")]
    NotFound(String),
    /// The operator's policy refuses the host (403).
    #[error("refused: {0}")]
    Refused(Refused),
    /// The remote server failed or answered nonsense (502).
    #[error("remote failure: {0}")]
    Remote(DiscoverError),
    /// Another puppet already mirrors this source or feed (409).
    #[error("{0}")]
    Conflict(StoreError),
    /// The store failed (500).
    #[error("store: {0}")]
    Store(StoreError),
    /// No key pair could be made (500).
    #[error("key generation: {0}")]
    Key(String),
}

impl Status for LookupError {
    fn status(&self) -> StatusCode {
        match self {
            LookupError::BadAddress(_) | LookupError::Handle(_) => StatusCode::BAD_REQUEST,
            LookupError::NotFound(_) => StatusCode::NOT_FOUND,
            LookupError::Refused(_) => StatusCode::FORBIDDEN,
            LookupError::Remote(_) => StatusCode::BAD_GATEWAY,
            LookupError::Conflict(_) => StatusCode::CONFLICT,
            LookupError::Store(_) | LookupError::Key(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for LookupError {
    fn from(e: StoreError) -> Self {
        if e.is_conflict() {
            LookupError::Conflict(e)
        } else {
            LookupError::Store(e)
        }
    }
}

impl From<DiscoverError> for LookupError {
    fn from(e: DiscoverError) -> Self {
        match e {
            DiscoverError::BadInput(_) => LookupError::BadAddress(e.to_string()),
            DiscoverError::Handle(h) => LookupError::Handle(h),
            DiscoverError::NothingFound(_) => LookupError::NotFound(e.to_string()),
            DiscoverError::Fetch {
                source: FetchError::Refused(r),
                ..
            } => LookupError::Refused(r),
            DiscoverError::Fetch {
                source: FetchError::Status { status, .. },
                ..
            } if status == StatusCode::NOT_FOUND || status == StatusCode::GONE => {
                LookupError::NotFound(e.to_string())
            }
            other => LookupError::Remote(other),
        }
    }
}

/// What discovery found, as kept in [`Puppet::profile`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredProfile {
    /// The canonical id of the legacy account.
    pub id: String,
    /// Its other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What it speaks.
    #[serde(default)]
    pub protocols: Vec<Protocol>,
    /// Where it lives.
    #[serde(default)]
    pub endpoints: Endpoints,
    /// Its Salmon key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magic_key: Option<String>,
    /// Its feed's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_title: Option<String>,
    /// The profile (name, bio, avatar) as AS2 JSON, the codec's own round-trippable form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Value>,
}

impl StoredProfile {
    fn of(identity: &Identity) -> StoredProfile {
        let actor = identity.profile.as_ref().map(|a| {
            as2::encode_value(&Document::Activity(Activity {
                implied: true,
                object: Some(Box::new(Node::Actor(a.clone()))),
                ..Activity::default()
            }))
        });
        StoredProfile {
            id: identity.id.clone(),
            aliases: identity.aliases.clone(),
            protocols: identity.protocols.clone(),
            endpoints: identity.endpoints.clone(),
            magic_key: identity.magic_key.clone(),
            feed_title: identity.feed_title.clone(),
            actor,
        }
    }

    /// The record of a stored puppet (an empty one, with the source as id, if unreadable).
    pub fn from_puppet(puppet: &Puppet) -> StoredProfile {
        serde_json::from_value(puppet.profile.clone()).unwrap_or_else(|e| {
            tracing::warn!(handle = %puppet.handle, error = %e, "unreadable puppet profile");
            StoredProfile {
                id: puppet.source.clone(),
                aliases: Vec::new(),
                protocols: Vec::new(),
                endpoints: Endpoints::default(),
                magic_key: None,
                feed_title: None,
                actor: None,
            }
        })
    }

    /// The discovered identity again, for [`crate::puppet::actor`].
    pub fn to_identity(&self, puppet: &Puppet, limits: &crate::codec::Limits) -> Identity {
        let profile: Option<Actor> = self.actor.as_ref().and_then(|v| {
            match as2::decode_value(v, limits) {
                Ok(Document::Activity(a)) => match a.object.map(|o| *o) {
                    Some(Node::Actor(actor)) => Some(actor),
                    _ => None,
                },
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(handle = %puppet.handle, error = %e, "stored profile does not decode");
                    None
                }
            }
        });
        Identity {
            address: Address::from_handle(&puppet.handle).ok(),
            id: self.id.clone(),
            aliases: self.aliases.clone(),
            protocols: self.protocols.clone(),
            endpoints: self.endpoints.clone(),
            magic_key: self.magic_key.clone(),
            kind: match puppet.kind {
                PuppetKind::Person => ObjectType::Person,
                PuppetKind::Service => ObjectType::Service,
                PuppetKind::Group => ObjectType::Group,
            },
            profile,
            feed_title: self.feed_title.clone(),
        }
    }
}

/// A puppet as the lookup answers it.
#[derive(Debug, Clone)]
pub struct PuppetView {
    /// The puppet's local handle (`alice_at_gs.example`).
    pub handle: String,
    /// `handle@bridge-host`, what a fediverse user types.
    pub account: String,
    /// The actor URL.
    pub actor: String,
    /// The puppet's key id.
    pub key_id: String,
    /// The puppet's public key (SPKI PEM).
    pub public_key_pem: String,
    /// The legacy address it mirrors.
    pub address: String,
    /// What discovery found.
    pub profile: StoredProfile,
    /// True when this lookup made the puppet.
    pub created: bool,
}

impl PuppetView {
    /// The JSON `GET /api/lookup` and `ostatus-bridge lookup` print.
    pub fn to_json(&self) -> Value {
        json!({
            "handle": self.account,
            "actor": self.actor,
            "protocols": self.profile.protocols,
            "endpoints": self.profile.endpoints,
            "keys": {
                "key_id": self.key_id,
                "public_key_pem": self.public_key_pem,
                "source_magic_key": self.profile.magic_key,
            },
            "source": {
                "address": self.address,
                "id": self.profile.id,
                "aliases": self.profile.aliases,
            },
            "created": self.created,
        })
    }
}

/// Finds or makes the puppet of a legacy account (`user@host`, `acct:user@host`, or a URL
/// whose discovery yields an address). A puppet already stored is answered from the store
/// without asking the remote server.
pub async fn ensure_puppet(app: &App, input: &str) -> Result<PuppetView, LookupError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(LookupError::BadAddress("address is missing".into()));
    }
    let is_url = input.starts_with("http://") || input.starts_with("https://");
    if !is_url {
        let address = Address::parse(input)?;
        let handle = address.to_handle()?;
        app.fetcher
            .policy()
            .check_host(&address.host)
            .map_err(LookupError::Refused)?;
        if let Some(p) = app.store.get_puppet_by_handle(&handle).await? {
            return view(app, &p, false).await;
        }
    }
    let identity = discover::discover(&app.fetcher, input, &app.limits()).await?;
    let address = identity.address.clone().ok_or_else(|| {
        LookupError::BadAddress(format!(
            "{input:?} has no user@host address, so its puppet cannot be named"
        ))
    })?;
    let handle = address.to_handle()?;
    if let Some(p) = app.store.get_puppet_by_handle(&handle).await? {
        return view(app, &p, false).await;
    }
    keypair(app, &handle).await?;
    app.store.put_identity(&remote_identity(&identity)).await?;
    let profile = StoredProfile::of(&identity);
    // An ActivityPub account's puppet is found again by its actor id, which is what every
    // activity it sends names; a legacy account's by its address.
    let source = match (super::face::face(&profile), &identity.endpoints.actor) {
        (super::face::Face::OStatus, Some(actor)) => actor.clone(),
        _ => address.acct(),
    };
    let puppet = Puppet {
        handle: handle.clone(),
        kind: match identity.kind {
            ObjectType::Group => PuppetKind::Group,
            ObjectType::Service => PuppetKind::Service,
            _ => PuppetKind::Person,
        },
        source,
        feed_url: identity.endpoints.feed.clone(),
        profile: serde_json::to_value(&profile).map_err(|e| {
            LookupError::Store(StoreError::Encode {
                tree: "handle-puppet",
                reason: e.to_string(),
            })
        })?,
        created_ms: store::now_ms(),
    };
    app.store.put_puppet(&puppet).await?;
    app.store.durable().await?;
    tracing::info!(%handle, source = ?puppet.source, "puppet created");
    view(app, &puppet, true).await
}

/// Asks the legacy (or AP) account again and stores what discovery finds now in the puppet's
/// profile (a profile update, a moved feed); returns the handle.
pub async fn refresh_puppet(app: &App, handle: &str) -> Result<String, LookupError> {
    let mut puppet = app
        .store
        .get_puppet_by_handle(handle)
        .await?
        .ok_or_else(|| LookupError::NotFound(format!("no puppet {handle}")))?;
    let source = puppet
        .source
        .strip_prefix("acct:")
        .unwrap_or(&puppet.source)
        .to_string();
    let identity = discover::discover(&app.fetcher, &source, &app.limits()).await?;
    puppet.profile = serde_json::to_value(StoredProfile::of(&identity)).map_err(|e| {
        LookupError::Store(StoreError::Encode {
            tree: "handle-puppet",
            reason: e.to_string(),
        })
    })?;
    if identity.endpoints.feed.is_some() {
        puppet.feed_url = identity.endpoints.feed.clone();
    }
    app.store.put_puppet(&puppet).await?;
    app.store
        .put_identity(&remote_identity(&identity))
        .await
        .or_else(|e| if e.is_conflict() { Ok(()) } else { Err(e) })?;
    tracing::info!(%handle, "puppet profile refreshed");
    Ok(puppet.handle)
}

/// The puppet's key pair, made (on the blocking pool: RSA-2048 takes a while) when missing.
/// The first pair stored wins a race, so every caller signs with the same key.
pub async fn keypair(app: &App, handle: &str) -> Result<KeyPair, LookupError> {
    if let Some(k) = app.store.get_keypair(handle).await? {
        return Ok(k);
    }
    let made = tokio::task::spawn_blocking(|| -> Result<KeyPair, KeyError> {
        let k = RsaKeyPair::generate()?;
        Ok(KeyPair {
            private_pkcs8_der: k.to_pkcs8_der()?,
            public_pem: k.public_key().to_spki_pem()?,
        })
    })
    .await
    .map_err(|e| LookupError::Key(e.to_string()))?
    .map_err(|e| LookupError::Key(e.to_string()))?;
    Ok(app.store.put_keypair(handle, &made).await?)
}

/// The remote account as the store keeps identities.
fn remote_identity(identity: &Identity) -> store::Identity {
    let protocol = if identity.protocols.contains(&Protocol::OStatus) {
        store::Protocol::OStatus
    } else if identity.protocols.contains(&Protocol::PumpIo) {
        store::Protocol::Pump
    } else if identity.protocols.contains(&Protocol::ActivityPub) {
        store::Protocol::ActivityPub
    } else {
        store::Protocol::OStatus
    };
    let e = &identity.endpoints;
    if protocol == store::Protocol::ActivityPub
        && let Some(actor_id) = &e.actor
    {
        // Keyed by actor id, as the inbox caches signers, so its key is already known.
        let mut out = store::Identity::new(actor_id.clone(), protocol, store::now_ms());
        if let Some(actor) = &identity.profile {
            out.inbox = actor.endpoints.inbox.clone();
            out.shared_inbox = actor.endpoints.shared_inbox.clone();
            out.outbox = actor.endpoints.outbox.clone();
            // Only a key the actor owns on its own host is cached: a key id naming another
            // host would let this actor's document speak for that host's accounts.
            if let Some(k) = &actor.public_key
                && k.owner == *actor_id
                && store::host_of(&k.id) == store::host_of(actor_id)
            {
                out.key_id = Some(k.id.clone());
                out.public_key_pem = Some(k.pem.clone());
            }
        }
        return out;
    }
    let mut out = store::Identity::new(identity.id.clone(), protocol, store::now_ms());
    out.inbox = e.pump_inbox.clone();
    out.outbox = e.pump_outbox.clone();
    out.feed = e.feed.clone();
    out.salmon = e.salmon.clone();
    out.hub = e.hub.clone();
    out.magic_key = identity.magic_key.clone();
    out
}

async fn view(app: &App, puppet: &Puppet, created: bool) -> Result<PuppetView, LookupError> {
    let key = keypair(app, &puppet.handle).await?;
    let h = &puppet.handle;
    Ok(PuppetView {
        handle: h.clone(),
        account: format!("{h}@{}", app.urls.authority()),
        actor: app.urls.actor(h),
        key_id: app.urls.key_id(h),
        public_key_pem: key.public_pem,
        address: Address::from_handle(h)
            .map(|a| a.to_string())
            .unwrap_or_else(|_| puppet.source.clone()),
        profile: StoredProfile::from_puppet(puppet),
        created,
    })
}

/// Query of `GET /api/lookup`.
#[derive(Debug, Deserialize)]
pub(super) struct LookupQuery {
    address: Option<String>,
}

/// `GET /api/lookup?address=…`.
pub(super) async fn lookup_route(app: &App, q: LookupQuery) -> warp::reply::Response {
    match ensure_puppet(app, q.address.as_deref().unwrap_or_default()).await {
        Ok(v) => super::errors::json_reply(&v.to_json(), "application/json"),
        Err(e) => super::errors::error_reply(&e),
    }
}
