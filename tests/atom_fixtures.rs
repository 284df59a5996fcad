#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every real Atom fixture decodes, re-encodes losslessly, and has a snapshot.

use ostatus_bridge::codec::{Limits, atom};
use ostatus_bridge::model::Document;

/// The Atom documents among the external fixtures (Salmon envelopes, XRD, host-meta and
/// WebFinger files are not Atom).
pub const FIXTURES: &[&str] = &[
    "pleroma/23211.atom",
    "pleroma/cw_retweet.xml",
    "pleroma/delete.xml",
    "pleroma/dm.xml",
    "pleroma/favorite.xml",
    "pleroma/follow.xml",
    "pleroma/unfollow.xml",
    "pleroma/incoming_note_activity.xml",
    "pleroma/incoming_note_activity_answer.xml",
    "pleroma/incoming_reply_mastodon.xml",
    "pleroma/incoming_websub_gnusocial_attachments.xml",
    "pleroma/mastodon-note-cw.xml",
    "pleroma/mastodon-note-unlisted.xml",
    "pleroma/mastodon-problematic.xml",
    "pleroma/mastodon_conversation.xml",
    "pleroma/nil_mention_entry.xml",
    "pleroma/ostatus_incoming_post.xml",
    "pleroma/ostatus_incoming_post_tag.xml",
    "pleroma/ostatus_incoming_reply.xml",
    "pleroma/share.xml",
    "pleroma/share-gs.xml",
    "pleroma/tesla_mock/7369654.atom",
    "pleroma/tesla_mock/atarifrosch_feed.xml",
    "pleroma/tesla_mock/https___mastodon.social_users_lambadalambda.atom",
    "pleroma/tesla_mock/https___pleroma.soykaf.com_users_lain_feed.atom.xml",
    "pleroma/tesla_mock/https___shitposter.club_api_statuses_show_2827873.atom.xml",
    "mastodon/push/feed.atom",
    "mastodon/push/reblog.atom",
    "mastodon/xml/mastodon.atom",
    "gnu-social/ActivityParseTests.php__example4.xml",
    "gnu-social/ActivityParseTests.php__example5.atom",
    "gnu-social/ActivityParseTests.php__example8.atom",
    "gnu-social/ActivityParseTests.php__example10.atom",
    "gnu-social/ActivityParseTests.php__example11.atom",
    "gnu-social/UserFeedParseTest.php__testfeed1.atom",
];

fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/external/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decode(name: &str) -> Document {
    atom::decode(&load(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_fixture_round_trips() {
    let mut failures = Vec::new();
    for name in FIXTURES {
        let doc = decode(name);
        let xml = atom::encode(&doc);
        match atom::decode(xml.as_bytes(), &Limits::default()) {
            Ok(again) if again == doc => {}
            Ok(again) => {
                let a = format!("{doc:#?}");
                let b = format!("{again:#?}");
                let line = a
                    .lines()
                    .zip(b.lines())
                    .enumerate()
                    .find(|(_, (x, y))| x != y)
                    .map(|(i, (x, y))| format!("line {i}: {x} != {y}"))
                    .unwrap_or_default();
                failures.push(format!("{name}: differs at {line}"));
            }
            Err(e) => failures.push(format!("{name}: re-decode failed: {e}\n{xml}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_has_a_snapshot() {
    for name in FIXTURES {
        let doc = decode(name);
        let snap = name.replace(['/', '.'], "_");
        insta::assert_snapshot!(format!("atom_{snap}"), render(&doc));
    }
}

#[test]
#[ignore]
fn dump() {
    let name = std::env::var("FIX").unwrap();
    let doc = decode(&name);
    println!("{doc:#?}");
    println!("{}", atom::encode(&doc));
}

/// The model's `Debug` form without empty fields (`None`, `[]`, `false`, empty structs), so
/// snapshots show what was read.
fn render(doc: &Document) -> String {
    let full = format!("{doc:#?}");
    let mut lines: Vec<&str> = full
        .lines()
        .filter(|l| {
            let t = l.trim();
            !(t.ends_with(": None,")
                || t.ends_with(": [],")
                || t.ends_with(": false,")
                || t == "[],")
        })
        .collect();
    loop {
        let before = lines.len();
        let mut out: Vec<&str> = Vec::with_capacity(lines.len());
        let mut i = 0;
        while i < lines.len() {
            let open = lines[i].trim_end();
            let close = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
            let opens = open.ends_with('{') || open.ends_with('(') || open.ends_with('[');
            let closes = matches!(close, "}," | ")," | "],");
            if opens && closes && open.contains(':') {
                i += 2;
                continue;
            }
            out.push(lines[i]);
            i += 1;
        }
        lines = out;
        if lines.len() == before {
            break;
        }
    }
    lines.join("\n")
}
