//! `arca encrypt` / `arca decrypt`: files, directories and stdin/stdout, following the
//! AWS Encryption CLI's conventions.
//!
//! Every output file is written to a temporary file in its directory and renamed into
//! place only once the message has been fully produced or fully verified, so a refused
//! or failed run leaves no output file behind. When the output is stdout (`-`), a
//! decrypted signed message's last frame is withheld until its signature verifies, but
//! earlier frames have been written: a non-zero exit means discard what was read.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use arca_crypto::SecretBytes;
use arca_crypto::rsa::RsaPadding;
use base64::Engine as _;
use clap::Args;

use crate::cli_metadata::{self, MetadataSink};
use crate::keyring::{Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring};
use crate::{
    AlgorithmSuite, Client, CommitmentPolicy, DecryptOptions, DefaultCmm, EncryptOptions,
    EncryptionContext, MessageHeader,
};

/// Options shared by `arca encrypt` and `arca decrypt`.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Input file, directory (with --recursive) or `-` for stdin.
    #[arg(short = 'i', long)]
    pub input: String,
    /// Output file, directory or `-` for stdout.
    #[arg(short = 'o', long)]
    pub output: String,
    /// A wrapping key, as key=value settings: `provider=raw-aes namespace=NS name=NAME
    /// key-file=PATH`, `provider=raw-rsa namespace=NS name=NAME key-file=PEM
    /// padding=pkcs1|oaep-sha1|oaep-sha256|oaep-sha384|oaep-sha512`, or `provider=aws-kms
    /// key=ARN [key=ARN ...] [discovery=true discovery-account=ID discovery-partition=aws]
    /// [region=R] [endpoint=URL]`. Repeat for a multi-keyring; the first generates.
    /// Each `provider=` setting starts a new wrapping key.
    #[arg(short = 'w', long = "wrapping-keys", num_args = 1.., action = clap::ArgAction::Append, required = true)]
    pub wrapping_keys: Vec<String>,
    /// Encryption context pairs `k=v` (on decrypt: pairs, or bare keys, that must be present).
    #[arg(short = 'c', long = "encryption-context", num_args = 1..)]
    pub encryption_context: Vec<String>,
    /// forbid-encrypt-allow-decrypt, require-encrypt-allow-decrypt or
    /// require-encrypt-require-decrypt (the default).
    #[arg(long = "commitment-policy")]
    pub commitment_policy: Option<String>,
    /// Refuse messages with more wrapped data keys than this.
    #[arg(long = "max-encrypted-data-keys")]
    pub max_encrypted_data_keys: Option<u16>,
    /// Append one JSON line of metadata per file here (`-` for stdout), as the AWS
    /// Encryption CLI writes it.
    #[arg(long = "metadata-output", conflicts_with = "suppress_metadata")]
    pub metadata_output: Option<String>,
    /// Replace the metadata file instead of appending to it.
    #[arg(long = "overwrite-metadata", requires = "metadata_output")]
    pub overwrite_metadata: bool,
    /// Write no metadata (the default; accepted for the AWS Encryption CLI's scripts).
    #[arg(short = 'S', long = "suppress-metadata")]
    pub suppress_metadata: bool,
    /// Print no warnings or progress.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Process a directory and its subdirectories.
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Suffix appended to output file names in a directory (default `.encrypted` /
    /// `.decrypted`).
    #[arg(short = 's', long)]
    pub suffix: Option<String>,
    /// Base64-encode the output.
    #[arg(long)]
    pub encode: bool,
    /// Base64-decode the input.
    #[arg(long)]
    pub decode: bool,
    /// Never replace an existing output file (skip it with a warning).
    #[arg(long = "no-overwrite")]
    pub no_overwrite: bool,
}

/// `arca encrypt`.
#[derive(Debug, Clone, Args)]
pub struct EncryptArgs {
    /// Settings shared with decrypt.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Algorithm suite, by name (e.g. AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384) or hex id.
    #[arg(long)]
    pub algorithm: Option<String>,
    /// Plaintext bytes per frame.
    #[arg(long = "frame-length", default_value_t = crate::DEFAULT_FRAME_LENGTH)]
    pub frame_length: u32,
}

/// `arca decrypt`.
#[derive(Debug, Clone, Args)]
pub struct DecryptArgs {
    /// Settings shared with encrypt.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Decrypt only unsigned messages (refuse signed ones).
    #[arg(long = "decrypt-unsigned")]
    pub decrypt_unsigned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Encrypt,
    Decrypt,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Encrypt => "encrypt",
            Mode::Decrypt => "decrypt",
        }
    }

    fn default_suffix(self) -> &'static str {
        match self {
            Mode::Encrypt => ".encrypted",
            Mode::Decrypt => ".decrypted",
        }
    }
}

/// What one run needs, validated.
struct Settings {
    mode: Mode,
    client: Client,
    cmm: DefaultCmm,
    encrypt: EncryptOptions,
    decrypt: DecryptOptions,
    required_keys: Vec<String>,
    common: CommonArgs,
}

/// Runs `arca encrypt`.
pub fn run_encrypt(args: EncryptArgs) -> anyhow::Result<()> {
    let EncryptArgs { common, algorithm, frame_length } = args;
    let mut settings = Settings::new(Mode::Encrypt, common)?;
    if frame_length == 0 {
        bail!("--frame-length must be at least 1");
    }
    settings.encrypt.frame_length = frame_length;
    if let Some(algorithm) = algorithm {
        let suite = AlgorithmSuite::parse(&algorithm)
            .ok_or_else(|| anyhow!("unknown algorithm suite {algorithm:?}"))?;
        if !settings.client.commitment_policy.allows_encrypt(suite) {
            bail!("{suite} is not allowed to encrypt under the commitment policy");
        }
        settings.encrypt.suite = Some(suite);
    }
    settings.run()
}

/// Runs `arca decrypt`.
pub fn run_decrypt(args: DecryptArgs) -> anyhow::Result<()> {
    let DecryptArgs { common, decrypt_unsigned } = args;
    let mut settings = Settings::new(Mode::Decrypt, common)?;
    settings.decrypt.unsigned_only = decrypt_unsigned;
    settings.run()
}

impl Settings {
    fn new(mode: Mode, common: CommonArgs) -> anyhow::Result<Self> {
        let commitment_policy = match &common.commitment_policy {
            Some(text) => CommitmentPolicy::parse(text)
                .ok_or_else(|| anyhow!("unknown commitment policy {text:?}"))?,
            None => CommitmentPolicy::default(),
        };
        let client = Client {
            commitment_policy,
            max_encrypted_data_keys: common.max_encrypted_data_keys,
            parallel_frames: true,
        };
        let mut keyrings: Vec<Arc<dyn Keyring>> = Vec::new();
        for spec in group_wrapping_keys(&common.wrapping_keys) {
            keyrings.push(parse_wrapping_key(&spec)?);
        }
        let cmm = DefaultCmm::from_keyring(MultiKeyring::from_list(keyrings)?);
        let mut context = EncryptionContext::new();
        let mut required_keys = Vec::new();
        for pair in &common.encryption_context {
            match pair.split_once('=') {
                Some((key, value)) if !key.is_empty() => {
                    context.insert(key, value);
                }
                None if mode == Mode::Decrypt && !pair.is_empty() => {
                    required_keys.push(pair.clone());
                }
                _ => bail!("--encryption-context expects key=value, got {pair:?}"),
            }
        }
        Ok(Self {
            mode,
            client,
            cmm,
            encrypt: EncryptOptions {
                encryption_context: context.clone(),
                ..EncryptOptions::default()
            },
            decrypt: DecryptOptions { encryption_context: context, unsigned_only: false },
            required_keys,
            common,
        })
    }

    fn run(&self) -> anyhow::Result<()> {
        if self.common.output == "-" && self.common.metadata_output.as_deref() == Some("-") {
            bail!("--metadata-output - and --output - would both write to stdout");
        }
        let mut metadata = self.open_metadata()?;
        let input = self.common.input.as_str();
        let output = self.common.output.as_str();
        if input == "-" {
            let target = if output == "-" {
                None
            } else if Path::new(output).is_dir() {
                bail!("reading stdin needs an output file, not a directory");
            } else {
                Some(PathBuf::from(output))
            };
            return self.process(None, target.as_deref(), metadata.as_mut());
        }
        let input_path = Path::new(input);
        if input_path.is_dir() {
            if !self.common.recursive {
                bail!("{input} is a directory: use --recursive");
            }
            let output_dir = Path::new(output);
            if output == "-" || output_dir.is_file() {
                bail!("a directory input needs an output directory");
            }
            let mut files = Vec::new();
            collect_files(input_path, &mut files)?;
            files.sort();
            let mut failed = 0usize;
            for file in files {
                let relative = file.strip_prefix(input_path).unwrap_or(&file);
                let target = output_dir.join(self.with_suffix(relative));
                if let Err(error) = self.process(Some(&file), Some(&target), metadata.as_mut()) {
                    failed += 1;
                    eprintln!("arca {}: {}: {error:#}", self.mode.name(), file.display());
                }
            }
            if failed > 0 {
                bail!("{failed} file(s) failed");
            }
            return Ok(());
        }
        if !input_path.is_file() {
            bail!("input {input} does not exist");
        }
        let target = if output == "-" {
            None
        } else if Path::new(output).is_dir() {
            let name =
                input_path.file_name().ok_or_else(|| anyhow!("input {input} has no file name"))?;
            Some(Path::new(output).join(self.with_suffix(Path::new(name))))
        } else {
            Some(PathBuf::from(output))
        };
        self.process(Some(input_path), target.as_deref(), metadata.as_mut())
    }

    fn with_suffix(&self, path: &Path) -> PathBuf {
        let suffix = self.common.suffix.as_deref().unwrap_or(self.mode.default_suffix());
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    }

    fn open_metadata(&self) -> anyhow::Result<Option<MetadataSink>> {
        self.common
            .metadata_output
            .as_deref()
            .map(|target| MetadataSink::open(target, self.common.overwrite_metadata))
            .transpose()
    }

    /// Encrypts or decrypts one input (None = stdin) into one output (None = stdout).
    fn process(
        &self,
        input: Option<&Path>,
        output: Option<&Path>,
        metadata: Option<&mut MetadataSink>,
    ) -> anyhow::Result<()> {
        if let (Some(input), Some(output)) = (input, output)
            && same_file(input, output)
        {
            bail!("input and output are the same file");
        }
        if let Some(output) = output
            && self.common.no_overwrite
            && output.exists()
        {
            if !self.common.quiet {
                eprintln!(
                    "arca {}: {} exists; skipped (--no-overwrite)",
                    self.mode.name(),
                    output.display()
                );
            }
            return Ok(());
        }
        let (reader, total): (Box<dyn Read>, Option<u64>) = match input {
            Some(path) => {
                let file =
                    File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
                let len = file.metadata().ok().map(|m| m.len());
                (Box::new(file), len)
            }
            None => (Box::new(std::io::stdin().lock()), None),
        };
        let reader = Progress::new(reader, total, self.common.quiet);
        let mut reader: Box<dyn Read> = Box::new(BufReader::with_capacity(1 << 16, reader));
        if self.common.decode {
            reader = Box::new(base64_decoder(reader));
        }
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        if self.mode == Mode::Decrypt && !self.common.decode {
            refuse_base64(&mut reader)?;
        }
        match output {
            Some(path) => {
                let directory =
                    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                std::fs::create_dir_all(directory)
                    .with_context(|| format!("cannot create {}", directory.display()))?;
                let temporary = tempfile::NamedTempFile::new_in(directory)
                    .with_context(|| format!("cannot write in {}", directory.display()))?;
                let header = {
                    let mut writer = BufWriter::with_capacity(1 << 16, temporary.as_file());
                    let header = self.transform(&mut reader, &mut writer)?;
                    writer.flush()?;
                    header
                };
                temporary.as_file().sync_all()?;
                if self.common.no_overwrite {
                    temporary
                        .persist_noclobber(path)
                        .map_err(|e| anyhow!("cannot create {}: {}", path.display(), e.error))?;
                } else {
                    temporary
                        .persist(path)
                        .map_err(|e| anyhow!("cannot create {}: {}", path.display(), e.error))?;
                }
                self.write_metadata(metadata, input, output, &header)
            }
            None => {
                let stdout = std::io::stdout();
                let mut writer = BufWriter::with_capacity(1 << 16, stdout.lock());
                let header = self.transform(&mut reader, &mut writer)?;
                writer.flush()?;
                self.write_metadata(metadata, input, output, &header)
            }
        }
    }

    fn transform<R: Read, W: Write>(
        &self,
        reader: &mut R,
        writer: &mut W,
    ) -> anyhow::Result<MessageHeader> {
        if self.common.encode {
            let mut encoder = Base64Writer::new(writer);
            let header = self.transform_raw(reader, &mut encoder)?;
            encoder.finish()?;
            Ok(header)
        } else {
            self.transform_raw(reader, writer)
        }
    }

    fn transform_raw<R: Read, W: Write>(
        &self,
        reader: &mut R,
        writer: &mut W,
    ) -> anyhow::Result<MessageHeader> {
        match self.mode {
            Mode::Encrypt => {
                Ok(self.client.encrypt_stream(&self.cmm, &self.encrypt, reader, writer)?)
            }
            Mode::Decrypt => {
                let decrypted =
                    self.client.decrypt_stream(&self.cmm, &self.decrypt, reader, writer)?;
                for key in &self.required_keys {
                    if !decrypted.encryption_context.contains_key(key) {
                        return Err(crate::Error::DecryptionFailed.into());
                    }
                }
                Ok(decrypted.header)
            }
        }
    }

    fn write_metadata(
        &self,
        metadata: Option<&mut MetadataSink>,
        input: Option<&Path>,
        output: Option<&Path>,
        header: &MessageHeader,
    ) -> anyhow::Result<()> {
        let Some(sink) = metadata else {
            return Ok(());
        };
        sink.write_record(&cli_metadata::record(
            self.mode.name(),
            cli_metadata::path_name(input, "<stdin>"),
            cli_metadata::path_name(output, "<stdout>"),
            header,
        ))
    }
}

/// Splits the `--wrapping-keys` settings into one group per wrapping key: each
/// `provider=` starts a new group.
fn group_wrapping_keys(items: &[String]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for item in items {
        match groups.last_mut() {
            Some(group) if !item.starts_with("provider=") => group.push(item.clone()),
            _ => groups.push(vec![item.clone()]),
        }
    }
    groups
}

fn parse_wrapping_key(spec: &[String]) -> anyhow::Result<Arc<dyn Keyring>> {
    let mut provider = None;
    let mut settings: Vec<(&str, &str)> = Vec::new();
    for item in spec {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| anyhow!("--wrapping-keys expects key=value, got {item:?}"))?;
        if key == "provider" {
            provider = Some(value);
        } else {
            settings.push((key, value));
        }
    }
    let one = |name: &str| -> anyhow::Result<&str> {
        let mut values = settings.iter().filter(|(k, _)| *k == name).map(|(_, v)| *v);
        let value = values.next().ok_or_else(|| anyhow!("--wrapping-keys needs {name}="))?;
        if values.next().is_some() {
            bail!("--wrapping-keys: {name}= given twice");
        }
        Ok(value)
    };
    let known = |allowed: &[&str]| -> anyhow::Result<()> {
        for (key, _) in &settings {
            if !allowed.contains(key) {
                bail!("--wrapping-keys: unknown setting {key}=");
            }
        }
        Ok(())
    };
    match provider.unwrap_or("aws-kms") {
        "raw-aes" => {
            known(&["namespace", "name", "key-file"])?;
            let path = one("key-file")?;
            let key = SecretBytes::new(
                std::fs::read(path).with_context(|| format!("cannot read key file {path}"))?,
            );
            Ok(Arc::new(RawAesKeyring::new(one("namespace")?, one("name")?, key)?))
        }
        "raw-rsa" => {
            known(&["namespace", "name", "key-file", "padding"])?;
            let padding = match one("padding")? {
                "pkcs1" => RsaPadding::Pkcs1,
                "oaep-sha1" => RsaPadding::OaepSha1,
                "oaep-sha256" => RsaPadding::OaepSha256,
                "oaep-sha384" => RsaPadding::OaepSha384,
                "oaep-sha512" => RsaPadding::OaepSha512,
                other => bail!("unknown RSA padding {other:?}"),
            };
            let path = one("key-file")?;
            let pem = SecretBytes::new(
                std::fs::read(path).with_context(|| format!("cannot read key file {path}"))?,
            );
            Ok(Arc::new(RawRsaKeyring::from_pem(
                one("namespace")?,
                one("name")?,
                padding,
                pem.expose_secret(),
            )?))
        }
        "aws-kms" => kms_keyring(&settings),
        other => bail!("unknown wrapping key provider {other:?}"),
    }
}

#[cfg(feature = "kms")]
fn kms_keyring(settings: &[(&str, &str)]) -> anyhow::Result<Arc<dyn Keyring>> {
    crate::kms::keyring_from_cli(settings)
}

#[cfg(not(feature = "kms"))]
fn kms_keyring(_settings: &[(&str, &str)]) -> anyhow::Result<Arc<dyn Keyring>> {
    bail!("this arca was built without AWS KMS support (cargo feature `kms`)")
}

fn collect_files(directory: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(directory)
        .with_context(|| format!("cannot read directory {}", directory.display()))?
    {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_files(&entry.path(), files)?;
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Refuses input that looks like a base64-encoded message.
fn refuse_base64<R: BufRead>(reader: &mut R) -> anyhow::Result<()> {
    let head = reader.fill_buf()?;
    let looks_base64 =
        head.starts_with(b"AYA") || head.starts_with(b"AgR") || head.starts_with(b"AgV");
    if looks_base64 {
        bail!("the input looks base64-encoded; add --decode");
    }
    Ok(())
}

/// Decodes base64 text (whitespace ignored) as it is read.
fn base64_decoder<R: Read>(inner: R) -> impl Read {
    Base64Reader { inner, pending: Vec::new(), decoded: Vec::new(), offset: 0, done: false }
}

struct Base64Reader<R: Read> {
    inner: R,
    pending: Vec<u8>,
    decoded: Vec<u8>,
    offset: usize,
    done: bool,
}

impl<R: Read> Read for Base64Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.offset >= self.decoded.len() && !self.done {
            let mut chunk = [0u8; 1 << 16];
            let n = self.inner.read(&mut chunk)?;
            if n == 0 {
                self.done = true;
            }
            self.pending.extend(chunk.iter().take(n).filter(|b| !b.is_ascii_whitespace()).copied());
            let usable = if self.done { self.pending.len() } else { self.pending.len() / 4 * 4 };
            let rest = self.pending.split_off(usable);
            let text = std::mem::replace(&mut self.pending, rest);
            self.decoded =
                base64::engine::general_purpose::STANDARD.decode(&text).map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, "invalid base64 input")
                })?;
            self.offset = 0;
        }
        let available = self.decoded.get(self.offset..).unwrap_or_default();
        let n = available.len().min(buf.len());
        if let (Some(target), Some(source)) = (buf.get_mut(..n), available.get(..n)) {
            target.copy_from_slice(source);
        }
        self.offset += n;
        Ok(n)
    }
}

/// Base64-encodes what is written, in 3-byte groups.
struct Base64Writer<'w, W: Write> {
    inner: &'w mut W,
    pending: Vec<u8>,
}

impl<'w, W: Write> Base64Writer<'w, W> {
    fn new(inner: &'w mut W) -> Self {
        Self { inner, pending: Vec::new() }
    }

    fn finish(mut self) -> std::io::Result<()> {
        let text = base64::engine::general_purpose::STANDARD.encode(&self.pending);
        self.inner.write_all(text.as_bytes())?;
        self.pending.clear();
        self.inner.flush()
    }
}

impl<W: Write> Write for Base64Writer<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let usable = self.pending.len() / 3 * 3;
        if usable > 0 {
            let rest = self.pending.split_off(usable);
            let text = base64::engine::general_purpose::STANDARD.encode(&self.pending);
            self.pending = rest;
            self.inner.write_all(text.as_bytes())?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Shows a progress line on stderr for large inputs when stderr is a terminal.
struct Progress<R: Read> {
    inner: R,
    total: Option<u64>,
    done: u64,
    shown: u64,
    enabled: bool,
}

impl<R: Read> Progress<R> {
    const THRESHOLD: u64 = 64 << 20;

    fn new(inner: R, total: Option<u64>, quiet: bool) -> Self {
        let enabled = !quiet
            && std::io::stderr().is_terminal()
            && total.is_some_and(|t| t >= Self::THRESHOLD);
        Self { inner, total, done: 0, shown: 0, enabled }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.enabled
            && let Some(total) = self.total
        {
            let percent = self.done.saturating_mul(100) / total.max(1);
            if percent != self.shown || n == 0 {
                self.shown = percent;
                let bar = "#".repeat((percent / 4) as usize);
                eprint!("\r[{bar:<25}] {percent:>3}% of {} MiB", total >> 20);
                if n == 0 || percent >= 100 {
                    eprintln!();
                }
            }
        }
        Ok(n)
    }
}
