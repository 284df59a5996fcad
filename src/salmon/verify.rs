//! Checking a Magic Signature against a magic public key, in every signing text deployed
//! (PROTOCOLS.md §5.2–5.3; ostatus-anchors.md checklist 5).
//!
//! The texts are tried in a fixed order, most standard first, and the first that verifies
//! is reported (and logged) so operators can see which peers still send the old variants:
//! 1. [`SigningMode::AsSent`]: the data exactly as received + `.` + padded base64url of
//!    type, encoding and alg (the draft, GNU social ≥ 0.9.7).
//! 2. [`SigningMode::ReEncoded`]: the decoded data re-encoded with padding (Mastodon's
//!    ostatus2 and Pleroma sign this; it differs from 1 when the sender left padding off).
//! 3. [`SigningMode::Unpadded`]: text 1 with every `=` removed (Friendica's second attempt).
//! 4. [`SigningMode::DataOnly`]: the data alone (StatusNet ≤ 0.9.6, Friendica's third try).

use crate::crypto::PublicKey;

use super::armor;
use super::envelope::Envelope;

/// Which signing text a signature was made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningMode {
    /// `data` as transmitted `.` b64url(type) `.` b64url(encoding) `.` b64url(alg), padded.
    AsSent,
    /// Like `AsSent` with `data` decoded and re-encoded with padding.
    ReEncoded,
    /// `AsSent` with every `=` removed.
    Unpadded,
    /// `data` as transmitted, nothing else.
    DataOnly,
}

impl SigningMode {
    /// Every mode, in the order a verifier tries them.
    pub const ALL: [SigningMode; 4] = [
        SigningMode::AsSent,
        SigningMode::ReEncoded,
        SigningMode::Unpadded,
        SigningMode::DataOnly,
    ];

    /// A fixed name for logs and records.
    pub fn name(self) -> &'static str {
        match self {
            SigningMode::AsSent => "as_sent",
            SigningMode::ReEncoded => "re_encoded",
            SigningMode::Unpadded => "unpadded",
            SigningMode::DataOnly => "data_only",
        }
    }
}

impl std::fmt::Display for SigningMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why no signature verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No signature of the envelope verifies with the key in any signing text.
    #[error("the magic signature does not verify with the author's key")]
    BadSignature,
}

/// The signing text of `data` (armored, as it will be or was transmitted) with these
/// parameters, in `mode`.
pub fn signing_text(
    data: &str,
    payload: &[u8],
    data_type: &str,
    encoding: &str,
    alg: &str,
    mode: SigningMode,
) -> String {
    let tail = |d: &str| {
        format!(
            "{d}.{}.{}.{}",
            armor::encode(data_type.as_bytes()),
            armor::encode(encoding.as_bytes()),
            armor::encode(alg.as_bytes())
        )
    };
    match mode {
        SigningMode::AsSent => tail(data),
        SigningMode::ReEncoded => tail(&armor::encode(payload)),
        SigningMode::Unpadded => tail(data).replace('=', ""),
        SigningMode::DataOnly => data.to_string(),
    }
}

/// The signing text of a received envelope in `mode`.
pub fn envelope_signing_text(env: &Envelope, mode: SigningMode) -> String {
    signing_text(
        &env.data,
        &env.payload,
        &env.data_type,
        &env.encoding,
        &env.alg,
        mode,
    )
}

/// Verifies `env` with `key`, trying the modes in [`SigningMode::ALL`] order and every
/// signature of the envelope in each (`key_id` is ignored: §5.6). Keys from 512 bits up are
/// accepted, as legacy peers use them. Returns the mode that worked.
pub fn verify(env: &Envelope, key: &PublicKey) -> Result<SigningMode, VerifyError> {
    let sigs: Vec<Vec<u8>> = env
        .sigs
        .iter()
        .filter_map(|s| armor::decode(&s.value))
        .collect();
    // Distinct texts in mode order (ReEncoded is AsSent again when the sender padded).
    let mut texts: Vec<(SigningMode, String)> = Vec::with_capacity(SigningMode::ALL.len());
    for mode in SigningMode::ALL {
        let text = envelope_signing_text(env, mode);
        if !texts.iter().any(|(_, t)| *t == text) {
            texts.push((mode, text));
        }
    }
    let messages: Vec<&[u8]> = texts.iter().map(|(_, t)| t.as_bytes()).collect();
    // The earliest mode any of the signatures verifies in.
    let found = sigs
        .iter()
        .filter_map(|sig| key.first_signed_pkcs1_sha256_legacy(&messages, sig))
        .min();
    if let Some((mode, _)) = found.and_then(|i| texts.get(i)) {
        tracing::debug!(
            mode = mode.name(),
            bits = key.bits(),
            "magic signature verified"
        );
        return Ok(*mode);
    }
    Err(VerifyError::BadSignature)
}
