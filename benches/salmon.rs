#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Salmon verification throughput on one core: parse a Magic Envelope (XML), build the
//! signing text and check the RSA signature, as the Salmon endpoint does before it looks at
//! the entry. Two envelopes: one the bridge signs with a fresh RSA-2048 key (a Mastodon-era
//! key size) around a real GNU social entry, and the real GNU social envelope
//! `mastodon/salmon/mention.xml` with its author's 1024-bit key. Plus the worst case a
//! legacy peer causes: Friendica's 512-bit data-only envelope (all four signing texts are
//! tried, on the small-integer verifier).
//!
//! Run: `cargo bench --bench salmon`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ostatus_bridge::codec::Limits;
use ostatus_bridge::crypto::{KeyPair, PublicKey};
use ostatus_bridge::salmon::{self, SigningMode, envelope};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/external/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const GS_KEY: &str = "RSA.1ZBkHTavLvxH3FzlKv4O6WtlILKRFfNami3_Rcu8EuogtXSYiS-bB6hElZfUCSHbC4uLemOA34PEhz__CDMozax1iI_t8dzjDnh1x0iFSup7pSfW9iXk_WU3Dm74yWWW2jildY41vWgrEstuQ1dJ8vVFfSJ9T_tO4c-T9y8vDI8=.AQAB";
const FRIENDICA_KEY: &str = "RSA.AMwa8FUs2fWEjX0xN7yRQgegQffhBpuKNC6fa5VNSVorFjGZhRrlPMn7TQOeihlc9lBz2OsHlIedbYn2uJ7yCs0.AQAB";

fn verify(c: &mut Criterion) {
    let limits = Limits::default();
    let mention = fixture("mastodon/salmon/mention.xml");
    let entry = envelope::parse(&mention, &limits).unwrap().payload;
    let key = KeyPair::generate().unwrap();
    let own = salmon::sign_entry(&entry, &key, SigningMode::AsSent).unwrap();
    let own_key = key.public_key().clone();
    let gs_key = PublicKey::from_magic(GS_KEY).unwrap();
    let friendica = fixture("pleroma/friendica_salmon.xml");
    let friendica_key = PublicKey::from_magic(FRIENDICA_KEY).unwrap();

    let mut g = c.benchmark_group("salmon_verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("rsa2048_bridge_signed", |b| {
        b.iter(|| {
            let env = envelope::parse(black_box(own.as_bytes()), &limits).unwrap();
            assert_eq!(salmon::verify(&env, &own_key), Ok(SigningMode::AsSent));
        })
    });
    g.bench_function("rsa1024_gnu_social_mention", |b| {
        b.iter(|| {
            let env = envelope::parse(black_box(&mention), &limits).unwrap();
            assert_eq!(salmon::verify(&env, &gs_key), Ok(SigningMode::AsSent));
        })
    });
    g.bench_function("rsa512_friendica_data_only", |b| {
        b.iter(|| {
            let env = envelope::parse(black_box(&friendica), &limits).unwrap();
            assert_eq!(
                salmon::verify(&env, &friendica_key),
                Ok(SigningMode::DataOnly)
            );
        })
    });
    g.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
