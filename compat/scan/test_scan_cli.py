"""`arca scan` end to end: formats, locations, exit codes, output shapes, settings files."""
import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

SSN_TEXT = "Employee record\nssn: 536-22-8726\n"
GITHUB = "ghp_" + "XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg"


def write(path, content, mode="w"):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode) as f:
        f.write(content)
    return path


def types_of(finding):
    result = finding["classificationDetails"]["result"]
    out = {d["type"] for item in result["sensitiveData"] for d in item["detections"]}
    out |= {d["name"] for d in result["customDataIdentifiers"]["detections"]}
    return out


def test_exit_codes(scan, tmp_path):
    clean = write(tmp_path / "clean" / "readme.txt", "nothing to see here\n")
    assert scan(clean).code == 0
    dirty = write(tmp_path / "dirty" / "hr.txt", SSN_TEXT)
    assert scan(dirty).code == 1
    # Personal data alone is Low severity: below a High threshold.
    assert scan(dirty, "--fail-on", "high").code == 0
    assert scan(tmp_path / "missing").code == 2
    assert scan(dirty, "--fail-on", "extreme").code == 2


def test_text_finding_shape_and_no_values(scan, tmp_path):
    path = write(tmp_path / "hr.txt", SSN_TEXT + f"token = {GITHUB}\n")
    result = scan(path, "--format", "json")
    assert result.code == 1
    [finding] = result.findings()
    assert finding["type"] == "SensitiveData:S3Object/Multiple"
    assert finding["severity"] == {"description": "High", "score": 3}
    assert finding["resourcesAffected"]["s3Object"]["path"] == str(path)
    details = finding["classificationDetails"]["result"]
    assert details["status"]["code"] == "COMPLETE"
    assert details["mimeType"] == "text/plain"
    categories = {item["category"]: item for item in details["sensitiveData"]}
    ssn = categories["PERSONAL_INFORMATION"]["detections"][0]
    assert ssn["type"] == "USA_SOCIAL_SECURITY_NUMBER"
    assert ssn["count"] == 1
    assert ssn["occurrences"]["lineRanges"] == [{"start": 2, "end": 2, "startColumn": 6}]
    assert "536-22-8726" not in result.stdout and GITHUB not in result.stdout
    summary = result.summary()
    assert summary["objectsScanned"] == 1 and summary["objectsWithFindings"] == 1
    revealed = scan(path, "--format", "json", "--reveal")
    assert "536-22-8726" in revealed.stdout


def test_occurrence_cap_and_additional(scan, tmp_path):
    lines = "".join(f"ssn 536-{22 + i:02d}-{1000 + i:04d}\n" for i in range(40))
    path = write(tmp_path / "many.txt", lines)
    [finding] = scan(path, "--format", "json").findings()
    result = finding["classificationDetails"]["result"]
    detection = result["sensitiveData"][0]["detections"][0]
    assert detection["count"] >= 30
    assert len(detection["occurrences"]["lineRanges"]) == 15
    assert result["additionalOccurrences"] is True


def test_csv_cells_with_column_keyword(scan, tmp_path):
    path = write(tmp_path / "people.csv", "name,ssn,notes\nAlice,536-22-8726,none\nBob,123-45-6788,x\n")
    [finding] = scan(path, "--format", "json").findings()
    result = finding["classificationDetails"]["result"]
    assert result["mimeType"] == "text/csv"
    detection = result["sensitiveData"][0]["detections"][0]
    assert detection["type"] == "USA_SOCIAL_SECURITY_NUMBER" and detection["count"] == 2
    assert detection["occurrences"]["cells"][0] == {"row": 2, "column": 2, "columnName": "ssn", "cellReference": None}


def test_tsv_detected_by_content(scan, tmp_path):
    path = write(tmp_path / "export.data", "id\tpassport\n1\tX1234567\n2\tAB123456\n3\tCD654321\n")
    [finding] = scan(path, "--format", "json", "--identifiers", "ALL").findings()
    assert finding["classificationDetails"]["result"]["mimeType"] == "text/tab-separated-values"
    assert "CANADA_PASSPORT_NUMBER" in types_of(finding)


def test_json_and_json_lines_records(scan, tmp_path):
    doc = write(tmp_path / "doc.json", json.dumps({"customer": {"tax": {"ssn": "536-22-8726"}}}))
    [finding] = scan(doc, "--format", "json").findings()
    records = finding["classificationDetails"]["result"]["sensitiveData"][0]["detections"][0]["occurrences"]["records"]
    assert records == [{"recordIndex": 0, "jsonPath": "$.customer.tax.ssn"}]
    lines = write(tmp_path / "events.log", "\n".join(json.dumps({"i": i, "user": {"ssn": "536-22-8726" if i == 2 else "n/a"}}) for i in range(4)) + "\n")
    [finding] = scan(lines, "--format", "json").findings()
    result = finding["classificationDetails"]["result"]
    assert result["mimeType"] == "application/x-ndjson"
    assert result["sensitiveData"][0]["detections"][0]["occurrences"]["records"] == [{"recordIndex": 2, "jsonPath": "$.user.ssn"}]


def test_nested_archives(scan, tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deep/secret.txt", f"GITHUB_TOKEN={GITHUB}\n")
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as t:
        info = tarfile.TarInfo("bundle/inner.zip")
        info.size = len(inner.getvalue())
        t.addfile(info, io.BytesIO(inner.getvalue()))
    path = write(tmp_path / "release.bin", gzip.compress(tar_bytes.getvalue()), "wb")
    result = scan(path, "--format", "json")
    [finding] = result.findings()
    assert finding["classificationDetails"]["result"]["mimeType"] == "application/gzip"
    assert types_of(finding) == {"GITHUB_TOKEN"}


def test_zip_bomb_is_skipped_with_reason(scan, tmp_path):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for i in range(4):
            z.writestr(f"zeros{i}.txt", b"\0" * (64 << 20))
    path = write(tmp_path / "bomb.zip", bomb.getvalue(), "wb")
    result = scan(path, "--format", "json")
    assert result.code == 0
    [skipped] = result.summary()["skipped"]
    assert skipped["status"] == "SKIPPED"
    assert skipped["reason"].startswith("EXPANSION_RATIO_EXCEEDED")
    assert "EXPANSION_RATIO_EXCEEDED" in result.stderr


def test_gzip_bomb_is_stopped(scan, tmp_path):
    path = write(tmp_path / "big.log.gz", gzip.compress(b"A" * (300 << 20), 9), "wb")
    result = scan(path, "--format", "json")
    [skipped] = result.summary()["skipped"]
    assert "EXPANSION_RATIO_EXCEEDED" in skipped["reason"]


def test_binary_skipped(scan, tmp_path):
    path = write(tmp_path / "tool", b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 10, "wb")
    result = scan(path, "--format", "json")
    assert result.code == 0
    assert result.summary()["skipped"][0]["reason"] == "UNSUPPORTED_FILE_TYPE: ELF executable"


def test_office_documents(scan, tmp_path):
    xlsx = io.BytesIO()
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/sharedStrings.xml", '<sst><si><t>Name</t></si><si><t>Passport</t></si><si><t>Alice</t></si><si><t>AB123456</t></si></sst>')
        z.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row></sheetData></worksheet>',
        )
    path = write(tmp_path / "staff.xlsx", xlsx.getvalue(), "wb")
    [finding] = scan(path, "--format", "json").findings()
    result = finding["classificationDetails"]["result"]
    assert result["mimeType"].endswith("spreadsheetml.sheet")
    cells = [d for item in result["sensitiveData"] for d in item["detections"] if d["type"] == "CANADA_PASSPORT_NUMBER"][0]["occurrences"]["cells"]
    assert cells == [{"row": 2, "column": 2, "columnName": "Passport", "cellReference": "B2"}]
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", '<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p><w:p><w:r><w:t>SSN: 536-22-8726</w:t></w:r></w:p></w:body></w:document>')
    path = write(tmp_path / "letter.docx", docx.getvalue(), "wb")
    [finding] = scan(path, "--format", "json").findings()
    detection = finding["classificationDetails"]["result"]["sensitiveData"][0]["detections"][0]
    assert detection["occurrences"]["lineRanges"][0]["start"] == 2


def test_pdf_pages(scan, tmp_path):
    stream = b"BT /F1 12 Tf 72 712 Td (Social security: 536-22-8726) Tj ET"
    pdf = b"%PDF-1.4\n1 0 obj <</Length " + str(len(stream)).encode() + b">> stream\n" + stream + b"\nendstream endobj\n%%EOF\n"
    path = write(tmp_path / "form.pdf", pdf, "wb")
    [finding] = scan(path, "--format", "json").findings()
    pages = finding["classificationDetails"]["result"]["sensitiveData"][0]["detections"][0]["occurrences"]["pages"]
    assert pages[0]["pageNumber"] == 1


def test_custom_identifier_and_allow_list(scan, tmp_path):
    custom = write(tmp_path / "custom.json", json.dumps({
        "name": "Employee ID", "regex": "EMP-[0-9]{6}", "keywords": ["employee"],
        "ignoreWords": ["EMP-000000"], "maximumMatchDistance": 20,
        "severityLevels": [{"occurrencesThreshold": 1, "severity": "LOW"}, {"occurrencesThreshold": 3, "severity": "HIGH"}],
    }))
    allow = write(tmp_path / "allow.json", json.dumps({"name": "test ssn", "criteria": {"regex": "536-22-8726"}}))
    data = write(tmp_path / "data" / "staff.txt", "employee EMP-123456\nemployee EMP-000000\nssn 536-22-8726\nssn 123-45-6788\n")
    result = scan(data, "--format", "json", "--custom-identifiers", custom, "--allow-list", allow)
    [finding] = result.findings()
    details = finding["classificationDetails"]["result"]
    assert details["customDataIdentifiers"]["totalCount"] == 1
    assert details["customDataIdentifiers"]["detections"][0]["name"] == "Employee ID"
    assert details["sensitiveData"][0]["detections"][0]["count"] == 1
    assert finding["type"] == "SensitiveData:S3Object/Multiple"
    words = write(tmp_path / "words.txt", "123-45-6788\n536-22-8726\n")
    allow_words = write(tmp_path / "allow-words.json", json.dumps({"name": "w", "criteria": {"s3WordsList": {"bucketName": "local", "objectKey": "words.txt"}}}))
    result = scan(data, "--format", "json", "--allow-list", allow_words, "--identifiers", "INCLUDE:USA_SOCIAL_SECURITY_NUMBER")
    assert result.findings() == [] and result.code == 0
    bad = write(tmp_path / "bad.json", json.dumps({"name": "x", "regex": "a", "maximumMatchDistance": 500}))
    assert scan(data, "--custom-identifiers", bad).code == 2


def test_identifier_selection(scan, tmp_path):
    path = write(tmp_path / "x.txt", SSN_TEXT + f"{GITHUB}\n")
    only = scan(path, "--format", "json", "--identifiers", "INCLUDE:GITHUB_TOKEN").findings()
    assert types_of(only[0]) == {"GITHUB_TOKEN"}
    excluded = scan(path, "--format", "json", "--identifiers", "EXCLUDE:GITHUB_TOKEN").findings()
    assert types_of(excluded[0]) == {"USA_SOCIAL_SECURITY_NUMBER"}
    assert scan(path, "--identifiers", "INCLUDE:NOT_A_THING").code == 2


def test_baseline(scan, tmp_path):
    data = write(tmp_path / "d" / "a.txt", SSN_TEXT)
    first = scan(data, "--format", "json")
    baseline = write(tmp_path / "baseline.jsonl", first.stdout)
    again = scan(data, "--format", "json", "--baseline", baseline)
    assert again.code == 0 and again.findings() == []
    write(tmp_path / "d" / "a.txt", SSN_TEXT + GITHUB + "\n")
    third = scan(data, "--format", "json", "--baseline", baseline)
    assert third.code == 1 and types_of(third.findings()[0]) == {"GITHUB_TOKEN"}


def test_sarif(scan, tmp_path):
    path = write(tmp_path / "x.txt", f"line one\n{GITHUB}\n")
    result = scan(path, "--format", "sarif")
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    [res] = sarif["runs"][0]["results"]
    assert res["ruleId"] == "GITHUB_TOKEN" and res["level"] == "error"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_walk_gitignore_and_globs(scan, tmp_path):
    root = tmp_path / "repo"
    write(root / ".gitignore", "ignored/\n")
    write(root / "ignored" / "a.txt", SSN_TEXT)
    write(root / "src" / "b.txt", SSN_TEXT)
    write(root / "src" / "c.log", SSN_TEXT)
    paths = lambda r: sorted(f["resourcesAffected"]["s3Object"]["path"] for f in r.findings())
    assert paths(scan(root, "--format", "json")) == [str(root / "src" / "b.txt"), str(root / "src" / "c.log")]
    assert len(paths(scan(root, "--format", "json", "--no-ignore"))) == 3
    assert paths(scan(root, "--format", "json", "--include", "*.log")) == [str(root / "src" / "c.log")]
    assert paths(scan(root, "--format", "json", "--exclude", "*.log")) == [str(root / "src" / "b.txt")]
    assert paths(scan(root, "--format", "json", "--max-size", "5")) == []


def test_table_output(scan, tmp_path):
    path = write(tmp_path / "x.txt", SSN_TEXT)
    result = scan(path)
    assert "USA_SOCIAL_SECURITY_NUMBER x1" in result.stdout
    assert "Scanned 1 objects" in result.stdout
    assert "536-22-8726" not in result.stdout


def test_email_with_base64_attachment(scan, tmp_path):
    import base64
    attachment = io.BytesIO()
    with zipfile.ZipFile(attachment, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("payroll.csv", "name,ssn\nAlice,536-22-8726\n")
    body = base64.encodebytes(attachment.getvalue()).decode()
    eml = (
        "From: hr@example.com\nTo: a@example.com\nSubject: payroll\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nSee attached.\n'
        "--b\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n" + body + "\n--b--\n"
    )
    path = write(tmp_path / "mail.eml", eml)
    [finding] = scan(path, "--format", "json").findings()
    assert finding["classificationDetails"]["result"]["mimeType"] == "message/rfc822"
    assert types_of(finding) == {"USA_SOCIAL_SECURITY_NUMBER"}


def _avro_long(value):
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n == 0:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def _avro_string(text):
    data = text.encode()
    return _avro_long(len(data)) + data


def avro_file(schema, rows, codec="deflate"):
    """An Avro object container with one block, written by hand (no Avro library needed)."""
    import zlib
    header = b"Obj\x01" + _avro_long(2) + _avro_string("avro.schema") + _avro_string(json.dumps(schema))
    header += _avro_string("avro.codec") + _avro_string(codec) + _avro_long(0)
    sync = bytes(range(16))
    block = b"".join(rows)
    if codec == "deflate":
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = compressor.compress(block) + compressor.flush()
    return header + sync + _avro_long(len(rows)) + _avro_long(len(block)) + block + sync


def test_avro_records(scan, tmp_path):
    schema = {"type": "record", "name": "Customer", "fields": [
        {"name": "name", "type": "string"},
        {"name": "tax", "type": {"type": "record", "name": "Tax", "fields": [{"name": "ssn", "type": ["null", "string"]}]}},
    ]}
    rows = [_avro_string("Alice") + _avro_long(0), _avro_string("Bob") + _avro_long(1) + _avro_string("536-22-8726")]
    path = write(tmp_path / "customers.avro", avro_file(schema, rows), "wb")
    [finding] = scan(path, "--format", "json").findings()
    result = finding["classificationDetails"]["result"]
    assert result["mimeType"] == "application/avro"
    records = result["sensitiveData"][0]["detections"][0]["occurrences"]["records"]
    assert records == [{"recordIndex": 1, "jsonPath": "$.tax.ssn"}]


def _parquet_table():
    import pyarrow as pa

    return pa.table({
        "name": ["Alice", "Bob", "Carol"],
        "customer": [{"ssn": "n/a", "tier": 1}, {"ssn": "536-22-8726", "tier": 2}, {"ssn": None, "tier": 3}],
        "phone": [["(202) 555-0143"], [], ["n/a", "(202) 555-0188"]],
        "attributes": pa.array([[("ssn", "123-45-6788")], [], [("team", "blue")]], type=pa.map_(pa.string(), pa.string())),
    })


def _records(finding, identifier):
    for item in finding["classificationDetails"]["result"]["sensitiveData"]:
        for detection in item["detections"]:
            if detection["type"] == identifier:
                return detection["occurrences"]["records"]
    return None


def test_parquet_records(scan, tmp_path):
    import pyarrow.parquet as pq

    table = _parquet_table()
    for codec in ["snappy", "gzip", "zstd", "lz4", "none"]:
        # No .parquet extension: the format is recognised by its magic bytes.
        path = tmp_path / f"customers-{codec}.data"
        pq.write_table(table, path, compression=codec)
        [finding] = scan(path, "--format", "json").findings()
        result = finding["classificationDetails"]["result"]
        assert result["mimeType"] == "application/parquet", codec
        assert result["status"]["code"] == "COMPLETE", (codec, result["status"])
        # Keywords come from the column path: customer.ssn, phone[i], the map key ssn.
        assert _records(finding, "USA_SOCIAL_SECURITY_NUMBER") == [
            {"recordIndex": 0, "jsonPath": "$.attributes.ssn"},
            {"recordIndex": 1, "jsonPath": "$.customer.ssn"},
        ], codec
        assert _records(finding, "PHONE_NUMBER") == [
            {"recordIndex": 0, "jsonPath": "$.phone[0]"},
            {"recordIndex": 2, "jsonPath": "$.phone[1]"},
        ], codec


def test_parquet_streamed_inside_archives(scan, tmp_path):
    import pyarrow.parquet as pq

    pq.write_table(_parquet_table(), tmp_path / "customers.parquet")
    data = (tmp_path / "customers.parquet").read_bytes()
    archive = tmp_path / "export" / "customers.parquet.gz"
    write(archive, gzip.compress(data), "wb")
    [finding] = scan(archive, "--format", "json").findings()
    assert _records(finding, "PHONE_NUMBER") == [
        {"recordIndex": 0, "jsonPath": "$.phone[0]"},
        {"recordIndex": 2, "jsonPath": "$.phone[1]"},
    ]


def test_malformed_parquet_is_skipped_with_reason(scan, tmp_path):
    import pyarrow.parquet as pq

    pq.write_table(_parquet_table(), tmp_path / "good.parquet")
    good = (tmp_path / "good.parquet").read_bytes()
    cases = {
        "empty.parquet": b"PAR1" + b"\0" * 64 + b"PAR1",
        "truncated.parquet": good[: len(good) // 2],
        "footer.parquet": good[:-40] + bytes(b ^ 0x5A for b in good[-40:-8]) + good[-8:],
    }
    for name, content in cases.items():
        write(tmp_path / "bad" / name, content, "wb")
    result = scan(tmp_path / "bad", "--format", "json")
    assert result.code in (0, 1), result.stderr
    reasons = {Path(s["path"]).name: s["reason"] for s in result.summary()["skipped"]}
    assert set(reasons) == set(cases), reasons
    for name, reason in reasons.items():
        assert reason.startswith("INVALID_FILE: Parquet"), (name, reason)


def test_modification_time_filters(scan, tmp_path):
    import os
    old = write(tmp_path / "d" / "old.txt", SSN_TEXT)
    new = write(tmp_path / "d" / "new.txt", SSN_TEXT)
    os.utime(old, (1_600_000_000, 1_600_000_000))  # 2020-09-13
    paths = lambda r: sorted(f["resourcesAffected"]["s3Object"]["path"] for f in r.findings())
    assert paths(scan(tmp_path / "d", "--format", "json", "--modified-after", "2021-01-01")) == [str(new)]
    assert paths(scan(tmp_path / "d", "--format", "json", "--modified-before", "2021-01-01T00:00:00Z")) == [str(old)]
    assert scan(tmp_path / "d", "--modified-after", "yesterday").code == 2


def test_list_identifiers(scan):
    result = scan("--list-identifiers")
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert result.code == 0 and len(ids) >= 115
    for expected in ["AWS_CREDENTIALS", "CREDIT_CARD_NUMBER_(NO_KEYWORD)", "USA_SOCIAL_SECURITY_NUMBER",
                     "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "CHINA_RESIDENT_IDENTITY_CARD_NUMBER", "UK_NHS_NUMBER"]:
        assert expected in ids
