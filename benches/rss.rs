//! Memory figure for BENCHMARKS.md, in two processes so each peak is its own:
//! - `fill DIR`: fills a fresh store in DIR with 100,000 followers of one puppet and
//!   1,000,000 legacy ↔ AP id mappings (an import);
//! - `open DIR`: reopens it as a restarted bridge would and does what a fan-out and a busy
//!   inbox do: reads all 100,000 followers' delivery targets and looks up 100,000 ids.
//!
//! Each prints the process's peak resident set (VmHWM from /proc/self/status, Linux only)
//! and the store's size on disk. The page cache is the shipped `[store] cache_mb`.
//!
//! Run: `cargo bench --bench rss -- fill /tmp/rss && cargo bench --bench rss -- open /tmp/rss`
//! (`RSS_CACHE_MB=16` to try another page cache). Without a mode (as in a plain
//! `cargo bench`) it only prints this usage.

use std::time::Instant;

use ostatus_bridge::config::Config;
use ostatus_bridge::store::{Follower, Store, StoreError};

const FOLLOWERS: usize = 100_000;
const ID_MAPPINGS: usize = 1_000_000;
const BATCH: usize = 10_000;

/// A line of /proc/self/status, e.g. `VmHWM`, in kB.
fn status_kb(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::load_default()?;
    if let Some(mb) = std::env::var("RSS_CACHE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.store.cache_mb = mb;
    }
    // cargo bench passes `--bench`; only the positional arguments count.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (Some(mode), Some(dir)) = (args.first(), args.get(1)) else {
        println!("usage: cargo bench --bench rss -- fill|open DIR");
        return Ok(());
    };
    let store = Store::open_path(
        std::path::Path::new(dir).join("sled-0-34"),
        config.store.cache_mb,
    )
    .await?;
    if mode == "open" {
        let start = Instant::now();
        let targets = ostatus_bridge::delivery::targets(&store, "puppet").await?;
        let targets_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let mut found = 0;
        for i in (0..ID_MAPPINGS).step_by(ID_MAPPINGS / 100_000) {
            let legacy = format!(
                "tag:gs{}.example,2012:noticeId={i}:objectType=note",
                i % 1000
            );
            found += usize::from(store.ap_for_legacy(&legacy).await?.is_some());
        }
        println!(
            "reopened: {} followers -> {} delivery targets in {targets_s:.2} s; {found} of 100000 id lookups found in {:.1} s",
            store.follower_count("puppet").await?,
            targets.len(),
            start.elapsed().as_secs_f64()
        );
        report(&store, config.store.cache_mb).await?;
        return Ok(());
    }
    let start = Instant::now();
    // Followers on 1,000 hosts, a shared inbox each (the usual Mastodon shape).
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in 0..FOLLOWERS / BATCH {
        let store = store.clone();
        tasks.spawn(async move {
            for i in chunk * BATCH..(chunk + 1) * BATCH {
                let host = format!("https://h{}.example", i % 1000);
                let actor = format!("{host}/users/u{i}");
                let f = Follower::new(
                    actor.clone(),
                    format!("{actor}/inbox"),
                    Some(format!("{host}/inbox")),
                );
                store.add_follower("puppet", &f).await?;
            }
            Ok::<(), StoreError>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let followers_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for chunk in 0..ID_MAPPINGS / BATCH {
        let pairs = (chunk * BATCH..(chunk + 1) * BATCH)
            .map(|i| {
                (
                    format!(
                        "tag:gs{}.example,2012:noticeId={i}:objectType=note",
                        i % 1000
                    ),
                    format!("https://bridge.example/legacy/{i:08}"),
                )
            })
            .collect();
        store.map_ids_batch(pairs).await?;
    }
    let ids_s = start.elapsed().as_secs_f64();
    store.flush().await?;
    let page = store.followers_page("puppet", None, 1000).await?;
    let back = store
        .ap_for_legacy("tag:gs457.example,2012:noticeId=123457:objectType=note")
        .await?;
    println!(
        "followers: {} ({} counted), filled in {followers_s:.1} s",
        FOLLOWERS,
        store.follower_count("puppet").await?
    );
    println!(
        "id mappings: {ID_MAPPINGS}, filled in {ids_s:.1} s; sample lookup {back:?}; first page {} followers",
        page.len()
    );
    report(&store, config.store.cache_mb).await?;
    Ok(())
}

async fn report(store: &Store, cache_mb: u64) -> Result<(), StoreError> {
    println!("cache_mb: {cache_mb}");
    println!(
        "size on disk: {:.1} MiB",
        store.size_on_disk().await? as f64 / 1048576.0
    );
    println!(
        "VmHWM: {} kB, VmRSS: {} kB",
        status_kb("VmHWM:").unwrap_or(0),
        status_kb("VmRSS:").unwrap_or(0)
    );
    Ok(())
}
