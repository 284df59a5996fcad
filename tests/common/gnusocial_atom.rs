//! The Atom the GNU social double publishes, in the shapes GNU social 1.2x writes: notices with
//! tag: ids (`tag:HOST,DATE:noticeId=N:objectType=note`), replies with `thr:in-reply-to`,
//! `ostatus:conversation` and `mentioned` / `ostatus:attention` links, favourites, repeats in
//! the nested-activity form (object-type `activity` holding the original post), deletes,
//! follows and unfollows; the user feed with a feed-level author carrying poco fields.

use super::mini_xml::esc;

/// Namespace declarations every entry carries (so an entry stands alone in a Salmon).
pub const NAMESPACES: &str = concat!(
    r#"xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0" "#,
    r#"xmlns:activity="http://activitystrea.ms/spec/1.0/" "#,
    r#"xmlns:poco="http://portablecontacts.net/spec/1.0" "#,
    r#"xmlns:media="http://purl.org/syndication/atommedia" "#,
    r#"xmlns:ostatus="http://ostatus.org/schema/1.0" "#,
    r#"xmlns:statusnet="http://status.net/schema/api/1/""#
);

/// AS1 schema base.
pub const AS: &str = "http://activitystrea.ms/schema/1.0/";
/// The unfollow verb (OStatus namespace).
pub const UNFOLLOW: &str = "http://ostatus.org/schema/1.0/unfollow";
/// The public collection GNU social mentions on public notices.
pub const PUBLIC: &str = "http://activityschema.org/collection/public";

/// The local account, as GNU social describes it in feeds and entries.
#[derive(Debug, Clone)]
pub struct Author {
    /// `http://HOST/user/1`: the OStatus author URI.
    pub uri: String,
    /// Username (`atom:name`, `poco:preferredUsername`).
    pub name: String,
    /// `poco:displayName`.
    pub display_name: String,
    /// `poco:note`.
    pub note: String,
    /// HTML profile page.
    pub profile: String,
    /// Avatar URL.
    pub avatar: String,
    /// `user@HOST`.
    pub email: String,
}

/// Something an entry points at: a post, a person.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Its id (`atom:id`, AS1 id; for a person the author URI).
    pub id: String,
    /// Its HTML page, if known (`link rel=alternate`).
    pub url: Option<String>,
    /// `note` (default), `comment`, `person`, …: the last part of the AS1 object-type IRI.
    pub object_type: Option<String>,
    /// Its author's URI (for repeats and mentions of the parent's author).
    pub author_uri: Option<String>,
    /// Its author's name.
    pub author_name: Option<String>,
    /// Its content (HTML), for repeats and favourites.
    pub content: Option<String>,
    /// Its conversation, which a reply joins.
    pub conversation: Option<String>,
}

impl From<&str> for Target {
    fn from(id: &str) -> Target {
        Target {
            id: id.to_string(),
            url: id.starts_with("http").then(|| id.to_string()),
            ..Target::default()
        }
    }
}

impl From<String> for Target {
    fn from(id: String) -> Target {
        Target::from(id.as_str())
    }
}

impl From<&Entry> for Target {
    fn from(e: &Entry) -> Target {
        e.target.clone()
    }
}

/// What the user does.
#[derive(Debug, Clone)]
pub enum Action {
    /// A new notice; a reply when `in_reply_to` is set; `mentions` are person URIs.
    Post {
        /// HTML content.
        text: String,
        /// The parent.
        in_reply_to: Option<Target>,
        /// Mentioned people (the parent's author is added for replies).
        mentions: Vec<String>,
    },
    /// Favourite of a notice.
    Favorite(Target),
    /// Repeat of a notice.
    Share(Target),
    /// Delete of a notice (its own or, as a verb, any).
    Delete(Target),
    /// Subscribe to a person.
    Follow(Target),
    /// Unsubscribe.
    Unfollow(Target),
}

/// One published entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Local notice number.
    pub n: u64,
    /// `atom:id`.
    pub id: String,
    /// HTML page of the notice.
    pub url: String,
    /// The AS1 verb IRI.
    pub verb: String,
    /// The `<entry>` element (namespaces declared on it), as in the feed.
    pub xml: String,
    /// What a later favourite/repeat/reply of this entry points at.
    pub target: Target,
}

impl Entry {
    /// The entry as a standalone document, the payload GNU social puts in a Salmon.
    pub fn document(&self) -> String {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}", self.xml)
    }
}

fn object_type(t: &Target, default: &str) -> String {
    format!("{AS}{}", t.object_type.as_deref().unwrap_or(default))
}

fn author_xml(a: &Author) -> String {
    format!(
        "<author>\n <activity:object-type>{AS}person</activity:object-type>\n <uri>{uri}</uri>\n \
         <name>{name}</name>\n <email>{email}</email>\n <summary>{note}</summary>\n \
         <link rel=\"alternate\" type=\"text/html\" href=\"{profile}\"/>\n \
         <link rel=\"avatar\" type=\"image/png\" media:width=\"96\" media:height=\"96\" href=\"{avatar}\"/>\n \
         <poco:preferredUsername>{name}</poco:preferredUsername>\n \
         <poco:displayName>{display}</poco:displayName>\n <poco:note>{note}</poco:note>\n</author>\n",
        uri = esc(&a.uri),
        name = esc(&a.name),
        email = esc(&a.email),
        note = esc(&a.note),
        profile = esc(&a.profile),
        avatar = esc(&a.avatar),
        display = esc(&a.display_name),
    )
}

fn object_xml(t: &Target, default_type: &str) -> String {
    let mut x = format!(
        "<activity:object>\n <activity:object-type>{}</activity:object-type>\n <id>{}</id>\n",
        object_type(t, default_type),
        esc(&t.id)
    );
    if let Some(c) = &t.content {
        x.push_str(&format!(" <content type=\"html\">{}</content>\n", esc(c)));
    }
    if let Some(n) = &t.author_name {
        x.push_str(&format!(" <title>{}</title>\n", esc(n)));
    }
    if let Some(u) = &t.url {
        x.push_str(&format!(
            " <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            esc(u)
        ));
    }
    x.push_str("</activity:object>\n");
    x
}

/// The repeat's object: the original post as a nested activity (GNU social's form).
fn shared_activity_xml(t: &Target) -> String {
    let content = t.content.clone().unwrap_or_default();
    let mut x = format!(
        "<activity:object>\n <activity:object-type>{AS}activity</activity:object-type>\n \
         <id>{id}</id>\n <title>{title}</title>\n <content type=\"html\">{c}</content>\n \
         <activity:verb>{AS}post</activity:verb>\n",
        id = esc(&t.id),
        title = esc(&format!(
            "New note by {}",
            t.author_name.as_deref().unwrap_or("someone")
        )),
        c = esc(&content),
    );
    if let Some(u) = &t.url {
        x.push_str(&format!(
            " <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            esc(u)
        ));
    }
    if let Some(a) = &t.author_uri {
        x.push_str(&format!(
            " <author>\n  <activity:object-type>{AS}person</activity:object-type>\n  \
             <uri>{}</uri>\n  <name>{}</name>\n </author>\n",
            esc(a),
            esc(t.author_name.as_deref().unwrap_or(""))
        ));
    }
    x.push_str(&object_xml(t, "note").replace('\n', "\n "));
    x.push_str("</activity:object>\n");
    x
}

/// Renders `action` as entry number `n` of `author` on `base` (`http://HOST`), at `now`
/// (GNU social's `2026-01-01T00:00:00+00:00`).
pub fn render(author: &Author, base: &str, n: u64, action: &Action, now: &str) -> Entry {
    let host = base
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let date = &now[..10];
    let url = format!("{base}/notice/{n}");
    let self_link = format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/api/statuses/show/{n}.atom\"/>\n"
    );
    let (id, verb, title, content, body) = match action {
        Action::Post {
            text,
            in_reply_to,
            mentions,
        } => {
            let id = format!("tag:{host},{date}:noticeId={n}:objectType=note");
            let mut body = format!("<activity:object-type>{AS}note</activity:object-type>\n");
            let conversation = in_reply_to
                .as_ref()
                .and_then(|p| p.conversation.clone())
                .unwrap_or_else(|| format!("tag:{host},{date}:objectType=thread:nonce={n}"));
            body.push_str(&format!(
                "<link rel=\"ostatus:conversation\" href=\"{c}\"/>\n\
                 <ostatus:conversation ref=\"{c}\">{c}</ostatus:conversation>\n",
                c = esc(&conversation)
            ));
            let mut people: Vec<String> = mentions.clone();
            if let Some(p) = in_reply_to {
                let href = p.url.clone().unwrap_or_else(|| p.id.clone());
                body.push_str(&format!(
                    "<thr:in-reply-to ref=\"{}\" href=\"{}\"/>\n<link rel=\"related\" href=\"{}\"/>\n",
                    esc(&p.id),
                    esc(&href),
                    esc(&href)
                ));
                if let Some(a) = p.author_uri.as_ref().filter(|a| !people.contains(a)) {
                    people.insert(0, a.clone());
                }
            }
            for who in &people {
                for rel in ["mentioned", "ostatus:attention"] {
                    body.push_str(&format!(
                        "<link rel=\"{rel}\" ostatus:object-type=\"{AS}person\" href=\"{}\"/>\n",
                        esc(who)
                    ));
                }
            }
            body.push_str(&format!(
                "<link rel=\"mentioned\" ostatus:object-type=\"{AS}collection\" href=\"{PUBLIC}\"/>\n"
            ));
            let title = if in_reply_to.is_some() {
                format!("New comment by {}", author.name)
            } else {
                format!("New note by {}", author.name)
            };
            (id, format!("{AS}post"), title, text.clone(), body)
        }
        Action::Favorite(t) => {
            let id = format!("tag:{host},{date}:fave:1:{n}:{now}");
            let mut body = object_xml(t, "note");
            let href = t.url.clone().unwrap_or_else(|| t.id.clone());
            body.push_str(&format!(
                "<thr:in-reply-to ref=\"{}\" href=\"{}\"/>\n",
                esc(&t.id),
                esc(&href)
            ));
            (
                id,
                format!("{AS}favorite"),
                "Favorite".into(),
                format!("{} favorited something: {}", author.name, t.id),
                body,
            )
        }
        Action::Share(t) => {
            let id = format!("tag:{host},{date}:noticeId={n}:objectType=share");
            (
                id,
                format!("{AS}share"),
                format!("{} repeated a notice", author.name),
                format!(
                    "RT @{} {}",
                    t.author_name.as_deref().unwrap_or(""),
                    t.content.as_deref().unwrap_or("")
                ),
                shared_activity_xml(t),
            )
        }
        Action::Delete(t) => {
            let id = format!("tag:{host},{date}:deleteNotice={n}");
            (
                id,
                format!("{AS}delete"),
                "Delete".into(),
                format!("{} deleted notice {{{}}}.", author.name, t.id),
                object_xml(t, "note"),
            )
        }
        Action::Follow(t) => {
            let id = format!("tag:{host},{date}:follow:1:{n}:{now}");
            (
                id,
                format!("{AS}follow"),
                format!("{} started following {}", author.name, t.id),
                format!("{} started following {}.", author.name, t.id),
                object_xml(t, "person"),
            )
        }
        Action::Unfollow(t) => {
            let id = format!("tag:{host},{date}:unfollow:1:{n}:{now}");
            (
                id,
                UNFOLLOW.to_string(),
                format!("{} stopped following {}", author.name, t.id),
                format!("{} stopped following {}.", author.name, t.id),
                object_xml(t, "person"),
            )
        }
    };
    let xml = format!(
        "<entry {NAMESPACES}>\n<id>{id}</id>\n<title>{title}</title>\n\
         <content type=\"html\">{content}</content>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n\
         <activity:verb>{verb}</activity:verb>\n<published>{now}</published>\n\
         <updated>{now}</updated>\n{author}{body}{self_link}\
         <statusnet:notice_info local_id=\"{n}\" source=\"web\"/>\n</entry>\n",
        id = esc(&id),
        title = esc(&title),
        content = esc(&content),
        verb = esc(&verb),
        author = author_xml(author),
    );
    let target = Target {
        id: id.clone(),
        url: Some(url.clone()),
        object_type: Some(
            match action {
                Action::Post {
                    in_reply_to: Some(_),
                    ..
                } => "comment",
                _ => "note",
            }
            .into(),
        ),
        author_uri: Some(author.uri.clone()),
        author_name: Some(author.name.clone()),
        content: Some(content),
        conversation: xml
            .split("<ostatus:conversation ref=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(str::to_string),
    };
    Entry {
        n,
        id,
        url,
        verb,
        xml,
        target,
    }
}

/// The user feed (newest first) with hub, self and Salmon links and the feed-level author.
pub fn feed(author: &Author, feed_url: &str, hub: &str, salmon: &str, entries: &[Entry]) -> String {
    let updated = entries
        .last()
        .and_then(|e| {
            e.xml
                .split("<updated>")
                .nth(1)
                .and_then(|s| s.split('<').next())
        })
        .unwrap_or("2026-01-01T00:00:00+00:00")
        .to_string();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xml:lang=\"en\" {NAMESPACES}>\n\
         <generator uri=\"https://gnu.io/social\" version=\"1.2.0-beta5\">GNU social</generator>\n\
         <id>{feed}</id>\n<title>{name} timeline</title>\n\
         <subtitle>Updates from {name} on the GNU social double!</subtitle>\n\
         <logo>{avatar}</logo>\n<updated>{updated}</updated>\n{author}\
         <link href=\"{profile}\" rel=\"alternate\" type=\"text/html\"/>\n\
         <link href=\"{hub}\" rel=\"hub\"/>\n<link href=\"{salmon}\" rel=\"salmon\"/>\n\
         <link href=\"{salmon}\" rel=\"http://salmon-protocol.org/ns/salmon-replies\"/>\n\
         <link href=\"{salmon}\" rel=\"http://salmon-protocol.org/ns/salmon-mention\"/>\n\
         <link href=\"{feed}\" rel=\"self\" type=\"application/atom+xml\"/>\n",
        feed = esc(feed_url),
        name = esc(&author.name),
        avatar = esc(&author.avatar),
        author = author_xml(author),
        profile = esc(&author.profile),
        hub = esc(hub),
        salmon = esc(salmon),
    );
    for e in entries.iter().rev().take(20) {
        x.push_str(&e.xml);
    }
    x.push_str("</feed>\n");
    x
}

/// The entries of an Atom feed or a single entry document (e.g. a push from the bridge's hub),
/// as targets a reply, favourite or repeat can point at: id, alternate link, author (the
/// entry's, else the feed's), content, conversation and object type.
pub fn targets_in(atom_xml: &str) -> Vec<Target> {
    let Ok(root) = super::mini_xml::parse(atom_xml) else {
        return vec![];
    };
    let feed_author = root.child("author").cloned();
    let entries: Vec<&super::mini_xml::Node> = if root.name == "entry" {
        vec![&root]
    } else {
        root.all("entry").collect()
    };
    entries
        .into_iter()
        .map(|e| {
            let author = e.child("author").or(feed_author.as_ref());
            let url = e
                .all("link")
                .find(|l| l.attr("rel") == Some("alternate") && l.attr("type") == Some("text/html"))
                .or_else(|| e.all("link").find(|l| l.attr("rel") == Some("alternate")))
                .and_then(|l| l.attr("href"))
                .map(str::to_string);
            let conversation = e
                .child("conversation")
                .and_then(|c| c.attr("ref").map(str::to_string))
                .or_else(|| {
                    e.all("link")
                        .find(|l| l.attr("rel") == Some("ostatus:conversation"))
                        .and_then(|l| l.attr("href"))
                        .map(str::to_string)
                });
            Target {
                id: e.child_text("id").unwrap_or_default(),
                url,
                object_type: e
                    .child_text("object-type")
                    .map(|t| t.rsplit('/').next().unwrap_or(&t).to_string()),
                author_uri: author.and_then(|a| a.child_text("uri")),
                author_name: author.and_then(|a| a.child_text("name")),
                content: e.child_text("content"),
                conversation,
            }
        })
        .collect()
}
