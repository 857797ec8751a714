//! `arca audit verify`: checks the hash chain of audit log files, the signed digests
//! of the chain head, and the store's copies of both.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use arca_crypto::ecdsa::EcdsaVerifyingKey;
use arca_gate::audit::{
    ChainHead, ChainVerifier, DIGESTS_FILE, DigestLink, HEAD_KEY, HEAD_TABLE, PUBLIC_KEY_FILE,
    check_coverage, check_digests, stored_last_digest, stored_public_key, verifying_key,
};
use clap::Subcommand;

/// Audit subcommands.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify audit log files: the hash chain across them, and the signed digests that
    /// make a removed tail detectable.
    ///
    /// Give every file of the chain, oldest first, through the live one
    /// (`audit-*.jsonl audit.jsonl` sorts right), or none with --data-dir, which then
    /// checks every audit file in that directory in chain order. Prints one line per
    /// problem, such as `line N: record was changed`, `line N: torn final line (an
    /// incomplete write, e.g. a crash)` or `tail removed: digest N at TIME covers
    /// sequence S but the log ends at sequence T`, and exits 1 when there is any.
    ///
    /// The digests come from `audit.digests.jsonl` beside the last file (else in
    /// --data-dir, or --digests). Their signatures are checked with the server's
    /// public key kept in the store (--data-dir or --store-url), else with
    /// --public-key, else with `audit.digest-key.pem` beside the digests. The log
    /// must reach the newest digest's sequence with the same hash, so at most the
    /// records written after the last digest can be removed unnoticed.
    Verify {
        /// The files, in chain order (default: every audit file in --data-dir).
        #[arg(required_unless_present = "data_dir")]
        files: Vec<PathBuf>,
        /// Also check against this data directory's store: the digests' signatures
        /// with the server's key, and the end of the chain and of the digests with the
        /// copies kept there.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The store URL when it is not SQLite in the data directory.
        #[arg(long)]
        store_url: Option<String>,
        /// The digests file (default: audit.digests.jsonl beside the last file, else in
        /// the data directory).
        #[arg(long)]
        digests: Option<PathBuf>,
        /// A PEM public key to check the digest signatures with, when the store is not
        /// at hand.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
}

/// What the store keeps about the audit log.
struct StoreCopies {
    head: Option<ChainHead>,
    last_digest: Option<DigestLink>,
    public_key: Option<(String, Vec<u8>)>,
}

fn read_store(url: &str) -> anyhow::Result<StoreCopies> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let store = arca_store::open(url).await?;
        let head = match store.get(HEAD_TABLE, HEAD_KEY).await? {
            Some(record) => Some(
                serde_json::from_slice(&record.value).context("stored chain head is unreadable")?,
            ),
            None => None,
        };
        Ok(StoreCopies {
            head,
            last_digest: stored_last_digest(&*store).await?,
            public_key: stored_public_key(&*store).await?,
        })
    })
}

/// A file's text; bytes that are not UTF-8 (a line torn inside a character) become
/// replacement characters rather than stopping the check.
fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()))
}

pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { files, data_dir, store_url, digests, public_key } = command;
    let files = match (files.is_empty(), &data_dir) {
        (true, Some(dir)) => {
            let found = arca_gate::audit::chain_files(dir)
                .with_context(|| format!("cannot list the audit files in {}", dir.display()))?;
            anyhow::ensure!(!found.is_empty(), "no audit log files in {}", dir.display());
            found
        }
        _ => files,
    };
    let store_url = store_url.or_else(|| {
        data_dir.as_ref().map(|dir| format!("sqlite://{}", dir.join("arca.db").display()))
    });
    let stored = store_url.as_deref().map(read_store).transpose()?;
    let mut problems = 0usize;
    let mut report = |problem: &str| {
        println!("{problem}");
        problems += 1;
    };

    // The digests, and the key to trust them with.
    let beside_log = files.last().and_then(|file| file.parent()).unwrap_or(Path::new(""));
    let digests_path = digests.or_else(|| {
        [Some(beside_log.join(DIGESTS_FILE)), data_dir.as_ref().map(|dir| dir.join(DIGESTS_FILE))]
            .into_iter()
            .flatten()
            .find(|path| path.exists())
    });
    let digests_text = digests_path.as_deref().map(read_text).transpose()?;
    let key_file_beside = digests_path
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""))
        .join(PUBLIC_KEY_FILE);
    let key: Option<EcdsaVerifyingKey> = if let Some(path) = &public_key {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Some(verifying_key(&bytes).with_context(|| format!("{}", path.display()))?.1)
    } else if let Some((key_id, der)) = stored.as_ref().and_then(|s| s.public_key.clone()) {
        if let Ok(bytes) = std::fs::read(&key_file_beside)
            && verifying_key(&bytes).map(|(id, _)| id).ok().as_deref() != Some(key_id.as_str())
        {
            report(&format!(
                "{} is not the server's digest key (the store holds key {key_id})",
                key_file_beside.display()
            ));
        }
        Some(verifying_key(&der).context("the store's digest key")?.1)
    } else if digests_text.is_some() && key_file_beside.exists() {
        let bytes = std::fs::read(&key_file_beside)?;
        eprintln!(
            "note: digest signatures checked with {} from the audit directory; --data-dir checks them with the key kept in the store",
            key_file_beside.display()
        );
        Some(verifying_key(&bytes).with_context(|| format!("{}", key_file_beside.display()))?.1)
    } else {
        None
    };
    let digest_check = digests_text.as_deref().map(|text| check_digests(text, key.as_ref()));
    if let Some(check) = &digest_check {
        if key.is_none() && check.lines > 0 {
            report(
                "cannot check the digests' signatures: no public key (give --data-dir, --store-url or --public-key)",
            );
        }
        for problem in &check.problems {
            report(problem);
        }
    }

    // The chain, remembering the records the digests cover.
    let mut chain = ChainVerifier::new(None);
    let trusted = digest_check.as_ref().map(|check| check.trusted.as_slice()).unwrap_or_default();
    for digest in trusted {
        chain.watch(digest.sequence);
    }
    for file in &files {
        let text = read_text(file)?;
        for problem in chain.check_text(&text) {
            if files.len() > 1 {
                report(&format!("{problem} ({})", file.display()));
            } else {
                report(&problem);
            }
        }
    }
    for problem in check_coverage(trusted, &chain) {
        report(&problem);
    }

    // The store's copies, which trail the files but survive their deletion.
    let lines = chain.lines();
    let last = chain.head().cloned().unwrap_or_default();
    if let Some(stored) = &stored {
        if let Some(head) = &stored.head {
            if last.sequence < head.sequence {
                report(&format!(
                    "line {}: the log ends at sequence {} but the store's chain head is at {}: records were cut off the tail",
                    lines + 1,
                    last.sequence,
                    head.sequence
                ));
            } else if last.sequence == head.sequence && last.hash != head.hash {
                report(&format!(
                    "line {lines}: the last record's hash differs from the store's chain head"
                ));
            }
        }
        if let Some(stored_digest) = &stored.last_digest {
            let file_digest = digest_check.as_ref().and_then(|check| check.last.as_ref());
            match file_digest {
                None => report(&format!(
                    "digests removed: the store records digest {} at {} but {}",
                    stored_digest.number,
                    stored_digest.time,
                    match &digests_path {
                        Some(path) => format!("{} holds none", path.display()),
                        None => format!("there is no {DIGESTS_FILE}"),
                    }
                )),
                Some(file) if file.number < stored_digest.number => report(&format!(
                    "digests removed: the store records digest {} at {} but the digests file ends at digest {}",
                    stored_digest.number, stored_digest.time, file.number
                )),
                Some(file)
                    if file.number == stored_digest.number
                        && file.line_hash != stored_digest.line_hash =>
                {
                    report(&format!("digest {}: differs from the store's copy of it", file.number))
                }
                Some(_) => {}
            }
        }
    }

    if problems == 0 {
        let digests = match trusted.last() {
            Some(newest) => format!(
                ", {} signed digests (the newest covers sequence {})",
                trusted.len(),
                newest.sequence
            ),
            None => ", no signed digests".to_string(),
        };
        eprintln!("audit chain intact: {lines} records{digests}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("audit chain broken: {problems} problem(s) in {lines} records");
        Ok(ExitCode::from(1))
    }
}
