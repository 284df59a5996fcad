#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Rendering an OStatus-face puppet's Atom feed: 1,000 stored AS2 activities (public notes by
//! the puppet's source, each with a mention, a hashtag, an attachment, a content warning and
//! a reply target) through decode → legacy conventions → face rules → Atom.
//!
//! Run: `cargo bench --bench feed` (figure and machine in BENCHMARKS.md).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ostatus_bridge::ostatus::{FacePuppet, FeedPage, Rewrites, render_feed};
use ostatus_bridge::puppet::BridgeUrls;
use ostatus_bridge::store::Entry;
use serde_json::json;

const ENTRIES: usize = 1_000;
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn entries() -> Vec<Entry> {
    (0..ENTRIES as u64)
        .map(|n| Entry {
            seq: ENTRIES as u64 - n,
            activity: json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("https://ap.example/users/bob/statuses/{n}/activity"),
                "type": "Create",
                "actor": "https://ap.example/users/bob",
                "published": "2026-12-01T10:00:00Z",
                "to": [PUBLIC],
                "cc": ["https://ap.example/users/bob/followers", "https://bridge.example/users/alice_at_gs.example"],
                "object": {
                    "id": format!("https://ap.example/users/bob/statuses/{n}"),
                    "type": "Note",
                    "attributedTo": "https://ap.example/users/bob",
                    "url": format!("https://ap.example/@bob/{n}"),
                    "published": "2026-12-01T10:00:00Z",
                    "summary": "cw",
                    "inReplyTo": format!("https://ap.example/users/carol/statuses/{n}"),
                    "conversation": format!("tag:ap.example,2026:objectId={n}:objectType=Conversation"),
                    "content": format!("<p><span class=\"h-card\"><a href=\"https://gs.example/alice\">@alice</a></span> note {n} with <a href=\"https://ap.example/tags/rust\">#rust</a> &amp; more text to make it a realistic length</p>"),
                    "contentMap": {"en": format!("<p>note {n}</p>")},
                    "to": [PUBLIC],
                    "cc": ["https://ap.example/users/bob/followers", "https://bridge.example/users/alice_at_gs.example"],
                    "tag": [
                        {"type": "Mention", "href": "https://bridge.example/users/alice_at_gs.example", "name": "@alice_at_gs.example@bridge.example"},
                        {"type": "Hashtag", "href": "https://ap.example/tags/rust", "name": "#rust"},
                    ],
                    "attachment": [{"type": "Document", "mediaType": "image/png", "url": format!("https://ap.example/media/{n}.png"), "name": "alt"}],
                },
            }),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let urls = BridgeUrls::new(&url::Url::parse("https://bridge.example").unwrap());
    let face = FacePuppet::new(
        &urls,
        "bob_at_ap.example",
        None,
        vec!["https://ap.example/users/bob".into()],
    );
    let mut rewrites = Rewrites::new();
    rewrites.add_account(
        "https://bridge.example/users/alice_at_gs.example",
        "https://gs.example/user/7",
    );
    let entries = entries();
    let page = FeedPage::default();
    let mut g = c.benchmark_group("puppet_feed");
    g.throughput(Throughput::Elements(ENTRIES as u64));
    g.sample_size(20);
    g.bench_function("render_1000_entries", |b| {
        b.iter(|| render_feed(&urls, &face, black_box(&entries), &page, &rewrites))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
