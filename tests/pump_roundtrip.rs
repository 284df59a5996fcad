#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every Pump.io and granary AS1 fixture decodes, re-encodes losslessly, and its encoding is
//! snapshotted.

use ostatus_bridge::codec::{Limits, pump};
use std::path::PathBuf;

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (dir, suffix) in [
        ("fixtures/pump", ".json"),
        ("fixtures/external/granary", ".as.json"),
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

#[test]
fn all_fixtures_round_trip() {
    let files = fixtures();
    assert_eq!(files.len(), 14 + 10);
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let doc = pump::decode(&bytes, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let enc = pump::encode(&doc);
        let again = pump::decode(enc.as_bytes(), &Limits::default())
            .unwrap_or_else(|e| panic!("{}: re-decode: {e}\n{enc}", f.display()));
        assert_eq!(again, doc, "{}: lossy re-encode\n{enc}", f.display());
        // Encoding is stable.
        assert_eq!(pump::encode(&again), enc, "{}", f.display());
    }
}

#[test]
fn snapshots_of_encodings() {
    for f in fixtures() {
        let bytes = std::fs::read(&f).unwrap();
        let doc = pump::decode(&bytes, &Limits::default()).unwrap();
        let name = f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".json")
            .replace('.', "_");
        let dir = f
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        insta::assert_snapshot!(format!("pump_encode__{dir}__{name}"), pump::encode(&doc));
    }
}
