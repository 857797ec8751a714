//! `arca audit verify`: checks the hash chain of audit log files.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use arca_gate::audit::{ChainHead, HEAD_KEY, HEAD_TABLE, verify_lines};
use clap::Subcommand;

/// Audit subcommands.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify audit log files (oldest first; `audit-*.jsonl audit.jsonl` sorts right).
    /// Prints `line N: reason` per problem and exits 1 when the chain is broken.
    Verify {
        /// The files, in chain order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also compare the end of the chain with the head kept in this data
        /// directory's store, which detects a cut-off tail.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The store URL when it is not SQLite in the data directory.
        #[arg(long)]
        store_url: Option<String>,
    },
}

pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { files, data_dir, store_url } = command;
    let mut head: Option<ChainHead> = None;
    let mut problems = 0usize;
    let mut lines = 0u64;
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let result = verify_lines(text.lines(), head.take());
        for problem in &result.problems {
            if files.len() > 1 {
                println!("{problem} ({})", file.display());
            } else {
                println!("{problem}");
            }
        }
        problems += result.problems.len();
        lines += result.lines;
        head = result.head;
    }
    if let Some(url) = store_url
        .or_else(|| data_dir.map(|dir| format!("sqlite://{}", dir.join("arca.db").display())))
    {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let stored = runtime.block_on(async {
            let store = arca_store::open(&url).await?;
            anyhow::Ok(store.get(HEAD_TABLE, HEAD_KEY).await?)
        })?;
        if let Some(record) = stored {
            let stored: ChainHead =
                serde_json::from_slice(&record.value).context("stored chain head is unreadable")?;
            let last = head.clone().unwrap_or_default();
            if last.sequence < stored.sequence {
                println!(
                    "line {}: the log ends at sequence {} but the store's chain head is at {}: records were cut off the tail",
                    lines + 1,
                    last.sequence,
                    stored.sequence
                );
                problems += 1;
            } else if last.sequence == stored.sequence && last.hash != stored.hash {
                println!(
                    "line {lines}: the last record's hash differs from the store's chain head"
                );
                problems += 1;
            }
        }
    }
    if problems == 0 {
        eprintln!("audit chain intact: {lines} records");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("audit chain broken: {problems} problem(s) in {lines} records");
        Ok(ExitCode::from(1))
    }
}
