#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Throughput check (run with `cargo test --release --test atom_perf -- --ignored --nocapture`):
//! decoding must stay within 3× of merely tokenising the same bytes with quick-xml.

use std::time::Instant;

use ostatus_bridge::codec::{Limits, atom};
use ostatus_bridge::model::Document;

fn big_feed(entries: usize) -> String {
    feed_from("pleroma/23211.atom", entries)
}

fn feed_from(name: &str, entries: usize) -> String {
    let path = format!("{}/fixtures/external/{name}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(path).unwrap();
    let start = src.find("<entry>").unwrap();
    let end = src.rfind("</feed>").unwrap();
    let head = &src[..start];
    let body = &src[start..end];
    let per = body.matches("<entry>").count();
    let mut out = String::from(head);
    for _ in 0..entries.div_ceil(per) {
        out.push_str(body);
    }
    out.push_str("</feed>\n");
    out
}

fn tokenise(s: &str) -> usize {
    let mut r = quick_xml::Reader::from_str(s);
    let mut n = 0;
    loop {
        match r.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            _ => n += 1,
        }
    }
    n
}

#[test]
#[ignore]
fn decode_throughput_small_feeds() {
    for name in [
        "pleroma/23211.atom",
        "pleroma/tesla_mock/https___mastodon.social_users_lambadalambda.atom",
    ] {
        small_feeds(name);
    }
}

fn small_feeds(name: &str) {
    let feed = feed_from(name, 20);
    let rounds = 1000;
    let limits = Limits::default();
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(tokenise(std::hint::black_box(&feed)));
    }
    let tok = t.elapsed();
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        let doc = atom::decode(std::hint::black_box(feed.as_bytes()), &limits).unwrap();
        n += doc.activities().len();
    }
    let dec = t.elapsed();
    let t = Instant::now();
    for _ in 0..rounds {
        let tree =
            ostatus_bridge::codec::xml::parse(std::hint::black_box(feed.as_bytes()), &limits)
                .unwrap();
        std::hint::black_box(tree.root().local());
    }
    println!("tree only: {:?}", t.elapsed());
    println!(
        "{name}: {} bytes/entry, {n} entries: tokenise {tok:?}, decode {dec:?} ({:.0} entries/s, {:.2}x)",
        feed.len() * rounds / n,
        n as f64 / dec.as_secs_f64(),
        dec.as_secs_f64() / tok.as_secs_f64(),
    );
}

#[test]
#[ignore]
fn decode_throughput() {
    let feed = big_feed(20_000);
    let limits = Limits {
        max_bytes: usize::MAX,
        ..Limits::default()
    };
    let t = Instant::now();
    let events = tokenise(&feed);
    let tok = t.elapsed();
    let t = Instant::now();
    let doc = atom::decode(feed.as_bytes(), &limits).unwrap();
    let dec = t.elapsed();
    let n = match &doc {
        Document::Feed(f) => f.entries.len(),
        Document::Activity(_) => 1,
    };
    let t = Instant::now();
    let xml = atom::encode(&doc);
    let enc = t.elapsed();
    println!(
        "{} MB, {n} entries, {events} events: tokenise {tok:?}, decode {dec:?} ({:.0} entries/s, {:.2}x), encode {enc:?} ({} MB)",
        feed.len() / 1_000_000,
        n as f64 / dec.as_secs_f64(),
        dec.as_secs_f64() / tok.as_secs_f64(),
        xml.len() / 1_000_000
    );
}

#[test]
#[ignore]
fn tree_only() {
    let feed = big_feed(20);
    let limits = Limits::default();
    let t = Instant::now();
    for _ in 0..3000 {
        let tree =
            ostatus_bridge::codec::xml::parse(std::hint::black_box(feed.as_bytes()), &limits)
                .unwrap();
        std::hint::black_box(tree.root().local());
    }
    println!("tree x3000: {:?}", t.elapsed());
}
