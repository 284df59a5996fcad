#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Bad Pump.io input gives precise errors and never panics.

use ostatus_bridge::codec::{DecodeError, Limits, Location, pump};
use ostatus_bridge::model::{Document, Verb};

fn err(input: &str) -> DecodeError {
    pump::decode(input.as_bytes(), &Limits::default()).unwrap_err()
}

#[test]
fn malformed_json_has_line_and_column() {
    let e = err("{\n  \"verb\": \"post\",\n  \"object\": {\"id\": }\n}");
    match e {
        DecodeError::Json {
            at: Location::LineCol { line, col },
            ..
        } => {
            assert_eq!(line, 3);
            assert!(col > 10, "{col}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_object_root() {
    assert_eq!(
        err("[1, 2]").to_string(),
        "$: expected a JSON object, found an array"
    );
    assert!(matches!(err("\"post\""), DecodeError::WrongRoot { .. }));
    assert!(matches!(err("42"), DecodeError::WrongRoot { .. }));
}

#[test]
fn wrong_kinds_carry_paths() {
    let e = err(r#"{"verb": "post", "object": {"to": ["acct:a@b", 5]}}"#);
    assert_eq!(
        e.to_string(),
        "$.object.to[1]: expected an object or a string, found a number"
    );
    assert_eq!(
        err(r#"{"verb": 7}"#).to_string(),
        "$.verb: expected a string, found a number"
    );
    assert_eq!(
        err(r#"{"verb": "post", "actor": [1]}"#).to_string(),
        "$.actor: expected an object or a string, found an array"
    );
    assert_eq!(
        err(r#"{"verb": "post", "object": {"objectType": "note", "content": {}}}"#).to_string(),
        "$.object.content: expected a string, found an object"
    );
    assert_eq!(
        err(r#"{"verb": "post", "object": {"objectType": "note", "location": {"position": {"latitude": "north"}}}}"#)
            .to_string(),
        "$.object.location.position.latitude: expected a number, found \"north\""
    );
    assert_eq!(
        err(r#"{"verb": "post", "object": {"inReplyTo": [{"url": 3}]}}"#).to_string(),
        "$.object.inReplyTo[0].url: expected a string, an object or an array, found a number"
    );
    assert_eq!(
        err(r#"{"objectType": "collection", "items": [{"verb": "post"}, 3]}"#).to_string(),
        "$.items[1]: expected an object, found a number"
    );
    assert_eq!(
        err(r#"{"objectType": "collection", "totalItems": -1}"#).to_string(),
        "$.totalItems: expected a non-negative integer, found -1"
    );
    assert_eq!(
        err(r#"{"verb": "post", "cc": [{"objectType": "collection"}]}"#).to_string(),
        "$.cc[0].id: missing id"
    );
    assert_eq!(
        err(r#"{"objectType": "person", "links": 3}"#).to_string(),
        "$.links: expected an object or an array, found a number"
    );
    assert_eq!(
        err(r#"{"objectType": "note", "image": {"url": "x", "width": 1e12}}"#).to_string(),
        "$.image.width: 1000000000000 is too large"
    );
}

#[test]
fn raw_copy_names_are_reserved() {
    assert_eq!(
        err(r#"{"verb": "post", "object": {"pump:raw:url": 1}}"#).to_string(),
        "$.object.pump:raw:url: member names starting with \"pump:raw:\" are reserved"
    );
}

#[test]
fn missing_verb_is_an_implied_post() {
    let d = pump::decode(
        br#"{"objectType": "note", "content": "hi"}"#,
        &Limits::default(),
    )
    .unwrap();
    match d {
        Document::Activity(a) => {
            assert!(a.implied);
            assert_eq!(*a.verb(), Verb::Post);
        }
        Document::Feed(_) => panic!("feed"),
    }
}

#[test]
fn limits() {
    let deep = format!(
        "{{\"verb\":\"post\",\"object\":{}{}}}",
        "[".repeat(70),
        "]".repeat(70)
    );
    assert!(matches!(err(&deep), DecodeError::TooDeep { limit: 64, .. }));
    let small = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert!(matches!(
        pump::decode(br#"{"verb": "post"}"#, &small),
        Err(DecodeError::TooLarge {
            size: 16,
            limit: 10
        })
    ));
    assert!(matches!(
        pump::decode(b"{\"verb\": \"p\xffst\"}", &Limits::default()),
        Err(DecodeError::InvalidUtf8 {
            at: Location::LineCol { line: 1, col: 12 }
        })
    ));
}

#[test]
fn truncations_and_garbage_never_panic() {
    for f in std::fs::read_dir("fixtures/pump").unwrap() {
        let path = f.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let whole = std::fs::read(&path).unwrap();
        for cut in (0..whole.len()).step_by(5) {
            let _ = pump::decode(&whole[..cut], &Limits::default());
        }
    }
    // Every member with the wrong kind of value.
    for key in [
        "id",
        "verb",
        "actor",
        "object",
        "target",
        "displayName",
        "content",
        "summary",
        "url",
        "published",
        "author",
        "inReplyTo",
        "to",
        "cc",
        "bto",
        "bcc",
        "image",
        "location",
        "tags",
        "attachments",
        "links",
        "followers",
        "startTime",
        "sensitive",
        "items",
        "totalItems",
        "preferredUsername",
        "stream",
    ] {
        for v in [
            "1",
            "true",
            "[1]",
            "{\"a\":1}",
            "null",
            "\"s\"",
            "[[]]",
            "[{}]",
            "\" 2014-01-01 \"",
            "\"\"",
            "\"true\"",
            "[\"x\", {\"id\": \"y\", \"url\": \"z\"}]",
            "{\"url\": \"u\", \"id\": \"i\", \"extra\": 1}",
        ] {
            for ty in ["note", "person", "video", "collection"] {
                let doc = format!("{{\"objectType\": \"{ty}\", \"{key}\": {v}}}");
                if let Ok(d) = pump::decode(doc.as_bytes(), &Limits::default()) {
                    // Whatever decodes also re-encodes losslessly.
                    let again = pump::decode(pump::encode(&d).as_bytes(), &Limits::default())
                        .unwrap_or_else(|e| panic!("{doc}: {e}"));
                    assert_eq!(again, d, "{doc}");
                }
            }
        }
    }
}
