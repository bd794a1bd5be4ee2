"""Which interim mitigations a build needs (reusing versions' definitions and exposure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mitigate_support import PATCHED_SE, VULNERABLE_2016

from lekdicht.mitigate.catalog import MitigateError, ServerFacts, interim_catalog, read_case, select_interims
from lekdicht.versions.mitigations import mitigation_definitions


def _needed(build: str | None, cves: tuple[str, ...] = ()) -> set[str]:
    return {i.id for i in select_interims(ServerFacts(build=build), cves).needed()}


def test_catalog_reuses_versions_definitions() -> None:
    ids = [i.id for i in interim_catalog()]
    assert ids[: len(mitigation_definitions())] == [str(d["id"]) for d in mitigation_definitions()]
    assert {i.target for i in interim_catalog() if i.kind in ("inbound_rules", "outbound_csp")} == {"config"}
    assert {i.target for i in interim_catalog() if i.kind == "app_pool_stopped"} == {"host"}


def test_unpatched_2016_needs_everything() -> None:
    sel = select_interims(ServerFacts(build=VULNERABLE_2016))
    assert {i.id for i in sel.needed("config")} == {
        "CVE-2021-26855-backend-cookie",
        "CVE-2022-41040-autodiscover-powershell",
        "CVE-2026-42897-owa-csp",
    }
    assert {i.id for i in sel.needed("host")} == {
        "CVE-2021-27065-ecp-apppool",
        "CVE-2021-26858-oab-apppool",
        "CVE-2021-26857-um-services",
        "CVE-2022-41082-winrm-ports",
    }
    assert "CVE-2021-34473" in sel.without_interim  # ProxyShell: no interim mitigation exists


def test_patched_build_needs_nothing() -> None:
    sel = select_interims(ServerFacts(build=PATCHED_SE))
    assert sel.needed() == []
    assert sel.without_interim == []
    assert all(not d.needed for d in sel.decisions)


def test_march_2021_patched_2019_needs_only_later_chains() -> None:
    needed = _needed("15.2.858.5")  # 2019 CU9: ProxyLogon fixed, ProxyNotShell open
    assert "CVE-2021-26855-backend-cookie" not in needed
    assert "CVE-2022-41040-autodiscover-powershell" in needed
    assert "CVE-2021-26857-um-services" not in needed  # fixed, and 2019 has no UM anyway


def test_no_um_step_on_products_without_um() -> None:
    sel = select_interims(ServerFacts(build="15.2.792.3"))  # 2019 CU8, ProxyLogon open
    dec = {d.interim.id: d for d in sel.decisions}
    assert dec["CVE-2021-27065-ecp-apppool"].needed
    assert not dec["CVE-2021-26857-um-services"].needed
    assert "no such component" in dec["CVE-2021-26857-um-services"].reason


def test_cve_and_family_filter() -> None:
    assert _needed(VULNERABLE_2016, ("CVE-2021-26855",)) == {"CVE-2021-26855-backend-cookie"}
    assert _needed(VULNERABLE_2016, ("ProxyNotShell",)) == {
        "CVE-2022-41040-autodiscover-powershell",
        "CVE-2022-41082-winrm-ports",
    }
    # a requested CVE that the build already fixes is reported, not applied
    sel = select_interims(ServerFacts(build=PATCHED_SE), ("CVE-2022-41040",))
    assert sel.needed() == []
    # no build: only what was asked for
    assert _needed(None, ("CVE-2021-26855",)) == {"CVE-2021-26855-backend-cookie"}
    with pytest.raises(MitigateError, match="unknown CVE"):
        select_interims(ServerFacts(build=VULNERABLE_2016), ("CVE-1999-0001x",))
    with pytest.raises(MitigateError, match="give the server's build"):
        select_interims(ServerFacts())
    with pytest.raises(MitigateError, match="not usable"):
        select_interims(ServerFacts(build="banana"))


def test_cu_only_build_plans_to_be_safe() -> None:
    sel = select_interims(ServerFacts(build="15.1.2176"))
    dec = {d.interim.id: d for d in sel.decisions}
    assert dec["CVE-2021-26855-backend-cookie"].needed
    assert "unknown" in dec["CVE-2021-26855-backend-cookie"].reason


def test_read_case_from_a_scan(demo_case: tuple[Path, Path]) -> None:
    _evidence, case = demo_case
    facts = read_case(case)
    report = json.loads((case / "report.json").read_text(encoding="utf-8"))
    assert facts.build == report["server"]["build"] == "15.1.2106.2"
    assert facts.hostname == "EXCH01"
    assert "CVE-2021-26855-backend-cookie" in {i.id for i in select_interims(facts).needed()}


def test_read_case_errors(tmp_path: Path) -> None:
    with pytest.raises(MitigateError, match="cannot read"):
        read_case(tmp_path)
    (tmp_path / "report.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(MitigateError, match="not valid JSON"):
        read_case(tmp_path)
    (tmp_path / "report.json").write_text('{"schema": "other/1"}', encoding="utf-8")
    with pytest.raises(MitigateError, match="not a lekdicht report"):
        read_case(tmp_path)
