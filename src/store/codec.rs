//! Key layouts and record encoding shared by every tree family.
//!
//! Keys: strings are stored as their UTF-8 bytes; a composite key is `part 0x00 rest`, so
//! key parts may not contain NUL; numbers (sequence numbers, millisecond timestamps) are
//! 8-byte big-endian so that sled's byte order is their numeric order and range scans come
//! out sorted. Records are serde_json: small, readable with any sled dump, and new optional
//! fields (`#[serde(default)]`) keep old records readable without a migration.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// Longest key part accepted (an actor id, a handle, an activity id).
pub(crate) const MAX_KEY_PART: usize = 4096;

/// Refuses key parts the layouts cannot hold: empty, over [`MAX_KEY_PART`], or with NUL.
pub(crate) fn check_part(what: &'static str, s: &str) -> Result<(), StoreError> {
    let reason = if s.is_empty() {
        "empty"
    } else if s.len() > MAX_KEY_PART {
        "longer than 4096 bytes"
    } else if s.as_bytes().contains(&0) {
        "contains a NUL byte"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidKey { what, reason })
}

/// `part 0x00`: the prefix of every key that belongs to `part` (a puppet handle).
pub(crate) fn prefix(part: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(part.len() + 1 + 16);
    k.extend_from_slice(part.as_bytes());
    k.push(0);
    k
}

/// `part 0x00 rest`.
pub(crate) fn composite(part: &str, rest: &[u8]) -> Vec<u8> {
    let mut k = prefix(part);
    k.extend_from_slice(rest);
    k
}

/// `a ‖ b`, both big-endian: ordered by `a`, then `b`.
pub(crate) fn pair_key(a: u64, b: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&a.to_be_bytes());
    k[8..].copy_from_slice(&b.to_be_bytes());
    k
}

/// A big-endian u64 read back, or `Corrupt` when the value is not 8 bytes.
pub(crate) fn read_u64(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes.try_into().map_err(|_| {
        corrupt(
            tree,
            key,
            format!("expected 8 bytes, found {}", bytes.len()),
        )
    })?;
    Ok(u64::from_be_bytes(arr))
}

/// The trailing big-endian u64 of a composite key.
pub(crate) fn suffix_u64(tree: &'static str, key: &[u8]) -> Result<u64, StoreError> {
    if key.len() < 8 {
        return Err(corrupt(
            tree,
            key,
            "key too short for a sequence number".into(),
        ));
    }
    read_u64(tree, key, &key[key.len() - 8..])
}

/// The part of a composite key after the `prefix`, as UTF-8.
pub(crate) fn suffix_str(
    tree: &'static str,
    key: &[u8],
    prefix_len: usize,
) -> Result<String, StoreError> {
    utf8(tree, key, key.get(prefix_len..).unwrap_or_default())
}

/// Stored bytes as a UTF-8 string, or `Corrupt`.
pub(crate) fn utf8(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec()).map_err(|e| corrupt(tree, key, format!("not UTF-8: {e}")))
}

/// A record as serde_json bytes.
pub(crate) fn encode<T: Serialize + ?Sized>(
    tree: &'static str,
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Encode {
        tree,
        reason: e.to_string(),
    })
}

/// A record read back; bytes this build did not write give `Corrupt`, never a panic.
pub(crate) fn decode<T: DeserializeOwned>(
    tree: &'static str,
    key: &[u8],
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(tree, key, e.to_string()))
}

/// A `Corrupt` error naming the tree and the key.
pub(crate) fn corrupt(tree: &'static str, key: &[u8], reason: String) -> StoreError {
    StoreError::Corrupt {
        tree,
        key: String::from_utf8_lossy(key).into_owned(),
        reason,
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The host a remote id or inbox lives on, as per-host limits and breakers count it:
/// `host` or `host:port` (explicit non-default port) of an http(s) URL, or the domain of an
/// `acct:user@domain`; lower-cased. `None` when the id has neither.
pub fn host_of(id: &str) -> Option<String> {
    if let Some(acct) = id.strip_prefix("acct:") {
        let domain = acct.rsplit_once('@')?.1;
        return (!domain.is_empty()).then(|| domain.to_ascii_lowercase());
    }
    let url = url::Url::parse(id).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://Mastodon.Social/users/bob").as_deref(),
            Some("mastodon.social")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8081/inbox").as_deref(),
            Some("127.0.0.1:8081")
        );
        assert_eq!(
            host_of("https://h.example:443/x").as_deref(),
            Some("h.example")
        );
        assert_eq!(
            host_of("acct:alice@GS.example").as_deref(),
            Some("gs.example")
        );
        assert_eq!(host_of("tag:gs.example,2017:1"), None);
        assert_eq!(host_of("acct:nobody"), None);
    }

    #[test]
    fn key_parts() {
        assert!(check_part("x", "ok").is_ok());
        assert!(check_part("x", "").is_err());
        assert!(check_part("x", "a\0b").is_err());
        assert!(check_part("x", &"a".repeat(MAX_KEY_PART + 1)).is_err());
        assert_eq!(composite("h", &[1]), vec![b'h', 0, 1]);
        assert!(pair_key(1, u64::MAX) < pair_key(2, 0));
    }

    #[test]
    fn corrupt_numbers_are_errors() {
        assert!(read_u64("t", b"k", &[1, 2, 3]).is_err());
        assert!(suffix_u64("t", b"k").is_err());
        assert_eq!(read_u64("t", b"k", &7u64.to_be_bytes()).ok(), Some(7));
    }
}
