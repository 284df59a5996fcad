//! Policy for ActivityPub content on its way to Atom or Pump.io: minted ids go back to the
//! legacy ids they stand for, a deleted object's Tombstone goes back to the type it had, and
//! the visibility the addressing implies is stated (`mastodon:scope`), since legacy readers
//! do not interpret AS2 addressing.
//!
//! Atom has two id slots (`<id>` and the activity+json alternate link), so an object keeps
//! its AS2 id and gets the legacy one as `atom_uri`. Pump.io has one slot and no `atomUri`,
//! so there the id itself goes back to the legacy id when it was minted (an https id that was
//! not minted stays: it is the id pump peers were given). Reply targets, mentions and
//! addressees are unminted for both.

use serde_json::Value;
use url::Url;

use crate::codec::Format;
use crate::model::{Activity, Actor, Addressee, Extension, Node, ObjectType, Verb, VerbTerm};

use super::Context;
use super::cross;
use super::walk::{each_actor_mut, each_props_mut, each_ref_mut};

/// Applies the legacy conventions to one activity going to `to` (Atom or Pump.io).
pub fn prepare(activity: &mut Activity, to: Format, ctx: &Context) {
    request_friendship_of_locked(activity);
    let pump = to == Format::Pump;
    let unmint = |id: &str| ctx.minter.unmint(id);
    each_props_mut(activity, &mut |p| {
        let legacy = p.id.as_deref().and_then(unmint);
        if pump {
            if legacy.is_some() {
                p.id = legacy;
            }
        } else if p.atom_uri.is_none() {
            p.atom_uri = legacy;
        }
        // Atom's thr:in-reply-to has one id slot: the legacy id peers know the parent by.
        // Pump peers know the parent by the id they were given: the legacy id if minted.
        for r in &mut p.in_reply_to {
            let legacy = if pump {
                r.atom_uri = None;
                unmint(&r.id)
            } else {
                r.atom_uri.take().or_else(|| unmint(&r.id))
            };
            if let Some(legacy) = legacy {
                r.id = legacy;
            }
        }
        for m in &mut p.mentions {
            if let Some(legacy) = unmint(&m.href) {
                m.href = legacy;
            }
        }
        for a in p.audience.iter_mut() {
            if matches!(a, Addressee::Id(id) if ctx.minter.is_minted_followers(id)) {
                *a = Addressee::Followers;
            } else if let Addressee::Id(id) = a
                && let Some(legacy) = unmint(id)
            {
                *id = legacy;
            }
        }
        if p.scope.is_none() && (p.content.is_some() || !p.audience.is_empty()) {
            p.scope = p.audience.visibility();
        }
    });
    each_ref_mut(activity, &mut |id| {
        if let Some(legacy) = unmint(id) {
            *id = legacy;
        }
    });
    restore_deleted_kind(activity);
    each_actor_mut(activity, &mut derive_email);
    if pump {
        cross::as2_to_pump(activity);
    }
}

/// AS1 has no Tombstone: a deleted object is written with the type it had (`formerType`),
/// when that is a type the model knows.
fn restore_deleted_kind(activity: &mut Activity) {
    if *activity.verb() != Verb::Delete {
        return;
    }
    let Some(Node::Object(o)) = activity.object.as_deref_mut() else {
        return;
    };
    if o.kind != ObjectType::Tombstone {
        return;
    }
    let former = o
        .props
        .extensions
        .json_get("formerType")
        .and_then(Value::as_str)
        .map(ObjectType::parse_as2);
    if let Some(kind) = former.filter(|k| !matches!(k, ObjectType::Unknown(_))) {
        o.kind = kind;
        o.props
            .extensions
            .0
            .retain(|e| !matches!(e, Extension::Json { key, .. } if key == "formerType"));
    }
}

/// Mastodon 2.x finds a Salmon signer by the author's `email` (`user@host`).
fn derive_email(actor: &mut Actor) {
    if actor.email.is_some() {
        return;
    }
    let host = actor
        .props
        .id
        .as_deref()
        .and_then(|id| Url::parse(id).ok())
        .and_then(|u| u.host_str().map(str::to_string));
    if let (Some(user), Some(host)) = (actor.username.as_deref(), host) {
        actor.email = Some(format!("{user}@{host}"));
    }
}

/// Mastodon 2.x refuses a plain `follow` of a locked account and takes `request-friend`; AS2
/// has only `Follow`, with the followee's `manuallyApprovesFollowers` telling the two apart.
fn request_friendship_of_locked(activity: &mut Activity) {
    if matches!(activity.verb(), Verb::Follow)
        && let Some(Node::Actor(followee)) = activity.object.as_deref()
        && followee.locked == Some(true)
    {
        activity.verb = VerbTerm::new(Verb::RequestFriend);
    }
}
