#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Plain feeds (RSS 0.91, 1.0, 2.0, Atom, JSON Feed) decode into posts.

use ostatus_bridge::codec::{DecodeError, Limits, Location, feed};
use ostatus_bridge::model::{Document, Feed, Node, Object, ObjectType, TextFormat, Verb};

fn load(name: &str) -> Feed {
    let bytes = std::fs::read(format!("fixtures/feeds/{name}")).unwrap();
    match feed::decode(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}")) {
        Document::Feed(f) => f,
        Document::Activity(_) => panic!("{name}: not a feed"),
    }
}

fn obj(f: &Feed, i: usize) -> &Object {
    match f.entries[i].object.as_deref() {
        Some(Node::Object(o)) => o,
        other => panic!("entry {i}: {other:?}"),
    }
}

fn content(o: &Object) -> &str {
    o.props.content.as_ref().map(|t| t.value.as_str()).unwrap()
}

fn date(t: &Option<ostatus_bridge::model::Timestamp>) -> &str {
    t.as_ref().map(|t| t.as_str()).unwrap()
}

fn every_entry_is_a_post(f: &Feed) {
    for e in &f.entries {
        assert_eq!(*e.verb(), Verb::Post);
        assert!(!e.implied);
        assert!(e.props.summary.is_none());
        assert!(
            obj_of(e).props.summary.is_none(),
            "an abstract is never a CW"
        );
    }
}

fn obj_of(e: &ostatus_bridge::model::Activity) -> &Object {
    match e.object.as_deref() {
        Some(Node::Object(o)) => o,
        other => panic!("{other:?}"),
    }
}

#[test]
fn rss2_blog() {
    let f = load("rss2_blog.xml");
    every_entry_is_a_post(&f);
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.title.as_deref(), Some("Seed Notes"));
    assert_eq!(
        f.subtitle.as_deref(),
        Some("A small blog about saving seeds.")
    );
    assert_eq!(f.lang.as_deref(), Some("en-gb"));
    assert_eq!(f.logo.as_deref(), Some("https://seeds.example/logo.png"));
    assert_eq!(date(&f.updated), "2014-03-04T10:00:00Z");
    assert_eq!(
        f.links.self_.as_deref(),
        Some("https://seeds.example/feed.xml")
    );
    assert_eq!(f.links.alternate.as_deref(), Some("https://seeds.example/"));
    assert_eq!(f.links.hub.as_deref(), Some("https://hub.example/"));

    let o = obj(&f, 0);
    assert_eq!(o.kind, ObjectType::Article);
    assert_eq!(o.props.id.as_deref(), Some("seeds-example-post-42"));
    assert_eq!(o.props.name.as_deref(), Some("Saving tomato seeds"));
    assert!(content(o).starts_with("<p>Scoop the seeds"));
    assert_eq!(
        o.props
            .extensions
            .json_get("feed:summary")
            .and_then(|v| v.as_str()),
        Some("How to ferment and dry tomato seeds.")
    );
    assert_eq!(
        o.props.url.as_deref(),
        Some("https://seeds.example/2014/03/tomato-seeds")
    );
    assert_eq!(date(&o.props.published), "2014-03-04T09:30:00Z");
    assert!(o.props.updated.is_none(), "not copied from pubDate");
    let names: Vec<_> = o.props.hashtags.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["tomatoes", "seed saving"]);
    assert_eq!(o.props.attachments.len(), 1);
    let a = &o.props.attachments[0];
    assert_eq!(a.kind, ObjectType::Audio);
    assert_eq!(a.media.url, "https://seeds.example/media/tomato-seeds.mp3");
    assert_eq!(a.media.media_type.as_deref(), Some("audio/mpeg"));
    assert_eq!(a.size, Some(4_821_733));
    let actor = f.entries[0].actor.as_deref().unwrap();
    assert_eq!(actor.props.name.as_deref(), Some("Carol Ruiz"));

    // No guid: the link is the id; the description (escaped HTML) is the content.
    let o = obj(&f, 1);
    assert_eq!(
        o.props.id.as_deref(),
        Some("https://seeds.example/2014/02/beans")
    );
    assert_eq!(content(o), "<p>Five runner beans worth growing.</p>");
    assert!(o.props.extensions.is_empty());
    assert!(f.entries[1].actor.is_none());
}

#[test]
fn rss091() {
    let f = load("rss091.xml");
    every_entry_is_a_post(&f);
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.title.as_deref(), Some("Allotment News"));
    assert_eq!(f.lang.as_deref(), Some("en-us"));
    let o = obj(&f, 0);
    assert_eq!(o.kind, ObjectType::Article);
    assert_eq!(o.props.name.as_deref(), Some("Shed repainted"));
    assert_eq!(
        o.props.id.as_deref(),
        Some("https://allotment.example/news/shed")
    );
    assert_eq!(
        o.props.url.as_deref(),
        Some("https://allotment.example/news/shed")
    );
    assert_eq!(content(o), "The shed is green now.");
    assert_eq!(content(obj(&f, 1)), "The taps are closed for the winter.");
}

#[test]
fn rss1_rdf() {
    let f = load("rss1_rdf.xml");
    every_entry_is_a_post(&f);
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.title.as_deref(), Some("Orchard Log"));
    assert_eq!(
        f.links.alternate.as_deref(),
        Some("https://orchard.example/")
    );
    let o = obj(&f, 0);
    assert_eq!(o.kind, ObjectType::Article);
    assert_eq!(o.props.name.as_deref(), Some("Winter pruning"));
    assert_eq!(
        o.props.url.as_deref(),
        Some("https://orchard.example/log/pruning")
    );
    assert_eq!(content(o), "We pruned the old apple trees.");
    assert_eq!(date(&o.props.published), "2014-01-20T10:00:00Z");
    assert_eq!(
        f.entries[0]
            .actor
            .as_deref()
            .and_then(|a| a.props.name.as_deref()),
        Some("Dmitri")
    );
    let o = obj(&f, 1);
    assert_eq!(o.props.name.as_deref(), Some("Grafting day"));
}

#[test]
fn atom_blog() {
    let f = load("atom_blog.xml");
    every_entry_is_a_post(&f);
    assert_eq!(f.id.as_deref(), Some("tag:jardin.example,2014:feed"));
    assert_eq!(f.title.as_deref(), Some("Le jardin d'Erin"));
    assert_eq!(f.subtitle.as_deref(), Some("Carnet de jardinage"));
    assert_eq!(f.lang.as_deref(), Some("fr"));
    assert_eq!(
        f.logo.as_deref(),
        Some("https://jardin.example/favicon.png")
    );
    assert_eq!(
        f.links.self_.as_deref(),
        Some("https://jardin.example/atom.xml")
    );
    assert_eq!(
        f.links.alternate.as_deref(),
        Some("https://jardin.example/")
    );
    assert_eq!(f.links.hub.as_deref(), Some("https://hub.example/"));
    let author = f.author.as_ref().unwrap();
    assert_eq!(author.props.name.as_deref(), Some("Erin"));
    assert_eq!(
        author.props.url.as_deref(),
        Some("https://jardin.example/about")
    );
    assert_eq!(
        author.props.id.as_deref(),
        Some("https://jardin.example/about")
    );
    assert_eq!(author.email.as_deref(), Some("erin@jardin.example"));

    let o = obj(&f, 0);
    assert_eq!(o.kind, ObjectType::Article);
    assert_eq!(
        o.props.id.as_deref(),
        Some("tag:jardin.example,2014:post-7")
    );
    assert_eq!(o.props.name.as_deref(), Some("Semis de printemps"));
    assert_eq!(content(o), "<p>Radis, laitues et <em>pois</em>.</p>");
    assert_eq!(o.props.content.as_ref().unwrap().format, TextFormat::Html);
    assert_eq!(
        o.props
            .extensions
            .json_get("feed:summary")
            .and_then(|v| v.as_str()),
        Some("Ce que j'ai semé cette semaine.")
    );
    assert_eq!(date(&o.props.published), "2014-03-09T17:00:00Z");
    assert_eq!(date(&o.props.updated), "2014-03-09T18:00:00Z");
    assert_eq!(o.props.hashtags[0].name, "semis");
    let a = &o.props.attachments[0];
    assert_eq!(a.kind, ObjectType::Image);
    assert_eq!(a.media.url, "https://jardin.example/media/semis.jpg");
    assert_eq!(a.size, Some(234_567));
    // The feed author stands in for an entry without one.
    assert_eq!(
        f.entries[0].actor.as_deref().unwrap().props.name.as_deref(),
        Some("Erin")
    );

    let o = obj(&f, 1);
    assert_eq!(content(o), "Moins cinq ce matin.");
    assert_eq!(o.props.content.as_ref().unwrap().format, TextFormat::Text);
    assert!(o.props.extensions.is_empty());
    assert_eq!(
        f.entries[1].actor.as_deref().unwrap().props.name.as_deref(),
        Some("Frank")
    );
}

#[test]
fn json_feed_items_without_titles_are_notes() {
    let f = load("jsonfeed11.json");
    every_entry_is_a_post(&f);
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.title.as_deref(), Some("Greta's microblog"));
    assert_eq!(f.lang.as_deref(), Some("de"));
    assert_eq!(
        f.links.self_.as_deref(),
        Some("https://greta.example/feed.json")
    );
    assert_eq!(f.links.alternate.as_deref(), Some("https://greta.example/"));
    assert_eq!(f.links.hub.as_deref(), Some("https://hub.example/"));
    let o = obj(&f, 0);
    assert_eq!(o.kind, ObjectType::Note);
    assert!(o.props.name.is_none());
    assert_eq!(o.props.id.as_deref(), Some("https://greta.example/notes/3"));
    assert_eq!(
        o.props.url.as_deref(),
        Some("https://greta.example/notes/3")
    );
    assert_eq!(content(o), "<p>Die ersten Krokusse sind da.</p>");
    assert_eq!(date(&o.props.published), "2014-03-10T07:15:00Z");
    let names: Vec<_> = o.props.hashtags.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["frühling", "krokus"]);
    let a = &o.props.attachments[0];
    assert_eq!(a.kind, ObjectType::Image);
    assert_eq!(a.media.url, "https://greta.example/media/krokus.jpg");
    assert_eq!(a.size, Some(120_044));
    assert_eq!(
        f.entries[0].actor.as_deref().unwrap().props.name.as_deref(),
        Some("Greta")
    );
    let o = obj(&f, 1);
    assert_eq!(o.kind, ObjectType::Note);
    assert_eq!(content(o), "Regen. Viel Regen.");
    assert_eq!(o.props.content.as_ref().unwrap().format, TextFormat::Text);
    assert_eq!(date(&o.props.updated), "2014-03-08T18:05:00Z");
}

#[test]
fn snapshots() {
    for n in [
        "rss2_blog.xml",
        "rss091.xml",
        "rss1_rdf.xml",
        "atom_blog.xml",
        "jsonfeed11.json",
    ] {
        let name = n.replace('.', "_");
        insta::assert_debug_snapshot!(format!("feed_decode__{name}"), load(n));
    }
}

fn err(input: &[u8]) -> DecodeError {
    feed::decode(input, &Limits::default()).unwrap_err()
}

#[test]
fn doctype_is_refused_with_position() {
    let e = err(b"<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY a \"aaaa\">]>\n<rss version=\"2.0\"><channel><title>&a;</title></channel></rss>");
    assert_eq!(
        e,
        DecodeError::Doctype {
            at: Location::LineCol { line: 2, col: 1 }
        }
    );
}

#[test]
fn malformed_xml_has_a_position() {
    let e = err(b"<rss version=\"2.0\">\n<channel>\n<title>x</titel>\n</channel></rss>");
    match e {
        DecodeError::Xml {
            at: Location::LineCol { line, .. },
            ..
        } => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_json_feed_has_a_position() {
    let e = err(b"{\"version\": \"https://jsonfeed.org/version/1.1\",\n \"items\": [,]}");
    assert!(
        matches!(
            e,
            DecodeError::Json {
                at: Location::LineCol { line: 2, .. },
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn other_hostile_input() {
    let limits = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    let big = vec![b' '; 101];
    assert!(matches!(
        feed::decode(&big, &limits),
        Err(DecodeError::TooLarge {
            size: 101,
            limit: 100
        })
    ));
    assert!(matches!(
        err(b"<rss version=\"2.0\">\xff</rss>"),
        DecodeError::InvalidUtf8 { .. }
    ));
    let deep = format!("<rss version=\"2.0\">{}", "<a>".repeat(100));
    assert!(matches!(err(deep.as_bytes()), DecodeError::TooDeep { .. }));
    let deep_json = format!("{{\"x\": {}{}}}", "[".repeat(100), "]".repeat(100));
    assert!(matches!(
        err(deep_json.as_bytes()),
        DecodeError::TooDeep { .. }
    ));
    let attrs: String = (0..70).map(|i| format!(" a{i}=\"x\"")).collect();
    let many = format!("<rss version=\"2.0\"{attrs}></rss>");
    assert!(matches!(
        err(many.as_bytes()),
        DecodeError::TooManyAttributes { .. }
    ));
    assert!(matches!(
        err(b"<html><body/></html>"),
        DecodeError::WrongRoot { .. }
    ));
    assert!(matches!(err(b"hello"), DecodeError::WrongRoot { .. }));
    assert!(matches!(err(b""), DecodeError::WrongRoot { .. }));
    // Truncated input never panics.
    let whole = std::fs::read("fixtures/feeds/atom_blog.xml").unwrap();
    for cut in (0..whole.len()).step_by(7) {
        let _ = feed::decode(&whole[..cut], &Limits::default());
    }
    let whole = std::fs::read("fixtures/feeds/jsonfeed11.json").unwrap();
    for cut in (0..whole.len()).step_by(7) {
        let _ = feed::decode(&whole[..cut], &Limits::default());
    }
}
