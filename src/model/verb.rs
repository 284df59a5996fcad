//! Activity verbs: one semantic [`Verb`] for every spelling seen in the wild.

use std::fmt;

/// Base IRI of the Activity Streams 1.0 verb and object-type vocabulary.
pub const AS_SCHEMA: &str = "http://activitystrea.ms/schema/1.0/";
/// OStatus' own verbs (`unfollow`, `leave`, `untag`, `update-profile`, StatusNet's `unfavorite`).
pub const OSTATUS_SCHEMA: &str = "http://ostatus.org/schema/1.0/";
/// Mastodon's OStatus-era verbs (`block`, `unblock`).
pub const MASTODON_SCHEMA: &str = "http://mastodon.social/schema/1.0/";

/// What an activity does, independent of how a wire format spells it.
///
/// The bridge core only ever matches on this enum; spelling lives in [`VerbTerm`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Verb {
    /// New content (AS1 `post`/`create`, AS2 `Create`, or `Add` when a target is given).
    Post,
    /// Repeat / boost (AS2 `Announce`).
    Share,
    /// Pump.io's undo of a share.
    Unshare,
    /// Favourite / like (AS2 `Like`).
    Favorite,
    /// Undo of a favourite.
    Unfavorite,
    /// Follow a person or group.
    Follow,
    /// Stop following (OStatus `unfollow`, Pump `stop-following`).
    Unfollow,
    /// Mastodon's follow request to a locked account.
    RequestFriend,
    /// Accept of a follow request (object: the `request-friend` activity).
    Authorize,
    /// Refusal of a follow request, or of anything else.
    Reject,
    /// Removal of an object.
    Delete,
    /// Change of an object.
    Update,
    /// GNU social's profile change (the actor itself is the object).
    UpdateProfile,
    /// Joining a group.
    Join,
    /// Leaving a group.
    Leave,
    /// Event attendance: yes.
    RsvpYes,
    /// Event attendance: no.
    RsvpNo,
    /// Event attendance: maybe.
    RsvpMaybe,
    /// Tag an object onto a target.
    Tag,
    /// Remove a tag.
    Untag,
    /// Block an account.
    Block,
    /// Lift a block.
    Unblock,
    /// Report content (AS1 `flag-as-inappropriate`, AS2 `Flag`).
    Flag,
    /// Generic acceptance (AS2 `Accept` of anything but a follow or event).
    Accept,
    /// Generic reversal (AS2 `Undo` of something with no dedicated AS1 verb).
    Undo,
    /// Account migration.
    Move,
    /// Add an object to a collection.
    Add,
    /// Remove an object from a collection.
    Remove,
    /// Invite someone to an event or group.
    Invite,
    /// Anything else, kept verbatim (IRI or token as read).
    Unknown(String),
}

/// Canonical tokens and the namespace each verb is written in by default.
const TABLE: &[(Verb, &str, &str)] = &[
    (Verb::Post, "post", AS_SCHEMA),
    (Verb::Share, "share", AS_SCHEMA),
    (Verb::Unshare, "unshare", AS_SCHEMA),
    (Verb::Favorite, "favorite", AS_SCHEMA),
    (Verb::Unfavorite, "unfavorite", AS_SCHEMA),
    (Verb::Follow, "follow", AS_SCHEMA),
    (Verb::Unfollow, "unfollow", OSTATUS_SCHEMA),
    (Verb::RequestFriend, "request-friend", AS_SCHEMA),
    (Verb::Authorize, "authorize", AS_SCHEMA),
    (Verb::Reject, "reject", AS_SCHEMA),
    (Verb::Delete, "delete", AS_SCHEMA),
    (Verb::Update, "update", AS_SCHEMA),
    (Verb::UpdateProfile, "update-profile", OSTATUS_SCHEMA),
    (Verb::Join, "join", AS_SCHEMA),
    (Verb::Leave, "leave", OSTATUS_SCHEMA),
    (Verb::RsvpYes, "rsvp-yes", AS_SCHEMA),
    (Verb::RsvpNo, "rsvp-no", AS_SCHEMA),
    (Verb::RsvpMaybe, "rsvp-maybe", AS_SCHEMA),
    (Verb::Tag, "tag", AS_SCHEMA),
    (Verb::Untag, "untag", OSTATUS_SCHEMA),
    (Verb::Block, "block", MASTODON_SCHEMA),
    (Verb::Unblock, "unblock", MASTODON_SCHEMA),
    (Verb::Flag, "flag-as-inappropriate", AS_SCHEMA),
    (Verb::Accept, "accept", AS_SCHEMA),
    (Verb::Undo, "undo", AS_SCHEMA),
    (Verb::Move, "move", AS_SCHEMA),
    (Verb::Add, "add", AS_SCHEMA),
    (Verb::Remove, "remove", AS_SCHEMA),
    (Verb::Invite, "invite", AS_SCHEMA),
];

/// Other tokens that mean the same as a canonical one.
const ALIASES: &[(&str, Verb)] = &[
    ("create", Verb::Post),
    ("author", Verb::Post),
    ("like", Verb::Favorite),
    ("unlike", Verb::Unfavorite),
    ("stop-following", Verb::Unfollow),
    ("flag", Verb::Flag),
    ("qvitter-delete-notice", Verb::Delete),
];

impl Verb {
    /// The short AS1 token (`post`, `unfollow`, …); for unknown verbs, the text as read.
    pub fn token(&self) -> &str {
        match self {
            Verb::Unknown(s) => s,
            known => TABLE
                .iter()
                .find(|(v, _, _)| v == known)
                .map(|(_, t, _)| *t)
                .unwrap_or("post"),
        }
    }

    /// The full IRI written to Atom when no spelling was remembered.
    pub fn default_iri(&self) -> String {
        match self {
            Verb::Unknown(s) => s.clone(),
            known => {
                let ns = TABLE
                    .iter()
                    .find(|(v, _, _)| v == known)
                    .map(|(_, _, ns)| *ns)
                    .unwrap_or(AS_SCHEMA);
                format!("{ns}{}", known.token())
            }
        }
    }

    /// Reads a verb from a bare token or an IRI in any known namespace.
    pub fn parse(text: &str) -> Verb {
        let trimmed = text.trim();
        let token = [AS_SCHEMA, OSTATUS_SCHEMA, MASTODON_SCHEMA]
            .iter()
            .find_map(|ns| trimmed.strip_prefix(ns))
            .or_else(|| trimmed.strip_prefix("http://ostatus.org/schema/1.0#"))
            .unwrap_or(trimmed);
        if let Some((v, _, _)) = TABLE.iter().find(|(_, t, _)| *t == token) {
            return v.clone();
        }
        if let Some((_, v)) = ALIASES.iter().find(|(t, _)| *t == token) {
            return v.clone();
        }
        // Qvitter spells its delete as a full IRI under its own host.
        if token.ends_with("/qvitter-delete-notice") {
            return Verb::Delete;
        }
        Verb::Unknown(trimmed.to_string())
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// A verb together with the exact spelling it was read in.
///
/// Peers disagree on spellings (`http://ostatus.org/schema/1.0/unfollow` for GNU social and
/// Mastodon 1.x, `http://activitystrea.ms/schema/1.0/unfollow` for Pleroma, `stop-following`
/// for Pump.io); remembering the one read lets an answer go back in the peer's own dialect.
/// The spelling can only be set through [`VerbTerm::parse`], so it always means `verb`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerbTerm {
    verb: Verb,
    spelling: Option<String>,
}

impl VerbTerm {
    /// A verb with no remembered spelling (written in its default form).
    pub fn new(verb: Verb) -> Self {
        VerbTerm {
            verb,
            spelling: None,
        }
    }

    /// Parses a token or IRI, remembering it as the spelling.
    pub fn parse(text: &str) -> Self {
        let verb = Verb::parse(text);
        let spelling = match &verb {
            Verb::Unknown(_) => None,
            _ => Some(text.trim().to_string()),
        };
        VerbTerm { verb, spelling }
    }

    /// The meaning.
    pub fn verb(&self) -> &Verb {
        &self.verb
    }

    /// The spelling read, if any.
    pub fn spelling(&self) -> Option<&str> {
        self.spelling.as_deref()
    }

    /// The full IRI to write in Atom: the spelling read when it was an IRI, else the default.
    pub fn atom_iri(&self) -> String {
        match &self.spelling {
            Some(s) if s.contains("://") => s.clone(),
            Some(s) => {
                // A bare token read from JSON: keep an alias token (`like`) in the AS namespace.
                if self.verb.token() == s.as_str() {
                    self.verb.default_iri()
                } else {
                    format!("{AS_SCHEMA}{s}")
                }
            }
            None => self.verb.default_iri(),
        }
    }

    /// The short token to write in Pump.io JSON: the spelling's last segment, else canonical.
    pub fn pump_token(&self) -> String {
        if let Verb::Unknown(s) = &self.verb {
            return s.clone();
        }
        match &self.spelling {
            Some(s) => {
                let last = s.rsplit('/').next().unwrap_or(s);
                if Verb::parse(last) == self.verb {
                    last.to_string()
                } else {
                    self.verb.token().to_string()
                }
            }
            None => match self.verb {
                // Pump.io's own name for this verb.
                Verb::Unfollow => "stop-following".to_string(),
                _ => self.verb.token().to_string(),
            },
        }
    }
}

impl From<Verb> for VerbTerm {
    fn from(verb: Verb) -> Self {
        VerbTerm::new(verb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_namespace_variant_maps_to_one_verb() {
        for s in [
            "http://ostatus.org/schema/1.0/unfollow",
            "http://activitystrea.ms/schema/1.0/unfollow",
            "stop-following",
            "  http://activitystrea.ms/schema/1.0/stop-following\n",
        ] {
            assert_eq!(Verb::parse(s), Verb::Unfollow, "{s}");
        }
        assert_eq!(
            Verb::parse("http://ostatus.org/schema/1.0/unfavorite"),
            Verb::Unfavorite
        );
        assert_eq!(Verb::parse("unlike"), Verb::Unfavorite);
        assert_eq!(Verb::parse("like"), Verb::Favorite);
        assert_eq!(
            Verb::parse("http://mastodon.social/schema/1.0/block"),
            Verb::Block
        );
        assert_eq!(
            Verb::parse("http://example.org/x/frobnicate"),
            Verb::Unknown("http://example.org/x/frobnicate".into())
        );
    }

    #[test]
    fn spelling_is_written_back() {
        let t = VerbTerm::parse("http://activitystrea.ms/schema/1.0/unfollow");
        assert_eq!(t.atom_iri(), "http://activitystrea.ms/schema/1.0/unfollow");
        assert_eq!(t.pump_token(), "unfollow");
        let t = VerbTerm::new(Verb::Unfollow);
        assert_eq!(t.atom_iri(), "http://ostatus.org/schema/1.0/unfollow");
        assert_eq!(t.pump_token(), "stop-following");
        let t = VerbTerm::parse("like");
        assert_eq!(t.atom_iri(), "http://activitystrea.ms/schema/1.0/like");
        assert_eq!(t.pump_token(), "like");
    }
}
