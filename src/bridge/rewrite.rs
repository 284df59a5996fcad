//! Swapping ids as an activity crosses: on each side, the other side's accounts are known by
//! their puppets. An ActivityPub actor with an OStatus face is its puppet's actor URL to legacy
//! servers; a legacy account is its own id (profile URI) to them, not its puppet's URL. The
//! walk replaces exact string matches anywhere in the JSON (actor, object, tag hrefs, to, cc,
//! inReplyTo), so no field is forgotten.

use std::collections::HashMap;

use serde_json::Value;

use super::BridgeError;
use super::accounts::{is_ap_source, legacy_id, source_actor};
use crate::server::App;
use crate::server::lookup::StoredProfile;

/// One side's ids → the other side's.
#[derive(Debug, Clone, Default)]
pub struct IdMap(HashMap<String, String>);

impl IdMap {
    /// Maps `from` to `to`.
    pub fn insert(&mut self, from: impl Into<String>, to: impl Into<String>) {
        self.0.insert(from.into(), to.into());
    }

    /// The id `from` becomes.
    pub fn get(&self, from: &str) -> Option<&str> {
        self.0.get(from).map(String::as_str)
    }

    /// Replaces every string in `v` that the map names.
    pub fn apply(&self, v: &mut Value) {
        match v {
            Value::String(s) => {
                if let Some(to) = self.0.get(s.as_str()) {
                    *s = to.clone();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.apply(i)),
            Value::Object(m) => m.values_mut().for_each(|i| self.apply(i)),
            _ => {}
        }
    }
}

/// Every string in `v` that looks like an http(s) URL.
fn urls_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            out.push(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| urls_in(i, out)),
        Value::Object(m) => m.values().for_each(|i| urls_in(i, out)),
        _ => {}
    }
}

/// The map for an activity on its way to legacy servers: AP actors with OStatus faces become
/// their puppets' actor URLs, puppets of legacy accounts become the legacy ids.
pub async fn toward_legacy(app: &App, v: &Value) -> Result<IdMap, BridgeError> {
    let mut found = Vec::new();
    urls_in(v, &mut found);
    let mut map = IdMap::default();
    for url in found {
        if map.get(&url).is_some() {
            continue;
        }
        if let Some(h) = app.urls.handle_of(&url) {
            if url != app.urls.actor(&h) {
                continue;
            }
            if let Some(p) = app.store.get_puppet_by_handle(&h).await? {
                let profile = StoredProfile::from_puppet(&p);
                if !is_ap_source(&profile) {
                    map.insert(url, legacy_id(&profile));
                }
            }
        } else if let Some(h) = app.store.puppet_for_actor(&url).await? {
            map.insert(url, app.urls.actor(&h));
        }
    }
    Ok(map)
}

/// The map for an activity on its way to ActivityPub: OStatus-face puppets (actor URL or
/// profile page) become the actors they stand for.
pub async fn toward_ap(app: &App, v: &Value) -> Result<IdMap, BridgeError> {
    let mut found = Vec::new();
    urls_in(v, &mut found);
    let mut map = IdMap::default();
    for url in found {
        if map.get(&url).is_some() {
            continue;
        }
        if let Some(p) = super::accounts::puppet_of_url(app, &url).await?
            && (url == app.urls.actor(&p.handle) || url == app.urls.profile_page(&p.handle))
            && let Some(actor) = source_actor(&p)
        {
            map.insert(url, actor);
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_exact_matches_everywhere() {
        let mut m = IdMap::default();
        m.insert("https://a/u", "https://b/p");
        let mut v = serde_json::json!({
            "actor": "https://a/u",
            "to": ["https://a/u", "https://a/u/followers"],
            "object": {"tag": [{"type": "Mention", "href": "https://a/u"}], "content": "https://a/u"}
        });
        m.apply(&mut v);
        assert_eq!(v["actor"], "https://b/p");
        assert_eq!(v["to"][0], "https://b/p");
        assert_eq!(v["to"][1], "https://a/u/followers");
        assert_eq!(v["object"]["tag"][0]["href"], "https://b/p");
    }
}
