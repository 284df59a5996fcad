//! Fuzzes the plain-feed decoder (RSS, Atom, JSON Feed via feed-rs): never panic, and what
//! decodes can be written as AS2 and Atom.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ostatus_bridge::codec::{self, Format, Limits};

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = codec::decode(Format::Feed, data, &Limits::default()) {
        let _ = codec::encode(Format::As2, &doc);
        let _ = codec::encode(Format::Atom, &doc);
    }
});
