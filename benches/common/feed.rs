//! The generated OStatus feed the translation benches share: GNU social / Mastodon 2.x
//! shaped entries, so every bench measures the same bytes.

/// One GNU social / Mastodon 2.x shaped entry: verb, object type, author with poco fields,
/// reply, conversation, two mentions, scope, a hashtag, an enclosure and escaped HTML.
pub fn entry(i: usize) -> String {
    format!(
        r#"<entry>
  <id>tag:social.example,2017-05-02:objectId={i}:objectType=Status</id>
  <published>2017-05-02T10:00:00Z</published>
  <updated>2017-05-02T10:00:00Z</updated>
  <title>New status by alice</title>
  <activity:object-type>http://activitystrea.ms/schema/1.0/comment</activity:object-type>
  <activity:verb>http://activitystrea.ms/schema/1.0/post</activity:verb>
  <author>
    <id>https://social.example/users/alice</id>
    <activity:object-type>http://activitystrea.ms/schema/1.0/person</activity:object-type>
    <uri>https://social.example/users/alice</uri>
    <name>alice</name>
    <email>alice@social.example</email>
    <link rel="alternate" type="text/html" href="https://social.example/@alice"/>
    <link rel="avatar" type="image/png" media:width="120" media:height="120" href="https://social.example/avatars/alice.png"/>
    <poco:preferredUsername>alice</poco:preferredUsername>
    <poco:displayName>Alice Example</poco:displayName>
    <mastodon:scope>public</mastodon:scope>
  </author>
  <content type="html" xml:lang="en">&lt;p&gt;&lt;span class="h-card"&gt;&lt;a href="https://other.example/user/3" class="u-url mention"&gt;@&lt;span&gt;bob&lt;/span&gt;&lt;/a&gt;&lt;/span&gt; agreed, number {i} &amp;amp; counting &lt;a href="https://social.example/tags/bridge" class="mention hashtag" rel="tag"&gt;#&lt;span&gt;bridge&lt;/span&gt;&lt;/a&gt;&lt;/p&gt;</content>
  <link rel="alternate" type="text/html" href="https://social.example/@alice/{i}"/>
  <link rel="self" type="application/atom+xml" href="https://social.example/users/alice/updates/{i}.atom"/>
  <thr:in-reply-to ref="tag:other.example,2017-05-01:noticeId=7:objectType=note" href="https://other.example/notice/7"/>
  <link rel="ostatus:conversation" href="tag:social.example,2017-05-01:objectId=9:objectType=Conversation"/>
  <ostatus:conversation ref="tag:social.example,2017-05-01:objectId=9:objectType=Conversation">tag:social.example,2017-05-01:objectId=9:objectType=Conversation</ostatus:conversation>
  <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/person" href="https://other.example/user/3"/>
  <link rel="mentioned" ostatus:object-type="http://activitystrea.ms/schema/1.0/collection" href="http://activityschema.org/collection/public"/>
  <category term="bridge"/>
  <link rel="enclosure" type="image/jpeg" length="108841" href="https://social.example/media/{i}.jpg"/>
  <georss:point>52.52 13.405</georss:point>
  <mastodon:scope>public</mastodon:scope>
</entry>
"#
    )
}

/// A feed of `n` entries with a feed-level author and hub/salmon links.
pub fn large_feed(n: usize) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0" xmlns:activity="http://activitystrea.ms/spec/1.0/" xmlns:poco="http://portablecontacts.net/spec/1.0" xmlns:media="http://purl.org/syndication/atommedia" xmlns:ostatus="http://ostatus.org/schema/1.0" xmlns:mastodon="http://mastodon.social/schema/1.0" xmlns:georss="http://www.georss.org/georss">
  <id>https://social.example/users/alice.atom</id>
  <title>alice</title>
  <updated>2017-05-02T10:00:00Z</updated>
  <author>
    <id>https://social.example/users/alice</id>
    <activity:object-type>http://activitystrea.ms/schema/1.0/person</activity:object-type>
    <uri>https://social.example/users/alice</uri>
    <name>alice</name>
  </author>
  <link rel="hub" href="https://social.example/api/push"/>
  <link rel="salmon" href="https://social.example/api/salmon/1"/>
  <link rel="self" type="application/atom+xml" href="https://social.example/users/alice.atom"/>
"#,
    );
    for i in 0..n {
        s.push_str(&entry(i));
    }
    s.push_str("</feed>\n");
    s
}

/// Counts quick-xml events: the floor any Atom decoder built on quick-xml pays.
pub fn tokenise(xml: &str) -> usize {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut n = 0usize;
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            Ok(_) => n += 1,
        }
    }
    n
}
