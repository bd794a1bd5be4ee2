"""Quarantine webshells and other attacker files found by a scan, without ever losing one.

For each file finding of a scan (rule ids ``WS*``, ``PS4*``, ``PS6*``, ``HX*`` on files on disk,
verdict ``exploited`` or ``suspicious``, with a path and SHA-256), in this order:

1. read the file (never following links, never leaving the evidence root) and hash it;
2. write it into ``<archive>/files/<sha256>.zip`` (a temporary name first, flushed to disk, read
   back and hash-checked, then renamed). The member is compressed and named ``*.quarantined`` and
   carries no execute bits, so a web server cannot serve or run it by accident;
3. record it in ``<archive>/manifest.json`` (original path, SHA-256, size, timestamps, findings),
   again written atomically;
4. only with ``remove=True``, and only when the file's hash still equals the finding's: hash it
   once more and delete it.

Interrupted at any point, every file is either still in place or in the archive with a matching
hash; a new run picks up where the last one stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from lekdicht.mitigate.catalog import MitigateError
from lekdicht.mitigate.fileio import fsync_dir, read_json_doc, write_json_doc

__all__ = [
    "QUARANTINE_PREFIXES",
    "QuarantineItem",
    "QuarantineResult",
    "QuarantineTarget",
    "quarantine_files",
    "select_targets",
    "verify_archive_member",
]

SCHEMA = "lekdicht.quarantine/1"
QUARANTINE_PREFIXES = ("WS", "PS4", "PS6", "HX")
"""Rule-id prefixes of file findings that name attacker files (webshells, dropped scripts, dumps)."""
QUARANTINE_VERDICTS = ("exploited", "suspicious")
MANIFEST = "manifest.json"


def _checkpoint(stage: str) -> None:
    """Called between the steps of every file; tests replace it to interrupt a run."""


def _iso(ts: float | datetime | None) -> str | None:
    if ts is None:
        return None
    dt = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class QuarantineTarget:
    """One file named by findings: evidence-relative path and the hash the scan saw."""

    path: str
    sha256: str
    rule_ids: list[str]
    verdict: str


def select_targets(
    report: dict[str, Any], prefixes: Sequence[str] = QUARANTINE_PREFIXES
) -> list[QuarantineTarget]:
    """File findings of a report that name attacker files on disk, one target per path and hash."""
    by_key: dict[tuple[str, str], QuarantineTarget] = {}
    for f in report.get("findings", []):
        if not isinstance(f, dict):
            continue
        rule = str(f.get("rule_id", ""))
        kind = str(f.get("artefact_kind", ""))
        ev = f.get("evidence") or {}
        path, digest = ev.get("path"), ev.get("sha256")
        if not rule.upper().startswith(tuple(p.upper() for p in prefixes)):
            continue
        if not kind.startswith("file.") or f.get("verdict") not in QUARANTINE_VERDICTS:
            continue
        if not isinstance(path, str) or not isinstance(digest, str) or len(digest) != 64:
            continue
        key = (path, digest.lower())
        t = by_key.get(key)
        if t is None:
            by_key[key] = QuarantineTarget(path, digest.lower(), [rule], str(f["verdict"]))
        else:
            if rule not in t.rule_ids:
                t.rule_ids.append(rule)
            if f["verdict"] == "exploited":
                t.verdict = "exploited"
    return sorted(by_key.values(), key=lambda t: (t.path, t.sha256))


@dataclass(slots=True)
class QuarantineItem:
    """Outcome for one file."""

    path: str
    status: str
    """``archived``, ``removed``, ``missing``, ``refused`` or ``kept_hash_changed``."""
    sha256: str | None = None
    archive: str | None = None
    message: str = ""


@dataclass(slots=True)
class QuarantineResult:
    """Outcome of a quarantine run."""

    archive_dir: Path
    manifest: Path
    items: list[QuarantineItem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every target archived (and removed, when asked) without a problem."""
        return all(i.status in ("archived", "removed") for i in self.items)


def _resolve(root: Path, rel: str) -> Path:
    """The file for an evidence-relative path; refuses anything that leaves the root."""
    pure = PurePosixPath(rel.replace("\\", "/"))
    if (
        pure.is_absolute()
        or any(p in ("..", "") for p in pure.parts)
        or ":" in (pure.parts[0] if pure.parts else "")
    ):
        raise MitigateError(f"unsafe path in the report: {rel!r}")
    target = root.joinpath(*pure.parts)
    parent = target.parent.resolve()
    base = root.resolve()
    if parent != base and base not in parent.parents:
        raise MitigateError(f"{rel!r} leads outside the evidence root (a link?)")
    return target


def _read_nofollow(path: Path) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NOATIME", 0))
    except PermissionError:
        fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def _member_name(digest: str) -> str:
    return f"{digest}.quarantined"


def verify_archive_member(zip_path: Path, digest: str) -> bool:
    """True when ``zip_path`` holds the quarantined content with this SHA-256."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            data = zf.read(_member_name(digest))
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return hashlib.sha256(data).hexdigest() == digest


def _zip_time(ts: float) -> tuple[int, int, int, int, int, int]:
    t = datetime.fromtimestamp(max(ts, 315532800), UTC)  # zip cannot store times before 1980
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def _write_zip(dest: Path, digest: str, data: bytes, meta: dict[str, Any], mtime: float) -> None:
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(tmp, "xb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                info = zipfile.ZipInfo(_member_name(digest), date_time=_zip_time(mtime))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (stat.S_IFREG | 0o600) << 16
                zf.writestr(info, data)
                meta_info = zipfile.ZipInfo("metadata.json", date_time=_zip_time(mtime))
                meta_info.compress_type = zipfile.ZIP_DEFLATED
                meta_info.external_attr = (stat.S_IFREG | 0o600) << 16
                zf.writestr(meta_info, json.dumps(meta, indent=2, ensure_ascii=False))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        _checkpoint("zip-written")
        if not verify_archive_member(tmp, digest):
            raise MitigateError(f"archive {tmp} does not read back with SHA-256 {digest}")
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(dest.parent)


def _load_manifest(path: Path) -> dict[str, Any]:
    doc = read_json_doc(path, SCHEMA, "quarantine manifest")
    if doc is None:
        return {"schema": SCHEMA, "created": _iso(datetime.now(UTC)), "entries": []}
    return doc


def _save_manifest(path: Path, doc: dict[str, Any]) -> None:
    doc["updated"] = _iso(datetime.now(UTC))
    doc["entries"].sort(key=lambda e: (e["original_path"], e["sha256"]))
    write_json_doc(path, doc, mode=0o600)


def _timestamps(st: os.stat_result) -> dict[str, str | None]:
    out: dict[str, str | None] = {
        "mtime": _iso(st.st_mtime),
        "atime": _iso(st.st_atime),
        "ctime": _iso(st.st_ctime),
        "ctime_meaning": "creation time" if os.name == "nt" else "inode change time",
    }
    birth = getattr(st, "st_birthtime", None)
    if birth is not None:
        out["birthtime"] = _iso(float(birth))
    return out


def quarantine_files(
    targets: Sequence[QuarantineTarget],
    evidence_root: Path,
    archive_dir: Path,
    *,
    remove: bool = False,
    case: str | None = None,
    progress: Callable[[QuarantineItem], None] | None = None,
) -> QuarantineResult:
    """Copy every target into the archive and record it; with ``remove``, then delete originals
    whose hash still matches the finding. See the module docstring for the order of steps."""
    files_dir = archive_dir / "files"
    files_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    manifest_path = archive_dir / MANIFEST
    doc = _load_manifest(manifest_path)
    doc["case"] = case
    doc["evidence_root"] = str(evidence_root)
    doc["storage"] = (
        "files/<sha256>.zip, member <sha256>.quarantined (deflate-compressed, no execute bits) plus "
        "metadata.json; the zip may be flagged by antivirus software, which is expected"
    )
    entries: dict[tuple[str, str], dict[str, Any]] = {
        (e["original_path"], e["sha256"]): e for e in doc.get("entries", [])
    }
    result = QuarantineResult(archive_dir=archive_dir, manifest=manifest_path)

    def done(item: QuarantineItem) -> None:
        result.items.append(item)
        if progress is not None:
            progress(item)

    for t in targets:
        try:
            src = _resolve(evidence_root, t.path)
        except MitigateError as exc:
            done(QuarantineItem(t.path, "refused", message=str(exc)))
            continue
        try:
            st = os.lstat(src)
        except FileNotFoundError:
            prior = entries.get((t.path, t.sha256))
            if prior and verify_archive_member(archive_dir / prior["archive"], t.sha256):
                if not prior.get("removed"):
                    prior["removed"] = True
                    prior["removed_at"] = None
                    prior["note"] = "original found gone on a later run; the archived copy is verified"
                    doc["entries"] = list(entries.values())
                    _save_manifest(manifest_path, doc)
                done(
                    QuarantineItem(t.path, "removed", t.sha256, prior["archive"], "removed in an earlier run")
                )
            else:
                done(QuarantineItem(t.path, "missing", message="file not found at its original path"))
            continue
        if not stat.S_ISREG(st.st_mode):
            done(
                QuarantineItem(t.path, "refused", message="not a regular file (a link or device); left alone")
            )
            continue
        data = _read_nofollow(src)
        digest = hashlib.sha256(data).hexdigest()
        _checkpoint("read")
        matches = digest == t.sha256
        rel_zip = f"files/{digest}.zip"
        zip_path = archive_dir / rel_zip
        now = datetime.now(UTC)
        entry: dict[str, Any] = entries.get((t.path, digest)) or {}
        entry.update(
            {
                "original_path": t.path,
                "absolute_path": str(src.absolute()),
                "sha256": digest,
                "finding_sha256": t.sha256,
                "matches_finding": matches,
                "size": len(data),
                **_timestamps(st),
                "rule_ids": sorted(set(entry.get("rule_ids", [])) | set(t.rule_ids)),
                "verdict": t.verdict,
                "archive": rel_zip,
                "member": _member_name(digest),
            }
        )
        entry.setdefault("removed", False)
        if not verify_archive_member(zip_path, digest):
            meta = {k: v for k, v in entry.items() if k not in ("archive", "member", "removed")}
            _write_zip(zip_path, digest, data, meta, st.st_mtime)
            _checkpoint("zip-renamed")
        if not verify_archive_member(zip_path, digest):
            done(QuarantineItem(t.path, "refused", digest, message=f"archive {zip_path} failed verification"))
            continue
        entry.setdefault("archived_at", _iso(now))
        entries[(t.path, digest)] = entry
        doc["entries"] = list(entries.values())
        _save_manifest(manifest_path, doc)
        _checkpoint("manifest")
        if not remove:
            done(QuarantineItem(t.path, "archived", digest, rel_zip))
            continue
        if not matches:
            done(
                QuarantineItem(
                    t.path,
                    "kept_hash_changed",
                    digest,
                    rel_zip,
                    f"hash {digest[:12]}... differs from the finding's {t.sha256[:12]}...: "
                    "archived, not removed",
                )
            )
            continue
        if hashlib.sha256(_read_nofollow(src)).hexdigest() != t.sha256:
            done(
                QuarantineItem(t.path, "kept_hash_changed", digest, rel_zip, "file changed during quarantine")
            )
            continue
        os.unlink(src)
        fsync_dir(src.parent)
        _checkpoint("removed")
        entry["removed"] = True
        entry["removed_at"] = _iso(datetime.now(UTC))
        doc["entries"] = list(entries.values())
        _save_manifest(manifest_path, doc)
        _checkpoint("manifest-removed")
        done(QuarantineItem(t.path, "removed", digest, rel_zip))
    return result
