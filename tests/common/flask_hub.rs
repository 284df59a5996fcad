//! The real third-party WebSub hub of the interop tests: flask-websub 0.4.1 (PyPI), run by
//! `tests/interop/websub/hub.py` from the venv that `tests/interop/websub/setup.sh` makes
//! (facts about it: `tests/interop/websub/README.md`).
//!
//! `FlaskHub::start().await` installs the pinned packages if needed (setup.sh is idempotent and
//! returns at once when the venv is current), starts the hub on a free 127.0.0.1 port, waits
//! (bounded) until it answers, and kills it on drop.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where the hub's files are.
pub fn websub_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/websub"))
}

/// How to start the hub.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// `X-Hub-Signature` algorithm: flask-websub's default is `sha512`; `sha1` is the only one
    /// GNU social and Mastodon 2.x accept.
    pub algo: &'static str,
    /// Retries of a failed push (eager mode: at once, no back-off). flask-websub's default 10.
    pub max_attempts: u32,
    /// Seconds per outgoing request of the hub (flask-websub's default 3).
    pub request_timeout: u32,
    /// Werkzeug's request log and flask-websub's warnings on stderr.
    pub debug: bool,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            algo: "sha512",
            max_attempts: 10,
            request_timeout: 3,
            debug: false,
        }
    }
}

/// A running flask-websub hub; killed when dropped.
pub struct FlaskHub {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    client: reqwest::Client,
}

impl Drop for FlaskHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs setup.sh (installs the venv when missing or stale); panics with what to do on failure.
fn ensure_installed() {
    let dir = websub_dir();
    let out = Command::new("bash")
        .arg(dir.join("setup.sh"))
        .stdin(Stdio::null())
        .output();
    let ok = matches!(&out, Ok(o) if o.status.success());
    if !ok || !dir.join(".venv/bin/python").exists() {
        let detail = match out {
            Ok(o) => String::from_utf8_lossy(&o.stderr).to_string(),
            Err(e) => e.to_string(),
        };
        panic!(
            "the flask-websub venv is missing and could not be installed.\n\
             Run `tests/interop/websub/setup.sh` (needs python3 with venv and PyPI once), \
             then rerun the test.\nsetup.sh said: {detail}"
        );
    }
}

impl FlaskHub {
    /// Starts the hub with flask-websub's defaults (sha512 signatures).
    pub async fn start() -> FlaskHub {
        FlaskHub::start_with(HubOptions::default()).await
    }

    /// Starts the hub with `opts`.
    pub async fn start_with(opts: HubOptions) -> FlaskHub {
        let (child, port) = tokio::task::spawn_blocking(move || spawn(&opts))
            .await
            .expect("start flask-websub");
        let hub = FlaskHub {
            child,
            port,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("client"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = hub
                .client
                .get(hub.control("ready"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "flask-websub did not answer on port {port} within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        hub
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The hub endpoint (subscribe, unsubscribe, publish): `http://127.0.0.1:PORT/hub`.
    pub fn url(&self) -> String {
        format!("{}/hub", self.base())
    }

    fn control(&self, what: &str) -> String {
        format!("{}/_control/{what}", self.base())
    }

    async fn get_json(&self, what: &str) -> Value {
        let url = self.control(what);
        let resp = self.client.get(&url).send().await.expect(&url);
        assert!(resp.status().is_success(), "GET {url}: {}", resp.status());
        serde_json::from_str(&resp.text().await.expect("body")).expect("json")
    }

    /// The hub's stored subscriptions: `[{topic, callback, has_secret, secret, expires_in}]`.
    pub async fn subscriptions(&self) -> Vec<Value> {
        match self.get_json("subscriptions").await {
            Value::Array(a) => a,
            other => panic!("subscriptions: {other}"),
        }
    }

    /// Task failures flask-websub swallowed (eager mode answers 202 whatever happens), e.g.
    /// `NotificationError` when the topic lacks the `Link` headers.
    pub async fn errors(&self) -> Vec<Value> {
        match self.get_json("errors").await {
            Value::Array(a) => a,
            other => panic!("errors: {other}"),
        }
    }

    /// flask-websub's own warnings: failed verifications, failed pushes.
    pub async fn warnings(&self) -> Vec<Value> {
        match self.get_json("warnings").await {
            Value::Array(a) => a,
            other => panic!("warnings: {other}"),
        }
    }

    /// POSTs a form to the hub endpoint and returns (status, body). Eager mode: verification
    /// (subscribe) or fetch + every push (publish) are done when this returns.
    pub async fn post_form(&self, form: &[(&str, &str)]) -> (u16, String) {
        let resp = self
            .client
            .post(self.url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_encode(form))
            .send()
            .await
            .expect("POST to the hub");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// A publish ping for `topic` (`hub.mode=publish`, `hub.topic`; flask-websub refuses a
    /// ping with only the PuSH 0.3 `hub.url`). Returns the status (202).
    pub async fn publish(&self, topic: &str) -> u16 {
        self.post_form(&[("hub.mode", "publish"), ("hub.topic", topic)])
            .await
            .0
    }
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Spawns hub.py and reads its `READY <port>` line (blocking; bounded).
fn spawn(opts: &HubOptions) -> (Child, u16) {
    ensure_installed();
    let dir = websub_dir();
    let mut child = Command::new(dir.join(".venv/bin/python"))
        .arg(dir.join("hub.py"))
        .arg("0")
        .env("STDIN_WATCH", "1")
        .env("HUB_SIGNATURE_ALGORITHM", opts.algo)
        .env("HUB_MAX_ATTEMPTS", opts.max_attempts.to_string())
        .env("HUB_REQUEST_TIMEOUT", opts.request_timeout.to_string())
        .env("DEBUG", if opts.debug { "1" } else { "0" })
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn tests/interop/websub/.venv/bin/python hub.py");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(port) = line.strip_prefix("READY ") {
                let _ = tx.send(port.trim().parse::<u16>().ok());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Some(port)) => (child, port),
        other => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("flask-websub's hub.py did not print READY <port> within 60 s: {other:?}");
        }
    }
}
