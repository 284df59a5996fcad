//! Which protocol a puppet shows: the opposite of the one its source speaks.
//!
//! A puppet of a legacy account (OStatus, a plain feed, Pump.io) has an ActivityPub face:
//! actor, inbox, collections. A puppet of an ActivityPub-only account has an OStatus face:
//! WebFinger with the OStatus relations and no AP `self` link, an Atom feed with a WebSub hub,
//! a Salmon endpoint and an HTML profile page, so legacy servers talk OStatus to it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::lookup::StoredProfile;
use super::state::App;
use crate::identity::discover::Protocol;
use crate::model::Actor;
use crate::ostatus::{FacePuppet, Rewrites};
use crate::store::{Puppet, StoreError};

/// The protocol a puppet presents to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Actor, inbox and collections (the source is a legacy account).
    ActivityPub,
    /// WebFinger OStatus relations, Atom feed, Salmon (the source is an ActivityPub account).
    OStatus,
}

/// The face of a puppet whose discovery record is `profile`: OStatus exactly when the source
/// speaks ActivityPub and nothing legacy (no OStatus, feed or Pump.io), because a hybrid
/// account is better reached by its legacy protocol from the AP side.
pub fn face(profile: &StoredProfile) -> Face {
    let p = &profile.protocols;
    let legacy = p
        .iter()
        .any(|x| matches!(x, Protocol::OStatus | Protocol::Feed | Protocol::PumpIo));
    if p.contains(&Protocol::ActivityPub) && !legacy {
        Face::OStatus
    } else {
        Face::ActivityPub
    }
}

/// The face of a stored puppet.
pub fn face_of(puppet: &Puppet) -> Face {
    face(&StoredProfile::from_puppet(puppet))
}

/// The ActivityPub actor behind an OStatus-face puppet, as discovery stored it.
pub fn source_actor(app: &App, puppet: &Puppet) -> Option<Actor> {
    StoredProfile::from_puppet(puppet)
        .to_identity(puppet, &app.limits())
        .profile
}

/// What the Atom renderer needs about an OStatus-face puppet: its author block and the ids
/// its source goes by (actor id, WebFinger aliases), so the source's activities are written
/// as the puppet's.
pub fn face_puppet(app: &App, puppet: &Puppet) -> FacePuppet {
    let stored = StoredProfile::from_puppet(puppet);
    let identity = stored.to_identity(puppet, &app.limits());
    let mut source_ids: Vec<String> = Vec::new();
    for id in [
        identity.endpoints.actor.clone(),
        Some(puppet.source.clone()),
    ]
    .into_iter()
    .flatten()
    .chain(identity.profile.as_ref().and_then(|a| a.props.id.clone()))
    .chain(identity.aliases.iter().cloned())
    {
        if !source_ids.contains(&id) {
            source_ids.push(id);
        }
    }
    FacePuppet::new(
        &app.urls,
        &puppet.handle,
        identity.profile.as_ref(),
        source_ids,
    )
}

/// The id a legacy account is known by on its own server: its feed author `uri` (what GNU
/// social and Mastodon 2.x compare mentions with), else an http(s) alias, else its profile
/// page, else the WebFinger subject.
pub fn legacy_account_id(app: &App, puppet: &Puppet) -> String {
    let stored = StoredProfile::from_puppet(puppet);
    let identity = stored.to_identity(puppet, &app.limits());
    let web = |s: &String| s.starts_with("https://") || s.starts_with("http://");
    identity
        .profile
        .as_ref()
        .and_then(|a| a.props.id.clone())
        .filter(web)
        .or_else(|| identity.aliases.iter().find(|a| web(a)).cloned())
        .or_else(|| identity.endpoints.profile.clone())
        .unwrap_or(stored.id)
}

/// The ids in stored activities that legacy peers must see under other names ([`Rewrites`]):
/// accounts that are AP-face puppets of legacy accounts (mentions, addressees, objects of
/// follows) go back to the legacy ids, and reply targets the bridge holds get their HTML
/// page. Reads the store a few times per distinct id.
pub async fn rewrites_for<'v>(
    app: &App,
    activities: impl IntoIterator<Item = &'v Value>,
) -> Result<Rewrites, StoreError> {
    let mut accounts: BTreeSet<String> = BTreeSet::new();
    let mut replies: BTreeSet<String> = BTreeSet::new();
    for a in activities {
        collect_ids(a, &mut accounts, &mut replies, 0);
    }
    let mut out = Rewrites::new();
    for id in accounts {
        let Some(handle) = app.urls.handle_of(&id) else {
            continue;
        };
        if app.urls.actor(&handle) != id {
            continue;
        }
        if let Some(p) = app.store.get_puppet_by_handle(&handle).await?
            && face_of(&p) == Face::ActivityPub
        {
            out.add_account(id, legacy_account_id(app, &p));
        }
    }
    for id in replies {
        if let Some(found) = app.store.object_by_id(&id).await?
            && let Some(url) = found
                .activity
                .get("object")
                .and_then(|o| o.get("url"))
                .and_then(url_of)
        {
            out.add_url(id, url);
        }
    }
    Ok(out)
}

/// A `url` member as one string (a string, a Link object, or the first of an array).
fn url_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m.get("href").and_then(Value::as_str).map(str::to_string),
        Value::Array(a) => a.iter().find_map(url_of),
        _ => None,
    }
}

/// The ids a member names: a string, an object's `id`, or those of an array's items.
fn strings(v: &Value, into: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            into.insert(s.clone());
        }
        Value::Array(items) => {
            for i in items {
                if let Value::String(s) = i {
                    into.insert(s.clone());
                } else if let Some(id) = i.get("id").and_then(Value::as_str) {
                    into.insert(id.to_string());
                }
            }
        }
        Value::Object(o) => {
            if let Some(id) = o.get("id").and_then(Value::as_str) {
                into.insert(id.to_string());
            }
        }
        _ => {}
    }
}

/// Gathers account ids (tag hrefs, addressees, string objects, actors) and reply targets
/// from an AS2 activity and its nested objects, a few levels deep.
fn collect_ids(
    v: &Value,
    accounts: &mut BTreeSet<String>,
    replies: &mut BTreeSet<String>,
    depth: usize,
) {
    let Value::Object(m) = v else {
        return;
    };
    if depth > 3 {
        return;
    }
    for key in ["to", "cc", "bto", "bcc", "actor", "attributedTo"] {
        if let Some(x) = m.get(key) {
            strings(x, accounts);
        }
    }
    if let Some(Value::String(s)) = m.get("object") {
        accounts.insert(s.clone());
    }
    if let Some(Value::Array(tags)) = m.get("tag") {
        for t in tags {
            if let Some(h) = t.get("href").and_then(Value::as_str) {
                accounts.insert(h.to_string());
            }
        }
    }
    if let Some(r) = m.get("inReplyTo") {
        strings(r, replies);
    }
    for key in ["object", "target"] {
        if let Some(inner @ Value::Object(_)) = m.get(key) {
            collect_ids(inner, accounts, replies, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::discover::Endpoints;

    fn profile(protocols: &[Protocol]) -> StoredProfile {
        StoredProfile {
            id: "acct:bob@ap.example".into(),
            aliases: Vec::new(),
            protocols: protocols.to_vec(),
            endpoints: Endpoints::default(),
            magic_key: None,
            feed_title: None,
            actor: None,
        }
    }

    #[test]
    fn the_face_is_the_opposite_of_the_source() {
        assert_eq!(face(&profile(&[Protocol::ActivityPub])), Face::OStatus);
        for legacy in [
            vec![Protocol::OStatus, Protocol::WebSub, Protocol::Feed],
            vec![Protocol::Feed],
            vec![Protocol::PumpIo],
            vec![Protocol::OStatus, Protocol::ActivityPub, Protocol::Feed],
            vec![],
        ] {
            assert_eq!(face(&profile(&legacy)), Face::ActivityPub, "{legacy:?}");
        }
    }
}
