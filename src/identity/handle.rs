//! Puppet handles: the local name a legacy account gets on the bridge, e.g. `alice@gs.example`
//! becomes `alice_at_gs.example@bridge.example`.
//!
//! The local part must be a valid Mastodon username (`[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?`,
//! compared case-insensitively) and must lead back to the legacy address without a lookup:
//!
//! ```text
//! local   = user "_at_" host [ "_" port ]
//! user    = the legacy user name, lower-cased, with "_" written "__"
//! host    = the legacy host, lower-cased (IDNs in their xn-- form), with "_" written "__"
//! ```
//!
//! Reading left to right, `__` is a literal underscore, the first `_at_` separates user from
//! host, and a final `_` followed by digits is the port. Characters outside `[a-z0-9.-_]`, a
//! leading or trailing `.`/`-`, and empty parts cannot be written and are refused.
//! Lower-casing is the only loss: WebFinger and Mastodon compare account names without case.

use std::fmt;

/// A legacy account address: `user@host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// The account name (lower-cased).
    pub user: String,
    /// The host name or address literal (lower-cased).
    pub host: String,
    /// A non-default port.
    pub port: Option<u16>,
}

/// Why an address or handle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// Not of the form `user@host[:port]` (optionally with `acct:` or a leading `@`).
    #[error("{0:?} is not an account address (expected user@host)")]
    NotAnAddress(String),
    /// A character that a Mastodon username cannot carry.
    #[error("{text:?} contains {found:?}, which a bridged handle cannot carry")]
    BadCharacter {
        /// The part with the character.
        text: String,
        /// The character.
        found: char,
    },
    /// Not a handle this bridge made.
    #[error("{0:?} is not a bridged handle")]
    NotAHandle(String),
}

impl Address {
    /// Parses `user@host`, `user@host:port`, `@user@host` or `acct:user@host`.
    pub fn parse(text: &str) -> Result<Address, HandleError> {
        let bad = || HandleError::NotAnAddress(text.to_string());
        let t = text.trim();
        let t = t.strip_prefix("acct:").unwrap_or(t);
        let t = t.strip_prefix('@').unwrap_or(t);
        let (user, authority) = t.rsplit_once('@').ok_or_else(bad)?;
        let (host, port) = match authority.rsplit_once(':') {
            // An IPv6 literal in brackets keeps its colons.
            Some((h, p)) if !p.contains(']') => (h, Some(p.parse::<u16>().map_err(|_| bad())?)),
            _ => (authority, None),
        };
        if user.is_empty() || host.is_empty() || user.contains('@') {
            return Err(bad());
        }
        Ok(Address {
            user: user.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// `host` or `host:port`, as in a URL authority.
    pub fn authority(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// The `acct:` URI WebFinger is asked about.
    pub fn acct(&self) -> String {
        format!("acct:{self}")
    }

    /// The puppet's local user name on the bridge.
    pub fn to_handle(&self) -> Result<String, HandleError> {
        let mut out = escape(&self.user)?;
        out.push_str("_at_");
        out.push_str(&escape(&self.host)?);
        if let Some(p) = self.port {
            out.push('_');
            out.push_str(&p.to_string());
        }
        Ok(out)
    }

    /// The legacy address a puppet's local user name stands for.
    pub fn from_handle(handle: &str) -> Result<Address, HandleError> {
        let not = || HandleError::NotAHandle(handle.to_string());
        let lower = handle.to_ascii_lowercase();
        let mut user = String::new();
        let mut host = String::new();
        let mut port = None;
        let mut in_host = false;
        let mut rest = lower.as_str();
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("__") {
                if in_host { &mut host } else { &mut user }.push('_');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("_at_").filter(|_| !in_host) {
                in_host = true;
                rest = after;
            } else if let Some(digits) = rest.strip_prefix('_').filter(|_| in_host) {
                let p = digits
                    .parse::<u16>()
                    .ok()
                    // Canonical digits only, so each address has exactly one handle.
                    .filter(|_| digits.bytes().all(|b| b.is_ascii_digit()))
                    .filter(|_| !(digits.starts_with('0') && digits.len() > 1))
                    .ok_or_else(not)?;
                port = Some(p);
                rest = "";
            } else if c == '_' {
                return Err(not());
            } else {
                if in_host { &mut host } else { &mut user }.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if !in_host || user.is_empty() || host.is_empty() {
            return Err(not());
        }
        Ok(Address { user, host, port })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.user, self.authority())
    }
}

/// One part of a handle: only `[a-z0-9.-]` and `_` (doubled); no `.`/`-` at the ends, since
/// Mastodon's username pattern needs a word character first and last.
fn escape(part: &str) -> Result<String, HandleError> {
    let mut out = String::with_capacity(part.len() + 2);
    for c in part.chars() {
        match c {
            'a'..='z' | '0'..='9' | '.' | '-' => out.push(c),
            '_' => out.push_str("__"),
            other => {
                return Err(HandleError::BadCharacter {
                    text: part.to_string(),
                    found: other,
                });
            }
        }
    }
    for edge in [out.chars().next(), out.chars().last()]
        .into_iter()
        .flatten()
    {
        if edge == '.' || edge == '-' {
            return Err(HandleError::BadCharacter {
                text: part.to_string(),
                found: edge,
            });
        }
    }
    Ok(out)
}

/// True when `name` matches Mastodon's username pattern.
pub fn is_mastodon_username(name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let inner = |c: char| word(c) || c == '.' || c == '-';
    let mut chars = name.chars();
    match (chars.next(), name.chars().last()) {
        (Some(first), Some(last)) => word(first) && word(last) && name.chars().all(inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        let cases = [
            ("alice@gs.example", "alice_at_gs.example"),
            ("acct:Bob@Social.Example", "bob_at_social.example"),
            ("@carol_x@pump.example", "carol__x_at_pump.example"),
            ("alice@127.0.0.1:8081", "alice_at_127.0.0.1_8081"),
            ("a_@b", "a___at_b"),
        ];
        for (addr, handle) in cases {
            let a = Address::parse(addr).unwrap();
            assert_eq!(a.to_handle().unwrap(), handle, "{addr}");
            assert!(is_mastodon_username(handle), "{handle}");
            assert_eq!(Address::from_handle(handle).unwrap(), a, "{handle}");
        }
        assert_eq!(
            Address::parse("alice@127.0.0.1:8081").unwrap().authority(),
            "127.0.0.1:8081"
        );
    }

    #[test]
    fn refusals() {
        assert!(Address::parse("nobody").is_err());
        assert!(Address::parse("a@b:notaport").is_err());
        assert!(Address::parse("@host").is_err());
        assert!(matches!(
            Address::parse("al ice@x.example").unwrap().to_handle(),
            Err(HandleError::BadCharacter { found: ' ', .. })
        ));
        assert!(Address::parse(".a@x.example").unwrap().to_handle().is_err());
        for h in [
            "alice",
            "alice_x",
            "_at_x",
            "a_at_",
            "a_at_b_x1",
            "a_at_b_99999",
            "a_at_b_080",
        ] {
            assert!(Address::from_handle(h).is_err(), "{h}");
        }
    }

    proptest! {
        #[test]
        fn handles_round_trip(
            user in "[a-z0-9_]([a-z0-9_.-]{0,10}[a-z0-9_])?",
            host in "[a-z0-9_]([a-z0-9_.-]{0,10}[a-z0-9_])?",
            port in proptest::option::of(any::<u16>()),
        ) {
            let a = Address { user, host, port };
            let h = a.to_handle().unwrap();
            prop_assert!(is_mastodon_username(&h), "{}", h);
            prop_assert_eq!(Address::from_handle(&h).unwrap(), a);
        }

        #[test]
        fn whatever_parses_round_trips(s in "\\PC{0,40}") {
            if let Ok(a) = Address::parse(&s)
                && let Ok(h) = a.to_handle()
            {
                prop_assert!(is_mastodon_username(&h), "{}", h);
                prop_assert_eq!(Address::from_handle(&h).unwrap(), a);
            }
            if let Ok(a) = Address::from_handle(&s) {
                prop_assert_eq!(a.to_handle().unwrap(), s.to_ascii_lowercase());
            }
        }
    }
}
