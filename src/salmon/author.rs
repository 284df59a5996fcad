//! Who claims to have signed a Salmon: read from *inside* the signed entry (PROTOCOLS.md
//! §4.3, §5.6 — never from the envelope or the request), and the ways to find that
//! author's key (ostatus-anchors.md checklist 7).
//!
//! The signer is the entry's `author/uri` (GNU social, Pleroma), normalised: `user@host` →
//! `acct:user@host`, a bare host → `http://host`. Its key is looked up by WebFinger on that
//! URI; Mastodon also resolves `author/email` as an acct, and `author/name` @ the host of
//! the uri, so those are further routes to the *same* author's key, accepted only when they
//! are bound to the uri (same host, or the WebFinger answer lists the uri as an alias).

use url::Url;

use crate::codec::Limits;
use crate::codec::xml::{self, ACTIVITY_NS, ATOM_NS, Elem};
use crate::identity::Address;

/// What the signed entry says about its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryAuthor {
    /// The signer's id: the normalised `author/uri`, else the acct of `author/email`.
    pub id: String,
    /// The normalised `author/uri`.
    pub uri: Option<String>,
    /// `acct:` of `author/email`.
    pub email_acct: Option<String>,
    /// `acct:<author/name>@<host of the uri>` (Mastodon sends the username as `name`).
    pub name_acct: Option<String>,
    /// The `activity:actor` of the entry (StatusNet-era entries carry one), normalised.
    pub actor: Option<String>,
    /// The entry's `id`.
    pub entry_id: Option<String>,
    /// The entry's `updated`.
    pub updated: Option<String>,
}

/// A way to the author's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// WebFinger about an http(s) URI, on its own host.
    Uri(String),
    /// WebFinger about `user@host` (full discovery).
    Acct(String),
}

/// Why the signed entry names no usable author.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorError {
    /// The payload is not XML within the limits.
    #[error("payload does not parse: {0}")]
    Decode(#[from] crate::codec::DecodeError),
    /// The payload is not an Atom entry.
    #[error("payload is <{0}>, not an Atom entry")]
    NotAnEntry(String),
    /// Neither `author/uri` nor `author/email` names anyone.
    #[error("the signed entry names no author (author/uri or author/email)")]
    NoAuthor,
}

/// `user@host` → `acct:user@host`, `acct:` kept (lower-cased by [`Address`]), http(s) URLs
/// kept as written, a bare host → `http://host`; `None` for anything else.
pub fn normalise(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    if t.starts_with("http://") || t.starts_with("https://") {
        return Url::parse(t)
            .ok()
            .filter(|u| u.host_str().is_some())
            .map(|_| t.to_string());
    }
    if t.starts_with("acct:") || (t.contains('@') && !t.contains(['/', ' '])) {
        return Address::parse(t).ok().map(|a| a.acct());
    }
    if t.contains('.') && !t.contains(['/', ' ', '@', ':']) {
        return Some(format!("http://{}", t.to_ascii_lowercase()));
    }
    None
}

/// `host[:port]` of an http(s) URI or of an `acct:`.
pub fn authority_of(id: &str) -> Option<String> {
    if let Some(acct) = id.strip_prefix("acct:") {
        return Address::parse(acct).ok().map(|a| a.authority());
    }
    let u = Url::parse(id).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

fn text_of(e: Option<Elem<'_, '_>>) -> Option<String> {
    e.map(|e| e.text().trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Reads the author of a signed entry.
pub fn read(payload: &[u8], limits: &Limits) -> Result<EntryAuthor, AuthorError> {
    let tree = xml::parse(payload, limits)?;
    let entry = tree.root();
    if !entry.is(ATOM_NS, "entry") {
        return Err(AuthorError::NotAnEntry(entry.local().to_string()));
    }
    let actor_el = entry.child(ACTIVITY_NS, "actor");
    let actor = actor_el
        .and_then(|a| text_of(a.child(ATOM_NS, "uri")).or_else(|| text_of(a.child(ATOM_NS, "id"))))
        .and_then(|a| normalise(&a));
    // StatusNet 0.9 entries may carry only activity:actor.
    let author = entry.child(ATOM_NS, "author").or(actor_el);
    let uri = author
        .and_then(|a| text_of(a.child(ATOM_NS, "uri")).or_else(|| text_of(a.child(ATOM_NS, "id"))))
        .and_then(|u| normalise(&u));
    let email_acct = author
        .and_then(|a| text_of(a.child(ATOM_NS, "email")))
        .and_then(|e| Address::parse(&e).ok())
        .map(|a| a.acct());
    let name_acct = match (
        author.and_then(|a| text_of(a.child(ATOM_NS, "name"))),
        uri.as_deref().filter(|u| u.starts_with("http")),
    ) {
        (Some(name), Some(u)) if !name.contains(['@', ' ', '/', ':']) => {
            authority_of(u).and_then(|h| {
                Address::parse(&format!("{name}@{h}"))
                    .ok()
                    .map(|a| a.acct())
            })
        }
        _ => None,
    };
    let id = uri
        .clone()
        .or_else(|| email_acct.clone())
        .ok_or(AuthorError::NoAuthor)?;
    Ok(EntryAuthor {
        id,
        uri,
        email_acct,
        name_acct,
        actor,
        entry_id: text_of(entry.child(ATOM_NS, "id")),
        updated: text_of(entry.child(ATOM_NS, "updated")),
    })
}

impl EntryAuthor {
    /// The routes to the author's key, most direct first, without repeats.
    pub fn routes(&self) -> Vec<Route> {
        let mut out = Vec::new();
        let mut push = |r: Route| {
            if !out.contains(&r) {
                out.push(r);
            }
        };
        match &self.uri {
            Some(u) if u.starts_with("acct:") => push(Route::Acct(u.clone())),
            Some(u) => push(Route::Uri(u.clone())),
            None => {}
        }
        for a in [&self.email_acct, &self.name_acct].into_iter().flatten() {
            push(Route::Acct(a.clone()));
        }
        out
    }

    /// True when an account found by `route` (with WebFinger `subject` and `aliases`) is
    /// this author: found through the author's own id, or on the same host as the uri, or
    /// listing the uri among its names.
    pub fn is_bound(&self, route: &Route, subject: &str, aliases: &[String]) -> bool {
        let asked = match route {
            Route::Uri(u) | Route::Acct(u) => u,
        };
        if *asked == self.id {
            return true;
        }
        let Some(uri) = &self.uri else {
            // No uri: the id is the email acct, the only route.
            return false;
        };
        subject == uri
            || aliases.iter().any(|a| a == uri)
            || authority_of(asked).is_some_and(|h| Some(h) == authority_of(uri))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_signer_ids() {
        assert_eq!(
            normalise(" alice@Example.org ").as_deref(),
            Some("acct:alice@example.org")
        );
        assert_eq!(
            normalise("acct:bob@h.example").as_deref(),
            Some("acct:bob@h.example")
        );
        assert_eq!(
            normalise("https://quitter.no/user/7477").as_deref(),
            Some("https://quitter.no/user/7477")
        );
        assert_eq!(
            normalise("gs.example").as_deref(),
            Some("http://gs.example")
        );
        assert_eq!(normalise(""), None);
        assert_eq!(normalise("tag:x,2009:1"), None);
    }

    #[test]
    fn reads_authors_and_routes() {
        let e = format!(
            "<entry xmlns='{ATOM_NS}' xmlns:activity='{ACTIVITY_NS}'><id>tag:m.example,2017:1</id>\
             <author><uri>https://m.example/users/alice</uri><name>alice</name>\
             <email>alice@local.example</email></author></entry>"
        );
        let a = read(e.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(a.id, "https://m.example/users/alice");
        assert_eq!(a.entry_id.as_deref(), Some("tag:m.example,2017:1"));
        assert_eq!(
            a.routes(),
            vec![
                Route::Uri("https://m.example/users/alice".into()),
                Route::Acct("acct:alice@local.example".into()),
                Route::Acct("acct:alice@m.example".into()),
            ]
        );
        let other = Route::Acct("acct:alice@local.example".into());
        assert!(!a.is_bound(&other, "acct:alice@local.example", &[]));
        assert!(a.is_bound(
            &other,
            "acct:alice@local.example",
            &["https://m.example/users/alice".into()]
        ));
        assert!(a.is_bound(
            &Route::Acct("acct:alice@m.example".into()),
            "acct:alice@m.example",
            &[]
        ));
        assert!(matches!(
            read(
                format!("<feed xmlns='{ATOM_NS}'/>").as_bytes(),
                &Limits::default()
            ),
            Err(AuthorError::NotAnEntry(_))
        ));
        assert!(matches!(
            read(
                format!("<entry xmlns='{ATOM_NS}'><author><name>x y</name></author></entry>")
                    .as_bytes(),
                &Limits::default()
            ),
            Err(AuthorError::NoAuthor)
        ));
    }
}
