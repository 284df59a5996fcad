#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `serve` command on loopback: starts on the shipped configuration, answers, translates,
//! refuses bad input with the right status, and stops cleanly on SIGTERM.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};

use common::http::{request, wait_until_up};

fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

#[test]
fn serve_starts_on_shipped_config_answers_and_stops_on_sigterm() {
    let addr = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ostatus-bridge"))
        .arg("serve")
        .current_dir(dir.path())
        .env("OSTATUS_BRIDGE_SERVER_LISTEN", addr.to_string())
        .env("OSTATUS_BRIDGE_SECURITY_MAX_BODY_BYTES", "200000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let up = wait_until_up(addr, "/healthz", 100);
    if !up {
        child.kill().ok();
    }
    assert!(up, "server did not come up");

    let (status, body) = request(addr, "GET", "/healthz", b"");
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    let atom = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/external/pleroma/dm.xml"
    ))
    .unwrap();
    let (status, body) = request(addr, "POST", "/api/translate?to=as2", &atom);
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["type"], "Create");
    assert_eq!(json["object"]["type"], "Note");

    let (status, body) = request(
        addr,
        "POST",
        "/api/translate?to=as2&from=atom",
        b"<entry><oops></entry>",
    );
    assert_eq!(status, 400);
    assert!(body.contains("malformed XML"), "{body}");

    let (status, _) = request(addr, "POST", "/api/translate?to=nonsense", b"{}");
    assert_eq!(status, 400);

    let big = vec![b' '; 300_000];
    let (status, _) = request(addr, "POST", "/api/translate?to=as2", &big);
    assert_eq!(status, 413);

    let (status, _) = request(addr, "GET", "/nothing-here", b"");
    assert_eq!(status, 404);

    // The ActivityPub face is up, over the store `serve` opened.
    let (status, body) = request(addr, "GET", "/nodeinfo/2.1", b"");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ostatus-bridge\""), "{body}");
    let (status, _) = request(addr, "GET", "/users/nobody_at_x.example", b"");
    assert_eq!(status, 404);
    let (status, body) = request(addr, "POST", "/inbox", b"{}");
    assert_eq!(status, 401, "{body}");

    // SIGTERM: graceful shutdown, exit code 0.
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let mut waited = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        waited += 1;
        assert!(waited < 100, "server did not stop within 10 s of SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success(), "exit status {status:?}");
    assert!(
        dir.path().join("data/sled-0-34").is_dir(),
        "serve opened the store at [store] path"
    );
}
