//! `bridge.toml`: typed, with every default usable out of the box, overridable by
//! environment variables (`OSTATUS_BRIDGE_<SECTION>_<KEY>`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::codec::Limits;

/// The shipped `bridge.toml`, embedded so the binary runs with no file at all.
pub const DEFAULT_TOML: &str = include_str!("../bridge.toml");

/// Prefix of the environment variables that override keys.
pub const ENV_PREFIX: &str = "OSTATUS_BRIDGE_";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or a key has the wrong type.
    #[error("{origin}: {source}")]
    Parse {
        /// File name or "environment".
        origin: String,
        /// The TOML error.
        source: toml::de::Error,
    },
    /// A value is out of range.
    #[error("{key}: {reason}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[store]`.
    pub store: StoreConfig,
    /// `[security]`.
    pub security: SecurityConfig,
    /// `[delivery]`.
    pub delivery: DeliveryConfig,
    /// `[poll]`.
    pub poll: PollConfig,
    /// `[translate]`.
    pub translate: TranslateConfig,
    /// `[limits]`.
    pub limits: LimitsConfig,
    /// `[bridge]`.
    pub bridge: BridgeConfig,
    /// `[websub]`.
    pub websub: WebsubConfig,
    /// `[subscriber]`.
    pub subscriber: SubscriberConfig,
}

/// `[bridge]`: what the two-way bridge may carry across.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BridgeConfig {
    /// Send non-public AP posts to legacy accounts by Salmon (GNU social ignores
    /// `mastodon:scope`, so this is off unless the operator accepts the risk).
    pub allow_direct_salmon: bool,
}

/// `[server]`: where the bridge listens and how peers reach it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address.
    pub listen: String,
    /// Public base URL; every minted id lives under it.
    pub public_url: String,
}

/// `[store]`: the sled database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Database folder.
    pub path: PathBuf,
    /// Cache size in MiB.
    pub cache_mb: u64,
}

/// Host list policy.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HostMode {
    /// Every host except the listed ones.
    Denylist,
    /// Only the listed hosts.
    Allowlist,
}

/// `[security]`: what the bridge talks to and accepts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Allow private / loopback addresses for outbound requests.
    pub allow_private_networks: bool,
    /// Allow plain http peers.
    pub allow_http: bool,
    /// Host list policy.
    pub mode: HostMode,
    /// Hosts for the policy.
    pub hosts: Vec<String>,
    /// Largest accepted request body.
    pub max_body_bytes: u64,
}

/// `[delivery]`: the outbound queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Retry window in hours.
    pub max_age_hours: u64,
    /// Concurrent deliveries per host.
    pub per_host_concurrency: u32,
    /// Concurrent deliveries in all.
    pub concurrency: u32,
    /// First retry delay in seconds; each further failure doubles it.
    pub retry_base_seconds: u64,
    /// Longest retry delay in seconds.
    pub retry_max_seconds: u64,
    /// Failures in a row after which a host is paused.
    pub breaker_failures: u32,
    /// How long a failing host is paused, in seconds.
    pub breaker_pause_seconds: u64,
}

/// `[poll]`: feeds without a hub.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PollConfig {
    /// Most feed entries looked at per poll.
    pub max_entries: usize,
    /// Poll interval in seconds.
    pub interval_seconds: u64,
}

/// `[subscriber]`: the bridge's WebSub subscriptions to legacy feeds that have a hub (pushes
/// replace polling for them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubscriberConfig {
    /// Subscribe at all (false: every legacy feed is polled).
    pub enabled: bool,
    /// The `hub.lease_seconds` asked for.
    pub lease_seconds: u64,
    /// Renew this long before the lease ends.
    pub renew_before_seconds: u64,
    /// How often subscriptions are checked for renewal and retries.
    pub check_interval_seconds: u64,
    /// A request the hub accepted but never verified is sent again after this long.
    pub pending_timeout_seconds: u64,
    /// Send `hub.secret` to plain-http hubs too (anyone on the path can read it there).
    pub secret_over_http: bool,
}

/// `[limits]`: caps on what strangers can make the bridge remember, so one puppet or one
/// remote server cannot fill the store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Most followers one puppet accepts; further Follows are refused with 403.
    pub max_followers_per_puppet: u64,
    /// Most follows (over all puppets) accepted from one remote host; further ones get 429.
    pub max_follows_per_host: u64,
}

/// `[websub]`: the bridge's WebSub hub for puppet feeds (`<public_url>/hub`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebsubConfig {
    /// Lease granted when a subscriber asks for none (or sends an empty `hub.lease_seconds`),
    /// in seconds; every lease is clamped to 1–30 days.
    pub hub_default_lease_seconds: u64,
    /// Most subscriptions (pending or verified, over all puppets) whose callbacks are on one
    /// host; a subscribe beyond it is answered 429.
    pub hub_max_subscriptions_per_callback_host: u64,
    /// The `X-Hub-Signature` algorithm when a subscriber does not ask for one with the
    /// `hub.signature_algo` parameter: `sha1` (what every OStatus peer checks), `sha256`,
    /// `sha384` or `sha512`.
    pub hub_signature_algorithm: String,
}

/// `[translate]`: decoder limits and output policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TranslateConfig {
    /// Largest input in bytes.
    pub max_input_bytes: usize,
    /// Deepest nesting.
    pub max_depth: usize,
    /// Most attributes per XML element.
    pub max_attributes: usize,
    /// Sanitise HTML written to ActivityPub.
    pub sanitize_html: bool,
}

impl TranslateConfig {
    /// The decoder limits these settings describe.
    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.max_input_bytes,
            max_depth: self.max_depth,
            max_attributes: self.max_attributes,
        }
    }
}

impl Config {
    /// The embedded defaults with environment overrides applied.
    pub fn load_default() -> Result<Config, ConfigError> {
        Self::from_layers(None, |k| std::env::var(k).ok())
    }

    /// Defaults, then `path` (if given), then the environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let file = match path {
            Some(p) => Some((
                p.display().to_string(),
                std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_path_buf(),
                    source,
                })?,
            )),
            None => None,
        };
        Self::from_layers(file, |k| std::env::var(k).ok())
    }

    /// Layers a file's text over the defaults, then variables from `env` over both.
    pub fn from_layers(
        file: Option<(String, String)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut merged = parse_table("embedded bridge.toml", DEFAULT_TOML)?;
        if let Some((origin, text)) = file {
            let overlay = parse_table(&origin, &text)?;
            for (section, values) in overlay {
                match (merged.get_mut(&section), values) {
                    (Some(toml::Value::Table(base)), toml::Value::Table(over)) => {
                        base.extend(over);
                    }
                    (_, v) => {
                        merged.insert(section, v);
                    }
                }
            }
        }
        for (section, values) in merged.iter_mut() {
            if let toml::Value::Table(table) = values {
                for (key, value) in table.iter_mut() {
                    let var = format!(
                        "{ENV_PREFIX}{}_{}",
                        section.to_ascii_uppercase(),
                        key.to_ascii_uppercase()
                    );
                    if let Some(raw) = env(&var) {
                        *value = parse_env_value(&raw);
                    }
                }
            }
        }
        let config: Config =
            toml::Value::Table(merged)
                .try_into()
                .map_err(|source| ConfigError::Parse {
                    origin: "configuration".into(),
                    source,
                })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        url::Url::parse(&self.server.public_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| ConfigError::Invalid {
                key: "server.public_url",
                reason: format!("{:?} is not an http(s) URL", self.server.public_url),
            })?;
        if crate::websub::HmacAlgo::from_name(&self.websub.hub_signature_algorithm).is_none() {
            return Err(ConfigError::Invalid {
                key: "websub.hub_signature_algorithm",
                reason: format!(
                    "{:?} is not sha1, sha256, sha384 or sha512",
                    self.websub.hub_signature_algorithm
                ),
            });
        }
        if self.translate.max_depth == 0 || self.translate.max_input_bytes == 0 {
            return Err(ConfigError::Invalid {
                key: "translate",
                reason: "limits must be positive".into(),
            });
        }
        Ok(())
    }
}

fn parse_table(origin: &str, text: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|source| ConfigError::Parse {
            origin: origin.to_string(),
            source,
        })
}

/// An environment value as TOML when it parses as one, else as a plain string.
fn parse_env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_is_the_default() {
        let c = Config::from_layers(None, |_| None).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.translate.max_input_bytes, 16 * 1024 * 1024);
        assert_eq!(c.security.mode, HostMode::Denylist);
        assert!(!c.security.allow_private_networks);
        assert_eq!(c.limits.max_followers_per_puppet, 100_000);
        assert_eq!(c.limits.max_follows_per_host, 100_000);
        assert_eq!(c.websub.hub_default_lease_seconds, 3 * 86_400);
        assert_eq!(c.websub.hub_max_subscriptions_per_callback_host, 10_000);
        assert_eq!(c.websub.hub_signature_algorithm, "sha1");
    }

    #[test]
    fn file_then_environment_override() {
        let file = Some((
            "test.toml".to_string(),
            "[server]\npublic_url = \"https://bridge.example\"\n".to_string(),
        ));
        let c = Config::from_layers(file, |k| match k {
            "OSTATUS_BRIDGE_SERVER_LISTEN" => Some("0.0.0.0:9000".into()),
            "OSTATUS_BRIDGE_SECURITY_HOSTS" => Some("[\"a.example\"]".into()),
            "OSTATUS_BRIDGE_POLL_INTERVAL_SECONDS" => Some("60".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.server.public_url, "https://bridge.example");
        assert_eq!(c.server.listen, "0.0.0.0:9000");
        assert_eq!(c.security.hosts, vec!["a.example".to_string()]);
        assert_eq!(c.poll.interval_seconds, 60);
        // Untouched keys keep their defaults.
        assert_eq!(c.store.cache_mb, 64);
    }

    #[test]
    fn bad_values_are_reported_with_their_key() {
        let file = Some((
            "x.toml".to_string(),
            "[poll]\ninterval_seconds = \"soon\"\n".into(),
        ));
        let e = Config::from_layers(file, |_| None).unwrap_err().to_string();
        assert!(e.contains("interval_seconds"), "{e}");
        let file = Some((
            "x.toml".to_string(),
            "[server]\npublic_url = \"ftp://x\"\n".into(),
        ));
        let e = Config::from_layers(file, |_| None).unwrap_err().to_string();
        assert!(e.contains("server.public_url"), "{e}");
        let file = Some(("x.toml".to_string(), "[server]\nlisen = \"x\"\n".into()));
        let e = Config::from_layers(file, |_| None).unwrap_err().to_string();
        assert!(e.contains("lisen"), "{e}");
    }
}
