"""Benign public samples must give no finding above info (plaso IIS, elastic HttpProxy/MessageTracking, Qazeer)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from lekdicht.scan.pipeline import ScanOptions
from lekdicht.scan.run import scan_and_report
from support.logsynth import HTTPPROXY_FIELDS


def _scan(evidence: Path, out: Path) -> dict:  # type: ignore[type-arg]
    return scan_and_report(ScanOptions(evidence=evidence, out=out, workers=1)).report


def _above_info(report: dict) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in report["findings"] if f["verdict"] != "info"]


def test_plaso_iis_logs_are_benign(datasets: Path, tmp_path: Path) -> None:
    ev = tmp_path / "ev" / "W3SVC1"
    ev.mkdir(parents=True)
    for p in (datasets / "plaso-iis").glob("*.log"):
        shutil.copy(p, ev / p.name)
    report = _scan(tmp_path / "ev", tmp_path / "out")
    assert _above_info(report) == []
    kinds = {f["kind"] for f in report["evidence"]["files"]}
    assert kinds == {"iis.w3c"}
    assert report["evidence"]["totals"]["records_read"] > 20


def test_elastic_headerless_lines_are_benign(datasets: Path, tmp_path: Path) -> None:
    src = datasets / "elastic-integrations-exchange"
    proxy = tmp_path / "ev" / "Logging" / "HttpProxy" / "Mapi"
    proxy.mkdir(parents=True)
    shutil.copy(src / "test-httpproxy.log", proxy / "HttpProxy_2023010100-1.LOG")
    mt = tmp_path / "ev" / "TransportRoles" / "Logs" / "MessageTracking"
    mt.mkdir(parents=True)
    shutil.copy(src / "test-messagetracking.log", mt / "MSGTRK2023010100-1.LOG")
    report = _scan(tmp_path / "ev", tmp_path / "out")
    assert _above_info(report) == []
    by_kind = {f["kind"]: f for f in report["evidence"]["files"]}
    assert by_kind["exchange.httpproxy"]["records_read"] == 1
    assert by_kind["exchange.messagetracking"]["records_read"] == 6


def _qazeer_blocks(text: str) -> list[str]:
    """Code blocks of the Qazeer page that hold an Exchange log header and sample lines."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    return [b for b in blocks if b.lstrip().startswith("#Software") and "#Fields:" in b]


def test_qazeer_benign_lines_are_benign(datasets: Path, tmp_path: Path) -> None:
    page = (datasets / "qazeer-artefacts-help" / "microsoft_exchange.md").read_text("utf-8")
    blocks = _qazeer_blocks(page)
    assert len(blocks) >= 8
    ev = tmp_path / "ev"
    ev.mkdir()
    for i, block in enumerate(blocks):
        (ev / f"block{i:02d}.LOG").write_text(block, encoding="utf-8")
    report = _scan(ev, tmp_path / "out")
    assert _above_info(report) == []
    kinds = {f["kind"] for f in report["evidence"]["files"]}
    assert "exchange.httpproxy" in kinds and "exchange.ecp_server" in kinds
    assert len(HTTPPROXY_FIELDS) == 74
