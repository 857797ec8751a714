//! `arca scan`: scans files, directories, archives and (with the `s3` feature) buckets,
//! and prints a summary table, JSON Lines of Macie-shaped findings, or SARIF.
//!
//! Exit codes: 0 nothing at or above `--fail-on`, 1 findings at or above it, 2 error.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::{
    AllowList, CustomDataIdentifier, Limits, ManagedSelection, ObjectMeta, ObjectRef, ObjectReport,
    ScanSettings, Scanner, Severity, StatusCode, macie_finding,
};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable summary table.
    Table,
    /// JSON Lines: one Macie-shaped finding per object, then a summary record.
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
}

/// Arguments of `arca scan`.
#[derive(Debug, Clone, Args)]
#[command(
    about = "Find personal data, financial data and credentials in files, archives and S3 buckets"
)]
pub struct ScanArgs {
    /// Files or directories to scan, or s3://BUCKET[/PREFIX].
    #[arg(required_unless_present = "list_identifiers")]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Only scan files matching this glob (repeatable).
    #[arg(long = "include", value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Do not honour .gitignore / .ignore files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Skip objects larger than this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
    /// Skip objects smaller than this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub min_size: Option<u64>,
    /// Only objects modified at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub modified_after: Option<String>,
    /// Only objects modified before this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME")]
    pub modified_before: Option<String>,
    /// Managed identifiers: ALL, RECOMMENDED, NONE, INCLUDE:ID,ID or EXCLUDE:ID,ID.
    #[arg(long, default_value = "RECOMMENDED")]
    pub identifiers: String,
    /// JSON file with custom data identifiers (CreateCustomDataIdentifier bodies: one or an array).
    #[arg(long, value_name = "FILE")]
    pub custom_identifiers: Vec<PathBuf>,
    /// JSON file with an allow list (CreateAllowList body; repeatable).
    #[arg(long, value_name = "FILE")]
    pub allow_list: Vec<PathBuf>,
    /// A previous `--format json` output: its (path, type) detections are not reported again.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 when a finding has at least this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub fail_on: String,
    /// Include matched values in the output.
    #[arg(long)]
    pub reveal: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    /// Percentage of objects to scan (1-100), as Macie's samplingPercentage.
    #[arg(long, value_name = "PERCENT", default_value_t = 100)]
    pub sampling_percentage: u8,
    /// S3 endpoint URL (S3-compatible stores); defaults to AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// S3 region; defaults to the SDK's resolution.
    #[arg(long)]
    pub region: Option<String>,
    /// Print the managed identifiers and exit.
    #[arg(long)]
    pub list_identifiers: bool,
}

/// One object scanned: where it is and what was found.
pub(crate) struct Scanned {
    pub object: ObjectRef,
    pub report: ObjectReport,
}

/// Runs `arca scan` and returns the process exit code.
pub fn run(args: ScanArgs) -> ExitCode {
    match run_inner(&args) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("arca scan: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn parse_selection(text: &str) -> Result<ManagedSelection, String> {
    let upper = text.trim();
    let list = |rest: &str| {
        rest.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<_>>()
    };
    Ok(match upper.to_ascii_uppercase().as_str() {
        "ALL" => ManagedSelection::All,
        "RECOMMENDED" => ManagedSelection::Recommended,
        "NONE" => ManagedSelection::None,
        other if other.starts_with("INCLUDE:") => {
            ManagedSelection::Include(list(upper.get(8..).unwrap_or_default()))
        }
        other if other.starts_with("EXCLUDE:") => {
            ManagedSelection::Exclude(list(upper.get(8..).unwrap_or_default()))
        }
        _ => ManagedSelection::Include(list(upper)),
    })
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn load_settings(args: &ScanArgs) -> Result<ScanSettings, String> {
    let managed = parse_selection(&args.identifiers)?;
    let mut custom_identifiers = Vec::new();
    for path in &args.custom_identifiers {
        let value = read_json(path)?;
        let items = match value {
            Value::Array(items) => items,
            Value::Object(ref map) if map.contains_key("customDataIdentifiers") => map
                .get("customDataIdentifiers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            other => vec![other],
        };
        for item in items {
            let identifier: CustomDataIdentifier =
                serde_json::from_value(item).map_err(|e| format!("{}: {e}", path.display()))?;
            custom_identifiers.push(identifier);
        }
    }
    let mut allow_lists = Vec::new();
    for path in &args.allow_list {
        let mut list: AllowList = serde_json::from_value(read_json(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // For local scans, s3WordsList.objectKey may name a local file of words.
        if let Some(words) = &list.criteria.s3_words_list {
            let base = path.parent().unwrap_or(Path::new("."));
            let file = base.join(&words.object_key);
            if let Ok(text) = std::fs::read_to_string(&file) {
                list.criteria.words = Some(text.lines().map(str::to_string).collect());
            } else {
                return Err(format!("{}: words list {} not found", path.display(), file.display()));
            }
        }
        allow_lists.push(list);
    }
    Ok(ScanSettings {
        managed,
        custom_identifiers,
        allow_lists,
        limits: Limits::default(),
        reveal: args.reveal,
    })
}

/// (path, type) pairs accepted in a baseline.
fn load_baseline(path: &Path) -> Result<HashSet<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut accepted = HashSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("{}: {e}", path.display()))?;
        let Some(object_path) =
            value.pointer("/resourcesAffected/s3Object/path").and_then(Value::as_str)
        else {
            continue;
        };
        let result = value.pointer("/classificationDetails/result");
        for item in result
            .and_then(|r| r.get("sensitiveData"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for detection in item.get("detections").and_then(Value::as_array).into_iter().flatten()
            {
                if let Some(kind) = detection.get("type").and_then(Value::as_str) {
                    accepted.insert((object_path.to_string(), kind.to_string()));
                }
            }
        }
        let custom = result
            .and_then(|r| r.pointer("/customDataIdentifiers/detections"))
            .and_then(Value::as_array);
        for detection in custom.into_iter().flatten() {
            if let Some(name) = detection.get("name").and_then(Value::as_str) {
                accepted.insert((object_path.to_string(), name.to_string()));
            }
        }
    }
    Ok(accepted)
}

/// Seconds since the epoch of an RFC 3339 time or a date.
fn parse_time(text: &str) -> Result<i64, String> {
    let bad = || format!("invalid time: {text} (use YYYY-MM-DD or RFC 3339)");
    let date = text.get(..10).ok_or_else(bad)?;
    let mut parts = date.split('-').map(|p| p.parse::<i64>());
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(day))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    if let Some(time) = text.get(11..19) {
        let mut hms = time.split(':').map(|p| p.parse::<i64>());
        if let (Some(Ok(h)), Some(Ok(m)), Some(Ok(s))) = (hms.next(), hms.next(), hms.next()) {
            seconds += h * 3600 + m * 60 + s;
        }
    }
    Ok(seconds)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// RFC 3339 UTC time of `seconds` since the epoch.
pub(crate) fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn now_seconds() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// A stable 64-bit FNV-1a hash, for finding ids and sampling.
pub(crate) fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Filters shared by local and S3 sources.
pub(crate) struct Filters {
    pub include: Option<globset::GlobSet>,
    pub exclude: Option<globset::GlobSet>,
    pub max_size: Option<u64>,
    pub min_size: Option<u64>,
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    pub sampling_percentage: u8,
}

impl Filters {
    fn new(args: &ScanArgs) -> Result<Self, String> {
        let set = |globs: &[String]| -> Result<Option<globset::GlobSet>, String> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut builder = globset::GlobSetBuilder::new();
            for glob in globs {
                builder.add(
                    globset::GlobBuilder::new(glob)
                        .literal_separator(false)
                        .build()
                        .map_err(|e| e.to_string())?,
                );
                if !glob.contains('/') {
                    builder
                        .add(globset::Glob::new(&format!("**/{glob}")).map_err(|e| e.to_string())?);
                }
            }
            builder.build().map(Some).map_err(|e| e.to_string())
        };
        if !(1..=100).contains(&args.sampling_percentage) {
            return Err("--sampling-percentage must be 1-100".into());
        }
        Ok(Self {
            include: set(&args.include)?,
            exclude: set(&args.exclude)?,
            max_size: args.max_size,
            min_size: args.min_size,
            modified_after: args.modified_after.as_deref().map(parse_time).transpose()?,
            modified_before: args.modified_before.as_deref().map(parse_time).transpose()?,
            sampling_percentage: args.sampling_percentage,
        })
    }

    /// Whether an object with this relative name, size and modification time is scanned.
    pub fn accepts(&self, name: &str, size: u64, modified: Option<i64>) -> bool {
        if self.include.as_ref().is_some_and(|set| !set.is_match(name)) {
            return false;
        }
        if self.exclude.as_ref().is_some_and(|set| set.is_match(name)) {
            return false;
        }
        if self.max_size.is_some_and(|max| size > max)
            || self.min_size.is_some_and(|min| size < min)
        {
            return false;
        }
        if let Some(modified) = modified
            && (self.modified_after.is_some_and(|after| modified < after)
                || self.modified_before.is_some_and(|before| modified >= before))
        {
            return false;
        }
        self.sampling_percentage >= 100 || fnv(name) % 100 < u64::from(self.sampling_percentage)
    }
}

fn run_inner(args: &ScanArgs) -> Result<u8, String> {
    if args.list_identifiers {
        let mut out = std::io::stdout().lock();
        for spec in crate::catalog::CATALOG {
            let _ = writeln!(
                out,
                "{:<48} {:<22} keyword={:<11} recommended={}",
                spec.id,
                serde_json::to_value(spec.category)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                format!("{:?}", spec.rule),
                spec.recommended
            );
        }
        return Ok(0);
    }
    let fail_on = Severity::parse(&args.fail_on)
        .ok_or_else(|| format!("invalid --fail-on {} (low, medium, high)", args.fail_on))?;
    let settings = load_settings(args)?;
    let scanner = Scanner::new(settings).map_err(|e| e.to_string())?;
    let baseline = args.baseline.as_deref().map(load_baseline).transpose()?.unwrap_or_default();
    let filters = Filters::new(args)?;
    if let Some(threads) = args.threads {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build_global();
    }
    let started = Instant::now();
    let mut results: Vec<Scanned> = Vec::new();
    let bytes = AtomicU64::new(0);
    let show_progress = !args.no_progress && std::io::stderr().is_terminal();
    for target in &args.paths {
        if let Some(rest) = target.strip_prefix("s3://") {
            results.extend(scan_s3(args, &scanner, &filters, rest, &bytes)?);
            continue;
        }
        let root = PathBuf::from(target);
        if !root.exists() {
            return Err(format!("{target}: no such file or directory"));
        }
        let files = walk(&root, args, &filters)?;
        let progress = show_progress.then(|| {
            let bar = indicatif::ProgressBar::new(files.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos}/{len} files {bar:30} {binary_bytes_per_sec} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        let scanned: Vec<Scanned> = files
            .par_iter()
            .map(|(path, size, modified)| {
                let report = scan_file(&scanner, path, *size);
                bytes.fetch_add(report.size_classified, Ordering::Relaxed);
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
                let display = path.to_string_lossy().into_owned();
                let object = ObjectRef {
                    bucket: None,
                    key: display.clone(),
                    path: Some(display),
                    size: *size,
                    etag: None,
                    last_modified: modified.map(rfc3339),
                    version_id: None,
                };
                Scanned { object, report }
            })
            .collect();
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        results.extend(scanned);
    }
    let elapsed = started.elapsed();
    results.sort_by(|a, b| a.object.key.cmp(&b.object.key));
    // Apply the baseline.
    for scanned in &mut results {
        let path = scanned.object.path.clone().unwrap_or_else(|| {
            format!("{}/{}", scanned.object.bucket.clone().unwrap_or_default(), scanned.object.key)
        });
        scanned.report.detections.retain(|d| !baseline.contains(&(path.clone(), d.r#type.clone())));
    }
    let total_bytes = bytes.load(Ordering::Relaxed);
    let created_at = rfc3339(now_seconds());
    let mut worst: Option<Severity> = None;
    for scanned in results.iter().filter(|s| s.report.has_findings()) {
        worst = worst.max(scanned.report.severity());
    }
    let skipped: Vec<(&Scanned, String)> = results
        .iter()
        .filter(|s| s.report.status.code != StatusCode::Complete)
        .map(|s| (s, s.report.status.reason.clone().unwrap_or_default()))
        .collect();
    for (scanned, reason) in &skipped {
        let code = serde_json::to_value(scanned.report.status.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        eprintln!(
            "{code} {}: {reason}",
            scanned.object.path.as_deref().unwrap_or(&scanned.object.key)
        );
    }
    let summary = json!({
        "objectsScanned": results.len(),
        "objectsWithFindings": results.iter().filter(|s| s.report.has_findings()).count(),
        "objectsSkipped": results.iter().filter(|s| s.report.status.code == StatusCode::Skipped).count(),
        "objectsPartial": results.iter().filter(|s| s.report.status.code == StatusCode::Partial).count(),
        "bytesScanned": total_bytes,
        "elapsedSeconds": elapsed.as_secs_f64(),
        "identifiers": scanner.identifiers().len(),
        "highestSeverity": worst.map(Severity::name),
        "skipped": skipped.iter().map(|(s, reason)| json!({
            "path": s.object.path.clone().unwrap_or_else(|| s.object.key.clone()),
            "status": s.report.status.code,
            "reason": reason,
        })).collect::<Vec<_>>(),
    });
    let mut out = std::io::stdout().lock();
    let write_error = |e: std::io::Error| e.to_string();
    match args.format {
        OutputFormat::Json => {
            for scanned in results.iter().filter(|s| s.report.has_findings()) {
                let key = scanned.object.path.clone().unwrap_or_else(|| scanned.object.key.clone());
                let id = format!("{:016x}{:016x}", fnv(&key), fnv(&format!("{key}#finding")));
                let finding = macie_finding(&scanned.report, &scanned.object, &id, &created_at);
                writeln!(out, "{finding}").map_err(write_error)?;
            }
            writeln!(out, "{}", json!({ "summary": summary })).map_err(write_error)?;
        }
        OutputFormat::Sarif => {
            let sarif = crate::cli_sarif::sarif(&results);
            writeln!(out, "{sarif}").map_err(write_error)?;
        }
        OutputFormat::Table => print_table(&mut out, &results, &summary).map_err(write_error)?,
    }
    Ok(u8::from(worst.is_some_and(|w| w >= fail_on)))
}

fn scan_file(scanner: &Scanner, path: &Path, size: u64) -> ObjectReport {
    let meta = ObjectMeta {
        name: path.to_string_lossy().into_owned(),
        size: Some(size),
        content_type: None,
    };
    match std::fs::File::open(path) {
        Ok(file) => scanner.scan_file(file, &meta),
        Err(error) => ObjectReport {
            status: crate::Status {
                code: StatusCode::Skipped,
                reason: Some(format!("READ_ERROR: {error}")),
            },
            mime_type: String::new(),
            size_classified: 0,
            detections: Vec::new(),
            skipped_parts: Vec::new(),
        },
    }
}

fn modified_seconds(metadata: &std::fs::Metadata) -> Option<i64> {
    metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
}

/// Files under `root` that pass the filters, honouring ignore files unless told not to.
fn walk(
    root: &Path,
    args: &ScanArgs,
    filters: &Filters,
) -> Result<Vec<(PathBuf, u64, Option<i64>)>, String> {
    let mut files = Vec::new();
    if root.is_file() {
        let metadata = std::fs::metadata(root).map_err(|e| format!("{}: {e}", root.display()))?;
        files.push((root.to_path_buf(), metadata.len(), modified_seconds(&metadata)));
        return Ok(files);
    }
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(false)
        .git_ignore(!args.no_ignore)
        .git_exclude(!args.no_ignore)
        .ignore(!args.no_ignore)
        .parents(!args.no_ignore)
        .require_git(false);
    builder.filter_entry(|entry| entry.file_name() != ".git");
    for entry in builder.build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                eprintln!("SKIPPED {error}");
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(metadata) = entry.metadata() else { continue };
        let relative =
            entry.path().strip_prefix(root).unwrap_or(entry.path()).to_string_lossy().into_owned();
        let modified = modified_seconds(&metadata);
        if filters.accepts(&relative, metadata.len(), modified) {
            files.push((entry.path().to_path_buf(), metadata.len(), modified));
        }
    }
    Ok(files)
}

#[cfg(feature = "s3")]
fn scan_s3(
    args: &ScanArgs,
    scanner: &Scanner,
    filters: &Filters,
    target: &str,
    bytes: &AtomicU64,
) -> Result<Vec<Scanned>, String> {
    crate::s3::scan_bucket(args, scanner, filters, target, bytes)
}

#[cfg(not(feature = "s3"))]
fn scan_s3(
    _: &ScanArgs,
    _: &Scanner,
    _: &Filters,
    target: &str,
    _: &AtomicU64,
) -> Result<Vec<Scanned>, String> {
    Err(format!("s3://{target}: this build has no S3 support (feature `s3`)"))
}

fn print_table(out: &mut dyn Write, results: &[Scanned], summary: &Value) -> std::io::Result<()> {
    let with_findings: Vec<&Scanned> = results.iter().filter(|s| s.report.has_findings()).collect();
    if !with_findings.is_empty() {
        writeln!(out, "{:<8} {:<60} {:<12} DETECTIONS", "SEVERITY", "OBJECT", "TYPE")?;
        for scanned in with_findings {
            let path = scanned.object.path.clone().unwrap_or_else(|| {
                format!(
                    "s3://{}/{}",
                    scanned.object.bucket.clone().unwrap_or_default(),
                    scanned.object.key
                )
            });
            let kind =
                scanned.report.finding_type().rsplit('/').next().unwrap_or_default().to_string();
            let detections: Vec<String> = scanned
                .report
                .detections
                .iter()
                .map(|d| {
                    let first = d.occurrences.first().map(describe_occurrence).unwrap_or_default();
                    let values = if d.samples.is_empty() {
                        String::new()
                    } else {
                        format!(" = {}", d.samples.join(", "))
                    };
                    format!("{} x{}{}{}", d.r#type, d.count, first, values)
                })
                .collect();
            writeln!(
                out,
                "{:<8} {:<60} {:<12} {}",
                scanned.report.severity().map(Severity::name).unwrap_or("-"),
                path,
                kind,
                detections.join("; ")
            )?;
        }
        writeln!(out)?;
    }
    let get = |key: &str| summary.get(key).cloned().unwrap_or(Value::Null);
    let bytes = get("bytesScanned").as_u64().unwrap_or(0);
    let seconds = get("elapsedSeconds").as_f64().unwrap_or(0.0);
    writeln!(
        out,
        "Scanned {} objects ({:.1} MB) in {:.2}s ({:.1} MB/s): {} with findings, {} skipped, {} partial.",
        get("objectsScanned"),
        bytes as f64 / 1e6,
        seconds,
        if seconds > 0.0 { bytes as f64 / 1e6 / seconds } else { 0.0 },
        get("objectsWithFindings"),
        get("objectsSkipped"),
        get("objectsPartial"),
    )
}

fn describe_occurrence(occurrence: &crate::Occurrence) -> String {
    match occurrence {
        crate::Occurrence::LineRange { start, start_column, .. } => {
            format!(" (line {start}:{start_column})")
        }
        crate::Occurrence::Cell { row, column, column_name, .. } => {
            format!(" (row {row}, column {column} {column_name})")
        }
        crate::Occurrence::Record { record_index, json_path } => {
            format!(" (record {record_index} {json_path})")
        }
        crate::Occurrence::Page { page_number, line, .. } => {
            format!(" (page {page_number} line {line})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time("2024-02-29").unwrap(), 1_709_164_800);
        assert_eq!(rfc3339(parse_time("2024-02-29T12:34:56Z").unwrap()), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn selections() {
        assert_eq!(parse_selection("all").unwrap(), ManagedSelection::All);
        assert_eq!(
            parse_selection("EXCLUDE:NAME,ADDRESS").unwrap(),
            ManagedSelection::Exclude(vec!["NAME".into(), "ADDRESS".into()])
        );
        assert_eq!(
            parse_selection("AWS_CREDENTIALS").unwrap(),
            ManagedSelection::Include(vec!["AWS_CREDENTIALS".into()])
        );
    }
}
