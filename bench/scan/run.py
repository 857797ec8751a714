#!/usr/bin/env python3
"""Side-by-side throughput of `arca scan` against Kingfisher (validation off), detect-secrets
and Presidio (regex recognizers on a blank spaCy English pipeline) on one generated
plain-text corpus, plus Arca alone on a mixed-format corpus, and the quality evaluation
(precision/recall per identifier, credential examples) on the full set.

    bench/scan/run.py --size-mb 500 --presidio-mb 20     # the full benchmark
    bench/scan/run.py --size-mb 20 --presidio-mb 1       # smoke size

Presidio runs on the first --presidio-mb of the same corpus. detect-secrets scans about
75 KB/s per core, so a 500 MB run takes hours: --detect-secrets-mb N gives it the first
N MB instead (reported as such; MB/s stays comparable, the corpus being uniform).

Peers come from PyPI into bench/scan/.venv (kingfisher-bin, detect-secrets,
presidio-analyzer); Arca from ARCA_BIN or target/release/arca. Prints MB/s, ratios and
peak RSS of each run (from wait4).
"""
import argparse
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV = HERE / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "compat" / "scan"))

WORDS = ("the of and to in is was for on that with as by at from this be or an are it not have "
         "order invoice customer account service request status update report data system user").split()


def line(rng: random.Random, fake) -> str:
    """Mostly prose and log noise, sometimes a sensitive value next to its keyword."""
    roll = rng.random()
    if roll < 0.002:
        return f"ssn: {fake.ssn()}"
    if roll < 0.004:
        return f"credit card {fake.credit_card_number()}"
    if roll < 0.005:
        return f"token=ghp_{''.join(rng.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') for _ in range(36))}"
    if roll < 0.3:
        return f"2024-05-{rng.randint(1, 28):02d}T12:{rng.randint(0, 59):02d}:00Z INFO request id={rng.getrandbits(64):x} took {rng.randint(1, 999)}ms"
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))


def make_text_corpus(directory: Path, size_mb: int, seed: int = 1) -> int:
    from faker import Faker
    fake = Faker("en_US")
    Faker.seed(seed)
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    target = size_mb * 1_000_000
    file_size = 4_000_000
    written = 0
    index = 0
    while written < target:
        chunk = "\n".join(line(rng, fake) for _ in range(file_size // 60)) + "\n"
        data = chunk.encode()[: min(file_size, target - written)]
        (directory / f"part-{index:04d}.txt").write_bytes(data)
        written += len(data)
        index += 1
    return written


def make_mixed_corpus(directory: Path, text_dir: Path) -> int:
    """CSV, JSON, JSON Lines, Parquet, XLSX, PDF and archives built from the text corpus
    (Parquet with pyarrow, XLSX with openpyxl, both from PyPI)."""
    import openpyxl
    import pyarrow
    import pyarrow.parquet
    directory.mkdir(parents=True, exist_ok=True)
    sources = sorted(text_dir.glob("*.txt"))[:8]
    total = 0
    for i, source in enumerate(sources):
        lines = source.read_text().splitlines()[:20000]
        csv = "id,note\n" + "\n".join(f"{n},\"{l}\"" for n, l in enumerate(lines))
        (directory / f"t{i}.csv").write_text(csv)
        (directory / f"t{i}.jsonl").write_text("\n".join(json.dumps({"id": n, "note": l}) for n, l in enumerate(lines)))
        (directory / f"t{i}.json").write_text(json.dumps({"rows": [{"note": l} for l in lines[:5000]]}))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("notes.txt", "\n".join(lines))
        (directory / f"t{i}.zip").write_bytes(buf.getvalue())
        tar = io.BytesIO()
        with tarfile.open(fileobj=tar, mode="w") as t:
            data = "\n".join(lines).encode()
            info = tarfile.TarInfo("notes.txt")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        (directory / f"t{i}.tar.gz").write_bytes(gzip.compress(tar.getvalue()))
        stream = "BT " + " ".join(f"({l.replace('(', '').replace(')', '')}) Tj T*" for l in lines[:2000]) + " ET"
        pdf = f"%PDF-1.4\n1 0 obj <</Length {len(stream)}>> stream\n{stream}\nendstream endobj\n%%EOF\n"
        (directory / f"t{i}.pdf").write_text(pdf)
        table = pyarrow.table({"id": list(range(len(lines))), "customer": [{"note": l} for l in lines]})
        pyarrow.parquet.write_table(table, directory / f"t{i}.parquet", compression="snappy")
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("notes")
        sheet.append(["id", "note"])
        for n, l in enumerate(lines[:5000]):
            sheet.append([n, l])
        book.save(directory / f"t{i}.xlsx")
    for path in directory.iterdir():
        total += path.stat().st_size
    return total


def sample_of(text_dir: Path, mb: int) -> Path:
    """The first whole files holding at least `mb` MB of a corpus, as hard links in a
    directory beside it."""
    sample = text_dir.parent / f"{text_dir.name}-first-{mb}"
    if not sample.exists():
        sample.mkdir()
        total = 0
        for path in sorted(text_dir.glob("*.txt")):
            if total >= mb * 1_000_000:
                break
            os.link(path, sample / path.name)
            total += path.stat().st_size
    return sample


def run_timed(command, cwd=None):
    start = time.perf_counter()
    import tempfile
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err_file, cwd=cwd)
        # Read stdout fully, then reap with wait4 for the child's own peak RSS.
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        err_file.seek(0)
        err = err_file.read()
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out, err


PRESIDIO = r"""
import sys, time, pathlib, spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
class BlankEngine(SpacyNlpEngine):
    def __init__(self):
        self.nlp = {"en": spacy.blank("en")}
        self.nlp_configuration = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "blank"}]}
        self.ner_model_configuration = NerModelConfiguration()
    def load(self): pass
    def is_loaded(self): return True
registry = RecognizerRegistry(); registry.load_predefined_recognizers()
engine = AnalyzerEngine(nlp_engine=BlankEngine(), registry=registry, supported_languages=["en"])
total = 0; found = 0
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.txt")):
    text = path.read_text()
    for start in range(0, len(text), 100_000):
        found += len(engine.analyze(text=text[start:start + 100_000], language="en"))
    total += len(text)
print(total, found)
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=20)
    parser.add_argument("--presidio-mb", type=int, default=1)
    parser.add_argument("--detect-secrets-mb", type=int, default=None,
                        help="scan only the first N MB with detect-secrets (default: all)")
    parser.add_argument("--eval-n", type=int, default=200)
    parser.add_argument("--work", type=Path, default=HERE / "corpus")
    args = parser.parse_args()
    arca = os.environ.get("ARCA_BIN", str(ROOT / "target" / "release" / "arca"))
    args.work = args.work.resolve()
    text_dir = (args.work / f"text-{args.size_mb}").resolve()
    if not text_dir.exists():
        make_text_corpus(text_dir, args.size_mb)
    size = sum(p.stat().st_size for p in text_dir.glob("*.txt"))
    presidio_dir = sample_of(text_dir, args.presidio_mb)
    presidio_size = sum(p.stat().st_size for p in presidio_dir.glob("*.txt"))
    rows = []

    def record(name, seconds, rss, nbytes, code):
        rows.append({"tool": name, "seconds": round(seconds, 2), "mb_per_s": round(nbytes / 1e6 / seconds, 3), "peak_rss_mb": round(rss, 1), "exit": code, "mb": round(nbytes / 1e6, 1)})
        print(json.dumps(rows[-1]), flush=True)

    s, rss, code, _, _ = run_timed([arca, "scan", "--no-progress", "--identifiers", "ALL", "--format", "json", str(text_dir)])
    record("arca (ALL identifiers)", s, rss, size, code)
    kingfisher = VENV / "kingfisher"
    if kingfisher.exists():
        s, rss, code, _, _ = run_timed([str(kingfisher), "scan", "--no-validate", "--format", "json", "--no-update-check", str(text_dir)])
        record("kingfisher --no-validate", s, rss, size, code)
    detect_secrets = VENV / "detect-secrets"
    if detect_secrets.exists():
        ds_dir, ds_size, ds_name = text_dir, size, "detect-secrets"
        if args.detect_secrets_mb is not None and args.detect_secrets_mb < args.size_mb:
            ds_dir = sample_of(text_dir, args.detect_secrets_mb)
            ds_size = sum(p.stat().st_size for p in ds_dir.glob("*.txt"))
            ds_name = f"detect-secrets (first {ds_size / 1e6:.0f} MB)"
        # detect-secrets skips paths outside the git repository it is started in.
        s, rss, code, out, _ = run_timed([str(detect_secrets), "scan", "--all-files", ds_dir.name], cwd=ds_dir.parent)
        results = json.loads(out or b"{}").get("results", {})
        print(f"detect-secrets: {sum(len(v) for v in results.values())} secrets in {len(results)} files", flush=True)
        record(ds_name, s, rss, ds_size, code)
    if (VENV / "python").exists():
        s, rss, code, out, err = run_timed([str(VENV / "python"), "-c", PRESIDIO, str(presidio_dir)])
        record(f"presidio (regex, blank spaCy; first {presidio_size / 1e6:.0f} MB)", s, rss, presidio_size, code)
        if code != 0:
            print(err.decode()[-2000:], file=sys.stderr)
    mixed = args.work / "mixed"
    if not mixed.exists():
        make_mixed_corpus(mixed, text_dir)
    mixed_size = sum(p.stat().st_size for p in mixed.iterdir())
    s, rss, code, _, _ = run_timed([arca, "scan", "--no-progress", "--identifiers", "ALL", "--format", "json", str(mixed)])
    record("arca mixed formats", s, rss, mixed_size, code)
    by_tool = {r["tool"]: r for r in rows}
    arca_rate = by_tool["arca (ALL identifiers)"]["mb_per_s"]
    for name, row in by_tool.items():
        if name.startswith("arca"):
            continue
        if row["mb_per_s"] > 0:
            print(f"arca / {name}: {arca_rate / row['mb_per_s']:.1f}x")
    # Quality on the full evaluation set.
    from evaluation import (detected_types, kingfisher_detected, pii_scores, secret_scores,
                            write_pii_corpus, write_secret_corpus)
    labels = write_pii_corpus(args.work / "eval-pii", n=args.eval_n)
    out = subprocess.run([arca, "scan", "--no-progress", "--identifiers", "ALL", "--format", "json", str(args.work / "eval-pii")], capture_output=True, text=True).stdout
    findings = [json.loads(l) for l in out.splitlines() if l.strip() and "summary" not in json.loads(l)]
    print(json.dumps(pii_scores(labels, detected_types(findings)), indent=1))
    labels = write_secret_corpus(args.work / "eval-secrets")
    out = subprocess.run([arca, "scan", "--no-progress", "--identifiers", "ALL", "--format", "json", str(args.work / "eval-secrets")], capture_output=True, text=True).stdout
    findings = [json.loads(l) for l in out.splitlines() if l.strip() and "summary" not in json.loads(l)]
    arca_scores = secret_scores(labels, detected_types(findings))
    print(json.dumps({"arca": arca_scores}, indent=1))
    if kingfisher.exists():
        peer_scores = secret_scores(labels, kingfisher_detected(str(kingfisher), args.work / "eval-secrets"))
        print(json.dumps({"kingfisher --no-validate --no-dedup": peer_scores}, indent=1))
        for key in ("flagged_positives", "flagged_negatives", "flagged_strict_negatives"):
            print(f"credential examples, {key}: arca {arca_scores[key]}, kingfisher {peer_scores[key]}")


if __name__ == "__main__":
    main()
