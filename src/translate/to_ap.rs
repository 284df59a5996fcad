//! Policy for legacy content (Atom, Pump.io, plain feeds) on its way to ActivityPub.
//!
//! The codecs are faithful; this is where the conventions AP servers rely on are added:
//! https ids (the legacy id kept in `atomUri`), an explicit activity around shorthand posts,
//! addressing (OStatus posts are public unless they say otherwise), mentions in `cc`,
//! Tombstones for deletes, and HTML content.

use crate::model::{
    Activity, Actor, Addressee, Audience, Node, Object, ObjectType, Props, Verb, Visibility,
};

use super::Context;
use super::html::{html_to_text, to_plain_text, to_safe_html};
use super::walk::{Owner, each_actor_mut, each_owned_props_mut, each_props_mut, each_ref_mut};
use crate::codec::Format;

/// Applies the AP conventions to one activity read from `from`.
///
/// An Atom or feed entry is an activity even in shorthand form (AS1: the verb defaults to
/// `post`), so it becomes an explicit `Create`; a bare Pump.io object stays a bare object.
/// Unaddressed OStatus and feed posts are public (Mastodon 2.x and GNU social default);
/// unaddressed Pump.io posts go to the author's followers (pump.io's default).
pub fn prepare(activity: &mut Activity, from: Format, ctx: &Context) {
    unwrap_shared_post(activity);
    become_puppets(activity, ctx);
    mint_ids(activity, ctx);
    if matches!(from, Format::Atom | Format::Feed) {
        make_explicit(activity);
    }
    let default_visibility = match from {
        Format::Pump => Visibility::FollowersOnly,
        _ => Visibility::Public,
    };
    attribute_post(activity);
    address(activity, default_visibility, ctx);
    if matches!(activity.verb(), Verb::Delete) {
        tombstone(activity);
    }
    each_owned_props_mut(activity, &mut |p, owner| {
        if owner == Owner::Other {
            drop_summary_repeating_content(p);
        }
        p.content = p.content.as_ref().map(|t| to_safe_html(t, ctx.sanitize));
        p.summary = p.summary.as_ref().map(|t| match owner {
            Owner::Actor => to_safe_html(t, ctx.sanitize),
            Owner::Other => to_plain_text(t),
        });
    });
    each_actor_mut(activity, &mut derive_username);
    super::cross::pump_to_ap(activity, from);
}

/// GNU social shares nest the original `post` activity; AP announces the post itself.
fn unwrap_shared_post(activity: &mut Activity) {
    if !matches!(activity.verb(), Verb::Share) {
        return;
    }
    let Some(Node::Activity(inner)) = activity.object.as_deref_mut() else {
        return;
    };
    if !matches!(inner.verb(), Verb::Post) {
        return;
    }
    let Some(mut shared) = inner.object.take() else {
        return;
    };
    if let Node::Object(o) = shared.as_mut() {
        // The wrapping post carries what GNU social put on the entry: thread, addressing, dates.
        let outer = std::mem::take(&mut inner.props);
        let p = &mut o.props;
        p.author = p.author.take().or(inner.actor.take());
        p.conversation = p.conversation.take().or(outer.conversation);
        fill(&mut p.in_reply_to, outer.in_reply_to);
        fill(&mut p.mentions, outer.mentions);
        fill(&mut p.hashtags, outer.hashtags);
        fill(&mut p.emoji, outer.emoji);
        fill(&mut p.attachments, outer.attachments);
        if p.audience.is_empty() {
            p.audience = outer.audience;
        }
        p.summary = p.summary.take().or(outer.summary);
        p.sensitive = p.sensitive.or(outer.sensitive);
        p.scope = p.scope.or(outer.scope);
        p.published = p.published.take().or(outer.published);
        p.updated = p.updated.take().or(outer.updated);
        p.url = p.url.take().or(outer.url);
        p.content = p.content.take().or(outer.content);
    }
    activity.object = Some(shared);
}

/// The inner value wins; the outer one fills in only what the inner one lacks.
fn fill<T>(inner: &mut Vec<T>, outer: Vec<T>) {
    if inner.is_empty() {
        *inner = outer;
    }
}

/// Legacy accounts with puppets are written as their puppets, by id: AP servers fetch the
/// puppet actor, which carries the profile and the key.
fn become_puppets(activity: &mut Activity, ctx: &Context) {
    each_actor_mut(activity, &mut |actor| {
        if let Some(p) = actor.props.id.as_deref().and_then(|id| ctx.puppets.get(id)) {
            *actor = Actor::with_id(p.id.clone());
        }
    });
    each_ref_mut(activity, &mut |id| {
        if let Some(p) = ctx.puppets.get(id) {
            *id = p.id.clone();
        }
    });
    each_props_mut(activity, &mut |props| {
        for m in &mut props.mentions {
            if let Some(p) = ctx.puppets.get(&m.href) {
                m.href = p.id.clone();
            }
        }
    });
}

/// Every non-web id gets a minted https id; the original moves to `atom_uri`.
fn mint_ids(activity: &mut Activity, ctx: &Context) {
    each_props_mut(activity, &mut |p| {
        if let Some(minted) = p.id.as_deref().and_then(|id| ctx.minter.mint(id)) {
            let legacy = p.id.replace(minted);
            if p.atom_uri.is_none() {
                p.atom_uri = legacy;
            }
        }
        for r in &mut p.in_reply_to {
            if let Some(minted) = ctx.minter.mint(&r.id) {
                let legacy = std::mem::replace(&mut r.id, minted);
                r.atom_uri.get_or_insert(legacy);
            }
        }
        for m in &mut p.mentions {
            if let Some(minted) = ctx.minter.mint(&m.href) {
                m.href = minted;
            }
        }
        for a in p.audience.iter_mut() {
            if let Addressee::Id(id) = a
                && let Some(minted) = ctx.minter.mint(id)
            {
                *id = minted;
            }
        }
    });
    each_ref_mut(activity, &mut |id| {
        if let Some(minted) = ctx.minter.mint(id) {
            *id = minted;
        }
    });
}

/// AP servers want a `Create` around a note, with an id, an actor and a date.
fn make_explicit(activity: &mut Activity) {
    if !activity.implied {
        return;
    }
    activity.implied = false;
    if activity.actor.is_none() {
        activity.actor = activity
            .object
            .as_deref()
            .and_then(Node::props)
            .and_then(|p| p.author.clone());
    }
    let object_props = activity.object.as_deref().and_then(Node::props).cloned();
    if activity.props.id.is_none()
        && let Some(object_id) = activity.object.as_deref().and_then(Node::id)
    {
        activity.props.id = Some(format!("{object_id}#{}", activity.verb().token()));
    }
    // A Create happens when its object is published; an Update or Delete when it changes.
    if activity.props.published.is_none()
        && let Some(op) = object_props
    {
        activity.props.published = match activity.verb() {
            Verb::Post => op.published,
            _ => op.updated.or(op.published),
        };
    }
}

/// Mastodon drops a `Create` whose object has no `attributedTo`; Atom shorthand and Pump.io
/// posts name the author only once, on the entry or activity. A bare Pump.io object (an
/// implied activity) is written as the object alone, so its author must be on it too.
fn attribute_post(activity: &mut Activity) {
    if !(activity.implied || matches!(activity.verb(), Verb::Post | Verb::Update)) {
        return;
    }
    // By id, as Mastodon writes it, when the actor itself is on the activity; whole when the
    // object is written alone.
    let implied = activity.implied;
    let actor = activity.actor.as_deref().map(|a| match &a.props.id {
        Some(id) if !implied => Box::new(Actor::with_id(id.clone())),
        _ => Box::new(a.clone()),
    });
    if let Some(Node::Object(o)) = activity.object.as_deref_mut()
        && o.props.author.is_none()
    {
        o.props.author = actor;
    }
}

/// StatusNet wrote the notice text again as `<summary>`; read as a content warning it would
/// hide the post behind its own text. A summary that only repeats the content is dropped.
fn drop_summary_repeating_content(p: &mut Props) {
    let (Some(summary), Some(content)) = (&p.summary, &p.content) else {
        return;
    };
    let plain = |t: &crate::model::Text| {
        let text = match t.format {
            crate::model::TextFormat::Text => t.value.clone(),
            _ => html_to_text(&t.value),
        };
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let (s, c) = (plain(summary), plain(content));
    let truncated = s
        .strip_suffix('…')
        .or_else(|| s.strip_suffix("..."))
        .is_some_and(|head| !head.is_empty() && c.starts_with(head.trim_end()));
    if s == c || truncated {
        p.summary = None;
    }
}

/// The visibility the legacy source meant: stated scope, else its addressing, else the default.
fn intended_visibility(props: &Props, default: Visibility) -> Visibility {
    props
        .scope
        .or_else(|| props.audience.visibility())
        .unwrap_or(default)
}

/// The actor's followers collection: its own, else one minted for it, so that followers-only
/// posts reach AP servers as followers-only (Mastodon reads a post addressed to nobody but its
/// mentions as a direct message).
fn followers_of(actor: Option<&Actor>, ctx: &Context) -> Addressee {
    let Some(actor) = actor else {
        return Addressee::Followers;
    };
    let puppet = actor
        .props
        .id
        .as_deref()
        .and_then(|id| ctx.puppets.followers_of(id));
    if let Some(f) = puppet {
        return Addressee::Id(f.to_string());
    }
    match (&actor.endpoints.followers, &actor.props.id) {
        (Some(f), _) => Addressee::Id(f.clone()),
        (None, Some(id)) => Addressee::Id(ctx.minter.followers(id)),
        (None, None) => Addressee::Followers,
    }
}

/// Mastodon's addressing for a visibility, with mentioned accounts added.
fn audience_for(visibility: Visibility, followers: Addressee, mentions: &[String]) -> Audience {
    let mentioned = mentions.iter().cloned().map(Addressee::Id);
    let mut a = Audience::default();
    match visibility {
        Visibility::Public => {
            a.to.push(Addressee::Public);
            a.cc.push(followers);
            a.cc.extend(mentioned);
        }
        Visibility::Unlisted => {
            a.to.push(followers);
            a.cc.push(Addressee::Public);
            a.cc.extend(mentioned);
        }
        Visibility::FollowersOnly => {
            a.to.push(followers);
            a.cc.extend(mentioned);
        }
        Visibility::Direct => a.to.extend(mentioned),
    }
    a
}

/// Adds to/cc where the legacy source left them implicit.
fn address(activity: &mut Activity, default: Visibility, ctx: &Context) {
    if !matches!(
        activity.verb(),
        Verb::Post | Verb::Share | Verb::Update | Verb::Delete
    ) {
        return;
    }
    let followers = followers_of(activity.actor.as_deref(), ctx);
    let activity_visibility = intended_visibility(&activity.props, default);
    let activity_mentions: Vec<String> = activity
        .props
        .mentions
        .iter()
        .map(|m| m.href.clone())
        .collect();
    let mut object_audience = None;
    if let Some(Node::Object(o)) = activity.object.as_deref_mut() {
        let vis = o
            .props
            .scope
            .or(activity.props.scope)
            .or_else(|| o.props.audience.visibility())
            .unwrap_or(activity_visibility);
        let mentions: Vec<String> = o.props.mentions.iter().map(|m| m.href.clone()).collect();
        if o.props.audience.is_empty() {
            o.props.audience = audience_for(vis, followers.clone(), &mentions);
        } else {
            add_missing_mentions(&mut o.props.audience, &mentions, vis);
        }
        object_audience = Some(o.props.audience.clone());
    }
    if activity.props.audience.is_empty() {
        activity.props.audience = object_audience
            .unwrap_or_else(|| audience_for(activity_visibility, followers, &activity_mentions));
    }
}

fn add_missing_mentions(audience: &mut Audience, mentions: &[String], vis: Visibility) {
    for m in mentions {
        let a = Addressee::Id(m.clone());
        if audience.to.contains(&a) || audience.cc.contains(&a) {
            continue;
        }
        if vis == Visibility::Direct {
            audience.to.push(a);
        } else {
            audience.cc.push(a);
        }
    }
}

/// A deleted object is sent as a Tombstone that remembers what it was.
fn tombstone(activity: &mut Activity) {
    if let Some(node) = activity.object.as_deref_mut()
        && let Node::Object(o) = node
        && o.kind != ObjectType::Tombstone
    {
        let former = o.kind.as2_type().unwrap_or("Object").to_string();
        let mut props = Props {
            id: o.props.id.clone(),
            atom_uri: o.props.atom_uri.clone(),
            ..Props::default()
        };
        props
            .extensions
            .push_json("formerType", serde_json::Value::String(former));
        *node = Node::Object(Object {
            kind: ObjectType::Tombstone,
            event: None,
            props,
        });
    }
}

/// AP needs `preferredUsername`; legacy authors often give it only as `email` or `name`.
fn derive_username(actor: &mut Actor) {
    if actor.username.is_some() {
        return;
    }
    let from_email = actor
        .email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .filter(|u| !u.is_empty());
    let from_name = actor.props.name.as_deref().filter(|n| {
        n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    });
    actor.username = from_email.or(from_name).map(str::to_string);
}
