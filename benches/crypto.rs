#![allow(clippy::unwrap_used, clippy::expect_used)]
//! RSA-2048 and HTTP Signatures: raw sign / verify, key generation, signing an outgoing
//! POST as Mastodon expects, and verifying one (cavage and RFC 9421), all on aws-lc-rs.
//!
//! Run: `cargo bench --bench crypto`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use chrono::DateTime;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ostatus_bridge::crypto::KeyPair;
use ostatus_bridge::httpsig::{self, FnLookup, FoundKey, Outgoing, Request, SignedHeaders};

const KEY_ID: &str = "https://bridge.example/users/alice#main-key";

/// A 196-byte signing string, the size of a Mastodon POST's.
const SIGNING_STRING: &[u8] = b"(request-target): post /users/bob/inbox\nhost: remote.example\ndate: Tue, 14 Nov 2023 22:13:20 GMT\ndigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-type: application/activity+json";

/// A Create{Note} about the size Mastodon sends (about 2.4 KB).
fn body() -> Vec<u8> {
    let mut s = String::from(
        r#"{"@context":["https://www.w3.org/ns/activitystreams"],"id":"https://bridge.example/a/1","type":"Create","actor":"https://bridge.example/users/alice","object":{"type":"Note","content":""#,
    );
    s.push_str(&"lorem ipsum dolor sit amet ".repeat(80));
    s.push_str(r#""}}"#);
    s.into_bytes()
}

/// Polls a future that is ready at once (the lookups here never wait).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn rsa(c: &mut Criterion) {
    let key = KeyPair::generate().unwrap();
    let sig = key.sign_pkcs1_sha256(SIGNING_STRING).unwrap();
    let public = key.public_key().clone();
    let mut g = c.benchmark_group("rsa2048");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign_pkcs1_sha256", |b| {
        b.iter(|| key.sign_pkcs1_sha256(black_box(SIGNING_STRING)).unwrap())
    });
    g.bench_function("verify_pkcs1_sha256", |b| {
        b.iter(|| {
            public
                .verify_pkcs1_sha256(black_box(SIGNING_STRING), black_box(&sig))
                .unwrap()
        })
    });
    g.sample_size(10);
    g.bench_function("generate", |b| b.iter(|| KeyPair::generate().unwrap()));
    g.finish();
}

fn pairs(h: &SignedHeaders) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn http_signatures(c: &mut Criterion) {
    let key = KeyPair::generate().unwrap();
    let body = body();
    let url = url::Url::parse("https://remote.example/users/bob/inbox").unwrap();
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let out = Outgoing {
        method: "POST",
        url: &url,
        body: &body,
        content_type: Some("application/activity+json"),
    };
    let public = key.public_key().clone();
    let lookup = FnLookup(move |_: &str, _| {
        Ok(FoundKey {
            key: public.clone(),
            owner: "https://bridge.example/users/alice".into(),
            fresh: false,
        })
    });
    let cavage = pairs(&httpsig::sign_request(&out, KEY_ID, &key, now).unwrap());
    let rfc = pairs(&httpsig::sign_request_rfc9421(&out, KEY_ID, &key, now).unwrap());

    let mut g = c.benchmark_group("httpsig");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign_request_cavage", |b| {
        b.iter(|| httpsig::sign_request(black_box(&out), KEY_ID, &key, now).unwrap())
    });
    g.bench_function("sign_request_rfc9421", |b| {
        b.iter(|| httpsig::sign_request_rfc9421(black_box(&out), KEY_ID, &key, now).unwrap())
    });
    for (name, headers) in [
        ("verify_request_cavage", &cavage),
        ("verify_request_rfc9421", &rfc),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let req = Request::new("POST", "/users/bob/inbox", headers, black_box(&body));
                ready(httpsig::verify_request(&req, now, &lookup)).unwrap()
            })
        });
    }
    g.bench_function("prepare_cavage_no_rsa", |b| {
        b.iter(|| {
            let req = Request::new("POST", "/users/bob/inbox", &cavage, black_box(&body));
            httpsig::prepare(&req, now).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, rsa, http_signatures);
criterion_main!(benches);
