//! Replies name the author of what they answer: Mastodon notifies (and threads for) the
//! accounts a post mentions, and a legacy reply often carries no `mentioned` link for its
//! parent's author. The author is found in the bridge's own objects first (a reply to another
//! bridged post), then by fetching the parent as ActivityPub (a reply to a fediverse post).

use serde_json::{Value, json};
use url::Url;

use crate::net::fetch::{Accept, Fetcher};
use crate::store::Store;

/// The id a reference names: the string itself, or a Link/object's `id`.
fn id_of(v: &Value) -> Option<&str> {
    v.as_str().or_else(|| v.get("id").and_then(Value::as_str))
}

/// The author of an AS2 object: its `attributedTo`, the first one when there are several.
fn author_of(object: &Value) -> Option<String> {
    let a = object.get("attributedTo")?;
    match a {
        Value::Array(list) => list.iter().find_map(id_of).map(str::to_string),
        other => id_of(other).map(str::to_string),
    }
}

/// The author of the object `parent` names, or `None` when it cannot be told (not bridged,
/// not fetchable as ActivityPub). Never fails: a reply without the mention still goes out.
pub async fn parent_author(store: &Store, fetcher: &Fetcher, parent: &str) -> Option<String> {
    match store.object_by_id(parent).await {
        Ok(Some(found)) => return found.activity.get("object").and_then(author_of),
        Ok(None) => {}
        Err(e) => tracing::warn!(parent = ?parent, error = %e, "object index unreadable"),
    }
    let url = Url::parse(parent).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    match fetcher.get(&url, Accept::ActivityJson, &[]).await {
        Ok(fetched) => serde_json::from_slice::<Value>(&fetched.body)
            .ok()
            .as_ref()
            .and_then(author_of),
        Err(e) => {
            tracing::debug!(parent = ?parent, error = %e, "parent not fetchable as ActivityPub");
            None
        }
    }
}

/// Adds a `Mention` of `author` to the activity's object and `author` to its `cc` (and the
/// activity's), unless the post already mentions or addresses them, or `author` is the
/// post's own author (a self-reply).
pub fn mention(activity: &mut Value, author: &str) {
    let actor = activity.get("actor").and_then(id_of).map(str::to_string);
    if actor.as_deref() == Some(author) {
        return;
    }
    let Some(Value::Object(object)) = activity.get_mut("object") else {
        return;
    };
    let tags = object.entry("tag").or_insert_with(|| json!([]));
    if !tags.is_array() {
        *tags = json!([tags.clone()]);
    }
    if let Value::Array(list) = tags {
        let named = list.iter().any(|t| {
            t.get("type").and_then(Value::as_str) == Some("Mention")
                && t.get("href").and_then(Value::as_str) == Some(author)
        });
        if !named {
            list.push(json!({"type": "Mention", "href": author}));
        }
    }
    add_cc(object, author);
    if let Value::Object(a) = activity {
        add_cc(a, author);
    }
}

/// Makes the object reply to `bridged` (the bridge's id of the parent) instead of `legacy`,
/// keeping the legacy id in `inReplyToAtomUri` for servers that knew it.
pub fn repoint_reply(activity: &mut Value, legacy: &str, bridged: &str) {
    if let Some(Value::Object(o)) = activity.get_mut("object") {
        o.insert("inReplyTo".into(), json!(bridged));
        o.entry("inReplyToAtomUri").or_insert(json!(legacy));
    }
}

fn add_cc(m: &mut serde_json::Map<String, Value>, who: &str) {
    let listed = |v: Option<&Value>| match v {
        Some(Value::Array(l)) => l.iter().any(|x| x.as_str() == Some(who)),
        Some(Value::String(s)) => s == who,
        _ => false,
    };
    if listed(m.get("to")) || listed(m.get("cc")) {
        return;
    }
    match m.get_mut("cc") {
        Some(Value::Array(l)) => l.push(json!(who)),
        Some(Value::String(s)) => {
            let one = s.clone();
            m.insert("cc".into(), json!([one, who]));
        }
        _ => {
            m.insert("cc".into(), json!([who]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_mentions_and_copies_the_parent_author_once() {
        let mut a = json!({
            "type": "Create", "actor": "https://b/users/p",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": "https://b/users/p/followers",
            "object": {"type": "Note", "inReplyTo": "https://m/s/1", "tag": [], "cc": []},
        });
        mention(&mut a, "https://m/users/bob");
        mention(&mut a, "https://m/users/bob");
        assert_eq!(
            a["object"]["tag"],
            json!([{"type": "Mention", "href": "https://m/users/bob"}])
        );
        assert_eq!(a["object"]["cc"], json!(["https://m/users/bob"]));
        assert_eq!(
            a["cc"],
            json!(["https://b/users/p/followers", "https://m/users/bob"])
        );
        // A self-reply mentions nobody.
        let mut own =
            json!({"type": "Create", "actor": "https://b/users/p", "object": {"type": "Note"}});
        mention(&mut own, "https://b/users/p");
        assert!(own["object"].get("tag").is_none());
    }

    #[test]
    fn authors_are_read_from_strings_objects_and_lists() {
        assert_eq!(
            author_of(&json!({"attributedTo": "https://x/u"})).as_deref(),
            Some("https://x/u")
        );
        assert_eq!(
            author_of(&json!({"attributedTo": {"id": "https://x/u", "type": "Person"}})).as_deref(),
            Some("https://x/u")
        );
        assert_eq!(
            author_of(
                &json!({"attributedTo": [{"type": "Person", "id": "https://x/u"}, "https://y"]})
            )
            .as_deref(),
            Some("https://x/u")
        );
        assert_eq!(author_of(&json!({})), None);
    }
}
