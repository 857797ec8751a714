//! The IAM and STS APIs over AWS Query, on Arca's service registry.
//!
//! [`IamApi`] serves users, access keys and inline user policies (the identity store
//! and its authorisation live in [`arca_gate::Identity`]); [`StsApi`] serves
//! GetCallerIdentity, which, as in AWS, needs no permission. Both answer in IAM's and
//! STS's XML namespaces with the error codes those services use.

mod iam;
mod sts;

pub use iam::{DESCRIPTOR as IAM_DESCRIPTOR, IamApi, identity_error};
pub use sts::{DESCRIPTOR as STS_DESCRIPTOR, StsApi};
