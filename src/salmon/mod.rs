//! Salmon (draft-panzer-salmon-00) and Magic Signatures (draft-panzer-magicsig-01): how
//! OStatus servers push replies, mentions, follows and favourites to each other, signed by
//! the author (PROTOCOLS.md §4–§5).
//!
//! Layout: [`armor`] is the lenient base64url; [`envelope`] reads envelopes in XML and JSON;
//! [`verify`] checks a signature in the four signing texts deployed ([`SigningMode`]);
//! [`sign`] makes the bridge's own slaps; [`author`] finds the signer inside the signed
//! entry and the routes to its key; [`receive`] ties them together with the store and
//! WebFinger ([`authenticate`]). The HTTP endpoint is `server::salmon`, the sender
//! `delivery::salmon`.

pub mod armor;
pub mod author;
pub mod envelope;
pub mod receive;
pub mod sign;
pub mod verify;

pub use envelope::{Envelope, EnvelopeError, Form};
pub use receive::{SalmonError, Verified, authenticate};
pub use sign::{MAGIC_ENVELOPE_XML, envelope as sign_envelope, sign_entry, to_xml};
pub use verify::{SigningMode, VerifyError, verify};
