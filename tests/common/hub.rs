//! A GNU social double with a WebSub hub, on loopback: it serves a real GNU social feed
//! (whose `rel=hub` names this double's hub, at GNU social's path `/main/push/hub`), records
//! every form POST to a hub path, answers as scripted, and on request performs the hub's
//! side of WebSub: the verification GET to a callback, and pushes signed with a given HMAC.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ostatus_bridge::websub::{HmacAlgo, sign};
use warp::Filter;
use warp::http::Response;

/// The feed path, as GNU social names a user's timeline.
pub const FEED_PATH: &str = "/api/statuses/user_timeline/3.atom";

/// One subscription request as the hub received it.
#[derive(Debug, Clone)]
pub struct HubRequest {
    /// The path it was posted to.
    pub path: String,
    /// `Content-Type` of the request.
    pub content_type: Option<String>,
    /// The form fields, in order.
    pub form: Vec<(String, String)>,
}

impl HubRequest {
    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A running double.
#[derive(Clone)]
pub struct Hub {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every POST to a hub path, in order.
    pub requests: Arc<Mutex<Vec<HubRequest>>>,
    /// Statuses for the next hub POSTs, first first; then 202.
    pub script: Arc<Mutex<VecDeque<u16>>>,
    /// The feed it serves.
    pub feed: Arc<Mutex<String>>,
    /// A `Link` header to serve with the feed, if any.
    pub link_header: Arc<Mutex<Option<String>>>,
    /// How many times the feed was served.
    pub hits: Arc<AtomicUsize>,
}

impl Hub {
    /// `http://127.0.0.1:PORT<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The hub the feed names.
    pub fn hub_url(&self) -> String {
        self.url("/main/push/hub")
    }

    /// The feed (also its `rel=self`).
    pub fn feed_url(&self) -> String {
        self.url(FEED_PATH)
    }

    /// Subscription requests so far.
    pub fn received(&self) -> Vec<HubRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// Answers the next hub POSTs with `statuses`.
    pub fn script(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses.iter().copied());
    }

    /// How many times the feed has been served.
    pub fn feed_hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Serves `feed` from now on.
    pub fn set_feed(&self, feed: String) {
        *self.feed.lock().unwrap() = feed;
    }

    /// The verification GET a hub makes: `callback` with `hub.mode`, `hub.topic`,
    /// `hub.challenge` and (when given) `hub.lease_seconds` appended. Returns (status, body).
    pub async fn verify(
        &self,
        callback: &str,
        mode: &str,
        topic: &str,
        challenge: &str,
        lease: Option<u64>,
    ) -> (u16, String) {
        let mut url = url::Url::parse(callback).unwrap();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("hub.mode", mode)
                .append_pair("hub.topic", topic)
                .append_pair("hub.challenge", challenge);
            if let Some(l) = lease {
                q.append_pair("hub.lease_seconds", &l.to_string());
            }
        }
        let r = client().get(url).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }

    /// A push of `body` to `callback`, signed `algo` with `secret` when given (or with the
    /// literal header `raw_signature`), with the `Link` headers WebSub asks for.
    pub async fn push(
        &self,
        callback: &str,
        body: &str,
        signature: Signature<'_>,
    ) -> (u16, String) {
        let mut req = client()
            .post(callback)
            .header("content-type", "application/atom+xml")
            .header(
                "link",
                format!(
                    "<{}>; rel=\"hub\", <{}>; rel=\"self\"",
                    self.hub_url(),
                    self.feed_url()
                ),
            );
        let header = match signature {
            Signature::None => None,
            Signature::With(algo, secret) => Some(sign(algo, secret.as_bytes(), body.as_bytes())),
            Signature::Raw(raw) => Some(raw.to_string()),
        };
        if let Some(h) = header {
            req = req.header("x-hub-signature", h);
        }
        let r = req.body(body.to_string()).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap())
    }
}

/// How a push is signed.
#[derive(Debug, Clone, Copy)]
pub enum Signature<'a> {
    /// No `X-Hub-Signature`.
    None,
    /// HMAC of the body with this algorithm and secret.
    With(HmacAlgo, &'a str),
    /// This header value as is.
    Raw(&'a str),
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The GNU social fixture feed moved to `base` (its hub becomes `base/main/push/hub`).
pub fn fixture_feed(base: &str) -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/external/gnu-social/ActivityParseTests.php__example5.atom"
    ))
    .unwrap()
    .replace("http://example.net/mysite", base)
}

/// `feed` with a new note `n` on top, as GNU social writes one.
pub fn with_note(feed: &str, base: &str, n: u32, text: &str) -> String {
    let entry = format!(
        r#"<entry>
 <title>{text}</title>
 <author><name>testuser</name><uri>{base}/user/3</uri></author>
 <link rel="alternate" type="text/html" href="{base}/notice/{n}"/>
 <id>tag:gs.test,2026-12-04:noticeId={n}:objectType=note</id>
 <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>
 <activity:object-type>http://activitystrea.ms/schema/1.0/note</activity:object-type>
 <published>2026-12-04T10:00:{n:02}+00:00</published>
 <updated>2026-12-04T10:00:{n:02}+00:00</updated>
 <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/collection" href="http://activityschema.org/collection/public"/>
 <content type="html">{text}</content>
</entry>
"#
    );
    feed.replacen("<entry>", &format!("{entry}<entry>"), 1)
}

/// Starts a double on an ephemeral loopback port.
pub async fn start() -> Hub {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hub = Hub {
        addr,
        requests: Arc::default(),
        script: Arc::default(),
        feed: Arc::new(Mutex::new(fixture_feed(&format!("http://{addr}")))),
        link_header: Arc::default(),
        hits: Arc::default(),
    };
    let feed = {
        let me = hub.clone();
        warp::get()
            .and(warp::path!("api" / "statuses" / "user_timeline" / "3.atom"))
            .map(move || {
                me.hits.fetch_add(1, Ordering::SeqCst);
                let mut r = Response::builder()
                    .header("content-type", "application/atom+xml; charset=utf-8");
                if let Some(link) = me.link_header.lock().unwrap().clone() {
                    r = r.header("link", link);
                }
                r.body(me.feed.lock().unwrap().clone()).unwrap()
            })
    };
    let posts = {
        let me = hub.clone();
        warp::post()
            .and(warp::path::full())
            .and(warp::header::optional::<String>("content-type"))
            .and(warp::body::bytes())
            .map(
                move |path: warp::path::FullPath,
                      ct: Option<String>,
                      body: warp::hyper::body::Bytes| {
                    let form = url::form_urlencoded::parse(&body)
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    me.requests.lock().unwrap().push(HubRequest {
                        path: path.as_str().to_string(),
                        content_type: ct,
                        form,
                    });
                    let status = me.script.lock().unwrap().pop_front().unwrap_or(202);
                    Response::builder()
                        .status(status)
                        .body(String::new())
                        .unwrap()
                },
            )
    };
    tokio::spawn(warp::serve(feed.or(posts)).incoming(listener).run());
    hub
}
