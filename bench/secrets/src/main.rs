//! `arca-bench-secrets`: Secrets Manager throughput and latency against arca, moto's
//! server and a bare echo server, in one run: GetSecretValue of a 256-byte secret by
//! name (the figure), and by ARN and DescribeSecret beside it.
//!
//! Each target first gets the secret with CreateSecret and must answer one
//! GetSecretValue with exactly that value. Requests are SigV4-signed (signing name
//! `secretsmanager`) with `arca-sigv4` once, before the load starts, and then replayed
//! from a pool by the closed loop `arca-bench-harness` shares with `bench/kms`: keep-alive
//! HTTP/1.1 connections with one request in flight each; every answer must be 200 or it
//! counts as an error. See `README.md`.

mod calls;

use arca_bench_harness::{
    Internal, LoadShape, Measured, Settings, Target, call_once, echo, measure, report, with_arca,
    with_echo, with_moto,
};
use clap::Parser;

use crate::calls::{Operation, SECRET_BYTES, SECRET_NAME, Secret};

/// The throughput target for arca's GetSecretValue, requests per second.
const TARGET_PER_SECOND: f64 = 15_000.0;
/// The target for arca's GetSecretValue rate over moto's.
const TARGET_OVER_MOTO: f64 = 30.0;
/// The width of the table's operation column.
const OP_WIDTH: usize = 21;

/// Secrets Manager GetSecretValue load against arca, moto and an echo ceiling.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    settings: Settings,
    /// Which operations: `get` (GetSecretValue by name only) or `all` (also
    /// GetSecretValue by ARN, and DescribeSecret).
    #[arg(long, default_value = "all", value_parser = ["all", "get"])]
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
        return echo::serve(listen, calls::echo_body()).await;
    }
    let shape = args.settings.shape();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    args.settings.print_preamble("arca-bench-secrets", cores);
    println!(
        "setup on each target: CreateSecret {{\"Name\": \"{SECRET_NAME}\", \"SecretString\": \
         <a {SECRET_BYTES}-byte JSON document>}}; one GetSecretValue must return it"
    );
    println!("load average before: {}", report::load_average());

    let settings = &args.settings;
    let operations = operations(&args.ops);
    let mut rows = Vec::new();
    // A target that fails is reported and the run goes on to the next: the others'
    // rows are still worth having (the exit status says that something failed).
    let mut failed = Vec::new();
    let arca = with_arca(settings, "arca-bench-secrets", async |target| {
        measure_target(target, &operations, settings.pool, shape).await
    });
    keep("arca", arca.await, &mut rows, &mut failed);
    let moto = with_moto(settings, "arca-bench-secrets", async |target| {
        measure_target(target, &operations, settings.pool, shape).await
    });
    keep("moto", moto.await.map(Option::unwrap_or_default), &mut rows, &mut failed);
    let echo = with_echo(settings, async |target| {
        let mut rows = Vec::new();
        for &operation in &operations {
            let calls = calls::pool(
                &target.host,
                operation,
                &Secret::echo(),
                &target.credentials,
                settings.pool,
            )?;
            let measured = measure(target, operation.name(), calls, shape).await?;
            rows.push(Row { target: target.name, operation, measured });
        }
        Ok(rows)
    });
    keep("echo", echo.await, &mut rows, &mut failed);

    print_table(&rows);
    print_targets(&rows, &args, cores);
    println!("load average after: {}", report::load_average());
    let errors: u64 = rows.iter().map(|row| row.measured.report.errors).sum();
    anyhow::ensure!(errors == 0, "{errors} requests failed");
    anyhow::ensure!(failed.is_empty(), "failed (see above): {}", failed.join(", "));
    Ok(())
}

/// Keeps a target's rows, or says that it failed.
fn keep(
    target: &'static str,
    outcome: anyhow::Result<Vec<Row>>,
    rows: &mut Vec<Row>,
    failed: &mut Vec<&'static str>,
) {
    match outcome {
        Ok(measured) => rows.extend(measured),
        Err(error) => {
            println!("{target}: FAILED: {error:#}");
            failed.push(target);
        }
    }
}

/// The operations `--ops` names.
fn operations(ops: &str) -> Vec<Operation> {
    match ops {
        "get" => vec![Operation::GetSecretValue],
        _ => Operation::ALL.to_vec(),
    }
}

/// Creates the secret on the target, checks one call of each operation, then measures
/// each.
async fn measure_target(
    target: &Target,
    operations: &[Operation],
    pool: usize,
    shape: LoadShape,
) -> anyhow::Result<Vec<Row>> {
    let secret = create_secret(target).await?;
    let mut rows = Vec::new();
    for &operation in operations {
        let calls = calls::pool(&target.host, operation, &secret, &target.credentials, pool)?;
        let (status, body) = call_once(target.address, calls[0].request()).await?;
        if let Err(detail) = operation.check(status, &body, &secret) {
            // moto may lack an operation; arca must have them all, and GetSecretValue is
            // what the benchmark is for.
            anyhow::ensure!(
                target.name != "arca" && operation != Operation::GetSecretValue,
                "{detail}"
            );
            println!("{}: {} not offered ({detail})", target.name, operation.name());
            continue;
        }
        let measured = measure(target, operation.name(), calls, shape).await?;
        rows.push(Row { target: target.name, operation, measured });
    }
    Ok(rows)
}

/// Creates `bench-secret` with the benchmark's value (and a fresh `ClientRequestToken`,
/// as an SDK sends). On a server that already has it (one given by `--arca-endpoint`,
/// run before), puts the value as its current version.
async fn create_secret(target: &Target) -> anyhow::Result<Secret> {
    let value = calls::secret_string();
    let call = |operation: &str, body: serde_json::Value| {
        calls::sign(&target.host, operation, &body, &target.credentials)
    };
    let create = call(
        "CreateSecret",
        serde_json::json!({
            "Name": SECRET_NAME,
            "SecretString": value,
            "ClientRequestToken": calls::client_request_token(),
        }),
    )?;
    let (status, body) = call_once(target.address, create.request()).await?;
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let error_type = answer["__type"].as_str().unwrap_or_default();
    let (status, body, how) =
        if status != http::StatusCode::OK && error_type.ends_with("ResourceExistsException") {
            let put = call(
                "PutSecretValue",
                serde_json::json!({
                    "SecretId": SECRET_NAME,
                    "SecretString": value,
                    "ClientRequestToken": calls::client_request_token(),
                }),
            )?;
            let (status, body) = call_once(target.address, put.request()).await?;
            (status, body, "existed; PutSecretValue made the benchmark's value current")
        } else {
            (status, body, "created")
        };
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    match answer["ARN"].as_str() {
        Some(arn) if status == http::StatusCode::OK => {
            println!("{}: {SECRET_NAME} {how}: {arn}", target.name);
            Ok(Secret { arn: arn.to_owned() })
        }
        _ => anyhow::bail!(
            "setting up {SECRET_NAME}: HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ),
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!("{}", report::header(OP_WIDTH));
    for row in rows {
        println!("{}", report::row(row.target, row.operation.name(), &row.measured, OP_WIDTH));
    }
    println!("{}", report::CPU_NOTE);
    println!();
    let mut seen = Vec::new();
    for row in rows.iter().filter(|row| row.target == "arca") {
        if seen.contains(&row.operation) {
            continue;
        }
        seen.push(row.operation);
        let arca = row.measured.report.throughput();
        println!(
            "{:<OP_WIDTH$} arca/moto {:>20}   arca/echo {:>20}",
            row.operation.name(),
            report::ratio(arca, throughput(rows, "moto", row.operation)),
            report::ratio(arca, throughput(rows, "echo", row.operation)),
        );
    }
}

/// The targets, each met or not by this run.
fn print_targets(rows: &[Row], args: &Args, cores: usize) {
    let arca = throughput(rows, "arca", Operation::GetSecretValue);
    let moto = throughput(rows, "moto", Operation::GetSecretValue);
    let verdict = |met: bool| if met { "met" } else { "not met" };
    let rate = match arca {
        Some(arca) => {
            format!("{arca:.0} GetSecretValue/s: {}", verdict(arca >= TARGET_PER_SECOND))
        }
        None => "no arca row: not met".to_owned(),
    };
    let machine =
        if cores == 2 { String::new() } else { " (the target is for 2 cores)".to_owned() };
    println!(
        "target: at least {TARGET_PER_SECOND:.0} GetSecretValue/s on this {cores}-core machine{machine}: {rate}"
    );
    let over_moto = match (arca, moto) {
        (Some(arca), Some(moto)) => {
            format!("{:.1}x: {}", arca / moto, verdict(arca >= TARGET_OVER_MOTO * moto))
        }
        (None, _) => "no arca row: not met".to_owned(),
        (Some(_), None) if args.settings.no_moto => "unknown (--no-moto)".to_owned(),
        (Some(_), None) => "no moto row: unknown".to_owned(),
    };
    println!("target: at least {TARGET_OVER_MOTO:.0}x moto: {over_moto}");
    if args.settings.smoke {
        println!("(--smoke: 4 connections for 1 s; the targets are for the default run)");
    }
}

/// The throughput of `target`'s row for `operation`, if it has one.
fn throughput(rows: &[Row], target: &str, operation: Operation) -> Option<f64> {
    rows.iter()
        .find(|row| row.target == target && row.operation == operation)
        .map(|row| row.measured.report.throughput())
}
