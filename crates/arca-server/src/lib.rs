//! Arca's server: the HTTP front, the AWS wire protocols, and the wiring of every
//! service.
//!
//! This is the only crate that knows HTTP and the only one that chooses
//! implementations (which store, which seal provider) and which services run: each is
//! registered once (in `services`) on an [`arca_api::Registry`]. A request goes down
//! once and back ([`pipeline`]): read the body within bounds, detect its wire protocol,
//! verify SigV4 ([`arca_sigv4`]), turn the access key into an [`arca_gate::Caller`],
//! route it through the registry to one operation of one service, record one audit
//! event, count it in [`metrics`], and encode the answer or the AWS error in the
//! protocol the request came in.
//!
//! ```text
//! let config = Config::load(Some(Path::new("arca.toml")))?;
//! let server = Server::start(config).await?;
//! server.run_until(tokio::signal::ctrl_c().map(|_| ())).await;
//! ```

mod admin;
pub mod audit_event;
pub mod config;
mod in_process;
pub mod metrics;
mod outbound;
pub mod pipeline;
mod request_body;
mod serve;
pub mod services;
mod signing_cache;
mod start;
pub mod state;

pub use config::Config;
pub use start::{Server, StartError};
