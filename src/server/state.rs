//! What every request handler needs, in one cheap-to-clone value: the configuration, the
//! store, the guarded outbound client, the counters and the URL scheme. `cli serve`, the
//! `lookup` subcommand and the tests all build it the same way, with [`App::new`].

use std::sync::Arc;

use crate::codec::Limits;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::net::{FetchLimits, Fetcher, NetPolicy};
use crate::puppet::BridgeUrls;
use crate::store::Store;

/// Why the state could not be built (bad configuration, no HTTP client).
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// `server.public_url` does not parse (config validation should have caught it).
    #[error("server.public_url: {0}")]
    PublicUrl(#[from] url::ParseError),
    /// The outbound client could not be built (TLS roots, resolver).
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The server's shared state. Every field is behind an `Arc` (the store and the fetcher are
/// handles themselves), so cloning it per request costs a few reference counts.
#[derive(Clone)]
pub struct App {
    /// The configuration the bridge started with.
    pub config: Arc<Config>,
    /// The persistent state.
    pub store: Store,
    /// The one outbound client, applying `[security]` to every request.
    pub fetcher: Fetcher,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The URL scheme of puppets under `server.public_url`.
    pub urls: Arc<BridgeUrls>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("public_url", &self.urls.base())
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The state for `config` over an opened `store`, with a Fetcher built from `[security]`.
    pub fn new(config: Config, store: Store) -> Result<App, StateError> {
        let fetcher = Fetcher::new(
            NetPolicy::from_config(&config.security),
            FetchLimits::default(),
        )?;
        App::with_fetcher(config, store, fetcher)
    }

    /// Like [`App::new`] with a caller's Fetcher (tests shorten its timeouts).
    pub fn with_fetcher(config: Config, store: Store, fetcher: Fetcher) -> Result<App, StateError> {
        let public_url = url::Url::parse(&config.server.public_url)?;
        Ok(App {
            urls: Arc::new(BridgeUrls::new(&public_url)),
            config: Arc::new(config),
            store,
            fetcher,
            metrics: Arc::new(Metrics::default()),
        })
    }

    /// Decoder limits for documents peers send or serve (`[translate]`).
    pub fn limits(&self) -> Limits {
        self.config.translate.limits()
    }
}
