//! Which peers the bridge may talk to: the operator's host list (inbound and outbound), plain
//! http, and the addresses a name resolves to. A bridge fetches URLs that strangers hand it
//! (actor ids, key ids, inboxes, feed links), so without this check anyone could make it
//! request `http://169.254.169.254/` or an admin page on the operator's network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::config::{HostMode, SecurityConfig};

/// Why a peer was refused; each says which rule applied, for logs and error replies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The host is on the operator's deny list.
    #[error("host {0} is on the deny list")]
    Denied(String),
    /// The bridge runs with an allow list and the host is not on it.
    #[error("host {0} is not on the allow list")]
    NotAllowed(String),
    /// The address is private, loopback, link-local, multicast or unspecified.
    #[error(
        "{host} is a non-public address ({ip}); set security.allow_private_networks to allow it"
    )]
    PrivateAddress {
        /// The host as written in the URL.
        host: String,
        /// The address it is or resolved to.
        ip: IpAddr,
    },
    /// Plain http while `allow_http` is off.
    #[error("plain http is not allowed ({0}); set security.allow_http to allow it")]
    PlainHttp(String),
    /// Not an http(s) URL.
    #[error("unsupported URL scheme {0:?}")]
    Scheme(String),
    /// The URL has no host.
    #[error("URL has no host: {0}")]
    NoHost(String),
}

/// The operator's rules for peers, from `[security]`.
#[derive(Debug, Clone)]
pub struct NetPolicy {
    allow_private: bool,
    allow_http: bool,
    mode: HostMode,
    hosts: Vec<String>,
}

impl NetPolicy {
    /// The policy `[security]` describes.
    pub fn from_config(c: &SecurityConfig) -> NetPolicy {
        NetPolicy {
            allow_private: c.allow_private_networks,
            allow_http: c.allow_http,
            mode: c.mode,
            hosts: c
                .hosts
                .iter()
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    /// True when non-public addresses are allowed (tests on loopback).
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// True when plain http peers are allowed (legacy servers without TLS).
    pub fn allows_http(&self) -> bool {
        self.allow_http
    }

    /// Applies the host list to a host name; a listed name covers its subdomains.
    pub fn check_host(&self, host: &str) -> Result<(), Refused> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let listed = self.hosts.iter().any(|h| {
            host == *h
                || host
                    .strip_suffix(h.as_str())
                    .is_some_and(|p| p.ends_with('.'))
        });
        match (self.mode, listed) {
            (HostMode::Denylist, true) => Err(Refused::Denied(host)),
            (HostMode::Allowlist, false) => Err(Refused::NotAllowed(host)),
            _ => Ok(()),
        }
    }

    /// Checks an address a name resolved to (or an address literal).
    pub fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        if self.allow_private || is_public(ip) {
            Ok(())
        } else {
            Err(Refused::PrivateAddress {
                host: host.to_string(),
                ip,
            })
        }
    }

    /// Everything that can be decided before resolving: scheme, host list, address literals.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => return Err(Refused::PlainHttp(url.to_string())),
            other => return Err(Refused::Scheme(other.to_string())),
        }
        let host = url.host().ok_or_else(|| Refused::NoHost(url.to_string()))?;
        match host {
            Host::Domain(d) => self.check_host(d),
            Host::Ipv4(ip) => {
                let text = ip.to_string();
                self.check_host(&text)?;
                self.check_ip(&text, IpAddr::V4(ip))
            }
            Host::Ipv6(ip) => {
                let text = ip.to_string();
                self.check_host(&text)?;
                self.check_ip(&text, IpAddr::V6(ip))
            }
        }
    }
}

/// True for addresses on the public internet: not loopback, private (RFC 1918, ULA),
/// link-local (cloud metadata lives at 169.254.169.254), shared (CGNAT), multicast,
/// broadcast, documentation, benchmarking or unspecified. IPv4-mapped and NAT64-embedded
/// IPv6 addresses are judged by the IPv4 address inside.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            // 64:ff9b::/96 (NAT64) embeds an IPv4 address in the last 32 bits.
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = seg[6].to_be_bytes();
                let [c, d] = seg[7].to_be_bytes();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || seg[..2] == [0x2001, 0xdb8] // documentation
                || v6 == Ipv6Addr::from([0u8; 16]))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allow_private: bool, mode: HostMode, hosts: &[&str]) -> NetPolicy {
        NetPolicy {
            allow_private,
            allow_http: false,
            mode,
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    #[test]
    fn non_public_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "ff02::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.215.14", "2606:4700::6810:84e5", "::ffff:8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls() {
        let p = policy(false, HostMode::Denylist, &["bad.example"]);
        let check = |u: &str| p.check_url(&Url::parse(u).unwrap());
        assert_eq!(check("https://good.example/x"), Ok(()));
        assert_eq!(
            check("https://x.bad.example/"),
            Err(Refused::Denied("x.bad.example".into()))
        );
        assert_eq!(check("https://notbad.example/"), Ok(()));
        assert!(matches!(
            check("https://169.254.169.254/latest/meta-data"),
            Err(Refused::PrivateAddress { .. })
        ));
        assert!(matches!(
            check("https://[::1]:8080/"),
            Err(Refused::PrivateAddress { .. })
        ));
        assert!(matches!(
            check("http://good.example/"),
            Err(Refused::PlainHttp(_))
        ));
        assert!(matches!(
            check("ftp://good.example/"),
            Err(Refused::Scheme(_))
        ));
        let allow = policy(true, HostMode::Allowlist, &["friend.example"]);
        assert_eq!(allow.check_host("friend.example"), Ok(()));
        assert_eq!(
            allow.check_host("stranger.example"),
            Err(Refused::NotAllowed("stranger.example".into()))
        );
    }
}
