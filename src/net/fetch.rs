//! The one outbound HTTP client: every GET and POST the bridge makes goes through it, so the
//! peer rules in [`NetPolicy`] hold everywhere, including on every redirect hop and for every
//! address a name resolves to (a name that resolves to 127.0.0.1 is refused like the literal).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;

use super::policy::{NetPolicy, Refused};

/// Most redirects followed for one GET (Mastodon follows 5 too).
pub const MAX_REDIRECTS: usize = 5;

/// What a GET is for; sets the `Accept` header peers negotiate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// An ActivityPub actor or object.
    ActivityJson,
    /// A WebFinger JRD.
    Jrd,
    /// host-meta or an LRDD XRD document.
    Xrd,
    /// An Atom (OStatus) feed.
    Atom,
    /// Any feed: Atom, RSS, JSON Feed.
    Feed,
    /// An HTML page (to find its feed links).
    Html,
    /// An object of unknown kind: ActivityPub first, then Atom, then the HTML page (whose
    /// `rel=alternate` names the others), as Mastodon 2.x asked.
    Object,
    /// Anything: a WebSub verification answer is a plain-text challenge.
    Any,
}

impl Accept {
    fn header(self) -> &'static str {
        match self {
            Accept::ActivityJson => {
                "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
            }
            Accept::Jrd => "application/jrd+json, application/json",
            Accept::Xrd => "application/xrd+xml, application/xml;q=0.9",
            Accept::Atom => "application/atom+xml, application/xml;q=0.9",
            Accept::Feed => {
                "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.8"
            }
            Accept::Html => "text/html, application/xhtml+xml;q=0.9",
            Accept::Object => {
                "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\";q=0.95, application/atom+xml;q=0.9, text/html;q=0.8"
            }
            Accept::Any => "*/*",
        }
    }
}

/// Why a request failed; the variants let callers tell a retryable failure from a final one.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL or an address it resolved to is not allowed.
    #[error("refused: {0}")]
    Refused(#[from] Refused),
    /// The URL could not be parsed (e.g. a bad `Location`).
    #[error("bad URL {url:?}: {reason}")]
    BadUrl {
        /// The URL text.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("more than {MAX_REDIRECTS} redirects, last to {0}")]
    TooManyRedirects(Url),
    /// The body is larger than the cap.
    #[error("response from {url} is over the limit of {limit} bytes")]
    TooLarge {
        /// Where from.
        url: Url,
        /// The cap.
        limit: usize,
    },
    /// The peer answered with an error status.
    #[error("{url} answered {status}")]
    Status {
        /// Where from.
        url: Url,
        /// The status.
        status: StatusCode,
    },
    /// Connection, TLS, timeout or protocol failure.
    #[error("request to {url} failed: {source}")]
    Transport {
        /// Where to.
        url: Url,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
}

impl FetchError {
    /// True when trying again later may succeed (network trouble, 5xx, 429, timeouts).
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Transport { .. } => true,
            FetchError::Status { status, .. } => {
                status.is_server_error()
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::REQUEST_TIMEOUT
            }
            _ => false,
        }
    }
}

/// A successful GET.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL the body came from, after redirects.
    pub url: Url,
    /// The final status (200, or 304 for a conditional GET that matched).
    pub status: StatusCode,
    /// Response headers of the final hop.
    pub headers: HeaderMap,
    /// The body (empty for 304).
    pub body: Vec<u8>,
}

impl Fetched {
    /// The media type without parameters, lower-cased.
    pub fn media_type(&self) -> Option<String> {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
    }

    /// A response header as text, when present and printable.
    pub fn header(&self, name: HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// True for a 304: the cached copy is current.
    pub fn not_modified(&self) -> bool {
        self.status == StatusCode::NOT_MODIFIED
    }
}

/// Timeouts and caps for the client; the defaults suit production, tests shorten them.
#[derive(Debug, Clone)]
pub struct FetchLimits {
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout, body included.
    pub total_timeout: Duration,
    /// Largest response body read.
    pub max_body_bytes: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Resolves names and drops the addresses the policy refuses; a name with nothing left
/// fails, so a connection to a refused address is never opened.
struct GuardedResolver {
    policy: Arc<NetPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refusal = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match policy.check_ip(&host, a.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refusal.get_or_insert(e);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = match refusal {
                    Some(e) => Box::new(e),
                    None => format!("{host} did not resolve").into(),
                };
                return Err(err);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The outbound client. Cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<NetPolicy>,
    limits: FetchLimits,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.policy)
            .field("limits", &self.limits)
            .finish()
    }
}

/// What the bridge calls itself in `User-Agent`, so operators can find it in their logs.
pub const USER_AGENT: &str = concat!(
    "ostatus-bridge/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/ostatus-bridge)"
);

impl Fetcher {
    /// A client that applies `policy` to every request.
    pub fn new(policy: NetPolicy, limits: FetchLimits) -> Result<Fetcher, reqwest::Error> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.total_timeout)
            // Redirects are followed by hand so each hop is checked.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            .build()?;
        Ok(Fetcher {
            client,
            policy,
            limits,
        })
    }

    /// The rules this client applies.
    pub fn policy(&self) -> &NetPolicy {
        &self.policy
    }

    /// GETs `url`, following up to [`MAX_REDIRECTS`] redirects (each checked), with
    /// `extra` headers (e.g. `If-None-Match`) on the first hop only. A 304 is a success.
    pub async fn get(
        &self,
        url: &Url,
        accept: Accept,
        extra: &[(HeaderName, HeaderValue)],
    ) -> Result<Fetched, FetchError> {
        let mut url = url.clone();
        for hop in 0..=MAX_REDIRECTS {
            self.policy.check_url(&url)?;
            let mut req = self
                .client
                .get(url.clone())
                .header(header::ACCEPT, accept.header());
            if hop == 0 {
                for (k, v) in extra {
                    req = req.header(k.clone(), v.clone());
                }
            }
            let resp = req.send().await.map_err(|e| self.transport(&url, e))?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                url = next_hop(&url, resp.headers())?;
                continue;
            }
            if !status.is_success() && status != StatusCode::NOT_MODIFIED {
                return Err(FetchError::Status { url, status });
            }
            let headers = resp.headers().clone();
            let body = self.read_body(&url, resp).await?;
            return Ok(Fetched {
                url,
                status,
                headers,
                body,
            });
        }
        Err(FetchError::TooManyRedirects(url))
    }

    /// POSTs `body` to `url` with `headers` (the caller signs); redirects are not followed,
    /// as a signature covers one target. Returns the status on 2xx.
    pub async fn post(
        &self,
        url: &Url,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<StatusCode, FetchError> {
        self.policy.check_url(url)?;
        let resp = self
            .client
            .request(Method::POST, url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport(url, e))?;
        let status = resp.status();
        if status.is_success() {
            Ok(status)
        } else {
            Err(FetchError::Status {
                url: url.clone(),
                status,
            })
        }
    }

    /// Reads the body, stopping as soon as it passes the cap.
    async fn read_body(
        &self,
        url: &Url,
        mut resp: reqwest::Response,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = self.limits.max_body_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.clone(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(url, e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// A transport error, or the policy refusal hidden inside it (from the resolver).
    fn transport(&self, url: &Url, e: reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if let Some(r) = s.downcast_ref::<Refused>() {
                return FetchError::Refused(r.clone());
            }
            source = s.source();
        }
        FetchError::Transport {
            url: url.clone(),
            source: e,
        }
    }
}

/// The absolute URL a redirect points to.
fn next_hop(from: &Url, headers: &HeaderMap) -> Result<Url, FetchError> {
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| FetchError::BadUrl {
            url: from.to_string(),
            reason: "redirect without a usable Location header".into(),
        })?;
    from.join(location).map_err(|e| FetchError::BadUrl {
        url: location.to_string(),
        reason: e.to_string(),
    })
}
