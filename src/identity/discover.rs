//! Finding out what a legacy account is and where it lives: from `user@host`, `acct:` or a URL
//! to its protocols, endpoints, keys and profile.
//!
//! An address is asked by WebFinger (RFC 7033 JRD), then by host-meta and its LRDD template
//! (the OStatus-era way GNU social and StatusNet still answer); a `subject` naming another host
//! is refused, so a server cannot claim accounts elsewhere. A URL is fetched and read as an
//! AP actor, an Atom/RSS/JSON feed, or an HTML page whose `rel=alternate` link names its feed.
//! The feed, when there is one, is read for the profile (its author) and its hub and Salmon
//! links. https is tried first; plain http only when `security.allow_http` is on and https
//! could not connect (legacy servers without TLS, and loopback tests).

use serde::{Deserialize, Serialize};
use url::Url;

use super::handle::{Address, HandleError};
use super::webfinger::{Descriptor, rel};
use crate::codec::{self, DecodeError, Format, Limits};
use crate::model::{Actor, Document, ObjectType};
use crate::net::{Accept, FetchError, Fetched, Fetcher, Refused};

/// The protocols an account was found to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Atom feed with a Salmon endpoint or magic key (GNU social, StatusNet, Friendica, Mastodon 1–2).
    OStatus,
    /// WebSub push for its feed.
    WebSub,
    /// Pump.io's activity API.
    PumpIo,
    /// An ActivityPub actor.
    ActivityPub,
    /// A plain feed, polled.
    Feed,
}

/// Where to reach an account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Endpoints {
    /// The Atom / RSS / JSON feed of its posts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed: Option<String>,
    /// The feed's WebSub hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    /// The Salmon endpoint for replies and mentions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salmon: Option<String>,
    /// The HTML profile page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The ActivityPub actor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Pump.io's inbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pump_inbox: Option<String>,
    /// Pump.io's outbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pump_outbox: Option<String>,
    /// The OStatus remote-follow template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribe_template: Option<String>,
}

/// Everything found about one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// `user@host[:port]`, when the account has an address.
    pub address: Option<Address>,
    /// The canonical id: the WebFinger subject, the feed author's URI, or the URL asked.
    pub id: String,
    /// Other names for it (WebFinger aliases).
    pub aliases: Vec<String>,
    /// What it speaks, most capable first.
    pub protocols: Vec<Protocol>,
    /// Where it lives.
    pub endpoints: Endpoints,
    /// Its Salmon key, `RSA.<modulus>.<exponent>` (base64url).
    pub magic_key: Option<String>,
    /// Person, Group or Service (a plain feed).
    pub kind: ObjectType,
    /// The profile from the feed's author, when a feed was read.
    pub profile: Option<Actor>,
    /// The feed's title, for accounts known only by a feed.
    pub feed_title: Option<String>,
}

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// Neither an address nor an http(s) URL.
    #[error("{0:?} is neither user@host nor an http(s) URL")]
    BadInput(String),
    /// The address cannot be a handle (see [`HandleError`]).
    #[error(transparent)]
    Handle(#[from] HandleError),
    /// A request failed.
    #[error("{what}: {source}")]
    Fetch {
        /// What was being fetched.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: FetchError,
    },
    /// A document could not be read.
    #[error("{what} at {url}: {source}")]
    Decode {
        /// What was being read.
        what: &'static str,
        /// From where.
        url: String,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// WebFinger answered for another host.
    #[error("WebFinger for {asked} answered with subject {subject:?}, which is not on {host}")]
    ForeignSubject {
        /// What was asked.
        asked: String,
        /// What came back.
        subject: String,
        /// The host asked.
        host: String,
    },
    /// Nothing usable was found.
    #[error("no feed, actor or Pump.io endpoint found for {0}")]
    NothingFound(String),
}

/// Discovers the account `input` names (an address or a URL).
pub async fn discover(
    fetcher: &Fetcher,
    input: &str,
    limits: &Limits,
) -> Result<Identity, DiscoverError> {
    let input = input.trim();
    if input.starts_with("http://") || input.starts_with("https://") {
        let url = Url::parse(input).map_err(|_| DiscoverError::BadInput(input.to_string()))?;
        return from_url(fetcher, url, limits).await;
    }
    if !input.contains('@') {
        return Err(DiscoverError::BadInput(input.to_string()));
    }
    let address = Address::parse(input)?;
    address.to_handle()?;
    from_address(fetcher, address, limits).await
}

async fn from_address(
    fetcher: &Fetcher,
    address: Address,
    limits: &Limits,
) -> Result<Identity, DiscoverError> {
    let descriptor = webfinger(fetcher, &address, limits).await?;
    let (address, descriptor) = canonical(fetcher, address, descriptor, limits).await?;
    let mut identity = Identity {
        id: descriptor.subject.clone().unwrap_or_else(|| address.acct()),
        address: Some(address),
        aliases: descriptor.aliases.clone(),
        protocols: Vec::new(),
        endpoints: Endpoints::default(),
        magic_key: None,
        kind: ObjectType::Person,
        profile: None,
        feed_title: None,
    };
    apply_descriptor(&mut identity, &descriptor);
    if let Some(feed) = identity.endpoints.feed.clone()
        && let Ok(url) = Url::parse(&feed)
    {
        let fetched = get(fetcher, &url, Accept::Atom, "feed").await?;
        read_feed(&mut identity, &fetched, limits)?;
    } else if let Some(actor) = identity.endpoints.actor.clone()
        && let Ok(url) = Url::parse(&actor)
    {
        // An ActivityPub-only account: its actor is the profile the puppet's OStatus face shows.
        let fetched = get(fetcher, &url, Accept::ActivityJson, "actor").await?;
        read_actor(&mut identity, &fetched, limits)?;
    }
    finish(identity)
}

/// The account a WebFinger answer is about. A subject on the asked host is taken as it is.
/// A subject on another host (a moved account, a domain that delegates to its server, or a
/// server lying about someone else's account) is asked again on its own host, once, and
/// taken only when that host answers with the same subject (as Mastodon does; checklist 8).
async fn canonical(
    fetcher: &Fetcher,
    address: Address,
    descriptor: Descriptor,
    limits: &Limits,
) -> Result<(Address, Descriptor), DiscoverError> {
    let Some(subject) = descriptor.subject.clone() else {
        return Ok((address, descriptor));
    };
    if belongs_to(&subject, &address) {
        return Ok((address, descriptor));
    }
    let foreign = || DiscoverError::ForeignSubject {
        asked: address.acct(),
        subject: subject.clone(),
        host: address.authority(),
    };
    let Some(other) = subject
        .strip_prefix("acct:")
        .and_then(|a| Address::parse(a).ok())
    else {
        return Err(foreign());
    };
    match webfinger(fetcher, &other, limits).await {
        Ok(again)
            if again
                .subject
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&subject)) =>
        {
            tracing::debug!(asked = %address.acct(), canonical = %subject, "WebFinger subject confirmed by its own host");
            Ok((other, again))
        }
        Ok(_) => Err(foreign()),
        Err(e) => {
            tracing::debug!(asked = %address.acct(), subject = %subject, error = %e, "the subject's own host did not confirm it");
            Err(foreign())
        }
    }
}

/// WebFinger (then LRDD) for a URI resource, typically a Salmon author's `https://host/user/7`,
/// asked on the URI's own host: the key a Salmon is checked with must come from the
/// author's own server. Only the descriptor is read (no feed is fetched), so `protocols`
/// may be empty; a subject on another host is refused as for addresses.
pub async fn discover_uri(
    fetcher: &Fetcher,
    uri: &str,
    limits: &Limits,
) -> Result<Identity, DiscoverError> {
    let url = Url::parse(uri).map_err(|_| DiscoverError::BadInput(uri.to_string()))?;
    let authority = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => return Err(DiscoverError::BadInput(uri.to_string())),
    };
    let descriptor = webfinger_resource(fetcher, &authority, uri, limits).await?;
    if let Some(subject) = &descriptor.subject
        && !subject_on(subject, &authority)
    {
        return Err(DiscoverError::ForeignSubject {
            asked: uri.to_string(),
            subject: subject.clone(),
            host: authority,
        });
    }
    let address = descriptor
        .subject
        .as_deref()
        .and_then(|s| s.strip_prefix("acct:"))
        .and_then(|a| Address::parse(a).ok());
    let mut identity = Identity {
        id: descriptor
            .subject
            .clone()
            .unwrap_or_else(|| uri.to_string()),
        address,
        aliases: descriptor.aliases.clone(),
        protocols: Vec::new(),
        endpoints: Endpoints::default(),
        magic_key: None,
        kind: ObjectType::Person,
        profile: None,
        feed_title: None,
    };
    apply_descriptor(&mut identity, &descriptor);
    if let Ok(done) = finish(identity.clone()) {
        identity = done;
    }
    Ok(identity)
}

/// Reads a fetched ActivityPub actor into the identity: its profile (name, bio, avatar,
/// header, lock, inbox, shared inbox, key), its kind and its profile page. The actor's id
/// must be on the host it was fetched from, so a server cannot lend another host's actor.
fn read_actor(identity: &mut Identity, f: &Fetched, limits: &Limits) -> Result<(), DiscoverError> {
    let decode_err = |e| DiscoverError::Decode {
        what: "actor",
        url: f.url.to_string(),
        source: e,
    };
    let doc = codec::decode(Format::As2, &f.body, limits).map_err(decode_err)?;
    let Document::Activity(a) = doc else {
        return Err(DiscoverError::NothingFound(f.url.to_string()));
    };
    let Some(crate::model::Node::Actor(actor)) = a.object.map(|o| *o) else {
        return Err(DiscoverError::NothingFound(f.url.to_string()));
    };
    let id = actor.props.id.clone().unwrap_or_else(|| f.url.to_string());
    let same_host = Url::parse(&id).ok().is_some_and(|u| {
        u.host_str().is_some()
            && u.host_str() == f.url.host_str()
            && u.port_or_known_default() == f.url.port_or_known_default()
    });
    if !same_host {
        return Err(DiscoverError::ForeignSubject {
            asked: f.url.to_string(),
            subject: id,
            host: f.url.host_str().unwrap_or_default().to_string(),
        });
    }
    identity.endpoints.actor = Some(id);
    if identity.endpoints.profile.is_none() {
        identity.endpoints.profile = actor.props.url.clone();
    }
    if matches!(actor.kind, ObjectType::Group | ObjectType::Service) {
        identity.kind = actor.kind.clone();
    }
    identity.profile = Some(actor);
    Ok(())
}

/// Asks WebFinger, then host-meta's LRDD template.
async fn webfinger(
    fetcher: &Fetcher,
    address: &Address,
    limits: &Limits,
) -> Result<Descriptor, DiscoverError> {
    webfinger_resource(fetcher, &address.authority(), &address.acct(), limits).await
}

/// Asks `authority`'s WebFinger about `resource`, then host-meta's LRDD template.
async fn webfinger_resource(
    fetcher: &Fetcher,
    authority: &str,
    resource: &str,
    limits: &Limits,
) -> Result<Descriptor, DiscoverError> {
    let authority = authority.to_string();
    let acct = resource.to_string();
    let query = format!(
        "/.well-known/webfinger?resource={}",
        percent_encoding::utf8_percent_encode(&acct, percent_encoding::NON_ALPHANUMERIC)
    );
    let first = get_on_host(fetcher, &authority, &query, Accept::Jrd, "WebFinger").await;
    let first_err = match first {
        Ok(f) => match Descriptor::parse(&f.body, limits) {
            Ok(d) => return Ok(d),
            Err(e) => DiscoverError::Decode {
                what: "WebFinger answer",
                url: f.url.to_string(),
                source: e,
            },
        },
        Err(e) => e,
    };
    // The OStatus-era way: host-meta names an LRDD template.
    let Ok(host_meta) = get_on_host(
        fetcher,
        &authority,
        "/.well-known/host-meta",
        Accept::Xrd,
        "host-meta",
    )
    .await
    else {
        return Err(first_err);
    };
    let meta = Descriptor::parse(&host_meta.body, limits).map_err(|e| DiscoverError::Decode {
        what: "host-meta",
        url: host_meta.url.to_string(),
        source: e,
    })?;
    let Some(template) = meta
        .links
        .iter()
        .filter(|l| l.rel == rel::LRDD)
        .find_map(|l| l.template.as_deref())
    else {
        return Err(first_err);
    };
    let lrdd = template.replace(
        "{uri}",
        &percent_encoding::utf8_percent_encode(&acct, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
    );
    let url = host_meta
        .url
        .join(&lrdd)
        .map_err(|_| DiscoverError::BadInput(lrdd.clone()))?;
    let f = get(fetcher, &url, Accept::Xrd, "LRDD").await?;
    Descriptor::parse(&f.body, limits).map_err(|e| DiscoverError::Decode {
        what: "LRDD answer",
        url: f.url.to_string(),
        source: e,
    })
}

/// True when a WebFinger subject names the asked account's host. Friendica writes the
/// subject without `acct:` (`lain@squeet.me`); Hubzilla may leave the host out
/// (`acct:kaniini`), which names no other host and so is taken as the asked one.
fn belongs_to(subject: &str, address: &Address) -> bool {
    let bare = subject.strip_prefix("acct:").unwrap_or(subject);
    if !bare.contains("://") && !bare.contains('@') {
        return !bare.is_empty() && bare.eq_ignore_ascii_case(&address.user);
    }
    subject_on(subject, &address.authority())
}

/// True when a WebFinger subject (`acct:user@host`, bare `user@host` or a URL) is on
/// `authority` (`host[:port]`).
fn subject_on(subject: &str, authority: &str) -> bool {
    let bare = subject.strip_prefix("acct:").unwrap_or(subject);
    let host = if !bare.contains("://") {
        Address::parse(bare).ok().map(|a| a.authority())
    } else {
        Url::parse(subject).ok().and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
    };
    host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
}

/// Takes the links the bridge uses from a descriptor.
fn apply_descriptor(identity: &mut Identity, d: &Descriptor) {
    let e = &mut identity.endpoints;
    e.feed = d.href(rel::UPDATES_FROM).map(str::to_string);
    e.salmon = d
        .href(rel::SALMON)
        .or_else(|| rel::SALMON_OLD.iter().find_map(|r| d.href(r)))
        .map(str::to_string);
    e.profile = d.href(rel::PROFILE_PAGE).map(str::to_string);
    e.actor = d
        .link(
            rel::SELF,
            &["application/activity+json", "application/ld+json"],
        )
        .and_then(|l| l.href.clone());
    e.pump_inbox = d.href(rel::PUMP_INBOX).map(str::to_string);
    e.pump_outbox = d.href(rel::PUMP_OUTBOX).map(str::to_string);
    e.subscribe_template = d.link(rel::SUBSCRIBE, &[]).and_then(|l| l.template.clone());
    identity.magic_key = d.href(rel::MAGIC_KEY).map(|h| {
        // `data:application/magic-public-key,RSA.n.e` (StatusNet 0.9.0 wrote `;` instead of
        // `,`), or the bare key.
        h.split_once([',', ';'])
            .map_or(h, |(_, k)| k)
            .trim()
            .to_string()
    });
}

/// Reads a fetched feed into the identity: profile, title, hub and Salmon links.
fn read_feed(identity: &mut Identity, f: &Fetched, limits: &Limits) -> Result<(), DiscoverError> {
    let decode_err = |e| DiscoverError::Decode {
        what: "feed",
        url: f.url.to_string(),
        source: e,
    };
    let format = codec::detect(&f.body).map_err(decode_err)?;
    let format = match format {
        Format::Atom | Format::Feed => format,
        _ => Format::Feed,
    };
    let doc = codec::decode(format, &f.body, limits).map_err(decode_err)?;
    let Document::Feed(feed) = doc else {
        return Err(DiscoverError::NothingFound(f.url.to_string()));
    };
    identity.endpoints.feed = Some(
        feed.links
            .self_
            .clone()
            .unwrap_or_else(|| f.url.to_string()),
    );
    if identity.endpoints.hub.is_none() {
        identity.endpoints.hub = feed.links.hub.clone();
    }
    if identity.endpoints.salmon.is_none() {
        identity.endpoints.salmon = feed.links.salmon.clone();
    }
    if identity.endpoints.profile.is_none() {
        identity.endpoints.profile = feed.links.alternate.clone();
    }
    identity.feed_title = feed.title.clone();
    if let Some(author) = &feed.author {
        if author.kind == ObjectType::Group {
            identity.kind = ObjectType::Group;
        }
        identity.profile = Some(author.clone());
    } else if identity.address.is_none() {
        // A feed with no author is a publication, not a person.
        identity.kind = ObjectType::Service;
    }
    Ok(())
}

/// A URL: an actor, a feed, or a page that links to its feed.
async fn from_url(fetcher: &Fetcher, url: Url, limits: &Limits) -> Result<Identity, DiscoverError> {
    let f = get(fetcher, &url, Accept::Feed, "profile or feed").await?;
    let mut identity = Identity {
        address: None,
        id: f.url.to_string(),
        aliases: Vec::new(),
        protocols: Vec::new(),
        endpoints: Endpoints::default(),
        magic_key: None,
        kind: ObjectType::Person,
        profile: None,
        feed_title: None,
    };
    let media = f.media_type().unwrap_or_default();
    if media.contains("html") {
        identity.endpoints.profile = Some(f.url.to_string());
        let feed = feed_link(&String::from_utf8_lossy(&f.body))
            .and_then(|href| f.url.join(&href).ok())
            .ok_or_else(|| DiscoverError::NothingFound(f.url.to_string()))?;
        let fetched = get(fetcher, &feed, Accept::Feed, "feed").await?;
        read_feed(&mut identity, &fetched, limits)?;
    } else if media.contains("activity+json") || media.contains("ld+json") {
        identity.endpoints.actor = Some(f.url.to_string());
        read_actor(&mut identity, &f, limits)?;
        // An actor's account is `preferredUsername@` its host, as Mastodon names remote users.
        identity.address = identity
            .profile
            .as_ref()
            .and_then(|a| a.username.as_deref())
            .and_then(|user| {
                let host = f.url.host_str()?;
                let authority = match f.url.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_string(),
                };
                Address::parse(&format!("{user}@{authority}")).ok()
            });
    } else {
        read_feed(&mut identity, &f, limits)?;
    }
    if let Some(uri) = identity.profile.as_ref().and_then(|a| a.props.id.clone()) {
        identity.id = uri;
    }
    finish(identity)
}

/// The first feed a page links to with `<link rel="alternate" type="…feed type…">`.
fn feed_link(html: &str) -> Option<String> {
    const FEED_TYPES: [&str; 4] = [
        "application/atom+xml",
        "application/rss+xml",
        "application/feed+json",
        "application/json",
    ];
    alternate_link(html, &FEED_TYPES)
}

/// The first `<link rel="alternate">` of a page whose type is one of `types` (in page order).
pub fn alternate_link(html: &str, types: &[&str]) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<link") {
        let start = from + i;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &html[start..end];
        let attr = |name: &str| attribute(tag, name);
        let is_alternate = attr("rel").is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let is_feed =
            attr("type").is_some_and(|t| types.iter().any(|f| t.trim().eq_ignore_ascii_case(f)));
        if is_alternate
            && is_feed
            && let Some(href) = attr("href")
        {
            return Some(href.replace("&amp;", "&"));
        }
        from = end;
    }
    None
}

/// An attribute's value in one tag (quoted with `"` or `'`, or bare).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = lower[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_whitespace());
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_start = tag.len() - rest.len() + 1;
        let value = tag[value_start..].trim_start();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or("").to_string(),
            _ => value
                .split(|c: char| c.is_ascii_whitespace() || c == '/')
                .next()
                .unwrap_or("")
                .to_string(),
        });
    }
    None
}

/// Settles the protocol list; an identity with nothing to follow is an error.
fn finish(mut identity: Identity) -> Result<Identity, DiscoverError> {
    let e = &identity.endpoints;
    let mut protocols = Vec::new();
    if e.feed.is_some() && (e.salmon.is_some() || identity.magic_key.is_some()) {
        protocols.push(Protocol::OStatus);
    }
    if e.feed.is_some() && e.hub.is_some() {
        protocols.push(Protocol::WebSub);
    }
    if e.pump_inbox.is_some() || e.pump_outbox.is_some() {
        protocols.push(Protocol::PumpIo);
    }
    if e.actor.is_some() {
        protocols.push(Protocol::ActivityPub);
    }
    if e.feed.is_some() {
        protocols.push(Protocol::Feed);
    }
    if protocols.is_empty() {
        return Err(DiscoverError::NothingFound(identity.id));
    }
    identity.protocols = protocols;
    Ok(identity)
}

/// GETs `url`.
async fn get(
    fetcher: &Fetcher,
    url: &Url,
    accept: Accept,
    what: &'static str,
) -> Result<Fetched, DiscoverError> {
    fetcher
        .get(url, accept, &[])
        .await
        .map_err(|source| DiscoverError::Fetch { what, source })
}

/// GETs `path` on `authority` over https, or over http when https cannot connect and plain
/// http is allowed.
async fn get_on_host(
    fetcher: &Fetcher,
    authority: &str,
    path: &str,
    accept: Accept,
    what: &'static str,
) -> Result<Fetched, DiscoverError> {
    let url = |scheme: &str| {
        Url::parse(&format!("{scheme}://{authority}{path}"))
            .map_err(|_| DiscoverError::BadInput(authority.to_string()))
    };
    match fetcher.get(&url("https")?, accept, &[]).await {
        Err(FetchError::Transport { .. }) if fetcher.policy().allows_http() => {
            get(fetcher, &url("http")?, accept, what).await
        }
        Err(FetchError::Refused(r @ Refused::PrivateAddress { .. })) => Err(DiscoverError::Fetch {
            what,
            source: FetchError::Refused(r),
        }),
        other => other.map_err(|source| DiscoverError::Fetch { what, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_feed_link_of_a_page() {
        let html = r#"<html><head><link rel="stylesheet" href="/s.css">
            <LINK REL="alternate" TYPE="application/atom+xml" HREF="/feed.atom?a=1&amp;b=2" />
            </head></html>"#;
        assert_eq!(feed_link(html).as_deref(), Some("/feed.atom?a=1&b=2"));
        assert_eq!(
            feed_link("<link rel='alternate' type='application/rss+xml' href='rss.xml'>")
                .as_deref(),
            Some("rss.xml")
        );
        assert_eq!(
            feed_link(r#"<link rel="alternate" type="text/html" href="/x">"#),
            None
        );
        assert_eq!(feed_link("<link"), None);
    }

    #[test]
    fn subjects_must_be_on_the_asked_host() {
        let a = Address::parse("alice@127.0.0.1:8081").unwrap();
        assert!(belongs_to("acct:alice@127.0.0.1:8081", &a));
        assert!(belongs_to("http://127.0.0.1:8081/alice", &a));
        assert!(!belongs_to("acct:alice@evil.example", &a));
        assert!(!belongs_to("acct:alice@127.0.0.1", &a));
    }

    #[test]
    fn checklist_08_subjects_without_acct_or_host_are_accepted_but_not_foreign_ones() {
        let a = Address::parse("lain@squeet.me").unwrap();
        // Friendica: no acct: scheme.
        assert!(belongs_to("lain@squeet.me", &a));
        assert!(!belongs_to("lain@evil.example", &a));
        // Hubzilla: no host at all, only the user.
        let k = Address::parse("kaniini@gerzilla.de").unwrap();
        assert!(belongs_to("acct:kaniini", &k));
        assert!(!belongs_to("acct:someoneelse", &k));
        // Mastodon's spoofing fixture: a foreign domain answering with someone else's subject.
        assert!(!belongs_to(
            "acct:hacker1@evil.example",
            &Address::parse("hacker1@mastodon.example").unwrap()
        ));
    }
}
