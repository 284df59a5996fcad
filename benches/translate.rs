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

#[path = "common/feed.rs"]
mod feed;
use feed::{large_feed, tokenise};

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
