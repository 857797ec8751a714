//! `arca-bench-kms`: KMS throughput and latency against arca, moto's server and a bare
//! echo server, in one run: Encrypt (1 KiB) and GenerateDataKey (AES_256), Sign and
//! Verify (ECC_NIST_P256, RSA_2048, ML_DSA_65) and GenerateMac (HMAC_256), with the
//! in-process rate of the same primitives in aws-lc alone beside them.
//!
//! Requests are SigV4-signed with `arca-sigv4` once, before the load starts, and then
//! replayed from a pool (a SigV4 signature stays valid for minutes), so the load loop
//! only sends bytes and reads answers. Each connection is keep-alive HTTP/1.1 with one
//! request in flight (a closed loop); every answer must be 200 or it counts as an error.
//! See `README.md`.

mod calls;
mod echo;
mod load;
mod primitive;
mod targets;

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::calls::{Credentials, Operation, Pair, SignedCall};
use crate::load::{LoadReport, LoadShape};
use crate::targets::{ServerProcess, cpu_time};

/// KMS Encrypt and GenerateDataKey load against arca, moto and an echo ceiling.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The arca binary to start (a release build).
    #[arg(long, default_value = "target/release/arca")]
    arca_bin: PathBuf,
    /// Use a running arca server at this URL instead of starting one
    /// (needs --arca-credentials).
    #[arg(long, requires = "arca_credentials")]
    arca_endpoint: Option<String>,
    /// The AWS shared credentials file of the running server (its `[default]` profile).
    #[arg(long)]
    arca_credentials: Option<PathBuf>,
    /// moto's server; by default `.venv/bin/moto_server`, else `moto_server` on PATH.
    #[arg(long)]
    moto_bin: Option<PathBuf>,
    /// Leave moto out of the run.
    #[arg(long)]
    no_moto: bool,
    /// Concurrent keep-alive connections (the benchmark is specified for 16 to 64).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    connections: u16,
    /// Measured seconds per target and operation.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Warm-up seconds before each measurement (not counted).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// A quick check that everything works: 1 s, 4 connections, 0.2 s warm-up.
    #[arg(long)]
    smoke: bool,
    /// Distinct pre-signed requests per operation, replayed round robin.
    #[arg(long, default_value_t = 256)]
    pool: usize,
    /// The signing region.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// How the started server makes audit records durable: fsync (the default, as in
    /// production) or flush.
    #[arg(long, default_value = "fsync", value_parser = ["fsync", "flush"])]
    audit_durability: String,
    /// Which operations: `symmetric` (Encrypt, GenerateDataKey), `asymmetric` (Sign,
    /// Verify, GenerateMac) or `all`.
    #[arg(long, default_value = "all", value_parser = ["all", "symmetric", "asymmetric"])]
    ops: String,
    /// Pass this shell's ARCA_* variables to the started server. Without it they are
    /// removed, so that a stray ARCA_AUDIT_DURABILITY or ARCA_STORE_URL cannot change
    /// what is measured.
    #[arg(long)]
    inherit_arca_env: bool,
    #[command(subcommand)]
    command: Option<Internal>,
}

#[derive(Debug, Subcommand)]
enum Internal {
    /// Runs the echo server (the benchmark starts it in a child process).
    #[command(hide = true)]
    ServeEcho {
        #[arg(long)]
        listen: SocketAddr,
    },
}

/// One measured row of the table.
struct Row {
    target: &'static str,
    operation: Operation,
    report: LoadReport,
    server_cores: Option<f64>,
    client_cores: Option<f64>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if let Some(Internal::ServeEcho { listen }) = args.command {
        return echo::serve(listen).await;
    }
    if args.smoke {
        args.duration = 1.0;
        args.connections = 4;
        args.warmup = 0.2;
    }
    let shape = LoadShape {
        connections: usize::from(args.connections),
        warmup: Duration::from_secs_f64(args.warmup),
        duration: Duration::from_secs_f64(args.duration),
    };
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "arca-bench-kms: {} connections, {:.1} s warm-up + {:.1} s measured per row, {cores} cores",
        shape.connections, args.warmup, args.duration
    );
    println!(
        "requests are SigV4-signed before the load (a pool of {} per operation) and replayed; \
         every answer must be HTTP 200",
        args.pool
    );
    println!(
        "Encrypt sends a 1 KiB plaintext; GenerateDataKey asks for AES_256; Sign, Verify and \
         GenerateMac carry a 64-byte message (RAW)"
    );
    println!("load average before: {}", load_average());

    let mut rows = Vec::new();
    rows.extend(run_arca(&args, shape).await.context("arca")?);
    if args.no_moto {
        println!("moto: left out (--no-moto)");
    } else {
        rows.extend(run_moto(&args, shape).await.context("moto")?);
    }
    rows.extend(run_echo(&args, shape).await.context("echo")?);
    let primitives = primitive::measure(&operations(&args.ops), cores, shape.duration);
    print_table(&rows, &primitives);
    println!("load average after: {}", load_average());
    let errors: u64 = rows.iter().map(|row| row.report.errors).sum();
    anyhow::ensure!(errors == 0, "{errors} requests failed");
    Ok(())
}

async fn run_arca(args: &Args, shape: LoadShape) -> anyhow::Result<Vec<Row>> {
    if let Some(endpoint) = &args.arca_endpoint {
        let (address, host) = parse_endpoint(endpoint)?;
        let credentials_file = args.arca_credentials.as_ref().context("--arca-credentials")?;
        let credentials = targets::read_credentials(credentials_file, &args.region)?;
        println!("arca: using the server at {endpoint} (its CPU is not measured)");
        return measure_target("arca", address, &host, None, &credentials, args, shape).await;
    }
    let scratch = targets::scratch_dir("arca")?;
    let data_dir = scratch.join("data");
    std::fs::create_dir_all(&data_dir)?;
    let environment = targets::arca_environment(&args.audit_durability, args.inherit_arca_env);
    let durability = environment
        .iter()
        .find(|(name, _)| name == "ARCA_AUDIT_DURABILITY")
        .map_or("fsync", |(_, value)| value.as_str());
    let server = targets::start_arca(&args.arca_bin, &data_dir, &environment).await?;
    println!(
        "arca: {} server --dev at {} (data dir {}, audit on, audit durability: {durability}, ARCA_* from this shell: {})",
        args.arca_bin.display(),
        server.address,
        data_dir.display(),
        if args.inherit_arca_env { "passed" } else { "removed" }
    );
    let credentials = targets::read_credentials(&data_dir.join("credentials"), &args.region)?;
    let host = server.address.to_string();
    let rows =
        measure_target("arca", server.address, &host, Some(&server), &credentials, args, shape)
            .await;
    server.stop().await?;
    if rows.is_ok() {
        // Keep the data dir and log of a failed run for a look; drop a good one.
        let _ = std::fs::remove_dir_all(&scratch);
    } else {
        println!("arca: data dir and log kept in {}", scratch.display());
    }
    rows
}

async fn run_moto(args: &Args, shape: LoadShape) -> anyhow::Result<Vec<Row>> {
    let moto_bin = match &args.moto_bin {
        Some(path) => path.clone(),
        None => {
            let venv = PathBuf::from(".venv/bin/moto_server");
            if venv.exists() { venv } else { PathBuf::from("moto_server") }
        }
    };
    let scratch = targets::scratch_dir("moto")?;
    let server = targets::start_moto(&moto_bin, &scratch.join("moto.log")).await?;
    println!("moto: {} at {}", moto_bin.display(), server.address);
    // moto accepts any credentials.
    let credentials = Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_access_key: arca_crypto::SecretBytes::new(b"moto-accepts-any-secret".to_vec()),
        region: args.region.clone(),
    };
    let host = server.address.to_string();
    let rows =
        measure_target("moto", server.address, &host, Some(&server), &credentials, args, shape)
            .await;
    server.stop().await?;
    let _ = std::fs::remove_dir_all(&scratch);
    rows
}

async fn run_echo(args: &Args, shape: LoadShape) -> anyhow::Result<Vec<Row>> {
    let server = targets::start_echo().await?;
    println!(
        "echo: bare hyper HTTP/1.1 server at {} (answers 200 with a small JSON body)",
        server.address
    );
    let credentials = Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret_access_key: arca_crypto::SecretBytes::new(b"echo-checks-nothing".to_vec()),
        region: args.region.clone(),
    };
    let host = server.address.to_string();
    let mut rows = Vec::new();
    for operation in [Operation::Encrypt, Operation::GenerateDataKey] {
        let calls = SignedCall::pool(&host, operation, "echo", None, &credentials, args.pool)?;
        rows.push(measure(&server_ref(&server), "echo", operation, calls, shape).await?);
    }
    server.stop().await?;
    Ok(rows)
}

/// Creates a key on the target, checks one call of each operation, then measures both.
async fn measure_target(
    target: &'static str,
    address: SocketAddr,
    host: &str,
    server: Option<&ServerProcess>,
    credentials: &Credentials,
    args: &Args,
    shape: LoadShape,
) -> anyhow::Result<Vec<Row>> {
    let mut keys: Vec<(Option<(&str, &str)>, String)> = Vec::new();
    let mut rows = Vec::new();
    for operation in operations(&args.ops) {
        let key_id = match keys.iter().find(|(key, _)| *key == operation.key()) {
            Some((_, key_id)) => key_id.clone(),
            None => {
                let Some(key_id) =
                    create_key(address, host, operation, credentials, target).await?
                else {
                    continue;
                };
                keys.push((operation.key(), key_id.clone()));
                key_id
            }
        };
        let signature = match operation {
            Operation::Verify(pair) => {
                let sign =
                    SignedCall::pool(host, Operation::Sign(pair), &key_id, None, credentials, 1)?;
                let (_, body) = load::call_once(address, sign[0].request()).await?;
                let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                answer["Signature"].as_str().map(str::to_owned)
            }
            _ => None,
        };
        let calls = SignedCall::pool(
            host,
            operation,
            &key_id,
            signature.as_deref(),
            credentials,
            args.pool,
        )?;
        let (status, body) = load::call_once(address, calls[0].request()).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if status != http::StatusCode::OK || answer.get(operation.answer_field()).is_none() {
            let detail =
                format!("{}: HTTP {status}: {}", operation.name(), String::from_utf8_lossy(&body));
            // moto lacks some operations and specs; arca must have them all.
            anyhow::ensure!(target != "arca", "{detail}");
            println!("{target}: {} not offered ({detail})", operation.name());
            continue;
        }
        let server = server.map(server_ref).unwrap_or(ServerRef { pid: None, address });
        rows.push(measure(&server, target, operation, calls, shape).await?);
    }
    Ok(rows)
}

/// Creates the key `operation` needs; `None` (after saying why) when a peer lacks the
/// key spec.
async fn create_key(
    address: SocketAddr,
    host: &str,
    operation: Operation,
    credentials: &Credentials,
    target: &str,
) -> anyhow::Result<Option<String>> {
    let mut request = serde_json::json!({ "Description": "arca-bench-kms" });
    if let Some((spec, usage)) = operation.key() {
        request["KeySpec"] = spec.into();
        request["KeyUsage"] = usage.into();
    }
    let create = SignedCall::sign(host, "CreateKey", &request, credentials)?;
    let (status, body) = load::call_once(address, create.request()).await?;
    let created: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    match created["KeyMetadata"]["KeyId"].as_str() {
        Some(key_id) if status == http::StatusCode::OK => {
            println!(
                "{target}: created key {key_id} ({})",
                operation.key().map_or("SYMMETRIC_DEFAULT", |k| k.0)
            );
            Ok(Some(key_id.to_owned()))
        }
        _ if target != "arca" => {
            println!("{target}: CreateKey {request} not offered (HTTP {status})");
            Ok(None)
        }
        _ => anyhow::bail!("CreateKey: HTTP {status}: {}", String::from_utf8_lossy(&body)),
    }
}

/// The operations `--ops` names.
fn operations(ops: &str) -> Vec<Operation> {
    let symmetric = [Operation::Encrypt, Operation::GenerateDataKey];
    let asymmetric = Pair::ALL
        .into_iter()
        .flat_map(|pair| [Operation::Sign(pair), Operation::Verify(pair)])
        .chain([Operation::GenerateMac]);
    match ops {
        "symmetric" => symmetric.to_vec(),
        "asymmetric" => asymmetric.collect(),
        _ => symmetric.into_iter().chain(asymmetric).collect(),
    }
}

/// Where to send load and whose CPU to count.
struct ServerRef {
    pid: Option<u32>,
    address: SocketAddr,
}

fn server_ref(server: &ServerProcess) -> ServerRef {
    ServerRef { pid: server.pid(), address: server.address }
}

async fn measure(
    server: &ServerRef,
    target: &'static str,
    operation: Operation,
    calls: Vec<SignedCall>,
    shape: LoadShape,
) -> anyhow::Result<Row> {
    let started = Instant::now();
    let server_cpu_before = server.pid.and_then(|pid| cpu_time(Some(pid)));
    let client_cpu_before = cpu_time(None);
    let report = load::run(server.address, Arc::new(calls), shape).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let cores = |before: Option<Duration>, after: Option<Duration>| match (before, after) {
        (Some(before), Some(after)) => Some((after - before).as_secs_f64() / elapsed),
        _ => None,
    };
    let server_cores = cores(server_cpu_before, server.pid.and_then(|pid| cpu_time(Some(pid))));
    let client_cores = cores(client_cpu_before, cpu_time(None));
    println!(
        "{target:>5} {:<16} {:>9.0} req/s  ({} errors)",
        operation.name(),
        report.throughput(),
        report.errors
    );
    if let Some(error) = &report.first_error {
        println!("      first error: {error}");
    }
    Ok(Row { target, operation, report, server_cores, client_cores })
}

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

fn print_table(rows: &[Row], primitives: &[primitive::Rate]) {
    let format_cores =
        |cores: Option<f64>| cores.map_or("-".to_owned(), |cores| format!("{cores:.2}"));
    println!();
    println!(
        "{:<6} {:<16} {:>10} {:>9} {:>9} {:>7} {:>11} {:>11}",
        "target", "op", "req/s", "p50 ms", "p99 ms", "errors", "server CPU", "client CPU"
    );
    for row in rows {
        println!(
            "{:<6} {:<16} {:>10.0} {:>9.2} {:>9.2} {:>7} {:>11} {:>11}",
            row.target,
            row.operation.name(),
            row.report.throughput(),
            row.report.latency_millis(0.50),
            row.report.latency_millis(0.99),
            row.report.errors,
            format_cores(row.server_cores),
            format_cores(row.client_cores),
        );
    }
    for rate in primitives {
        println!(
            "{:<6} {:<16} {:>10.0}   (in process, {} threads, no HTTP)",
            "aws-lc",
            rate.operation.name(),
            rate.per_second,
            rate.threads
        );
    }
    println!("(CPU columns: cores used on average over warm-up and measurement)");
    println!();
    let throughput = |target: &str, operation: Operation| {
        rows.iter()
            .find(|row| row.target == target && row.operation == operation)
            .map(|row| row.report.throughput())
    };
    let mut seen = Vec::new();
    for row in rows.iter().filter(|row| row.target == "arca") {
        let operation = row.operation;
        if seen.contains(&operation) {
            continue;
        }
        seen.push(operation);
        let arca = row.report.throughput();
        let ratio = |other: Option<f64>| {
            other.map_or("-".to_owned(), |other| {
                format!("{:.3}x ({:.1}%)", arca / other, 100.0 * arca / other)
            })
        };
        let primitive =
            primitives.iter().find(|rate| rate.operation == operation).map(|rate| rate.per_second);
        println!(
            "{:<16} arca/moto {:>20}   arca/echo {:>20}   arca/aws-lc {:>20}",
            operation.name(),
            ratio(throughput("moto", operation)),
            ratio(throughput("echo", operation)),
            ratio(primitive),
        );
    }
    // The targets, from this run.
    if let (Some(sign), Some(encrypt)) = (
        throughput("arca", Operation::Sign(Pair::EcdsaP256)),
        throughput("arca", Operation::Encrypt),
    ) {
        println!(
            "target: Sign P-256 at >= 60% of Encrypt through the API: {:.1}%",
            100.0 * sign / encrypt
        );
    }
    let rsa = Operation::Sign(Pair::Rsa2048);
    if let (Some(sign), Some(limit)) = (
        throughput("arca", rsa),
        primitives.iter().find(|rate| rate.operation == rsa).map(|rate| rate.per_second),
    ) {
        println!(
            "target: Sign RSA-2048 at >= 80% of the primitive's rate on all cores: {:.1}%",
            100.0 * sign / limit
        );
    }
}

/// `/proc/loadavg`: other work on the machine skews every row, so the output says so.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}
