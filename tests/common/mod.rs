//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod ap;
pub mod http;
pub mod hub;
pub mod keys;
pub mod legacy;
