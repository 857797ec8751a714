//! One run of a benchmark: the shared flags, the three servers (each started, handed to
//! the benchmark's own code as a [`Target`], then stopped) and the measurement of one
//! row.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arca_crypto::SecretBytes;

use crate::call::{Credentials, SignedCall};
use crate::load::{self, LoadReport, LoadShape};
use crate::targets::{self, ServerProcess, cpu_time};

/// The flags every benchmark has: which servers, how wide, how long.
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// The arca binary to start (a release build).
    #[arg(long, default_value = "target/release/arca")]
    pub arca_bin: PathBuf,
    /// Use a running arca server at this URL instead of starting one
    /// (needs --arca-credentials).
    #[arg(long, requires = "arca_credentials")]
    pub arca_endpoint: Option<String>,
    /// The AWS shared credentials file of the running server (its `[default]` profile).
    #[arg(long)]
    pub arca_credentials: Option<PathBuf>,
    /// moto's server; by default `.venv/bin/moto_server`, else `moto_server` on PATH.
    #[arg(long)]
    pub moto_bin: Option<PathBuf>,
    /// Leave moto out of the run.
    #[arg(long)]
    pub no_moto: bool,
    /// Concurrent keep-alive connections (the benchmark is specified for 16 to 64).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub connections: u16,
    /// Measured seconds per target and operation.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Warm-up seconds before each measurement (not counted).
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// A quick check that everything works: 1 s, 4 connections, 0.2 s warm-up.
    #[arg(long)]
    pub smoke: bool,
    /// Distinct pre-signed requests per operation, replayed round robin.
    #[arg(long, default_value_t = 256)]
    pub pool: usize,
    /// The signing region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// How the started server makes audit records durable: fsync (the default, as in
    /// production) or flush.
    #[arg(long, default_value = "fsync", value_parser = ["fsync", "flush"])]
    pub audit_durability: String,
    /// Pass this shell's ARCA_* variables to the started server. Without it they are
    /// removed, so that a stray ARCA_AUDIT_DURABILITY or ARCA_STORE_URL cannot change
    /// what is measured.
    #[arg(long)]
    pub inherit_arca_env: bool,
}

impl Settings {
    /// The load's shape: the flags', or the smoke test's (1 s, 0.2 s warm-up, 4
    /// connections) under `--smoke`.
    pub fn shape(&self) -> LoadShape {
        let (connections, warmup, duration) = if self.smoke {
            (4, 0.2, 1.0)
        } else {
            (usize::from(self.connections), self.warmup, self.duration)
        };
        LoadShape {
            connections,
            warmup: Duration::from_secs_f64(warmup),
            duration: Duration::from_secs_f64(duration),
        }
    }

    /// Prints the run's first lines: its shape and how requests are made.
    pub fn print_preamble(&self, bench: &str, cores: usize) {
        let shape = self.shape();
        println!(
            "{bench}: {} connections, {:.1} s warm-up + {:.1} s measured per row, {cores} cores",
            shape.connections,
            shape.warmup.as_secs_f64(),
            shape.duration.as_secs_f64()
        );
        println!(
            "requests are SigV4-signed before the load (a pool of {} per operation) and replayed; \
             every answer must be HTTP 200",
            self.pool
        );
    }
}

/// The hidden subcommand a benchmark binary answers so that [`with_echo`] can start it
/// as the echo server (`serve-echo --listen ADDRESS`).
#[derive(Debug, clap::Subcommand)]
pub enum Internal {
    /// Runs the echo server (the benchmark starts it in a child process).
    #[command(hide = true)]
    ServeEcho {
        /// Where to listen.
        #[arg(long)]
        listen: SocketAddr,
    },
}

/// A server under load, as the benchmark's code sees it.
#[derive(Debug)]
pub struct Target {
    /// `arca`, `moto` or `echo`.
    pub name: &'static str,
    /// Where it listens.
    pub address: SocketAddr,
    /// The `host` header to sign.
    pub host: String,
    /// Its process, whose CPU time the rows count; `None` for a server this run did
    /// not start.
    pub pid: Option<u32>,
    /// The keys to sign with.
    pub credentials: Credentials,
}

impl Target {
    fn started(server: &ServerProcess, credentials: Credentials) -> Self {
        Target {
            name: server.name,
            address: server.address,
            host: server.address.to_string(),
            pid: server.pid(),
            credentials,
        }
    }
}

/// Starts `arca server --dev` with a fresh data dir (or takes `--arca-endpoint`), runs
/// `work` against it and stops it. `bench` names the scratch directory; a failed run's
/// data dir and log are kept.
pub async fn with_arca<T>(
    settings: &Settings,
    bench: &str,
    work: impl AsyncFnOnce(&Target) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    if let Some(endpoint) = &settings.arca_endpoint {
        let (address, host) = parse_endpoint(endpoint)?;
        let credentials_file = settings.arca_credentials.as_ref().context("--arca-credentials")?;
        let credentials = targets::read_credentials(credentials_file, &settings.region)?;
        println!("arca: using the server at {endpoint} (its CPU is not measured)");
        return work(&Target { name: "arca", address, host, pid: None, credentials }).await;
    }
    let scratch = targets::scratch_dir(bench, "arca")?;
    let data_dir = scratch.join("data");
    std::fs::create_dir_all(&data_dir)?;
    let environment =
        targets::arca_environment(&settings.audit_durability, settings.inherit_arca_env);
    let durability = environment
        .iter()
        .find(|(name, _)| name == "ARCA_AUDIT_DURABILITY")
        .map_or("fsync", |(_, value)| value.as_str());
    let server = targets::start_arca(&settings.arca_bin, &data_dir, &environment).await?;
    println!(
        "arca: {} server --dev at {} (data dir {}, audit on, audit durability: {durability}, ARCA_* from this shell: {})",
        settings.arca_bin.display(),
        server.address,
        data_dir.display(),
        if settings.inherit_arca_env { "passed" } else { "removed" }
    );
    let credentials = targets::read_credentials(&data_dir.join("credentials"), &settings.region)?;
    let outcome = work(&Target::started(&server, credentials)).await;
    server.stop().await?;
    if outcome.is_ok() {
        // Keep the data dir and log of a failed run for a look; drop a good one.
        let _ = std::fs::remove_dir_all(&scratch);
    } else {
        println!("arca: data dir and log kept in {}", scratch.display());
    }
    outcome
}

/// Starts moto's server, runs `work` against it and stops it; `None` (after saying so)
/// under `--no-moto`.
pub async fn with_moto<T>(
    settings: &Settings,
    bench: &str,
    work: impl AsyncFnOnce(&Target) -> anyhow::Result<T>,
) -> anyhow::Result<Option<T>> {
    if settings.no_moto {
        println!("moto: left out (--no-moto)");
        return Ok(None);
    }
    let moto_bin = match &settings.moto_bin {
        Some(path) => path.clone(),
        None => {
            let venv = PathBuf::from(".venv/bin/moto_server");
            if venv.exists() { venv } else { PathBuf::from("moto_server") }
        }
    };
    let scratch = targets::scratch_dir(bench, "moto")?;
    let server = targets::start_moto(&moto_bin, &scratch.join("moto.log")).await?;
    println!("moto: {} at {}", moto_bin.display(), server.address);
    // moto accepts any credentials.
    let credentials = Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_access_key: SecretBytes::new(b"moto-accepts-any-secret".to_vec()),
        region: settings.region.clone(),
    };
    let outcome = work(&Target::started(&server, credentials)).await;
    server.stop().await?;
    let _ = std::fs::remove_dir_all(&scratch);
    outcome.map(Some)
}

/// Starts the echo server (this binary, see [`Internal`]), runs `work` against it and
/// stops it.
pub async fn with_echo<T>(
    settings: &Settings,
    work: impl AsyncFnOnce(&Target) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let server = targets::start_echo().await?;
    println!(
        "echo: bare hyper HTTP/1.1 server at {} (answers 200 with a small JSON body)",
        server.address
    );
    let credentials = Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_access_key: SecretBytes::new(b"echo-checks-nothing".to_vec()),
        region: settings.region.clone(),
    };
    let outcome = work(&Target::started(&server, credentials)).await;
    server.stop().await?;
    outcome
}

/// What one row measured: the load's report and the cores each side used.
#[derive(Debug)]
pub struct Measured {
    /// Throughput, latencies and errors.
    pub report: LoadReport,
    /// Cores the server used on average over warm-up and measurement (`None` when its
    /// process is not ours).
    pub server_cores: Option<f64>,
    /// Cores this load generator used over the same time.
    pub client_cores: Option<f64>,
}

/// Replays `calls` against `target` in `shape`, counting both sides' CPU, and prints a
/// progress line labelled `operation`.
pub async fn measure(
    target: &Target,
    operation: &str,
    calls: Vec<SignedCall>,
    shape: LoadShape,
) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let server_cpu_before = target.pid.and_then(|pid| cpu_time(Some(pid)));
    let client_cpu_before = cpu_time(None);
    let report = load::run(target.address, Arc::new(calls), shape).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let cores = |before: Option<Duration>, after: Option<Duration>| match (before, after) {
        (Some(before), Some(after)) => Some((after - before).as_secs_f64() / elapsed),
        _ => None,
    };
    let server_cores = cores(server_cpu_before, target.pid.and_then(|pid| cpu_time(Some(pid))));
    let client_cores = cores(client_cpu_before, cpu_time(None));
    println!(
        "{:>5} {operation:<16} {:>9.0} req/s  ({} errors)",
        target.name,
        report.throughput(),
        report.errors
    );
    if let Some(error) = &report.first_error {
        println!("      first error: {error}");
    }
    Ok(Measured { report, server_cores, client_cores })
}

/// The socket address and `host` header of an `http://HOST:PORT` endpoint.
fn parse_endpoint(endpoint: &str) -> anyhow::Result<(SocketAddr, String)> {
    let authority = endpoint
        .strip_prefix("http://")
        .context("--arca-endpoint must be an http:// URL")?
        .trim_end_matches('/');
    let address = authority
        .to_socket_addrs()?
        .next()
        .with_context(|| format!("{authority} does not resolve"))?;
    Ok((address, authority.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_http_endpoint() {
        let (address, host) = parse_endpoint("http://127.0.0.1:4566/").expect("parsed");
        assert_eq!(address, "127.0.0.1:4566".parse().expect("an address"));
        assert_eq!(host, "127.0.0.1:4566");
        assert!(parse_endpoint("https://127.0.0.1:4566").is_err());
    }

    #[test]
    fn smoke_overrides_the_shape() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Args {
            #[command(flatten)]
            settings: Settings,
        }
        let settings = Args::parse_from(["bench", "--smoke", "--connections", "64"]).settings;
        let shape = settings.shape();
        assert_eq!(shape.connections, 4);
        assert_eq!(shape.duration, Duration::from_secs(1));
        let settings = Args::parse_from(["bench", "--duration", "5"]).settings;
        assert_eq!(settings.shape().connections, 32);
        assert_eq!(settings.shape().duration, Duration::from_secs(5));
    }
}
