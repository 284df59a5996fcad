//! (being written)

use super::{DecodeError, Limits};
use crate::model::Document;

/// Decodes a document.
pub fn decode(_input: &[u8], _limits: &Limits) -> Result<Document, DecodeError> {
    Err(DecodeError::UnknownFormat(
        "pump codec not written yet".into(),
    ))
}

/// Encodes a document.
pub fn encode(_doc: &Document) -> String {
    String::new()
}
