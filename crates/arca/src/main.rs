//! `arca`: one binary for the server, envelope encryption, scanning and administration.
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
    /// Encrypt files, directories or stdin into AWS Encryption SDK messages.
    Encrypt(arca_esdk::cli::EncryptArgs),
    /// Decrypt AWS Encryption SDK messages.
    Decrypt(arca_esdk::cli::DecryptArgs),
}

fn main() {
    let cli = Cli::parse();
    let (name, result) = match cli.command {
        Command::Encrypt(args) => ("encrypt", arca_esdk::cli::run_encrypt(args)),
        Command::Decrypt(args) => ("decrypt", arca_esdk::cli::run_decrypt(args)),
    };
    if let Err(error) = result {
        eprintln!("arca {name}: {error:#}");
        std::process::exit(1);
    }
}
