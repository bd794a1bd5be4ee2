"""Result types of the file checks: what was scanned, what could not be, and the findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lekdicht.model import Finding


@dataclass(slots=True)
class ScannedFile:
    """One file the file checks read (or tried to read), with its size and SHA-256."""

    path: str
    """Evidence-relative path."""
    size: int | None
    sha256: str | None
    role: str
    """Web role from :func:`lekdicht.files.locate.classify_path` (``other`` when none)."""
    yara_scanned: bool = False
    skipped_reason: str | None = None
    """Why the content was not (fully) scanned: too large, unreadable, YARA unavailable, ..."""
    mtime: str | None = None
    """Last-modified time of the evidence copy (UTC, ISO 8601); may be the copy time, not the original."""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "role": self.role,
            "yara_scanned": self.yara_scanned,
            "skipped_reason": self.skipped_reason,
            "mtime": self.mtime,
        }


@dataclass(frozen=True, slots=True)
class ScanError:
    """Something the file checks could not do. Never dropped in silence: the report lists these."""

    kind: str
    """``unreadable``, ``too_large``, ``rule_compile``, ``yara_scan``, ``yara_unavailable``,
    ``config_parse`` or ``ioc_data``."""
    path: str
    """Evidence-relative file, or the rule file / directory the error is about."""
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.message}"


@dataclass(slots=True)
class FileScanResult:
    """Everything :func:`lekdicht.files.scanner.scan_files` produced."""

    findings: list[Finding] = field(default_factory=list)
    scanned: list[ScannedFile] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    yara_engine: str = ""
    """``yara-x <version>`` or ``unavailable: <reason>``."""
    rule_files: list[str] = field(default_factory=list)
    """YARA rule files in use (built-in package paths and user files that compiled)."""
    vdir_roots: list[str] = field(default_factory=list)
    """Drive-independent IIS virtual-directory roots taken from applicationHost.config."""

    def to_json(self) -> dict[str, Any]:
        return {
            "yara_engine": self.yara_engine,
            "rule_files": list(self.rule_files),
            "vdir_roots": list(self.vdir_roots),
            "scanned": [s.to_json() for s in self.scanned],
            "errors": [e.to_json() for e in self.errors],
            "findings": [f.to_json() for f in self.findings],
        }
