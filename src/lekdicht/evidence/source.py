"""Open an evidence source read-only and list its files.

A folder is used in place. A zip or tar archive is expanded safely into a scratch folder inside the
case folder (never next to the evidence): no absolute paths, no ``..``, no links or devices, and
bounded in total size and member count. Nothing is ever written under the evidence path.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_ARCHIVE_BYTES = 64 * 1024**3
MAX_ARCHIVE_MEMBERS = 500_000
MAX_COMPRESSION_RATIO = 1000


class EvidenceError(Exception):
    """The evidence cannot be opened at all (missing, unreadable, unsafe archive)."""


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """One file of the evidence: its evidence-relative path (``/`` separated) and local path."""

    relpath: str
    local: Path
    size: int


@dataclass(slots=True)
class Skipped:
    """An entry that was not made available for scanning, and why."""

    relpath: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.relpath, "reason": self.reason}


@dataclass(slots=True)
class EvidenceSource:
    """An opened evidence source: where it came from, where its files are, what was left out."""

    original: Path
    kind: str  # "folder" | "zip" | "tar"
    root: Path
    skipped: list[Skipped] = field(default_factory=list)
    scratch: Path | None = None

    def files(self) -> list[EvidenceFile]:
        """Every regular file, sorted by path; links out of the tree and special files are skipped."""
        return sorted(self._walk(), key=lambda f: f.relpath)

    def _walk(self) -> Iterator[EvidenceFile]:
        root = self.root
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            base = Path(dirpath)
            for dn in list(dirnames):
                if (base / dn).is_symlink():
                    dirnames.remove(dn)
                    self.skipped.append(
                        Skipped(_rel(root, base / dn), "symbolic link to a folder not followed")
                    )
            for name in sorted(filenames):
                full = base / name
                rel = _rel(root, full)
                try:
                    st = full.lstat()
                except OSError as exc:
                    self.skipped.append(Skipped(rel, f"cannot stat: {exc.strerror or exc}"))
                    continue
                if stat.S_ISLNK(st.st_mode):
                    target = _resolve_inside(root, full)
                    if target is None:
                        self.skipped.append(Skipped(rel, "symbolic link pointing outside the evidence"))
                        continue
                    try:
                        st = target.stat()
                    except OSError as exc:
                        self.skipped.append(Skipped(rel, f"broken symbolic link: {exc.strerror or exc}"))
                        continue
                    if not stat.S_ISREG(st.st_mode):
                        self.skipped.append(Skipped(rel, "symbolic link to a non-regular file"))
                        continue
                elif not stat.S_ISREG(st.st_mode):
                    self.skipped.append(Skipped(rel, "not a regular file (device, socket or pipe)"))
                    continue
                yield EvidenceFile(rel, full, st.st_size)

    def close(self) -> None:
        """Remove the scratch expansion of an archive (never touches a folder source)."""
        if self.scratch is not None and self.scratch.exists():
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def _rel(root: Path, full: Path) -> str:
    return full.relative_to(root).as_posix()


def _resolve_inside(root: Path, link: Path) -> Path | None:
    try:
        target = link.resolve(strict=False)
        target.relative_to(root.resolve())
    except (OSError, ValueError):
        return None
    return target


def open_evidence(path: Path, scratch_parent: Path) -> EvidenceSource:
    """Open a folder, zip or tar(.gz/.bz2/.xz) as evidence. Archives expand under ``scratch_parent``."""
    if not path.exists():
        raise EvidenceError(f"evidence not found: {path}")
    if path.is_dir():
        return EvidenceSource(original=path, kind="folder", root=path)
    if not path.is_file():
        raise EvidenceError(f"evidence is neither a folder nor a file: {path}")
    _refuse_scratch_inside(path, scratch_parent)
    if zipfile.is_zipfile(path):
        return _expand_zip(path, scratch_parent)
    if tarfile.is_tarfile(path):
        return _expand_tar(path, scratch_parent)
    raise EvidenceError(
        f"{path} is a single file that is not a zip or tar archive; put it in a folder and scan the folder"
    )


def _refuse_scratch_inside(evidence: Path, scratch_parent: Path) -> None:
    ev = evidence.resolve()
    sp = scratch_parent.resolve()
    if ev.is_dir() and (sp == ev or ev in sp.parents):
        raise EvidenceError("the output folder must not be inside the evidence")


def _safe_member_path(name: str) -> PurePosixPath | None:
    """Normalise an archive member name; None if it is absolute or escapes the root."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if any(p == ".." for p in parts) or not parts:
        return None
    return PurePosixPath(*parts)


def _new_scratch(scratch_parent: Path, archive: Path) -> Path:
    scratch_parent.mkdir(parents=True, exist_ok=True)
    target = scratch_parent / f".evidence-{archive.name}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    return target


class _Budget:
    def __init__(self, archive_size: int) -> None:
        self.total = 0
        self.members = 0
        self.limit = min(MAX_ARCHIVE_BYTES, max(archive_size, 1) * MAX_COMPRESSION_RATIO)

    def take(self, nbytes: int) -> None:
        self.total += nbytes
        if self.total > self.limit:
            raise EvidenceError(
                f"archive expands beyond {self.limit} bytes; refusing (possible archive bomb). "
                "Extract it yourself and scan the folder."
            )

    def count(self) -> None:
        self.members += 1
        if self.members > MAX_ARCHIVE_MEMBERS:
            raise EvidenceError(f"archive has more than {MAX_ARCHIVE_MEMBERS} members; refusing")


def _copy_limited(src: object, dst: Path, budget: _Budget) -> None:
    read = src.read  # type: ignore[attr-defined]
    with open(dst, "xb") as out:
        while True:
            chunk = read(1024 * 1024)
            if not chunk:
                break
            budget.take(len(chunk))
            out.write(chunk)


def _expand_zip(path: Path, scratch_parent: Path) -> EvidenceSource:
    scratch = _new_scratch(scratch_parent, path)
    src = EvidenceSource(original=path, kind="zip", root=scratch, scratch=scratch)
    budget = _Budget(path.stat().st_size)
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                budget.count()
                if info.is_dir():
                    continue
                rel = _safe_member_path(info.filename)
                mode = (info.external_attr >> 16) & 0o170000
                if rel is None:
                    src.skipped.append(Skipped(info.filename, "unsafe path in archive (absolute or ..)"))
                    continue
                if mode and not stat.S_ISREG(mode):
                    src.skipped.append(
                        Skipped(info.filename, "link or special file in archive not extracted")
                    )
                    continue
                dst = scratch / rel
                if dst.exists():
                    src.skipped.append(Skipped(info.filename, "duplicate member name in archive"))
                    continue
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(info) as fh:
                        _copy_limited(fh, dst, budget)
                except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as exc:
                    src.skipped.append(Skipped(info.filename, f"cannot extract: {exc}"))
    except zipfile.BadZipFile as exc:
        src.close()
        raise EvidenceError(f"corrupt zip archive {path}: {exc}") from exc
    except EvidenceError:
        src.close()
        raise
    return src


def _expand_tar(path: Path, scratch_parent: Path) -> EvidenceSource:
    scratch = _new_scratch(scratch_parent, path)
    src = EvidenceSource(original=path, kind="tar", root=scratch, scratch=scratch)
    budget = _Budget(path.stat().st_size)
    try:
        with tarfile.open(path, "r:*") as tf:
            for member in tf:
                budget.count()
                if member.isdir():
                    continue
                rel = _safe_member_path(member.name)
                if rel is None:
                    src.skipped.append(Skipped(member.name, "unsafe path in archive (absolute or ..)"))
                    continue
                if not member.isfile():
                    src.skipped.append(Skipped(member.name, "link or special file in archive not extracted"))
                    continue
                dst = scratch / rel
                if dst.exists():
                    src.skipped.append(Skipped(member.name, "duplicate member name in archive"))
                    continue
                dst.parent.mkdir(parents=True, exist_ok=True)
                fh = tf.extractfile(member)
                if fh is None:
                    src.skipped.append(Skipped(member.name, "cannot extract member"))
                    continue
                with fh:
                    _copy_limited(fh, dst, budget)
    except (tarfile.TarError, EOFError, OSError) as exc:
        src.close()
        raise EvidenceError(f"corrupt tar archive {path}: {exc}") from exc
    except EvidenceError:
        src.close()
        raise
    return src
