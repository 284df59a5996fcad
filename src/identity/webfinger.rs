//! WebFinger resource descriptors in both spellings: JRD (RFC 7033, JSON) and XRD (RFC 6415,
//! XML). Legacy servers speak XRD (StatusNet's LRDD, GNU social's host-meta), modern ones JRD;
//! the bridge reads both and serves both for its puppets.

use serde::{Deserialize, Serialize};

use crate::codec::xml::{self, escape_attr, escape_text};
use crate::codec::{DecodeError, Limits};

/// The XRD namespace.
pub const XRD_NS: &str = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

/// Link relations the bridge reads and writes.
pub mod rel {
    /// The ActivityPub actor.
    pub const SELF: &str = "self";
    /// The profile page.
    pub const PROFILE_PAGE: &str = "http://webfinger.net/rel/profile-page";
    /// The OStatus Atom feed.
    pub const UPDATES_FROM: &str = "http://schemas.google.com/g/2010#updates-from";
    /// The Salmon endpoint.
    pub const SALMON: &str = "salmon";
    /// Older Salmon relations GNU social still answers with.
    pub const SALMON_OLD: [&str; 2] = [
        "http://salmon-protocol.org/ns/salmon-replies",
        "http://salmon-protocol.org/ns/salmon-mention",
    ];
    /// The Magic Signatures public key.
    pub const MAGIC_KEY: &str = "magic-public-key";
    /// The OStatus remote-follow template.
    pub const SUBSCRIBE: &str = "http://ostatus.org/schema/1.0/subscribe";
    /// LRDD template in host-meta.
    pub const LRDD: &str = "lrdd";
    /// Pump.io's activity endpoints.
    pub const PUMP_OUTBOX: &str = "activity-outbox";
    /// Pump.io inbox.
    pub const PUMP_INBOX: &str = "activity-inbox";
    /// Pump.io dialback.
    pub const DIALBACK: &str = "dialback";
    /// The avatar.
    pub const AVATAR: &str = "http://webfinger.net/rel/avatar";
}

/// One typed link of a descriptor.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Link {
    /// The relation.
    pub rel: String,
    /// Media type of the target.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", default)]
    pub media_type: Option<String>,
    /// Target URL.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub href: Option<String>,
    /// URL template (`{uri}`), for subscribe and LRDD links.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub template: Option<String>,
}

impl Link {
    /// A link with a target.
    pub fn new(rel: &str, media_type: Option<&str>, href: &str) -> Link {
        Link {
            rel: rel.to_string(),
            media_type: media_type.map(str::to_string),
            href: Some(href.to_string()),
            template: None,
        }
    }
}

/// A resource descriptor.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Descriptor {
    /// The canonical URI of the resource.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<String>,
    /// Other URIs for it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub aliases: Vec<String>,
    /// Links.
    #[serde(default)]
    pub links: Vec<Link>,
}

impl Descriptor {
    /// The first link with `rel` (and, when given, one of `types`).
    pub fn link(&self, rel: &str, types: &[&str]) -> Option<&Link> {
        self.links.iter().find(|l| {
            l.rel == rel
                && (types.is_empty()
                    || l.media_type
                        .as_deref()
                        .is_some_and(|t| types.iter().any(|w| media_eq(t, w))))
        })
    }

    /// The target of the first link with `rel`.
    pub fn href(&self, rel: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == rel && l.href.is_some())
            .and_then(|l| l.href.as_deref())
    }

    /// Reads a JRD.
    pub fn from_jrd(input: &[u8], limits: &Limits) -> Result<Descriptor, DecodeError> {
        let value = crate::codec::json::parse_object(input, limits)?;
        serde_json::from_value(serde_json::Value::Object(value)).map_err(|e| DecodeError::Invalid {
            at: crate::codec::Location::Path("$".into()),
            reason: format!("not a JRD: {e}"),
        })
    }

    /// Reads an XRD (elements outside the XRD namespace are ignored).
    pub fn from_xrd(input: &[u8], limits: &Limits) -> Result<Descriptor, DecodeError> {
        let tree = xml::parse(input, limits)?;
        let root = tree.root();
        if !root.is(XRD_NS, "XRD") {
            return Err(DecodeError::WrongRoot {
                at: root.location(),
                expected: "an XRD <XRD>",
                found: format!(
                    "<{}> in namespace {}",
                    root.local(),
                    root.ns().unwrap_or("(none)")
                ),
            });
        }
        let mut d = Descriptor::default();
        for el in root.children().filter(|e| e.ns() == Some(XRD_NS)) {
            match el.local() {
                "Subject" if d.subject.is_none() => d.subject = Some(el.text().trim().to_string()),
                "Alias" => d.aliases.push(el.text().trim().to_string()),
                "Link" => {
                    let Some(rel) = el.attr("rel") else { continue };
                    d.links.push(Link {
                        rel: rel.to_string(),
                        media_type: el.attr("type").map(str::to_string),
                        href: el.attr("href").map(str::to_string),
                        template: el.attr("template").map(str::to_string),
                    });
                }
                _ => {}
            }
        }
        Ok(d)
    }

    /// Reads either spelling, by its first non-blank byte.
    pub fn parse(input: &[u8], limits: &Limits) -> Result<Descriptor, DecodeError> {
        match input.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Descriptor::from_jrd(input, limits),
            _ => Descriptor::from_xrd(input, limits),
        }
    }

    /// The JRD text.
    pub fn to_jrd(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The XRD text.
    pub fn to_xrd(&self) -> String {
        let mut out =
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"{XRD_NS}\">\n");
        if let Some(s) = &self.subject {
            out.push_str("  <Subject>");
            escape_text(&mut out, s);
            out.push_str("</Subject>\n");
        }
        for a in &self.aliases {
            out.push_str("  <Alias>");
            escape_text(&mut out, a);
            out.push_str("</Alias>\n");
        }
        for l in &self.links {
            out.push_str("  <Link rel=\"");
            escape_attr(&mut out, &l.rel);
            out.push('"');
            for (name, value) in [
                ("type", &l.media_type),
                ("href", &l.href),
                ("template", &l.template),
            ] {
                if let Some(v) = value {
                    out.push(' ');
                    out.push_str(name);
                    out.push_str("=\"");
                    escape_attr(&mut out, v);
                    out.push('"');
                }
            }
            out.push_str("/>\n");
        }
        out.push_str("</XRD>\n");
        out
    }
}

/// Media types compared without parameters and case.
fn media_eq(a: &str, b: &str) -> bool {
    let base = |t: &str| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase();
    base(a) == base(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GNU_SOCIAL_XRD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
 <Subject>acct:alice@gs.example</Subject>
 <Alias>https://gs.example/user/7</Alias>
 <Link rel="http://webfinger.net/rel/profile-page" type="text/html" href="https://gs.example/alice"/>
 <Link rel="http://schemas.google.com/g/2010#updates-from" type="application/atom+xml" href="https://gs.example/api/statuses/user_timeline/7.atom"/>
 <Link rel="salmon" href="https://gs.example/main/salmon/user/7"/>
 <Link rel="magic-public-key" href="data:application/magic-public-key,RSA.abc.AQAB"/>
 <Link rel="http://ostatus.org/schema/1.0/subscribe" template="https://gs.example/main/ostatussub?profile={uri}"/>
 <Link type="ignored-no-rel"/>
</XRD>"#;

    #[test]
    fn reads_xrd_and_writes_it_back() {
        let d = Descriptor::parse(GNU_SOCIAL_XRD.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(d.subject.as_deref(), Some("acct:alice@gs.example"));
        assert_eq!(d.aliases, ["https://gs.example/user/7"]);
        assert_eq!(
            d.href(rel::UPDATES_FROM),
            Some("https://gs.example/api/statuses/user_timeline/7.atom")
        );
        assert_eq!(
            d.link(rel::SUBSCRIBE, &[])
                .and_then(|l| l.template.as_deref()),
            Some("https://gs.example/main/ostatussub?profile={uri}")
        );
        assert_eq!(d.links.len(), 5);
        let again = Descriptor::parse(d.to_xrd().as_bytes(), &Limits::default()).unwrap();
        assert_eq!(again, d);
        let jrd = Descriptor::parse(d.to_jrd().as_bytes(), &Limits::default()).unwrap();
        assert_eq!(jrd, d);
    }

    #[test]
    fn typed_links_match_without_parameters() {
        let d = Descriptor::parse(
            br#"{"subject":"acct:a@b","links":[{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"https://b/a"}]}"#,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            d.link(
                "self",
                &["application/activity+json", "application/ld+json"]
            )
            .and_then(|l| l.href.as_deref()),
            Some("https://b/a")
        );
        assert!(d.link("self", &["text/html"]).is_none());
    }

    #[test]
    fn errors_are_precise() {
        let e = Descriptor::parse(
            b"<feed xmlns='http://www.w3.org/2005/Atom'/>",
            &Limits::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("expected an XRD"), "{e}");
        let e = Descriptor::parse(br#"{"links": 5}"#, &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("not a JRD"), "{e}");
    }
}
