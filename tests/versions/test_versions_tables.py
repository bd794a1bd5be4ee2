"""Consistency of the shipped build and CVE tables (versions/data)."""

from __future__ import annotations

import csv
import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest

from lekdicht.versions.builds import build_table, parse_build
from lekdicht.versions.exposure import cve_catalog, fix_rows

DATA = resources.files("lekdicht.versions").joinpath("data")
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def _rows(name: str) -> list[dict[str, str]]:
    with DATA.joinpath(name).open("r", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_row_keeps_its_source() -> None:
    for name in (
        "exchange-builds.csv",
        "exchange-cve-fixes.csv",
        "cve-info.csv",
        "lifecycle.csv",
        "build-notes.csv",
    ):
        rows = _rows(name)
        assert rows, name
        assert all(r["source"].strip() for r in rows), name


def test_copied_tables_match_metadata_hashes() -> None:
    meta = json.loads(DATA.joinpath("metadata.json").read_text(encoding="utf-8"))
    for name, info in meta["copied_from"].items():
        digest = hashlib.sha256(DATA.joinpath(name).read_bytes()).hexdigest()
        assert digest == info["sha256"], name


def test_copied_tables_equal_reference_when_present() -> None:
    if not REFERENCE.is_dir():
        pytest.skip("shared/reference not present")
    for name in ("exchange-builds.csv", "exchange-cve-fixes.csv"):
        ref = REFERENCE / name
        if ref.exists():
            assert ref.read_bytes() == DATA.joinpath(name).read_bytes(), name


def test_build_table_parses_both_notations_consistently() -> None:
    for r in _rows("exchange-builds.csv"):
        assert parse_build(r["build_short"]) == parse_build(r["build_long"]), r


def test_builds_are_monotonic_per_cu_line() -> None:
    """Within a CU line, a higher build is never released before a lower one (month precision)."""
    table = build_table()
    for product, lines in table.lines.items():
        for line in lines:
            dated = [r for r in line.rows if r.release_date and r.kind != "Preview"]
            dated.sort(key=lambda r: r.build.key)
            for a, b in zip(dated, dated[1:], strict=False):
                assert a.release_date and b.release_date
                assert (b.release_date.year, b.release_date.month) >= (
                    a.release_date.year,
                    a.release_date.month,
                ), (
                    product,
                    line.name,
                    str(a.build),
                    str(b.build),
                )


def test_cu_lines_are_monotonic_per_product() -> None:
    table = build_table()
    for product, lines in table.lines.items():
        real = [ln for ln in lines if ln.name != "Preview" and ln.release_date]
        for a, b in zip(real, real[1:], strict=False):
            assert a.release_date and b.release_date
            assert b.release_date >= a.release_date, (product, a.name, b.name)


def test_every_build_belongs_to_a_cu_line() -> None:
    table = build_table()
    for row in table.rows:
        line = table.line_for(row.build)
        assert line is not None and line.product == row.product, str(row.build)


def test_every_cve_row_resolves_to_a_build_of_its_line() -> None:
    table = build_table()
    cross_line = {n.build for n in table.notes if n.kind == "cross_line_fix"}
    for row in fix_rows():
        fix_row = table.row_for_fix(row.fixed_build, row.product)
        assert fix_row is not None, (
            f"{row.cve} {row.product} {row.cu_line}: {row.fixed_build} not in build table"
        )
        line = table.line_named(row.product, row.line)
        assert line is not None, f"{row.cve}: line {row.cu_line} unknown"
        fix_line = table.line_for(row.fixed_build)
        if fix_line is not line:
            assert row.fixed_build in cross_line, (
                f"{row.cve} {row.cu_line}: fix {row.fixed_build} in {fix_line}"
            )
        if row.and_later:
            # "CUx and later CUs" rows point at the CU build itself.
            assert fix_row.kind in ("CU", "RTM", "SP"), row


def test_cve_info_covers_every_cve_and_nothing_else() -> None:
    fix_cves = {r.cve for r in fix_rows()}
    info_cves = {r["cve"] for r in _rows("cve-info.csv")}
    assert fix_cves == info_cves
    cat = cve_catalog()
    for fam in ("ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF"):
        assert any(fam in c.families for c in cat.values()), fam


def test_build_notes_refer_to_known_builds() -> None:
    table = build_table()
    for note in table.notes:
        assert table.rows_for(note.build), str(note.build)
        if note.equivalent_to is not None:
            assert table.rows_for(note.equivalent_to), str(note.equivalent_to)


def test_lifecycle_covers_every_product() -> None:
    table = build_table()
    products = {lc.product for lc in table.lifecycles}
    assert products == set(table.lines)
    for product, lines in table.lines.items():
        lc = table.lifecycle(product)
        assert lc is not None
        names = {ln.name for ln in lines}
        assert set(lc.current_lines) <= names
        assert set(lc.esu_lines) <= names
