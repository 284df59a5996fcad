//! Loopback helpers for tests: a tiny blocking HTTP/1.1 client (no extra dependency, bounded
//! waits) and the outbound client the tests use.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ostatus_bridge::config::{HostMode, SecurityConfig};
use ostatus_bridge::net::{FetchLimits, Fetcher, NetPolicy};

/// Sends one request and returns (status, body).
pub fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, dechunk(&text, body))
}

/// Undoes chunked transfer encoding when the response used it.
fn dechunk(full: &str, body: String) -> String {
    let head = full
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if !head.contains("transfer-encoding: chunked") {
        return body;
    }
    let mut out = String::new();
    let mut rest = body.as_str();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = &after[n + 2..];
    }
    out
}

/// Polls `GET path` until it answers, for at most `tries` × 100 ms.
pub fn wait_until_up(addr: SocketAddr, path: &str, tries: u32) -> bool {
    for _ in 0..tries {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            let (status, _) = request(addr, "GET", path, b"");
            if status == 200 {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The outbound client the loopback tests use: plain http allowed, private addresses as
/// given, short timeouts, a 1 MiB body cap.
pub fn loopback_fetcher(allow_private: bool) -> Fetcher {
    let sec = SecurityConfig {
        allow_private_networks: allow_private,
        allow_http: true,
        mode: HostMode::Denylist,
        hosts: vec![],
        max_body_bytes: 1 << 20,
    };
    Fetcher::new(
        NetPolicy::from_config(&sec),
        FetchLimits {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            max_body_bytes: 1 << 20,
        },
    )
    .unwrap()
}
