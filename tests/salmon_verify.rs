#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Magic Signatures against real envelopes and published vectors: the four envelopes of
//! `fixtures/external/salmon-envelopes.json` verify with their authors' keys in the modes
//! the research helper found (and no other), the §5.7 computed vectors and GNU social's
//! signing-text vector hold, and tampering or the wrong key fails. Plus round trips of the
//! bridge's own signing in every mode, checked by an independent GNU-social-style verifier.

mod common;

use ostatus_bridge::codec::Limits;
use ostatus_bridge::crypto::{KeyPair, PublicKey};
use ostatus_bridge::identity::webfinger::Descriptor;
use ostatus_bridge::salmon::envelope::{self, Envelope, Form};
use ostatus_bridge::salmon::verify::{envelope_signing_text, signing_text};
use ostatus_bridge::salmon::{self, SigningMode, VerifyError, armor};
use serde_json::Value;

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/external/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn mode_of(name: &str) -> SigningMode {
    match name {
        "full" => SigningMode::AsSent,
        "full_reencoded" => SigningMode::ReEncoded,
        "full_unpadded" => SigningMode::Unpadded,
        "data_only" => SigningMode::DataOnly,
        other => panic!("unknown mode {other}"),
    }
}

/// True when the envelope's signature verifies over the `mode` text alone.
fn verifies_in(env: &Envelope, key: &PublicKey, mode: SigningMode) -> bool {
    let text = envelope_signing_text(env, mode);
    env.sigs.iter().any(|s| {
        let sig = armor::decode(&s.value).unwrap();
        key.verify_pkcs1_sha256_legacy(text.as_bytes(), &sig)
            .is_ok()
    })
}

/// The magic key a descriptor (JRD or XRD) publishes, read the way discovery reads it.
fn published_key(descriptor: &[u8]) -> String {
    let d = Descriptor::parse(descriptor, &Limits::default()).unwrap();
    let href = d.href("magic-public-key").unwrap();
    href.split_once([',', ';']).unwrap().1.trim().to_string()
}

/// The body of a recorded HTTP response (`requests/*.txt`).
fn http_body(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let body = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .unwrap()
        .1;
    body.as_bytes().to_vec()
}

#[test]
fn checklist_05_salmon_verify_modes_in_order() {
    let summary: Value = serde_json::from_slice(&fixture("salmon-envelopes.json")).unwrap();
    let results = summary["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let mut first_modes = Vec::new();
    for r in results {
        let file = r["envelope"].as_str().unwrap();
        let env = envelope::parse(&fixture(file), &Limits::default()).unwrap();
        assert_eq!(env.form, Form::Env, "{file}");
        assert_eq!(env.data_type, r["data_type"].as_str().unwrap());
        assert_eq!(env.alg, r["alg"].as_str().unwrap());
        assert_eq!(
            env.data.ends_with('='),
            r["data_has_padding"].as_bool().unwrap()
        );
        let magic = r["magic_public_key"].as_str().unwrap();
        let key = PublicKey::from_magic(magic).unwrap();
        assert_eq!(key.bits() as u64, r["key_bits"].as_u64().unwrap(), "{file}");
        // The key is the one its author's WebFinger publishes.
        for source in r["key_found_in"].as_array().unwrap() {
            let source = source.as_str().unwrap();
            if !source.contains('/') || source.contains(' ') {
                continue; // a test file of another project, not a fixture here
            }
            let raw = fixture(source);
            let descriptor = if source.ends_with(".txt") {
                http_body(&raw)
            } else {
                raw
            };
            assert_eq!(
                PublicKey::from_magic(&published_key(&descriptor)).unwrap(),
                key,
                "{source}"
            );
        }
        // Exactly the listed modes verify; verify() reports the first of them.
        let listed: Vec<SigningMode> = r["verifies_with_signing_modes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| mode_of(m.as_str().unwrap()))
            .collect();
        for mode in SigningMode::ALL {
            assert_eq!(
                verifies_in(&env, &key, mode),
                listed.contains(&mode),
                "{file} in {mode}"
            );
        }
        let found = salmon::verify(&env, &key).unwrap();
        assert_eq!(found, listed[0], "{file}");
        // The author inside the signed data is the one the summary names.
        let who = salmon::author::read(&env.payload, &Limits::default()).unwrap();
        assert_eq!(who.id, r["author_uri"].as_str().unwrap(), "{file}");
        first_modes.push(found);
    }
    assert_eq!(
        first_modes,
        [
            SigningMode::AsSent,
            SigningMode::DataOnly,
            SigningMode::AsSent,
            SigningMode::AsSent
        ]
    );
}

#[test]
fn checklist_06_legacy_keys_512_bit_and_leading_zero_verify() {
    // Friendica's key: 512 bits, its modulus written with a leading zero byte ("AMwa…").
    let key = PublicKey::from_magic(&published_key(&fixture(
        "pleroma/tesla_mock/lain_squeet.me_webfinger.xml",
    )))
    .unwrap();
    assert_eq!(key.bits(), 512);
    assert_ne!(key.modulus()[0], 0);
    let env =
        envelope::parse(&fixture("pleroma/friendica_salmon.xml"), &Limits::default()).unwrap();
    assert_eq!(env.sigs[0].key_id.as_deref().map(str::len), Some(86));
    assert_eq!(salmon::verify(&env, &key), Ok(SigningMode::DataOnly));
    // HTTP Signatures keep their 1024-bit floor with the same key.
    let text = envelope_signing_text(&env, SigningMode::DataOnly);
    let sig = armor::decode(&env.sigs[0].value).unwrap();
    assert!(key.verify_pkcs1_sha256(text.as_bytes(), &sig).is_err());
    assert!(
        key.verify_pkcs1_sha256_legacy(text.as_bytes(), &sig)
            .is_ok()
    );
}

#[test]
fn tampered_data_or_another_key_is_a_bad_signature() {
    let raw = String::from_utf8(fixture("mastodon/salmon/mention.xml")).unwrap();
    let env = envelope::parse(raw.as_bytes(), &Limits::default()).unwrap();
    let key = PublicKey::from_magic(
        "RSA.1ZBkHTavLvxH3FzlKv4O6WtlILKRFfNami3_Rcu8EuogtXSYiS-bB6hElZfUCSHbC4uLemOA34PEhz__CDMozax1iI_t8dzjDnh1x0iFSup7pSfW9iXk_WU3Dm74yWWW2jildY41vWgrEstuQ1dJ8vVFfSJ9T_tO4c-T9y8vDI8=.AQAB",
    )
    .unwrap();
    assert_eq!(salmon::verify(&env, &key), Ok(SigningMode::AsSent));
    // One character of the data changed (still valid base64url).
    let mut tampered = env.clone();
    let at = tampered.data.len() / 2;
    let c = if &tampered.data[at..=at] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.data.replace_range(at..=at, c);
    tampered.payload = armor::decode(&tampered.data).unwrap();
    assert_eq!(
        salmon::verify(&tampered, &key),
        Err(VerifyError::BadSignature)
    );
    // The same, through the XML.
    let start = raw.find("PD94").unwrap() + 200;
    let mut xml = raw.clone();
    let c = if &xml[start..=start] == "x" { "y" } else { "x" };
    xml.replace_range(start..=start, c);
    let env2 = envelope::parse(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(salmon::verify(&env2, &key), Err(VerifyError::BadSignature));
    // Another author's key (salmon2's).
    let other = PublicKey::from_magic("RSA.uzg6r1peZU0vXGADWxGJ0PE34WvmhjUmydbX5YYdOiXfODVLwCMi1umGoqUDm-mRu4vNEdFBVJU1CpFA7dKzWgIsqsa501i2XqElmEveXRLvNRWFB6nG03Q5OUY2as8eE54BJm0p20GkMfIJGwP6TSFb-ICp3QjzbatuSPJ6xCE=.AQAB").unwrap();
    assert_eq!(salmon::verify(&env, &other), Err(VerifyError::BadSignature));
    // A signature of the wrong length or garbage.
    let mut junk = env.clone();
    junk.sigs[0].value = "AAAA".into();
    assert_eq!(salmon::verify(&junk, &key), Err(VerifyError::BadSignature));
}

/// PROTOCOLS.md §5.7 computed vectors with the draft's 512-bit test key.
const P57_KEY: &str = "RSA.mVgY8RN6URBTstndvmUUPb4UZTdwvwmddSKE5z_jvKUEK6yk1u3rrC9yN8k6FilGj9K0eeUPe2hf4Pj-5CmHww.AQAB";
const P57_PAYLOAD: &str = "<?xml version='1.0' encoding='UTF-8'?>\n<entry xmlns='http://www.w3.org/2005/Atom'><id>tag:example.com,2009:cmt-1</id><author><uri>acct:test@example.com</uri></author><content>Salmon swim upstream!</content><updated>2009-12-18T20:04:03Z</updated></entry>";
const P57_DATA: &str = "PD94bWwgdmVyc2lvbj0nMS4wJyBlbmNvZGluZz0nVVRGLTgnPz4KPGVudHJ5IHhtbG5zPSdodHRwOi8vd3d3LnczLm9yZy8yMDA1L0F0b20nPjxpZD50YWc6ZXhhbXBsZS5jb20sMjAwOTpjbXQtMTwvaWQ-PGF1dGhvcj48dXJpPmFjY3Q6dGVzdEBleGFtcGxlLmNvbTwvdXJpPjwvYXV0aG9yPjxjb250ZW50PlNhbG1vbiBzd2ltIHVwc3RyZWFtITwvY29udGVudD48dXBkYXRlZD4yMDA5LTEyLTE4VDIwOjA0OjAzWjwvdXBkYXRlZD48L2VudHJ5Pg==";
const P57_SIG_PADDED: &str =
    "J_dfwv0epFVXiahLmHko0VJ_KjwYLG_slgcHWMpDsvdbXv60eh9KKuvYSZrHW0KkhK4R_RKGD46ILnLrJuHcXA==";
const P57_SIG_UNPADDED: &str =
    "fzQQsclQKNrl5yMpLlTjnuP88-vQMFbpCBcsRyUnQ7q9vbMiGTfuYsa8ouQD7q75deV9QkM2G5Ve8esF4CS-yA==";
const P57_SIG_DATA_ONLY: &str =
    "J395CzjTw6W9ko_h5xcKGl7QTtv_6yqrSqKmRJsuso3cehDiiJ__BWbNlXUr2Vic29kNOyfnqpHTuLWBcaXGRA==";

fn p57_envelope(data: &str, sig: &str) -> Envelope {
    let json = serde_json::json!({
        "data": data,
        "data_type": "application/atom+xml",
        "encoding": "base64url",
        "alg": "RSA-SHA256",
        "sigs": [{"value": sig, "key_id": "ATyfAWA5nA6s62uvxAZTwyciKnFDtl9hCpzZwMVi0PQ="}],
    });
    envelope::parse(json.to_string().as_bytes(), &Limits::default()).unwrap()
}

#[test]
fn protocols_5_7_computed_vectors() {
    let key = PublicKey::from_magic(P57_KEY).unwrap();
    assert_eq!(armor::encode(P57_PAYLOAD.as_bytes()), P57_DATA);
    let e = p57_envelope(P57_DATA, P57_SIG_PADDED);
    assert_eq!(e.payload, P57_PAYLOAD.as_bytes());
    assert!(
        envelope_signing_text(&e, SigningMode::AsSent)
            .ends_with("2VudHJ5Pg==.YXBwbGljYXRpb24vYXRvbSt4bWw=.YmFzZTY0dXJs.UlNBLVNIQTI1Ng==")
    );
    assert_eq!(salmon::verify(&e, &key), Ok(SigningMode::AsSent));
    assert_eq!(
        salmon::verify(&p57_envelope(P57_DATA, P57_SIG_UNPADDED), &key),
        Ok(SigningMode::Unpadded)
    );
    assert_eq!(
        salmon::verify(&p57_envelope(P57_DATA, P57_SIG_DATA_ONLY), &key),
        Ok(SigningMode::DataOnly)
    );
    // A sender that dropped the data's padding but signed the padded text (what Mastodon
    // verifies): only the re-encoded text matches.
    let unpadded_data = P57_DATA.trim_end_matches('=');
    assert_eq!(
        salmon::verify(&p57_envelope(unpadded_data, P57_SIG_PADDED), &key),
        Ok(SigningMode::ReEncoded)
    );
    // Whitespace inserted after signing does not matter; tampering does.
    let wrapped: String = P57_DATA
        .as_bytes()
        .chunks(60)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n  ");
    assert_eq!(
        salmon::verify(&p57_envelope(&wrapped, P57_SIG_PADDED), &key),
        Ok(SigningMode::AsSent)
    );
    let tampered = P57_DATA.replacen("PD94", "PD95", 1);
    assert_eq!(
        salmon::verify(&p57_envelope(&tampered, P57_SIG_PADDED), &key),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn gnu_social_magic_envelope_signing_text_vector() {
    let v: Value =
        serde_json::from_slice(&fixture("gnu-social/MagicEnvelopeTest.php__provider.json"))
            .unwrap();
    let data = v["data"].as_str().unwrap();
    assert_eq!(
        armor::decode(data).unwrap(),
        v["data_decoded"].as_str().unwrap().as_bytes()
    );
    let text = signing_text(
        data,
        v["data_decoded"].as_str().unwrap().as_bytes(),
        v["data_type"].as_str().unwrap(),
        v["encoding"].as_str().unwrap(),
        v["alg"].as_str().unwrap(),
        SigningMode::AsSent,
    );
    assert_eq!(text, v["expected_signing_text"].as_str().unwrap());
}

/// GNU social's check, written out independently: data as sent (whitespace removed) + '.'
/// + padded base64url of type, encoding and alg, RSA-SHA256.
fn gnu_social_accepts(xml: &str, key: &PublicKey) -> bool {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE.encode(s.as_bytes());
    let between = |open: &str, close: &str| {
        let s = xml.find(open).unwrap();
        let s = s + xml[s..].find('>').unwrap() + 1;
        let e = s + xml[s..].find(close).unwrap();
        xml[s..e]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
    };
    let data = between("<me:data", "</me:data>");
    let enc = between("<me:encoding", "</me:encoding>");
    let alg = between("<me:alg", "</me:alg>");
    let sig = between("<me:sig", "</me:sig>");
    let text = format!(
        "{data}.{}.{}.{}",
        b64("application/atom+xml"),
        b64(&enc),
        b64(&alg)
    );
    let sig = base64::engine::general_purpose::URL_SAFE
        .decode(sig)
        .unwrap();
    key.verify_pkcs1_sha256(text.as_bytes(), &sig).is_ok()
}

#[test]
fn checklist_04_signs_the_gnu_social_form_in_every_mode() {
    let key = KeyPair::from_pem(common::keys::TEST_KEY_RSA).unwrap();
    let entry = P57_PAYLOAD.as_bytes();
    for (mode, detected) in [
        (SigningMode::AsSent, SigningMode::AsSent),
        // The bridge pads its data, so the re-encoded text is the one sent.
        (SigningMode::ReEncoded, SigningMode::AsSent),
        (SigningMode::Unpadded, SigningMode::Unpadded),
        (SigningMode::DataOnly, SigningMode::DataOnly),
    ] {
        let xml = salmon::sign_entry(entry, &key, mode).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<me:env xmlns:me=\"http://salmon-protocol.org/ns/magic-env\">"));
        assert!(xml.contains(&format!(
            "<me:data type=\"application/atom+xml\">{P57_DATA}</me:data>"
        )));
        assert!(xml.contains("<me:encoding>base64url</me:encoding><me:alg>RSA-SHA256</me:alg>"));
        let env = envelope::parse(xml.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(env.payload, entry);
        assert_eq!(env.sigs.len(), 1);
        // A 2048-bit signature, armored with padding.
        assert!(env.sigs[0].value.ends_with("=="), "{}", env.sigs[0].value);
        assert_eq!(
            salmon::verify(&env, key.public_key()),
            Ok(detected),
            "{mode}"
        );
        assert_eq!(
            gnu_social_accepts(&xml, key.public_key()),
            mode != SigningMode::Unpadded && mode != SigningMode::DataOnly,
            "{mode}"
        );
    }
}
