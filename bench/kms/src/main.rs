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
mod primitive;

use std::net::SocketAddr;

use anyhow::Context as _;
use arca_bench_harness::{
    Credentials, Internal, LoadShape, Measured, Settings, SignedCall, Target, echo, measure,
    report, with_arca, with_echo, with_moto,
};
use bytes::Bytes;
use clap::Parser;

use crate::calls::{KMS, Operation, Pair};

/// The echo server's answer: shaped like an Encrypt answer.
const ECHO_BODY: &[u8] = br#"{"KeyId":"arn:aws:kms:us-east-1:000000000000:key/echo","CiphertextBlob":"ZWNobw==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#;

/// KMS Encrypt and GenerateDataKey load against arca, moto and an echo ceiling.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    settings: Settings,
    /// Which operations: `symmetric` (Encrypt, GenerateDataKey), `asymmetric` (Sign,
    /// Verify, GenerateMac) or `all`.
    #[arg(long, default_value = "all", value_parser = ["all", "symmetric", "asymmetric"])]
    ops: String,
    #[command(subcommand)]
    command: Option<Internal>,
}

/// One measured row of the table.
struct Row {
    target: &'static str,
    operation: Operation,
    measured: Measured,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Internal::ServeEcho { listen }) = args.command {
        return echo::serve(listen, Bytes::from_static(ECHO_BODY)).await;
    }
    let shape = args.settings.shape();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    args.settings.print_preamble("arca-bench-kms", cores);
    println!(
        "Encrypt sends a 1 KiB plaintext; GenerateDataKey asks for AES_256; Sign, Verify and \
         GenerateMac carry a 64-byte message (RAW)"
    );
    println!("load average before: {}", report::load_average());

    let settings = &args.settings;
    let mut rows = Vec::new();
    let arca = with_arca(settings, "arca-bench-kms", async |target| {
        measure_target(target, &args, shape).await
    });
    rows.extend(arca.await.context("arca")?);
    let moto = with_moto(settings, "arca-bench-kms", async |target| {
        measure_target(target, &args, shape).await
    });
    rows.extend(moto.await.context("moto")?.unwrap_or_default());
    let echo = with_echo(settings, async |target| {
        let mut rows = Vec::new();
        for operation in [Operation::Encrypt, Operation::GenerateDataKey] {
            let calls = calls::pool(
                &target.host,
                operation,
                "echo",
                None,
                &target.credentials,
                settings.pool,
            )?;
            let measured = measure(target, operation.name(), calls, shape).await?;
            rows.push(Row { target: target.name, operation, measured });
        }
        Ok(rows)
    });
    rows.extend(echo.await.context("echo")?);
    let primitives = primitive::measure(&operations(&args.ops), cores, shape.duration);
    print_table(&rows, &primitives);
    println!("load average after: {}", report::load_average());
    let errors: u64 = rows.iter().map(|row| row.measured.report.errors).sum();
    anyhow::ensure!(errors == 0, "{errors} requests failed");
    Ok(())
}

/// Creates a key on the target, checks one call of each operation, then measures both.
async fn measure_target(
    target: &Target,
    args: &Args,
    shape: LoadShape,
) -> anyhow::Result<Vec<Row>> {
    let (address, host, credentials) = (target.address, target.host.as_str(), &target.credentials);
    let mut keys: Vec<(Option<(&str, &str)>, String)> = Vec::new();
    let mut rows = Vec::new();
    for operation in operations(&args.ops) {
        let key_id = match keys.iter().find(|(key, _)| *key == operation.key()) {
            Some((_, key_id)) => key_id.clone(),
            None => {
                let Some(key_id) =
                    create_key(address, host, operation, credentials, target.name).await?
                else {
                    continue;
                };
                keys.push((operation.key(), key_id.clone()));
                key_id
            }
        };
        let signature = match operation {
            Operation::Verify(pair) => {
                let sign = calls::pool(host, Operation::Sign(pair), &key_id, None, credentials, 1)?;
                let (_, body) = arca_bench_harness::call_once(address, sign[0].request()).await?;
                let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                answer["Signature"].as_str().map(str::to_owned)
            }
            _ => None,
        };
        let calls = calls::pool(
            host,
            operation,
            &key_id,
            signature.as_deref(),
            credentials,
            args.settings.pool,
        )?;
        let (status, body) = arca_bench_harness::call_once(address, calls[0].request()).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if status != http::StatusCode::OK || answer.get(operation.answer_field()).is_none() {
            let detail =
                format!("{}: HTTP {status}: {}", operation.name(), String::from_utf8_lossy(&body));
            // moto lacks some operations and specs; arca must have them all.
            anyhow::ensure!(target.name != "arca", "{detail}");
            println!("{}: {} not offered ({detail})", target.name, operation.name());
            continue;
        }
        let measured = measure(target, operation.name(), calls, shape).await?;
        rows.push(Row { target: target.name, operation, measured });
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
    let create = SignedCall::sign(host, KMS, "CreateKey", &request, credentials)?;
    let (status, body) = arca_bench_harness::call_once(address, create.request()).await?;
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

fn print_table(rows: &[Row], primitives: &[primitive::Rate]) {
    println!();
    println!("{}", report::header(16));
    for row in rows {
        println!("{}", report::row(row.target, row.operation.name(), &row.measured, 16));
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
    println!("{}", report::CPU_NOTE);
    println!();
    let throughput = |target: &str, operation: Operation| {
        rows.iter()
            .find(|row| row.target == target && row.operation == operation)
            .map(|row| row.measured.report.throughput())
    };
    let mut seen = Vec::new();
    for row in rows.iter().filter(|row| row.target == "arca") {
        let operation = row.operation;
        if seen.contains(&operation) {
            continue;
        }
        seen.push(operation);
        let arca = row.measured.report.throughput();
        let ratio = |other: Option<f64>| report::ratio(arca, other);
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
    // The issue's targets, from this run.
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
