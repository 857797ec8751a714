//! One module per service: decode the operation's input, call the service, encode
//! its output, and map its errors to AWS error codes (in one place per service).

pub mod admin;
pub mod iam;
pub mod kms;
pub mod sts;
