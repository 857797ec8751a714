//! `arca server`.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use anyhow::Context;
use arca_server::{Config, Server, config::LogFormat};
use clap::Args;

/// Flags of `arca server`; they override the config file and the environment.
#[derive(Args)]
pub struct ServerArgs {
    /// TOML configuration file (see arca.sample.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Embedded defaults: SQLite and a file seal in the data directory, region us-east-1.
    /// With --config, the file's settings go over these defaults.
    #[arg(long)]
    dev: bool,
    /// Data directory [default: ./arca-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Listen address [default: 127.0.0.1:7070].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Log format: text or json.
    #[arg(long)]
    log_format: Option<String>,
    /// KMS seed file (local-kms's YAML format), applied at start: the keys and aliases it
    /// names are made unless they exist (the same as `[kms] seed_file`).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// TESTS ONLY: start with the clock this many seconds ahead and allow the admin
    /// AdvanceClock call, so that deletion and rotation jobs run for real in tests.
    #[arg(long, value_name = "SECONDS")]
    danger_clock_offset: Option<i64>,
}

pub fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    // The embedded defaults are what `--dev` names: dev defaults first, then the file,
    // then the environment and the flags.
    let _ = args.dev;
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(dir) = args.data_dir {
        config.server.data_dir = dir;
    }
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    if let Some(format) = args.log_format {
        config.log.format = match format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => anyhow::bail!("--log-format must be text or json, not {other}"),
        };
    }
    if let Some(seed) = args.seed {
        arca_server::services::set_kms_seed_file(&mut config, seed);
    }
    if let Some(offset) = args.danger_clock_offset {
        config.server.danger_clock_offset_seconds = Some(offset);
    }
    init_logging(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let server = Server::start(config.clone()).await.context("arca server could not start")?;
        let address = server.local_addr().map(|a| a.to_string()).unwrap_or_default();
        println!("arca server listening on {address} ({})", config.endpoint_url());
        println!("credentials: {}", server.credentials_path.display());
        println!("config:      {}", server.config_path.display());
        println!(
            "try: AWS_CONFIG_FILE={} AWS_SHARED_CREDENTIALS_FILE={} aws kms list-keys",
            server.config_path.display(),
            server.credentials_path.display()
        );
        server.run_until(shutdown_signal()).await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
