//! What ActivityPub users do, carried to legacy servers.
//!
//! - A Follow of a legacy account's puppet (accepted by the inbox) becomes a Salmon `follow`
//!   from the follower's OStatus face; its Undo an `unfollow`.
//! - A public post by an actor with an OStatus face joins that puppet's Atom feed and is pushed
//!   to the feed's hub subscribers; a post that mentions or answers legacy accounts is also
//!   slapped to each of them by Salmon (a non-public one only when `[bridge]
//!   allow_direct_salmon` is on, because GNU social ignores `mastodon:scope`).
//! - A Like or Announce of a bridged legacy post becomes a Salmon `favorite` / `share` to its
//!   author; their Undo `unfavorite` / `unshare`; a Delete a `delete` entry in the feed.
//! - An Accept or Reject of a Follow the bridge sent for a legacy account becomes Salmon
//!   `authorize` / `reject`, nesting the legacy request.
//! - An Update of the actor refreshes the puppet's profile (the feed's author).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::accounts::{self, is_ap_source};
use super::rewrite;
use super::{BridgeError, send_ap, send_salmon};
use crate::codec::json::id_of;
use crate::codec::{self, Format, as2};
use crate::model::{AS2_PUBLIC, Activity, Document, Node, Verb, VerbTerm};
use crate::server::App;
use crate::server::lookup::StoredProfile;
use crate::store::RelayState;
use crate::translate::{self, Context, IdMinter};

/// The `type` of an activity or object (the first one of an array).
fn type_of(v: &Value) -> Option<&str> {
    match v.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first().and_then(Value::as_str),
        _ => None,
    }
}

/// True when `activity` (or its object) is addressed to everyone, in `to` or `cc`.
pub fn is_public(activity: &Value) -> bool {
    let named = |v: &Value| {
        ["to", "cc"].iter().any(|f| match v.get(*f) {
            Some(Value::String(s)) => is_public_id(s),
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).any(is_public_id),
            _ => false,
        })
    };
    named(activity)
        || activity
            .get("object")
            .is_some_and(|o| o.is_object() && named(o))
}

fn is_public_id(s: &str) -> bool {
    s == AS2_PUBLIC || s == "as:Public" || s == "Public"
}

/// Mastodon's Undo names the undone activity; AS1 has a verb for each undo.
fn legacy_verbs(a: &mut Activity, peer: LegacyPeer) {
    if *a.verb() != Verb::Undo {
        return;
    }
    let Some(Node::Activity(inner)) = a.object.as_deref() else {
        return;
    };
    let verb = match inner.verb() {
        Verb::Follow => Verb::Unfollow,
        Verb::Favorite => Verb::Unfavorite,
        Verb::Share => Verb::Unshare,
        _ => return,
    };
    let object = inner.object.clone();
    a.verb = match (&verb, peer) {
        (Verb::Unfollow, LegacyPeer::Pleroma) => VerbTerm::parse(AS_UNFOLLOW),
        _ => VerbTerm::new(verb),
    };
    a.object = object;
}

/// `unfollow` in the Activity Streams namespace: the only spelling Pleroma matches.
const AS_UNFOLLOW: &str = "http://activitystrea.ms/schema/1.0/unfollow";

/// The kind of OStatus server a Salmon goes to, where that changes what is written
/// (ostatus-anchors.md checklist 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyPeer {
    /// Pleroma, known by its Salmon endpoints (`/users/<nickname>/salmon`): it reads
    /// `unfollow` only in the Activity Streams namespace.
    Pleroma,
    /// GNU social, StatusNet, postActiv, Friendica, Mastodon 1.x–2.x (`/main/salmon/user/N`,
    /// `/api/salmon/N`, …): `unfollow` in the OStatus namespace.
    Other,
}

impl LegacyPeer {
    /// The peer behind a Salmon endpoint URL.
    pub fn of_salmon_endpoint(endpoint: &str) -> LegacyPeer {
        let path = url::Url::parse(endpoint)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            ["users", nick, "salmon"] if !nick.is_empty() => LegacyPeer::Pleroma,
            _ => LegacyPeer::Other,
        }
    }
}

/// A Mobilizon (or any) Event reaches legacy readers as a note that says when and where.
pub fn event_as_note(activity: &mut Value) {
    let Some(Value::Object(o)) = activity.get_mut("object") else {
        return;
    };
    if o.get("type").and_then(Value::as_str) != Some("Event") {
        return;
    }
    let esc = crate::translate::html::escape;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let mut html = String::new();
    if let Some(name) = text(o.get("name")) {
        html.push_str(&format!("<p><strong>{}</strong></p>", esc(&name)));
    }
    let mut when = text(o.get("startTime")).unwrap_or_default();
    if let Some(end) = text(o.get("endTime")) {
        when = format!("{when} – {end}");
    }
    if !when.is_empty() {
        html.push_str(&format!("<p>When: {}</p>", esc(&when)));
    }
    let place = o.get("location").map(|l| {
        let mut parts: Vec<String> = Vec::new();
        if let Some(n) = text(l.get("name")) {
            parts.push(n);
        }
        match l.get("address") {
            Some(Value::String(s)) => parts.push(s.clone()),
            Some(Value::Object(a)) => {
                for k in [
                    "streetAddress",
                    "postalCode",
                    "addressLocality",
                    "addressCountry",
                ] {
                    if let Some(v) = a.get(k).and_then(Value::as_str) {
                        parts.push(v.to_string());
                    }
                }
            }
            _ => {}
        }
        parts.join(", ")
    });
    if let Some(place) = place.filter(|p| !p.is_empty()) {
        html.push_str(&format!("<p>Where: {}</p>", esc(&place)));
    }
    if let Some(content) = text(o.get("content")) {
        html.push_str(&content);
    }
    if let Some(url) = text(o.get("url")).or_else(|| text(o.get("id"))) {
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            esc(&url),
            esc(&url)
        ));
    }
    o.insert("type".into(), Value::String("Note".into()));
    o.insert("content".into(), Value::String(html));
    o.remove("name");
}

/// `activity` as the Atom entry a legacy server gets, authored by puppet `signer` (its OStatus
/// face): ids swapped for the legacy side, AS1 verbs, the author's username and `user@host`.
pub async fn legacy_entry(
    app: &App,
    signer: &str,
    activity: &Value,
    peer: LegacyPeer,
) -> Result<String, BridgeError> {
    let mut v = activity.clone();
    event_as_note(&mut v);
    rewrite::toward_legacy(app, &v).await?.apply(&mut v);
    let puppet = app
        .store
        .get_puppet_by_handle(signer)
        .await?
        .ok_or_else(|| BridgeError::Malformed(format!("no puppet {signer}")))?;
    let profile = StoredProfile::from_puppet(&puppet);
    let display = profile
        .actor
        .as_ref()
        .and_then(|a| a.get("name"))
        .cloned()
        .unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "actor".into(),
            json!({
                "type": "Person",
                "id": app.urls.actor(signer),
                "preferredUsername": signer,
                "name": display,
                "url": app.urls.profile_page(signer),
            }),
        );
        m.entry("@context")
            .or_insert_with(|| Value::String("https://www.w3.org/ns/activitystreams".into()));
    }
    let limits = app.limits();
    let mut doc = as2::decode_value(&v, &limits)
        .map_err(|e| BridgeError::Malformed(format!("activity does not read as AS2: {e}")))?;
    // A post goes as the note's own entry, as Mastodon 2.x and GNU social send it (readers
    // that take the content from the entry itself see it).
    if let Document::Activity(a) = &mut doc {
        crate::ostatus::feed::shorthand_create(a);
    }
    let ctx = Context::new(
        IdMinter::new(&url_of(app)?),
        app.config.translate.sanitize_html,
    );
    translate::prepare(&mut doc, Format::As2, Format::Atom, &ctx);
    let Document::Activity(mut a) = doc else {
        return Err(BridgeError::Malformed(
            "a collection, not an activity".into(),
        ));
    };
    legacy_verbs(&mut a, peer);
    if let Some(actor) = a.actor.as_deref_mut() {
        actor.username = Some(signer.to_string());
        actor.email = Some(format!("{signer}@{}", app.urls.authority()));
    }
    Ok(codec::atom::encode_activity(&a))
}

fn url_of(app: &App) -> Result<url::Url, BridgeError> {
    url::Url::parse(app.urls.base()).map_err(|e| BridgeError::Malformed(format!("public_url: {e}")))
}

/// A legacy puppet's Salmon endpoint and the puppet's profile.
async fn legacy_target(app: &App, handle: &str) -> Result<Option<String>, BridgeError> {
    let Some(p) = app.store.get_puppet_by_handle(handle).await? else {
        return Ok(None);
    };
    let profile = StoredProfile::from_puppet(&p);
    if is_ap_source(&profile) {
        return Ok(None);
    }
    Ok(profile.endpoints.salmon.clone())
}

/// Slaps `activity` (authored by `signer`) to the legacy puppet `target`'s account.
async fn slap(
    app: &App,
    signer: &str,
    target: &str,
    activity: &Value,
) -> Result<bool, BridgeError> {
    let Some(endpoint) = legacy_target(app, target).await? else {
        tracing::info!(%target, "legacy account has no Salmon endpoint; nothing sent");
        return Ok(false);
    };
    let entry = legacy_entry(
        app,
        signer,
        activity,
        LegacyPeer::of_salmon_endpoint(&endpoint),
    )
    .await?;
    send_salmon(app, signer, &endpoint, entry).await?;
    tracing::info!(%signer, %target, kind = ?type_of(activity), "Salmon queued");
    Ok(true)
}

/// An AP actor now follows the legacy puppet `handle`: tell the legacy account.
pub async fn followed(
    app: &App,
    handle: &str,
    follower: &str,
    follow: &Value,
) -> Result<(), BridgeError> {
    if legacy_target(app, handle).await?.is_none() {
        return Ok(());
    }
    let signer = accounts::reverse_puppet(app, follower).await?;
    // A locked account (author `mastodon:scope private`) is asked with `request-friend`,
    // which Mastodon 2.x requires: the followee says so, and the conventions pick the verb.
    let followee = if legacy_locked(app, handle).await? {
        json!({"type": "Person", "id": app.urls.actor(handle), "manuallyApprovesFollowers": true})
    } else {
        Value::String(app.urls.actor(handle))
    };
    let v = json!({
        "type": "Follow",
        "id": follow.get("id").cloned().unwrap_or(Value::Null),
        "actor": follower,
        "object": followee,
    });
    slap(app, &signer, handle, &v).await?;
    Ok(())
}

/// Whether the legacy account behind puppet `handle` approves its followers by hand.
async fn legacy_locked(app: &App, handle: &str) -> Result<bool, BridgeError> {
    let Some(p) = app.store.get_puppet_by_handle(handle).await? else {
        return Ok(false);
    };
    Ok(StoredProfile::from_puppet(&p)
        .actor
        .as_ref()
        .and_then(|a| a.get("manuallyApprovesFollowers"))
        .and_then(Value::as_bool)
        .unwrap_or(false))
}

/// An AP actor stopped following the legacy puppet `handle`.
pub async fn unfollowed(
    app: &App,
    handle: &str,
    follower: &str,
    undo: &Value,
) -> Result<(), BridgeError> {
    if legacy_target(app, handle).await?.is_none() {
        return Ok(());
    }
    let signer = accounts::reverse_puppet(app, follower).await?;
    let v = json!({
        "type": "Undo",
        "id": undo.get("id").cloned().unwrap_or(Value::Null),
        "actor": follower,
        "object": {"type": "Follow", "actor": follower, "object": app.urls.actor(handle)},
    });
    slap(app, &signer, handle, &v).await?;
    Ok(())
}

/// The legacy puppets an activity concerns: mentioned, addressed, or the author of the
/// bridged post it answers, likes or shares.
async fn legacy_targets(app: &App, activity: &Value) -> Result<BTreeSet<String>, BridgeError> {
    let mut ids: Vec<String> = Vec::new();
    let object = activity.get("object");
    for holder in [Some(activity), object] {
        let Some(h) = holder else { continue };
        for f in ["to", "cc", "bto", "bcc"] {
            match h.get(f) {
                Some(Value::String(s)) => ids.push(s.clone()),
                Some(Value::Array(a)) => {
                    ids.extend(a.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => {}
            }
        }
        if let Some(Value::Array(tags)) = h.get("tag") {
            for t in tags {
                if type_of(t) == Some("Mention")
                    && let Some(href) = t.get("href").and_then(Value::as_str)
                {
                    ids.push(href.to_string());
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for id in ids {
        if let Some(h) = app.urls.handle_of(&id).filter(|h| app.urls.actor(h) == id)
            && legacy_target(app, &h).await?.is_some()
        {
            out.insert(h);
        }
    }
    // The author of what it answers, likes or shares, when that is a bridged legacy post.
    let referenced = object
        .and_then(|o| o.get("inReplyTo").and_then(id_of).or_else(|| id_of(o)))
        .map(str::to_string);
    if let Some(r) = referenced
        && let Some(entry) = app.store.object_by_id(&r).await?
        && legacy_target(app, &entry.handle).await?.is_some()
    {
        out.insert(entry.handle);
    }
    Ok(out)
}

/// Any other activity from an AP actor, after the inbox accepted it.
pub async fn on_activity(app: &App, actor: &str, activity: &Value) -> Result<(), BridgeError> {
    let kind = type_of(activity).unwrap_or_default();
    match kind {
        "Accept" | "Reject" => answered(app, actor, activity, kind == "Accept").await,
        "Update" if activity.get("object").and_then(id_of) == Some(actor) => {
            profile_updated(app, actor, activity).await
        }
        "Create" | "Update" | "Delete" | "Like" | "Announce" | "Undo" => {
            carried(app, actor, activity, kind).await
        }
        _ => Ok(()),
    }
}

/// Posts, edits, deletes, likes, shares and their undos.
async fn carried(app: &App, actor: &str, activity: &Value, kind: &str) -> Result<(), BridgeError> {
    let targets = legacy_targets(app, activity).await?;
    let known = app.store.puppet_for_actor(actor).await?;
    if targets.is_empty() && known.is_none() {
        return Ok(());
    }
    let signer = match known {
        Some(h) => h,
        None => accounts::reverse_puppet(app, actor).await?,
    };
    let public = is_public(activity);
    let mut clean = activity.clone();
    if let Value::Object(m) = &mut clean {
        m.remove("@context");
    }
    if kind == "Announce" {
        embed_shared_original(app, &mut clean).await?;
    }
    if public || matches!(kind, "Delete" | "Undo") {
        // The feed is public: only public posts, and the removals of what was there.
        let seq = app.store.append_entry(&signer, &clean).await?;
        tracing::debug!(%signer, seq, "entry added to the puppet's feed");
        super::publish(app, &signer, &clean).await?;
    }
    if targets.is_empty() {
        return Ok(());
    }
    if !public && matches!(kind, "Create" | "Update") && !app.config.bridge.allow_direct_salmon {
        for t in &targets {
            tracing::info!(%signer, target = %t, "non-public post to a legacy account refused: GNU social ignores mastodon:scope ([bridge] allow_direct_salmon is off)");
            refuse(app, t, actor, activity).await?;
        }
        return Ok(());
    }
    for t in &targets {
        slap(app, &signer, t, &clean).await?;
    }
    Ok(())
}

/// A share names its original by id; when the bridge holds that post (a bridged legacy
/// post, or an earlier one of its faces), the original goes inside the share with its author,
/// as Mastodon 2.x and Pleroma write shares (ostatus-anchors.md checklist 11): subscribers
/// that never saw it can show it.
async fn embed_shared_original(app: &App, share: &mut Value) -> Result<(), BridgeError> {
    let Some(id) = share
        .get("object")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Ok(());
    };
    let Some(found) = app.store.object_by_id(&id).await? else {
        return Ok(());
    };
    if let Some(original) = found.activity.get("object").filter(|o| o.is_object())
        && original.get("type").and_then(Value::as_str) != Some("Tombstone")
        && let Value::Object(m) = share
    {
        m.insert("object".into(), original.clone());
    }
    Ok(())
}

/// Tells the sender of a refused non-public post that it did not cross, with a Reject from
/// the legacy account's puppet.
async fn refuse(app: &App, legacy: &str, actor: &str, activity: &Value) -> Result<(), BridgeError> {
    let identity = accounts::ap_identity(app, actor).await?;
    let Some(inbox) = identity.inbox else {
        return Ok(());
    };
    let n = app.store.generate_id().await?;
    let reject = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#rejects/{n}", app.urls.actor(legacy)),
        "type": "Reject",
        "actor": app.urls.actor(legacy),
        "object": activity.get("id").cloned().unwrap_or(Value::Null),
        "summary": "This account is on a legacy (OStatus) server that cannot keep a non-public post private, so the bridge did not deliver it.",
    });
    send_ap(app, legacy, &inbox, &reject).await
}

/// The AP side answered a Follow the bridge sent for a legacy account.
async fn answered(
    app: &App,
    actor: &str,
    activity: &Value,
    accepted: bool,
) -> Result<(), BridgeError> {
    let Some(follow_id) = activity.get("object").and_then(id_of) else {
        return Ok(());
    };
    let Some(mut relay) = app.store.relay(follow_id).await? else {
        return Ok(());
    };
    if relay.target_actor != actor {
        tracing::warn!(actor = ?actor, follow = ?follow_id, "answer to a follow of someone else; ignored");
        return Ok(());
    }
    relay.state = if accepted {
        RelayState::Accepted
    } else {
        RelayState::Rejected
    };
    app.store.put_relay(&relay).await?;
    let Some(endpoint) = relay.salmon.clone() else {
        return Ok(());
    };
    let v = json!({
        "type": if accepted { "Accept" } else { "Reject" },
        "id": activity.get("id").cloned().unwrap_or(Value::Null),
        "actor": actor,
        "object": {
            "type": "Follow",
            "id": relay.legacy_request_id.clone().unwrap_or_else(|| relay.follow_id.clone()),
            "actor": app.urls.actor(&relay.follower),
            "object": actor,
        },
    });
    let entry = legacy_entry(
        app,
        &relay.target_handle,
        &v,
        LegacyPeer::of_salmon_endpoint(&endpoint),
    )
    .await?;
    send_salmon(app, &relay.target_handle, &endpoint, entry).await?;
    tracing::info!(follower = %relay.follower, target = ?actor, accepted, "follow answer relayed to the legacy account");
    Ok(())
}

/// The actor changed its profile: the puppet's stored profile follows, so its feed's author
/// and WebFinger show the new one.
async fn profile_updated(app: &App, actor: &str, activity: &Value) -> Result<(), BridgeError> {
    let Some(handle) = app.store.puppet_for_actor(actor).await? else {
        return Ok(());
    };
    let Some(mut puppet) = app.store.get_puppet_by_handle(&handle).await? else {
        return Ok(());
    };
    let Some(object) = activity.get("object").filter(|o| o.is_object()) else {
        return Ok(());
    };
    let mut profile = StoredProfile::from_puppet(&puppet);
    let mut doc = object.clone();
    if let Value::Object(m) = &mut doc {
        m.entry("@context")
            .or_insert_with(|| Value::String("https://www.w3.org/ns/activitystreams".into()));
    }
    profile.actor = Some(doc);
    puppet.profile = serde_json::to_value(&profile)
        .map_err(|e| BridgeError::Malformed(format!("profile: {e}")))?;
    app.store.put_puppet(&puppet).await?;
    let mut clean = activity.clone();
    if let Value::Object(m) = &mut clean {
        m.remove("@context");
    }
    super::publish(app, &handle, &clean).await?;
    tracing::info!(%handle, "profile refreshed from an Update");
    Ok(())
}
