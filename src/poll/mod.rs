//! Legacy content in by polling: feeds without a hub (and until WebSub is set up) are fetched
//! with conditional GETs, and what changed becomes activities for the puppet's followers.

pub mod diff;
pub mod parent;
pub mod runner;

pub use diff::{Change, PollState, changes};
pub use runner::{Origin, PollError, PollSettings, Polled, Poller};

/// Puts a bridged legacy activity on the bridge's host with the puppet `actor` as its actor:
/// what polling does to every entry, and what a post arriving by Salmon needs too.
pub fn rehome_activity(
    v: &mut serde_json::Value,
    minter: &crate::translate::IdMinter,
    base: &str,
    actor: &str,
) {
    runner::rehome(v, minter, base);
    runner::finish_activity(v, actor);
}
