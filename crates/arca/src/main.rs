//! `arca`: one binary for the server, envelope encryption, scanning and administration.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Arca: a self-hosted data-protection platform.
#[derive(Debug, Parser)]
#[command(name = "arca", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Find personal data, financial data and credentials in files, archives and S3 buckets.
    Scan(arca_scan::cli::ScanArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => arca_scan::cli::run(args),
    }
}
