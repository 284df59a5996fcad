//! What changed in a polled feed since the last poll, by entry id (never by position: feeds
//! reorder, page, and drop old entries).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Activity, Feed, Node};

/// What the poller remembers of one feed between polls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollState {
    /// `ETag` of the last 200 answer.
    pub etag: Option<String>,
    /// `Last-Modified` of the last 200 answer.
    pub last_modified: Option<String>,
    /// Entry id → fingerprint of the version last seen.
    pub seen: BTreeMap<String, String>,
    /// True once a first poll has recorded what was already there.
    pub primed: bool,
}

/// How an entry changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Not seen before.
    New,
    /// Seen before with another fingerprint (an edit).
    Edited,
}

/// Most entry ids remembered per feed; the oldest are forgotten first. Feeds carry 20–50
/// entries, so this only bounds a feed that keeps inventing ids.
pub const MAX_SEEN: usize = 2000;

/// The entries of `feed` that are new or edited, oldest first, and updates `state`.
///
/// The first poll only records what is there: followers get what is posted after they
/// followed, not the account's history. Entries without an id cannot be told apart and are
/// skipped.
pub fn changes(feed: &Feed, state: &mut PollState) -> Vec<(Change, Activity)> {
    let mut out = Vec::new();
    // Feeds list newest first; followers should get them in the order they were written.
    for entry in feed.entries.iter().rev() {
        let Some(id) = entry_id(entry) else {
            continue;
        };
        let print = fingerprint(entry);
        let change = match state.seen.get(&id) {
            None => Some(Change::New),
            Some(old) if *old != print => Some(Change::Edited),
            Some(_) => None,
        };
        state.seen.insert(id, print);
        if let Some(c) = change
            && state.primed
        {
            out.push((c, entry.clone()));
        }
    }
    state.primed = true;
    if state.seen.len() > MAX_SEEN {
        // BTreeMap order is by id, not age; ids of one feed share a prefix and mostly grow,
        // so the smallest are the oldest in practice.
        let extra = state.seen.len() - MAX_SEEN;
        let drop: Vec<String> = state.seen.keys().take(extra).cloned().collect();
        for k in drop {
            state.seen.remove(&k);
        }
    }
    out
}

/// The id that names an entry: the activity's, else its object's.
fn entry_id(a: &Activity) -> Option<String> {
    a.props
        .id
        .clone()
        .or_else(|| a.object.as_deref().and_then(Node::id).map(str::to_string))
}

/// What tells two versions of an entry apart: its `updated` date when it has one (edits
/// bump it), else a hash of its content.
fn fingerprint(a: &Activity) -> String {
    let props = a.object.as_deref().and_then(Node::props);
    let updated = a
        .props
        .updated
        .as_ref()
        .or_else(|| props.and_then(|p| p.updated.as_ref()));
    if let Some(t) = updated {
        return format!("u:{}", t.as_str());
    }
    let content = props
        .and_then(|p| p.content.as_ref())
        .or(a.props.content.as_ref())
        .map(|t| t.value.as_str())
        .unwrap_or("");
    format!("h:{:016x}", fnv1a(content.as_bytes()))
}

/// FNV-1a, 64 bit: stable across releases (unlike `DefaultHasher`), since fingerprints are
/// stored.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{self, Format, Limits};
    use crate::model::Document;

    fn feed(entries: &[(&str, &str, &str)]) -> Feed {
        let mut xml = String::from(
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:activity="http://activitystrea.ms/spec/1.0/"><id>f</id><title>t</title>"#,
        );
        for (id, updated, content) in entries {
            xml.push_str(&format!(
                "<entry><id>{id}</id><title>x</title><updated>{updated}</updated><content>{content}</content></entry>"
            ));
        }
        xml.push_str("</feed>");
        match codec::decode(Format::Atom, xml.as_bytes(), &Limits::default()).unwrap() {
            Document::Feed(f) => f,
            Document::Activity(_) => panic!("not a feed"),
        }
    }

    fn ids(changes: &[(Change, Activity)]) -> Vec<(Change, String)> {
        changes
            .iter()
            .map(|(c, a)| (*c, entry_id(a).unwrap()))
            .collect()
    }

    #[test]
    fn first_poll_primes_then_new_and_edited_entries_come_oldest_first() {
        let mut state = PollState::default();
        let first = feed(&[("b", "2", "two"), ("a", "1", "one")]);
        assert!(changes(&first, &mut state).is_empty());
        assert!(state.primed);
        let second = feed(&[
            ("d", "4", "four"),
            ("c", "3", "three"),
            ("b", "2b", "two, edited"),
            ("a", "1", "one"),
        ]);
        assert_eq!(
            ids(&changes(&second, &mut state)),
            [
                (Change::Edited, "b".to_string()),
                (Change::New, "c".to_string()),
                (Change::New, "d".to_string())
            ]
        );
        // The same feed again: nothing.
        assert!(changes(&second, &mut state).is_empty());
        // Reordered and with an entry gone: still nothing new.
        let third = feed(&[("a", "1", "one"), ("d", "4", "four")]);
        assert!(changes(&third, &mut state).is_empty());
    }
}
