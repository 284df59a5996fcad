//! (being written)

use super::{DecodeError, Limits};
use crate::model::Document;

/// Decodes a document.
pub fn decode(_input: &[u8], _limits: &Limits) -> Result<Document, DecodeError> {
    Err(DecodeError::UnknownFormat(
        "feed codec not written yet".into(),
    ))
}
