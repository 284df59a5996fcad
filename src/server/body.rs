//! Request bodies with a size cap that does not need a `Content-Length`.
//!
//! warp's `content_length_limit` refuses a request that has no `Content-Length` (chunked
//! senders, and clients that leave the header off an empty body), and next to the other
//! routes' rejections that refusal surfaced as a puzzling 405. Here a declared length over
//! the cap is refused before anything is read, and an undeclared one is read only up to the
//! cap, so a sender without the header gets the same answers as one with it.

use bytes::{Buf, BytesMut};
use futures_util::{Stream, StreamExt};
use warp::Filter;
use warp::hyper::body::Bytes;

/// The body was (or declared itself) larger than the cap: answered 413.
#[derive(Debug)]
pub struct TooLarge;

impl warp::reject::Reject for TooLarge {}

/// The body could not be read off the connection: answered 400.
#[derive(Debug)]
pub struct Unreadable;

impl warp::reject::Reject for Unreadable {}

/// The whole request body, at most `max` bytes.
pub fn within(max: u64) -> impl Filter<Extract = (Bytes,), Error = warp::Rejection> + Clone {
    warp::header::optional::<u64>("content-length")
        .and(warp::body::stream())
        .and_then(move |declared: Option<u64>, stream| collect(declared, stream, max))
}

async fn collect<S, B>(declared: Option<u64>, stream: S, max: u64) -> Result<Bytes, warp::Rejection>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    if declared.is_some_and(|n| n > max) {
        return Err(warp::reject::custom(TooLarge));
    }
    let cap = usize::try_from(max).unwrap_or(usize::MAX);
    let mut stream = Box::pin(stream);
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|_| warp::reject::custom(Unreadable))?;
        if body.len().saturating_add(chunk.remaining()) > cap {
            return Err(warp::reject::custom(TooLarge));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            let n = part.len();
            body.extend_from_slice(part);
            chunk.advance(n);
        }
    }
    Ok(body.freeze())
}
