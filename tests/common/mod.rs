//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod ap;
pub mod b64url;
pub mod fedify;
pub mod flask_hub;
pub mod gnusocial;
pub mod gnusocial_atom;
pub mod http;
pub mod hub;
pub mod keys;
pub mod legacy;
pub mod magic_env;
pub mod mini_xml;
pub mod ostatus;
