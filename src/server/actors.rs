//! The puppets' ActivityPub documents: the actor (content-negotiated: browsers are sent to
//! the legacy profile page), the outbox, followers and following collections with their
//! pages, and each outbox entry at its own URL ([`crate::puppet::BridgeUrls::activity`]).
//!
//! Collections follow Mastodon's shape: the collection has `totalItems` and `first`; pages are
//! `?page=true`, continued with `max_id=<seq>` (outbox, newest first) or
//! `after=<actor id>` (followers, in actor-id order).

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use warp::Reply;
use warp::http::StatusCode;
use warp::reply::Response;

use super::errors::{ACTIVITY_JSON, Status, StoreFailure, error_reply, json_reply, plain};
use super::lookup::StoredProfile;
use super::state::App;
use crate::codec::as2;
use crate::identity::discover::Identity;
use crate::model::{Activity, Document, Node};
use crate::store::{KeyPair, Puppet};

/// Items per collection page.
pub const PAGE_SIZE: usize = 20;

/// A puppet with its key pair: everything its documents are made from.
#[derive(Debug, Clone)]
pub struct PuppetRecord {
    /// The stored puppet.
    pub puppet: Puppet,
    /// Its key pair.
    pub keys: KeyPair,
}

impl PuppetRecord {
    /// The legacy account as discovery found it.
    pub fn identity(&self, app: &App) -> Identity {
        StoredProfile::from_puppet(&self.puppet).to_identity(&self.puppet, &app.limits())
    }
}

/// The puppet `handle` and its keys; `None` when there is no such puppet.
pub async fn load(app: &App, handle: &str) -> Result<Option<PuppetRecord>, StoreFailure> {
    let Some(puppet) = app.store.get_puppet_by_handle(handle).await? else {
        return Ok(None);
    };
    let Some(keys) = app.store.get_keypair(handle).await? else {
        tracing::warn!(%handle, "puppet without a key pair");
        return Ok(None);
    };
    Ok(Some(PuppetRecord { puppet, keys }))
}

/// The AS2 actor document of a puppet, with `@context`.
pub fn actor_document(app: &App, record: &PuppetRecord) -> Value {
    let identity = record.identity(app);
    let actor = crate::puppet::actor(
        &identity,
        &record.puppet.handle,
        &app.urls,
        &record.keys.public_pem,
    );
    as2::encode_value(&Document::Activity(Activity {
        implied: true,
        object: Some(Box::new(Node::Actor(actor))),
        ..Activity::default()
    }))
}

/// Why a puppet document could not be served.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// No such puppet or entry (404).
    #[error("{0} not found")]
    NotFound(String),
    /// A page cursor that does not parse (400).
    #[error("{0}")]
    BadCursor(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreFailure),
}

impl Status for DocumentError {
    fn status(&self) -> StatusCode {
        match self {
            DocumentError::NotFound(_) => StatusCode::NOT_FOUND,
            DocumentError::BadCursor(_) => StatusCode::BAD_REQUEST,
            DocumentError::Store(e) => e.status(),
        }
    }
}

impl From<crate::store::StoreError> for DocumentError {
    fn from(e: crate::store::StoreError) -> Self {
        DocumentError::Store(StoreFailure(e))
    }
}

/// How a client wants a puppet's URL answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wants {
    /// ActivityPub JSON (also the default for clients that say nothing).
    Json,
    /// A web page: redirect to the legacy profile.
    Html,
}

fn negotiate(accept: Option<&str>) -> Wants {
    let Some(a) = accept.map(str::to_ascii_lowercase) else {
        return Wants::Json;
    };
    if a.contains("activity+json") || a.contains("ld+json") || a.contains("application/json") {
        Wants::Json
    } else if a.contains("text/html") || a.contains("application/xhtml") {
        Wants::Html
    } else {
        Wants::Json
    }
}

async fn record_or_404(app: &App, handle: &str) -> Result<PuppetRecord, DocumentError> {
    load(app, handle)
        .await?
        .ok_or_else(|| DocumentError::NotFound(format!("puppet {handle:?}")))
}

/// `GET /users/<handle>`.
pub(super) async fn actor_route(app: &App, handle: &str, accept: Option<&str>) -> Response {
    let record = match record_or_404(app, handle).await {
        Ok(r) => r,
        Err(e) => return error_reply(&e),
    };
    if super::face::face_of(&record.puppet) == super::face::Face::OStatus
        && let Some(to) = ostatus_redirect(app, handle, accept)
    {
        return to;
    }
    if negotiate(accept) == Wants::Html
        && let Some(page) = record.identity(app).endpoints.profile
        && let Ok(uri) = page.parse::<warp::http::Uri>()
    {
        return warp::redirect::see_other(uri).into_response();
    }
    json_reply(&actor_document(app, &record), ACTIVITY_JSON)
}

/// An OStatus-face puppet's URL (its Atom author `uri`) leads legacy clients on: Atom to
/// the feed, browsers to the bridge's profile page, which links the feed.
fn ostatus_redirect(app: &App, handle: &str, accept: Option<&str>) -> Option<Response> {
    let a = accept?.to_ascii_lowercase();
    let to = if a.contains("application/atom+xml") && !a.contains("activity+json") {
        app.urls.feed(handle)
    } else if negotiate(Some(&a)) == Wants::Html {
        app.urls.profile_page(handle)
    } else {
        return None;
    };
    let uri = to.parse::<warp::http::Uri>().ok()?;
    Some(warp::redirect::see_other(uri).into_response())
}

/// Which collection of a puppet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Collection {
    /// Its entries, newest first.
    Outbox,
    /// Who follows it.
    Followers,
    /// Whom it follows (nobody yet: puppets follow through their legacy account).
    Following,
}

impl Collection {
    fn url(self, app: &App, handle: &str) -> String {
        match self {
            Collection::Outbox => app.urls.outbox(handle),
            Collection::Followers => app.urls.followers(handle),
            Collection::Following => app.urls.following(handle),
        }
    }
}

fn with_context(mut body: Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert(
        "@context".into(),
        Value::String("https://www.w3.org/ns/activitystreams".into()),
    );
    out.append(&mut body);
    Value::Object(out)
}

fn page_url(base: &str, cursor: Option<(&str, &str)>) -> String {
    match cursor {
        Some((k, v)) => {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            s.append_pair("page", "true").append_pair(k, v);
            format!("{base}?{}", s.finish())
        }
        None => format!("{base}?page=true"),
    }
}

/// `GET /users/<handle>/{outbox,followers,following}[?page=true&…]`.
pub(super) async fn collection_route(
    app: &App,
    handle: &str,
    which: Collection,
    q: &HashMap<String, String>,
) -> Response {
    match collection(app, handle, which, q).await {
        Ok(v) => json_reply(&v, ACTIVITY_JSON),
        Err(e) => error_reply(&e),
    }
}

async fn collection(
    app: &App,
    handle: &str,
    which: Collection,
    q: &HashMap<String, String>,
) -> Result<Value, DocumentError> {
    record_or_404(app, handle).await?;
    let id = which.url(app, handle);
    let store = &app.store;
    let total = match which {
        Collection::Outbox => store.entry_count(handle).await?,
        Collection::Followers => store.follower_count(handle).await?,
        Collection::Following => 0,
    };
    if q.get("page").map(String::as_str) != Some("true") {
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert("type".into(), json!("OrderedCollection"));
        m.insert("totalItems".into(), json!(total));
        m.insert("first".into(), json!(page_url(&id, None)));
        return Ok(with_context(m));
    }
    let (items, next): (Vec<Value>, Option<String>) = match which {
        Collection::Outbox => {
            let before = q
                .get("max_id")
                .map(|s| {
                    s.parse::<u64>().map_err(|_| {
                        DocumentError::BadCursor(format!("max_id {s:?} is not a number"))
                    })
                })
                .transpose()?;
            let entries = store.outbox_page(handle, before, PAGE_SIZE).await?;
            let next = (entries.len() == PAGE_SIZE)
                .then(|| entries.last().map(|e| e.seq.to_string()))
                .flatten()
                .map(|s| page_url(&id, Some(("max_id", &s))));
            let items = entries
                .into_iter()
                .map(|e| {
                    let mut a = e.activity;
                    if let Value::Object(m) = &mut a {
                        m.remove("@context");
                        m.entry("id")
                            .or_insert_with(|| json!(app.urls.activity(handle, e.seq)));
                    }
                    a
                })
                .collect();
            (items, next)
        }
        Collection::Followers => {
            let after = q.get("after").map(String::as_str);
            let page = store.followers_page(handle, after, PAGE_SIZE).await?;
            let next = (page.len() == PAGE_SIZE)
                .then(|| page.last().map(|f| f.actor.clone()))
                .flatten()
                .map(|a| page_url(&id, Some(("after", &a))));
            (page.into_iter().map(|f| json!(f.actor)).collect(), next)
        }
        Collection::Following => (Vec::new(), None),
    };
    let this = {
        let cursor = q
            .get("max_id")
            .map(|v| ("max_id", v.as_str()))
            .or_else(|| q.get("after").map(|v| ("after", v.as_str())));
        page_url(&id, cursor)
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(this));
    m.insert("type".into(), json!("OrderedCollectionPage"));
    m.insert("partOf".into(), json!(id));
    m.insert("totalItems".into(), json!(total));
    if let Some(n) = next {
        m.insert("next".into(), json!(n));
    }
    m.insert("orderedItems".into(), Value::Array(items));
    Ok(with_context(m))
}

/// `GET /users/<handle>/entries/<seq>`: one published activity.
pub(super) async fn entry_route(app: &App, handle: &str, seq: &str) -> Response {
    let Ok(seq) = seq.parse::<u64>() else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    match app.store.get_entry(handle, seq).await {
        Ok(Some(mut a)) => {
            if let Value::Object(m) = &mut a {
                m.entry("id")
                    .or_insert_with(|| json!(app.urls.activity(handle, seq)));
            }
            json_reply(&a, ACTIVITY_JSON)
        }
        Ok(None) => error_reply(&DocumentError::NotFound(format!("entry {seq}"))),
        Err(e) => error_reply(&DocumentError::from(e)),
    }
}

/// `GET /legacy/<percent-encoded legacy id>`: an id the translate layer minted
/// ([`crate::translate::ids::IdMinter`]). A bridged object is served as the newest entry of
/// its puppet's outbox holds it (a deleted one as its Tombstone, with 410 Gone, as Mastodon
/// answers); a legacy account with a puppet is redirected to the puppet's actor.
pub(super) async fn legacy_route(app: &App, path: &str) -> Response {
    let minted = format!("{}{path}", app.urls.base());
    match app.store.object_by_id(&minted).await {
        Ok(Some(found)) => return object_reply(found.activity),
        Ok(None) => {}
        Err(e) => return error_reply(&DocumentError::from(e)),
    }
    let legacy = url::Url::parse(app.urls.base())
        .ok()
        .and_then(|base| crate::translate::ids::IdMinter::new(&base).unmint(&minted));
    let Some(legacy) = legacy else {
        return error_reply(&DocumentError::NotFound(format!("{minted:?}")));
    };
    match app.store.get_puppet_by_source(&legacy).await {
        Ok(Some(p)) => match app.urls.actor(&p.handle).parse::<warp::http::Uri>() {
            Ok(uri) => warp::redirect::found(uri).into_response(),
            Err(_) => error_reply(&DocumentError::NotFound(format!("{legacy:?}"))),
        },
        Ok(None) => error_reply(&DocumentError::NotFound(format!(
            "{legacy:?} names no object or account this bridge has bridged"
        ))),
        Err(e) => error_reply(&DocumentError::from(e)),
    }
}

/// The object of a stored activity, with the activity's `@context`.
fn object_reply(activity: Value) -> Response {
    let Value::Object(mut a) = activity else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let Some(Value::Object(mut object)) = a.remove("object") else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    if let Some(ctx) = a.remove("@context") {
        object.insert("@context".into(), ctx);
    }
    let gone = object.get("type").and_then(Value::as_str) == Some("Tombstone");
    let mut r = json_reply(&Value::Object(object), ACTIVITY_JSON);
    if gone {
        *r.status_mut() = StatusCode::GONE;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_json_and_sends_browsers_away() {
        for json in [
            None,
            Some("application/activity+json"),
            Some("application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""),
            Some("application/json"),
            Some("*/*"),
            Some("text/html, application/activity+json"),
        ] {
            assert_eq!(negotiate(json), Wants::Json, "{json:?}");
        }
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(negotiate(Some(firefox)), Wants::Html);
    }

    #[test]
    fn page_urls_escape_their_cursor() {
        assert_eq!(page_url("https://b/x", None), "https://b/x?page=true");
        assert_eq!(
            page_url("https://b/x", Some(("after", "https://p/u?a=1&b"))),
            "https://b/x?page=true&after=https%3A%2F%2Fp%2Fu%3Fa%3D1%26b"
        );
    }
}
