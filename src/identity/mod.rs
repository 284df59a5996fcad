//! Who is who across the bridge: legacy account addresses and the puppet handles that stand
//! for them ([`handle`]).

pub mod discover;
pub mod handle;
pub mod webfinger;

pub use handle::{Address, HandleError};
