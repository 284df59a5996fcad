#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Translation speed: atom→as2, as2→atom and pump→as2 over the fixture corpus and over one
//! large generated OStatus feed, next to the time quick-xml needs merely to tokenise it.
//!
//! Run: `cargo bench --bench translate` (figures and machine in BENCHMARKS.md).

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ostatus_bridge::codec::{self, Format, Limits};
use ostatus_bridge::translate::{self, Context, IdMinter};

const ENTRIES: usize = 2_000;

/// One GNU social / Mastodon 2.x shaped entry: verb, object type, author with poco fields,
/// reply, conversation, two mentions, scope, a hashtag, an enclosure and escaped HTML.
fn entry(i: usize) -> String {
    format!(
        r#"<entry>
  <id>tag:social.example,2017-05-02:objectId={i}:objectType=Status</id>
  <published>2017-05-02T10:00:00Z</published>
  <updated>2017-05-02T10:00:00Z</updated>
  <title>New status by alice</title>
  <activity:object-type>http://activitystrea.ms/schema/1.0/comment</activity:object-type>
  <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>
  <author>
    <id>https://social.example/users/alice</id>
    <activity:object-type>http://activitystrea.ms/schema/1.0/person</activity:object-type>
    <uri>https://social.example/users/alice</uri>
    <name>alice</name>
    <email>alice@social.example</email>
    <link rel="alternate" type="text/html" href="https://social.example/@alice"/>
    <link rel="avatar" type="image/png" media:width="120" media:height="120" href="https://social.example/avatars/alice.png"/>
    <poco:preferredUsername>alice</poco:preferredUsername>
    <poco:displayName>Alice Example</poco:displayName>
    <mastodon:scope>public</mastodon:scope>
  </author>
  <content type="html" xml:lang="en">&lt;p&gt;&lt;span class="h-card"&gt;&lt;a href="https://other.example/user/3" class="u-url mention"&gt;@&lt;span&gt;bob&lt;/span&gt;&lt;/a&gt;&lt;/span&gt; agreed, number {i} &amp;amp; counting &lt;a href="https://social.example/tags/bridge" class="mention hashtag" rel="tag"&gt;#&lt;span&gt;bridge&lt;/span&gt;&lt;/a&gt;&lt;/p&gt;</content>
  <link rel="alternate" type="text/html" href="https://social.example/@alice/{i}"/>
  <link rel="self" type="application/atom+xml" href="https://social.example/users/alice/updates/{i}.atom"/>
  <thr:in-reply-to ref="tag:other.example,2017-05-01:noticeId=7:objectType=note" href="https://other.example/notice/7"/>
  <link rel="ostatus:conversation" href="tag:social.example,2017-05-01:objectId=9:objectType=Conversation"/>
  <ostatus:conversation ref="tag:social.example,2017-05-01:objectId=9:objectType=Conversation">tag:social.example,2017-05-01:objectId=9:objectType=Conversation</ostatus:conversation>
  <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/person" href="https://other.example/user/3"/>
  <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/collection" href="http://activityschema.org/collection/public"/>
  <category term="bridge"/>
  <link rel="enclosure" type="image/jpeg" length="108841" href="https://social.example/media/{i}.jpg"/>
  <georss:point>52.52 13.405</georss:point>
  <mastodon:scope>public</mastodon:scope>
</entry>
"#
    )
}

/// A feed of `n` entries with a feed-level author and hub/salmon links.
pub fn large_feed(n: usize) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0" xmlns:activity="http://activitystrea.ms/spec/1.0/" xmlns:poco="http://portablecontacts.net/spec/1.0" xmlns:media="http://purl.org/syndication/atommedia" xmlns:ostatus="http://ostatus.org/schema/1.0" xmlns:mastodon="http://mastodon.social/schema/1.0" xmlns:georss="http://www.georss.org/georss">
  <id>https://social.example/users/alice.atom</id>
  <title>alice</title>
  <updated>2017-05-02T10:00:00Z</updated>
  <author>
    <id>https://social.example/users/alice</id>
    <activity:object-type>http://activitystrea.ms/schema/1.0/person</activity:object-type>
    <uri>https://social.example/users/alice</uri>
    <name>alice</name>
  </author>
  <link rel="hub" href="https://social.example/api/push"/>
  <link rel="salmon" href="https://social.example/api/salmon/1"/>
  <link rel="self" type="application/atom+xml" href="https://social.example/users/alice.atom"/>
"#,
    );
    for i in 0..n {
        s.push_str(&entry(i));
    }
    s.push_str("</feed>\n");
    s
}

fn tokenise(xml: &str) -> usize {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut n = 0usize;
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            Ok(_) => n += 1,
        }
    }
    n
}

fn ctx() -> Context {
    Context::new(
        IdMinter::new(&url::Url::parse("https://bridge.example").unwrap()),
        true,
    )
}

fn translate_doc(input: &[u8], from: Format, to: Format, ctx: &Context) -> String {
    let mut doc = codec::decode(from, input, &Limits::default()).unwrap();
    translate::prepare(&mut doc, from, to, ctx);
    codec::encode(to, &doc).unwrap()
}

fn corpus(dir: &str, ext: &[&str]) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if ext.iter().any(|x| p.to_string_lossy().ends_with(x)) {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn decodable(files: Vec<(String, Vec<u8>)>, f: Format) -> Vec<(String, Vec<u8>)> {
    files
        .into_iter()
        .filter(|(_, b)| codec::decode(f, b, &Limits::default()).is_ok())
        .collect()
}

fn bench_large_feed(c: &mut Criterion) {
    let feed = large_feed(ENTRIES);
    let ctx = ctx();
    let mut g = c.benchmark_group("large_feed");
    g.throughput(Throughput::Elements(ENTRIES as u64));
    g.sample_size(20);
    g.bench_function("quick_xml_tokenise", |b| {
        b.iter(|| tokenise(black_box(&feed)))
    });
    g.bench_function("atom_decode", |b| {
        b.iter(|| codec::atom::decode(black_box(feed.as_bytes()), &Limits::default()).unwrap())
    });
    g.bench_function("atom_to_as2", |b| {
        b.iter(|| translate_doc(black_box(feed.as_bytes()), Format::Atom, Format::As2, &ctx))
    });
    let as2 = translate_doc(feed.as_bytes(), Format::Atom, Format::As2, &ctx);
    g.bench_function("as2_to_atom", |b| {
        b.iter(|| translate_doc(black_box(as2.as_bytes()), Format::As2, Format::Atom, &ctx))
    });
    g.finish();
}

fn bench_corpus(c: &mut Criterion) {
    let ctx = ctx();
    let atom = decodable(corpus("external", &[".xml", ".atom"]), Format::Atom);
    let as2 = decodable(corpus("", &[".as2.json", "as2.json"]), Format::As2);
    let as2_more = decodable(corpus("as2", &[".json"]), Format::As2);
    let pump = decodable(corpus("", &[".as.json"]), Format::Pump);
    let pump_more = decodable(corpus("pump", &[".json"]), Format::Pump);
    let sets = [
        ("atom_to_as2", Format::Atom, Format::As2, atom),
        (
            "as2_to_atom",
            Format::As2,
            Format::Atom,
            [as2, as2_more].concat(),
        ),
        (
            "pump_to_as2",
            Format::Pump,
            Format::As2,
            [pump, pump_more].concat(),
        ),
    ];
    let mut g = c.benchmark_group("corpus");
    for (name, from, to, files) in sets {
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_with_input(BenchmarkId::new(name, files.len()), &files, |b, files| {
            b.iter(|| {
                for (_, input) in files {
                    black_box(translate_doc(input, from, to, &ctx));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_large_feed, bench_corpus);
criterion_main!(benches);
