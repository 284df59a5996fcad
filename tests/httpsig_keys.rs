//! Key material: generation, PKCS#8 storage, SPKI / PKCS#1 / magic-key parsing and export,
//! actor `publicKey` documents, and a cross-check with the `openssl` command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::keys;
use ostatus_bridge::crypto::{self, KeyError, KeyPair, PublicKey};
use ostatus_bridge::httpsig::{self, Error};
use serde_json::json;

/// `test-key-rsa`'s public key as `openssl rsa -pubout` writes it.
const TEST_KEY_RSA_SPKI: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAhAKYdtoeoy8zcAcR874L
8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrwWEBnez6d0UDKDwGbc6nxfEXAy5mbhgaj
zrw3MOEt8uA5txSKobBpKDeBLOsdJKFqMGmXCQvEG7YemcxDTRPxAleIAgYYRjTS
d/QBwVW9OwNFhekro3RtlinV0a75jfZgkne/YiktSvLG34lw2zqXBDTC5NHROUqG
TlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0PuKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dS
FFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQPSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ1
0wIDAQAB
-----END PUBLIC KEY-----
";

#[test]
fn generated_key_survives_the_store() {
    let k = KeyPair::generate().unwrap();
    let pem = k.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let back = KeyPair::from_pem(&pem).unwrap();
    assert_eq!(back.public_key(), k.public_key());
    assert_eq!(
        KeyPair::from_pkcs8_der(&k.to_pkcs8_der().unwrap())
            .unwrap()
            .public_key(),
        k.public_key()
    );
    // A signature by the reloaded key verifies with the original public key.
    let sig = back.sign_pkcs1_sha256(b"hello").unwrap();
    assert_eq!(sig.len(), 256);
    k.public_key().verify_pkcs1_sha256(b"hello", &sig).unwrap();
    assert_eq!(
        k.public_key().verify_pkcs1_sha256(b"hellO", &sig),
        Err(KeyError::BadSignature)
    );
    // serde: the store may keep it in JSON.
    let json = serde_json::to_string(&k).unwrap();
    let from_json: KeyPair = serde_json::from_str(&json).unwrap();
    assert_eq!(from_json.public_key(), k.public_key());
    let pub_json = serde_json::to_string(k.public_key()).unwrap();
    let pub_back: PublicKey = serde_json::from_str(&pub_json).unwrap();
    assert_eq!(&pub_back, k.public_key());
    // Debug never shows the private key.
    let dbg = format!("{k:?}");
    assert!(dbg.starts_with("KeyPair { public: PublicKey(2048 bits, RSA."));
    assert!(!dbg.contains(&pem[30..80]));
}

#[test]
fn spki_and_pkcs1_pem() {
    let k = KeyPair::from_pem(keys::TEST_KEY_RSA).unwrap();
    let spki = k.public_key().to_spki_pem().unwrap();
    assert_eq!(spki, TEST_KEY_RSA_SPKI);
    let from_spki = PublicKey::from_pem(&spki).unwrap();
    assert_eq!(&from_spki, k.public_key());
    let pkcs1 = k.public_key().to_pkcs1_pem();
    assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAhAKY"));
    assert_eq!(&PublicKey::from_pem(&pkcs1).unwrap(), k.public_key());
    assert_eq!(
        &PublicKey::from_der(k.public_key().to_pkcs1_der()).unwrap(),
        k.public_key()
    );
    assert_eq!(
        &PublicKey::from_der(&k.public_key().to_spki_der().unwrap()).unwrap(),
        k.public_key()
    );
    assert_eq!(k.public_key().bits(), 2048);
    assert_eq!(k.public_key().exponent(), &[1, 0, 1]);
    // The cavage key re-exports byte for byte too.
    let c = PublicKey::from_pem(keys::CAVAGE_PUBLIC).unwrap();
    assert_eq!(c.to_spki_pem().unwrap(), keys::CAVAGE_PUBLIC);
    // CRLF line ends and a PEM squashed onto one line parse too.
    let crlf = spki.replace('\n', "\r\n");
    assert_eq!(&PublicKey::from_pem(&crlf).unwrap(), k.public_key());
    let one_line = spki.replace('\n', " ");
    assert_eq!(&PublicKey::from_pem(&one_line).unwrap(), k.public_key());
}

#[test]
fn wrong_kinds_of_pem() {
    let k = KeyPair::from_pem(keys::TEST_KEY_RSA).unwrap();
    let private = k.to_pkcs8_pem().unwrap();
    assert_eq!(
        PublicKey::from_pem(&private),
        Err(KeyError::PemLabel("PRIVATE KEY".into()))
    );
    assert!(matches!(
        KeyPair::from_pem(TEST_KEY_RSA_SPKI),
        Err(KeyError::PemLabel(_))
    ));
    assert!(matches!(
        PublicKey::from_pem(keys::TEST_KEY_ED25519_PUBLIC),
        Err(KeyError::Rejected(_))
    ));
    assert!(matches!(
        PublicKey::from_pem("no pem here"),
        Err(KeyError::Pem(_))
    ));
    assert!(PublicKey::from_der(b"\x30\x03\x02\x01\x01").is_err());
    assert!(PublicKey::from_der(b"").is_err());
    assert!(KeyPair::from_pkcs8_der(b"\x30\x00").is_err());
}

#[test]
fn magic_public_keys() {
    // PROTOCOLS.md §5.7: the draft's 512-bit test key, published unpadded.
    let k = PublicKey::from_magic(keys::MAGIC_TEST_KEY).unwrap();
    assert_eq!(k.bits(), 512);
    assert_eq!(k.exponent(), &[1, 0, 1]);
    // We write it padded, as GNU social and Mastodon do; both forms read the same.
    let padded = k.to_magic();
    assert_eq!(
        padded,
        "RSA.mVgY8RN6URBTstndvmUUPb4UZTdwvwmddSKE5z_jvKUEK6yk1u3rrC9yN8k6FilGj9K0eeUPe2hf4Pj-5CmHww==.AQAB"
    );
    assert_eq!(PublicKey::from_magic(&padded).unwrap(), k);
    // Whitespace inside is ignored.
    assert_eq!(
        PublicKey::from_magic(&format!(" {}\n", padded.replace("5z_", "5z\n _"))).unwrap(),
        k
    );
    // The default key_id is over the string as published.
    assert_eq!(
        crypto::magic_key_id(keys::MAGIC_TEST_KEY),
        "ATyfAWA5nA6s62uvxAZTwyciKnFDtl9hCpzZwMVi0PQ="
    );
    // A 2048-bit key round-trips, and equals its PEM form.
    let g = KeyPair::from_pem(keys::TEST_KEY_RSA).unwrap();
    let magic = g.public_key().to_magic();
    assert_eq!(&PublicKey::from_magic(&magic).unwrap(), g.public_key());
    // A leading zero byte in the modulus (two's-complement writers) is tolerated.
    let n = g.public_key().modulus();
    let mut n0 = vec![0u8];
    n0.extend_from_slice(n);
    assert_eq!(
        &PublicKey::from_components(&n0, &[1, 0, 1]).unwrap(),
        g.public_key()
    );
    for bad in [
        "",
        "RSA",
        "RSA.",
        "RSA.AQAB",
        "DSA.AQAB.AQAB",
        "RSA.!!.AQAB",
        "RSA.AQAB.!!",
        "RSA..AQAB",
        // The four-part private form is not a public key.
        "RSA.mVgY8RN6URBTstndvmUUPb4UZTdwvwmddSKE5z_jvKUEK6yk1u3rrC9yN8k6FilGj9K0eeUPe2hf4Pj-5CmHww==.AQAB.Lgy_yL3hsLBngkFdDw1Jy9TmSRMiH6yihYetQ8jy-jZXdsZXd8V5ub3kuBHHk4M39i3TduIkcrjcsiWQb77D8Q==",
    ] {
        assert!(
            PublicKey::from_magic(bad).is_err(),
            "{bad:?} should not parse"
        );
    }
}

#[test]
fn small_keys_parse_but_never_verify() {
    let k = PublicKey::from_magic(keys::MAGIC_TEST_KEY).unwrap();
    assert_eq!(
        k.verify_pkcs1_sha256(b"x", &[0u8; 64]),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn actor_documents() {
    let k = KeyPair::from_pem(keys::TEST_KEY_RSA).unwrap();
    let actor = "https://social.example/users/alice";
    let key_id = format!("{actor}#main-key");
    let pk = httpsig::public_key_object(&key_id, actor, k.public_key()).unwrap();
    assert_eq!(pk["publicKeyPem"], TEST_KEY_RSA_SPKI);
    let doc = json!({"id": actor, "type": "Person", "publicKey": pk});
    let found = httpsig::key_from_document(&doc, &key_id).unwrap();
    assert_eq!(&found.key, k.public_key());
    assert_eq!(found.owner, actor);

    // An array of keys, one in PKCS#1 PEM, no owner (the actor is meant).
    let doc = json!({"id": actor, "publicKey": [
        {"id": "https://social.example/other", "owner": actor, "publicKeyPem": "junk"},
        {"id": key_id, "publicKeyPem": k.public_key().to_pkcs1_pem()},
    ]});
    let found = httpsig::key_from_document(&doc, &key_id).unwrap();
    assert_eq!(found.owner, actor);

    // A standalone key document (GoToSocial style) names its owner.
    let doc = json!({"id": key_id, "owner": actor, "publicKeyPem": TEST_KEY_RSA_SPKI});
    assert_eq!(
        httpsig::key_from_document(&doc, &key_id).unwrap().owner,
        actor
    );

    // Refusals.
    let wrong_owner = json!({"id": actor, "publicKey": {"id": key_id, "owner": "https://evil.example/m", "publicKeyPem": TEST_KEY_RSA_SPKI}});
    assert!(matches!(
        httpsig::key_from_document(&wrong_owner, &key_id),
        Err(Error::Malformed { .. })
    ));
    let other_id = json!({"id": actor, "publicKey": {"id": "https://social.example/k2", "owner": actor, "publicKeyPem": TEST_KEY_RSA_SPKI}});
    assert!(matches!(
        httpsig::key_from_document(&other_id, &key_id),
        Err(Error::UnknownKey { .. })
    ));
    let no_key = json!({"id": actor});
    assert!(matches!(
        httpsig::key_from_document(&no_key, &key_id),
        Err(Error::Missing { .. })
    ));
    let ownerless = json!({"id": key_id, "publicKeyPem": TEST_KEY_RSA_SPKI});
    assert!(matches!(
        httpsig::key_from_document(&ownerless, &key_id),
        Err(Error::Missing { .. })
    ));
    let bad_pem = json!({"id": actor, "publicKey": {"id": key_id, "owner": actor, "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}});
    assert!(matches!(
        httpsig::key_from_document(&bad_pem, &key_id),
        Err(Error::Key(_))
    ));
}

fn openssl() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn openssl_agrees() {
    if !openssl() {
        eprintln!("SKIPPED openssl_agrees: no `openssl` command on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n);
    let msg = b"(request-target): post /inbox\nhost: remote.example";
    std::fs::write(path("msg"), msg).unwrap();

    // Our signature verifies with openssl, using the SPKI PEM we publish.
    let k = KeyPair::generate().unwrap();
    std::fs::write(path("pub.pem"), k.public_key().to_spki_pem().unwrap()).unwrap();
    std::fs::write(path("sig"), k.sign_pkcs1_sha256(msg).unwrap()).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(path("pub.pem"))
        .arg("-signature")
        .arg(path("sig"))
        .arg(path("msg"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stdout)
    );

    // openssl reads the PKCS#8 PEM we store, and its signature verifies with our key.
    std::fs::write(path("key.pem"), k.to_pkcs8_pem().unwrap()).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(path("key.pem"))
        .arg("-out")
        .arg(path("sig2"))
        .arg(path("msg"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let sig2 = std::fs::read(path("sig2")).unwrap();
    k.public_key().verify_pkcs1_sha256(msg, &sig2).unwrap();

    // A key openssl made (PKCS#8) loads and signs.
    let out = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(path("gen.pem"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let gen_pem = std::fs::read_to_string(path("gen.pem")).unwrap();
    let g = KeyPair::from_pem(&gen_pem).unwrap();
    let out = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(path("gen.pem"))
        .output()
        .unwrap();
    let their_pub = String::from_utf8(out.stdout).unwrap();
    assert_eq!(g.public_key().to_spki_pem().unwrap(), their_pub);
}
