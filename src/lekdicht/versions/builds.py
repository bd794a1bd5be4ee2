"""Exchange build numbers: parsing, the build table, CU lines and support status.

The tables are data files in ``versions/data`` (see its README for provenance). Everything here
is read-only and cached after the first load.
"""

from __future__ import annotations

import csv
import io
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, total_ordering
from importlib import resources
from typing import Any

__all__ = [
    "Build",
    "BuildInfo",
    "BuildNote",
    "BuildParseError",
    "BuildRow",
    "BuildTable",
    "read_data_csv",
    "CuLine",
    "Lifecycle",
    "SupportStatus",
    "build_table",
    "data_metadata",
    "lookup_build",
    "parse_build",
    "support_status",
]


class BuildParseError(ValueError):
    """The text does not contain an Exchange-style version number."""


@total_ordering
@dataclass(frozen=True, slots=True)
class Build:
    """A version ``major.minor.build.revision``; ``revision`` is None when only the CU is known."""

    major: int
    minor: int
    build: int
    revision: int | None = None

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.build}"
        return base if self.revision is None else f"{base}.{self.revision}"

    @property
    def long(self) -> str:
        """Zero-padded form as Microsoft Learn and log headers write it (``15.01.2176.002``)."""
        base = f"{self.major:02d}.{self.minor:02d}.{self.build:04d}"
        return base if self.revision is None else f"{base}.{self.revision:03d}"

    @property
    def triple(self) -> tuple[int, int, int]:
        """``(major, minor, build)``: identifies the CU line."""
        return (self.major, self.minor, self.build)

    @property
    def precision(self) -> str:
        """``exact`` for a full build, ``cu`` when the revision (SU level) is unknown."""
        return "cu" if self.revision is None else "exact"

    @property
    def key(self) -> tuple[int, int, int, int]:
        """Sort key; a CU-only build sorts as revision 0."""
        return (self.major, self.minor, self.build, self.revision or 0)

    @property
    def is_placeholder(self) -> bool:
        """True for values such as ``15.0.0.0`` that some logs write instead of the real build."""
        return self.build == 0 and not self.revision

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Build):
            return NotImplemented
        return self.key < other.key


_ADMIN_RE = re.compile(r"Version\s+(\d{1,2})\.(\d{1,2})\s*\(\s*Build\s+(\d{1,5})(?:\.(\d{1,5}))?\s*\)", re.I)
_DOTTED_RE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{1,5})(?:\.(\d{1,5}))?(?![\d.]*\d)")


def parse_build(text: str) -> Build:
    """Parse ``15.1.2176.2``, ``15.01.2176.002``, ``Version 15.1 (Build 2176.2)`` or ``15.1.2176``.

    Raises BuildParseError when no version number is found.
    """
    if not isinstance(text, str):
        raise BuildParseError(f"not a build string: {text!r}")
    cleaned = text.strip().strip("\ufeff")
    if not cleaned:
        raise BuildParseError("empty build string")
    match = _ADMIN_RE.search(cleaned) or _DOTTED_RE.search(cleaned)
    if match is None:
        raise BuildParseError(f"no Exchange build number in {cleaned[:80]!r}")
    major, minor, build, revision = match.groups()
    return Build(int(major), int(minor), int(build), int(revision) if revision is not None else None)


def _parse_date(text: str) -> tuple[date | None, str]:
    """Parse ``YYYY-MM-DD`` (precision day) or ``YYYY-MM`` (precision month, first day)."""
    text = text.strip()
    if not text:
        return None, ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text), "day"
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return date.fromisoformat(text + "-01"), "month"
    raise ValueError(f"bad date {text!r}")


_LINE_RE = re.compile(r"^(CU\d+|SP\d+|RTM|Preview|RU\d+)")
_SU_RE = re.compile(r"\b([A-Z][a-z]{2}\d{2}(?:SU|HU)(?:v\d)?)\b")
_KB_RE = re.compile(r"\bKB\d{6,7}\b")


@dataclass(frozen=True, slots=True)
class BuildRow:
    """One row of ``exchange-builds.csv``."""

    product: str
    release_name: str
    build: Build
    build_long: str
    release_date: date | None
    date_precision: str
    kind: str
    source: str

    @property
    def kb(self) -> str | None:
        m = _KB_RE.search(self.source)
        return m.group(0) if m else None

    @property
    def update_name(self) -> str:
        """Short name of the update: ``Mar21SU``, ``CU20``, ``RU32``, or the release name."""
        m = _SU_RE.search(self.release_name)
        if m:
            return m.group(1)
        m = _LINE_RE.match(self.release_name)
        return m.group(1) if m else self.release_name

    @property
    def inferred(self) -> bool:
        """True when the build is only known from CVE fixed-version boundaries."""
        return self.source.startswith("inferred") or "(name inferred)" in self.release_name

    def to_json(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "release_name": self.release_name,
            "build": str(self.build),
            "build_long": self.build_long,
            "release_date": self.release_date.isoformat() if self.release_date else None,
            "date_precision": self.date_precision,
            "kind": self.kind,
            "kb": self.kb,
            "inferred": self.inferred,
            "source": self.source,
        }


@dataclass(slots=True)
class CuLine:
    """A CU (or RTM/SP/Preview) with all the builds that share its ``major.minor.build``."""

    product: str
    name: str
    base: BuildRow
    order: int = 0
    rows: list[BuildRow] = field(default_factory=list)
    triples: set[tuple[int, int, int]] = field(default_factory=set)

    @property
    def release_date(self) -> date | None:
        return self.base.release_date


@dataclass(frozen=True, slots=True)
class BuildNote:
    """A row of ``build-notes.csv``: disputed builds, special SUs, cross-line fixes."""

    build: Build
    kind: str
    equivalent_to: Build | None
    note: str
    source: str


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """A row of ``lifecycle.csv``."""

    product: str
    major: int
    minor: int
    build_from: int
    ga: date
    mainstream_end: date | None
    extended_end: date | None
    esu_end: date | None
    esu_lines: tuple[str, ...]
    current_lines: tuple[str, ...]
    new_cus_expected: bool
    note: str
    source: str

    @property
    def final_end(self) -> date | None:
        """Last day of any (paid or free) security support, or None when open-ended."""
        return self.esu_end or self.extended_end


def read_data_csv(name: str) -> list[dict[str, str]]:
    """Rows of a CSV file in ``versions/data``."""
    ref = resources.files("lekdicht.versions").joinpath("data", name)
    return list(csv.DictReader(io.StringIO(ref.read_text(encoding="utf-8"))))


@cache
def data_metadata() -> dict[str, Any]:
    """Contents of ``data/metadata.json`` (data dates, origin of the copied tables)."""
    ref = resources.files("lekdicht.versions").joinpath("data", "metadata.json")
    loaded: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return loaded


def _line_name(release_name: str) -> str:
    m = _LINE_RE.match(release_name)
    return m.group(1) if m else release_name.split(" ")[0]


_BASE_KINDS = {"CU", "RTM", "SP", "Preview"}


class BuildTable:
    """The build table with CU lines, lifecycle data and build notes."""

    def __init__(self) -> None:
        self.rows: list[BuildRow] = []
        for raw in read_data_csv("exchange-builds.csv"):
            when, precision = _parse_date(raw["release_date"])
            self.rows.append(
                BuildRow(
                    product=raw["product"],
                    release_name=raw["release_name"],
                    build=parse_build(raw["build_short"]),
                    build_long=raw["build_long"],
                    release_date=when,
                    date_precision=precision,
                    kind=raw["kind"],
                    source=raw["source"],
                )
            )
        self.lifecycles: list[Lifecycle] = [self._lifecycle(r) for r in read_data_csv("lifecycle.csv")]
        self.notes: list[BuildNote] = [
            BuildNote(
                build=parse_build(r["build"]),
                kind=r["kind"],
                equivalent_to=parse_build(r["equivalent_to"]) if r["equivalent_to"] else None,
                note=r["note"],
                source=r["source"],
            )
            for r in read_data_csv("build-notes.csv")
        ]
        self.by_build: dict[Build, list[BuildRow]] = {}
        for row in self.rows:
            self.by_build.setdefault(row.build, []).append(row)
        self.lines: dict[str, list[CuLine]] = {}
        self._line_by_triple: dict[tuple[int, int, int], CuLine] = {}
        self._build_lines()

    @staticmethod
    def _lifecycle(r: dict[str, str]) -> Lifecycle:
        major, minor = (int(x) for x in r["major_minor"].split("."))

        def d(key: str) -> date | None:
            return _parse_date(r[key])[0]

        ga = d("ga")
        if ga is None:
            raise ValueError(f"lifecycle row without GA date: {r['product']}")
        return Lifecycle(
            product=r["product"],
            major=major,
            minor=minor,
            build_from=int(r["build_from"] or 0),
            ga=ga,
            mainstream_end=d("mainstream_end"),
            extended_end=d("extended_end"),
            esu_end=d("esu_end"),
            esu_lines=tuple(x for x in r["esu_lines"].split(";") if x),
            current_lines=tuple(x for x in r["current_lines"].split(";") if x),
            new_cus_expected=r["new_cus_expected"].strip().lower() == "yes",
            note=r["note"],
            source=r["source"],
        )

    def _build_lines(self) -> None:
        by_product: dict[str, list[BuildRow]] = {}
        for row in self.rows:
            by_product.setdefault(row.product, []).append(row)
        for product, rows in by_product.items():
            rows.sort(key=lambda r: r.build.key)
            lines: list[CuLine] = []
            if product.startswith("Exchange Server 2010"):
                # Exchange 2010 SP3: update rollups are cumulative within the single SP3 line.
                base = next(r for r in rows if r.kind == "SP")
                line = CuLine(product, "SP3", base, rows=list(rows))
                line.triples = {r.build.triple for r in rows}
                lines.append(line)
            else:
                candidates: dict[tuple[int, int, int], list[BuildRow]] = {}
                for r in rows:
                    if r.kind in _BASE_KINDS:
                        candidates.setdefault(r.build.triple, []).append(r)
                # Prefer the Microsoft Learn row over alternative builds of the same release.
                bases = {
                    t: sorted(c, key=lambda r: (not r.source.startswith("MS Learn"), len(r.release_name)))[0]
                    for t, c in candidates.items()
                }
                for triple, base in sorted(bases.items()):
                    line = CuLine(product, _line_name(base.release_name), base)
                    line.triples = {triple}
                    line.rows = [r for r in rows if r.build.triple == triple]
                    lines.append(line)
            for i, line in enumerate(lines):
                line.order = i
                for t in line.triples:
                    self._line_by_triple[t] = line
            self.lines[product] = lines

    # --- look-ups ---------------------------------------------------------------------------

    def lifecycle_for(self, build: Build) -> Lifecycle | None:
        """The product lifecycle row a build belongs to (by major.minor and build number)."""
        best: Lifecycle | None = None
        for lc in self.lifecycles:
            same = (lc.major, lc.minor) == (build.major, build.minor) and build.build >= lc.build_from
            if same and (best is None or lc.build_from > best.build_from):
                best = lc
        return best

    def lifecycle(self, product: str) -> Lifecycle | None:
        return next((lc for lc in self.lifecycles if lc.product == product), None)

    def line_for(self, build: Build) -> CuLine | None:
        """The CU line of a build, or None when its ``major.minor.build`` is not in the table."""
        line = self._line_by_triple.get(build.triple)
        if line is not None:
            return line
        lc = self.lifecycle_for(build)
        if lc is not None and lc.product.startswith("Exchange Server 2010"):
            lines = self.lines.get(lc.product) or []
            if lines and build >= lines[0].base.build:
                return lines[0]
        return None

    def line_named(self, product: str, name: str) -> CuLine | None:
        return next((ln for ln in self.lines.get(product, []) if ln.name == name), None)

    def rows_for(self, build: Build) -> list[BuildRow]:
        return list(self.by_build.get(build, []))

    def nearest_lower(self, build: Build, line: CuLine) -> BuildRow | None:
        """The newest known build of ``line`` that is not above ``build``."""
        keys = [r.build.key for r in line.rows]
        i = bisect_right(keys, build.key)
        return line.rows[i - 1] if i > 0 else None

    def notes_for(self, build: Build, kind: str | None = None) -> list[BuildNote]:
        return [n for n in self.notes if n.build == build and (kind is None or n.kind == kind)]

    def equivalents(self, build: Build) -> list[Build]:
        """Builds that sources treat as the same update as ``build`` (disputed pairs), itself first."""
        out = [build]
        for n in self.notes:
            if n.kind != "disputed" or n.equivalent_to is None:
                continue
            if n.equivalent_to == build and n.build not in out:
                out.append(n.build)
            elif n.build == build and n.equivalent_to not in out:
                out.append(n.equivalent_to)
        return out

    def row_for_fix(self, build: Build, product: str) -> BuildRow | None:
        """The table row of a fixing build (Microsoft Learn row preferred)."""
        rows = [r for r in self.by_build.get(build, []) if r.product == product]
        rows.sort(key=lambda r: (not r.source.startswith("MS Learn"), len(r.release_name)))
        return rows[0] if rows else None

    def last_regular_update(self, line: CuLine) -> date | None:
        """Release date of the newest update for a line that was not a special post-support one."""
        special = {n.build for n in self.notes if n.kind == "special_su"}
        dates = [r.release_date for r in line.rows if r.release_date and r.build not in special]
        return max(dates) if dates else None


@cache
def build_table() -> BuildTable:
    """The loaded tables (cached)."""
    return BuildTable()


@dataclass(slots=True)
class SupportStatus:
    """Support status of a build on a date."""

    status: str
    """``supported``, ``esu``, ``unsupported_cu``, ``end_of_life`` or ``unknown``."""
    reason: str
    product: str | None = None
    on: date | None = None
    extended_end: date | None = None
    esu_end: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "product": self.product,
            "on": self.on.isoformat() if self.on else None,
            "extended_end": self.extended_end.isoformat() if self.extended_end else None,
            "esu_end": self.esu_end.isoformat() if self.esu_end else None,
        }


_GRACE = timedelta(days=31)


def support_status(build: Build | str, on: date | None = None) -> SupportStatus:
    """Support status of ``build`` on ``on`` (default today).

    Product level from ``lifecycle.csv``; CU level: a line is supported while it is one of the
    lines supported as of the data date, until the second later CU is out (Microsoft's N-1 policy),
    or within a month of the last regular update released for it.
    """
    b = parse_build(build) if isinstance(build, str) else build
    when = on or date.today()
    table = build_table()
    lc = table.lifecycle_for(b)
    if lc is None:
        return SupportStatus(
            "unknown", f"{b} is not an Exchange 2010 SP3, 2013, 2016, 2019 or SE build", on=when
        )
    common: dict[str, Any] = {
        "product": lc.product,
        "on": when,
        "extended_end": lc.extended_end,
        "esu_end": lc.esu_end,
    }
    line = table.line_for(b)
    if lc.final_end is not None and when > lc.final_end:
        return SupportStatus(
            "end_of_life",
            f"{lc.product} is out of support since {lc.final_end.isoformat()}: no more security updates",
            **common,
        )
    if lc.extended_end is not None and when > lc.extended_end:
        if line is not None and line.name in lc.esu_lines:
            return SupportStatus(
                "esu",
                f"{lc.product} left extended support on {lc.extended_end.isoformat()}; {line.name} gets "
                f"paid Extended Security Updates until {lc.esu_end.isoformat() if lc.esu_end else '?'} "
                "for enrolled customers only",
                **common,
            )
        name = line.name if line else str(b)
        return SupportStatus(
            "end_of_life",
            f"{lc.product} left extended support on {lc.extended_end.isoformat()} and {name} is not "
            f"covered by the paid ESU programme ({', '.join(lc.esu_lines) or 'none'})",
            **common,
        )
    if when < lc.ga:
        return SupportStatus("unknown", f"{lc.product} was not released yet on {when.isoformat()}", **common)
    if line is None:
        return SupportStatus(
            "unknown", f"{b} is not in the build table, so its CU and support state are unknown", **common
        )
    if lc.product.startswith("Exchange Server 2010"):
        return SupportStatus(
            "supported", f"{lc.product} in extended support; install the latest rollup", **common
        )
    lines = table.lines[lc.product]
    real = [ln for ln in lines if ln.name != "Preview"]
    if line.name == "Preview":
        return SupportStatus("unsupported_cu", "a preview build is never supported in production", **common)
    if line.name in lc.current_lines:
        return SupportStatus("supported", f"{line.name} is a supported CU of {lc.product}", **common)
    later = [ln for ln in real if ln.order > line.order and ln.release_date]
    if len(later) >= 2 and later[1].release_date is not None and when < later[1].release_date:
        return SupportStatus(
            "supported",
            f"on {when.isoformat()} {line.name} was still one of the two newest CUs of {lc.product}",
            **common,
        )
    last = table.last_regular_update(line)
    if last is not None and when <= last + _GRACE:
        return SupportStatus(
            "supported",
            f"{line.name} still received updates around {when.isoformat()} "
            f"(last regular update {last.isoformat()})",
            **common,
        )
    current = ", ".join(lc.current_lines)
    return SupportStatus(
        "unsupported_cu",
        f"{line.name} of {lc.product} no longer receives security updates"
        + (f" (last regular update {last.isoformat()})" if last else "")
        + f"; supported CU(s): {current}",
        **common,
    )


@dataclass(slots=True)
class BuildInfo:
    """What the table knows about one build."""

    build: Build
    product: str | None
    line: CuLine | None
    rows: list[BuildRow]
    nearest_lower: BuildRow | None
    notes: list[BuildNote]

    @property
    def known(self) -> bool:
        """True when this exact build is in the table."""
        return bool(self.rows)

    @property
    def row(self) -> BuildRow | None:
        """The preferred table row for this exact build (Microsoft Learn first)."""
        if not self.rows:
            return None
        return sorted(self.rows, key=lambda r: (not r.source.startswith("MS Learn"), len(r.release_name)))[0]

    @property
    def release_name(self) -> str | None:
        row = self.row
        if row is not None:
            return row.release_name
        if self.line is not None and self.build.revision is None:
            return f"{self.line.name} (SU level unknown)"
        return None


def lookup_build(build: Build | str) -> BuildInfo:
    """Product, CU line, release name and notes for a build."""
    b = parse_build(build) if isinstance(build, str) else build
    table = build_table()
    lc = table.lifecycle_for(b)
    line = table.line_for(b)
    product = line.product if line else (lc.product if lc else None)
    nearest = table.nearest_lower(b, line) if line and b.revision is not None else None
    return BuildInfo(
        build=b,
        product=product,
        line=line,
        rows=table.rows_for(b) if b.revision is not None else [],
        nearest_lower=nearest,
        notes=table.notes_for(b),
    )
