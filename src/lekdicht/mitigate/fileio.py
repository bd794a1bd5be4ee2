"""Crash-safe file writes and the small JSON documents (state files, manifests) mitigate keeps."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lekdicht.mitigate.catalog import MitigateError


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(
    path: Path,
    data: bytes,
    *,
    validate: Callable[[bytes], None] | None = None,
    mode_from: Path | None = None,
    mode: int | None = None,
) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync, read back,
    ``validate`` and rename. The target is never left half-written."""
    tmp = path.with_name(f".{path.name}.lekdicht-tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode_from is not None and mode_from.exists():
            shutil.copymode(mode_from, tmp)
        elif mode is not None:
            os.chmod(tmp, mode)
        back = tmp.read_bytes()
        if back != data:
            raise MitigateError(f"read-back of {tmp} differs from what was written")
        if validate is not None:
            validate(back)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(path.parent)


def read_json_doc(path: Path, schema: str, what: str) -> dict[str, Any] | None:
    """A JSON document of the given schema, or None when the file does not exist."""
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MitigateError(f"cannot read the {what} {path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("schema") != schema:
        raise MitigateError(f"{path} is not a lekdicht {what} ({schema})")
    return doc


def write_json_doc(path: Path, doc: dict[str, Any], mode: int | None = None) -> None:
    """Write a JSON document atomically."""
    atomic_write(path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"), mode=mode)
