//! The contract between Arca's server and its services.
//!
//! A service is a crate that implements [`Service`] and describes itself with a
//! static [`Descriptor`]: its signing names, the wire protocols it is bound to, the
//! AWS error codes it answers with, and an operation table (name, IAM action,
//! read-only or mutating, cross-account use, the request members the audit log may
//! keep). The server's pipeline reads only these tables: routing, metric labels,
//! audit records and error encoding come from them, so no service or operation name
//! is matched anywhere else.
//!
//! The wire protocols live in [`wire`] (the `arca-wire` crate), each decoded and encoded
//! in one place. A service sees an [`Input`] it decodes into its typed request and
//! answers through [`Input::reply`], which encodes in the protocol the request came in.
//!
//! ```text
//! static DESCRIPTOR: Descriptor = Descriptor { name: "kms", .. };
//! impl Service for KmsApi {
//!     fn descriptor(&self) -> &'static Descriptor { &DESCRIPTOR }
//!     async fn call(&self, call: Call<'_>) -> Result<Reply, ApiError> { .. }
//! }
//! ```

mod config;
mod input;
mod peers;
mod plain;
mod registry;
mod service;
mod shapes;
pub mod values;

pub use arca_wire::{self as wire, ApiError, Protocol, validate};
pub use config::{ConfigSection, SectionConfig, ServiceConfigs};
pub use input::{Input, Reply};
pub use peers::{Dispatch, OutboundPost, Peers, ServiceEvent};
pub use plain::{PlainRequest, PlainResponse, PlainRoute};
pub use registry::{Registry, Route, RouteError};
pub use service::{Binding, Call, Descriptor, Operation, Service};
