#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile and broken inputs: each gets a precise error, none panics.

use ostatus_bridge::codec::{DecodeError, Limits, Location, atom};

fn dec(input: &[u8]) -> Result<ostatus_bridge::model::Document, DecodeError> {
    atom::decode(input, &Limits::default())
}

#[test]
fn malformed_xml_reports_line_and_column() {
    let src = b"<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <entry>\n    <id>x</ide>\n</feed>";
    match dec(src).unwrap_err() {
        DecodeError::Xml { at, reason } => {
            assert_eq!(at, Location::LineCol { line: 3, col: 10 });
            assert!(reason.contains("ide"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Unclosed at end of input.
    match dec(b"<entry xmlns=\"http://www.w3.org/2005/Atom\">\n<id>x</id>").unwrap_err() {
        DecodeError::Xml { at, reason } => {
            assert_eq!(at, Location::LineCol { line: 2, col: 11 });
            assert!(reason.contains("entry"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_root() {
    match dec(b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>").unwrap_err() {
        DecodeError::WrongRoot { at, found, .. } => {
            assert_eq!(at, Location::LineCol { line: 2, col: 1 });
            assert_eq!(found, "<rss>");
        }
        other => panic!("{other:?}"),
    }
    // Right name, wrong namespace.
    assert!(matches!(
        dec(b"<feed xmlns=\"http://example.org/\"/>"),
        Err(DecodeError::WrongRoot { .. })
    ));
}

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let src = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol3;</title></feed>"#;
    assert_eq!(
        dec(src).unwrap_err(),
        DecodeError::Doctype {
            at: Location::LineCol { line: 2, col: 1 }
        }
    );
}

#[test]
fn ten_thousand_attributes() {
    let mut s = String::from("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry");
    for i in 0..10_000 {
        s.push_str(&format!(" a{i}=\"v\""));
    }
    s.push_str("/></feed>");
    match dec(s.as_bytes()).unwrap_err() {
        DecodeError::TooManyAttributes { at, limit } => {
            assert_eq!(limit, 64);
            assert_eq!(at, Location::LineCol { line: 1, col: 43 });
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ten_thousand_namespace_declarations() {
    let mut s = String::from("<feed");
    for i in 0..10_000 {
        s.push_str(&format!(" xmlns:p{i}=\"http://example.org/{i}\""));
    }
    s.push_str("/>");
    assert!(matches!(
        dec(s.as_bytes()),
        Err(DecodeError::TooManyAttributes { limit: 64, .. })
    ));
}

#[test]
fn duplicate_attribute() {
    assert!(matches!(
        dec(b"<entry xmlns=\"http://www.w3.org/2005/Atom\"><link href=\"a\" href=\"b\"/></entry>"),
        Err(DecodeError::Xml { .. })
    ));
}

#[test]
fn nesting_a_hundred_thousand_deep() {
    let depth = 100_000;
    let mut s = String::with_capacity(depth * 8);
    s.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">");
    for _ in 0..depth {
        s.push_str("<a>");
    }
    for _ in 0..depth {
        s.push_str("</a>");
    }
    s.push_str("</feed>");
    assert!(matches!(
        dec(s.as_bytes()),
        Err(DecodeError::TooDeep { limit: 64, .. })
    ));
}

#[test]
fn invalid_utf8() {
    let src = b"<entry xmlns=\"http://www.w3.org/2005/Atom\">\n<title>caf\xe9</title></entry>";
    assert_eq!(
        dec(src).unwrap_err(),
        DecodeError::InvalidUtf8 {
            at: Location::LineCol { line: 2, col: 11 }
        }
    );
}

#[test]
fn too_large() {
    let limits = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    let src = format!(
        "<entry xmlns=\"http://www.w3.org/2005/Atom\"><content>{}</content></entry>",
        "x".repeat(200)
    );
    assert_eq!(
        atom::decode(src.as_bytes(), &limits).unwrap_err(),
        DecodeError::TooLarge {
            size: src.len(),
            limit: 100
        }
    );
}

#[test]
fn unknown_entity() {
    match dec(b"<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>a &foo; b</title></entry>")
        .unwrap_err()
    {
        DecodeError::Xml { at, reason } => {
            assert_eq!(at, Location::LineCol { line: 1, col: 53 });
            assert!(reason.contains("&foo;"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_does_not_panic() {
    for src in [
        &b""[..],
        b"   ",
        b"<",
        b"<entry",
        b"<entry xmlns=\"http://www.w3.org/2005/Atom\"></entry><entry/>",
        b"text<entry/>",
        b"<entry xmlns=\"http://www.w3.org/2005/Atom\"><link href=\"&#0;\"/></entry>",
        b"<entry xmlns=\"http://www.w3.org/2005/Atom\"><x:y/></entry>",
        b"<![CDATA[x]]>",
        b"<entry xmlns=\"http://www.w3.org/2005/Atom\">&#xFFFFFFFF;</entry>",
    ] {
        assert!(dec(src).is_err(), "{}", String::from_utf8_lossy(src));
    }
}

#[test]
fn many_mention_links_stay_linear() {
    let mut s = String::from("<entry xmlns=\"http://www.w3.org/2005/Atom\"><id>x</id>");
    for i in 0..100_000 {
        s.push_str(&format!(
            "<link rel=\"mentioned\" href=\"https://ex.org/u/{i}\"/>"
        ));
    }
    s.push_str("</entry>");
    let t = std::time::Instant::now();
    let doc = dec(s.as_bytes()).unwrap();
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    let ostatus_bridge::model::Document::Activity(a) = doc else {
        panic!()
    };
    let Some(ostatus_bridge::model::Node::Object(o)) = a.object.as_deref() else {
        panic!()
    };
    assert_eq!(o.props.mentions.len(), 100_000);
}

#[test]
fn feed_author_amplification_is_refused() {
    let mut s = String::from("<feed xmlns=\"http://www.w3.org/2005/Atom\"><author>");
    for i in 0..5_000 {
        s.push_str(&format!(
            "<link rel=\"avatar\" href=\"https://ex.org/{i}.png\"/>"
        ));
    }
    s.push_str("</author>");
    for _ in 0..100_000 {
        s.push_str("<entry/>");
    }
    s.push_str("</feed>");
    match dec(s.as_bytes()).unwrap_err() {
        DecodeError::Invalid { at, reason } => {
            assert_eq!(at, Location::LineCol { line: 1, col: 43 });
            assert!(reason.contains("amplification"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn characters_xml_forbids_are_refused_raw_and_by_reference() {
    // Found by the atom_decode fuzzer: a raw NUL decoded, then could not be written back.
    let raw = b"<entry xmlns=\"http://www.w3.org/2005/Atom\">\n<title>a\0b</title></entry>";
    match dec(raw).unwrap_err() {
        DecodeError::Xml { at, reason } => {
            assert_eq!(at, Location::LineCol { line: 2, col: 9 });
            assert!(reason.contains("U+0000"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let noncharacter =
        "<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>\u{ffff}</title></entry>";
    assert!(matches!(
        dec(noncharacter.as_bytes()),
        Err(DecodeError::Xml { reason, .. }) if reason.contains("U+FFFF")
    ));
    for reference in ["&#0;", "&#1;", "&#x1F;", "&#xFFFE;"] {
        let src = format!(
            "<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>{reference}</title></entry>"
        );
        match dec(src.as_bytes()).unwrap_err() {
            DecodeError::Xml { reason, .. } => assert!(reason.contains(reference), "{reason}"),
            other => panic!("{reference}: {other:?}"),
        }
    }
    // Tab, LF and CR stay allowed, literally and by reference.
    let ok = "<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>a&#9;b&#13;\tc</title></entry>";
    assert!(dec(ok.as_bytes()).is_ok());
}

#[test]
fn text_xml_cannot_carry_is_written_as_replacement_characters() {
    // JSON input can hold C0 controls; the Atom written from it must stay well-formed.
    let mut doc =
        dec(b"<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title></entry>").unwrap();
    let ostatus_bridge::model::Document::Activity(a) = &mut doc else {
        panic!("an entry")
    };
    let title = "bell\u{7}and\u{0}nul".to_string();
    match a.object.as_deref_mut() {
        Some(ostatus_bridge::model::Node::Object(o)) => o.props.name = Some(title),
        _ => a.props.name = Some(title),
    }
    let xml = atom::encode(&doc);
    assert!(xml.contains("bell\u{fffd}and\u{fffd}nul"), "{xml}");
    assert!(dec(xml.as_bytes()).is_ok(), "{xml}");
}

#[test]
fn names_that_are_not_qualified_names_are_refused() {
    // Found by the atom_decode fuzzer: quick-xml reads `<poco:a="b:c"/>` as one element name,
    // which was kept and written back as XML that no longer parses.
    let cases = [
        (
            "<entry xmlns=\"http://www.w3.org/2005/Atom\" xmlns:poco=\"http://portablecontacts.net/spec/1.0\"><poco:a=\"b:c\"/></entry>",
            "element",
        ),
        (
            "<entry xmlns=\"http://www.w3.org/2005/Atom\"><a:b:c/></entry>",
            "element",
        ),
        (
            "<entry xmlns=\"http://www.w3.org/2005/Atom\"><1abc/></entry>",
            "element",
        ),
        (
            "<entry xmlns=\"http://www.w3.org/2005/Atom\"><link a:b:c=\"x\"/></entry>",
            "attribute",
        ),
    ];
    for (src, what) in cases {
        match dec(src.as_bytes()).unwrap_err() {
            DecodeError::Xml { reason, .. } => {
                assert!(
                    reason.contains(&format!("is not an XML {what} name")),
                    "{src}: {reason}"
                )
            }
            other => panic!("{src}: {other:?}"),
        }
    }
    // Names with dots, dashes, digits and non-ASCII letters are fine.
    let ok = "<entry xmlns=\"http://www.w3.org/2005/Atom\" xmlns:x=\"urn:x\"><x:a.b-c_1 x:é=\"1\"/><x:ü/></entry>";
    assert!(dec(ok.as_bytes()).is_ok());
}
