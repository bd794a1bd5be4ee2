"""Scan end to end: run the pipeline, assess, and write the case folder outputs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lekdicht.assess.coverage import compute_coverage
from lekdicht.assess.exposure import vulnerability_sentence, window_sentences
from lekdicht.assess.verdict import decide
from lekdicht.catalog.kinds import FAMILY
from lekdicht.correlate.timeline import to_csv, to_jsonl
from lekdicht.report.builder import Assessment, build_report, findings_jsonl
from lekdicht.report.html import default_lang, write_html
from lekdicht.scan.pipeline import ScanData, ScanOptions, run_scan
from lekdicht.scan.server import server_facts


@dataclass(slots=True)
class ScanOutcome:
    """The report document and where it was written."""

    report: dict[str, Any]
    out_dir: Path


def assess(data: ScanData) -> Assessment:
    """Coverage, server facts, verdict."""
    coverage = compute_coverage(
        (FAMILY[r.kind], r.stats.first_timestamp, r.stats.last_timestamp)
        for r in data.log_results
        if r.kind in FAMILY and r.error is None
    )
    server = server_facts(data)
    verdict = decide(
        data.findings,
        coverage,
        vulnerability_sentence(server),
        build_known=bool(server.get("build")),
        exposure_notes=window_sentences(
            server.get("exposure_windows", []), (server.get("patch_history") or {}).get("last_evidence")
        ),
    )
    return Assessment(verdict=verdict, coverage=coverage, server=server, correlation=data.correlation)


def scan_and_report(options: ScanOptions, lang: str | None = None) -> ScanOutcome:
    """Run a scan and write report.json, findings.jsonl, the timeline and report.html into the case folder."""
    data = run_scan(options)
    report = build_report(data, assess(data))
    out = options.out
    (out / "report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "findings.jsonl").write_text(findings_jsonl(data.findings), encoding="utf-8")
    if data.correlation is not None:
        (out / "timeline.csv").write_text(to_csv(data.correlation.timeline), encoding="utf-8")
        (out / "timeline.jsonl").write_text(to_jsonl(data.correlation.timeline), encoding="utf-8")
    write_html(report, out / "report.html", lang or default_lang())
    return ScanOutcome(report, out)
