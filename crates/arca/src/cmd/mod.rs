//! The subcommands.

pub mod admin;
pub mod audit;
pub mod server;
