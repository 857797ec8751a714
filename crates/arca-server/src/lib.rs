//! Arca's server: the HTTP front, the AWS wire protocols, and the wiring of every
//! service.
//!
//! This is the only crate that knows HTTP and the only one that chooses
//! implementations (which store, which seal provider). A request goes down once and
//! back ([`pipeline`]): read the body within bounds, decode the envelope ([`protocol`]:
//! AWS JSON 1.1 or Query), verify SigV4 ([`arca_sigv4`]), turn the access key into an
//! [`arca_gate::Caller`], run the operation in its service ([`handlers`]), record one
//! audit event, count it in [`metrics`], and encode the answer or the AWS error.
//!
//! ```text
//! let config = Config::load(Some(Path::new("arca.toml")))?;
//! let server = Server::start(config).await?;
//! server.run_until(tokio::signal::ctrl_c().map(|_| ())).await;
//! ```

pub mod audit_event;
pub mod config;
pub mod handlers;
pub mod metrics;
pub mod pipeline;
pub mod protocol;
mod request_body;
mod serve;
mod signing_cache;
mod start;
pub mod state;

pub use config::Config;
pub use start::{Server, StartError};
