//! ostatus-bridge: translate and bridge between OStatus / Pump.io (Activity Streams 1.0)
//! and ActivityPub (Activity Streams 2.0).
#![deny(missing_docs)]

pub mod codec;
pub mod model;
