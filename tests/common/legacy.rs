//! A legacy account double: a small OStatus server on loopback, serving WebFinger (JRD), host-meta
//! with an LRDD template (XRD), an HTML profile page and an Atom feed made from a real GNU social
//! fixture, with the fixture's host replaced by the double's address.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use warp::Filter;
use warp::http::Response;

/// How the double answers WebFinger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finger {
    /// RFC 7033 JRD at /.well-known/webfinger.
    Jrd,
    /// 404 there; host-meta + LRDD XRD only (StatusNet-era servers).
    LrddOnly,
    /// A JRD whose subject claims another host.
    Foreign,
    /// A JRD whose subject is `testuser` on the loopback double at this port (an account that
    /// moved, or a domain that delegates to its canonical server).
    PointsTo(u16),
}

/// A running double; `feed` can be replaced while it runs.
pub struct Legacy {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The Atom feed it serves.
    pub feed: Arc<Mutex<String>>,
    /// How many times the feed was served.
    pub hits: Arc<AtomicUsize>,
}

impl Legacy {
    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many times the feed has been served so far.
    pub fn feed_hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The account address, `testuser@127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("testuser@{}", self.addr)
    }
}

/// The GNU social fixture's feed, moved to `base`.
pub fn feed_for(base: &str) -> String {
    let raw = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/external/gnu-social/ActivityParseTests.php__example5.atom"
    ))
    .expect("fixture");
    raw.replace("http://example.net/mysite", base)
}

/// Starts a double on an ephemeral loopback port.
pub async fn start(mode: Finger) -> Legacy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let feed = Arc::new(Mutex::new(feed_for(&base)));
    let acct = format!("acct:testuser@{addr}");
    let links = |b: &str| {
        vec![
            ("http://webfinger.net/rel/profile-page", "text/html", format!("{b}/testuser")),
            (
                "http://schemas.google.com/g/2010#updates-from",
                "application/atom+xml",
                format!("{b}/api/statuses/user_timeline/3.atom"),
            ),
            ("salmon", "", format!("{b}/main/salmon/user/3")),
            ("magic-public-key", "", "data:application/magic-public-key,RSA.mVgY8RN6URBTstndvmUUPb4UZTdwvwmddSKE5z_jvKUEK6yk1u3rrC9yN8k6FilGj9K0eeUPe2hf4Pj-5CmHww==.AQAB".to_string()),
        ]
    };
    let jrd = {
        let (acct, base) = (acct.clone(), base.clone());
        warp::path!(".well-known" / "webfinger").map(move || {
            let subject = match mode {
                Finger::Foreign => "acct:testuser@evil.example".to_string(),
                Finger::PointsTo(port) => format!("acct:testuser@127.0.0.1:{port}"),
                _ => acct.clone(),
            };
            if mode == Finger::LrddOnly {
                return Response::builder().status(404).body(String::new()).expect("response");
            }
            let links: Vec<serde_json::Value> = links(&base)
                .into_iter()
                .map(|(rel, ty, href)| {
                    let mut l = serde_json::json!({"rel": rel, "href": href});
                    if !ty.is_empty() {
                        l["type"] = ty.into();
                    }
                    l
                })
                .collect();
            let body = serde_json::json!({"subject": subject, "aliases": [format!("{base}/user/3")], "links": links});
            Response::builder()
                .header("content-type", "application/jrd+json")
                .body(body.to_string())
                .expect("response")
        })
    };
    let host_meta = {
        let base = base.clone();
        warp::path!(".well-known" / "host-meta").map(move || {
            Response::builder()
                .header("content-type", "application/xrd+xml")
                .body(format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"><Link rel="lrdd" type="application/xrd+xml" template="{base}/main/xrd?uri={{uri}}"/></XRD>"#
                ))
                .expect("response")
        })
    };
    let lrdd = {
        let (acct, base) = (acct.clone(), base.clone());
        warp::path!("main" / "xrd")
            .and(warp::query::<std::collections::HashMap<String, String>>())
            .map(move |q: std::collections::HashMap<String, String>| {
                if q.get("uri") != Some(&acct) {
                    return Response::builder().status(404).body(String::new()).expect("response");
                }
                let mut x = format!(
                    "<?xml version=\"1.0\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\"><Subject>{acct}</Subject>"
                );
                for (rel, ty, href) in links(&base) {
                    let ty = if ty.is_empty() { String::new() } else { format!(" type=\"{ty}\"") };
                    x.push_str(&format!("<Link rel=\"{rel}\"{ty} href=\"{href}\"/>"));
                }
                x.push_str("</XRD>");
                Response::builder()
                    .header("content-type", "application/xrd+xml")
                    .body(x)
                    .expect("response")
            })
    };
    let page = {
        let base = base.clone();
        warp::path!("testuser").map(move || {
            Response::builder()
                .header("content-type", "text/html; charset=utf-8")
                .body(format!(
                    r#"<!doctype html><html><head><title>testuser</title>
<link rel="alternate" type="application/atom+xml" title="testuser" href="{base}/api/statuses/user_timeline/3.atom"></head><body></body></html>"#
                ))
                .expect("response")
        })
    };
    let hits = Arc::new(AtomicUsize::new(0));
    let atom = {
        let (feed, hits) = (feed.clone(), hits.clone());
        warp::path!("api" / "statuses" / "user_timeline" / "3.atom").map(move || {
            hits.fetch_add(1, Ordering::SeqCst);
            let body = feed.lock().map(|f| f.clone()).unwrap_or_default();
            Response::builder()
                .header("content-type", "application/atom+xml; charset=utf-8")
                .body(body)
                .expect("response")
        })
    };
    let routes = jrd.or(host_meta).or(lrdd).or(page).or(atom);
    tokio::spawn(warp::serve(routes).incoming(listener).run());
    Legacy { addr, feed, hits }
}
