//! Shared parts of the Encryption SDK benchmark and the `aws-esdk` interop tests.

pub mod aws_peer;
