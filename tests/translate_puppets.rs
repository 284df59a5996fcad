#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Legacy posts of accounts with puppets come out as the puppet's: actor, attributedTo and the
//! followers collection are the puppet's (what the bridge sends to AP followers).

use ostatus_bridge::codec::{self, Format, Limits};
use ostatus_bridge::translate::{self, Context, IdMinter, PuppetRef};

#[test]
fn a_gnu_social_feed_becomes_the_puppets_posts() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/external/gnu-social/ActivityParseTests.php__example5.atom"
    ))
    .unwrap();
    let mut doc = codec::decode(Format::Atom, &input, &Limits::default()).unwrap();
    let mut ctx = Context::new(
        IdMinter::new(&url::Url::parse("https://bridge.example").unwrap()),
        true,
    );
    let puppet = "https://bridge.example/users/testuser_at_example.net";
    ctx.puppets.insert(
        ["http://example.net/mysite/user/3"],
        PuppetRef {
            id: puppet.into(),
            followers: format!("{puppet}/followers"),
        },
    );
    translate::prepare(&mut doc, Format::Atom, Format::As2, &ctx);
    let v = codec::as2::encode_value(&doc);
    let item = &v["orderedItems"][0];
    assert_eq!(item["type"], "Create");
    assert_eq!(item["actor"], puppet);
    assert_eq!(item["object"]["attributedTo"], puppet);
    assert_eq!(
        item["object"]["to"],
        serde_json::json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(
        item["object"]["cc"],
        serde_json::json!([format!("{puppet}/followers")])
    );
    assert_eq!(item["object"]["id"], "http://example.net/mysite/notice/7");
}
