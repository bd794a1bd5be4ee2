"""Published indicators for files (hashes, webshell names and paths, dropped tools) and the allow-list of
Exchange's own authentication pages. The data lives in ``lekdicht/data/`` with a source for every row."""

from __future__ import annotations

import csv
import fnmatch
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from lekdicht.files.locate import path_tail, split_path

AUTH_ALLOWLIST_FILE = "exchange_auth_pages.yml"
HASH_FILE = "bad_sha256.csv"
WEBSHELL_NAMES_FILE = "webshell_names.csv"
TOOLS_FILE = "dropped_tools.csv"


@dataclass(frozen=True, slots=True)
class HashIoc:
    """A known-bad SHA-256 with its source."""

    sha256: str
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class PathIoc:
    """A known-bad path (matched against the end of a path, wildcards per segment) or file name."""

    kind: str
    """``path`` or ``name``."""
    value: str
    source: str
    note: str = ""
    pattern: tuple[str, ...] = ()

    def matches(self, segments: Sequence[str]) -> bool:
        """True if lower-case path ``segments`` end with this indicator."""
        if self.kind == "name":
            return bool(segments) and fnmatch.fnmatchcase(segments[-1], self.pattern[-1])
        n = len(self.pattern)
        if n == 0 or len(segments) < n:
            return False
        tail = segments[-n:]
        return all(fnmatch.fnmatchcase(s, p) for s, p in zip(tail, self.pattern, strict=True))


@dataclass(slots=True)
class IocSet:
    """All file indicators, ready for lookup."""

    hashes: dict[str, HashIoc] = field(default_factory=dict)
    webshells: list[PathIoc] = field(default_factory=list)
    tools: list[PathIoc] = field(default_factory=list)

    def lookup_hash(self, sha256: str) -> HashIoc | None:
        """The indicator for a SHA-256 (any case), or None."""
        return self.hashes.get(sha256.lower())

    def match_webshell(self, relpath: str, *, names_allowed: bool) -> PathIoc | None:
        """First webshell path indicator matching ``relpath``; name indicators only if ``names_allowed``."""
        return _first_match(self.webshells, relpath, names_allowed)

    def match_tool(self, relpath: str, *, names_allowed: bool) -> PathIoc | None:
        """First dropped-tool indicator matching ``relpath``; name indicators only if ``names_allowed``."""
        return _first_match(self.tools, relpath, names_allowed)


def _first_match(iocs: list[PathIoc], relpath: str, names_allowed: bool) -> PathIoc | None:
    segs = split_path(relpath)
    for ioc in iocs:
        if ioc.kind == "name" and not names_allowed:
            continue
        if ioc.matches(segs):
            return ioc
    return None


def _data_text(name: str, data_dir: Path | None) -> str:
    if data_dir is not None:
        return (data_dir / name).read_text(encoding="utf-8")
    return resources.files("lekdicht").joinpath("data", name).read_text(encoding="utf-8")


def _csv_rows(text: str) -> list[dict[str, str]]:
    """Rows of a CSV whose leading ``#`` lines are comments."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [
        {k: (v or "").strip() for k, v in row.items() if k is not None}
        for row in csv.DictReader(io.StringIO("\n".join(lines)))
    ]


def parse_hash_csv(text: str) -> dict[str, HashIoc]:
    """Parse ``sha256,source,note`` rows; malformed hashes raise ValueError."""
    out: dict[str, HashIoc] = {}
    for row in _csv_rows(text):
        value = row.get("sha256", "").lower()
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ValueError(f"not a SHA-256: {value!r}")
        out[value] = HashIoc(value, row.get("source", ""), row.get("note", ""))
    return out


def parse_path_csv(text: str) -> list[PathIoc]:
    """Parse ``kind,value,source,note`` rows into path/name indicators (path rows first, in file order)."""
    paths: list[PathIoc] = []
    names: list[PathIoc] = []
    for row in _csv_rows(text):
        kind = row.get("kind", "").lower()
        value = row.get("value", "")
        if kind == "path":
            paths.append(PathIoc("path", value, row.get("source", ""), row.get("note", ""), path_tail(value)))
        elif kind == "name":
            names.append(PathIoc("name", value, row.get("source", ""), row.get("note", ""), (value.lower(),)))
        else:
            raise ValueError(f"unknown indicator kind {kind!r} for {value!r}")
    return paths + names


def load_iocs(data_dir: Path | None = None) -> IocSet:
    """Load all file indicators from ``data_dir`` (default: the packaged ``lekdicht/data``)."""
    if data_dir is None:
        return _default_iocs()
    return _load(data_dir)


def _load(data_dir: Path | None) -> IocSet:
    return IocSet(
        hashes=parse_hash_csv(_data_text(HASH_FILE, data_dir)),
        webshells=parse_path_csv(_data_text(WEBSHELL_NAMES_FILE, data_dir)),
        tools=parse_path_csv(_data_text(TOOLS_FILE, data_dir)),
    )


@lru_cache(maxsize=1)
def _default_iocs() -> IocSet:
    return _load(None)


def lookup_hash(sha256: str, iocs: IocSet | None = None) -> HashIoc | None:
    """The known-bad indicator for ``sha256`` in ``iocs`` (default: the packaged list), or None."""
    return (iocs or load_iocs()).lookup_hash(sha256)


def load_auth_allowlist(path: Path | None = None) -> dict[str, frozenset[str]]:
    """Exchange's own files in its auth folders: ``{"owa_auth": {...}, "ecp_auth": {...}}``, names lower-case.

    Reads ``lekdicht/data/exchange_auth_pages.yml`` unless ``path`` is given.
    """
    if path is None:
        return dict(_default_allowlist())
    return _parse_allowlist(path.read_text(encoding="utf-8"))


def _parse_allowlist(text: str) -> dict[str, frozenset[str]]:
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError("allow-list must be a mapping of area to a list of names")
    out: dict[str, frozenset[str]] = {}
    for area, names in data.items():
        if not isinstance(names, list):
            raise ValueError(f"allow-list area {area!r} must be a list")
        out[str(area)] = frozenset(str(n).strip().lower() for n in names if str(n).strip())
    return out


@lru_cache(maxsize=1)
def _default_allowlist() -> dict[str, frozenset[str]]:
    return _parse_allowlist(_data_text(AUTH_ALLOWLIST_FILE, None))


def is_exchange_auth_page(area: str, name: str) -> bool:
    """True if ``name`` is one of Exchange's own files in ``area`` (``owa_auth`` or ``ecp_auth``)."""
    return name.lower() in _default_allowlist().get(area, frozenset())
