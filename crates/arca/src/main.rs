//! `arca`: one binary for the server, administration and the audit tools.
//!
//! ```text
//! arca server --dev [--data-dir DIR] [--listen ADDR] [--seed FILE]   run the server
//! arca admin create-account --name NAME                   make an account (bootstrap admin only)
//! arca admin rotate-root-key                              re-wrap everything under a new root key
//! arca audit verify FILE... [--data-dir DIR]              check the audit chain and its signed digests
//! arca encrypt|decrypt --input ... --output ... --wrapping-keys ...   AWS Encryption SDK messages
//! arca scan PATH... | s3://BUCKET[/PREFIX]                find personal data and credentials
//! ```

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: the server allocates many small, short-
/// lived buffers per request on two or more threads, where glibc's malloc spent about a
/// seventh of the server's CPU in `bench/kms` (arenas, `malloc_consolidate`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "arca", version, about = "Self-hosted data protection that speaks the AWS APIs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Arca server.
    Server(cmd::server::ServerArgs),
    /// Administer a running server.
    #[command(subcommand)]
    Admin(cmd::admin::AdminCommand),
    /// Work with the audit log.
    #[command(subcommand)]
    Audit(cmd::audit::AuditCommand),
    /// Encrypt files, directories or stdin into AWS Encryption SDK messages.
    Encrypt(arca_esdk::cli::EncryptArgs),
    /// Decrypt AWS Encryption SDK messages.
    Decrypt(arca_esdk::cli::DecryptArgs),
    /// Find personal data, financial data and credentials in files, archives and S3 buckets.
    Scan(arca_scan::cli::ScanArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        // The scanner owns its exit codes: 0 nothing found, 1 findings, 2 error.
        Command::Scan(args) => return arca_scan::cli::run(args),
        Command::Server(args) => cmd::server::run(args),
        Command::Admin(command) => cmd::admin::run(command),
        Command::Audit(command) => cmd::audit::run(command),
        Command::Encrypt(args) => esdk("encrypt", arca_esdk::cli::run_encrypt(args)),
        Command::Decrypt(args) => esdk("decrypt", arca_esdk::cli::run_decrypt(args)),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("arca: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// `arca encrypt|decrypt` report a refused message as one line and exit 1.
fn esdk(name: &str, result: anyhow::Result<()>) -> anyhow::Result<ExitCode> {
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("arca {name}: {error:#}");
            Ok(ExitCode::from(1))
        }
    }
}
