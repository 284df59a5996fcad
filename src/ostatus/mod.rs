//! The OStatus face of puppets whose source is an ActivityPub account: their activities as
//! Atom, the way GNU social, Friendica, Pleroma's and Mastodon 2.x's OStatus code read it.
//!
//! Everything here is pure (no store, no network), so the feed route, the WebSub hub's pushes
//! and the Salmon sender render the same bytes: [`author`] builds the puppet's Atom author,
//! [`rewrite`] carries the ids that must be shown to legacy peers under other names, and
//! [`feed`] turns stored AS2 activities into feeds and entries.

pub mod author;
pub mod feed;
pub mod rewrite;

pub use author::FacePuppet;
pub use feed::{FeedPage, entry_xml, render_entry_feed, render_feed};
pub use rewrite::Rewrites;
