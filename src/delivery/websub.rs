//! The WebSub push sender: one Atom body to one hub subscriber's callback, with the
//! subscription looked up at send time (an unsubscribe or an expired lease stops pushes
//! already queued), `Link: <hub>; rel="hub", <topic>; rel="self"` and, when the subscription
//! has a secret, `X-Hub-Signature` over the exact body. No HTTP Signature: subscribers
//! authenticate pushes by the HMAC.

use http::{HeaderMap, HeaderValue, header};
use url::Url;

use super::worker::Attempt;
use crate::net::fetch::Fetcher;
use crate::puppet::BridgeUrls;
use crate::store::{Job, Store, now_ms};
use crate::websub::{link_header, sign};

/// The `X-Hub-Signature` header name.
const X_HUB_SIGNATURE: &str = "x-hub-signature";

/// Sends one push job (`inbox` = callback, `signer` = the topic's puppet handle).
pub(super) async fn push(
    store: &Store,
    fetcher: &Fetcher,
    urls: &BridgeUrls,
    job: &Job,
    url: &Url,
) -> Attempt {
    let sub = match store.hub_subscription(&job.signer, &job.inbox).await {
        Ok(Some(s)) => s,
        Ok(None) => return Attempt::Dropped("the subscription is gone".into()),
        Err(e) => return Attempt::Unsendable(format!("cannot read the subscription: {e}")),
    };
    if !sub.is_live(now_ms()) {
        return Attempt::Dropped("the subscription's lease has ended".into());
    }
    let body = job.body.as_bytes();
    let mut headers = HeaderMap::new();
    let link = link_header(&urls.hub(), &urls.feed(&job.signer));
    match (
        HeaderValue::from_str(&job.content_type),
        HeaderValue::from_str(&link),
    ) {
        (Ok(ct), Ok(link)) => {
            headers.insert(header::CONTENT_TYPE, ct);
            headers.insert(header::LINK, link);
        }
        _ => return Attempt::Unsendable("unusable Content-Type or Link header".into()),
    }
    if let Some(secret) = &sub.secret {
        let value = sign(sub.algo, secret.as_bytes(), body);
        match HeaderValue::from_str(&value) {
            Ok(v) => {
                headers.insert(X_HUB_SIGNATURE, v);
            }
            Err(_) => return Attempt::Unsendable("unusable X-Hub-Signature".into()),
        }
    }
    match fetcher.post(url, headers, body.to_vec()).await {
        Ok(_) => Attempt::Sent,
        Err(e) => Attempt::Failed(e),
    }
}
