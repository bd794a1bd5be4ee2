"""Build the ``report.json`` document (schema ``lekdicht.report/2``) from the assessed scan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lekdicht import __version__
from lekdicht.assess.coverage import Coverage
from lekdicht.assess.verdict import VerdictResult
from lekdicht.correlate.run import Correlation
from lekdicht.model import Finding, format_time
from lekdicht.scan.pipeline import ScanData

SCHEMA = "lekdicht.report/2"


@dataclass(slots=True)
class Assessment:
    """What the assess stage adds to the raw scan data."""

    verdict: VerdictResult
    coverage: Coverage
    server: dict[str, Any]
    correlation: Correlation | None = None


def build_report(data: ScanData, assessment: Assessment) -> dict[str, Any]:
    """The full report document; key order is fixed and lists are sorted for deterministic output."""
    corr = assessment.correlation
    return {
        "schema": SCHEMA,
        "tool": {"name": "lekdicht", "version": __version__},
        "scan": {
            "evidence": str(data.options.evidence),
            "evidence_kind": data.source.kind,
            "started": format_time(data.started),
            "finished": format_time(data.finished),
            "sigma_dirs": [str(p) for p in data.options.sigma_dirs],
            "yara_dirs": [str(p) for p in data.options.yara_dirs],
            "passes": corr.passes if corr else {},
        },
        "verdict": assessment.verdict.to_json(),
        "server": assessment.server,
        "evidence": _evidence_section(data),
        "coverage": assessment.coverage.to_json(),
        "rules": _rules_section(data),
        "findings": [f.to_json() for f in data.findings],
        "sessions": [s.to_json() for s in corr.sessions] if corr else [],
        "data_exposure": corr.exposure.to_json() if corr else {"status": "not_assessed"},
        "log_gaps": corr.gaps if corr else {},
        "timeline_events": len(corr.timeline) if corr else 0,
        "errors": sorted(data.errors, key=lambda e: (e["path"], e["error"])),
    }


def _evidence_section(data: ScanData) -> dict[str, Any]:
    files: dict[str, dict[str, Any]] = {}
    for entry in data.catalog:
        files[entry.file.relpath] = {
            "path": entry.file.relpath,
            "kind": entry.kind.value,
            "size": entry.file.size,
            "sha256": None,
            "read": False,
        }
    for path, digest in data.inventory_hashes.items():
        files[path]["sha256"] = digest
        files[path]["read"] = digest is not None
        if digest is None:
            files[path]["skipped_reason"] = "larger than the inventory hash limit, or unreadable"
    for r in data.log_results:
        item = files[r.relpath]
        item.update(
            sha256=r.sha256,
            read=r.error is None,
            prefilter=r.prefilter,
            **r.stats.to_json(),
        )
        if r.error:
            item["error"] = r.error
    scanned = data.file_scan.scanned if data.file_scan else []
    for s in scanned:
        row = files.get(s.path)
        if row is None:
            continue
        row["sha256"] = s.sha256
        row["read"] = s.sha256 is not None
        row["content_scanned"] = s.yara_scanned
        if s.role:
            row["web_role"] = s.role
        if s.skipped_reason:
            row["skipped_reason"] = s.skipped_reason
    return {
        "source": str(data.source.original),
        "files": [files[k] for k in sorted(files)],
        "not_scanned": [s.to_json() for s in data.source.skipped],
        "totals": {
            "files": len(files),
            "bytes": sum(f["size"] for f in files.values()),
            "log_files": len(data.log_results),
            "records_read": sum(r.stats.records_read for r in data.log_results),
            "records_rejected": sum(r.stats.records_rejected for r in data.log_results),
        },
    }


def _rules_section(data: ScanData) -> dict[str, Any]:
    summary = dict(data.ruleset_summary)
    if data.file_scan is not None:
        summary["yara_engine"] = str(data.file_scan.yara_engine)
    return summary


def findings_jsonl(findings: Sequence[Finding]) -> str:
    """One JSON object per line, same shape as report.json findings."""
    import json

    return "".join(json.dumps(f.to_json(), ensure_ascii=False, sort_keys=False) + "\n" for f in findings)
