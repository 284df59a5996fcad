//! Legacy content in by polling: feeds without a hub (and until WebSub is set up) are fetched
//! with conditional GETs, and what changed becomes activities for the puppet's followers.

pub mod diff;
pub mod parent;
pub mod runner;

pub use diff::{Change, PollState, changes};
pub use runner::{Origin, PollError, PollSettings, Polled, Poller};
