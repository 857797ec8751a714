//! The IAM and STS APIs over AWS Query, on Arca's service registry.
//!
//! [`IamApi`] serves users, access keys and inline user policies, managed by
//! [`Directory`] over the records [`arca_gate::Identity`] keeps and authenticates
//! with; [`StsApi`] serves
//! GetCallerIdentity, which, as in AWS, needs no permission. Both answer in IAM's and
//! STS's XML namespaces with the error codes those services use.

mod directory;
mod iam;
mod sts;

pub use directory::Directory;
pub use iam::{DESCRIPTOR as IAM_DESCRIPTOR, IamApi, identity_error};
pub use sts::{DESCRIPTOR as STS_DESCRIPTOR, StsApi};
