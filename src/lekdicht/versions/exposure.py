"""Per-CVE exposure of an Exchange build.

The algorithm follows HealthChecker as distilled in builds-and-mitigations.md 2.1:

1. a row for the server's own CU line: fixed iff build >= that row's fixed build;
2. a "CUx and later CUs" row: a CU at or after CUx contains the fix;
3. a CU line newer than every listed line: fixed iff build >= the newest fixed build;
4. an older CU that never got the update: vulnerable (this is how the special March 2021 SUs for
   unsupported CUs leave every later CVE open);
5. no row for the product: not affected (or unknown when the product was already out of support
   when the CVE was published, so Microsoft never assessed it).

CVEs whose fix also needs configuration are ``fixed_config_required``, never plainly ``fixed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from lekdicht.versions.builds import (
    Build,
    BuildInfo,
    BuildParseError,
    BuildRow,
    CuLine,
    SupportStatus,
    build_table,
    data_metadata,
    lookup_build,
    parse_build,
    read_data_csv,
    support_status,
)

__all__ = [
    "STATUSES",
    "BuildAssessment",
    "CveInfo",
    "CveStatus",
    "FixRow",
    "assess_build",
    "cve_catalog",
    "fix_rows",
]

VULNERABLE = "vulnerable"
FIXED = "fixed"
FIXED_CONFIG = "fixed_config_required"
NOT_AFFECTED = "not_affected"
UNKNOWN = "unknown"
STATUSES = (VULNERABLE, UNKNOWN, FIXED_CONFIG, FIXED, NOT_AFFECTED)
"""All per-CVE statuses, worst first."""

_RANK = {s: i for i, s in enumerate(STATUSES)}


def worst(statuses: list[str]) -> str:
    """The worst of several statuses (``not_affected`` for an empty list)."""
    return min(statuses, key=lambda s: _RANK[s]) if statuses else NOT_AFFECTED


def _d(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    return date.fromisoformat(text if len(text) == 10 else text + "-01")


@dataclass(frozen=True, slots=True)
class FixRow:
    """One row of ``exchange-cve-fixes.csv``."""

    cve: str
    name: str
    product: str
    cu_line: str
    line: str
    and_later: bool
    fixed_build: Build
    published: date
    source: str


@dataclass(frozen=True, slots=True)
class CveInfo:
    """A CVE with its families, exploitation and configuration facts (``cve-info.csv``)."""

    cve: str
    name: str
    families: tuple[str, ...]
    published: date
    exploited: bool
    exploitation_start: date | None
    exploitation_start_basis: str
    config_required: bool
    config_note: str
    not_affected: tuple[str, ...]
    note: str
    source: str

    @property
    def window_start(self) -> date:
        """Earliest date an exposure window can start: exploitation start, else publication."""
        return self.exploitation_start or self.published


@cache
def fix_rows() -> tuple[FixRow, ...]:
    """All rows of the CVE fix table, parsed."""
    table = build_table()
    out: list[FixRow] = []
    for r in read_data_csv("exchange-cve-fixes.csv"):
        raw_line = r["cu_line"].strip()
        and_later = "and later" in raw_line
        line_name = raw_line.split(" ")[0]
        fixed = parse_build(r["first_fixed_build"])
        if table.line_named(r["product"], line_name) is None:
            # e.g. Exchange 2010 "RU32": the row belongs to the line that contains its build.
            ln = table.line_for(fixed)
            if ln is not None and ln.product == r["product"]:
                line_name = ln.name
        published = _d(r["published"])
        if published is None:
            raise ValueError(f"fix row without publication date: {r['cve']}")
        out.append(
            FixRow(
                cve=r["cve"],
                name=r["name"],
                product=r["product"],
                cu_line=raw_line,
                line=line_name,
                and_later=and_later,
                fixed_build=fixed,
                published=published,
                source=r["source"],
            )
        )
    return tuple(out)


@cache
def cve_catalog() -> dict[str, CveInfo]:
    """Every CVE of the fix table with its facts, in table order."""
    info = {r["cve"]: r for r in read_data_csv("cve-info.csv")}
    out: dict[str, CveInfo] = {}
    for row in fix_rows():
        if row.cve in out:
            continue
        extra = info.get(row.cve, {})
        out[row.cve] = CveInfo(
            cve=row.cve,
            name=row.name,
            families=tuple(x for x in extra.get("families", "").split(";") if x),
            published=min(r.published for r in fix_rows() if r.cve == row.cve),
            exploited=extra.get("exploited", "").strip().lower() == "yes",
            exploitation_start=_d(extra.get("exploitation_start", "")),
            exploitation_start_basis=extra.get("exploitation_start_basis", ""),
            config_required=extra.get("config_required", "").strip().lower() == "yes",
            config_note=extra.get("config_note", ""),
            not_affected=tuple(x for x in extra.get("not_affected", "").split(";") if x),
            note=extra.get("note", ""),
            source=extra.get("source", ""),
        )
    return out


@dataclass(slots=True)
class CveStatus:
    """Exposure of one build to one CVE."""

    cve: str
    name: str
    families: tuple[str, ...]
    status: str
    reason: str
    fixed_in: str | None = None
    fixed_in_name: str | None = None
    fixed_in_kb: str | None = None
    fixed_in_date: date | None = None
    published: date | None = None
    exploited: bool = False
    config_note: str = ""
    notes: list[str] = field(default_factory=list)
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "cve": self.cve,
            "name": self.name,
            "families": list(self.families),
            "status": self.status,
            "reason": self.reason,
            "fixed_in": self.fixed_in,
            "fixed_in_name": self.fixed_in_name,
            "fixed_in_kb": self.fixed_in_kb,
            "fixed_in_date": self.fixed_in_date.isoformat() if self.fixed_in_date else None,
            "published": self.published.isoformat() if self.published else None,
            "exploited": self.exploited,
            "config_note": self.config_note or None,
            "notes": list(self.notes),
            "source": self.source,
        }


@dataclass(slots=True)
class BuildAssessment:
    """Everything lekdicht can say about a build without evidence beyond the number itself."""

    input: str
    build: str
    precision: str
    product: str | None
    cu_line: str | None
    release_name: str | None
    release_date: date | None
    build_known: bool
    nearest_known_build: str | None
    support: SupportStatus
    cves: list[CveStatus]
    notes: list[str]
    on: date
    data_date: str

    @property
    def vulnerable(self) -> list[CveStatus]:
        """The CVEs this build is vulnerable to."""
        return [c for c in self.cves if c.status == VULNERABLE]

    @property
    def any_vulnerable(self) -> bool:
        return any(c.status == VULNERABLE for c in self.cves)

    def status_of(self, cve: str) -> str | None:
        """Status of one CVE, or None when it is not in the assessment."""
        return next((c.status for c in self.cves if c.cve == cve), None)

    def families(self) -> dict[str, str]:
        """Worst status per named family (ProxyLogon, ProxyShell, ProxyNotShell, OWASSRF, ...)."""
        out: dict[str, list[str]] = {}
        for c in self.cves:
            for fam in c.families:
                out.setdefault(fam, []).append(c.status)
        return {fam: worst(sts) for fam, sts in out.items()}

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(1 for c in self.cves if c.status == s) for s in STATUSES}
        return {
            "input": self.input,
            "build": self.build,
            "precision": self.precision,
            "product": self.product,
            "cu_line": self.cu_line,
            "release_name": self.release_name,
            "release_date": self.release_date.isoformat() if self.release_date else None,
            "build_known": self.build_known,
            "nearest_known_build": self.nearest_known_build,
            "support": self.support.to_json(),
            "vulnerable": self.any_vulnerable,
            "counts": counts,
            "families": self.families(),
            "cves": [c.to_json() for c in self.cves],
            "notes": list(self.notes),
            "on": self.on.isoformat(),
            "data_date": self.data_date,
        }


def _fix_details(row: BuildRow | None) -> tuple[str | None, str | None, date | None]:
    if row is None:
        return None, None, None
    return row.release_name, row.kb, row.release_date


def _effective_fix(b: Build) -> Build:
    """Lowest build that counts as the fix (disputed pairs: the lower one counts)."""
    return min(build_table().equivalents(b))


def _make(
    info: CveInfo,
    status: str,
    reason: str,
    fix: Build | None = None,
    product: str | None = None,
    notes: list[str] | None = None,
) -> CveStatus:
    table = build_table()
    name = kb = None
    when = None
    if fix is not None and product is not None:
        name, kb, when = _fix_details(table.row_for_fix(fix, product))
    out = CveStatus(
        cve=info.cve,
        name=info.name,
        families=info.families,
        status=status,
        reason=reason,
        fixed_in=str(fix) if fix is not None else None,
        fixed_in_name=name,
        fixed_in_kb=kb,
        fixed_in_date=when,
        published=info.published,
        exploited=info.exploited,
        config_note=info.config_note if info.config_required else "",
        notes=list(notes or []),
        source=_source_for(info.cve, product, fix) or info.source,
    )
    if info.note and status != NOT_AFFECTED:
        out.notes.append(info.note)
    return out


def _source_for(cve: str, product: str | None, fix: Build | None) -> str:
    for r in fix_rows():
        if r.cve == cve and r.product == product and r.fixed_build == fix:
            return r.source
    return ""


def _fixed(info: CveInfo, reason: str, fix: Build, product: str, notes: list[str] | None = None) -> CveStatus:
    if info.config_required:
        return _make(
            info, FIXED_CONFIG, f"{reason}; configuration to verify: {info.config_note}", fix, product, notes
        )
    return _make(info, FIXED, reason, fix, product, notes)


def _label(fix: Build, product: str) -> str:
    row = build_table().row_for_fix(fix, product)
    return f"{fix} ({row.release_name})" if row else str(fix)


def _assess_cve(info: CveInfo, bi: BuildInfo) -> CveStatus:
    table = build_table()
    b = bi.build
    product = bi.product
    if product is None:
        return _make(info, UNKNOWN, f"{b} is not an Exchange 2010 SP3, 2013, 2016, 2019 or SE build")
    rows = [r for r in fix_rows() if r.cve == info.cve and r.product == product]
    lc = table.lifecycle(product)
    if not rows:
        if product in info.not_affected:
            return _make(info, NOT_AFFECTED, f"Microsoft lists {product} as not affected")
        if lc is not None and lc.ga > info.published:
            reason = f"{product} was released ({lc.ga.isoformat()}) after this fix and includes it"
            if info.config_required:
                return _make(info, FIXED_CONFIG, f"{reason}; configuration to verify: {info.config_note}")
            return _make(info, NOT_AFFECTED, reason)
        if lc is not None and lc.final_end is not None and lc.final_end < info.published:
            return _make(
                info,
                UNKNOWN,
                f"{product} was out of support ({lc.final_end.isoformat()}) when this CVE was published; "
                "Microsoft did not assess it, so assume it is vulnerable and replace the server",
            )
        return _make(info, NOT_AFFECTED, f"Microsoft lists no fix for {product}: not affected")

    line = bi.line
    if line is None:
        newest = max(rows, key=lambda r: r.fixed_build.key)
        known_lines = table.lines.get(product, [])
        beyond = bool(known_lines) and b.triple > max(t for ln in known_lines for t in ln.triples)
        if lc is not None and lc.new_cus_expected and beyond and b >= newest.fixed_build:
            return _fixed(
                info,
                f"{b} is not in the build table but newer than every known {product} build; a later CU "
                "contains earlier fixes (HealthChecker rule)",
                newest.fixed_build,
                product,
            )
        return _make(
            info,
            UNKNOWN,
            f"{b} is not in the build table (data as of {data_metadata()['builds_as_of']}): "
            "its CU line is unknown",
        )

    exact = [r for r in rows if r.line == line.name and not r.and_later]
    later = [r for r in rows if r.and_later]
    lines_by_name = {ln.name: ln for ln in table.lines.get(product, [])}

    def order(name: str) -> int:
        ln = lines_by_name.get(name)
        return ln.order if ln is not None else -1

    if exact:
        row = min(exact, key=lambda r: r.fixed_build.key)
        return _compare(info, bi, row.fixed_build, product, line)

    applicable_later = [r for r in later if order(r.line) <= line.order]
    if applicable_later:
        row = max(applicable_later, key=lambda r: order(r.line))
        if order(row.line) < line.order:
            return _fixed(
                info,
                f"{line.name} is later than {row.line}, the first CU released with this fix",
                row.fixed_build,
                product,
            )
        return _compare(info, bi, row.fixed_build, product, line)

    listed = [order(r.line) for r in rows]
    if listed and line.order > max(listed):
        newest = max(rows, key=lambda r: r.fixed_build.key)
        if b >= newest.fixed_build:
            reason = f"{line.name} is newer than every CU that needed the update"
            return _fixed(info, reason, newest.fixed_build, product)

    # An older CU that Microsoft never shipped this fix for.
    target = min((r for r in rows if order(r.line) > line.order), key=lambda r: order(r.line), default=None)
    target = target or max(rows, key=lambda r: r.fixed_build.key)
    shipped = ", ".join(
        name + (" and later" if later_flag else "")
        for name, later_flag in sorted({(r.line, r.and_later) for r in rows}, key=lambda x: order(x[0]))
    )
    notes: list[str] = []
    special = [n for n in bi.notes if n.kind == "special_su"]
    if special:
        notes.append(special[0].note)
    return _make(
        info,
        VULNERABLE,
        f"{line.name} never received this fix (shipped for {shipped} only): upgrade to a supported CU and "
        "install its latest SU",
        target.fixed_build,
        product,
        notes,
    )


def _compare(info: CveInfo, bi: BuildInfo, fix: Build, product: str, line: CuLine) -> CveStatus:
    """Compare a build with the fixing build listed for its own line."""
    table = build_table()
    b = bi.build
    effective = _effective_fix(fix)
    fix_line = table.line_for(fix)
    cross_line = fix_line is not None and fix_line is not line
    if b.revision is None:
        if line.base.build >= effective and not cross_line:
            reason = f"every {line.name} build contains the fix ({_label(fix, product)})"
            return _fixed(info, reason, fix, product)
        if cross_line:
            return _make(
                info,
                VULNERABLE,
                f"no {line.name} update fixes this; upgrade to {fix_line.name if fix_line else fix}",
                fix,
                product,
            )
        return _make(
            info,
            UNKNOWN,
            f"only the CU is known ({line.name}); fixed if the SU level is at least {_label(fix, product)}",
            fix,
            product,
        )
    if b >= effective and not cross_line:
        notes: list[str] = []
        if b < fix:
            disputed = [n.note for n in table.notes_for(effective, "disputed")]
            notes.append("disputed build: " + (disputed[0] if disputed else f"sources disagree on {fix}"))
        return _fixed(info, f"build {b} >= {_label(fix, product)}", fix, product, notes)
    if cross_line:
        return _make(
            info,
            VULNERABLE,
            f"no {line.name} update fixes this; upgrade to {fix_line.name if fix_line else ''} "
            f"({_label(fix, product)})"
            + (f"; until then: {info.config_note}" if info.config_required else ""),
            fix,
            product,
        )
    return _make(
        info,
        VULNERABLE,
        f"build {b} < {_label(fix, product)}"
        + (f"; the fix also needs configuration: {info.config_note}" if info.config_required else ""),
        fix,
        product,
    )


def assess_build(build: str | Build, on: date | None = None) -> BuildAssessment:
    """Assess one build against every CVE of the table, as of ``on`` (default today).

    CVEs published after ``on`` are left out (noted). Raises BuildParseError for text without a
    build number.
    """
    text = build if isinstance(build, str) else str(build)
    b = parse_build(build) if isinstance(build, str) else build
    if b.is_placeholder:
        raise BuildParseError(f"{b} is a placeholder version, not a real build")
    when = on or date.today()
    bi = lookup_build(b)
    notes: list[str] = []
    if bi.line is not None and b.revision is not None and not bi.known:
        near = bi.nearest_lower
        notes.append(
            f"build {b} is not in the build table (data as of {data_metadata()['builds_as_of']}); "
            f"CU line {bi.line.name} is known"
            + (f", nearest lower known build {near.build} ({near.release_name})" if near else "")
            + "; statuses compare build numbers within the CU"
        )
    if b.revision is None:
        notes.append("only the CU is known (no SU level): CVEs fixed by an SU for this CU are 'unknown'")
    if bi.line is not None and bi.line.rows and b.revision is not None:
        newest = max(bi.line.rows, key=lambda r: r.build.key)
        if newest.build > b:
            when_text = newest.release_date.isoformat() if newest.release_date else "?"
            notes.append(
                f"a newer update exists for {bi.line.name}: {newest.build} ({newest.release_name}, "
                f"{when_text}); CVEs it fixes may be missing from the CVE table"
            )
    row = bi.row
    if row is not None and row.inferred:
        notes.append(f"{b}: release name inferred from CVE records ({row.source})")
    for n in bi.notes:
        notes.append(n.note)
    results: list[CveStatus] = []
    skipped = 0
    for info in cve_catalog().values():
        if info.published > when:
            skipped += 1
            continue
        results.append(_assess_cve(info, bi))
    if skipped:
        notes.append(f"{skipped} CVE(s) published after {when.isoformat()} left out")
    return BuildAssessment(
        input=text,
        build=str(b),
        precision=b.precision,
        product=bi.product,
        cu_line=bi.line.name if bi.line else None,
        release_name=bi.release_name,
        release_date=row.release_date if row else None,
        build_known=bi.known,
        nearest_known_build=str(bi.nearest_lower.build) if bi.nearest_lower and not bi.known else None,
        support=support_status(b, when),
        cves=results,
        notes=notes,
        on=when,
        data_date=str(data_metadata()["builds_as_of"]),
    )
