"""WA1-WA4: requests for pages in Exchange's webshell drop zones (synthetic IIS lines)."""

from __future__ import annotations

from pathlib import Path

from lekdicht.catalog.kinds import ArtefactKind
from support.logsynth import iis, iis_file, scan_text


def _hits(tmp_path: Path, *lines: str) -> list[tuple[str, int | None]]:
    return [
        (f.rule_id, f.evidence.line) for f in scan_text(tmp_path, ArtefactKind.IIS_W3C, iis_file(list(lines)))
    ]


def test_wa1_unknown_owa_auth_page_200(tmp_path: Path) -> None:
    assert _hits(tmp_path, iis("POST", "/owa/auth/RedirSuiteServerProxy.aspx")) == [
        ("WA1-iis-owa-auth-unknown-page", 5)
    ]
    assert _hits(tmp_path, iis("GET", "/owa/auth/Current/themes/resources/error.aspx")) == [
        ("WA1-iis-owa-auth-unknown-page", 5)
    ]


def test_wa1_exchange_own_pages_are_allowed_case_insensitively(tmp_path: Path) -> None:
    lines = [
        iis("GET", "/owa/auth/logon.aspx", query="url=https%3a%2f%2fmail%2fowa%2f&reason=0"),
        iis("POST", "/owa/auth/RedirSuiteServiceProxy.aspx"),
        iis("GET", "/owa/auth/ErrorFE.aspx"),
        iis("GET", "/owa/auth/expiredpassword.aspx"),
        iis("GET", "/owa/auth/15.1.2106/themes/resources/logon.css"),
    ]
    assert _hits(tmp_path, *lines) == []


def test_wa2_aspnet_client_page(tmp_path: Path) -> None:
    assert _hits(tmp_path, iis("POST", "/aspnet_client/system_web/a1b2.aspx")) == [
        ("WA2-iis-aspnet-client-page", 5)
    ]
    assert _hits(tmp_path, iis("GET", "/aspnet_client/system_web/4_0_30319/WebUIValidation.js")) == []


def test_wa3_ecp_auth_and_oab(tmp_path: Path) -> None:
    lines = [
        iis("POST", "/ecp/auth/w.aspx"),
        iis("GET", "/OAB/log.aspx"),
        iis("GET", "/ecp/auth/TimeoutLogoff.aspx"),
        iis("GET", "/OAB/0f9a3c1e-3f7b-4c36-9c1b-7d5e4a3b2c10/oab.xml", user="EXAMPLE\\anna"),
    ]
    assert _hits(tmp_path, *lines) == [
        ("WA3-iis-ecp-auth-oab-unknown-page", 5),
        ("WA3-iis-ecp-auth-oab-unknown-page", 6),
    ]


def test_wa4_probes_for_missing_shells(tmp_path: Path) -> None:
    lines = [iis("GET", "/aspnet_client/shell.aspx", "404"), iis("GET", "/owa/auth/logon.aspx", "404")]
    assert _hits(tmp_path, *lines) == [("WA4-iis-webshell-probe", 5)]
