//! Deterministic https ids for legacy ids (`tag:`, `acct:`, …) and back.
//!
//! ActivityPub needs dereferenceable https ids; OStatus used `tag:` URIs and Pump.io `acct:`
//! ids. The minted id is `<base>/legacy/<percent-encoded original>`: stable (the same input
//! always gives the same id), reversible without a lookup, and readable in logs.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use url::Url;

/// Everything but RFC 3986 unreserved characters and the harmless `:@,=` is escaped, so a
/// `/`, `?` or `#` inside a tag URI cannot change the minted URL's structure.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'@')
    .remove(b',')
    .remove(b'=');

/// The path below the base URL that holds minted ids.
pub const LEGACY_PATH: &str = "legacy/";

/// Mints and reverses ids under one base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMinter {
    prefix: String,
}

impl IdMinter {
    /// A minter for `base` (its path is kept; a trailing slash is added when missing).
    pub fn new(base: &Url) -> IdMinter {
        let mut prefix = base.as_str().to_string();
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        prefix.push_str(LEGACY_PATH);
        IdMinter { prefix }
    }

    /// True when `id` needs no minting: an absolute http(s) URL.
    pub fn is_web_id(id: &str) -> bool {
        Url::parse(id).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    }

    /// The https id for `legacy`, or `None` when it already is a web id.
    pub fn mint(&self, legacy: &str) -> Option<String> {
        if Self::is_web_id(legacy) {
            return None;
        }
        Some(format!(
            "{}{}",
            self.prefix,
            utf8_percent_encode(legacy, SEGMENT)
        ))
    }

    /// The bridge's id for any legacy id, web ids included. A bridged post must have its id
    /// on the bridge's host, where its actor (the puppet) lives: Mastodon refetches an object
    /// whose id is on another host than its activity's actor, and a legacy server answers that
    /// fetch with HTML. [`IdMinter::unmint`] reverses it like [`IdMinter::mint`].
    pub fn mint_web(&self, id: &str) -> String {
        if id.starts_with(&self.prefix) {
            return id.to_string();
        }
        format!("{}{}", self.prefix, utf8_percent_encode(id, SEGMENT))
    }

    /// A followers collection for an actor that has none of its own (legacy actors never
    /// publish one), so followers-only posts can be addressed the way Mastodon reads them.
    /// It is not a minted id: [`IdMinter::unmint`] does not reverse it.
    pub fn followers(&self, actor_id: &str) -> String {
        if self.unmint(actor_id).is_some() {
            return format!("{actor_id}/followers");
        }
        format!(
            "{}{}/followers",
            self.prefix,
            utf8_percent_encode(actor_id, SEGMENT)
        )
    }

    /// True for a collection made by [`IdMinter::followers`]: on the way back to a legacy
    /// format it means "the author's followers", which those formats say in their own way.
    pub fn is_minted_followers(&self, id: &str) -> bool {
        id.starts_with(&self.prefix) && id.ends_with("/followers")
    }

    /// The legacy id a minted id stands for; `None` when `id` was not minted here.
    pub fn unmint(&self, id: &str) -> Option<String> {
        let rest = id.strip_prefix(&self.prefix)?;
        if rest.is_empty() || rest.contains('/') {
            return None;
        }
        percent_decode_str(rest)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minter() -> IdMinter {
        IdMinter::new(&Url::parse("https://bridge.example").unwrap())
    }

    #[test]
    fn followers_collection_is_not_an_id() {
        let m = minter();
        let f = m.followers("https://gs.example/user/7");
        assert_eq!(
            f,
            "https://bridge.example/legacy/https:%2F%2Fgs.example%2Fuser%2F7/followers"
        );
        assert_eq!(m.unmint(&f), None);
        assert!(m.is_minted_followers(&f));
        assert!(!m.is_minted_followers("https://gs.example/user/7/followers"));
        let minted = m.mint("acct:bob@gs.example").unwrap();
        assert_eq!(m.followers(&minted), format!("{minted}/followers"));
    }

    #[test]
    fn tag_ids_round_trip() {
        let m = minter();
        let tag = "tag:social.example,2017-05-02:objectId=42:objectType=Status";
        let minted = m.mint(tag).unwrap();
        assert_eq!(
            minted,
            "https://bridge.example/legacy/tag:social.example,2017-05-02:objectId=42:objectType=Status"
        );
        assert!(Url::parse(&minted).is_ok());
        assert_eq!(m.unmint(&minted).as_deref(), Some(tag));
        assert_eq!(m.mint("https://social.example/notice/1"), None);
        assert_eq!(m.unmint("https://social.example/notice/1"), None);
        let web = m.mint_web("https://social.example/notice/1");
        assert_eq!(
            web,
            "https://bridge.example/legacy/https:%2F%2Fsocial.example%2Fnotice%2F1"
        );
        assert_eq!(
            m.unmint(&web).as_deref(),
            Some("https://social.example/notice/1")
        );
        assert_eq!(m.mint_web(&web), web, "minting is idempotent");
    }

    #[test]
    fn awkward_characters_are_escaped() {
        let m = minter();
        for s in [
            "tag:a,2000:x/y?z#w",
            "acct:carol@pump.example",
            "urn:uuid:1 2%3",
            "tag:ü,2000:é",
        ] {
            let minted = m.mint(s).unwrap();
            let u = Url::parse(&minted).unwrap();
            assert_eq!(u.query(), None, "{minted}");
            assert_eq!(u.fragment(), None, "{minted}");
            assert_eq!(m.unmint(&minted).as_deref(), Some(s));
        }
    }
}
