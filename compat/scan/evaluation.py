"""Evaluation sets for `arca scan`: faker-generated personal and financial identifiers with
near-miss negatives (right shape, failing checksum or structural rule), and the labelled
credential examples in ../shared/data/secret-examples (read in place, never copied).

Used by test_scan_quality.py (a CI-sized slice with thresholds) and by bench/scan (full set).
"""
import json
import os
import random
import subprocess
from collections import defaultdict
from pathlib import Path

from faker import Faker

SHARED = Path(os.environ.get("ARCA_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
if not SHARED.exists():
    SHARED = Path("/work/shared/data")
SECRET_EXAMPLES = SHARED / "secret-examples" / "noseyparker-examples.json"


def _luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _bump_last_digit(value: str, rng: random.Random) -> str:
    """Changes the last digit: every single-digit change breaks Luhn, mod-97, mod-11 checks."""
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    i = positions[-1]
    new = str((int(value[i]) + rng.randint(1, 9)) % 10)
    return value[:i] + new + value[i + 1:]


def _bump_letter(value: str, rng: random.Random) -> str:
    last = value[-1]
    choices = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != last]
    return value[:-1] + rng.choice(choices)


def _nhs(rng: random.Random, valid: bool) -> str:
    while True:
        body = [rng.randint(0, 9) for _ in range(9)]
        total = sum(d * w for d, w in zip(body, range(10, 1, -1)))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check == 10:
            continue
        if not valid:
            check = (check + rng.randint(1, 9)) % 10
        digits = "".join(map(str, body + [check]))
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 8, 7, 6, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
_VERHOEFF_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def _aadhaar(rng: random.Random, valid: bool) -> str:
    """Faker's aadhaar_id has no Verhoeff check digit, so Aadhaar numbers are made here."""
    body = [rng.randint(2, 9)] + [rng.randint(0, 9) for _ in range(10)]
    c = 0
    for i, d in enumerate(reversed(body)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[(i + 1) % 8][d]]
    check = _VERHOEFF_INV[c]
    if not valid:
        check = (check + rng.randint(1, 9)) % 10
    digits = "".join(map(str, body + [check]))
    return f"{digits[:4]} {digits[4:8]} {digits[8:]}"


def _ssn_negative(rng: random.Random) -> str:
    area = rng.choice(["000", "666", str(rng.randint(900, 999))])
    return f"{area}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _iban_negative(value: str, rng: random.Random) -> str:
    return _bump_last_digit(value, rng)


def _vin_negative(value: str, rng: random.Random) -> str:
    check = value[8]
    other = rng.choice([c for c in "0123456789X" if c != check])
    return value[:8] + other + value[9:]


def _dob_negative(rng: random.Random) -> str:
    return f"{rng.randint(1950, 2005)}-{rng.randint(13, 19)}-{rng.randint(32, 39)}"


_RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def _rfc_with_check(value: str) -> str:
    """Faker's RFCs end in a random character; this sets the SAT check character."""
    body = value[:-1].rjust(12)
    total = sum(_RFC_ALPHABET.index(c) * (13 - i) for i, c in enumerate(body))
    check = 11 - total % 11
    return value[:-1] + {11: "0", 10: "A"}.get(check, str(check))


def _bump_check_char(value: str, alphabet: str, rng: random.Random) -> str:
    return value[:-1] + rng.choice([c for c in alphabet if c != value[-1].upper()])


def _cuit(fake, prefixes) -> str:
    while True:
        value = fake.cuit()
        if value[:2] in prefixes:
            return value


def _dotted(digits: str) -> str:
    """Thousands dots as Argentina and Colombia write document numbers."""
    return f"{int(digits):,}".replace(",", ".")


def _uci(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.randint(0, 99):02d}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
    return f"{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}"


def pii_cases(n: int, seed: int = 7):
    """(identifier, line, is_positive) triples. A generator is (template, positive value,
    near-miss value[, template of the near miss]): identifiers without a check digit get
    the value without their keyword as the near miss."""
    rng = random.Random(seed)
    Faker.seed(seed)
    us, ca, gb, fr, it, es, br, cn, de = (
        Faker(locale) for locale in ["en_US", "en_CA", "en_GB", "fr_FR", "it_IT", "es_ES", "pt_BR", "zh_CN", "de_DE"]
    )
    iban_fakers = [de, fr, gb, es, it, Faker("nl_NL")]
    ar, cl, co, mx = (Faker(locale) for locale in ["es_AR", "es_CL", "es_CO", "es_MX"])
    generators = {
        "USA_SOCIAL_SECURITY_NUMBER": ("SSN: {}", lambda: us.ssn(), lambda v: _ssn_negative(rng)),
        "CREDIT_CARD_NUMBER": ("Credit card number: {}", lambda: us.credit_card_number(), lambda v: _bump_last_digit(v, rng)),
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER": ("Pay to IBAN {}", lambda: rng.choice(iban_fakers).iban(), lambda v: _iban_negative(v, rng)),
        "CANADA_SOCIAL_INSURANCE_NUMBER": ("SIN: {}", lambda: ca.ssn(), lambda v: _bump_last_digit(v, rng)),
        "ITALY_NATIONAL_IDENTIFICATION_NUMBER": ("Codice fiscale: {}", lambda: it.ssn(), lambda v: _bump_letter(v, rng)),
        "SPAIN_DNI_NUMBER": ("DNI {}", lambda: es.nif(), lambda v: _bump_letter(v, rng)),
        "BRAZIL_CPF_NUMBER": ("CPF: {}", lambda: br.cpf(), lambda v: _bump_last_digit(v, rng)),
        "BRAZIL_CNPJ_NUMBER": ("CNPJ: {}", lambda: br.cnpj(), lambda v: _bump_last_digit(v, rng)),
        "INDIA_AADHAAR_NUMBER": ("Aadhaar: {}", lambda: _aadhaar(rng, True), lambda v: _aadhaar(rng, False)),
        "CHINA_RESIDENT_IDENTITY_CARD_NUMBER": ("身份证号: {}", lambda: cn.ssn(), lambda v: v[:-1] + str(rng.randint(0, 9)) if v[-1] == "X" else v[:-1] + ("X" if rng.random() < 0.5 else str((int(v[-1]) + 1) % 10))),
        "UK_NHS_NUMBER": ("NHS number: {}", lambda: _nhs(rng, True), lambda v: _nhs(rng, False)),
        "DATE_OF_BIRTH": ("Date of birth: {}", lambda: us.date_of_birth().isoformat(), lambda v: _dob_negative(rng)),
        "VEHICLE_IDENTIFICATION_NUMBER": ("VIN: {}", lambda: us.vin(), lambda v: _vin_negative(v, rng)),
        "ARGENTINA_DNI_NUMBER": ("DNI: {}", lambda: _dotted(str(rng.randint(5_000_000, 45_999_999))), lambda v: v, "Pedido {}"),
        "ARGENTINA_TARJETA_SUBE": ("Tarjeta SUBE: {}", lambda: "6061 " + " ".join(f"{rng.randint(0, 9999):04d}" for _ in range(3)), lambda v: "6062" + v[4:]),
        "ARGENTINA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER": ("CUIL: {}", lambda: _cuit(ar, {"20", "23", "24", "27"}), lambda v: _bump_last_digit(v, rng)),
        "ARGENTINA_ORGANIZATION_TAX_IDENTIFICATION_NUMBER": ("CUIT: {}", lambda: _cuit(ar, {"30", "33", "34"}), lambda v: _bump_last_digit(v, rng)),
        "BRAZIL_CEP_CODE": ("CEP: {}", lambda: f"{rng.randint(1000, 99999):05d}-{rng.randint(0, 999):03d}", lambda v: v, "Pedido {}"),
        "CANADA_NATIONAL_IDENTIFICATION_NUMBER": ("Permanent resident UCI: {}", lambda: _uci(rng), lambda v: v, "Order {}"),
        "CHILE_RUT_NUMBER": ("RUT: {}", lambda: cl.rut(), lambda v: _bump_check_char(v, "0123456789K", rng)),
        "COLOMBIA_CITIZENSHIP_CARD_NUMBER": ("Cédula de ciudadanía: {}", lambda: _dotted(co.nuip()), lambda v: v, "Pedido {}"),
        "COLOMBIA_INDIVIDUAL_NIT_NUMBER": ("NIT: {}", lambda: co.natural_person_nit_with_check_digit(), lambda v: _bump_last_digit(v, rng)),
        "COLOMBIA_ORGANIZATION_NIT_NUMBER": ("NIT: {}", lambda: co.legal_person_nit_with_check_digit(), lambda v: _bump_last_digit(v, rng)),
        "MEXICO_CURP_NUMBER": ("CURP: {}", lambda: mx.curp(), lambda v: _bump_last_digit(v, rng)),
        "MEXICO_INDIVIDUAL_RFC_NUMBER": ("RFC: {}", lambda: _rfc_with_check(mx.rfc()), lambda v: _bump_check_char(v, "0123456789A", rng)),
        "MEXICO_ORGANIZATION_RFC_NUMBER": ("RFC: {}", lambda: _rfc_with_check(mx.rfc(natural=False)), lambda v: _bump_check_char(v, "0123456789A", rng)),
    }
    cases = []
    for identifier, (template, positive, negative, *near_miss_template) in generators.items():
        negative_template = near_miss_template[0] if near_miss_template else template
        for _ in range(n):
            value = positive()
            cases.append((identifier, template.format(value), True))
            cases.append((identifier, negative_template.format(negative(value)), False))
    return cases


def write_pii_corpus(directory: Path, n: int, seed: int = 7):
    """One file per case; returns {file name: (identifier, is_positive)}."""
    labels = {}
    directory.mkdir(parents=True, exist_ok=True)
    for index, (identifier, line, positive) in enumerate(pii_cases(n, seed)):
        name = f"{identifier.lower()}-{'pos' if positive else 'neg'}-{index}.txt"
        (directory / name).write_text(f"Customer file\n{line}\n", encoding="utf-8")
        labels[name] = (identifier, positive)
    return labels


def detected_types(findings):
    """{file name: set of identifier types} from `arca scan --format json` findings."""
    out = defaultdict(set)
    for finding in findings:
        name = Path(finding["resourcesAffected"]["s3Object"]["path"]).name
        result = finding["classificationDetails"]["result"]
        for item in result["sensitiveData"]:
            for detection in item["detections"]:
                out[name].add(detection["type"])
    return out


def pii_scores(labels, detected):
    """Per identifier: tp, fp, fn, precision, recall."""
    stats = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    for name, (identifier, positive) in labels.items():
        found = detected.get(name, set())
        if positive:
            stats[identifier]["tp" if identifier in found else "fn"] += 1
        elif identifier in found:
            stats[identifier]["fp"] += 1
    for s in stats.values():
        s["precision"] = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        s["recall"] = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
    return dict(stats)


def write_secret_corpus(directory: Path):
    """One file per labelled credential example; returns {file name: (rule, is_positive)}."""
    data = json.loads(SECRET_EXAMPLES.read_text(encoding="utf-8"))
    labels = {}
    directory.mkdir(parents=True, exist_ok=True)
    positives = {example.strip() for rule in data["rules"] for example in rule["examples"]}
    for rule in data["rules"]:
        for kind, examples in (("pos", rule["examples"]), ("neg", rule["negative_examples"])):
            for i, example in enumerate(examples):
                name = f"{rule['rule']}-{kind}-{i}.txt"
                (directory / name).write_text(example, encoding="utf-8")
                # A negative of one rule that is, verbatim, a positive of another rule (the
                # Slack and Vault token generations) is not a true negative.
                conflicting = kind == "neg" and example.strip() in positives
                labels[name] = (rule["rule"], kind == "pos", conflicting)
    return labels


def secret_scores(labels, detected):
    positives = [n for n, (_, p, _) in labels.items() if p]
    negatives = [n for n, (_, p, _) in labels.items() if not p]
    strict = [n for n, (_, p, conflicting) in labels.items() if not p and not conflicting]
    flagged_pos = [n for n in positives if detected.get(n)]
    flagged_neg = [n for n in negatives if detected.get(n)]
    flagged_strict = [n for n in strict if detected.get(n)]
    return {
        "positives": len(positives),
        "flagged_positives": len(flagged_pos),
        "negatives": len(negatives),
        "flagged_negatives": len(flagged_neg),
        "strict_negatives": len(strict),
        "flagged_strict_negatives": len(flagged_strict),
        "recall": len(flagged_pos) / len(positives),
        "flagged_negative_files": sorted(flagged_neg),
        "flagged_strict_negative_files": sorted(flagged_strict),
    }


def kingfisher_detected(kingfisher: str, directory: Path):
    """{file name: set of rule ids} from Kingfisher without validation, the peer the
    credential targets are set against.

    `--no-dedup` makes it report every file that holds a secret: by default it reports each
    distinct secret once, so of two example files with the same text one would count as
    missed (or, for a negative, as passed)."""
    proc = subprocess.run(
        [kingfisher, "scan", "--no-validate", "--no-dedup", "--no-update-check", "--format", "json", str(directory)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # The JSON report (findings, audit, metadata) comes first; a summary object follows it.
    report, _ = json.JSONDecoder().raw_decode(proc.stdout.lstrip())
    out = defaultdict(set)
    for finding in report["findings"]:
        out[Path(finding["finding"]["path"]).name].add(finding["rule"]["id"])
    return out
