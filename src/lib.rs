//! ostatus-bridge: translate and bridge between OStatus / Pump.io (Activity Streams 1.0)
//! and ActivityPub (Activity Streams 2.0).
//!
//! Module map: [`model`] is the pivot every format decodes into; [`codec`] holds one module per
//! wire format; [`translate`] applies each side's conventions between decode and encode;
//! [`config`] reads `bridge.toml`; [`server`] is the HTTP face; [`cli`] the command line.
#![deny(missing_docs)]

pub mod cli;
pub mod codec;
pub mod config;
pub mod model;
pub mod server;
pub mod store;
pub mod translate;
