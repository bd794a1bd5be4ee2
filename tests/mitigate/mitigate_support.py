"""Helpers for the mitigate tests. The IIS configuration files under fixtures/ are synthetic,
written by us (each says so at its top); the tests also derive CRLF and BOM variants from them."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REPO = HERE.parents[1]
DEMO_EVIDENCE = REPO / "demo" / "evidence"

BOM = b"\xef\xbb\xbf"
VULNERABLE_2016 = "15.1.2106.2"
"""Exchange 2016 CU18 without the March 2021 SU: vulnerable to every chain lekdicht mitigates."""
PATCHED_SE = "15.2.2562.57"
"""Exchange SE RTM Nov 2026 SU: no CVE of the table left open."""

ALL_CONFIG_IDS = [
    "CVE-2021-26855-backend-cookie",
    "CVE-2022-41040-autodiscover-powershell",
    "CVE-2026-42897-owa-csp",
]


def fixture_bytes(name: str, variant: str = "lf") -> bytes:
    """A fixture as stored (``lf``) or converted to Windows style (``crlf_bom``)."""
    data = (FIXTURES / name).read_bytes()
    if variant == "crlf_bom":
        return BOM + data.replace(b"\n", b"\r\n")
    return data


def place(tmp_path: Path, name: str, variant: str = "lf", target: str | None = None) -> Path:
    """Write a fixture into tmp_path (under its own name or ``target``) and return the path."""
    dest = tmp_path / (target or name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(fixture_bytes(name, variant))
    return dest


def statuses(data: bytes, source: str = "web.config") -> dict[str, str]:
    """Mitigation id → status, as versions' checker sees ``data``."""
    from lekdicht.versions.mitigations import check_mitigations

    return {s.mitigation_id: s.status for s in check_mitigations(data, source)}


def rule_names(data: bytes) -> list[str]:
    """Names of every rewrite rule and precondition, in document order."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(data)
    return [e.get("name", "") for e in root.iter() if e.tag in ("rule", "preCondition")]
