//! An in-process test server: a real `Server` on SQLite in a temporary directory,
//! listening on port 0, and a minimal HTTP/1.1 client that signs requests with
//! `arca_sigv4::sign` as the AWS SDKs do. No Python, no child process.

use std::net::SocketAddr;

use arca_crypto::SecretBytes;
use arca_server::{Config, Server};
use arca_sigv4::{RequestToSign, SignedPayload, SigningParams};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running server and its bootstrap root credentials.
pub struct TestServer {
    pub address: SocketAddr,
    pub access_key_id: String,
    pub secret: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request to send.
pub struct Call<'a> {
    pub service: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: Vec<u8>,
}

impl<'a> Call<'a> {
    /// `POST /` with `X-Amz-Target` and a JSON 1.1 body.
    pub fn json(service: &'a str, target: &'a str, body: serde_json::Value) -> Self {
        Self {
            service,
            method: "POST",
            path: "/",
            query: "",
            headers: vec![("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)],
            body: body.to_string().into_bytes(),
        }
    }

    /// `POST /` with a Query form body.
    pub fn query(service: &'a str, form: &str) -> Self {
        Self {
            service,
            method: "POST",
            path: "/",
            query: "",
            headers: vec![("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: form.as_bytes().to_vec(),
        }
    }
}

impl TestServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.data_dir = dir.path().join("data");
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        let server = Server::start(config).await.expect("server starts");
        let address = server.local_addr().unwrap();
        let credentials = std::fs::read_to_string(&server.credentials_path).unwrap();
        let value = |name: &str| {
            credentials
                .lines()
                .find_map(|line| {
                    line.strip_prefix(name)?.trim().strip_prefix('=').map(|v| v.trim().to_string())
                })
                .unwrap()
        };
        let (access_key_id, secret) = (value("aws_access_key_id"), value("aws_secret_access_key"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        Self { address, access_key_id, secret, stop: Some(stop), task: Some(task), _dir: dir }
    }

    /// Sends a request signed with the root credentials.
    pub async fn send(&self, call: Call<'_>) -> Answer {
        self.send_as(&self.access_key_id.clone(), &self.secret.clone(), call).await
    }

    /// Sends a request signed with the given credentials.
    pub async fn send_as(&self, access_key_id: &str, secret: &str, call: Call<'_>) -> Answer {
        let host = self.address.to_string();
        let mut headers = call.headers.clone();
        headers.push(("host", &host));
        let secret = SecretBytes::from_slice(secret.as_bytes());
        let signed = arca_sigv4::sign(
            &RequestToSign {
                method: call.method,
                path: call.path,
                query: call.query,
                headers: &headers,
            },
            &SigningParams {
                access_key_id,
                secret_access_key: &secret,
                security_token: None,
                region: "us-east-1",
                service: call.service,
                time: time::OffsetDateTime::now_utc(),
            },
            SignedPayload::Sha256(arca_crypto::digest::sha256(&call.body)),
        )
        .unwrap();
        let mut all: Vec<(String, String)> =
            headers.iter().map(|(n, v)| ((*n).to_string(), (*v).to_string())).collect();
        all.extend(signed.headers);
        self.send_raw(call.method, call.path, call.query, &all, &call.body).await
    }

    /// Sends exactly these headers and body.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Answer {
        let mut stream = tokio::net::TcpStream::connect(self.address).await.unwrap();
        let target = if query.is_empty() { path.to_string() } else { format!("{path}?{query}") };
        let mut head = format!("{method} {target} HTTP/1.1\r\n");
        let mut has_host = false;
        for (name, value) in headers {
            has_host |= name.eq_ignore_ascii_case("host");
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !has_host {
            head.push_str(&format!("host: {}\r\n", self.address));
        }
        head.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        parse_answer(&raw)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Answer { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else { return out };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}
