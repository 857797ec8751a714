//! `arca-bench-harness`: what Arca's HTTP benchmarks (`bench/kms`, `bench/secrets`)
//! share. A benchmark signs AWS JSON 1.1 calls with `arca-sigv4` once ([`SignedCall`]),
//! then replays them over N keep-alive HTTP/1.1 connections in a closed loop
//! ([`load`]), against `arca server --dev`, moto's server and a bare echo server
//! started one after another ([`with_arca`], [`with_moto`], [`with_echo`]), and prints
//! a table ([`report`]).
//!
//! ```no_run
//! use arca_bench_harness::{JsonService, Settings, SignedCall, measure, report, with_arca};
//!
//! const KMS: JsonService = JsonService { signing_name: "kms", target_prefix: "TrentService" };
//!
//! # async fn example(settings: &Settings) -> anyhow::Result<()> {
//! let shape = settings.shape();
//! let measured = with_arca(settings, "arca-bench-example", async |target| {
//!     let body = serde_json::json!({ "KeySpec": "AES_256", "KeyId": "alias/example" });
//!     let calls = (0..settings.pool)
//!         .map(|_| SignedCall::sign(&target.host, KMS, "GenerateDataKey", &body, &target.credentials))
//!         .collect::<anyhow::Result<Vec<_>>>()?;
//!     measure(target, "GenerateDataKey", calls, shape).await
//! })
//! .await?;
//! println!("{}\n{}", report::header(16), report::row("arca", "GenerateDataKey", &measured, 16));
//! # Ok(())
//! # }
//! ```
//!
//! A benchmark binary flattens [`Settings`] into its arguments and answers the hidden
//! [`Internal::ServeEcho`] subcommand with [`echo::serve`], which is how
//! [`with_echo`] starts the echo server in a child process.

pub mod call;
pub mod echo;
pub mod load;
pub mod report;
pub mod run;
pub mod targets;

pub use call::{Credentials, JsonService, SignedCall};
pub use load::{LoadReport, LoadShape, call_once};
pub use run::{Internal, Measured, Settings, Target, measure, with_arca, with_echo, with_moto};
