//! Stored AS2 activities of an OStatus-face puppet as Atom: the feed legacy servers read and
//! subscribe to, the one-entry feeds the hub pushes, and the entries Salmon carries.
//!
//! Each activity goes AS2 JSON → model ([`crate::codec::as2`]) → the legacy conventions
//! ([`crate::translate::prepare`]: minted ids back to legacy ids, `mastodon:scope` from the
//! addressing) → the face's own rules below → Atom ([`crate::codec::atom`]):
//! - a `Create` is written as the shorthand entry of its object, as Pleroma does: the entry id
//!   is the AP object id, announced again by `link rel=alternate type=application/activity+json`;
//! - the source's activities are written with the puppet as author ([`FacePuppet`]);
//! - mentions and account objects that are AP puppets of legacy accounts go back to those
//!   accounts' ids ([`Rewrites`]); reply targets get an `href`;
//! - public posts link the public collection (`mentioned`), unlisted ones only say
//!   `mastodon:scope unlisted`; conversations fall back to the AS2 `context`, and a thread's
//!   first post is its own conversation;
//! - hashtags lose their `#` (Atom `category term` is the bare tag); the content's language is
//!   taken from a one-language `contentMap`.
//!
//! Privacy: GNU social ignores `mastodon:scope`, so a post (create, share, update, delete) not
//! addressed to the public collection in `to` or `cc` is never rendered: every function here
//! answers `None` (or leaves the entry out) for it. Feeds hold only posts, shares and deletes;
//! Salmon entries may also carry interactions (follow, favorite, their undos), which are
//! addressed to one account by nature.

use serde_json::Value;
use url::Url;

use super::author::FacePuppet;
use super::rewrite::Rewrites;
use crate::codec::{Format, Limits, as2, atom};
use crate::model::{
    Activity, Addressee, Document, Feed, FeedLinks, Node, Timestamp, Verb, Visibility,
};
use crate::puppet::BridgeUrls;
use crate::store::Entry;
use crate::translate::walk::{Owner, each_actor_mut, each_owned_props_mut, each_ref_mut};
use crate::translate::{self, Context, IdMinter};

/// Where a feed page sits in the puppet's entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedPage {
    /// This page's cursor (`?max_id=`), `None` for the first page.
    pub max_id: Option<u64>,
    /// The cursor of the next, older page, when there is one (`link rel=next`).
    pub next_max_id: Option<u64>,
}

/// What a rendered activity is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A feed entry (posts, shares, deletes; public or unlisted only).
    Feed,
    /// A Salmon payload (any verb; posts public or unlisted only).
    Salmon,
}

/// Everything one rendering needs, built once per call.
struct Render<'a> {
    urls: &'a BridgeUrls,
    puppet: &'a FacePuppet,
    rewrites: &'a Rewrites,
    /// The legacy conventions' context; `None` only if the bridge's base URL stopped parsing,
    /// which [`BridgeUrls::new`] rules out (it is built from a parsed URL).
    ctx: Option<Context>,
}

impl<'a> Render<'a> {
    fn new(urls: &'a BridgeUrls, puppet: &'a FacePuppet, rewrites: &'a Rewrites) -> Render<'a> {
        let ctx = Url::parse(urls.base())
            .ok()
            .map(|b| Context::new(IdMinter::new(&b), false));
        Render {
            urls,
            puppet,
            rewrites,
            ctx,
        }
    }
}

/// The puppet's Atom feed: one page of its stored entries (newest first, as the store pages
/// them), with the feed-level author, `alternate`, `self`, `hub`, `salmon` and, when there
/// are older entries, `next` links. Entries that are not public, or not posts, shares or
/// deletes, are left out.
pub fn render_feed(
    urls: &BridgeUrls,
    puppet: &FacePuppet,
    entries: &[Entry],
    page: &FeedPage,
    rewrites: &Rewrites,
) -> String {
    let r = Render::new(urls, puppet, rewrites);
    let h = &puppet.handle;
    let activities: Vec<Activity> = entries
        .iter()
        .filter_map(|e| {
            let fallback = urls.activity(h, e.seq);
            face_activity(&r, &e.activity, Some(fallback), Use::Feed)
        })
        .collect();
    let self_url = match page.max_id {
        Some(m) => format!("{}?max_id={m}", urls.feed(h)),
        None => urls.feed(h),
    };
    atom::encode(&Document::Feed(feed_document(
        &r,
        self_url,
        page.next_max_id
            .map(|n| format!("{}?max_id={n}", urls.feed(h))),
        activities,
    )))
}

/// A feed document holding only `activity`, what the hub pushes to subscribers when the
/// puppet publishes it; `None` when the activity may not go to OStatus (not public, or not a
/// post, share or delete).
pub fn render_entry_feed(
    urls: &BridgeUrls,
    puppet: &FacePuppet,
    activity: &Value,
    rewrites: &Rewrites,
) -> Option<String> {
    let r = Render::new(urls, puppet, rewrites);
    let a = face_activity(&r, activity, None, Use::Feed)?;
    Some(atom::encode(&Document::Feed(feed_document(
        &r,
        urls.feed(&puppet.handle),
        None,
        vec![a],
    ))))
}

/// `activity` as a standalone Atom `<entry>` (namespaces declared on it), the payload of a
/// Salmon envelope; `None` for a post that is not public or unlisted, or for an activity that
/// does not decode.
pub fn entry_xml(
    urls: &BridgeUrls,
    puppet: &FacePuppet,
    activity: &Value,
    rewrites: &Rewrites,
) -> Option<String> {
    let r = Render::new(urls, puppet, rewrites);
    let a = face_activity(&r, activity, None, Use::Salmon)?;
    Some(atom::encode_activity(&a))
}

fn feed_document(
    r: &Render<'_>,
    self_url: String,
    next: Option<String>,
    entries: Vec<Activity>,
) -> Feed {
    let h = &r.puppet.handle;
    let updated = entries
        .iter()
        .filter_map(newest_date)
        .max_by_key(|t| t.datetime())
        .unwrap_or_else(|| Timestamp::from_datetime(chrono::Utc::now()));
    Feed {
        id: Some(r.urls.feed(h)),
        title: Some(r.puppet.title.clone()),
        updated: Some(updated),
        author: Some(r.puppet.author.clone()),
        links: FeedLinks {
            self_: Some(self_url),
            alternate: Some(r.urls.profile_page(h)),
            hub: Some(r.urls.hub()),
            salmon: Some(r.urls.salmon(h)),
            next,
            prev: None,
        },
        entries,
        ..Feed::default()
    }
}

/// The newest date an entry carries (its own or its object's).
fn newest_date(a: &Activity) -> Option<Timestamp> {
    let object = a.object.as_deref().and_then(Node::props);
    [Some(&a.props), object]
        .into_iter()
        .flatten()
        .flat_map(|p| [p.updated.clone(), p.published.clone()])
        .flatten()
        .filter(|t| t.datetime().is_some())
        .max_by_key(|t| t.datetime())
}

/// How strict an addressing is, for taking the stricter of an activity's and its object's.
fn rank(v: Visibility) -> u8 {
    match v {
        Visibility::Public => 0,
        Visibility::Unlisted => 1,
        Visibility::FollowersOnly => 2,
        Visibility::Direct => 3,
    }
}

/// The visibility of an activity: the stricter of its own addressing and its object's.
/// `None` when neither says anything (such an activity is not public).
fn visibility(a: &Activity) -> Option<Visibility> {
    let object = a
        .object
        .as_deref()
        .and_then(Node::props)
        .map(|p| &p.audience);
    [Some(&a.props.audience), object]
        .into_iter()
        .flatten()
        .filter(|aud| !aud.is_empty())
        .filter_map(|aud| aud.visibility())
        .max_by_key(|v| rank(*v))
}

/// The model of one activity as the OStatus face writes it, or `None` when it must not be
/// written for `use_`.
fn face_activity(
    r: &Render<'_>,
    value: &Value,
    fallback_id: Option<String>,
    use_: Use,
) -> Option<Activity> {
    let mut a = match as2::decode_value(value, &Limits::default()) {
        Ok(Document::Activity(a)) => a,
        Ok(Document::Feed(_)) => return None,
        Err(e) => {
            tracing::warn!(handle = %r.puppet.handle, error = %e, "stored entry does not decode");
            return None;
        }
    };
    if a.props.id.is_none() && !a.implied {
        a.props.id = fallback_id;
    }
    let verb = a.verb().clone();
    let is_post = matches!(verb, Verb::Post | Verb::Share | Verb::Update | Verb::Delete);
    if use_ == Use::Feed
        && !matches!(
            verb,
            Verb::Post | Verb::Share | Verb::Delete | Verb::UpdateProfile
        )
    {
        return None;
    }
    if verb == Verb::UpdateProfile {
        return Some(profile_update(r, a));
    }
    if (is_post || use_ == Use::Feed)
        && !matches!(
            visibility(&a),
            Some(Visibility::Public | Visibility::Unlisted)
        )
    {
        return None;
    }
    shorthand_create(&mut a);
    if verb == Verb::Delete {
        // The delete entry's id is the deleted object's id (Pleroma, Mastodon).
        if let Some(id) = a.object.as_deref().and_then(Node::id) {
            a.props.id = Some(id.to_string());
        }
    }
    as_puppet(r, &mut a);
    before_conventions(r, &mut a);
    let mut doc = Document::Activity(a);
    if let Some(ctx) = &r.ctx {
        translate::prepare(&mut doc, Format::As2, Format::Atom, ctx);
    }
    let Document::Activity(mut a) = doc else {
        return None;
    };
    after_conventions(r, &mut a);
    Some(a)
}

/// `Update{Person}` of the source becomes GNU social's `update-profile` entry: the puppet's
/// author block (built from the refreshed stored profile) as actor and object, so GNU social
/// (which handles the verb) and Mastodon 2.x (which reads the author of every pushed entry)
/// both refresh the profile. An update of anyone else is the source's profile all the same:
/// the inbox only carries the actor's own updates here.
fn profile_update(r: &Render<'_>, mut a: Activity) -> Activity {
    let author = r.puppet.author.clone();
    a.verb = crate::model::VerbTerm::new(Verb::UpdateProfile);
    a.object = Some(Box::new(Node::Actor(author.clone())));
    a.actor = Some(Box::new(author));
    a.implied = false;
    a.props.audience.to = vec![Addressee::Public];
    a.props.audience.cc.clear();
    a.props.audience.bto.clear();
    a.props.audience.bcc.clear();
    if a.props.name.is_none() {
        a.props.name = Some(format!("{} updated their profile", r.puppet.title));
    }
    a
}

/// `Create{Note}` becomes the note's shorthand entry (the note carries the addressing and the
/// date when it has none of its own): the feed and Salmon both send posts this way, as the
/// legacy servers themselves did.
pub fn shorthand_create(a: &mut Activity) {
    if *a.verb() != Verb::Post || a.implied || a.target.is_some() {
        return;
    }
    let Some(Node::Object(o)) = a.object.as_deref_mut() else {
        return;
    };
    if o.props.audience.is_empty() {
        o.props.audience = std::mem::take(&mut a.props.audience);
    }
    if o.props.published.is_none() {
        o.props.published = a.props.published.clone();
    }
    a.implied = true;
    a.props = Default::default();
}

/// The source's activities are the puppet's: its author block replaces the AP actor (and an
/// object author naming the source); other accounts named by an AP puppet of a legacy
/// account go back to that account's id.
fn as_puppet(r: &Render<'_>, a: &mut Activity) {
    let puppet = r.puppet;
    let actor_is_source = match a.actor.as_deref().and_then(|x| x.props.id.as_deref()) {
        Some(id) => puppet.is_source(id),
        None => false,
    };
    if actor_is_source {
        a.actor = Some(Box::new(puppet.author.clone()));
    }
    if let Some(Node::Object(o)) = a.object.as_deref_mut()
        && let Some(author) = o.props.author.as_deref()
        && author
            .props
            .id
            .as_deref()
            .is_some_and(|id| puppet.is_source(id))
    {
        if a.actor.is_none() {
            a.actor = Some(Box::new(puppet.author.clone()));
        }
        o.props.author = if a.implied {
            None
        } else {
            Some(Box::new(puppet.author.clone()))
        };
    }
    let rw = r.rewrites;
    each_actor_mut(a, &mut |ac| {
        if let Some(id) = ac.props.id.as_deref()
            && let Some(legacy) = rw.account(id)
        {
            ac.props.id = Some(legacy.to_string());
        }
    });
    each_ref_mut(a, &mut |id| {
        if let Some(legacy) = rw.account(id) {
            *id = legacy.to_string();
        } else if puppet.is_source(id)
            && let Some(own) = &puppet.author.props.id
        {
            *id = own.clone();
        }
    });
}

/// Reply targets get their HTML page while their ids are still the AS2 ones.
fn before_conventions(r: &Render<'_>, a: &mut Activity) {
    each_owned_props_mut(a, &mut |p, owner| {
        if owner == Owner::Actor {
            return;
        }
        for reply in &mut p.in_reply_to {
            if reply.url.is_none() {
                reply.url = r
                    .rewrites
                    .url(&reply.id)
                    .map(str::to_string)
                    .or_else(|| IdMinter::is_web_id(&reply.id).then(|| reply.id.clone()));
            }
        }
    });
}

/// The face's rules once the legacy conventions ran (see the module documentation).
fn after_conventions(r: &Render<'_>, a: &mut Activity) {
    let rw = r.rewrites;
    each_owned_props_mut(a, &mut |p, owner| {
        if owner == Owner::Actor {
            return;
        }
        // The AP id is also the Atom id, announced by the activity+json alternate link.
        if p.atom_uri.is_none()
            && let Some(id) = &p.id
            && IdMinter::is_web_id(id)
        {
            p.atom_uri = Some(id.clone());
        }
        for m in &mut p.mentions {
            if let Some(legacy) = rw.account(&m.href) {
                m.href = legacy.to_string();
            }
        }
        p.mentions.retain(|m| !m.href.trim().is_empty());
        // Legacy readers know only the public collection; everything else AS2 addresses is
        // either a mention (written from the tags) or a collection they cannot resolve.
        let public = p.scope == Some(Visibility::Public)
            || (p.scope.is_none() && p.audience.visibility() == Some(Visibility::Public));
        p.audience.to = if public {
            vec![Addressee::Public]
        } else {
            Vec::new()
        };
        p.audience.cc.clear();
        p.audience.bto.clear();
        p.audience.bcc.clear();
        if p.content.is_some() && p.conversation.is_none() {
            p.conversation = p.context.clone().or_else(|| {
                p.in_reply_to
                    .is_empty()
                    .then(|| p.atom_uri.clone().or_else(|| p.id.clone()))
                    .flatten()
            });
        }
        for tag in &mut p.hashtags {
            if let Some(bare) = tag.name.strip_prefix('#') {
                tag.name = bare.to_string();
            }
        }
        if let Some(c) = &mut p.content
            && c.lang.is_none()
            && let [(lang, _)] = p.content_map.as_slice()
        {
            c.lang = Some(lang.clone());
        }
    });
}
