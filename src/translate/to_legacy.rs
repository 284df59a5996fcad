//! Policy for ActivityPub content on its way to Atom or Pump.io: minted ids go back to the
//! legacy ids they stand for, and the visibility the addressing implies is stated
//! (`mastodon:scope`), since legacy readers do not interpret AS2 addressing.

use url::Url;

use crate::model::{Activity, Actor, Addressee, Node, Verb, VerbTerm};

use super::Context;
use super::walk::{each_actor_mut, each_props_mut, each_ref_mut};

/// Applies the legacy conventions to one activity.
pub fn prepare(activity: &mut Activity, ctx: &Context) {
    request_friendship_of_locked(activity);
    each_props_mut(activity, &mut |p| {
        if p.atom_uri.is_none() {
            p.atom_uri = p.id.as_deref().and_then(|id| ctx.minter.unmint(id));
        }
        // Atom's thr:in-reply-to has one id slot: the legacy id peers know the parent by.
        for r in &mut p.in_reply_to {
            if let Some(legacy) = r.atom_uri.take().or_else(|| ctx.minter.unmint(&r.id)) {
                r.id = legacy;
            }
        }
        for a in p.audience.iter_mut() {
            if matches!(a, Addressee::Id(id) if ctx.minter.is_minted_followers(id)) {
                *a = Addressee::Followers;
            }
        }
        if p.scope.is_none() && (p.content.is_some() || !p.audience.is_empty()) {
            p.scope = p.audience.visibility();
        }
    });
    each_ref_mut(activity, &mut |id| {
        if let Some(legacy) = ctx.minter.unmint(id) {
            *id = legacy;
        }
    });
    each_actor_mut(activity, &mut derive_email);
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
