//! Fuzzes the pump decoder: never panic, and whatever decodes must re-encode and decode back to
//! the same model (the codec's round-trip law).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ostatus_bridge::codec::{self, Format, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(doc) = codec::decode(Format::Pump, data, &limits) {
        let encoded = codec::encode(Format::Pump, &doc).unwrap_or_default();
        let again = codec::decode(Format::Pump, encoded.as_bytes(), &limits);
        assert_eq!(again.as_ref().ok(), Some(&doc), "re-encode changed the model:\n{encoded}");
        // The AP-bound translation must not panic either.
        let _ = codec::encode(Format::As2, &doc);
    }
});
