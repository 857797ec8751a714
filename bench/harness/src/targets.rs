//! The servers under load: arca, moto, and the echo ceiling, each its own process.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arca_crypto::SecretBytes;
use bytes::Bytes;
use http_body_util::Full;
use tokio::process::{Child, Command};

use crate::call::Credentials;
use crate::load::call_once;

/// A server process this benchmark started; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    /// What it is, for messages.
    pub name: &'static str,
    /// Where it listens.
    pub address: SocketAddr,
    child: Child,
}

impl ServerProcess {
    /// The operating-system process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the process and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await.with_context(|| format!("stopping {}", self.name))
    }
}

/// A free loopback port (bound and released; the server binds it next).
pub fn free_address() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// A scratch directory under the system temp dir, unique to this run, named after the
/// benchmark (`arca-bench-kms`) and `label`.
pub fn scratch_dir(bench: &str, label: &str) -> anyhow::Result<PathBuf> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
    let dir = std::env::temp_dir().join(format!("{bench}-{label}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The ARCA_* environment of the started server: this shell's only when asked, then
/// the audit durability chosen on the command line unless the shell set one.
pub fn arca_environment(durability: &str, inherit: bool) -> Vec<(String, String)> {
    let mut environment: Vec<(String, String)> = if inherit {
        std::env::vars().filter(|(name, _)| name.starts_with("ARCA_")).collect()
    } else {
        Vec::new()
    };
    if !environment.iter().any(|(name, _)| name == "ARCA_AUDIT_DURABILITY") {
        environment.push(("ARCA_AUDIT_DURABILITY".into(), durability.into()));
    }
    environment
}

/// Starts `arca server --dev` with a fresh data dir, exactly the given ARCA_*
/// environment, and waits for `/health`.
pub async fn start_arca(
    arca_bin: &Path,
    data_dir: &Path,
    environment: &[(String, String)],
) -> anyhow::Result<ServerProcess> {
    let address = free_address()?;
    let log = std::fs::File::create(data_dir.with_extension("log"))?;
    let mut command = Command::new(arca_bin);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("ARCA_")) {
        command.env_remove(name);
    }
    command.envs(environment.iter().map(|(name, value)| (name, value)));
    let child = command
        .args(["server", "--dev", "--data-dir"])
        .arg(data_dir)
        .args(["--listen", &address.to_string()])
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", arca_bin.display()))?;
    let mut server = ServerProcess { name: "arca", address, child };
    wait_until_answering(&mut server, "/health", true).await?;
    Ok(server)
}

/// Starts `moto_server` on a free port and waits until it answers HTTP.
pub async fn start_moto(moto_bin: &Path, log_path: &Path) -> anyhow::Result<ServerProcess> {
    let address = free_address()?;
    let log = std::fs::File::create(log_path)?;
    let child = Command::new(moto_bin)
        .args(["-H", "127.0.0.1", "-p", &address.port().to_string()])
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", moto_bin.display()))?;
    let mut server = ServerProcess { name: "moto", address, child };
    wait_until_answering(&mut server, "/", false).await?;
    Ok(server)
}

/// Starts this binary's own echo server in a child process: the binary must run
/// [`echo::serve`](crate::echo::serve) when called with [`Internal::ServeEcho`]
/// (`serve-echo --listen ADDRESS`).
///
/// [`Internal::ServeEcho`]: crate::Internal::ServeEcho
pub async fn start_echo() -> anyhow::Result<ServerProcess> {
    let address = free_address()?;
    let child = Command::new(std::env::current_exe()?)
        .args(["serve-echo", "--listen", &address.to_string()])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let mut server = ServerProcess { name: "echo", address, child };
    wait_until_answering(&mut server, "/", true).await?;
    Ok(server)
}

async fn wait_until_answering(
    server: &mut ServerProcess,
    path: &str,
    need_ok: bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = server.child.try_wait()? {
            anyhow::bail!("{} exited before it was ready: {status}", server.name);
        }
        let request = http::Request::get(path)
            .header(http::header::HOST, server.address.to_string())
            .body(Full::new(Bytes::new()))?;
        if let Ok((status, _)) = call_once(server.address, request).await
            && (!need_ok || status == http::StatusCode::OK)
        {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{} did not become ready in 60 s", server.name);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads the `[default]` keys of an AWS shared credentials file.
pub fn read_credentials(path: &Path, region: &str) -> anyhow::Result<Credentials> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut in_default = false;
    let (mut access_key_id, mut secret) = (None, None);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_default = line == "[default]";
        } else if in_default && let Some((name, value)) = line.split_once('=') {
            match name.trim() {
                "aws_access_key_id" => access_key_id = Some(value.trim().to_owned()),
                "aws_secret_access_key" => secret = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    Ok(Credentials {
        access_key_id: access_key_id.context("no aws_access_key_id in [default]")?,
        secret_access_key: SecretBytes::new(
            secret.context("no aws_secret_access_key in [default]")?.into_bytes(),
        ),
        region: region.to_owned(),
    })
}

/// CPU time (user + system) a process has used so far, from `/proc/PID/stat`.
pub fn cpu_time(pid: Option<u32>) -> Option<Duration> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second()))
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_default_profile_only() {
        let dir = scratch_dir("arca-bench-harness", "test").expect("a scratch dir");
        let path = dir.join("credentials");
        std::fs::write(
            &path,
            "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n\n\
             [default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key=s3cret/+=\n",
        )
        .expect("write");
        let credentials = read_credentials(&path, "eu-west-1").expect("parsed");
        assert_eq!(credentials.access_key_id, "AKIADEFAULT");
        assert_eq!(credentials.secret_access_key.expose_secret(), b"s3cret/+=");
        assert_eq!(credentials.region, "eu-west-1");
        std::fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn counts_its_own_cpu_time() {
        assert!(cpu_time(None).is_some());
    }
}
