//! `arca admin ...`: calls to a running server's admin API, signed with credentials
//! found the way the AWS CLI finds them.

use std::{collections::HashMap, path::PathBuf, process::ExitCode};

use anyhow::{Context, bail};
use arca_crypto::SecretBytes;
use clap::{Args, Subcommand};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

/// Admin subcommands.
#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an account; prints its root principal's credentials as one JSON object.
    CreateAccount {
        /// The account's name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Rotate the root key and re-wrap every sealed value under the new one.
    RotateRootKey {
        #[command(flatten)]
        connection: Connection,
    },
}

/// Where the server is and who we are, as the AWS CLI resolves them.
#[derive(Args)]
pub struct Connection {
    /// Endpoint URL [default: $AWS_ENDPOINT_URL, or endpoint_url in the config file].
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Profile in the shared files [default: $AWS_PROFILE or default].
    #[arg(long)]
    profile: Option<String>,
    /// Region [default: $AWS_REGION, $AWS_DEFAULT_REGION, the config file, us-east-1].
    #[arg(long)]
    region: Option<String>,
}

pub fn run(command: AdminCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match command {
        AdminCommand::CreateAccount { name, connection } => {
            let answer = runtime.block_on(call(
                &connection,
                "CreateAccount",
                serde_json::json!({ "Name": name }),
            ))?;
            let shaped = serde_json::json!({
                "AccountId": answer["AccountId"],
                "UserName": answer["UserName"],
                "Arn": answer["Arn"],
                "AccessKeyId": answer["AccessKeyId"],
                "SecretAccessKey": answer["SecretAccessKey"],
            });
            println!("{shaped}");
        }
        AdminCommand::RotateRootKey { connection } => {
            let answer =
                runtime.block_on(call(&connection, "RotateRootKey", serde_json::json!({})))?;
            println!("{answer}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses an INI file into sections of key/value pairs.
fn read_ini(path: &PathBuf) -> HashMap<String, HashMap<String, String>> {
    let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
    let Ok(text) = std::fs::read_to_string(path) else { return sections };
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().trim_start_matches("profile ").trim().to_string();
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            sections
                .entry(current.clone())
                .or_default()
                .insert(key.trim().to_string(), value.trim().to_string());
        }
    }
    sections
}

fn home_file(name: &str) -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    PathBuf::from(home).join(".aws").join(name)
}

struct Resolved {
    endpoint: String,
    region: String,
    access_key_id: String,
    secret: SecretBytes,
}

fn resolve(connection: &Connection) -> anyhow::Result<Resolved> {
    let profile = connection
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .unwrap_or_else(|| "default".into());
    let credentials_file = std::env::var("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| home_file("credentials"));
    let config_file =
        std::env::var("AWS_CONFIG_FILE").map(PathBuf::from).unwrap_or_else(|_| home_file("config"));
    let credentials = read_ini(&credentials_file);
    let config = read_ini(&config_file);
    let config_profile = config.get(&profile);
    let (access_key_id, secret) = match (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Ok(id), Ok(secret)) if connection.profile.is_none() => {
            (id, SecretBytes::new(secret.into_bytes()))
        }
        _ => {
            let section = credentials.get(&profile).or(config_profile).with_context(|| {
                format!("no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or profile [{profile}] in {}", credentials_file.display())
            })?;
            let id = section
                .get("aws_access_key_id")
                .context("aws_access_key_id missing from the profile")?;
            let secret = section
                .get("aws_secret_access_key")
                .context("aws_secret_access_key missing from the profile")?;
            (id.clone(), SecretBytes::new(secret.clone().into_bytes()))
        }
    };
    let region = connection
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .or_else(|| config_profile.and_then(|p| p.get("region").cloned()))
        .unwrap_or_else(|| "us-east-1".into());
    let endpoint = connection
        .endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .or_else(|| config_profile.and_then(|p| p.get("endpoint_url").cloned()))
        .context("no endpoint: pass --endpoint-url, set AWS_ENDPOINT_URL, or endpoint_url in the config file")?;
    Ok(Resolved { endpoint, region, access_key_id, secret })
}

/// Sends one signed admin call and returns its JSON answer.
async fn call(connection: &Connection, operation: &str, input: Value) -> anyhow::Result<Value> {
    let resolved = resolve(connection)?;
    let uri: http::Uri = resolved.endpoint.parse().context("invalid endpoint URL")?;
    if uri.scheme_str() != Some("http") {
        bail!(
            "admin commands speak plain HTTP for now; use an http:// endpoint (e.g. on loopback)"
        );
    }
    let host = uri.authority().context("endpoint URL has no host")?.to_string();
    let body = serde_json::to_vec(&input)?;
    let target = format!("ArcaAdmin.{operation}");
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target.as_str()),
    ];
    let signed = arca_sigv4::sign(
        &arca_sigv4::RequestToSign { method: "POST", path: "/", query: "", headers: &headers },
        &arca_sigv4::SigningParams {
            access_key_id: &resolved.access_key_id,
            secret_access_key: &resolved.secret,
            security_token: None,
            region: &resolved.region,
            service: "arca",
            time: time::OffsetDateTime::now_utc(),
        },
        arca_sigv4::SignedPayload::Sha256(arca_crypto::digest::sha256(&body)),
    )?;
    let mut request = http::Request::post(format!("http://{host}/"));
    for (name, value) in headers.iter().skip(1) {
        request = request.header(*name, *value);
    }
    for (name, value) in &signed.headers {
        request = request.header(name, value);
    }
    let request = request.body(Full::new(bytes::Bytes::from(body)))?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let response = client
        .request(request)
        .await
        .with_context(|| format!("cannot reach {}", resolved.endpoint))?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    let answer: Value =
        serde_json::from_slice(&bytes).with_context(|| format!("unexpected answer ({status})"))?;
    if !status.is_success() {
        bail!(
            "{}: {}",
            answer["__type"].as_str().unwrap_or("error"),
            answer["message"].as_str().unwrap_or_default()
        );
    }
    Ok(answer)
}
