#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One pass of each translation phase over the generated feed, for counting instructions with
//! callgrind. Wall-clock figures on a shared 2-core machine move with whatever else runs;
//! instruction counts do not, so this is how BENCHMARKS.md states the decode : tokenise ratio.
//!
//! Run: `benches/instructions.sh` (builds this in release and runs it under
//! `valgrind --tool=callgrind`, once per phase). Run directly, it prints wall times only.

use std::hint::black_box;
use std::time::Instant;

use ostatus_bridge::codec::{self, Format, Limits};
use ostatus_bridge::translate::{self, Context, IdMinter};

#[path = "common/feed.rs"]
mod feed;

const ENTRIES: usize = 2_000;

#[inline(never)]
fn phase_tokenise(xml: &str) -> usize {
    feed::tokenise(xml)
}

#[inline(never)]
fn phase_atom_decode(xml: &str) -> usize {
    codec::atom::decode(xml.as_bytes(), &Limits::default())
        .unwrap()
        .activities()
        .len()
}

#[inline(never)]
fn phase_atom_to_as2(xml: &str, ctx: &Context) -> usize {
    let mut doc = codec::decode(Format::Atom, xml.as_bytes(), &Limits::default()).unwrap();
    translate::prepare(&mut doc, Format::Atom, Format::As2, ctx);
    codec::encode(Format::As2, &doc).unwrap().len()
}

fn main() {
    let xml = feed::large_feed(ENTRIES);
    let ctx = Context::new(
        IdMinter::new(&url::Url::parse("https://bridge.example").unwrap()),
        true,
    );
    let t = Instant::now();
    let events = black_box(phase_tokenise(black_box(&xml)));
    let tok = t.elapsed();
    let t = Instant::now();
    let n = black_box(phase_atom_decode(black_box(&xml)));
    let dec = t.elapsed();
    let t = Instant::now();
    let out = black_box(phase_atom_to_as2(black_box(&xml), &ctx));
    let full = t.elapsed();
    println!(
        "{} bytes, {ENTRIES} entries, {events} events, {n} activities, {out} bytes of AS2: tokenise {tok:?}, atom_decode {dec:?}, atom_to_as2 {full:?}",
        xml.len()
    );
}
