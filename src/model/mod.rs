//! The pivot model: every wire format decodes into these types and encodes from them.
//!
//! The shape follows Activity Streams 1.0 (an actor, a verb, an object, maybe a target),
//! because two of the three legacy formats *are* AS1 and AS2 is a close relative. Fields
//! are typed where the bridge acts on them; anything else a decoder reads lands in
//! [`Extensions`] so that nothing is dropped silently.

mod extension;
mod object_type;
mod verb;

pub use extension::{Extension, Extensions, XmlAttribute, XmlElement, XmlNode};
pub use object_type::ObjectType;
pub use verb::{AS_SCHEMA, MASTODON_SCHEMA, OSTATUS_SCHEMA, Verb, VerbTerm};

/// AS1's (and Pump.io's, and OStatus') name for "everyone".
pub const AS1_PUBLIC: &str = "http://activityschema.org/collection/public";
/// AS2's name for "everyone".
pub const AS2_PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A date as read, kept verbatim so that re-encoding writes the same text.
///
/// Peers write RFC 3339 with `Z` or `+00:00`, and some AS1 producers write naive local
/// times (`2017-07-12 17:30`); [`Timestamp::datetime`] parses what can be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(String);

impl Timestamp {
    /// Keeps `text` (trimmed); returns `None` for an empty string.
    pub fn new(text: &str) -> Option<Timestamp> {
        let t = text.trim();
        (!t.is_empty()).then(|| Timestamp(t.to_string()))
    }

    /// A timestamp from a point in time, in RFC 3339 with `Z`.
    pub fn from_datetime(dt: chrono::DateTime<chrono::Utc>) -> Timestamp {
        Timestamp(dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }

    /// The text as read.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant, when the text is RFC 3339 or RFC 2822.
    pub fn datetime(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        chrono::DateTime::parse_from_rfc3339(&self.0)
            .or_else(|_| chrono::DateTime::parse_from_rfc2822(&self.0))
            .ok()
    }
}

/// How a piece of text is marked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextFormat {
    /// HTML (Atom `type="html"`, all AS2 content).
    #[default]
    Html,
    /// Plain text (Atom `type="text"` or no type).
    Text,
    /// Inline XHTML (Atom `type="xhtml"`); the value holds the serialised markup.
    Xhtml,
}

/// Human-readable text with its markup and language.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text {
    /// The text or markup.
    pub value: String,
    /// How `value` is marked up.
    pub format: TextFormat,
    /// BCP 47 language tag (`xml:lang`, the `contentMap` key).
    pub lang: Option<String>,
}

impl Text {
    /// HTML text without a language.
    pub fn html(value: impl Into<String>) -> Text {
        Text {
            value: value.into(),
            format: TextFormat::Html,
            lang: None,
        }
    }

    /// Plain text without a language.
    pub fn plain(value: impl Into<String>) -> Text {
        Text {
            value: value.into(),
            format: TextFormat::Text,
            lang: None,
        }
    }
}

/// One addressee of an activity or object.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addressee {
    /// Everyone (AS1 `collection/public`, AS2 `#Public`, `as:Public`, `Public`).
    Public,
    /// The author's followers when the format names no collection URL (Atom's `private` scope).
    Followers,
    /// A person, group or collection by id.
    Id(String),
}

/// Who may see something: the four AS2 address fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Audience {
    /// Primary recipients.
    pub to: Vec<Addressee>,
    /// Secondary recipients.
    pub cc: Vec<Addressee>,
    /// Hidden primary recipients.
    pub bto: Vec<Addressee>,
    /// Hidden secondary recipients.
    pub bcc: Vec<Addressee>,
}

impl Audience {
    /// Every addressee, in `to`, `cc`, `bto`, `bcc` order, for policies that rewrite ids.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Addressee> {
        self.to
            .iter_mut()
            .chain(&mut self.cc)
            .chain(&mut self.bto)
            .chain(&mut self.bcc)
    }

    /// True when no field names anyone.
    pub fn is_empty(&self) -> bool {
        self.to.is_empty() && self.cc.is_empty() && self.bto.is_empty() && self.bcc.is_empty()
    }

    /// Mastodon's reading of the addressing: Public in `to` is public, in `cc` unlisted; a
    /// followers collection makes it followers-only; otherwise only the named get it.
    pub fn visibility(&self) -> Option<Visibility> {
        if self.is_empty() {
            return None;
        }
        let all = || self.to.iter().chain(&self.bto);
        if all().any(|a| *a == Addressee::Public) {
            Some(Visibility::Public)
        } else if self
            .cc
            .iter()
            .chain(&self.bcc)
            .any(|a| *a == Addressee::Public)
        {
            Some(Visibility::Unlisted)
        } else if self
            .to
            .iter()
            .chain(&self.cc)
            .any(|a| *a == Addressee::Followers || is_followers_url(a))
        {
            Some(Visibility::FollowersOnly)
        } else {
            Some(Visibility::Direct)
        }
    }
}

fn is_followers_url(a: &Addressee) -> bool {
    matches!(a, Addressee::Id(id) if id.ends_with("/followers") || id.ends_with("/subscribers"))
}

/// Mastodon's four visibilities (`mastodon:scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Everyone, listed in public timelines.
    Public,
    /// Everyone, but kept out of public timelines.
    Unlisted,
    /// Followers only (`private`).
    FollowersOnly,
    /// Mentioned accounts only.
    Direct,
}

impl Visibility {
    /// The `mastodon:scope` word.
    pub fn scope_word(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::FollowersOnly => "private",
            Visibility::Direct => "direct",
        }
    }

    /// Reads a `mastodon:scope` word.
    pub fn from_scope_word(s: &str) -> Option<Visibility> {
        match s.trim() {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "private" => Some(Visibility::FollowersOnly),
            "direct" => Some(Visibility::Direct),
            _ => None,
        }
    }
}

/// What kind of account a mention names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MentionKind {
    /// A person (the usual case).
    #[default]
    Person,
    /// A group (GNU social `!group` mentions).
    Group,
}

/// A mention of an account in an object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Mention {
    /// The account's id or profile URL.
    pub href: String,
    /// Display text (`@alice@example.org`), when the format carries one.
    pub name: Option<String>,
    /// Person or group.
    pub kind: MentionKind,
}

/// A hashtag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Hashtag {
    /// The tag as written, without `#` unless the source had it (AS2 `name` keeps `#`).
    pub name: String,
    /// The tag's page.
    pub href: Option<String>,
}

/// A custom emoji (`:blobcat:`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Emoji {
    /// The short code with colons, `:blobcat:`.
    pub shortcode: String,
    /// The image.
    pub icon: Media,
    /// The emoji's own id, when the format has one.
    pub id: Option<String>,
    /// When the emoji image last changed.
    pub updated: Option<Timestamp>,
}

/// An image or other media file referenced by URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Media {
    /// Where the file is.
    pub url: String,
    /// MIME type.
    pub media_type: Option<String>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
}

/// A file attached to a post.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Attachment {
    /// Image, Video, Audio, File (AS2 `Document`), …
    pub kind: ObjectType,
    /// The file itself, with type and dimensions.
    pub media: Media,
    /// Size in bytes (Atom `length`).
    pub size: Option<u64>,
    /// Alt text / caption.
    pub name: Option<String>,
    /// Mastodon's blurhash preview.
    pub blurhash: Option<String>,
}

/// A postal address (schema.org `PostalAddress`, PoCo `address`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PostalAddress {
    /// The whole address as one string.
    pub formatted: Option<String>,
    /// Street and number.
    pub street: Option<String>,
    /// City.
    pub locality: Option<String>,
    /// State or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country.
    pub country: Option<String>,
}

impl PostalAddress {
    /// True when no part is known.
    pub fn is_empty(&self) -> bool {
        *self == PostalAddress::default()
    }
}

/// A location.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Place {
    /// The place's own id.
    pub id: Option<String>,
    /// Its name (`georss:featureName`, AS2 `name`).
    pub name: Option<String>,
    /// Degrees north.
    pub latitude: Option<f64>,
    /// Degrees east.
    pub longitude: Option<f64>,
    /// Metres above sea level.
    pub altitude: Option<f64>,
    /// Postal address.
    pub address: Option<PostalAddress>,
    /// A page about the place.
    pub url: Option<String>,
}

/// Event details beyond start and end (Mobilizon's AS2 extensions).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct EventDetails {
    /// Mobilizon `joinMode` (`free`, `restricted`, `invite`).
    pub join_mode: Option<String>,
    /// Mobilizon `repliesModerationOption` (`allow_all`, `closed`, …).
    pub replies_moderation: Option<String>,
    /// Mobilizon / Lemmy `commentsEnabled`.
    pub comments_enabled: Option<bool>,
    /// Maximum number of participants.
    pub maximum_attendee_capacity: Option<u64>,
    /// IANA time zone name.
    pub timezone: Option<String>,
}

/// A reference to another object: in-reply-to, share target, etc.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Reference {
    /// The object's id (`thr:in-reply-to/@ref`, AS2 `inReplyTo`).
    pub id: String,
    /// Its web page (`thr:in-reply-to/@href`).
    pub url: Option<String>,
    /// Its legacy Atom id when `id` is the AS2 one (`inReplyToAtomUri`).
    pub atom_uri: Option<String>,
}

/// The properties every object, actor and activity may carry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Props {
    /// The id in the format it came from (AS2 id when known; else the Atom/AS1 id).
    pub id: Option<String>,
    /// The legacy (OStatus) id when `id` is the AS2 one: Mastodon's `atomUri`.
    pub atom_uri: Option<String>,
    /// Title / display name (Atom `title`, AS1 `displayName`, AS2 `name`).
    pub name: Option<String>,
    /// Summary; on a post, the content warning.
    pub summary: Option<Text>,
    /// The body.
    pub content: Option<Text>,
    /// Translations of the body (AS2 `contentMap`), by language tag.
    pub content_map: Vec<(String, String)>,
    /// The HTML page (Atom `link rel=alternate type=text/html`, AS1/AS2 `url`).
    pub url: Option<String>,
    /// When it was made.
    pub published: Option<Timestamp>,
    /// When it last changed.
    pub updated: Option<Timestamp>,
    /// Who made it (when not the activity's actor).
    pub author: Option<Box<Actor>>,
    /// What it answers.
    pub in_reply_to: Vec<Reference>,
    /// OStatus conversation id (`ostatus:conversation`, AS2 `conversation`).
    pub conversation: Option<String>,
    /// AS2 `context`.
    pub context: Option<String>,
    /// Who may see it.
    pub audience: Audience,
    /// Visibility as the source stated it (`mastodon:scope`), if it did.
    pub scope: Option<Visibility>,
    /// Accounts it mentions.
    pub mentions: Vec<Mention>,
    /// Hashtags.
    pub hashtags: Vec<Hashtag>,
    /// Custom emoji used in the text.
    pub emoji: Vec<Emoji>,
    /// Attached media.
    pub attachments: Vec<Attachment>,
    /// Marked sensitive (Mastodon `sensitive`, Atom `category term=nsfw`).
    pub sensitive: Option<bool>,
    /// Preview image of the object (Atom `link rel=preview`, AS1 `image`, AS2 `image`).
    pub image: Option<Media>,
    /// Where it is or happens.
    pub location: Option<Place>,
    /// When an event starts.
    pub start_time: Option<Timestamp>,
    /// When an event ends.
    pub end_time: Option<Timestamp>,
    /// Everything read that has no field above, in reading order.
    pub extensions: Extensions,
}

/// A non-actor object: a note, an article, an event, a tombstone, …
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    /// What kind of object.
    pub kind: ObjectType,
    /// Event-only details.
    pub event: Option<EventDetails>,
    /// The properties.
    pub props: Props,
}

/// Where an actor can be reached and what it publishes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Endpoints {
    /// AP inbox (Pump `activity-inbox`).
    pub inbox: Option<String>,
    /// AP outbox (Pump `activity-outbox`).
    pub outbox: Option<String>,
    /// Followers collection.
    pub followers: Option<String>,
    /// Following collection.
    pub following: Option<String>,
    /// AP shared inbox.
    pub shared_inbox: Option<String>,
    /// Atom feed (`updates-from`).
    pub feed: Option<String>,
    /// Salmon endpoint.
    pub salmon: Option<String>,
    /// WebSub hub of the feed.
    pub hub: Option<String>,
}

/// An actor's public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PublicKey {
    /// The key's id (`actor#main-key`).
    pub id: String,
    /// The actor it belongs to.
    pub owner: String,
    /// SPKI PEM.
    pub pem: String,
}

/// A name/value profile field (Mastodon `PropertyValue`, PoCo `urls`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ProfileField {
    /// The label.
    pub name: String,
    /// The value (HTML in AS2).
    pub value: String,
}

/// A person, group, service, organization or application.
///
/// `props.name` is the display name, `props.summary` the bio and `props.url` the profile page.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    /// Person, Group, Service, Organization or Application.
    pub kind: ObjectType,
    /// The account name (`poco:preferredUsername`, AS2 `preferredUsername`).
    pub username: Option<String>,
    /// `user@host` (Atom author `email`, used by Mastodon to find the Salmon signer).
    pub email: Option<String>,
    /// Avatars, largest first when the source gave several sizes.
    pub avatars: Vec<Media>,
    /// Banner image.
    pub header: Option<Media>,
    /// Follows need approval (`mastodon:scope=private` on an author, AS2 `manuallyApprovesFollowers`).
    pub locked: Option<bool>,
    /// Where to reach the actor.
    pub endpoints: Endpoints,
    /// Its key.
    pub public_key: Option<PublicKey>,
    /// Other ids of the same account (migration).
    pub also_known_as: Vec<String>,
    /// The account it moved to.
    pub moved_to: Option<String>,
    /// Profile fields.
    pub fields: Vec<ProfileField>,
    /// The common properties.
    pub props: Props,
}

impl Default for Actor {
    fn default() -> Self {
        Actor {
            kind: ObjectType::Person,
            username: None,
            email: None,
            avatars: Vec::new(),
            header: None,
            locked: None,
            endpoints: Endpoints::default(),
            public_key: None,
            also_known_as: Vec::new(),
            moved_to: None,
            fields: Vec::new(),
            props: Props::default(),
        }
    }
}

impl Actor {
    /// An actor known only by its id (a bare id string on the wire).
    pub fn with_id(id: impl Into<String>) -> Actor {
        Actor {
            props: Props {
                id: Some(id.into()),
                ..Props::default()
            },
            ..Actor::default()
        }
    }

    /// The first avatar, the one to show.
    pub fn avatar(&self) -> Option<&Media> {
        self.avatars.first()
    }
}

/// Something an activity acts on: an object, an actor, another activity, or a bare id.
// Nodes already live behind a `Box` inside `Activity`; boxing the variants again buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Only the id is known.
    Ref(String),
    /// A note, article, event, …
    Object(Object),
    /// A person, group, …
    Actor(Actor),
    /// An activity (shares in GNU social nest the original `post`; `authorize` nests the request).
    Activity(Box<Activity>),
}

impl Node {
    /// The id of whatever this is.
    pub fn id(&self) -> Option<&str> {
        match self {
            Node::Ref(id) => Some(id),
            Node::Object(o) => o.props.id.as_deref(),
            Node::Actor(a) => a.props.id.as_deref(),
            Node::Activity(a) => a.props.id.as_deref(),
        }
    }

    /// The common properties, when more than an id is known.
    pub fn props(&self) -> Option<&Props> {
        match self {
            Node::Ref(_) => None,
            Node::Object(o) => Some(&o.props),
            Node::Actor(a) => Some(&a.props),
            Node::Activity(a) => Some(&a.props),
        }
    }

    /// The object type, when known.
    pub fn kind(&self) -> Option<ObjectType> {
        match self {
            Node::Ref(_) => None,
            Node::Object(o) => Some(o.kind.clone()),
            Node::Actor(a) => Some(a.kind.clone()),
            Node::Activity(_) => Some(ObjectType::Activity),
        }
    }
}

/// An actor doing something to an object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Activity {
    /// What is done.
    pub verb: VerbTerm,
    /// Who does it.
    pub actor: Option<Box<Actor>>,
    /// To what.
    pub object: Option<Box<Node>>,
    /// Where to (a collection for `add`, a group, …).
    pub target: Option<Box<Node>>,
    /// The source held only the object and the activity was implied: an Atom entry without
    /// `activity:object`, or a bare AS2/Pump object. Encoders write the same shape back.
    pub implied: bool,
    /// The activity's own properties (id, dates, title, audience, …).
    pub props: Props,
}

impl Default for VerbTerm {
    fn default() -> Self {
        VerbTerm::new(Verb::Post)
    }
}

impl Activity {
    /// The verb's meaning.
    pub fn verb(&self) -> &Verb {
        self.verb.verb()
    }

    /// The object, when it is a plain object (note, article, …).
    pub fn object_object(&self) -> Option<&Object> {
        match self.object.as_deref() {
            Some(Node::Object(o)) => Some(o),
            _ => None,
        }
    }

    /// Who made the activity: its actor, else its object's author.
    pub fn effective_actor(&self) -> Option<&Actor> {
        self.actor.as_deref().or_else(|| {
            self.object
                .as_deref()
                .and_then(Node::props)
                .and_then(|p| p.author.as_deref())
        })
    }
}

/// Links a feed carries for its subscribers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FeedLinks {
    /// The feed's own URL (`rel=self`).
    pub self_: Option<String>,
    /// The HTML page (`rel=alternate`).
    pub alternate: Option<String>,
    /// WebSub hub.
    pub hub: Option<String>,
    /// Salmon endpoint.
    pub salmon: Option<String>,
    /// Next (older) page.
    pub next: Option<String>,
    /// Previous (newer) page.
    pub prev: Option<String>,
}

/// An ordered list of activities: an Atom feed, a Pump.io collection, an AS2 OrderedCollection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Feed {
    /// The feed's id.
    pub id: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Its subtitle / description.
    pub subtitle: Option<String>,
    /// When it last changed.
    pub updated: Option<Timestamp>,
    /// Feed logo.
    pub logo: Option<String>,
    /// Feed language (`xml:lang` on the root).
    pub lang: Option<String>,
    /// The account whose feed this is.
    pub author: Option<Actor>,
    /// Navigation and protocol links.
    pub links: FeedLinks,
    /// Item count the source announced (AS2/Pump `totalItems`).
    pub total_items: Option<u64>,
    /// The activities, in source order.
    pub entries: Vec<Activity>,
    /// Everything read that has no field above.
    pub extensions: Extensions,
}

/// A decoded input: one activity or a list of them.
// There is one `Document` per decode; its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A single entry, activity or object.
    Activity(Activity),
    /// A feed or collection.
    Feed(Feed),
}

impl Document {
    /// All activities, in order.
    pub fn activities(&self) -> &[Activity] {
        match self {
            Document::Activity(a) => std::slice::from_ref(a),
            Document::Feed(f) => &f.entries,
        }
    }

    /// All activities, mutable.
    pub fn activities_mut(&mut self) -> &mut [Activity] {
        match self {
            Document::Activity(a) => std::slice::from_mut(a),
            Document::Feed(f) => &mut f.entries,
        }
    }
}
