//! Signing and verifying whole requests: round trips, every refusal, key rotation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use common::keys;
use ostatus_bridge::crypto::{KeyPair, PublicKey};
use ostatus_bridge::httpsig::{
    self, Error, Fetch, FnLookup, FoundKey, KeyLookup, LookupError, Outgoing, Request, Scheme,
    SignedHeaders, Verified, cavage, digest, window,
};

const NOW: i64 = 1_700_000_000;
const KEY_ID: &str = "https://bridge.example/users/alice#main-key";
const OWNER: &str = "https://bridge.example/users/alice";
const INBOX: &str = "https://remote.example/users/bob/inbox";
const BODY: &[u8] = br#"{"type":"Create","actor":"https://bridge.example/users/alice"}"#;
const AP_JSON: &str = "application/activity+json";

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap()
}

fn key() -> KeyPair {
    KeyPair::from_pem(keys::TEST_KEY_RSA).unwrap()
}

/// A lookup that always has `key`, counting calls.
struct Counting<'a> {
    calls: &'a AtomicUsize,
    cached: PublicKey,
    fetched: PublicKey,
    cached_is_fresh: bool,
}

impl KeyLookup for Counting<'_> {
    async fn lookup(&self, key_id: &str, fetch: Fetch) -> Result<FoundKey, LookupError> {
        assert_eq!(key_id, KEY_ID);
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        Ok(match fetch {
            Fetch::Cached => FoundKey {
                key: self.cached.clone(),
                owner: OWNER.into(),
                fresh: self.cached_is_fresh,
            },
            Fetch::Refresh => FoundKey {
                key: self.fetched.clone(),
                owner: OWNER.into(),
                fresh: true,
            },
        })
    }
}

fn counting<'a>(calls: &'a AtomicUsize, k: &PublicKey) -> Counting<'a> {
    Counting {
        calls,
        cached: k.clone(),
        fetched: k.clone(),
        cached_is_fresh: false,
    }
}

fn sign_post(k: &KeyPair, body: &[u8], now: i64) -> SignedHeaders {
    let url = url::Url::parse(INBOX).unwrap();
    httpsig::sign_request(
        &Outgoing {
            method: "POST",
            url: &url,
            body,
            content_type: Some(AP_JSON),
        },
        KEY_ID,
        k,
        at(now),
    )
    .unwrap()
}

fn pairs(h: &SignedHeaders) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

async fn verify(
    method: &str,
    target: &str,
    h: &[(String, String)],
    body: &[u8],
    now: i64,
    lookup: &impl KeyLookup,
) -> Result<Verified, Error> {
    let req = Request::new(method, target, &h, body);
    httpsig::verify_request(&req, at(now), lookup).await
}

fn set(h: &mut Vec<(String, String)>, name: &str, value: &str) {
    h.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    h.push((name.to_string(), value.to_string()));
}

#[tokio::test]
async fn post_round_trip_mastodon_shape() {
    let k = key();
    let signed = sign_post(&k, BODY, NOW);
    assert_eq!(signed.get("host"), Some("remote.example"));
    assert_eq!(signed.get("date"), Some("Tue, 14 Nov 2023 22:13:20 GMT"));
    assert_eq!(
        signed.get("digest"),
        Some(digest::digest_header(BODY).as_str())
    );
    assert_eq!(signed.get("content-type"), Some(AP_JSON));
    let sig = signed.get("signature").unwrap();
    assert!(sig.starts_with(&format!(
        "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest content-type\",signature=\""
    )));

    let calls = AtomicUsize::new(0);
    let v = verify(
        "POST",
        "/users/bob/inbox",
        &pairs(&signed),
        BODY,
        NOW + 30,
        &counting(&calls, k.public_key()),
    )
    .await
    .unwrap();
    assert_eq!(
        v,
        Verified {
            key_id: KEY_ID.into(),
            owner: OWNER.into(),
            scheme: Scheme::Cavage,
            refetched: false,
        }
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(v.require_actor(OWNER), Ok(()));
    assert_eq!(
        v.require_actor("https://evil.example/users/mallory"),
        Err(Error::ActorMismatch {
            owner: OWNER.into(),
            actor: "https://evil.example/users/mallory".into()
        })
    );
}

#[tokio::test]
async fn get_round_trip_without_body() {
    let k = key();
    let url = url::Url::parse("https://remote.example:8443/users/bob?page=2").unwrap();
    let signed = httpsig::sign_request(
        &Outgoing {
            method: "GET",
            url: &url,
            body: b"",
            content_type: None,
        },
        KEY_ID,
        &k,
        at(NOW),
    )
    .unwrap();
    assert_eq!(signed.get("host"), Some("remote.example:8443"));
    assert_eq!(signed.get("digest"), None);
    assert!(
        signed
            .get("signature")
            .unwrap()
            .contains("headers=\"(request-target) host date\"")
    );
    let calls = AtomicUsize::new(0);
    let v = verify(
        "GET",
        "/users/bob?page=2",
        &pairs(&signed),
        b"",
        NOW,
        &counting(&calls, k.public_key()),
    )
    .await
    .unwrap();
    assert_eq!(v.owner, OWNER);
}

#[tokio::test]
async fn rfc9421_round_trip_and_http_header_map() {
    let k = key();
    let url = url::Url::parse(INBOX).unwrap();
    let signed = httpsig::sign_request_rfc9421(
        &Outgoing {
            method: "POST",
            url: &url,
            body: BODY,
            content_type: Some(AP_JSON),
        },
        KEY_ID,
        &k,
        at(NOW),
    )
    .unwrap();
    assert_eq!(
        signed.get("signature-input").unwrap(),
        format!(
            "sig1=(\"@method\" \"@target-uri\" \"content-digest\");created={NOW};keyid=\"{KEY_ID}\""
        )
    );
    assert_eq!(
        signed.get("content-digest"),
        Some(digest::content_digest_header(BODY).as_str())
    );
    // Through an http::HeaderMap, as warp hands headers over.
    let mut map = http::HeaderMap::new();
    for (n, v) in signed.iter() {
        map.append(
            http::HeaderName::from_static(n),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    let req = Request::new("POST", "/users/bob/inbox", &map, BODY);
    let calls = AtomicUsize::new(0);
    let v = httpsig::verify_request(&req, at(NOW + 1), &counting(&calls, k.public_key()))
        .await
        .unwrap();
    assert_eq!(v.scheme, Scheme::Rfc9421);
    assert_eq!(v.key_id, KEY_ID);

    // Tampering with the method breaks it.
    let req = Request::new("PUT", "/users/bob/inbox", &map, BODY);
    assert_eq!(
        httpsig::verify_request(&req, at(NOW), &counting(&calls, k.public_key())).await,
        Err(Error::BadSignature)
    );
}

#[tokio::test]
async fn generated_key_round_trip() {
    let k = KeyPair::generate().unwrap();
    assert_eq!(k.public_key().bits(), 2048);
    let signed = sign_post(&k, BODY, NOW);
    let calls = AtomicUsize::new(0);
    verify(
        "POST",
        "/users/bob/inbox",
        &pairs(&signed),
        BODY,
        NOW,
        &counting(&calls, k.public_key()),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn tampered_body_is_a_digest_mismatch() {
    let k = key();
    let h = pairs(&sign_post(&k, BODY, NOW));
    let calls = AtomicUsize::new(0);
    let r = verify(
        "POST",
        "/users/bob/inbox",
        &h,
        b"{\"type\":\"Delete\"}",
        NOW,
        &counting(&calls, k.public_key()),
    )
    .await;
    assert_eq!(r, Err(Error::DigestMismatch));
    // Checked before any key is fetched.
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn tampered_body_with_new_digest_fails_the_signature_after_one_refetch() {
    let k = key();
    let mut h = pairs(&sign_post(&k, BODY, NOW));
    let evil = b"{\"type\":\"Delete\"}";
    set(&mut h, "digest", &digest::digest_header(evil));
    let calls = AtomicUsize::new(0);
    let r = verify(
        "POST",
        "/users/bob/inbox",
        &h,
        evil,
        NOW,
        &counting(&calls, k.public_key()),
    )
    .await;
    assert_eq!(r, Err(Error::BadSignature));
    // The cached key failed, so it was fetched once more; then the verifier gave up.
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn tampered_header_fails() {
    let k = key();
    let mut h = pairs(&sign_post(&k, BODY, NOW));
    set(&mut h, "content-type", "text/plain");
    let calls = AtomicUsize::new(0);
    assert_eq!(
        verify(
            "POST",
            "/users/bob/inbox",
            &h,
            BODY,
            NOW,
            &counting(&calls, k.public_key())
        )
        .await,
        Err(Error::BadSignature)
    );
    // Another path (same host) is another request target.
    let h = pairs(&sign_post(&k, BODY, NOW));
    assert_eq!(
        verify(
            "POST",
            "/inbox",
            &h,
            BODY,
            NOW,
            &counting(&calls, k.public_key())
        )
        .await,
        Err(Error::BadSignature)
    );
}

#[tokio::test]
async fn rotated_key_is_refetched_once() {
    let new = key();
    let old = KeyPair::generate().unwrap();
    let h = pairs(&sign_post(&new, BODY, NOW));
    let calls = AtomicUsize::new(0);
    let lookup = Counting {
        calls: &calls,
        cached: old.public_key().clone(),
        fetched: new.public_key().clone(),
        cached_is_fresh: false,
    };
    let v = verify("POST", "/users/bob/inbox", &h, BODY, NOW, &lookup)
        .await
        .unwrap();
    assert!(v.refetched);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A key that was just fetched is not fetched again.
    let calls = AtomicUsize::new(0);
    let lookup = Counting {
        calls: &calls,
        cached: old.public_key().clone(),
        fetched: new.public_key().clone(),
        cached_is_fresh: true,
    };
    assert_eq!(
        verify("POST", "/users/bob/inbox", &h, BODY, NOW, &lookup).await,
        Err(Error::BadSignature)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn date_window() {
    let k = key();
    let calls = AtomicUsize::new(0);
    let lookup = counting(&calls, k.public_key());
    let signed_at = |t: i64| pairs(&sign_post(&k, BODY, t));
    let edge_old = NOW - window::DEFAULT_LIFETIME_SECS - window::CLOCK_SKEW_SECS;
    let edge_new = NOW + window::CLOCK_SKEW_SECS;
    for ok in [NOW, edge_old, edge_new] {
        verify(
            "POST",
            "/users/bob/inbox",
            &signed_at(ok),
            BODY,
            NOW,
            &lookup,
        )
        .await
        .unwrap();
    }
    assert_eq!(
        verify(
            "POST",
            "/users/bob/inbox",
            &signed_at(edge_old - 1),
            BODY,
            NOW,
            &lookup
        )
        .await,
        Err(Error::DateOutOfWindow {
            created: edge_old - 1,
            now: NOW,
            future: false
        })
    );
    assert_eq!(
        verify(
            "POST",
            "/users/bob/inbox",
            &signed_at(edge_new + 1),
            BODY,
            NOW,
            &lookup
        )
        .await,
        Err(Error::DateOutOfWindow {
            created: edge_new + 1,
            now: NOW,
            future: true
        })
    );
    // The window is checked before the key is looked up.
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let mut h = signed_at(NOW);
    set(&mut h, "date", "not a date");
    assert!(matches!(
        verify("POST", "/users/bob/inbox", &h, BODY, NOW, &lookup).await,
        Err(Error::Malformed { .. })
    ));
}

/// Builds a cavage-signed request over `covered` from the given headers.
fn cavage_signed(
    k: &KeyPair,
    method: &str,
    target: &str,
    mut h: Vec<(String, String)>,
    body: &[u8],
    covered: &[&str],
) -> Vec<(String, String)> {
    let req = Request::new(method, target, &h, body);
    let sig = cavage::sign(&req, KEY_ID, covered, k).unwrap();
    h.push(("Signature".into(), sig));
    h
}

fn base_headers(now: i64) -> Vec<(String, String)> {
    vec![
        ("Host".into(), "remote.example".into()),
        ("Date".into(), window::http_date(at(now))),
    ]
}

#[tokio::test]
async fn post_needs_a_signed_digest() {
    let k = key();
    let calls = AtomicUsize::new(0);
    let lookup = counting(&calls, k.public_key());
    // No Digest at all.
    let h = cavage_signed(
        &k,
        "POST",
        "/inbox",
        base_headers(NOW),
        BODY,
        &["(request-target)", "host", "date"],
    );
    assert!(matches!(
        verify("POST", "/inbox", &h, BODY, NOW, &lookup).await,
        Err(Error::Missing { .. })
    ));
    // A Digest that is not signed.
    let mut hd = base_headers(NOW);
    hd.push(("Digest".into(), digest::digest_header(BODY)));
    let h = cavage_signed(
        &k,
        "POST",
        "/inbox",
        hd,
        BODY,
        &["(request-target)", "host", "date"],
    );
    assert_eq!(
        verify("POST", "/inbox", &h, BODY, NOW, &lookup).await,
        Err(Error::NotCovered {
            what: "digest".into()
        })
    );
    // Even an empty POST needs one.
    let h = cavage_signed(
        &k,
        "POST",
        "/inbox",
        base_headers(NOW),
        b"",
        &["(request-target)", "host", "date"],
    );
    assert!(matches!(
        verify("POST", "/inbox", &h, b"", NOW, &lookup).await,
        Err(Error::Missing { .. })
    ));
    // GET needs host.
    let h = cavage_signed(
        &k,
        "GET",
        "/actor",
        base_headers(NOW),
        b"",
        &["(request-target)", "date"],
    );
    assert_eq!(
        verify("GET", "/actor", &h, b"", NOW, &lookup).await,
        Err(Error::NotCovered {
            what: "host".into()
        })
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn old_mastodon_request_target_without_query() {
    // Old Mastodon signed (request-target) without the query string.
    let k = key();
    let h = cavage_signed(
        &k,
        "GET",
        "/users/alice/outbox",
        base_headers(NOW),
        b"",
        &["(request-target)", "host", "date"],
    );
    let calls = AtomicUsize::new(0);
    verify(
        "GET",
        "/users/alice/outbox?page=true",
        &h,
        b"",
        NOW,
        &counting(&calls, k.public_key()),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn hs2019_pkcs1_and_pss_and_authorization_header() {
    let k = key();
    let calls = AtomicUsize::new(0);
    let lookup = counting(&calls, k.public_key());
    let h = base_headers(NOW);
    let text = format!(
        "(request-target): get /actor\nhost: remote.example\ndate: {}",
        window::http_date(at(NOW))
    );
    for sig in [
        k.sign_pkcs1_sha256(text.as_bytes()).unwrap(),
        k.sign_pss_sha512(text.as_bytes()).unwrap(),
    ] {
        let value = format!(
            "keyId=\"{KEY_ID}\",algorithm=\"hs2019\",headers=\"(request-target) host date\",signature=\"{}\"",
            STANDARD.encode(&sig)
        );
        let mut with_sig = h.clone();
        with_sig.push(("Signature".into(), value.clone()));
        verify("GET", "/actor", &with_sig, b"", NOW, &lookup)
            .await
            .unwrap();
        // The same in `Authorization: Signature …`, and without `algorithm`.
        let mut with_auth = h.clone();
        with_auth.push((
            "Authorization".into(),
            format!("Signature {}", value.replace("algorithm=\"hs2019\",", "")),
        ));
        verify("GET", "/actor", &with_auth, b"", NOW, &lookup)
            .await
            .unwrap();
    }
    // rsa-sha256 means PKCS#1 v1.5 only: a PSS signature under it fails.
    let pss = k.sign_pss_sha512(text.as_bytes()).unwrap();
    let mut h2 = h.clone();
    h2.push((
        "Signature".into(),
        format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"{}\"",
            STANDARD.encode(pss)
        ),
    ));
    assert_eq!(
        verify("GET", "/actor", &h2, b"", NOW, &lookup).await,
        Err(Error::BadSignature)
    );
}

#[tokio::test]
async fn hs2019_created_and_expires() {
    let k = key();
    let created = NOW - 7200;
    let expires = NOW + 60;
    let text = format!(
        "(request-target): post /inbox\n(created): {created}\n(expires): {expires}\ndigest: {}",
        digest::digest_header(BODY)
    );
    let sig = STANDARD.encode(k.sign_pkcs1_sha256(text.as_bytes()).unwrap());
    let h: Vec<(String, String)> = vec![
        ("Host".into(), "remote.example".into()),
        ("Digest".into(), digest::digest_header(BODY)),
        (
            "Signature".into(),
            format!(
                "keyId=\"{KEY_ID}\",algorithm=\"hs2019\",created={created},expires={expires},headers=\"(request-target) (created) (expires) digest\",signature=\"{sig}\""
            ),
        ),
    ];
    let calls = AtomicUsize::new(0);
    // Signed two hours ago but valid until a minute from now: accepted.
    verify(
        "POST",
        "/inbox",
        &h,
        BODY,
        NOW,
        &counting(&calls, k.public_key()),
    )
    .await
    .unwrap();
    // Past expiry plus the skew: refused.
    assert!(matches!(
        verify(
            "POST",
            "/inbox",
            &h,
            BODY,
            expires + 3601,
            &counting(&calls, k.public_key())
        )
        .await,
        Err(Error::DateOutOfWindow { future: false, .. })
    ));
}

#[tokio::test]
async fn unsupported_algorithms() {
    let k = key();
    let calls = AtomicUsize::new(0);
    let lookup = counting(&calls, k.public_key());
    for alg in ["rsa-sha512", "hmac-sha256", "ecdsa-sha256", "rsa-sha1"] {
        let mut h = base_headers(NOW);
        h.push((
            "Signature".into(),
            format!(
                "keyId=\"{KEY_ID}\",algorithm=\"{alg}\",headers=\"(request-target) host date\",signature=\"AQID\""
            ),
        ));
        assert_eq!(
            verify("GET", "/actor", &h, b"", NOW, &lookup).await,
            Err(Error::UnsupportedAlgorithm { alg: alg.into() })
        );
    }
    // An unknown digest algorithm alone is refused too.
    let mut h = base_headers(NOW);
    h.push(("Digest".into(), "MD5=rL0Y20zC+Fzt72VPzMSk2A==".into()));
    let h = cavage_signed(
        &k,
        "POST",
        "/inbox",
        h,
        BODY,
        &["(request-target)", "host", "date", "digest"],
    );
    assert!(matches!(
        verify("POST", "/inbox", &h, BODY, NOW, &lookup).await,
        Err(Error::UnsupportedAlgorithm { .. })
    ));
}

#[tokio::test]
async fn lookup_failures() {
    let k = key();
    let h = pairs(&sign_post(&k, BODY, NOW));
    let not_found = FnLookup(|_: &str, _| Err(LookupError::NotFound));
    assert_eq!(
        verify("POST", "/users/bob/inbox", &h, BODY, NOW, &not_found).await,
        Err(Error::UnknownKey {
            key_id: KEY_ID.into()
        })
    );
    let down = FnLookup(|_: &str, _| Err(LookupError::Unavailable("connection refused".into())));
    let err = verify("POST", "/users/bob/inbox", &h, BODY, NOW, &down)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("key {KEY_ID} is unavailable: connection refused")
    );
    // The refetch itself failing is reported as such.
    let other = KeyPair::generate().unwrap().public_key().clone();
    let flaky = FnLookup(move |_: &str, fetch| match fetch {
        Fetch::Cached => Ok(FoundKey {
            key: other.clone(),
            owner: OWNER.into(),
            fresh: false,
        }),
        Fetch::Refresh => Err(LookupError::NotFound),
    });
    assert!(matches!(
        verify("POST", "/users/bob/inbox", &h, BODY, NOW, &flaky).await,
        Err(Error::UnknownKey { .. })
    ));
}

#[tokio::test]
async fn malformed_inputs_are_errors() {
    let k = key();
    let calls = AtomicUsize::new(0);
    let lookup = counting(&calls, k.public_key());
    let cases: &[(&str, &str)] = &[
        ("Signature", ""),
        ("Signature", "garbage"),
        ("Signature", "keyId=\"x\""),
        ("Signature", "keyId=\"x\",signature=\"%%%\""),
        ("Signature", "keyId=\"x\",signature=\"AQID\",headers=\"\""),
        ("Signature", "keyId=\"x\",signature=\"AQID\",keyId=\"y\""),
        ("Signature", "keyId=\"x,signature=\"AQID\""),
        ("Signature-Input", "sig1=(\"@method\""),
        (
            "Signature-Input",
            "sig1=(\"@method\" \"@target-uri\");keyid=\"k\"",
        ),
        ("Authorization", "Bearer abc"),
        ("Authorization", "Signature"),
    ];
    for (name, value) in cases {
        let mut h = base_headers(NOW);
        h.push((name.to_string(), value.to_string()));
        if *name == "Signature-Input" {
            h.push(("Signature".into(), "sig1=:AQID:".into()));
        }
        let r = verify("GET", "/actor", &h, b"", NOW, &lookup).await;
        assert!(
            matches!(
                r,
                Err(Error::Malformed { .. } | Error::Missing { .. } | Error::NotCovered { .. })
            ),
            "{name}: {value:?} gave {r:?}"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // Two Signature headers are ambiguous.
    let mut h = pairs(&sign_post(&k, BODY, NOW));
    let sig = h.iter().find(|(n, _)| n == "signature").unwrap().1.clone();
    h.push(("Signature".into(), sig));
    assert!(matches!(
        verify("POST", "/users/bob/inbox", &h, BODY, NOW, &lookup).await,
        Err(Error::Malformed { .. })
    ));
    // No signature at all.
    assert_eq!(
        verify("GET", "/actor", &base_headers(NOW), b"", NOW, &lookup).await,
        Err(Error::Missing {
            what: "Signature header".into()
        })
    );
}

#[test]
fn verify_request_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let h = base_headers(NOW);
    let req = Request::new("GET", "/", &h, b"");
    let lookup = FnLookup(|_: &str, _| Err(LookupError::NotFound));
    let fut = httpsig::verify_request(&req, at(NOW), &lookup);
    assert_send(&fut);
}
