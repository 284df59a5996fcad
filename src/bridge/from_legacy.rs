//! What legacy users send by Salmon, carried to ActivityPub.
//!
//! The slap's author is a legacy account; its ActivityPub face (a puppet, made on first
//! contact) is the actor of what the bridge sends. The slap's target is an ActivityPub
//! account's OStatus face. `follow` / `request-friend` become a Follow (remembered as a
//! [`Relay`], so the AP side's answer can go back as `authorize` / `reject`), `unfollow` its
//! Undo, a post a Create to every AP account it mentions or answers, `favorite` a Like,
//! `share` an Announce (GNU social's nested and Mastodon's embedded forms), `delete` a
//! Delete with a Tombstone (remembered for six hours when it comes before its post), and
//! `update-profile` an Update of the puppet's actor to its followers.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::accounts::{self, legacy_id, source_actor};
use super::rewrite;
use super::{BridgeError, EARLY_DELETE_MS, send_ap};
use crate::codec::{Format, as2};
use crate::identity::Address;
use crate::model::{Activity, Document, Node, Verb};
use crate::server::lookup::PuppetView;
use crate::server::{App, ensure_puppet};
use crate::store::{Relay, RelayState, now_ms};
use crate::translate::{self, Context, IdMinter, PuppetMap, PuppetRef};

/// What a verified slap did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    /// Sent on to these ActivityPub inboxes (or actors' followers).
    Sent(usize),
    /// Nothing to send (a verb ActivityPub has no use for, or no recipient).
    Nothing(&'static str),
}

/// The `user@host` a legacy author is found by: its `email` (Mastodon 2.x), else its
/// username at its URI's host, else the signer the envelope was verified for.
pub fn author_address(entry: &Activity, signer: &str) -> Option<String> {
    let actor = entry.actor.as_deref().or(entry.props.author.as_deref());
    if let Some(email) = actor.and_then(|a| a.email.as_deref())
        && Address::parse(email).is_ok()
    {
        return Some(email.to_string());
    }
    if let Some(a) = actor
        && let Some(user) = a.username.as_deref().or(a.props.name.as_deref())
        && let Some(uri) = a.props.id.as_deref()
        && let Ok(u) = url::Url::parse(uri)
        && let Some(host) = u.host_str()
    {
        let authority = match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let candidate = format!("{user}@{authority}");
        if Address::parse(&candidate).is_ok() {
            return Some(candidate);
        }
    }
    let s = signer.strip_prefix("acct:").unwrap_or(signer);
    Address::parse(s).ok().map(|_| s.to_string())
}

/// The id of whatever a node names (a nested activity's object for GNU social shares).
fn object_id(entry: &Activity) -> Option<String> {
    match entry.object.as_deref()? {
        Node::Activity(inner) => inner
            .object
            .as_deref()
            .and_then(Node::id)
            .or(inner.props.id.as_deref())
            .map(str::to_string),
        other => other.id().map(str::to_string),
    }
}

/// The bridge id of a legacy object id (what the poller and Create gave it).
fn bridged_id(minter: &IdMinter, id: &str) -> String {
    if IdMinter::is_web_id(id) {
        minter.mint_web(id)
    } else {
        minter.mint(id).unwrap_or_else(|| id.to_string())
    }
}

/// Carries one verified slap from `author` (the signer, as verified) to ActivityPub.
/// `target` is the puppet whose own endpoint received it (`None`: the shared endpoint).
pub async fn on_salmon(
    app: &App,
    target: Option<&str>,
    signer: &str,
    entry: Activity,
) -> Result<Carried, BridgeError> {
    let address = author_address(&entry, signer).ok_or_else(|| {
        BridgeError::Malformed(format!(
            "the slap's author ({signer}) has no user@host address"
        ))
    })?;
    let legacy = ensure_puppet(app, &address).await?;
    let base = url::Url::parse(app.urls.base())
        .map_err(|e| BridgeError::Malformed(format!("public_url: {e}")))?;
    let minter = IdMinter::new(&base);
    let verb = entry.verb().clone();
    match verb {
        Verb::Follow | Verb::RequestFriend => follow(app, &legacy, target, &entry).await,
        Verb::Unfollow => unfollow(app, &legacy, target, &entry).await,
        Verb::Favorite | Verb::Share | Verb::Unfavorite => react(app, &legacy, &entry, &verb).await,
        Verb::Delete => delete(app, &legacy, &minter, &entry).await,
        Verb::UpdateProfile => profile(app, &legacy).await,
        Verb::Post | Verb::Update => post(app, &legacy, &minter, entry).await,
        // Legacy puppets accept ActivityPub follows at once; an approval adds nothing.
        Verb::Authorize => Ok(Carried::Nothing("follow already accepted")),
        Verb::Reject => rejected(app, &legacy, target, &entry).await,
        other => {
            tracing::info!(verb = ?other, author = %address, "Salmon verb not carried to ActivityPub");
            Ok(Carried::Nothing("verb not carried"))
        }
    }
}

/// The AP actor a follow-like slap is about: its object when that is one of our OStatus
/// faces, else the puppet whose endpoint received it.
async fn followed_actor(
    app: &App,
    target: Option<&str>,
    entry: &Activity,
) -> Result<Option<(String, String)>, BridgeError> {
    let object = entry
        .object
        .as_deref()
        .and_then(Node::id)
        .map(str::to_string);
    face_source(
        app,
        object.into_iter().chain(target.map(|h| app.urls.actor(h))),
    )
    .await
}

/// The first of `urls` that names an OStatus face, as (its handle, its ActivityPub actor).
async fn face_source(
    app: &App,
    urls: impl IntoIterator<Item = String>,
) -> Result<Option<(String, String)>, BridgeError> {
    for c in urls {
        if let Some(p) = accounts::puppet_of_url(app, &c).await?
            && let Some(actor) = source_actor(&p)
        {
            return Ok(Some((p.handle, actor)));
        }
    }
    Ok(None)
}

/// The inbox of ActivityPub actor `actor` (fetched and kept on first use).
async fn ap_inbox(app: &App, actor: &str) -> Result<String, BridgeError> {
    accounts::ap_identity(app, actor)
        .await?
        .inbox
        .ok_or_else(|| BridgeError::Remote(format!("{actor} has no inbox")))
}

async fn follow(
    app: &App,
    legacy: &PuppetView,
    target: Option<&str>,
    entry: &Activity,
) -> Result<Carried, BridgeError> {
    let Some((target_handle, actor)) = followed_actor(app, target, entry).await? else {
        return Ok(Carried::Nothing("follow of no ActivityPub account"));
    };
    let inbox = ap_inbox(app, &actor).await?;
    let follow_id = match app.store.relay_between(&legacy.handle, &actor).await? {
        Some(r) => r.follow_id,
        None => format!(
            "{}#follows/{}",
            app.urls.actor(&legacy.handle),
            app.store.generate_id().await?
        ),
    };
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": follow_id,
        "type": "Follow",
        "actor": app.urls.actor(&legacy.handle),
        "object": actor,
    });
    app.store
        .put_relay(&Relay {
            follow_id: follow_id.clone(),
            follower: legacy.handle.clone(),
            target_actor: actor.clone(),
            target_handle,
            salmon: legacy.profile.endpoints.salmon.clone(),
            legacy_request_id: entry.props.id.clone(),
            state: RelayState::Pending,
            created_ms: now_ms(),
        })
        .await?;
    send_ap(app, &legacy.handle, &inbox, &activity).await?;
    tracing::info!(follower = %legacy.handle, actor = ?actor, "legacy follow sent to ActivityPub");
    Ok(Carried::Sent(1))
}

/// A locked legacy account turned down an ActivityPub follower (its `reject` nests the
/// follow it answers): the follower is removed and told with a Reject of its Follow, which
/// Mastodon, Pleroma and GoToSocial take to end the follow although the puppet had accepted.
async fn rejected(
    app: &App,
    legacy: &PuppetView,
    target: Option<&str>,
    entry: &Activity,
) -> Result<Carried, BridgeError> {
    let requester = match entry.object.as_deref() {
        Some(Node::Activity(inner)) => inner.actor.as_deref().and_then(|a| a.props.id.clone()),
        _ => None,
    };
    let candidates = requester
        .into_iter()
        .chain(target.map(|h| app.urls.actor(h)));
    let Some((_, actor)) = face_source(app, candidates).await? else {
        return Ok(Carried::Nothing("reject of no ActivityPub follower"));
    };
    if !app.store.remove_follower(&legacy.handle, &actor).await? {
        return Ok(Carried::Nothing("reject of someone who does not follow"));
    }
    crate::server::websub_callback::follower_changed(app, &legacy.handle);
    let inbox = ap_inbox(app, &actor).await?;
    let puppet_url = app.urls.actor(&legacy.handle);
    let reject = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{puppet_url}#rejects/{}", app.store.generate_id().await?),
        "type": "Reject",
        "actor": puppet_url,
        "object": {"type": "Follow", "actor": actor, "object": puppet_url},
    });
    send_ap(app, &legacy.handle, &inbox, &reject).await?;
    tracing::info!(legacy = %legacy.handle, follower = ?actor, "legacy account rejected an ActivityPub follower");
    Ok(Carried::Sent(1))
}

async fn unfollow(
    app: &App,
    legacy: &PuppetView,
    target: Option<&str>,
    entry: &Activity,
) -> Result<Carried, BridgeError> {
    let Some((_, actor)) = followed_actor(app, target, entry).await? else {
        return Ok(Carried::Nothing("unfollow of no ActivityPub account"));
    };
    let Some(relay) = app.store.relay_between(&legacy.handle, &actor).await? else {
        return Ok(Carried::Nothing("unfollow of an account never followed"));
    };
    let inbox = ap_inbox(app, &actor).await?;
    let me = app.urls.actor(&legacy.handle);
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{me}#undos/{}", app.store.generate_id().await?),
        "type": "Undo",
        "actor": me,
        "object": {"id": relay.follow_id, "type": "Follow", "actor": me, "object": actor},
    });
    send_ap(app, &legacy.handle, &inbox, &undo).await?;
    app.store.remove_relay(&relay.follow_id).await?;
    Ok(Carried::Sent(1))
}

/// Delivers `activity` by `legacy` to each AP actor in `to` (their inboxes, deduplicated).
async fn deliver(
    app: &App,
    legacy: &PuppetView,
    to: &BTreeSet<String>,
    activity: &Value,
) -> Result<usize, BridgeError> {
    let mut inboxes = BTreeSet::new();
    for actor in to {
        if actor.starts_with(app.urls.base()) {
            continue;
        }
        match accounts::ap_identity(app, actor).await {
            Ok(i) => {
                if let Some(inbox) = i.shared_inbox.or(i.inbox) {
                    inboxes.insert(inbox);
                }
            }
            Err(e) => {
                tracing::warn!(actor = ?actor, error = %e, "no inbox for a recipient; skipped")
            }
        }
    }
    for inbox in &inboxes {
        send_ap(app, &legacy.handle, inbox, activity).await?;
    }
    Ok(inboxes.len())
}

/// The AP author of an object: bridged, else fetched (ActivityPub, Atom or its page).
async fn author_of(app: &App, object: &str) -> Option<String> {
    if let Some(a) = crate::poll::parent::parent_author(&app.store, &app.fetcher, object).await {
        return Some(a);
    }
    match super::fetch::fetch_object(app, object).await {
        Ok(o) => o.author(),
        Err(e) => {
            tracing::debug!(object = ?object, error = %e, "object's author not found");
            None
        }
    }
}

async fn react(
    app: &App,
    legacy: &PuppetView,
    entry: &Activity,
    verb: &Verb,
) -> Result<Carried, BridgeError> {
    let Some(object) = object_id(entry) else {
        return Err(BridgeError::Malformed(
            "favorite or share without an object".into(),
        ));
    };
    let mut v = json!({"object": object});
    rewrite::toward_ap(app, &v).await?.apply(&mut v);
    let object = v["object"].as_str().unwrap_or_default().to_string();
    let me = app.urls.actor(&legacy.handle);
    let n = app.store.generate_id().await?;
    let (kind, slot) = match verb {
        Verb::Share => ("Announce", "announces"),
        _ => ("Like", "likes"),
    };
    let mut activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{me}#{slot}/{n}"),
        "type": kind,
        "actor": me,
        "object": object,
        "atomUri": entry.props.id,
    });
    if *verb == Verb::Share {
        activity["to"] = json!(["https://www.w3.org/ns/activitystreams#Public"]);
        activity["cc"] = json!([app.urls.followers(&legacy.handle)]);
    }
    if *verb == Verb::Unfavorite {
        activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{me}#undos/{n}"),
            "type": "Undo",
            "actor": me,
            "object": {"type": "Like", "actor": me, "object": object},
        });
    }
    let mut to = BTreeSet::new();
    if let Some(author) = author_of(app, &object).await {
        to.insert(author);
    }
    let mut sent = deliver(app, legacy, &to, &activity).await?;
    if *verb == Verb::Share {
        app.store.append_entry(&legacy.handle, &activity).await?;
        sent += crate::delivery::fan_out(
            &app.store,
            &legacy.handle,
            &activity,
            &app.store.queue_waker(),
        )
        .await
        .map_err(|e| BridgeError::Remote(e.to_string()))?;
    }
    Ok(Carried::Sent(sent))
}

async fn delete(
    app: &App,
    legacy: &PuppetView,
    minter: &IdMinter,
    entry: &Activity,
) -> Result<Carried, BridgeError> {
    let Some(legacy_object) = object_id(entry).or_else(|| entry.props.id.clone()) else {
        return Err(BridgeError::Malformed("delete without an object".into()));
    };
    let bridged = bridged_id(minter, &legacy_object);
    let Some(found) = app.store.object_by_id(&bridged).await? else {
        // The post may still come (Mastodon 2.x keeps such deletes for six hours).
        app.store.remember_delete(&legacy_object).await?;
        app.store.remember_delete(&bridged).await?;
        return Ok(Carried::Nothing(
            "delete of a post not bridged (yet); remembered",
        ));
    };
    let me = app.urls.actor(&legacy.handle);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{bridged}#delete"),
        "type": "Delete",
        "actor": me,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": bridged, "type": "Tombstone", "atomUri": legacy_object},
    });
    let mut to = BTreeSet::new();
    collect_mentions(&found.activity, &mut to);
    app.store.append_entry(&legacy.handle, &activity).await?;
    let mut sent = deliver(app, legacy, &to, &activity).await?;
    sent += crate::delivery::fan_out(
        &app.store,
        &legacy.handle,
        &activity,
        &app.store.queue_waker(),
    )
    .await
    .map_err(|e| BridgeError::Remote(e.to_string()))?;
    Ok(Carried::Sent(sent))
}

/// Actors an activity's object mentions (its Mention tags).
fn collect_mentions(activity: &Value, out: &mut BTreeSet<String>) {
    let tags = activity.get("object").and_then(|o| o.get("tag"));
    if let Some(Value::Array(tags)) = tags {
        for t in tags {
            if t.get("type").and_then(Value::as_str) == Some("Mention")
                && let Some(h) = t.get("href").and_then(Value::as_str)
            {
                out.insert(h.to_string());
            }
        }
    }
}

async fn profile(app: &App, legacy: &PuppetView) -> Result<Carried, BridgeError> {
    // Refresh what discovery knows, then tell the puppet's followers.
    let refreshed = crate::server::lookup::refresh_puppet(app, &legacy.handle).await?;
    let Some(record) = crate::server::actors::load(app, &refreshed)
        .await
        .map_err(|e| BridgeError::Remote(e.to_string()))?
    else {
        return Ok(Carried::Nothing("puppet vanished"));
    };
    let actor = crate::server::actors::actor_document(app, &record);
    let me = app.urls.actor(&legacy.handle);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{me}#updates/{}", now_ms()),
        "type": "Update",
        "actor": me,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": actor,
    });
    let sent = crate::delivery::fan_out(
        &app.store,
        &legacy.handle,
        &activity,
        &app.store.queue_waker(),
    )
    .await
    .map_err(|e| BridgeError::Remote(e.to_string()))?;
    Ok(Carried::Sent(sent))
}

async fn post(
    app: &App,
    legacy: &PuppetView,
    minter: &IdMinter,
    entry: Activity,
) -> Result<Carried, BridgeError> {
    if let Some(id) = entry
        .props
        .id
        .as_deref()
        .or_else(|| entry.object.as_deref().and_then(Node::id))
        && (app.store.deleted_within(id, EARLY_DELETE_MS).await?
            || app
                .store
                .deleted_within(&bridged_id(minter, id), EARLY_DELETE_MS)
                .await?)
    {
        return Ok(Carried::Nothing("post deleted before it arrived"));
    }
    let h = &legacy.handle;
    let mut puppets = PuppetMap::default();
    let lid = legacy_id(&legacy.profile);
    let mut ids: Vec<&str> = vec![lid.as_str(), legacy.profile.id.as_str()];
    ids.extend(legacy.profile.aliases.iter().map(String::as_str));
    let acct = format!("acct:{}", legacy.address);
    ids.push(&acct);
    puppets.insert(
        ids,
        PuppetRef {
            id: app.urls.actor(h),
            followers: app.urls.followers(h),
        },
    );
    let ctx = Context {
        minter: minter.clone(),
        sanitize: app.config.translate.sanitize_html,
        puppets,
    };
    let mut doc = Document::Activity(entry);
    translate::prepare(&mut doc, Format::Atom, Format::As2, &ctx);
    let mut v = as2::encode_value(&doc);
    rewrite::toward_ap(app, &v).await?.apply(&mut v);
    crate::poll::rehome_activity(&mut v, minter, app.urls.base(), &app.urls.actor(h));
    let parent = v
        .get("object")
        .and_then(|o| o.get("inReplyTo"))
        .and_then(|p| p.as_str().or_else(|| p.get("id").and_then(Value::as_str)))
        .map(str::to_string);
    if let Some(parent) = parent
        && let Some(author) = author_of(app, &parent).await
    {
        crate::poll::parent::mention(&mut v, &author);
    }
    let mut to = BTreeSet::new();
    collect_mentions(&v, &mut to);
    app.store.append_entry(h, &v).await?;
    let sent = deliver(app, legacy, &to, &v).await?;
    tracing::info!(author = %h, recipients = sent, "legacy post carried to ActivityPub");
    Ok(Carried::Sent(sent))
}
