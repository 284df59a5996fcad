//! The real ActivityPub peer of the interop tests: Fedify 2.3.6 on Node 22
//! (`tests/interop/fedify-peer.mjs`, run by `run-node.sh`), and its control API.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A child process that is killed when the test ends, however it ends.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the Fedify peer and returns it with its port (its first line is `READY <port>`).
pub fn start_fedify() -> (Killed, u16) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/run-node.sh");
    let mut child = Command::new("bash")
        .arg(script)
        .arg("fedify-peer.mjs")
        .env("PORT", "0")
        .env("STDIN_WATCH", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the Fedify peer");
    let stdout = child.stdout.take().unwrap();
    let child = Killed(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(port) = line.strip_prefix("READY ") {
                let _ = tx.send(port.trim().parse::<u16>().ok());
            }
        }
    });
    // A cold `npm ci` takes about half a minute.
    let port = rx
        .recv_timeout(Duration::from_secs(180))
        .expect("the Fedify peer did not say READY")
        .expect("READY <port>");
    (child, port)
}

pub async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let resp = client.get(url).send().await.expect(url);
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "GET {url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url}: {e}: {text}"))
}

pub async fn post_json(client: &reqwest::Client, url: &str, body: Value) -> Value {
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect(url);
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "POST {url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {url}: {e}: {text}"))
}

/// Polls Fedify's log of verified inbox activities until `pick` finds one, for at most
/// `secs` seconds.
pub async fn wait_for_inbox(
    client: &reqwest::Client,
    fedify: &str,
    secs: u64,
    what: &str,
    pick: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let log = get_json(client, &format!("{fedify}/_control/inbox")).await;
        if let Some(hit) = log.as_array().unwrap().iter().find(|e| pick(e)) {
            return hit.clone();
        }
        if Instant::now() > deadline {
            let rejected = get_json(client, &format!("{fedify}/_control/rejected")).await;
            panic!(
                "no {what} in Fedify's inbox after {secs} s.\ninbox: {log:#}\nrejected: {rejected:#}"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
