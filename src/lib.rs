//! ostatus-bridge: translate and bridge between OStatus / Pump.io (Activity Streams 1.0)
//! and ActivityPub (Activity Streams 2.0).
//!
//! Module map: [`model`] is the pivot every format decodes into; [`codec`] holds one module per
//! wire format; [`translate`] applies each side's conventions between decode and encode;
//! [`config`] reads `bridge.toml`; [`server`] is the HTTP face; [`cli`] the command line;
//! [`crypto`] holds RSA keys and hashes, [`httpsig`] signs and verifies HTTP requests;
//! [`net`] is the guarded outbound client; [`identity`] finds legacy accounts and names their
//! puppets, [`puppet`] builds the puppets' actors; [`poll`] finds what changed in a feed and
//! polls feeds; [`delivery`] is the durable outbound queue's worker and fan-out;
//! [`metrics`] counts for `/metrics`; [`bridge`] carries actions across the two sides live;
//! [`websub`] is the hub for puppet feeds and the subscriber to legacy hubs; [`salmon`]
//! reads, verifies and signs Salmon magic envelopes; [`ostatus`] renders the Atom face of
//! ActivityPub accounts' puppets.
#![deny(missing_docs)]

pub mod bridge;
pub mod cli;
pub mod codec;
pub mod config;
pub mod crypto;
pub mod delivery;
pub mod httpsig;
pub mod identity;
pub mod metrics;
pub mod model;
pub mod net;
pub mod ostatus;
pub mod poll;
pub mod puppet;
pub mod salmon;
pub mod server;
pub mod store;
pub mod translate;
pub mod websub;
