"""PowerShell scripts for the interim steps outside IIS: generated, commented, with an undo script,
never executed by lekdicht."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mitigate_support import VULNERABLE_2016

from lekdicht.mitigate.catalog import Interim, ServerFacts, select_interims
from lekdicht.mitigate.scripts import APPLY_NAME, STATE_NAME, UNDO_NAME, build_scripts, write_scripts

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def _host_steps(build: str = VULNERABLE_2016) -> list[Interim]:
    return select_interims(ServerFacts(build=build, hostname="EXCH01")).needed("host")


def test_apply_and_undo_cover_every_step() -> None:
    s = build_scripts(_host_steps(), hostname="EXCH01", build=VULNERABLE_2016, rewrite_check=True, now=NOW)
    assert [x.id for x in s.steps] == [
        "CVE-2021-27065-ecp-apppool",
        "CVE-2021-26858-oab-apppool",
        "CVE-2021-26857-um-services",
        "CVE-2022-41082-winrm-ports",
    ]
    a, u = s.apply, s.undo
    assert a.startswith(
        "<#\nlekdicht interim mitigations: apply script\nServer: EXCH01   Build: 15.1.2106.2\n"
    )
    assert "REVIEW THIS SCRIPT BEFORE RUNNING IT" in a and "lekdicht never runs it" in a
    assert UNDO_NAME in a and STATE_NAME in a and STATE_NAME in u
    assert "#Requires -RunAsAdministrator" in a and "#Requires -RunAsAdministrator" in u
    # app pools: the ExchangeMitigations.ps1 change, and its undo
    for pool in ("MSExchangeECPAppPool", "MSExchangeOABAppPool"):
        assert f"$pool = '{pool}'" in a and f"$pool = '{pool}'" in u
    assert "-Name startMode -Value 'OnDemand'" in a and "-Name autoStart -Value $false" in a
    assert "Stop-WebAppPool -Name $pool" in a and "Start-WebAppPool -Name $pool" in u
    # UM services: disabled, then restored from the recorded start type
    assert "@('MSExchangeUM', 'MSExchangeUMCR')" in a
    assert "Set-Service -Name $name -StartupType Disabled" in a
    assert "Set-Service -Name $name -StartupType $startType" in u
    # the WinRM block is opt-in and undone by name
    assert "[switch]$BlockWinRM" in a and "if ($BlockWinRM) {" in a
    assert "Remove-NetFirewallRule -DisplayName 'lekdicht CVE-2022-41082 block WinRM 5985-5986'" in u
    # URL Rewrite check only when asked
    assert "Get-WebGlobalModule -Name 'RewriteModule'" in a
    assert "Get-WebGlobalModule" not in build_scripts(_host_steps(), now=NOW).apply
    # the undo script reverses the order of the steps
    assert u.index("Remove-NetFirewallRule") < u.index("MSExchangeUM") < u.index("MSExchangeECPAppPool")
    # every non-blank line outside the header block is code or a comment
    assert all(line.isascii() for line in (a + u).splitlines())


def test_written_with_bom_and_crlf(tmp_path: Path) -> None:
    s = build_scripts(_host_steps(), now=NOW)
    apply_path, undo_path = write_scripts(s, tmp_path / "scripts")
    assert apply_path.name == APPLY_NAME and undo_path.name == UNDO_NAME
    for p in (apply_path, undo_path):
        data = p.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert data.count(b"\n") == data.count(b"\r\n") > 20
        assert not (p.stat().st_mode & 0o111)


def test_hostile_host_name_cannot_break_out_of_the_comment() -> None:
    s = build_scripts(_host_steps(), hostname="EX\n#>\nRemove-Item C:\\ -Recurse; '$(evil)'", now=NOW)
    server = next(line for line in s.apply.splitlines() if line.startswith("Server: "))
    assert server.startswith("Server: EX?")
    for bad in ("#>", "$(", ";", "'", "\\"):
        assert bad not in server
    assert s.apply.count("#>") == 1  # only the end of the header block
    assert "\nRemove-Item" not in s.apply


def test_no_steps_for_patched_builds() -> None:
    s = build_scripts(_host_steps("15.2.2562.57"), now=NOW)
    assert s.steps == []
    assert "Steps:" in s.apply


def test_lekdicht_never_runs_the_scripts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[object] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: calls.append(a))
    write_scripts(build_scripts(_host_steps(), now=NOW), tmp_path)
    assert calls == []
