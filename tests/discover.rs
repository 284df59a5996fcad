#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Discovery against a legacy account double on loopback (WebFinger, host-meta/LRDD, HTML
//! profile page, Atom feed from a real GNU social fixture).

mod common;

use common::legacy::{self, Finger};
use ostatus_bridge::codec::Limits;
use ostatus_bridge::identity::discover::{DiscoverError, Protocol, discover};
use ostatus_bridge::model::ObjectType;
use ostatus_bridge::net::{FetchError, Fetcher, Refused};

fn fetcher(allow_private: bool) -> Fetcher {
    common::http::loopback_fetcher(allow_private)
}

#[tokio::test]
async fn an_ostatus_account_by_webfinger() {
    let peer = legacy::start(Finger::Jrd).await;
    let id = discover(&fetcher(true), &peer.address(), &Limits::default())
        .await
        .unwrap();
    let base = peer.base();
    assert_eq!(id.id, format!("acct:{}", peer.address()));
    assert_eq!(
        id.protocols,
        [Protocol::OStatus, Protocol::WebSub, Protocol::Feed]
    );
    assert_eq!(
        id.endpoints.feed.as_deref(),
        Some(format!("{base}/api/statuses/user_timeline/3.atom").as_str())
    );
    assert_eq!(
        id.endpoints.salmon.as_deref(),
        Some(format!("{base}/main/salmon/user/3").as_str())
    );
    assert_eq!(
        id.endpoints.hub.as_deref(),
        Some(format!("{base}/main/push/hub").as_str())
    );
    assert!(id.magic_key.as_deref().unwrap().starts_with("RSA.mVgY8RN6"));
    assert_eq!(id.kind, ObjectType::Person);
    let profile = id.profile.unwrap();
    assert_eq!(
        profile.props.id.as_deref(),
        Some(format!("{base}/user/3").as_str())
    );
    assert_eq!(profile.props.name.as_deref(), Some("testuser"));
}

#[tokio::test]
async fn falls_back_to_host_meta_and_lrdd() {
    let peer = legacy::start(Finger::LrddOnly).await;
    let id = discover(
        &fetcher(true),
        &format!("acct:{}", peer.address()),
        &Limits::default(),
    )
    .await
    .unwrap();
    assert_eq!(id.protocols[0], Protocol::OStatus);
    assert_eq!(
        id.endpoints.profile.as_deref(),
        Some(format!("{}/testuser", peer.base()).as_str())
    );
}

#[tokio::test]
async fn a_subject_on_another_host_is_refused() {
    let peer = legacy::start(Finger::Foreign).await;
    let err = discover(&fetcher(true), &peer.address(), &Limits::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DiscoverError::ForeignSubject { ref subject, .. } if subject == "acct:testuser@evil.example"),
        "{err}"
    );
}

#[tokio::test]
async fn checklist_08_a_subject_on_another_host_is_taken_when_that_host_confirms_it() {
    // `testuser` on A says it is `testuser` on B; B says so too: the account is B's.
    let b = legacy::start(Finger::Jrd).await;
    let a = legacy::start(Finger::PointsTo(b.addr.port())).await;
    let id = discover(&fetcher(true), &a.address(), &Limits::default())
        .await
        .unwrap();
    assert_eq!(id.id, format!("acct:testuser@{}", b.addr));
    assert_eq!(
        id.address.as_ref().map(|x| x.authority()),
        Some(b.addr.to_string())
    );
    assert_eq!(
        id.endpoints.feed.as_deref(),
        Some(format!("{}/api/statuses/user_timeline/3.atom", b.base()).as_str())
    );
    // A claims B's account, but B names yet another host: refused, nothing taken from A.
    let c = legacy::start(Finger::Foreign).await;
    let liar = legacy::start(Finger::PointsTo(c.addr.port())).await;
    let err = discover(&fetcher(true), &liar.address(), &Limits::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DiscoverError::ForeignSubject { ref subject, .. } if *subject == format!("acct:testuser@{}", c.addr)),
        "{err}"
    );
}

#[tokio::test]
async fn a_profile_page_leads_to_its_feed() {
    let peer = legacy::start(Finger::Jrd).await;
    let id = discover(
        &fetcher(true),
        &format!("{}/testuser", peer.base()),
        &Limits::default(),
    )
    .await
    .unwrap();
    assert!(id.address.is_none());
    assert_eq!(id.id, format!("{}/user/3", peer.base()));
    assert!(id.protocols.contains(&Protocol::Feed));
    assert_eq!(id.feed_title.as_deref(), Some("testuser timeline"));
}

#[tokio::test]
async fn loopback_peers_are_refused_unless_allowed() {
    let peer = legacy::start(Finger::Jrd).await;
    let err = discover(&fetcher(false), &peer.address(), &Limits::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DiscoverError::Fetch {
                source: FetchError::Refused(Refused::PrivateAddress { .. }),
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn bad_input_is_named() {
    let f = fetcher(true);
    for input in ["nobody", "ftp://x.example/", "a b@c"] {
        let err = discover(&f, input, &Limits::default()).await.unwrap_err();
        assert!(
            matches!(err, DiscoverError::BadInput(_) | DiscoverError::Handle(_)),
            "{input}: {err}"
        );
    }
}
