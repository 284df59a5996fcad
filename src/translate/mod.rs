//! From one wire format to another: detect, decode, apply the target side's conventions,
//! encode. This is what `ostatus-bridge translate` runs, and what the server will call.

mod cross;
pub mod html;
pub mod ids;
mod to_ap;
mod to_legacy;
pub mod walk;

use url::Url;

use crate::codec::{self, DecodeError, Format, Limits};
use crate::model::Document;

pub use ids::IdMinter;

/// What the conventions need to know.
#[derive(Debug, Clone)]
pub struct Context {
    /// Mints https ids for legacy ids under the bridge's base URL.
    pub minter: IdMinter,
    /// Sanitise HTML written to ActivityPub.
    pub sanitize: bool,
    /// Legacy accounts that have puppets: on the way to AP they are their puppets.
    pub puppets: PuppetMap,
}

impl Context {
    /// A context with no puppets (the `translate` command).
    pub fn new(minter: IdMinter, sanitize: bool) -> Context {
        Context {
            minter,
            sanitize,
            puppets: PuppetMap::default(),
        }
    }
}

/// Legacy actor ids (profile URI, `acct:`, aliases) → the puppet that stands for them, so a
/// bridged post is by the puppet, addressed to the puppet's followers.
#[derive(Debug, Clone, Default)]
pub struct PuppetMap {
    by_legacy: std::collections::HashMap<String, PuppetRef>,
}

/// A puppet as the translation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PuppetRef {
    /// The puppet's actor id.
    pub id: String,
    /// Its followers collection.
    pub followers: String,
}

impl PuppetMap {
    /// Maps every id in `legacy_ids` to `puppet`.
    pub fn insert<'a>(&mut self, legacy_ids: impl IntoIterator<Item = &'a str>, puppet: PuppetRef) {
        for id in legacy_ids {
            self.by_legacy.insert(id.to_string(), puppet.clone());
        }
    }

    /// The puppet for a legacy actor id.
    pub fn get(&self, legacy_id: &str) -> Option<&PuppetRef> {
        self.by_legacy.get(legacy_id)
    }

    /// The followers collection of a puppet, by the puppet's id.
    pub fn followers_of(&self, puppet_id: &str) -> Option<&str> {
        self.by_legacy
            .values()
            .find(|p| p.id == puppet_id)
            .map(|p| p.followers.as_str())
    }
}

/// How to translate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Input format; detected when `None`.
    pub from: Option<Format>,
    /// Output format.
    pub to: Format,
    /// Base URL for minted ids.
    pub base_url: Url,
    /// Decoder limits.
    pub limits: Limits,
    /// Sanitise HTML written to ActivityPub.
    pub sanitize: bool,
}

/// Why a translation failed.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    /// The input could not be decoded.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// The output format is read-only.
    #[error("cannot write {0}: it is an input-only format")]
    ReadOnly(Format),
}

/// True for the formats of the legacy side.
fn is_legacy(f: Format) -> bool {
    matches!(f, Format::Atom | Format::Pump | Format::Feed)
}

/// Applies the target side's conventions to a decoded document.
pub fn prepare(doc: &mut Document, from: Format, to: Format, ctx: &Context) {
    let to_ap = is_legacy(from) && to == Format::As2;
    let to_legacy = from == Format::As2 && is_legacy(to);
    for a in doc.activities_mut() {
        if to_ap {
            to_ap::prepare(a, from, ctx);
        } else if to_legacy {
            to_legacy::prepare(a, to, ctx);
        }
    }
    if let Document::Feed(feed) = doc {
        if to_ap && from == Format::Pump {
            cross::pump_feed_to_ap(feed);
        } else if to_legacy && to == Format::Pump {
            cross::as2_feed_to_pump(feed);
        }
    }
}

/// Decodes `input`, applies conventions and encodes it; returns the input format and output.
pub fn translate(input: &[u8], opts: &Options) -> Result<(Format, String), TranslateError> {
    if !opts.to.can_encode() {
        return Err(TranslateError::ReadOnly(opts.to));
    }
    if input.len() > opts.limits.max_bytes {
        return Err(DecodeError::TooLarge {
            size: input.len(),
            limit: opts.limits.max_bytes,
        }
        .into());
    }
    let from = match opts.from {
        Some(f) => f,
        None => codec::detect(input)?,
    };
    let mut doc = codec::decode(from, input, &opts.limits)?;
    let ctx = Context::new(IdMinter::new(&opts.base_url), opts.sanitize);
    prepare(&mut doc, from, opts.to, &ctx);
    let out = codec::encode(opts.to, &doc).ok_or(TranslateError::ReadOnly(opts.to))?;
    Ok((from, out))
}
