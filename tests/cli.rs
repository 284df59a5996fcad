#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ostatus-bridge translate` as a user runs it: files and stdin, detection, errors on
//! stderr as `FILE:LINE:COL: …` with a non-zero exit code.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ostatus-bridge"))
}

fn fixture(p: &str) -> String {
    format!("{}/fixtures/{p}", env!("CARGO_MANIFEST_DIR"))
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn atom_file_to_as2_prints_a_create() {
    let out = bin()
        .args([
            "translate",
            "--to",
            "as2",
            "--base-url",
            "https://bridge.example",
        ])
        .arg(fixture("external/pleroma/dm.xml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "Create");
    assert_eq!(
        v["actor"]["id"],
        "https://mastodon.social/users/lambadalambda"
    );
    assert_eq!(v["object"]["type"], "Note");
    assert_eq!(
        v["object"]["id"],
        "https://bridge.example/legacy/tag:mastodon.social,2017-06-30:objectId=11260427:objectType=Status"
    );
    assert_eq!(
        v["object"]["atomUri"],
        "tag:mastodon.social,2017-06-30:objectId=11260427:objectType=Status"
    );
    // A direct message goes only to the mentioned account.
    assert_eq!(
        v["object"]["to"],
        serde_json::json!(["https://pleroma.soykaf.com/users/lain"])
    );
    assert!(
        v["object"]
            .get("cc")
            .is_none_or(|cc| !cc.to_string().contains("#Public"))
    );
}

#[test]
fn stdin_with_detection_and_feed_output_order() {
    let feed = std::fs::read(fixture("external/pleroma/23211.atom")).unwrap();
    let out = run_stdin(&["translate", "--to", "as2"], &feed);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["type"], "OrderedCollection");
    let items = v["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    // Order is kept: the first entry of the feed is the first item.
    assert_eq!(items[0]["type"], "Like");
    assert_eq!(
        items[0]["atomUri"],
        "tag:social.heldscal.la,2017-05-02:fave:23211:comment:2015260:2017-05-02T14:45:47+00:00"
    );
    assert_eq!(items[1]["type"], "Create");
    assert_eq!(
        items[1]["object"]["atomUri"],
        "tag:social.heldscal.la,2017-05-02:noticeId=2015221:objectType=note"
    );
}

#[test]
fn xml_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.atom");
    std::fs::write(
        &path,
        "<?xml version=\"1.0\"?>\n<entry xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>x</id>\n  <title>t</oops>\n</entry>\n",
    )
    .unwrap();
    let out = bin()
        .args(["translate", "--from", "atom", "--to", "as2"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!("{}:4:", path.display());
    assert!(err.starts_with(&expected), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn json_errors_name_the_path() {
    let out = run_stdin(
        &["translate", "--from", "as2", "--to", "atom"],
        br#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","object":{"type":"Note","content":7}}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("<stdin>: $.object.content"), "{err}");
}

#[test]
fn doctype_and_oversized_inputs_are_refused() {
    let bomb = b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n<entry xmlns=\"http://www.w3.org/2005/Atom\" xmlns:activity=\"http://activitystrea.ms/spec/1.0/\">&lol2;</entry>";
    let out = run_stdin(&["translate", "--to", "as2"], bomb);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DOCTYPE"));

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("small.toml");
    std::fs::write(&cfg, "[translate]\nmax_input_bytes = 1000\n").unwrap();
    let big = vec![b' '; 5000];
    let out = run_stdin(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "translate",
            "--to",
            "as2",
        ],
        &big,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("over the limit of 1000 bytes"), "{err}");
}

#[test]
fn unreadable_file_and_bad_format_names() {
    let out = bin()
        .args(["translate", "--to", "as2", "/nonexistent/x.atom"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let out = bin()
        .args(["translate", "--to", "rss2000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format"));
}
