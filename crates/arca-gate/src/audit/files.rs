//! The audit directory on disk: file names, owner-only creation, finding the chain's
//! position in the newest file, rotation that never replaces a file, and moving a
//! torn final line aside.

use std::{
    fs::{DirBuilder, File, OpenOptions},
    io::{Read, Seek, SeekFrom, Write as _},
    path::{Path, PathBuf},
};

use serde_json::Value;

use super::chain::ChainHead;

/// The file events are appended to.
pub const LIVE_FILE: &str = "audit.jsonl";
/// Largest tail read when looking for the last complete line.
const TAIL_WINDOW: u64 = 1 << 20;

/// Creates `dir` (and missing parents) owner-only; an existing directory is left as
/// it is, with a warning when others may read it.
pub(super) fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                dir = %dir.display(),
                mode = format!("{:o}", mode & 0o777),
                "the audit directory is accessible to other users; 0700 is recommended"
            );
        }
    }
    Ok(())
}

/// Options that create a file owner-only (0600).
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Opens `path` for appending, creating it 0600; an existing file that others may
/// read is narrowed to 0600.
pub(super) fn open_append(path: &Path) -> std::io::Result<File> {
    let file = private_options().create(true).append(true).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

/// Creates `path` 0600, failing when it exists.
pub(super) fn create_new(path: &Path) -> std::io::Result<File> {
    private_options().write(true).create_new(true).open(path)
}

/// Replaces `path` with `contents` atomically (a 0600 temporary file renamed over it),
/// unless it already holds exactly that.
pub(super) fn write_if_changed(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|current| current == contents) {
        return Ok(());
    }
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut file = create_new(&temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

/// Makes renames and new names in `dir` durable.
pub(super) fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// The name a rotated file gets: the last sequence it holds, then `_2`, `_3`, ...
/// should that name be taken (which only a damaged directory makes happen). The
/// suffix sorts after the plain name, so `audit-*.jsonl` still lists chain order.
pub(super) fn rotated_name(last_sequence: u64, attempt: u32) -> String {
    if attempt <= 1 {
        format!("audit-{last_sequence:012}.jsonl")
    } else {
        format!("audit-{last_sequence:012}_{attempt}.jsonl")
    }
}

/// `(last sequence, attempt)` of a rotated file's name, or `None` for other files.
fn parse_rotated_name(name: &str) -> Option<(u64, u32)> {
    let stem = name.strip_prefix("audit-")?.strip_suffix(".jsonl")?;
    let (digits, attempt) = match stem.split_once('_') {
        Some((digits, attempt)) => (digits, attempt.parse().ok()?),
        None => (stem, 1),
    };
    if digits.len() < 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, attempt))
}

/// The rotated files in `dir`, newest first.
pub(super) fn rotated_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(order) = entry.file_name().to_str().and_then(parse_rotated_name) {
            found.push((order, entry.path()));
        }
    }
    found.sort_by_key(|(order, _)| std::cmp::Reverse(*order));
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

/// Every audit log file in `dir` in chain order: the rotated files, oldest first, then
/// the live file (if there is one). What `arca audit verify --data-dir` checks.
pub fn chain_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = rotated_files(dir)?;
    files.reverse();
    let live = dir.join(LIVE_FILE);
    if live.exists() {
        files.push(live);
    }
    Ok(files)
}

/// Renames `from` to the first free rotated name for `last_sequence` in `dir`, never
/// replacing a file: a hard link is made first (which fails on an existing name) and
/// the old name removed after it. Returns the new name.
pub(super) fn rotate_into_free_name(
    from: &Path,
    dir: &Path,
    last_sequence: u64,
) -> std::io::Result<String> {
    for attempt in 1..=1000 {
        let name = rotated_name(last_sequence, attempt);
        let target = dir.join(&name);
        match std::fs::hard_link(from, &target) {
            Ok(()) => {
                std::fs::remove_file(from)?;
                return Ok(name);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                tracing::error!(
                    file = %target.display(),
                    "a rotated audit file already has this name; rotating to the next free name"
                );
            }
            // No hard links on this file system: rename, having just seen the name free
            // (only this process writes the directory).
            Err(_) if !target.exists() => {
                std::fs::rename(from, &target)?;
                return Ok(name);
            }
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other("no free name for the rotated audit file"))
}

/// True when both paths name the same file (a rotation interrupted between making
/// the rotated name and removing the live one).
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// The chain link of a parsed line, if it has one.
fn link_of(line: &[u8]) -> Option<ChainHead> {
    let value: Value = serde_json::from_slice(line).ok()?;
    let sequence = value.get("sequence")?.as_u64()?;
    let hash = value.get("hash")?.as_str()?;
    Some(ChainHead { sequence, hash: hash.to_string() })
}

/// The chain link of the last line of `path` that has one (lines that are not chain
/// records are skipped with a warning: `arca audit verify` reports them).
pub(super) fn last_link(path: &Path) -> std::io::Result<Option<ChainHead>> {
    last_line_matching(path, link_of)
}

/// `parse` of the last line of `path` it accepts; lines it refuses are skipped (with
/// an error logged, as only damage puts them there).
pub(super) fn last_line_matching<T>(
    path: &Path,
    parse: impl Fn(&[u8]) -> Option<T>,
) -> std::io::Result<Option<T>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let length = file.metadata()?.len();
    let mut start = length.saturating_sub(TAIL_WINDOW);
    loop {
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        let mut lines: Vec<&[u8]> = tail.split(|b| *b == b'\n').collect();
        if start > 0 && !lines.is_empty() {
            // The window may begin inside a line.
            lines.remove(0);
        }
        let mut skipped = 0;
        for line in lines.iter().rev() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Some(found) = parse(line) {
                if skipped > 0 {
                    tracing::error!(
                        file = %path.display(),
                        skipped,
                        "the last lines of an audit file are not records; continuing after the last record"
                    );
                }
                return Ok(Some(found));
            }
            skipped += 1;
        }
        if start == 0 {
            return Ok(None);
        }
        start = 0;
    }
}

/// The bytes after the last newline of `path`: an incomplete final line.
struct TornTail {
    /// Where the torn bytes begin.
    offset: u64,
    bytes: Vec<u8>,
}

fn torn_tail(file: &mut File) -> std::io::Result<Option<TornTail>> {
    let length = file.metadata()?.len();
    if length == 0 {
        return Ok(None);
    }
    let mut end = length;
    let mut after_newline: Vec<u8> = Vec::new();
    loop {
        let start = end.saturating_sub(64 << 10);
        file.seek(SeekFrom::Start(start))?;
        let mut chunk = vec![0; usize::try_from(end - start).map_err(std::io::Error::other)?];
        file.read_exact(&mut chunk)?;
        match chunk.iter().rposition(|b| *b == b'\n') {
            Some(position) => {
                let mut bytes = chunk.split_off(position + 1);
                bytes.extend_from_slice(&after_newline);
                let offset = start + position as u64 + 1;
                return Ok((offset < length).then_some(TornTail { offset, bytes }));
            }
            None if start == 0 => {
                chunk.extend_from_slice(&after_newline);
                return Ok(Some(TornTail { offset: 0, bytes: chunk }));
            }
            None => {
                chunk.extend_from_slice(&after_newline);
                after_newline = chunk;
                end = start;
            }
        }
    }
}

/// A torn final line that was moved aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// The file that ended in the torn line.
    pub from: String,
    /// The file now holding the torn bytes.
    pub file: String,
    /// How many bytes were moved.
    pub bytes: u64,
    /// SHA-256 of those bytes (hex).
    pub sha256: String,
}

/// Makes `path` end with a complete line: a final line without its newline that is
/// a whole chain record gets its newline; any other torn final line is copied into
/// a new quarantine file (`<stem>.torn-<UTC time>.jsonl`, never an existing one),
/// made durable, and only then cut off `path`.
pub(super) fn quarantine_torn_tail(path: &Path) -> std::io::Result<Option<Quarantined>> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let Some(torn) = torn_tail(&mut file)? else { return Ok(None) };
    if link_of(&torn.bytes).is_some() {
        // The record is whole; only its newline is missing.
        file.seek(SeekFrom::End(0))?;
        file.write_all(b"\n")?;
        file.sync_data()?;
        return Ok(None);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let from = path.file_name().and_then(|n| n.to_str()).unwrap_or(LIVE_FILE).to_string();
    let stem = from.strip_suffix(".jsonl").unwrap_or(&from);
    let time = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
        .map_err(std::io::Error::other)?;
    let mut attempt = 1u32;
    let (name, mut quarantine) = loop {
        let name = if attempt == 1 {
            format!("{stem}.torn-{time}.jsonl")
        } else {
            format!("{stem}.torn-{time}_{attempt}.jsonl")
        };
        match create_new(&dir.join(&name)) {
            Ok(quarantine) => break (name, quarantine),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    };
    quarantine.write_all(&torn.bytes)?;
    quarantine.sync_all()?;
    sync_dir(dir);
    file.set_len(torn.offset)?;
    file.sync_all()?;
    let mut hasher = arca_crypto::digest::Hasher::new(arca_crypto::digest::HashAlgorithm::Sha256);
    hasher.update(&torn.bytes);
    Ok(Some(Quarantined {
        from,
        file: name,
        bytes: torn.bytes.len() as u64,
        sha256: hex::encode(hasher.finish()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_sort_in_chain_order_and_parse_back() {
        let mut names =
            vec![rotated_name(13, 1), rotated_name(12, 2), rotated_name(12, 1), rotated_name(9, 1)];
        names.sort();
        assert_eq!(
            names,
            [
                "audit-000000000009.jsonl",
                "audit-000000000012.jsonl",
                "audit-000000000012_2.jsonl",
                "audit-000000000013.jsonl"
            ]
        );
        assert_eq!(parse_rotated_name("audit-000000000012_2.jsonl"), Some((12, 2)));
        assert_eq!(parse_rotated_name("audit-000000000012.jsonl"), Some((12, 1)));
        for other in [
            "audit.jsonl",
            "audit.digests.jsonl",
            "audit.torn-20250101T000000Z.jsonl",
            "audit-x.jsonl",
        ] {
            assert_eq!(parse_rotated_name(other), None, "{other}");
        }
    }

    #[test]
    fn rotation_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join(rotated_name(7, 1));
        std::fs::write(&existing, b"older chain\n").unwrap();
        let live = dir.path().join(LIVE_FILE);
        std::fs::write(&live, b"newer chain\n").unwrap();
        let name = rotate_into_free_name(&live, dir.path(), 7).unwrap();
        assert_eq!(name, "audit-000000000007_2.jsonl");
        assert_eq!(std::fs::read(&existing).unwrap(), b"older chain\n");
        assert_eq!(std::fs::read(dir.path().join(name)).unwrap(), b"newer chain\n");
        assert!(!live.exists());
    }

    #[test]
    fn torn_tail_is_moved_aside_and_whole_records_kept() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join(LIVE_FILE);
        let record = r#"{"hash":"ab","sequence":1}"#;
        std::fs::write(&live, format!("{record}\n{{\"sequ")).unwrap();
        let quarantined = quarantine_torn_tail(&live).unwrap().unwrap();
        assert_eq!(quarantined.bytes, 6);
        assert!(quarantined.file.starts_with("audit.torn-"));
        assert_eq!(std::fs::read(dir.path().join(&quarantined.file)).unwrap(), b"{\"sequ");
        assert_eq!(std::fs::read_to_string(&live).unwrap(), format!("{record}\n"));
        assert_eq!(quarantine_torn_tail(&live).unwrap(), None);

        // A whole record that only lacks its newline stays.
        std::fs::write(&live, record).unwrap();
        assert_eq!(quarantine_torn_tail(&live).unwrap(), None);
        assert_eq!(std::fs::read_to_string(&live).unwrap(), format!("{record}\n"));
        assert_eq!(last_link(&live).unwrap().unwrap().sequence, 1);
    }
}
