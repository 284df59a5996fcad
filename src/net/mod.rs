//! Talking to peers: the rules for which hosts and addresses are allowed ([`policy`]) and the
//! one outbound HTTP client that applies them ([`fetch`]).

pub mod fetch;
pub mod policy;

pub use fetch::{Accept, FetchError, FetchLimits, Fetched, Fetcher};
pub use policy::{NetPolicy, Refused};
