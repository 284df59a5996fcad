//! The Atom author of an OStatus-face puppet.
//!
//! Legacy servers identify an author by `uri` (GNU social, Pleroma) or by `email` /
//! `name@host` (Mastodon 2.x), so the author is the puppet on the bridge's host: `uri` is the
//! puppet's URL, `name` and `poco:preferredUsername` its handle (never the display name,
//! which Mastodon would take for the username), `email` `handle@bridge`. The display name,
//! bio, avatar, header and lock come from the AP actor. There is no `ap_enabled` flag: AP
//! peers must not switch to the puppet's (absent) ActivityPub face.

use crate::model::{Actor, ObjectType, Props};
use crate::puppet::BridgeUrls;

/// An OStatus-face puppet as the Atom renderer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FacePuppet {
    /// The puppet's handle (`bob_at_ap.example`).
    pub handle: String,
    /// Ids the source account goes by (AP actor id, aliases): an activity whose actor is one
    /// of these is written as the puppet's.
    pub source_ids: Vec<String>,
    /// The author block of the feed and of the puppet's entries.
    pub author: Actor,
    /// The feed title (the display name, else the handle).
    pub title: String,
}

impl FacePuppet {
    /// The puppet `handle` standing for the AP actor `profile` (`None` when discovery found
    /// no profile), known on the AP side as `source_ids`.
    pub fn new(
        urls: &BridgeUrls,
        handle: &str,
        profile: Option<&Actor>,
        source_ids: Vec<String>,
    ) -> FacePuppet {
        let default = Actor::default();
        let p = profile.unwrap_or(&default);
        let name = p
            .props
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| handle.to_string());
        let author = Actor {
            kind: match p.kind {
                ObjectType::Group => ObjectType::Group,
                ObjectType::Service => ObjectType::Service,
                _ => ObjectType::Person,
            },
            username: Some(handle.to_string()),
            email: Some(format!("{handle}@{}", urls.authority())),
            avatars: p.avatars.iter().take(1).cloned().collect(),
            header: p.header.clone(),
            locked: Some(p.locked.unwrap_or(false)),
            fields: p.fields.clone(),
            props: Props {
                id: Some(urls.actor(handle)),
                name: Some(name.clone()),
                summary: p.props.summary.clone(),
                url: Some(urls.profile_page(handle)),
                ..Props::default()
            },
            ..Actor::default()
        };
        FacePuppet {
            handle: handle.to_string(),
            source_ids,
            author,
            title: name,
        }
    }

    /// True when `id` names the puppet's source (or the puppet itself).
    pub fn is_source(&self, id: &str) -> bool {
        self.source_ids.iter().any(|s| s == id) || self.author.props.id.as_deref() == Some(id)
    }
}
