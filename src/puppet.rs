//! Puppets: the ActivityPub actors that stand for legacy accounts on the bridge's domain.
//!
//! Every puppet URL is derived from the bridge's public URL and the handle
//! (`<public_url>/users/<handle>`, with `/inbox`, `/outbox`, `/followers`, `/following` below
//! it, the key at `#main-key`, and one shared inbox at `<public_url>/inbox`), so nothing but the
//! handle needs storing to find a puppet from a URL or a URL from a puppet.

use url::Url;

use crate::identity::discover::Identity;
use crate::model::{Actor, Endpoints, Media, ObjectType, PublicKey};

/// The bridge's URL scheme for puppets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeUrls {
    base: String,
    authority: String,
}

impl BridgeUrls {
    /// URLs under `public_url` (`server.public_url`).
    pub fn new(public_url: &Url) -> BridgeUrls {
        let base = public_url.as_str().trim_end_matches('/').to_string();
        let authority = match (public_url.host_str(), public_url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => String::new(),
        };
        BridgeUrls { base, authority }
    }

    /// The public URL without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `host[:port]` of the bridge, the domain part of puppet handles.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The puppet's actor id.
    pub fn actor(&self, handle: &str) -> String {
        format!("{}/users/{handle}", self.base)
    }

    /// The puppet's own inbox.
    pub fn inbox(&self, handle: &str) -> String {
        format!("{}/inbox", self.actor(handle))
    }

    /// The puppet's outbox.
    pub fn outbox(&self, handle: &str) -> String {
        format!("{}/outbox", self.actor(handle))
    }

    /// The puppet's followers collection.
    pub fn followers(&self, handle: &str) -> String {
        format!("{}/followers", self.actor(handle))
    }

    /// The puppet's following collection.
    pub fn following(&self, handle: &str) -> String {
        format!("{}/following", self.actor(handle))
    }

    /// The puppet's key id, as Mastodon names keys.
    pub fn key_id(&self, handle: &str) -> String {
        format!("{}#main-key", self.actor(handle))
    }

    /// The URL of the puppet's outbox entry `seq` (what `Store::append_entry` returned): every
    /// activity the bridge publishes for a puppet gets this id, so it can be dereferenced.
    pub fn activity(&self, handle: &str, seq: u64) -> String {
        format!("{}/entries/{seq}", self.actor(handle))
    }

    /// The id of the `Accept` a puppet sends for a Follow; `n` comes from
    /// `Store::generate_id`. A fragment of the actor, as Mastodon names its Accepts, because
    /// the Accept is not stored to be fetched again.
    pub fn accept(&self, handle: &str, n: u64) -> String {
        format!("{}#accepts/follows/{n}", self.actor(handle))
    }

    /// The puppet's Atom feed (its OStatus face; the WebSub topic).
    pub fn feed(&self, handle: &str) -> String {
        format!("{}/feed.atom", self.actor(handle))
    }

    /// The puppet's Salmon endpoint.
    pub fn salmon(&self, handle: &str) -> String {
        format!("{}/salmon", self.actor(handle))
    }

    /// The Salmon endpoint for every puppet.
    pub fn shared_salmon(&self) -> String {
        format!("{}/salmon", self.base)
    }

    /// The puppet's HTML profile page (WebFinger `profile-page`).
    pub fn profile_page(&self, handle: &str) -> String {
        format!("{}/@{handle}", self.base)
    }

    /// The bridge's WebSub hub, for every puppet feed.
    pub fn hub(&self) -> String {
        format!("{}/hub", self.base)
    }

    /// The callback the bridge gives a legacy hub for subscription `id` (unguessable).
    pub fn websub_callback(&self, id: &str) -> String {
        format!("{}/websub/callback/{id}", self.base)
    }

    /// The one inbox for every puppet, so peers post once per activity.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// `acct:handle@bridge`.
    pub fn acct(&self, handle: &str) -> String {
        format!("acct:{handle}@{}", self.authority)
    }

    /// The handle of a puppet URL (actor, its collections or its key), if it is one of ours.
    pub fn handle_of(&self, url: &str) -> Option<String> {
        let rest = url.strip_prefix(&self.base)?.strip_prefix("/users/")?;
        let handle = rest.split(['/', '#', '?']).next()?;
        (!handle.is_empty()).then(|| handle.to_string())
    }
}

/// The AP actor for a puppet of `identity`, with the public key `public_pem`.
///
/// The kind follows the source (a GNU social group is a Group, an authorless feed a Service);
/// `preferredUsername` is the handle, because Mastodon checks that
/// `acct:<preferredUsername>@<actor host>` leads back to the actor; the legacy profile page is
/// the `url`, and the legacy ids are `alsoKnownAs`.
pub fn actor(identity: &Identity, handle: &str, urls: &BridgeUrls, public_pem: &str) -> Actor {
    let profile = identity.profile.clone().unwrap_or_default();
    let id = urls.actor(handle);
    let mut a = Actor {
        kind: match identity.kind {
            ObjectType::Group => ObjectType::Group,
            ObjectType::Service => ObjectType::Service,
            _ => ObjectType::Person,
        },
        username: Some(handle.to_string()),
        endpoints: Endpoints {
            inbox: Some(urls.inbox(handle)),
            outbox: Some(urls.outbox(handle)),
            followers: Some(urls.followers(handle)),
            following: Some(urls.following(handle)),
            shared_inbox: Some(urls.shared_inbox()),
            ..Endpoints::default()
        },
        public_key: Some(PublicKey {
            id: urls.key_id(handle),
            owner: id.clone(),
            pem: public_pem.to_string(),
        }),
        avatars: profile
            .avatars
            .iter()
            .take(1)
            .cloned()
            .collect::<Vec<Media>>(),
        header: profile.header.clone(),
        locked: Some(false),
        fields: profile.fields.clone(),
        ..Actor::default()
    };
    a.props.id = Some(id);
    a.props.name = profile
        .props
        .name
        .clone()
        .or_else(|| identity.feed_title.clone())
        .or_else(|| identity.address.as_ref().map(|ad| ad.to_string()));
    a.props.summary = profile.props.summary.clone();
    a.props.url = identity
        .endpoints
        .profile
        .clone()
        .or_else(|| profile.props.url.clone());
    let mut aka: Vec<String> = Vec::new();
    for candidate in [profile.props.id.clone(), Some(identity.id.clone())]
        .into_iter()
        .flatten()
        .chain(identity.aliases.iter().cloned())
    {
        if Url::parse(&candidate).is_ok() && !aka.contains(&candidate) {
            aka.push(candidate);
        }
    }
    a.also_known_as = aka;
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lead_back_to_handles() {
        let u = BridgeUrls::new(&Url::parse("https://bridge.example/").unwrap());
        assert_eq!(u.actor("a_at_b"), "https://bridge.example/users/a_at_b");
        assert_eq!(
            u.key_id("a_at_b"),
            "https://bridge.example/users/a_at_b#main-key"
        );
        assert_eq!(u.acct("a_at_b"), "acct:a_at_b@bridge.example");
        for url in [
            u.actor("a_at_b"),
            u.inbox("a_at_b"),
            u.followers("a_at_b"),
            u.key_id("a_at_b"),
        ] {
            assert_eq!(u.handle_of(&url).as_deref(), Some("a_at_b"), "{url}");
        }
        assert_eq!(
            u.activity("a_at_b", 7),
            "https://bridge.example/users/a_at_b/entries/7"
        );
        assert_eq!(
            u.handle_of(&u.activity("a_at_b", 7)).as_deref(),
            Some("a_at_b")
        );
        assert_eq!(
            u.handle_of(&u.accept("a_at_b", 7)).as_deref(),
            Some("a_at_b")
        );
        assert_eq!(u.handle_of("https://other.example/users/a_at_b"), None);
        assert_eq!(u.handle_of("https://bridge.example/inbox"), None);
        let p = BridgeUrls::new(&Url::parse("http://127.0.0.1:8080").unwrap());
        assert_eq!(p.authority(), "127.0.0.1:8080");
        assert_eq!(p.shared_inbox(), "http://127.0.0.1:8080/inbox");
    }
}
