"""End-to-end scans of the synthetic demo evidence: verdict, report contract, read-only evidence."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from lekdicht.cli import EXIT_CODES, EXIT_USAGE, main
from lekdicht.scan import parallel, pipeline
from lekdicht.scan.pipeline import ScanOptions
from lekdicht.scan.run import scan_and_report

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo" / "evidence"
SCHEMA = json.loads((REPO / "src" / "lekdicht" / "report" / "schema" / "report-2.schema.json").read_text())


def _snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        out[p.relative_to(root).as_posix()] = (digest, st.st_mtime_ns, st.st_mode)
    return out


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    """A private copy of the demo evidence (so tests can add files to it)."""
    dst = tmp_path / "evidence"
    shutil.copytree(DEMO, dst)
    return dst


def _scan(ev: Path, out: Path, workers: int = 1, full_parse: bool = False) -> dict:  # type: ignore[type-arg]
    return scan_and_report(ScanOptions(evidence=ev, out=out, workers=workers, full_parse=full_parse)).report


def test_demo_is_compromised_and_report_matches_schema(evidence: Path, tmp_path: Path) -> None:
    report = _scan(evidence, tmp_path / "case")
    jsonschema.validate(report, SCHEMA)
    assert report["verdict"]["overall"] == "compromised"
    ids = {f["rule_id"] for f in report["findings"]}
    assert {
        "PL1-ssrf-backend-reached",
        "PL7-ecp-vdir-script-url",
        "PL7-mgmt-vdir-script-url",
        "PL6-oab-download-unexpected-path",
        "PL3-iis-post-static-file",
        "WA2-iis-aspnet-client-page",
        "HX1-lsass-dump-comsvcs",
        "PL1-ssrf-localhost-probe",
        "PL1-ssrf-autodiscover-attempt",
    } <= ids
    assert any(r.startswith("WS3-yara-") for r in ids), "the webshell file on disk must be found by content"
    files = {f["path"]: f for f in report["evidence"]["files"]}
    assert len(files) == len(list(p for p in evidence.rglob("*") if p.is_file()))
    for path, item in files.items():
        assert item["sha256"] == hashlib.sha256((evidence / path).read_bytes()).hexdigest(), path
    ecp = next(f for f in report["findings"] if f["rule_id"] == "PL7-ecp-vdir-script-url")
    assert ecp["evidence"]["sha256"] == files[ecp["evidence"]["path"]]["sha256"]
    assert ecp["evidence"]["line"] == 9
    assert report["sessions"][0]["client_ip"] == "203.0.113.37"
    pl = next(c for c in report["coverage"]["chains"] if c["chain"] == "ProxyLogon")
    assert pl["status"] == "partial" and "cannot show" in pl["statement"]
    lines = (tmp_path / "case" / "findings.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in lines] == report["findings"]


def test_evidence_is_byte_identical_after_scan(evidence: Path, tmp_path: Path) -> None:
    before = _snapshot(evidence)
    _scan(evidence, tmp_path / "case")
    assert _snapshot(evidence) == before


def test_zip_evidence_gives_the_same_findings(evidence: Path, tmp_path: Path) -> None:
    arc = tmp_path / "evidence.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        for p in sorted(evidence.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(evidence).as_posix())
    from_folder = _scan(evidence, tmp_path / "a")
    from_zip = _scan(arc, tmp_path / "b")
    assert from_zip["scan"]["evidence_kind"] == "zip"
    assert from_zip["findings"] == from_folder["findings"]
    assert not any(p.name.startswith(".evidence-") for p in (tmp_path / "b").iterdir()), (
        "scratch folder removed"
    )


def test_parallel_scan_equals_single_process(
    evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    single = _scan(evidence, tmp_path / "one", workers=1)
    monkeypatch.setattr(pipeline, "IN_PROCESS_BYTES", 0)
    monkeypatch.setattr(parallel, "IN_PROCESS_BYTES", 0)
    two_cores = _scan(evidence, tmp_path / "two", workers=2)
    assert two_cores["findings"] == single["findings"]
    assert two_cores["evidence"]["files"] == single["evidence"]["files"]
    assert two_cores["data_exposure"] == single["data_exposure"]
    assert two_cores["sessions"] == single["sessions"]


def test_bad_input_is_reported_not_fatal(evidence: Path, tmp_path: Path) -> None:
    logs = evidence / "C" / "inetpub" / "logs" / "LogFiles" / "W3SVC1"
    (logs / "u_ex210304.log").write_bytes(
        b"#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time cs-method cs-uri-stem sc-status\r\n"
        b"2021-03-04 01:00:00 GET /owa/ 200\r\n2021-03-04 01:00:01 GET\r\n\xff\xfe\x00garbage \x80\x81 line\r\n"
    )
    (evidence / "broken.evtx").write_bytes(b"ElfFile\x00" + os.urandom(5000))
    (logs / "empty.log").write_bytes(b"")
    report = _scan(evidence, tmp_path / "case")
    files = {f["path"]: f for f in report["evidence"]["files"]}
    bad = files["C/inetpub/logs/LogFiles/W3SVC1/u_ex210304.log"]
    # With the prefilter, lines that cannot match any rule are counted but not parsed; the first and
    # last data lines always are, so the broken last line is rejected.
    assert bad["records_read"] == 3 and bad["records_rejected"] >= 1
    assert bad["rejected_examples"][-1]["line"] == 5
    full = _scan(evidence, tmp_path / "full", full_parse=True)
    bad = {f["path"]: f for f in full["evidence"]["files"]}["C/inetpub/logs/LogFiles/W3SVC1/u_ex210304.log"]
    assert bad["records_read"] == 3 and bad["records_rejected"] == 2
    assert [r["line"] for r in bad["rejected_examples"]] == [4, 5]
    evtx = files["broken.evtx"]
    assert evtx["kind"] == "windows.evtx"
    assert evtx.get("error") or evtx["records_rejected"] > 0 or evtx["notes"], (
        "a broken EVTX must be reported"
    )
    assert report["verdict"]["overall"] == "compromised"


def test_same_input_same_output(evidence: Path, tmp_path: Path) -> None:
    a = _scan(evidence, tmp_path / "a")
    b = _scan(evidence, tmp_path / "b")
    for key in ("verdict", "server", "evidence", "coverage", "findings", "sessions", "errors"):
        assert a[key] == b[key], key


def test_cli_exit_codes_and_usage_errors(evidence: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["scan", str(evidence), "--out", str(tmp_path / "case"), "--quiet"])
    assert res.exit_code == EXIT_CODES["compromised"] == 6
    assert (tmp_path / "case" / "report.json").is_file()
    res = runner.invoke(main, ["scan", str(tmp_path / "missing"), "--out", str(tmp_path / "c2")])
    assert res.exit_code == EXIT_USAGE and "not found" in res.output
    res = runner.invoke(main, ["scan", str(evidence), "--out", str(evidence / "case")])
    assert res.exit_code == EXIT_USAGE and "inside the evidence" in res.output
    assert not (evidence / "case").exists()
    single = tmp_path / "single.log"
    single.write_text("x")
    res = runner.invoke(main, ["scan", str(single), "--out", str(tmp_path / "c3")])
    assert res.exit_code == EXIT_USAGE


def test_clean_evidence_exit_code(tmp_path: Path) -> None:
    ev = tmp_path / "ev" / "W3SVC1"
    ev.mkdir(parents=True)
    (ev / "u_ex230101.log").write_text(
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status\n"
        "2020-12-01 10:00:00 10.0.0.5 GET /owa/ - 443 EXAMPLE\\anna 198.51.100.20 Mozilla/5.0 200\n"
        "2023-01-01 10:00:00 10.0.0.5 GET /owa/ - 443 EXAMPLE\\anna 198.51.100.20 Mozilla/5.0 200\n"
    )
    res = CliRunner().invoke(main, ["scan", str(tmp_path / "ev"), "--out", str(tmp_path / "case")])
    report = json.loads((tmp_path / "case" / "report.json").read_text())
    assert report["verdict"]["overall"] == "clean"
    assert res.exit_code == 0
    assert "CLEAN" in res.output
