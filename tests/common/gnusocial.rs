//! A GNU social 1.2x double on loopback, for the live two-way tests: one local user with a real
//! RSA key (made here with `crypto::KeyPair`), served the ways GNU social serves it, and the
//! three things a GNU social server does to a remote peer, each written here independently of
//! the bridge's code (only the RSA and HMAC primitives are shared):
//!
//! - **Discovery**: host-meta with an LRDD template, XRD and WebFinger JRD (XRD too when asked)
//!   for `acct:USER@127.0.0.1:PORT` and `http://127.0.0.1:PORT/user/1` with subject,
//!   aliases, profile-page, updates-from, salmon (and -replies, -mention), magic-public-key,
//!   the OStatus subscribe template and avatar.
//! - **Publishing**: the user's Atom feed (`link rel=hub` = the WebSub hub given at start,
//!   `rel=self`, `rel=salmon`, feed-level author with poco fields), served WITH the
//!   `Link: <hub>; rel="hub", <feed>; rel="self"` header flask-websub needs; the test adds
//!   entries (post, reply, favourite, repeat, delete, follow, unfollow) and pings the hub
//!   ([`GnuSocial::publish`]).
//! - **Salmon in**: `POST /main/salmon/user/1` verifies the envelope the GNU social way (see
//!   `magic_env`), with the key found by discovery of the entry's `author/uri` (LRDD through
//!   host-meta first, as GNU social does, then WebFinger), and answers 200 (verified, recorded)
//!   or 401 (signature) / 400 (malformed), recording why.
//! - **Salmon out**: [`GnuSocial::send_salmon`] signs an entry as this user, GNU social form.
//! - **WebSub subscriber**: [`GnuSocial::subscribe`] asks a hub for a topic with a fresh secret;
//!   the callback answers the hub's verification only for what it asked, and checks every
//!   push's `X-Hub-Signature` (`websub::verify`), answering 2xx either way (records validity).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use ostatus_bridge::crypto::{KeyPair, PublicKey};
use ostatus_bridge::websub::{self, HmacAlgo, SignatureError};
use warp::Filter;
use warp::http::{HeaderMap, Method, Response};

use super::gnusocial_atom::{self as atom, Action, Author, Entry, Target};
use super::magic_env::{self, Mode};
use super::mini_xml::{self, Node, esc};

/// A Salmon the double accepted.
#[derive(Debug, Clone)]
pub struct ReceivedSalmon {
    /// The decoded Atom entry, exactly as signed.
    pub entry_xml: String,
    /// It, parsed.
    pub entry: Node,
    /// `entry/id`.
    pub id: String,
    /// `activity:verb` (full IRI; `post` when absent, as GNU social assumes).
    pub verb: String,
    /// `author/uri`, the signer.
    pub author_uri: String,
    /// `activity:object/id`, if any.
    pub object_id: Option<String>,
    /// `thr:in-reply-to/@ref`, if any.
    pub in_reply_to: Option<String>,
    /// `content`.
    pub content: String,
    /// The signing text that verified.
    pub mode: Mode,
    /// Where the key came from: `lrdd` (host-meta template) or `webfinger`.
    pub key_source: String,
    /// The request's Content-Type.
    pub content_type: String,
    /// Whether `me:data` as sent ended in `=` padding (GNU social's own form pads).
    pub data_padded: bool,
}

/// A Salmon the double refused.
#[derive(Debug, Clone)]
pub struct RejectedSalmon {
    /// What it answered.
    pub status: u16,
    /// Why.
    pub reason: String,
    /// The request body.
    pub body: String,
}

/// A subscription this double asked a hub for.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Its number (the callback is `/main/push/callback/<id>`).
    pub id: usize,
    /// The hub endpoint.
    pub hub: String,
    /// The topic.
    pub topic: String,
    /// The callback URL.
    pub callback: String,
    /// The `hub.secret` sent.
    pub secret: String,
    /// The mode the double wants verified now: `subscribe` or `unsubscribe`.
    pub mode: String,
    /// Whether the hub verified the current mode (the challenge was echoed).
    pub verified: bool,
    /// `hub.lease_seconds` of the last verification.
    pub lease_seconds: Option<u64>,
    /// The hub's answer to the subscribe / unsubscribe request.
    pub hub_status: u16,
}

/// A content distribution POST to one of the double's callbacks.
#[derive(Debug, Clone)]
pub struct Push {
    /// The subscription it came for.
    pub subscription: usize,
    /// Its topic.
    pub topic: String,
    /// The body, as received.
    pub body: String,
    /// `X-Hub-Signature`.
    pub signature: Option<String>,
    /// The HMAC check with the subscription's secret.
    pub verified: Result<HmacAlgo, SignatureError>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Link`.
    pub link: Option<String>,
}

/// A verification GET from a hub.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The subscription the callback path names, if it exists.
    pub subscription: Option<usize>,
    /// The query parameters.
    pub params: HashMap<String, String>,
    /// Whether the double echoed the challenge.
    pub answered: bool,
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    salmons: Vec<ReceivedSalmon>,
    rejected: Vec<RejectedSalmon>,
    subs: Vec<Subscription>,
    pushes: Vec<Push>,
    verifications: Vec<Verification>,
    requests: Vec<String>,
    feed_hits: usize,
}

struct Inner {
    addr: SocketAddr,
    user: String,
    hub: Mutex<String>,
    key: KeyPair,
    author: Author,
    state: Mutex<State>,
    client: reqwest::Client,
}

/// A running GNU social double (stops when dropped).
pub struct GnuSocial {
    inner: Arc<Inner>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

type Reply = Response<String>;

fn reply(status: u16, ctype: &str, body: String) -> Reply {
    Response::builder()
        .status(status)
        .header("content-type", ctype)
        .body(body)
        .expect("response")
}

fn query_map(query: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn random_secret() -> String {
    use aws_lc_rs::rand::SecureRandom;
    let mut b = [0u8; 16];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("random");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl GnuSocial {
    /// Starts the double for user `gnu` with `hub` as its feed's hub.
    pub async fn start(hub: &str) -> GnuSocial {
        GnuSocial::start_as(hub, "gnu").await
    }

    /// Starts the double for `user`.
    pub async fn start_as(hub: &str, user: &str) -> GnuSocial {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let key = tokio::task::spawn_blocking(KeyPair::generate)
            .await
            .expect("keygen task")
            .expect("keygen");
        let author = Author {
            uri: format!("{base}/user/1"),
            name: user.to_string(),
            display_name: format!("{user} (GNU social double)"),
            note: "A GNU social 1.2 user on loopback".into(),
            profile: format!("{base}/{user}"),
            avatar: format!("{base}/avatar/1-96.png"),
            email: format!("{user}@{addr}"),
        };
        let inner = Arc::new(Inner {
            addr,
            user: user.to_string(),
            hub: Mutex::new(hub.to_string()),
            key,
            author,
            state: Mutex::new(State::default()),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        });
        let me = inner.clone();
        let route = warp::method()
            .and(warp::path::full())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .then(
                move |method: Method,
                      path: warp::path::FullPath,
                      query: String,
                      headers: HeaderMap,
                      body: warp::hyper::body::Bytes| {
                    let me = me.clone();
                    async move {
                        me.handle(method, path.as_str(), &query, &headers, &body)
                            .await
                    }
                },
            );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(
            warp::serve(route)
                .incoming(listener)
                .graceful(async move {
                    let _ = stopped.await;
                })
                .run(),
        );
        GnuSocial { inner, _stop: stop }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        self.inner.base()
    }

    /// The username.
    pub fn user(&self) -> &str {
        &self.inner.user
    }

    /// `user@127.0.0.1:PORT` (what a fediverse user types).
    pub fn address(&self) -> String {
        format!("{}@{}", self.inner.user, self.inner.addr)
    }

    /// `acct:user@127.0.0.1:PORT`, the WebFinger subject.
    pub fn acct(&self) -> String {
        format!("acct:{}", self.address())
    }

    /// The OStatus author URI, `http://127.0.0.1:PORT/user/1`.
    pub fn author_uri(&self) -> String {
        self.inner.author.uri.clone()
    }

    /// The HTML profile page, `http://127.0.0.1:PORT/USER`.
    pub fn profile_url(&self) -> String {
        self.inner.author.profile.clone()
    }

    /// The Atom feed (the WebSub topic).
    pub fn feed_url(&self) -> String {
        self.inner.feed_url()
    }

    /// The user's Salmon endpoint.
    pub fn salmon_url(&self) -> String {
        self.inner.salmon_url()
    }

    /// The hub named in the feed.
    pub fn hub(&self) -> String {
        self.inner.hub.lock().unwrap().clone()
    }

    /// Names another hub in the feed from now on.
    pub fn set_hub(&self, hub: &str) {
        *self.inner.hub.lock().unwrap() = hub.to_string();
    }

    /// The user's key pair.
    pub fn key(&self) -> &KeyPair {
        &self.inner.key
    }

    /// The published magic public key `RSA.n.e`.
    pub fn magic_key(&self) -> String {
        magic_env::magic_key(self.inner.key.public_key())
    }

    /// The feed document as served now.
    pub fn feed(&self) -> String {
        self.inner.feed()
    }

    /// How many times the feed was fetched.
    pub fn feed_hits(&self) -> usize {
        self.inner.state.lock().unwrap().feed_hits
    }

    /// Every request served so far, `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.inner.state.lock().unwrap().requests.clone()
    }

    /// Adds an entry for `action` to the feed (not yet published).
    pub fn act(&self, action: Action) -> Entry {
        let mut st = self.inner.state.lock().unwrap();
        let n = st.entries.len() as u64 + 1;
        let now = Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
        let e = atom::render(&self.inner.author, &self.base(), n, &action, &now);
        st.entries.push(e.clone());
        e
    }

    /// A new public notice.
    pub fn post(&self, text: &str) -> Entry {
        self.act(Action::Post {
            text: text.into(),
            in_reply_to: None,
            mentions: vec![],
        })
    }

    /// A reply to `parent` (its author, if known, is mentioned as GNU social does).
    pub fn reply_to(&self, parent: impl Into<Target>, text: &str) -> Entry {
        self.act(Action::Post {
            text: text.into(),
            in_reply_to: Some(parent.into()),
            mentions: vec![],
        })
    }

    /// A notice mentioning `people` (person URIs).
    pub fn mention(&self, people: &[&str], text: &str) -> Entry {
        self.act(Action::Post {
            text: text.into(),
            in_reply_to: None,
            mentions: people.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// A favourite of `target`.
    pub fn favorite(&self, target: impl Into<Target>) -> Entry {
        self.act(Action::Favorite(target.into()))
    }

    /// A repeat of `target` (nested-activity form).
    pub fn share(&self, target: impl Into<Target>) -> Entry {
        self.act(Action::Share(target.into()))
    }

    /// A delete of `target`.
    pub fn delete(&self, target: impl Into<Target>) -> Entry {
        self.act(Action::Delete(target.into()))
    }

    /// A follow of the person `target` (their author URI / actor id).
    pub fn follow(&self, target: impl Into<Target>) -> Entry {
        let mut t = target.into();
        t.object_type.get_or_insert_with(|| "person".into());
        self.act(Action::Follow(t))
    }

    /// An unfollow of `target`.
    pub fn unfollow(&self, target: impl Into<Target>) -> Entry {
        let mut t = target.into();
        t.object_type.get_or_insert_with(|| "person".into());
        self.act(Action::Unfollow(t))
    }

    /// Pings the feed's hub: `hub.mode=publish` with `hub.topic` (WebSub, what flask-websub
    /// reads) and `hub.url` (PuSH 0.3, what GNU social sends). Returns the hub's status.
    pub async fn publish(&self) -> u16 {
        let hub = self.hub();
        let feed = self.feed_url();
        let body = super::flask_hub::form_encode(&[
            ("hub.mode", "publish"),
            ("hub.topic", &feed),
            ("hub.url", &feed),
        ]);
        let resp = self
            .inner
            .client
            .post(&hub)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("publish ping to {hub}: {e}"));
        resp.status().as_u16()
    }

    /// Signs `entry` as this user (GNU social form) and POSTs it to `endpoint` as
    /// `application/magic-envelope+xml`. Returns (status, body).
    pub async fn send_salmon(&self, endpoint: &str, entry: &Entry) -> (u16, String) {
        self.send_salmon_xml(endpoint, &entry.document()).await
    }

    /// Like [`GnuSocial::send_salmon`] for any entry document.
    pub async fn send_salmon_xml(&self, endpoint: &str, entry_xml: &str) -> (u16, String) {
        let env = magic_env::sign(&self.inner.key, entry_xml);
        self.post_envelope(endpoint, env).await
    }

    /// POSTs an envelope document as is (for hostile-input tests).
    pub async fn post_envelope(&self, endpoint: &str, envelope: String) -> (u16, String) {
        let resp = self
            .inner
            .client
            .post(endpoint)
            .header("content-type", "application/magic-envelope+xml")
            .body(envelope)
            .send()
            .await
            .unwrap_or_else(|e| panic!("Salmon to {endpoint}: {e}"));
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// Salmons the double verified, oldest first.
    pub fn salmons_received(&self) -> Vec<ReceivedSalmon> {
        self.inner.state.lock().unwrap().salmons.clone()
    }

    /// Salmons the double refused.
    pub fn salmons_rejected(&self) -> Vec<RejectedSalmon> {
        self.inner.state.lock().unwrap().rejected.clone()
    }

    /// Pushes to the double's callbacks, oldest first (valid HMAC or not).
    pub fn pushes_received(&self) -> Vec<Push> {
        self.inner.state.lock().unwrap().pushes.clone()
    }

    /// Verification GETs from hubs.
    pub fn verifications(&self) -> Vec<Verification> {
        self.inner.state.lock().unwrap().verifications.clone()
    }

    /// A subscription by number.
    pub fn subscription(&self, id: usize) -> Subscription {
        self.inner.state.lock().unwrap().subs[id].clone()
    }

    /// Asks `hub` for `topic` the way GNU social does (`hub.verify=async`, a fresh
    /// `hub.secret`, no lease). Returns the subscription with the hub's answer; see
    /// [`GnuSocial::wait_verified`].
    pub async fn subscribe(&self, hub: &str, topic: &str) -> Subscription {
        self.subscribe_with(hub, topic, &[]).await
    }

    /// [`GnuSocial::subscribe`] with extra form fields (e.g. `hub.lease_seconds`).
    pub async fn subscribe_with(
        &self,
        hub: &str,
        topic: &str,
        extra: &[(&str, &str)],
    ) -> Subscription {
        let secret = random_secret();
        let id = {
            let mut st = self.inner.state.lock().unwrap();
            let id = st.subs.len();
            st.subs.push(Subscription {
                id,
                hub: hub.to_string(),
                topic: topic.to_string(),
                callback: format!("{}/main/push/callback/{id}", self.base()),
                secret: secret.clone(),
                mode: "subscribe".into(),
                verified: false,
                lease_seconds: None,
                hub_status: 0,
            });
            id
        };
        let callback = self.subscription(id).callback;
        let mut form = vec![
            ("hub.mode", "subscribe"),
            ("hub.callback", callback.as_str()),
            ("hub.verify", "async"),
            ("hub.secret", secret.as_str()),
            ("hub.topic", topic),
        ];
        form.extend_from_slice(extra);
        let status = self.hub_request(hub, &form).await;
        let mut st = self.inner.state.lock().unwrap();
        st.subs[id].hub_status = status;
        st.subs[id].clone()
    }

    /// Asks the hub to end subscription `id`.
    pub async fn unsubscribe(&self, id: usize) -> u16 {
        let sub = {
            let mut st = self.inner.state.lock().unwrap();
            st.subs[id].mode = "unsubscribe".into();
            st.subs[id].verified = false;
            st.subs[id].clone()
        };
        let form = [
            ("hub.mode", "unsubscribe"),
            ("hub.callback", sub.callback.as_str()),
            ("hub.verify", "async"),
            ("hub.topic", sub.topic.as_str()),
        ];
        let status = self.hub_request(&sub.hub, &form).await;
        self.inner.state.lock().unwrap().subs[id].hub_status = status;
        status
    }

    async fn hub_request(&self, hub: &str, form: &[(&str, &str)]) -> u16 {
        self.inner
            .client
            .post(hub)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(super::flask_hub::form_encode(form))
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {hub}: {e}"))
            .status()
            .as_u16()
    }

    /// Waits (at most `secs`) until the hub has verified subscription `id`'s current mode.
    pub async fn wait_verified(&self, id: usize, secs: u64) -> Subscription {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let sub = self.subscription(id);
            if sub.verified {
                return sub;
            }
            assert!(
                Instant::now() < deadline,
                "subscription {id} to {} not verified after {secs} s; verifications: {:#?}",
                sub.topic,
                self.verifications()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (at most `secs`) for a verified Salmon matching `pick`.
    pub async fn wait_salmon(
        &self,
        secs: u64,
        what: &str,
        pick: impl Fn(&ReceivedSalmon) -> bool,
    ) -> ReceivedSalmon {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(s) = self.salmons_received().into_iter().find(|s| pick(s)) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} Salmon after {secs} s. received: {:#?}\nrejected: {:#?}",
                self.salmons_received()
                    .iter()
                    .map(|s| (&s.verb, &s.id, &s.content))
                    .collect::<Vec<_>>(),
                self.salmons_rejected()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (at most `secs`) for a push matching `pick`.
    pub async fn wait_push(&self, secs: u64, what: &str, pick: impl Fn(&Push) -> bool) -> Push {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(p) = self.pushes_received().into_iter().find(|p| pick(p)) {
                return p;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} push after {secs} s. pushes: {:#?}",
                self.pushes_received()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Inner {
    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn feed_url(&self) -> String {
        format!("{}/api/statuses/user_timeline/1.atom", self.base())
    }

    fn salmon_url(&self) -> String {
        format!("{}/main/salmon/user/1", self.base())
    }

    fn acct(&self) -> String {
        format!("acct:{}@{}", self.user, self.addr)
    }

    fn feed(&self) -> String {
        let hub = self.hub.lock().unwrap().clone();
        let st = self.state.lock().unwrap();
        atom::feed(
            &self.author,
            &self.feed_url(),
            &hub,
            &self.salmon_url(),
            &st.entries,
        )
    }

    /// The discovery links, (rel, type, href or template).
    fn links(&self) -> Vec<(&'static str, &'static str, String, bool)> {
        let b = self.base();
        let salmon = self.salmon_url();
        vec![
            (
                "http://webfinger.net/rel/profile-page",
                "text/html",
                self.author.profile.clone(),
                false,
            ),
            (
                "http://gmpg.org/xfn/11",
                "text/html",
                self.author.profile.clone(),
                false,
            ),
            (
                "describedby",
                "application/rdf+xml",
                format!("{b}/{}/foaf", self.user),
                false,
            ),
            (
                "http://schemas.google.com/g/2010#updates-from",
                "application/atom+xml",
                self.feed_url(),
                false,
            ),
            ("salmon", "", salmon.clone(), false),
            (
                "http://salmon-protocol.org/ns/salmon-replies",
                "",
                salmon.clone(),
                false,
            ),
            (
                "http://salmon-protocol.org/ns/salmon-mention",
                "",
                salmon,
                false,
            ),
            (
                "magic-public-key",
                "",
                format!(
                    "data:application/magic-public-key,{}",
                    magic_env::magic_key(self.key.public_key())
                ),
                false,
            ),
            (
                "http://ostatus.org/schema/1.0/subscribe",
                "",
                format!("{b}/main/ostatussub?profile={{uri}}"),
                true,
            ),
            (
                "http://webfinger.net/rel/avatar",
                "image/png",
                self.author.avatar.clone(),
                false,
            ),
        ]
    }

    fn is_me(&self, resource: &str) -> bool {
        let r = resource.trim();
        r == self.acct()
            || r == format!("{}@{}", self.user, self.addr)
            || r == self.author.uri
            || r == self.author.profile
    }

    fn jrd(&self) -> String {
        let links: Vec<serde_json::Value> = self
            .links()
            .into_iter()
            .map(|(rel, ty, href, template)| {
                let mut l = serde_json::json!({ "rel": rel });
                l[if template { "template" } else { "href" }] = href.into();
                if !ty.is_empty() {
                    l["type"] = ty.into();
                }
                l
            })
            .collect();
        serde_json::json!({
            "subject": self.acct(),
            "aliases": [self.author.uri, self.author.profile],
            "links": links,
        })
        .to_string()
    }

    fn xrd(&self) -> String {
        let mut x = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n\
             <Subject>{}</Subject>\n<Alias>{}</Alias>\n<Alias>{}</Alias>\n",
            esc(&self.acct()),
            esc(&self.author.uri),
            esc(&self.author.profile)
        );
        for (rel, ty, href, template) in self.links() {
            let ty = if ty.is_empty() {
                String::new()
            } else {
                format!(" type=\"{ty}\"")
            };
            let attr = if template { "template" } else { "href" };
            x.push_str(&format!(
                "<Link rel=\"{rel}\"{ty} {attr}=\"{}\"/>\n",
                esc(&href)
            ));
        }
        x.push_str("</XRD>\n");
        x
    }

    async fn handle(
        self: Arc<Self>,
        method: Method,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Reply {
        {
            let mut st = self.state.lock().unwrap();
            let q = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            st.requests.push(format!("{method} {path}{q}"));
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let q = query_map(query);
        let user_page = format!("/{}", self.user);
        match (method.as_str(), path) {
            ("GET", "/.well-known/host-meta") => reply(
                200,
                "application/xrd+xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                     <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n\
                     <Link rel=\"lrdd\" type=\"application/xrd+xml\" template=\"{}/main/xrd?uri={{uri}}\"/>\n\
                     </XRD>\n",
                    self.base()
                ),
            ),
            ("GET", "/.well-known/webfinger") => {
                let resource = q.get("resource").cloned().unwrap_or_default();
                if !self.is_me(&resource) {
                    return reply(404, "text/plain", format!("Unknown resource {resource}"));
                }
                let accept = header("accept").unwrap_or_default();
                if accept.contains("xrd+xml") && !accept.contains("jrd") {
                    reply(200, "application/xrd+xml", self.xrd())
                } else {
                    reply(200, "application/jrd+json", self.jrd())
                }
            }
            ("GET", "/main/xrd") => {
                let uri = q.get("uri").cloned().unwrap_or_default();
                if !self.is_me(&uri) {
                    return reply(404, "text/plain", format!("Unknown resource {uri}"));
                }
                reply(200, "application/xrd+xml", self.xrd())
            }
            ("GET", "/api/statuses/user_timeline/1.atom") => {
                self.state.lock().unwrap().feed_hits += 1;
                let hub = self.hub.lock().unwrap().clone();
                let mut r = reply(200, "application/atom+xml; charset=utf-8", self.feed());
                let link = format!("<{hub}>; rel=\"hub\", <{}>; rel=\"self\"", self.feed_url());
                r.headers_mut()
                    .insert("link", link.parse().expect("link header"));
                r
            }
            ("POST", "/main/salmon/user/1") => self.salmon_in(header("content-type"), body).await,
            ("GET", p) if p == user_page || p == "/user/1" => {
                let mut r = reply(
                    200,
                    "text/html; charset=utf-8",
                    format!(
                        "<!DOCTYPE html>\n<html><head><title>{u}</title>\n\
                         <link rel=\"alternate\" type=\"application/atom+xml\" title=\"{u}\" href=\"{f}\"/>\n\
                         <link rel=\"salmon\" href=\"{s}\"/>\n</head><body><h1>{u}</h1></body></html>\n",
                        u = esc(&self.user),
                        f = esc(&self.feed_url()),
                        s = esc(&self.salmon_url())
                    ),
                );
                let lrdd = format!(
                    "<{}/main/xrd?uri={}>; rel=\"lrdd\"; type=\"application/xrd+xml\"",
                    self.base(),
                    enc(&self.acct())
                );
                r.headers_mut()
                    .insert("link", lrdd.parse().expect("link header"));
                r
            }
            ("GET", p) if p.starts_with("/api/statuses/show/") && p.ends_with(".atom") => {
                let n = p
                    .trim_start_matches("/api/statuses/show/")
                    .trim_end_matches(".atom");
                self.entry_doc(n)
                    .map(|x| reply(200, "application/atom+xml; charset=utf-8", x))
                    .unwrap_or_else(|| reply(404, "text/plain", "No such notice".into()))
            }
            ("GET", p) if p.starts_with("/notice/") => {
                let n = p.trim_start_matches("/notice/");
                match self.entry_doc(n) {
                    Some(_) => reply(
                        200,
                        "text/html; charset=utf-8",
                        format!(
                            "<!DOCTYPE html>\n<html><head><link rel=\"alternate\" \
                             type=\"application/atom+xml\" href=\"{}/api/statuses/show/{n}.atom\"/>\
                             </head><body></body></html>\n",
                            self.base()
                        ),
                    ),
                    None => reply(404, "text/plain", "No such notice".into()),
                }
            }
            ("GET", p) if p.starts_with("/main/push/callback/") => self.verify_intent(p, q),
            ("POST", p) if p.starts_with("/main/push/callback/") => {
                self.push_in(p, header("x-hub-signature"), &header, body)
            }
            _ => reply(404, "text/plain", "Not found".into()),
        }
    }

    fn entry_doc(&self, n: &str) -> Option<String> {
        let n: u64 = n.parse().ok()?;
        let st = self.state.lock().unwrap();
        st.entries.iter().find(|e| e.n == n).map(Entry::document)
    }

    fn sub_id(path: &str) -> Option<usize> {
        path.trim_start_matches("/main/push/callback/").parse().ok()
    }

    fn verify_intent(&self, path: &str, params: HashMap<String, String>) -> Reply {
        let mut st = self.state.lock().unwrap();
        let id = Inner::sub_id(path).filter(|&i| i < st.subs.len());
        let mut answered = false;
        let mut out = reply(404, "text/plain", "Unknown subscription".into());
        if let Some(i) = id {
            let sub = &mut st.subs[i];
            let mode = params.get("hub.mode").map(String::as_str).unwrap_or("");
            let topic_ok = params.get("hub.topic") == Some(&sub.topic);
            if mode == sub.mode && topic_ok {
                if let Some(challenge) = params.get("hub.challenge") {
                    sub.verified = true;
                    sub.lease_seconds =
                        params.get("hub.lease_seconds").and_then(|l| l.parse().ok());
                    answered = true;
                    out = reply(200, "text/plain", challenge.clone());
                }
            } else if mode == "denied" {
                out = reply(200, "text/plain", String::new());
            }
        }
        st.verifications.push(Verification {
            subscription: id,
            params,
            answered,
        });
        out
    }

    fn push_in(
        &self,
        path: &str,
        signature: Option<String>,
        header: &dyn Fn(&str) -> Option<String>,
        body: &[u8],
    ) -> Reply {
        let mut st = self.state.lock().unwrap();
        let Some(i) = Inner::sub_id(path).filter(|&i| i < st.subs.len()) else {
            return reply(404, "text/plain", "Unknown subscription".into());
        };
        let sub = st.subs[i].clone();
        let verified = websub::verify(signature.as_deref(), sub.secret.as_bytes(), body);
        st.pushes.push(Push {
            subscription: i,
            topic: sub.topic,
            body: String::from_utf8_lossy(body).to_string(),
            signature,
            verified,
            content_type: header("content-type"),
            link: header("link"),
        });
        // WebSub §8: a bad signature is still acknowledged, and the content ignored.
        reply(200, "text/plain", String::new())
    }

    async fn salmon_in(&self, content_type: Option<String>, body: &[u8]) -> Reply {
        let text = String::from_utf8_lossy(body).to_string();
        match self.check_salmon(&text).await {
            Ok(mut s) => {
                s.content_type = content_type.unwrap_or_default();
                self.state.lock().unwrap().salmons.push(s);
                reply(200, "text/plain", String::new())
            }
            Err((status, reason)) => {
                self.state.lock().unwrap().rejected.push(RejectedSalmon {
                    status,
                    reason: reason.clone(),
                    body: text,
                });
                reply(status, "text/plain", reason)
            }
        }
    }

    async fn check_salmon(&self, body: &str) -> Result<ReceivedSalmon, (u16, String)> {
        let bad = |r: String| (400u16, r);
        let env = magic_env::parse(body).map_err(bad)?;
        if env.encoding != "base64url" {
            return Err(bad(format!("unsupported encoding {:?}", env.encoding)));
        }
        if env.alg != "RSA-SHA256" {
            return Err(bad(format!("unsupported alg {:?}", env.alg)));
        }
        if env.sigs.is_empty() {
            return Err(bad("no me:sig".into()));
        }
        let entry_xml = env.payload().map_err(bad)?;
        let entry = mini_xml::parse(&entry_xml).map_err(|e| bad(format!("entry: {e}")))?;
        if entry.name != "entry" {
            return Err(bad(format!(
                "payload is <{}>, not an Atom entry",
                entry.name
            )));
        }
        let author_uri = entry
            .path("author/uri")
            .or_else(|| entry.path("actor/id"))
            .map(|n| n.text.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("entry has no author/uri".into()))?;
        let (key, key_source) = self
            .discover_key(&author_uri)
            .await
            .map_err(|e| (401u16, format!("no key for {author_uri}: {e}")))?;
        let mode = env.verify(&key).ok_or_else(|| {
            (
                401u16,
                format!("Salmon signature verification failed (signer {author_uri})"),
            )
        })?;
        Ok(ReceivedSalmon {
            id: entry.child_text("id").unwrap_or_default(),
            verb: entry
                .child_text("verb")
                .unwrap_or_else(|| format!("{}post", atom::AS)),
            author_uri,
            object_id: entry.path("object/id").map(|n| n.text.trim().to_string()),
            in_reply_to: entry
                .child("in-reply-to")
                .and_then(|n| n.attr("ref").or(n.attr("href")))
                .map(str::to_string),
            content: entry.child_text("content").unwrap_or_default(),
            mode,
            key_source,
            content_type: String::new(),
            data_padded: env.data.ends_with('='),
            entry_xml,
            entry,
        })
    }

    /// GNU social's key discovery for a signer URI: host-meta → LRDD template → XRD, else
    /// WebFinger JRD; the `magic-public-key` link's data: URL.
    async fn discover_key(&self, uri: &str) -> Result<(PublicKey, String), String> {
        let origin = if let Some(acct) = uri.strip_prefix("acct:") {
            let host = acct
                .rsplit_once('@')
                .map(|(_, h)| h)
                .ok_or("acct: without @")?;
            format!("http://{host}")
        } else {
            let u = url::Url::parse(uri).map_err(|e| e.to_string())?;
            let host = u.host_str().ok_or("URI without host")?;
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        };
        let mut errors = Vec::new();
        match self.lrdd_key(&origin, uri).await {
            Ok(k) => return Ok((k, "lrdd".into())),
            Err(e) => errors.push(format!("lrdd: {e}")),
        }
        match self.jrd_key(&origin, uri).await {
            Ok(k) => return Ok((k, "webfinger".into())),
            Err(e) => errors.push(format!("webfinger: {e}")),
        }
        Err(errors.join("; "))
    }

    async fn get_text(&self, url: &str, accept: &str) -> Result<String, String> {
        let resp = self
            .client
            .get(url)
            .header("accept", accept)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("GET {url}: {status}"));
        }
        Ok(text)
    }

    async fn lrdd_key(&self, origin: &str, uri: &str) -> Result<PublicKey, String> {
        let meta = self
            .get_text(
                &format!("{origin}/.well-known/host-meta"),
                "application/xrd+xml",
            )
            .await?;
        let meta = mini_xml::parse(&meta)?;
        let template = meta
            .all("Link")
            .find(|l| l.attr("rel") == Some("lrdd") && l.attr("template").is_some())
            .and_then(|l| l.attr("template"))
            .ok_or("host-meta has no lrdd template")?
            .to_string();
        let xrd = self
            .get_text(&template.replace("{uri}", &enc(uri)), "application/xrd+xml")
            .await?;
        let xrd = mini_xml::parse(&xrd)?;
        let href = xrd
            .all("Link")
            .find(|l| l.attr("rel") == Some("magic-public-key"))
            .and_then(|l| l.attr("href"))
            .ok_or("XRD has no magic-public-key")?;
        key_from_data_url(href)
    }

    async fn jrd_key(&self, origin: &str, uri: &str) -> Result<PublicKey, String> {
        let jrd = self
            .get_text(
                &format!("{origin}/.well-known/webfinger?resource={}", enc(uri)),
                "application/jrd+json",
            )
            .await?;
        let jrd: serde_json::Value = serde_json::from_str(&jrd).map_err(|e| e.to_string())?;
        let href = jrd["links"]
            .as_array()
            .and_then(|ls| {
                ls.iter()
                    .find(|l| l["rel"] == "magic-public-key")
                    .and_then(|l| l["href"].as_str())
            })
            .ok_or("JRD has no magic-public-key")?;
        key_from_data_url(href)
    }
}

/// `data:application/magic-public-key,RSA.n.e` → the key (StatusNet 0.9.0's `;` too).
fn key_from_data_url(href: &str) -> Result<PublicKey, String> {
    let key = href
        .split_once(',')
        .or_else(|| href.split_once(';'))
        .map(|(_, k)| k)
        .unwrap_or(href);
    magic_env::parse_magic_key(key)
}
