#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The outbound client against real HTTP servers on loopback: address and host rules on the
//! first hop and on redirects, redirect limits, body caps, conditional GETs, timeouts.

use std::net::SocketAddr;
use std::time::Duration;

use ostatus_bridge::config::{HostMode, SecurityConfig};
use ostatus_bridge::net::{Accept, FetchError, FetchLimits, Fetcher, NetPolicy, Refused};
use reqwest::header::{HeaderName, HeaderValue};
use url::Url;
use warp::Filter;
use warp::http::{Response, StatusCode};

fn security(allow_private: bool, mode: HostMode, hosts: &[&str]) -> SecurityConfig {
    SecurityConfig {
        allow_private_networks: allow_private,
        allow_http: true,
        mode,
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        max_body_bytes: 1 << 20,
    }
}

fn fetcher(sec: &SecurityConfig) -> Fetcher {
    Fetcher::new(
        NetPolicy::from_config(sec),
        FetchLimits {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_millis(1500),
            max_body_bytes: 64 * 1024,
        },
    )
    .unwrap()
}

/// A loopback peer: `/ok` echoes Accept, `/hop/N` redirects N more times to `/ok`,
/// `/to?u=URL` redirects to URL, `/big` sends 100 KiB, `/etag` honours If-None-Match,
/// `/status/N` answers N, `/slow` waits 5 s.
async fn peer() -> SocketAddr {
    let ok = warp::path("ok")
        .and(warp::header::optional::<String>("accept"))
        .map(|a: Option<String>| format!("accept={}", a.unwrap_or_default()));
    let hop = warp::path!("hop" / u32).map(|n: u32| {
        let to = if n == 0 {
            "/ok".to_string()
        } else {
            format!("/hop/{}", n - 1)
        };
        Response::builder()
            .status(StatusCode::FOUND)
            .header("location", to)
            .body(String::new())
            .unwrap()
    });
    let to = warp::path("to")
        .and(warp::query::<std::collections::HashMap<String, String>>())
        .map(|q: std::collections::HashMap<String, String>| {
            Response::builder()
                .status(StatusCode::MOVED_PERMANENTLY)
                .header("location", q.get("u").cloned().unwrap_or_default())
                .body(String::new())
                .unwrap()
        });
    let big = warp::path("big").map(|| "x".repeat(100 * 1024));
    let etag = warp::path("etag")
        .and(warp::header::optional::<String>("if-none-match"))
        .map(|inm: Option<String>| {
            let b = Response::builder().header("etag", "\"v1\"");
            if inm.as_deref() == Some("\"v1\"") {
                b.status(StatusCode::NOT_MODIFIED).body(String::new())
            } else {
                b.body("fresh".to_string())
            }
            .unwrap()
        });
    let status = warp::path!("status" / u16)
        .map(|n: u16| Response::builder().status(n).body(String::new()).unwrap());
    let slow = warp::path("slow").then(|| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    });
    let routes = ok.or(hop).or(to).or(big).or(etag).or(status).or(slow);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(routes).incoming(listener).run());
    addr
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

#[tokio::test]
async fn fetches_with_the_accept_for_its_purpose() {
    let addr = peer().await;
    let f = fetcher(&security(true, HostMode::Denylist, &[]));
    let got = f
        .get(&url(addr, "/ok"), Accept::ActivityJson, &[])
        .await
        .unwrap();
    assert_eq!(got.status, 200);
    let body = String::from_utf8(got.body).unwrap();
    assert!(
        body.starts_with("accept=application/activity+json"),
        "{body}"
    );
}

#[tokio::test]
async fn loopback_is_refused_by_default_as_literal_and_as_name() {
    let addr = peer().await;
    let f = fetcher(&security(false, HostMode::Denylist, &[]));
    let err = f
        .get(&url(addr, "/ok"), Accept::Atom, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Refused(Refused::PrivateAddress { .. })),
        "{err}"
    );
    // A name is checked after resolution: localhost resolves to loopback only.
    let by_name = Url::parse(&format!("http://localhost:{}/ok", addr.port())).unwrap();
    let err = f.get(&by_name, Accept::Atom, &[]).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Refused(Refused::PrivateAddress { ref host, .. }) if host == "localhost"),
        "{err:?}"
    );
    for meta in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]/",
    ] {
        let err = f
            .get(&Url::parse(meta).unwrap(), Accept::ActivityJson, &[])
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Refused(_)), "{meta}: {err}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn every_redirect_hop_is_checked() {
    let addr = peer().await;
    // Private networks allowed, but `localhost` is denied: a redirect there is refused.
    let f = fetcher(&security(true, HostMode::Denylist, &["localhost"]));
    let target = format!("http://localhost:{}/ok", addr.port());
    let err = f
        .get(&url(addr, &format!("/to?u={target}")), Accept::Html, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Refused(Refused::Denied(ref h)) if h == "localhost"),
        "{err}"
    );
    // A redirect to a non-http scheme is refused too.
    let err = f
        .get(&url(addr, "/to?u=file:///etc/passwd"), Accept::Html, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Refused(Refused::Scheme(_))),
        "{err}"
    );
}

#[tokio::test]
async fn at_most_five_redirects() {
    let addr = peer().await;
    let f = fetcher(&security(true, HostMode::Denylist, &[]));
    let got = f
        .get(&url(addr, "/hop/4"), Accept::Feed, &[])
        .await
        .unwrap();
    assert_eq!(got.url.path(), "/ok");
    let err = f
        .get(&url(addr, "/hop/5"), Accept::Feed, &[])
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooManyRedirects(_)), "{err}");
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused() {
    let addr = peer().await;
    let f = fetcher(&security(true, HostMode::Denylist, &[]));
    let err = f
        .get(&url(addr, "/big"), Accept::Feed, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { limit, .. } if limit == 64 * 1024),
        "{err}"
    );
}

#[tokio::test]
async fn conditional_get_gives_not_modified() {
    let addr = peer().await;
    let f = fetcher(&security(true, HostMode::Denylist, &[]));
    let first = f.get(&url(addr, "/etag"), Accept::Atom, &[]).await.unwrap();
    assert_eq!(first.body, b"fresh");
    let etag = first.header(reqwest::header::ETAG).unwrap().to_string();
    let again = f
        .get(
            &url(addr, "/etag"),
            Accept::Atom,
            &[(
                HeaderName::from_static("if-none-match"),
                HeaderValue::from_str(&etag).unwrap(),
            )],
        )
        .await
        .unwrap();
    assert!(again.not_modified());
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn statuses_and_timeouts_say_whether_to_retry() {
    let addr = peer().await;
    let f = fetcher(&security(true, HostMode::Denylist, &[]));
    for (code, retry) in [(404, false), (410, false), (503, true), (429, true)] {
        let err = f
            .get(
                &url(addr, &format!("/status/{code}")),
                Accept::ActivityJson,
                &[],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::Status { status, .. } if status.as_u16() == code),
            "{err}"
        );
        assert_eq!(err.is_retryable(), retry, "{code}");
    }
    let err = f
        .get(&url(addr, "/slow"), Accept::Atom, &[])
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Transport { .. }), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn plain_http_and_allow_lists() {
    let addr = peer().await;
    let mut sec = security(true, HostMode::Allowlist, &["friend.example"]);
    let f = fetcher(&sec);
    let err = f
        .get(&url(addr, "/ok"), Accept::Atom, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Refused(Refused::NotAllowed(_))),
        "{err}"
    );
    sec.mode = HostMode::Denylist;
    sec.allow_http = false;
    let err = fetcher(&sec)
        .get(&url(addr, "/ok"), Accept::Atom, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Refused(Refused::PlainHttp(_))),
        "{err}"
    );
}
