//! Ids that legacy peers must see under another name.
//!
//! An AP post that mentions or follows a bridged legacy account names that account's
//! ActivityPub puppet (`<bridge>/users/alice_at_gs.example`); GNU social and Mastodon 2.x
//! recognise their users only by their own URI or profile URL, so those ids go back to the
//! legacy account's id. Reply targets get the HTML URL `thr:in-reply-to/@href` needs. The
//! caller fills the maps from the store; rendering only reads them, so it stays pure.

use std::collections::HashMap;

/// Id rewrites for one rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewrites {
    accounts: HashMap<String, String>,
    urls: HashMap<String, String>,
}

impl Rewrites {
    /// No rewrites.
    pub fn new() -> Rewrites {
        Rewrites::default()
    }

    /// Shows account id `ap_id` (an AP-face puppet's actor URL) to legacy peers as `legacy_id`.
    pub fn add_account(&mut self, ap_id: impl Into<String>, legacy_id: impl Into<String>) {
        self.accounts.insert(ap_id.into(), legacy_id.into());
    }

    /// Records the HTML page of object `id` (for `thr:in-reply-to/@href`).
    pub fn add_url(&mut self, id: impl Into<String>, url: impl Into<String>) {
        self.urls.insert(id.into(), url.into());
    }

    /// The id legacy peers know account `id` by, when it differs.
    pub fn account(&self, id: &str) -> Option<&str> {
        self.accounts.get(id).map(String::as_str)
    }

    /// The HTML page of object `id`, when known.
    pub fn url(&self, id: &str) -> Option<&str> {
        self.urls.get(id).map(String::as_str)
    }
}
