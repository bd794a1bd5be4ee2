"""Run a whole scan: evidence → catalog → read+detect (parallel) → files → assess → report data."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lekdicht.assess.verdict import apply_corroboration
from lekdicht.catalog.hashing import sha256_file
from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.catalog.sniff import sniff
from lekdicht.correlate.run import Correlation, correlate
from lekdicht.evidence.source import EvidenceFile, EvidenceSource, open_evidence
from lekdicht.files.results import FileScanResult
from lekdicht.files.scanner import scan_files
from lekdicht.logs.base import ReadStats
from lekdicht.model import Finding
from lekdicht.rules.ruleset import RuleSet
from lekdicht.scan.logscan import LogFileResult, LogScanner

SNIFF_BYTES = 64 * 1024
HASH_LIMIT = 256 * 1024 * 1024
"""Files no stage reads are still hashed for the inventory, up to this size."""
IN_PROCESS_BYTES = 32 * 1024 * 1024
"""Below this many bytes of logs, worker processes cost more than they save."""

ProgressFn = Callable[[str, int, int], None]
"""progress(stage, done, total) for long scans; the CLI draws it on stderr."""


@dataclass(slots=True)
class ScanOptions:
    """What to scan and how."""

    evidence: Path
    out: Path
    sigma_dirs: list[Path] = field(default_factory=list)
    yara_dirs: list[Path] = field(default_factory=list)
    workers: int | None = None
    full_parse: bool = False
    progress: ProgressFn | None = None


@dataclass(slots=True)
class CatalogEntry:
    """One evidence file and what the catalog decided it is."""

    file: EvidenceFile
    kind: ArtefactKind
    sniff_error: str | None = None


@dataclass(slots=True)
class ScanData:
    """Raw results of all stages, before assessment and reporting."""

    options: ScanOptions
    source: EvidenceSource
    started: datetime
    finished: datetime | None
    catalog: list[CatalogEntry]
    log_results: list[LogFileResult]
    findings: list[Finding]
    ruleset_summary: dict[str, object]
    file_scan: FileScanResult | None = None
    inventory_hashes: dict[str, str | None] = field(default_factory=dict)
    """SHA-256 of files no other stage read (None: larger than HASH_LIMIT or unreadable)."""
    correlation: Correlation | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def catalog_files(source: EvidenceSource) -> list[CatalogEntry]:
    """Decide the kind of every file from its first bytes and its path."""
    entries: list[CatalogEntry] = []
    for ef in source.files():
        try:
            with open(ef.local, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError as exc:
            entries.append(CatalogEntry(ef, ArtefactKind.OTHER, f"cannot read: {exc.strerror or exc}"))
            continue
        entries.append(CatalogEntry(ef, sniff(head, ef.relpath)))
    return entries


_WORKER: LogScanner | None = None


def _init_worker(ruleset: RuleSet, full_parse: bool) -> None:
    # With the fork start method the parent's compiled rule set is inherited as is; otherwise it
    # arrives pickled, which rebuilds it from its load arguments (RuleSet.__reduce__).
    global _WORKER
    _WORKER = LogScanner(ruleset, full_parse)


def _scan_in_worker(relpath: str, local: str, kind: str, size: int) -> LogFileResult:
    assert _WORKER is not None
    return _WORKER.scan(relpath, Path(local), ArtefactKind(kind), size)


def scan_logs(entries: list[CatalogEntry], ruleset: RuleSet, options: ScanOptions) -> list[LogFileResult]:
    """Read and detect over every log artefact, in parallel across cores for large evidence."""
    logs = [e for e in entries if e.kind.is_log and e.sniff_error is None]
    logs.sort(key=lambda e: -e.file.size)  # largest first balances the workers
    total = sum(e.file.size for e in logs)
    workers = options.workers or os.cpu_count() or 1
    results: list[LogFileResult] = []
    done_bytes = 0
    progress = options.progress
    if progress:
        progress("logs", 0, total)
    if workers <= 1 or total < IN_PROCESS_BYTES or len(logs) < 2:
        scanner = LogScanner(ruleset, options.full_parse)
        for e in logs:
            results.append(scanner.scan(e.file.relpath, e.file.local, e.kind, e.file.size))
            done_bytes += e.file.size
            if progress:
                progress("logs", done_bytes, total)
    else:
        with ProcessPoolExecutor(
            max_workers=workers,
            initializer=_init_worker,
            initargs=(ruleset, options.full_parse),
        ) as pool:
            futures = {
                pool.submit(_scan_in_worker, e.file.relpath, str(e.file.local), e.kind.value, e.file.size): e
                for e in logs
            }
            for fut in as_completed(futures):
                e = futures[fut]
                try:
                    results.append(fut.result())
                except Exception as exc:  # noqa: BLE001 - a dead worker is reported per file
                    res = LogFileResult(e.file.relpath, e.kind, e.file.size, None, ReadStats())
                    res.error = f"worker failed: {type(exc).__name__}: {exc}"
                    results.append(res)
                done_bytes += e.file.size
                if progress:
                    progress("logs", done_bytes, total)
    results.sort(key=lambda r: r.relpath)
    for r in results:
        for f in r.findings:
            f.evidence.sha256 = r.sha256
    return results


def run_scan(options: ScanOptions) -> ScanData:
    """Run every stage over the evidence and return the raw data for assessment."""
    started = datetime.now(UTC)
    options.out.mkdir(parents=True, exist_ok=True)
    source = open_evidence(options.evidence, options.out)
    try:
        entries = catalog_files(source)
        ruleset = RuleSet.load(options.sigma_dirs)
        log_results = scan_logs(entries, ruleset, options)
        findings = [f for r in log_results for f in r.findings]
        file_scan = _scan_files(entries, options)
        findings.extend(file_scan.findings)
        findings.sort(key=Finding.sort_key)
        read = {r.relpath for r in log_results if r.sha256}
        read.update(s.path for s in file_scan.scanned if s.sha256)
        inventory, hash_errors = hash_unread(entries, read, options.progress)
        apply_corroboration(findings)
        if options.progress:
            options.progress("correlate", 0, 1)
        correlation = correlate(
            findings,
            [
                (e.file.relpath, e.file.local, e.kind)
                for e in entries
                if e.kind.is_log and e.sniff_error is None
            ],
            [(r.stats.first_timestamp, r.stats.last_timestamp) for r in log_results if r.error is None],
            [
                {"path": e.file.relpath, "size": e.file.size, "sha256": inventory.get(e.file.relpath)}
                for e in entries
            ],
            options.workers,
            sorted({ip for r in log_results for ip in r.server_addresses}),
        )
        if options.progress:
            options.progress("correlate", 1, 1)
        data = ScanData(
            options=options,
            source=source,
            started=started,
            finished=datetime.now(UTC),
            catalog=entries,
            log_results=log_results,
            findings=findings,
            ruleset_summary=ruleset.summary(),
            file_scan=file_scan,
            inventory_hashes=inventory,
            correlation=correlation,
        )
        data.errors.extend(hash_errors)
        data.errors.extend(correlation.errors)
        data.errors.extend({"path": e.file.relpath, "error": e.sniff_error} for e in entries if e.sniff_error)
        data.errors.extend({"path": r.relpath, "error": r.error} for r in log_results if r.error)
        return data
    finally:
        source.close()


def hash_unread(
    entries: list[CatalogEntry], read: set[str], progress: ProgressFn | None = None
) -> tuple[dict[str, str | None], list[dict[str, str]]]:
    """Hash the files no stage read, so every file in the inventory has its SHA-256."""
    hashes: dict[str, str | None] = {}
    errors: list[dict[str, str]] = []
    todo = [e for e in entries if e.file.relpath not in read]
    total = sum(e.file.size for e in todo if e.file.size <= HASH_LIMIT)
    done = 0
    for e in todo:
        if progress:
            progress("hashing", done, total)
        if e.file.size > HASH_LIMIT:
            hashes[e.file.relpath] = None
            continue
        done += e.file.size
        try:
            hashes[e.file.relpath] = sha256_file(str(e.file.local))
        except OSError as exc:
            hashes[e.file.relpath] = None
            errors.append({"path": e.file.relpath, "error": f"cannot read: {exc.strerror or exc}"})
    return hashes, errors


def _scan_files(entries: list[CatalogEntry], options: ScanOptions) -> FileScanResult:
    if options.progress:
        options.progress("files", 0, len(entries))
    result = scan_files(
        [(e.file.relpath, e.file.local) for e in entries if not e.kind.is_log],
        extra_yara_dirs=options.yara_dirs,
    )
    if options.progress:
        options.progress("files", len(entries), len(entries))
    return result
