//! Discovery of the bridge and its puppets: WebFinger (RFC 7033, JRD; XRD when asked),
//! host-meta with LRDD templates (RFC 6415, for OStatus-era servers), and NodeInfo 2.1.
//!
//! A puppet is found by `acct:<handle>@<bridge authority>`, by its actor URL or by its
//! profile page. A puppet with an ActivityPub face links `self` to the actor (what Mastodon
//! requires), the legacy profile page, and the puppet's Salmon `magic-public-key`; one with an
//! OStatus face links its feed, Salmon endpoints, profile page, key and subscribe template.

use serde_json::json;
use warp::Reply;
use warp::http::StatusCode;
use warp::http::header::HeaderValue;
use warp::reply::Response;

use super::actors::{self, PuppetRecord};
use super::errors::{JRD_JSON, Status, StoreFailure, XRD_XML, error_reply, json_reply, text_reply};
use super::state::App;
use crate::crypto::PublicKey;
use crate::identity::Address;
use crate::identity::webfinger::{Descriptor, Link, rel};
use crate::puppet::BridgeUrls;

/// NodeInfo 2.1's schema URI, the `rel` of its discovery link and the profile of its type.
pub const NODEINFO_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// Why a WebFinger query got no descriptor.
#[derive(Debug, thiserror::Error)]
pub enum WebfingerError {
    /// `resource` is missing or is not an `acct:` or http(s) URI (400).
    #[error("{0}")]
    BadResource(String),
    /// Nothing on this bridge has that name (404).
    #[error("no puppet {0:?} on this bridge")]
    Unknown(String),
    /// A bridged handle whose legacy account could not be found or reached (404).
    #[error("no legacy account behind {0:?}: {1}")]
    NotBridged(String, String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreFailure),
}

impl Status for WebfingerError {
    fn status(&self) -> StatusCode {
        match self {
            WebfingerError::BadResource(_) => StatusCode::BAD_REQUEST,
            WebfingerError::Unknown(_) | WebfingerError::NotBridged(..) => StatusCode::NOT_FOUND,
            WebfingerError::Store(e) => e.status(),
        }
    }
}

/// The handle a WebFinger `resource` names, if it is on this bridge.
fn handle_of_resource(app: &App, resource: &str) -> Result<String, WebfingerError> {
    let resource = resource.trim();
    if resource.starts_with("http://") || resource.starts_with("https://") {
        // The actor URL, or the profile page (`<base>/@<handle>`, the OStatus alias).
        let page = resource
            .strip_prefix(app.urls.base())
            .and_then(|r| r.strip_prefix("/@"))
            .filter(|h| !h.is_empty() && !h.contains(['/', '?', '#']))
            .map(str::to_string);
        return app
            .urls
            .handle_of(resource)
            .or(page)
            .ok_or_else(|| WebfingerError::Unknown(resource.to_string()));
    }
    if !resource.starts_with("acct:") {
        return Err(WebfingerError::BadResource(format!(
            "resource {resource:?} is neither an acct: URI nor an http(s) URL"
        )));
    }
    let address = Address::parse(resource)
        .map_err(|e| WebfingerError::BadResource(format!("resource: {e}")))?;
    if !address
        .authority()
        .eq_ignore_ascii_case(app.urls.authority())
    {
        return Err(WebfingerError::Unknown(resource.to_string()));
    }
    Ok(address.user)
}

/// The descriptor of a puppet: its ActivityPub face ([`ap_descriptor`]) or its OStatus face
/// ([`ostatus_descriptor`]), by [`super::face::face_of`].
pub fn descriptor(app: &App, record: &PuppetRecord) -> Descriptor {
    match super::face::face_of(&record.puppet) {
        super::face::Face::ActivityPub => ap_descriptor(app, record),
        super::face::Face::OStatus => ostatus_descriptor(&app.urls, record),
    }
}

/// The magic public key link of a puppet's key pair (`data:application/magic-public-key,
/// RSA.<n>.<e>`, padded base64url as Mastodon and GNU social publish it).
fn magic_key_link(record: &PuppetRecord) -> Option<Link> {
    match PublicKey::from_pem(&record.keys.public_pem) {
        Ok(k) => Some(Link::new(
            rel::MAGIC_KEY,
            None,
            &format!("data:application/magic-public-key,{}", k.to_magic()),
        )),
        Err(e) => {
            tracing::warn!(handle = %record.puppet.handle, error = %e, "stored public key does not read");
            None
        }
    }
}

/// The OStatus face's descriptor: every relation Mastodon 2.x checks before it treats an
/// account as OStatus (profile page, `updates-from` feed, Salmon, magic key, subscribe
/// template), the older Salmon relations GNU social still reads, and no ActivityPub `self`
/// link, so peers that speak both talk OStatus to the puppet.
pub fn ostatus_descriptor(urls: &BridgeUrls, record: &PuppetRecord) -> Descriptor {
    let h = &record.puppet.handle;
    let salmon = urls.salmon(h);
    let mut links = vec![
        Link::new(rel::PROFILE_PAGE, Some("text/html"), &urls.profile_page(h)),
        Link::new(
            rel::UPDATES_FROM,
            Some("application/atom+xml"),
            &urls.feed(h),
        ),
        Link::new(rel::SALMON, None, &salmon),
    ];
    for old in rel::SALMON_OLD {
        links.push(Link::new(old, None, &salmon));
    }
    links.extend(magic_key_link(record));
    links.push(Link {
        rel: rel::SUBSCRIBE.into(),
        media_type: None,
        href: None,
        template: Some(format!("{}/authorize_interaction?uri={{uri}}", urls.base())),
    });
    Descriptor {
        subject: Some(urls.acct(h)),
        aliases: vec![urls.profile_page(h), urls.actor(h)],
        links,
    }
}

/// The ActivityPub face's descriptor: `self` is the actor (what Mastodon requires), the
/// legacy profile page, and the puppet's magic key.
pub fn ap_descriptor(app: &App, record: &PuppetRecord) -> Descriptor {
    let h = &record.puppet.handle;
    let actor = app.urls.actor(h);
    let identity = record.identity(app);
    let profile_page = identity
        .endpoints
        .profile
        .clone()
        .unwrap_or_else(|| actor.clone());
    let mut links = vec![
        Link::new(rel::SELF, Some(super::errors::ACTIVITY_JSON), &actor),
        Link::new(rel::PROFILE_PAGE, Some("text/html"), &profile_page),
    ];
    links.extend(magic_key_link(record));
    Descriptor {
        subject: Some(app.urls.acct(h)),
        aliases: vec![actor],
        links,
    }
}

/// True when the client asked for XML (XRD) rather than JSON.
fn wants_xml(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        let a = a.to_ascii_lowercase();
        a.contains("xrd+xml") || (a.contains("application/xml") && !a.contains("json"))
    })
}

fn with_cors(mut r: Response) -> Response {
    r.headers_mut().insert(
        warp::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// `GET /.well-known/webfinger?resource=…[&rel=…]`.
pub(super) async fn webfinger_route(app: &App, query: &str, accept: Option<&str>) -> Response {
    let mut resource = None;
    let mut rels = Vec::new();
    let mut xml = wants_xml(accept);
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            // StatusNet-era clients ask for XML in the query rather than in `Accept`.
            "format" => xml = v.eq_ignore_ascii_case("xml") || v.eq_ignore_ascii_case("xrd"),
            "resource" if resource.is_none() => resource = Some(v.into_owned()),
            "resource" => {
                return with_cors(error_reply(&WebfingerError::BadResource(
                    "resource given more than once".into(),
                )));
            }
            "rel" => rels.push(v.into_owned()),
            _ => {}
        }
    }
    let answer = async {
        let resource =
            resource.ok_or_else(|| WebfingerError::BadResource("resource is missing".into()))?;
        let handle = handle_of_resource(app, &resource)?;
        if let Some(record) = actors::load(app, &handle).await? {
            return Ok(record);
        }
        // Handles are reversible: a user who searches `@alice_at_gs.example@bridge` makes
        // the puppet of `alice@gs.example`, found and created here on first use.
        let Ok(address) = Address::from_handle(&handle) else {
            return Err(WebfingerError::Unknown(resource));
        };
        match super::lookup::ensure_puppet(app, &address.acct()).await {
            Ok(_) => actors::load(app, &handle)
                .await?
                .ok_or(WebfingerError::Unknown(resource)),
            Err(e) => {
                tracing::info!(resource = ?resource, error = %e, "no legacy account behind the handle");
                Err(WebfingerError::NotBridged(resource, e.to_string()))
            }
        }
    };
    let record = match answer.await {
        Ok(r) => r,
        Err(e) => return with_cors(error_reply(&e)),
    };
    let mut d = descriptor(app, &record);
    if !rels.is_empty() {
        d.links.retain(|l| rels.contains(&l.rel));
    }
    with_cors(if xml {
        text_reply(d.to_xrd(), XRD_XML)
    } else {
        text_reply(d.to_jrd(), JRD_JSON)
    })
}

/// host-meta: LRDD templates pointing at our WebFinger, in both spellings.
pub(super) fn host_meta(app: &App, json: bool) -> Response {
    let template = format!("{}/.well-known/webfinger?resource={{uri}}", app.urls.base());
    let d = Descriptor {
        subject: None,
        aliases: Vec::new(),
        links: vec![
            Link {
                rel: rel::LRDD.into(),
                media_type: Some(XRD_XML.into()),
                href: None,
                template: Some(template.clone()),
            },
            Link {
                rel: rel::LRDD.into(),
                media_type: Some(JRD_JSON.into()),
                href: None,
                template: Some(template),
            },
        ],
    };
    with_cors(if json {
        text_reply(d.to_jrd(), JRD_JSON)
    } else {
        text_reply(d.to_xrd(), XRD_XML)
    })
}

/// True when host-meta should be answered as JSON (`Accept: application/json`).
pub(super) fn host_meta_wants_json(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.to_ascii_lowercase().contains("json"))
}

/// `/.well-known/nodeinfo`: where the NodeInfo document is.
pub(super) fn nodeinfo_links(app: &App) -> Response {
    json_reply(
        &json!({"links": [{"rel": NODEINFO_21, "href": format!("{}/nodeinfo/2.1", app.urls.base())}]}),
        "application/json",
    )
}

/// `/nodeinfo/2.1`. Users are not counted: the store keeps no puppet count, and scanning
/// every puppet for a crawler is not worth it.
pub(super) fn nodeinfo(_app: &App) -> Response {
    let doc = json!({
        "version": "2.1",
        "software": {
            "name": "ostatus-bridge",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "protocols": ["activitypub", "ostatus"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {"users": {}},
        "metadata": {},
    });
    json_reply(
        &doc,
        &format!("application/json; profile=\"{NODEINFO_21}#\""),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_only_when_asked_for() {
        assert!(wants_xml(Some("application/xrd+xml")));
        assert!(wants_xml(Some("application/xml")));
        assert!(!wants_xml(Some(
            "application/jrd+json, application/xml;q=0.5"
        )));
        assert!(!wants_xml(Some("*/*")));
        assert!(!wants_xml(None));
        assert!(host_meta_wants_json(Some("application/json")));
        assert!(!host_meta_wants_json(Some("application/xrd+xml")));
    }
}
