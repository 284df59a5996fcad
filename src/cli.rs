//! The command line: `serve`, `translate` and `lookup`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::codec::{DecodeError, Format, Location};
use crate::config::Config;
use crate::server::App;
use crate::store::Store;
use crate::translate::{self, TranslateError};

/// ostatus-bridge: a gateway between OStatus / Pump.io and ActivityPub.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Configuration file (defaults to the embedded bridge.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bridge's HTTP server until SIGINT or SIGTERM.
    Serve,
    /// Translate a document between Atom, Pump.io JSON, AS2 and plain feeds.
    Translate(TranslateArgs),
    /// Find a legacy account and make its puppet (as `GET /api/lookup` does); prints JSON.
    Lookup(LookupArgs),
}

/// Arguments of `lookup`.
#[derive(Debug, clap::Args)]
pub struct LookupArgs {
    /// The account: `user@host`, `acct:user@host`, or a profile or feed URL.
    pub address: String,
}

/// Arguments of `translate`.
#[derive(Debug, clap::Args)]
pub struct TranslateArgs {
    /// Input format: atom, pump, as2 or feed (detected when omitted).
    #[arg(long)]
    pub from: Option<Format>,
    /// Output format: atom, pump or as2.
    #[arg(long)]
    pub to: Format,
    /// Base URL for the https ids minted for legacy ids (default: server.public_url).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<url::Url>,
    /// Keep HTML as it is instead of sanitising it for ActivityPub.
    #[arg(long)]
    pub no_sanitize: bool,
    /// Input file, or `-` for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Serve => serve(config),
        Command::Translate(args) => run_translate(&config, args),
        Command::Lookup(args) => run_lookup(config, &args),
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            None
        }
    }
}

/// Opens the store `[store]` names and builds the server state over it.
async fn open_app(config: Config) -> Result<App, String> {
    let store = Store::open(&config.store)
        .await
        .map_err(|e| format!("store {}: {e}", config.store.path.display()))?;
    App::new(config, store).map_err(|e| e.to_string())
}

fn serve(config: Config) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&config.server.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on {}: {e}", config.server.listen);
                return ExitCode::FAILURE;
            }
        };
        let app = match open_app(config).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let bridge = tokio::spawn(crate::server::serve(listener, app.clone(), async move {
            let _ = stop_rx.await;
        }));
        shutdown_signal().await;
        let _ = stop_tx.send(());
        let mut code = ExitCode::SUCCESS;
        match bridge.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                eprintln!("{e}");
                code = ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("a task failed during shutdown: {e}");
                code = ExitCode::FAILURE;
            }
        }
        if let Err(e) = app.store.flush().await {
            eprintln!("store flush at shutdown failed: {e}");
            return ExitCode::FAILURE;
        }
        tracing::info!("store flushed");
        code
    })
}

fn run_lookup(config: Config, args: &LookupArgs) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    runtime.block_on(async move {
        let app = match open_app(config).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        let result = crate::server::ensure_puppet(&app, &args.address).await;
        let _ = app.store.flush().await;
        match result {
            Ok(view) => {
                let text = serde_json::to_string_pretty(&view.to_json()).unwrap_or_default();
                let mut stdout = std::io::stdout().lock();
                if writeln!(stdout, "{text}").is_err() {
                    return ExitCode::from(3);
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", args.address);
                ExitCode::FAILURE
            }
        }
    })
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}

/// Reads at most `limit + 1` bytes, so an oversized input is detected without reading it all.
fn read_bounded(name: &str, limit: usize) -> std::io::Result<Vec<u8>> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut buf = Vec::new();
    if name == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut buf)?;
    } else {
        std::fs::File::open(name)?.take(cap).read_to_end(&mut buf)?;
    }
    Ok(buf)
}

/// `FILE:LINE:COL: message` for XML positions, `FILE: message` otherwise.
pub fn format_error(name: &str, e: &DecodeError) -> String {
    let shown = if name == "-" { "<stdin>" } else { name };
    match e.location() {
        Some(Location::LineCol { .. }) => format!("{shown}:{e}"),
        _ => format!("{shown}: {e}"),
    }
}

fn run_translate(config: &Config, args: TranslateArgs) -> ExitCode {
    let limits = config.translate.limits();
    let input = match read_bounded(&args.input, limits.max_bytes) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", args.input);
            return ExitCode::from(3);
        }
    };
    let base_url = match args.base_url {
        Some(u) => u,
        None => match url::Url::parse(&config.server.public_url) {
            Ok(u) => u,
            Err(e) => {
                eprintln!("server.public_url: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let opts = translate::Options {
        from: args.from,
        to: args.to,
        base_url,
        limits,
        sanitize: config.translate.sanitize_html && !args.no_sanitize,
    };
    match translate::translate(&input, &opts) {
        Ok((_, out)) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.write_all(b"\n"))
                .is_err()
            {
                return ExitCode::from(3);
            }
            ExitCode::SUCCESS
        }
        Err(TranslateError::Decode(e)) => {
            eprintln!("{}", format_error(&args.input, &e));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
