//! S3-compatible buckets as a source: list objects under a prefix, apply the key, size,
//! time and sampling criteria, fetch each object and scan it: small objects are fetched
//! whole, several at once (their latency dominates), larger ones stream through the
//! scanner a network chunk at a time, so memory stays bounded whatever their size. Endpoint, region and
//! credentials resolve as the AWS SDK resolves them (environment, shared files), with
//! `--endpoint-url` and `--region` on top. TLS uses rustls with ring (no aws-lc).

use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::config::Region;
use aws_smithy_http_client::tls;
use rayon::prelude::*;

use crate::cli::{Filters, ScanArgs, Scanned, rfc3339};
use crate::{ObjectMeta, ObjectRef, ObjectReport, Scanner, Status, StatusCode};

/// Objects fetched and scanned at once.
const CONCURRENCY: usize = 8;
/// Objects up to this size are fetched whole before they are scanned; larger ones stream.
const WHOLE_FETCH_MAX: u64 = 8 << 20;

/// A listed object that passed the filters.
struct Listed {
    key: String,
    size: u64,
    etag: Option<String>,
    last_modified: Option<i64>,
}

fn client(args: &ScanArgs, runtime: &tokio::runtime::Runtime) -> aws_sdk_s3::Client {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client);
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &args.endpoint_url {
        loader = loader.endpoint_url(endpoint.clone());
    }
    let shared = runtime.block_on(loader.load());
    let mut config = aws_sdk_s3::config::Builder::from(&shared);
    if shared.region().is_none() {
        config = config.region(Region::new("us-east-1"));
    }
    // S3-compatible stores (and moto) want path-style addressing when an endpoint is given.
    let custom_endpoint =
        args.endpoint_url.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some();
    aws_sdk_s3::Client::from_conf(config.force_path_style(custom_endpoint).build())
}

/// Scans `bucket[/prefix]`.
pub(crate) fn scan_bucket(
    args: &ScanArgs,
    scanner: &Scanner,
    filters: &Filters,
    target: &str,
    bytes: &AtomicU64,
) -> Result<Vec<Scanned>, String> {
    let (bucket, prefix) = target.split_once('/').unwrap_or((target, ""));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let client = client(args, &runtime);
    let listed = runtime.block_on(list(&client, bucket, prefix, filters))?;
    let mut results = Vec::with_capacity(listed.len());
    for batch in listed.chunks(CONCURRENCY) {
        let fetched = runtime.block_on(async {
            let mut tasks = Vec::new();
            for object in batch {
                let client = client.clone();
                let bucket = bucket.to_string();
                let key = object.key.clone();
                let whole = object.size <= WHOLE_FETCH_MAX;
                tasks.push(tokio::spawn(async move {
                    // A large object's request is sent only when a thread is free to read
                    // it, so that no connection sits idle while others are scanned.
                    if !whole {
                        return Ok(None);
                    }
                    let body = get(&client, &bucket, &key).await?;
                    let bytes = body.collect().await.map_err(|e| format!("READ_ERROR: {e}"))?;
                    Ok(Some(bytes.into_bytes()))
                }));
            }
            let mut out = Vec::new();
            for task in tasks {
                out.push(task.await.unwrap_or_else(|e| Err(format!("READ_ERROR: {e}"))));
            }
            out
        });
        let handle = runtime.handle();
        let scanned: Vec<Scanned> = batch
            .par_iter()
            .zip(fetched.into_par_iter())
            .map(|(object, body)| {
                let meta = ObjectMeta {
                    name: object.key.clone(),
                    size: Some(object.size),
                    content_type: None,
                };
                let body = match body {
                    Ok(None) => {
                        handle.block_on(get(&client, bucket, &object.key)).map(Body::Stream)
                    }
                    Ok(Some(bytes)) => Ok(Body::Whole(bytes)),
                    Err(reason) => Err(reason),
                };
                let report = match body {
                    Ok(Body::Whole(bytes)) => scanner.scan(&mut std::io::Cursor::new(bytes), &meta),
                    Ok(Body::Stream(stream)) => {
                        let mut reader =
                            StreamReader { stream, runtime: handle, chunk: bytes::Bytes::new() };
                        scanner.scan(&mut reader, &meta)
                    }
                    Err(reason) => ObjectReport {
                        status: Status { code: StatusCode::Skipped, reason: Some(reason) },
                        mime_type: String::new(),
                        size_classified: 0,
                        detections: Vec::new(),
                        skipped_parts: Vec::new(),
                    },
                };
                bytes.fetch_add(report.size_classified, Ordering::Relaxed);
                Scanned {
                    object: ObjectRef {
                        bucket: Some(bucket.to_string()),
                        key: object.key.clone(),
                        path: None,
                        size: object.size,
                        etag: object.etag.clone(),
                        last_modified: object.last_modified.map(rfc3339),
                        version_id: None,
                    },
                    report,
                }
            })
            .collect();
        results.extend(scanned);
    }
    Ok(results)
}

/// An object's content: fetched whole, or still streaming.
enum Body {
    Whole(bytes::Bytes),
    Stream(aws_sdk_s3::primitives::ByteStream),
}

/// Reads a streaming object body from a scanning thread, a network chunk at a time.
struct StreamReader<'r> {
    stream: aws_sdk_s3::primitives::ByteStream,
    runtime: &'r tokio::runtime::Handle,
    chunk: bytes::Bytes,
}

impl std::io::Read for StreamReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            // Scanning threads are rayon's, outside the runtime, so blocking here is allowed.
            match self.runtime.block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(error)) => return Err(std::io::Error::other(error)),
            }
        }
        let n = buf.len().min(self.chunk.len());
        let head = self.chunk.split_to(n);
        if let Some(target) = buf.get_mut(..n) {
            target.copy_from_slice(&head);
        }
        Ok(n)
    }
}

async fn list(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    filters: &Filters,
) -> Result<Vec<Listed>, String> {
    let mut out = Vec::new();
    let mut pages = client.list_objects_v2().bucket(bucket).prefix(prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            format!("s3://{bucket}/{prefix}: {}", aws_sdk_s3::error::DisplayErrorContext(e))
        })?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            if key.ends_with('/') {
                continue;
            }
            let size = object.size().unwrap_or(0).max(0) as u64;
            let last_modified = object.last_modified().map(|t| t.secs());
            let relative = key.strip_prefix(prefix).unwrap_or(key).trim_start_matches('/');
            if filters.accepts(relative, size, last_modified) {
                out.push(Listed {
                    key: key.to_string(),
                    size,
                    etag: object.e_tag().map(str::to_string),
                    last_modified,
                });
            }
        }
    }
    Ok(out)
}

async fn get(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<aws_sdk_s3::primitives::ByteStream, String> {
    let response = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| format!("READ_ERROR: {}", aws_sdk_s3::error::DisplayErrorContext(e)))?;
    Ok(response.body)
}
