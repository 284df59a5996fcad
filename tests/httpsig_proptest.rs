#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile input never panics the signature parsers; structured fields re-serialise stably.

use chrono::DateTime;
use ostatus_bridge::crypto::PublicKey;
use ostatus_bridge::httpsig::{self, Request, cavage, digest, sfv};
use proptest::prelude::*;

/// Strings made mostly of the characters these grammars care about.
fn structured() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9=\",();:\\\\ *@./+_?-]{0,120}",
        // Signature-header-shaped.
        "(Signature )?(keyId|algorithm|headers|signature|created|expires|x)=(\"[a-zA-Z0-9 ()/+=\\\\\"-]{0,20}\"?|[0-9.-]{0,12})(,[ ]?(keyId|algorithm|headers|signature|created|expires)=(\"[a-zA-Z0-9 ()/+=-]{0,20}\"|[0-9]{0,12})){0,6}",
        // Signature-Input-shaped.
        "[a-z*][a-z0-9-]{0,5}=\\((\"@?[a-z-]{0,10}\"(;[a-z]+(=\"[a-zA-Z]*\")?)? ?){0,5}\\)(;(created|keyid|alg|expires|nonce)=(\"[a-z0-9-]{0,10}\"|-?[0-9]{0,16}|:[A-Za-z0-9+/=]{0,8}:)){0,5}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn cavage_parse_never_panics(s in structured()) {
        let _ = cavage::parse(&s);
    }

    #[test]
    fn sfv_parse_never_panics_and_reserialises(s in structured()) {
        if let Ok(dict) = sfv::parse_dictionary(&s) {
            let mut text = String::new();
            for (i, (k, m)) in dict.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                text.push_str(k);
                if m.as_item() != Some(&sfv::BareItem::Boolean(true)) {
                    text.push('=');
                    sfv::serialize_member(m, &mut text);
                } else if let sfv::Member::Item(item) = m {
                    sfv::serialize_params(&item.params, &mut text);
                }
            }
            prop_assert_eq!(sfv::parse_dictionary(&text).unwrap(), dict);
        }
    }

    #[test]
    fn prepare_never_panics(
        sig in structured(),
        input in structured(),
        dig in structured(),
        date in structured(),
        target in "[ -~]{0,30}",
        rfc in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut h: Vec<(&str, &str)> = vec![
            ("Host", "example.com"),
            ("Date", &date),
            ("Digest", &dig),
            ("Content-Digest", &dig),
            ("Signature", &sig),
        ];
        if rfc {
            h.push(("Signature-Input", &input));
        }
        let req = Request::new("POST", &target, &h, &body);
        let _ = httpsig::prepare(&req, DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let _ = digest::check_digest(&dig, &body);
        let _ = digest::check_content_digest(&dig, &body);
    }

    #[test]
    fn key_parsers_never_panic(s in structured(), der in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = PublicKey::from_pem(&s);
        let _ = PublicKey::from_magic(&s);
        let _ = PublicKey::from_magic(&format!("RSA.{s}"));
        let _ = PublicKey::from_der(&der);
        let _ = ostatus_bridge::crypto::KeyPair::from_pkcs8_der(&der);
    }
}
