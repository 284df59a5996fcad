#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Bad AS2 input: precise errors with locations, never a panic.

use ostatus_bridge::codec::{DecodeError, Limits, Location, as2};

fn err(input: &str) -> DecodeError {
    as2::decode(input.as_bytes(), &Limits::default()).unwrap_err()
}

#[test]
fn malformed_json_has_line_and_column() {
    let e = err("{\n  \"type\": \"Note\",\n  \"content\": }");
    match &e {
        DecodeError::Json {
            at: Location::LineCol { line, col },
            ..
        } => {
            assert_eq!(*line, 3);
            assert!(*col > 10, "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn root_must_be_an_object() {
    let e = err("[{\"type\":\"Note\"}]");
    assert_eq!(e.to_string(), "$: expected a JSON object, found an array");
    let e = as2::decode_value(&serde_json::json!("x"), &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "$: expected a JSON object, found a string");
}

#[test]
fn missing_type() {
    let e = err(r#"{"id":"https://a.example/1","content":"hi"}"#);
    assert_eq!(e.to_string(), "$.type: missing type");
    assert_eq!(e.location(), Some(&Location::Path("$.type".into())));
}

#[test]
fn wrong_kinds_name_the_path() {
    let e = err(r##"{"type":"Create","object":{"type":"Note","tag":[
            {"type":"Hashtag","name":"#a"},{"type":"Hashtag","name":"#b"},
            {"type":"Mention","href":5}]}}"##);
    assert_eq!(
        e.to_string(),
        "$.object.tag[2].href: expected a string, found a number"
    );
    let e = err(r#"{"type":"Note","content":["a"]}"#);
    assert_eq!(
        e.to_string(),
        "$.content: expected a string, found an array"
    );
    let e = err(r#"{"type":7}"#);
    assert_eq!(e.to_string(), "$.type: expected a string, found a number");
    let e = err(r#"{"type":"Note","to":["https://a.example/u",false]}"#);
    assert_eq!(
        e.to_string(),
        "$.to[1]: expected a string or an object, found a boolean"
    );
    let e = err(r#"{"type":"Note","sensitive":"yes"}"#);
    assert_eq!(
        e.to_string(),
        "$.sensitive: expected a boolean, found a string"
    );
    let e = err(r#"{"type":"Like","actor":12}"#);
    assert_eq!(
        e.to_string(),
        "$.actor: expected a string or an object, found a number"
    );
    let e = err(r#"{"type":"Person","publicKey":"pem"}"#);
    assert_eq!(
        e.to_string(),
        "$.publicKey: expected an object, found a string"
    );
}

#[test]
fn invalid_numbers() {
    let e = err(
        r#"{"type":"Note","attachment":[{"type":"Image","url":"https://a.example/i.png","width":-3}]}"#,
    );
    assert_eq!(
        e.location(),
        Some(&Location::Path("$.attachment[0].width".into()))
    );
    let e = err(
        r#"{"type":"Note","attachment":[{"type":"Image","url":"https://a.example/i.png","height":99999999999}]}"#,
    );
    assert_eq!(
        e.location(),
        Some(&Location::Path("$.attachment[0].height".into()))
    );
    let e = err(r#"{"type":"Event","location":{"type":"Place","latitude":"north"}}"#);
    assert_eq!(
        e.to_string(),
        "$.location.latitude: expected a number, found \"north\""
    );
    let e = err(r#"{"type":"Event","maximumAttendeeCapacity":1.5}"#);
    assert_eq!(
        e.location(),
        Some(&Location::Path("$.maximumAttendeeCapacity".into()))
    );
}

#[test]
fn too_deep() {
    let mut s = String::from(r#"{"type":"Note","x":"#);
    for _ in 0..70 {
        s.push('[');
    }
    for _ in 0..70 {
        s.push(']');
    }
    s.push('}');
    assert!(matches!(err(&s), DecodeError::TooDeep { limit: 64, .. }));
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert!(matches!(
        as2::decode_value(&v, &Limits::default()),
        Err(DecodeError::TooDeep { limit: 64, .. })
    ));
    let ok: serde_json::Value = serde_json::json!({"type": "Note", "x": [[[1]]]});
    assert!(as2::decode_value(&ok, &Limits::default()).is_ok());
}

#[test]
fn too_large() {
    let limits = Limits {
        max_bytes: 32,
        ..Limits::default()
    };
    let input = br#"{"type":"Note","content":"this is more than thirty-two bytes"}"#;
    assert!(matches!(
        as2::decode(input, &limits),
        Err(DecodeError::TooLarge { limit: 32, .. })
    ));
}

#[test]
fn invalid_utf8() {
    let input = b"{\"type\":\"Note\",\"content\":\"\xff\xfe\"}";
    assert!(matches!(
        as2::decode(input, &Limits::default()),
        Err(DecodeError::InvalidUtf8 { .. })
    ));
}

#[test]
fn odd_but_valid_shapes_do_not_fail() {
    for input in [
        r#"{"type":"Note","inReplyTo":null,"attachment":[],"tag":[]}"#,
        r#"{"type":["Note","Object"],"url":[],"image":[]}"#,
        r#"{"type":"Create","object":[],"actor":[]}"#,
        r#"{"type":"Note","tag":[1,"x",{"type":"Mention"},{"type":"Emoji","name":":a:"}]}"#,
        r#"{"type":"Note","attachment":[{"type":"Document"},{"type":"PropertyValue"},3]}"#,
        r#"{"type":"Person","icon":[],"endpoints":{},"alsoKnownAs":"https://a.example/b"}"#,
        r#"{"type":"OrderedCollection","orderedItems":[]}"#,
        r#"{"type":"Note","location":"https://a.example/place","context":{"a":1}}"#,
        r#"{"type":"Accept","object":"https://a.example/follow/1"}"#,
        r#"{"type":"Note","inReplyToAtomUri":"tag:a.example,2020:1"}"#,
    ] {
        let doc = as2::decode(input.as_bytes(), &Limits::default())
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        let text = as2::encode(&doc);
        let back = as2::decode(text.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(back, doc, "{input}\n{text}");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let seeds: &[&[u8]] = &[
        b"",
        b"{",
        b"null",
        b"{\"type\":null}",
        b"{\"type\":\"Create\",\"object\":{\"type\":\"Note\",\"tag\":{\"type\":\"Emoji\",\"icon\":5}}}",
        b"{\"type\":\"Note\",\"contentMap\":{\"en\":1}}",
        b"{\"type\":\"Note\",\"inReplyTo\":{\"url\":\"x\"}}",
    ];
    for s in seeds {
        let _ = as2::decode(s, &Limits::default());
        for cut in 0..s.len() {
            let _ = as2::decode(&s[..cut], &Limits::default());
        }
    }
}

#[test]
fn image_without_url_is_kept() {
    let input = r#"{"type":"Note","image":{"type":"Image","name":"no url"}}"#;
    let doc = as2::decode(input.as_bytes(), &Limits::default()).unwrap();
    let v = as2::encode_value(&doc);
    assert_eq!(v["image"]["name"], "no url");
    let back = as2::decode(as2::encode(&doc).as_bytes(), &Limits::default()).unwrap();
    assert_eq!(back, doc);
}
