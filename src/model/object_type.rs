//! Object types shared by AS1 (Atom, Pump.io) and AS2.

use std::fmt;

use super::verb::AS_SCHEMA;

/// What kind of thing an object is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ObjectType {
    /// A short post (AS1 `note` and GNU social's `status`).
    #[default]
    Note,
    /// A reply (AS1 `comment`; AS2 has only `Note` + `inReplyTo`).
    Comment,
    /// A long post with a title.
    Article,
    /// A person.
    Person,
    /// A group.
    Group,
    /// An organization.
    Organization,
    /// A bot or service account.
    Service,
    /// A software application account.
    Application,
    /// A calendar event.
    Event,
    /// A location.
    Place,
    /// A picture (AS1 `image`, `photo`).
    Image,
    /// A video.
    Video,
    /// A sound (AS1 `audio`, `song`).
    Audio,
    /// A file (AS1 `file`, `binary`; AS2 `Document`).
    File,
    /// A link to a web page (AS1 `bookmark`).
    Bookmark,
    /// A web page (AS1/AS2 `page`).
    Page,
    /// A collection (AS1 `collection`, `list`, `folder`, `photo-album`, `playlist`).
    Collection,
    /// An activity used as an object (a shared activity, the object of `authorize`).
    Activity,
    /// A deleted object.
    Tombstone,
    /// A poll.
    Question,
    /// Anything else, kept verbatim.
    Unknown(String),
}

const TABLE: &[(ObjectType, &str, &str)] = &[
    (ObjectType::Note, "note", "Note"),
    (ObjectType::Comment, "comment", "Note"),
    (ObjectType::Article, "article", "Article"),
    (ObjectType::Person, "person", "Person"),
    (ObjectType::Group, "group", "Group"),
    (ObjectType::Organization, "organization", "Organization"),
    (ObjectType::Service, "service", "Service"),
    (ObjectType::Application, "application", "Application"),
    (ObjectType::Event, "event", "Event"),
    (ObjectType::Place, "place", "Place"),
    (ObjectType::Image, "image", "Image"),
    (ObjectType::Video, "video", "Video"),
    (ObjectType::Audio, "audio", "Audio"),
    (ObjectType::File, "file", "Document"),
    (ObjectType::Bookmark, "bookmark", "Page"),
    (ObjectType::Page, "page", "Page"),
    (ObjectType::Collection, "collection", "Collection"),
    (ObjectType::Activity, "activity", "Activity"),
    (ObjectType::Tombstone, "tombstone", "Tombstone"),
    (ObjectType::Question, "question", "Question"),
];

const AS1_ALIASES: &[(&str, ObjectType)] = &[
    ("status", ObjectType::Note),
    ("photo", ObjectType::Image),
    ("song", ObjectType::Audio),
    ("binary", ObjectType::File),
    ("list", ObjectType::Collection),
    ("folder", ObjectType::Collection),
    ("photo-album", ObjectType::Collection),
    ("playlist", ObjectType::Collection),
    ("review", ObjectType::Article),
];

impl ObjectType {
    /// The AS1 token (`note`, `person`, …); for unknown types, the text as read.
    pub fn as1_token(&self) -> &str {
        match self {
            ObjectType::Unknown(s) => s,
            known => TABLE
                .iter()
                .find(|(t, _, _)| t == known)
                .map(|(_, a, _)| *a)
                .unwrap_or("note"),
        }
    }

    /// The full AS1 IRI, as Atom wants it.
    pub fn as1_iri(&self) -> String {
        match self {
            ObjectType::Unknown(s) => s.clone(),
            known => format!("{AS_SCHEMA}{}", known.as1_token()),
        }
    }

    /// The AS2 `type`; `None` for unknown AS1 types that have no AS2 counterpart.
    pub fn as2_type(&self) -> Option<&str> {
        match self {
            ObjectType::Unknown(s) if is_as2_term(s) => Some(s),
            ObjectType::Unknown(_) => None,
            known => TABLE
                .iter()
                .find(|(t, _, _)| t == known)
                .map(|(_, _, b)| *b),
        }
    }

    /// Reads an AS1 token or IRI (`note`, `http://activitystrea.ms/schema/1.0/note`).
    pub fn parse_as1(text: &str) -> ObjectType {
        let trimmed = text.trim();
        let token = trimmed
            .strip_prefix(AS_SCHEMA)
            .or_else(|| trimmed.strip_prefix("http://ostatus.org/schema/1.0/"))
            .unwrap_or(trimmed);
        if let Some((t, _, _)) = TABLE.iter().find(|(_, a, _)| *a == token) {
            return t.clone();
        }
        if let Some((_, t)) = AS1_ALIASES.iter().find(|(a, _)| *a == token) {
            return t.clone();
        }
        ObjectType::Unknown(trimmed.to_string())
    }

    /// Reads an AS2 `type` (`Note`, `Document`, …).
    pub fn parse_as2(text: &str) -> ObjectType {
        let t = text.trim();
        match t {
            "Note" => ObjectType::Note,
            "Document" => ObjectType::File,
            "Page" => ObjectType::Page,
            "Collection" | "OrderedCollection" => ObjectType::Collection,
            _ => TABLE
                .iter()
                .find(|(_, _, b)| *b == t)
                .map(|(o, _, _)| o.clone())
                .unwrap_or_else(|| ObjectType::Unknown(t.to_string())),
        }
    }

    /// True for the five AS2 actor types.
    pub fn is_actor(&self) -> bool {
        matches!(
            self,
            ObjectType::Person
                | ObjectType::Group
                | ObjectType::Organization
                | ObjectType::Service
                | ObjectType::Application
        )
    }
}

/// An AS2 term is a bare capitalised word (`Emoji`, `Hashtag`), never an AS1 IRI or token.
fn is_as2_term(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as1_token())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as1_and_as2_spellings() {
        assert_eq!(
            ObjectType::parse_as1("http://activitystrea.ms/schema/1.0/comment"),
            ObjectType::Comment
        );
        assert_eq!(ObjectType::parse_as1("status"), ObjectType::Note);
        assert_eq!(ObjectType::parse_as2("Document"), ObjectType::File);
        assert_eq!(ObjectType::File.as2_type(), Some("Document"));
        assert_eq!(ObjectType::Comment.as2_type(), Some("Note"));
        assert_eq!(
            ObjectType::Unknown("Emoji".into()).as2_type(),
            Some("Emoji")
        );
        assert_eq!(
            ObjectType::Unknown("http://x.example/review".into()).as2_type(),
            None
        );
        assert!(ObjectType::Service.is_actor());
    }
}
