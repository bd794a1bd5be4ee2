"""PowerShell scripts for the interim steps that are not IIS configuration files.

Unified Messaging services (CVE-2021-26857), the ECP and OAB application pools (CVE-2021-27065,
CVE-2021-26858) and, on request, the Remote PowerShell ports (CVE-2022-41082) are changed on the
live server with the same cmdlets Microsoft's ExchangeMitigations.ps1 used. lekdicht only writes
the scripts, commented, for the administrator to read and run; it never executes them. The apply
script records the current settings in a state file first, and the undo script puts them back.

Scripts are ASCII with CRLF line endings and a UTF-8 byte-order mark, so Windows PowerShell 5.1
reads them correctly. Text that comes from evidence (the host name) is reduced to safe characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lekdicht import __version__
from lekdicht.mitigate.catalog import Interim

__all__ = ["APPLY_NAME", "STATE_NAME", "UNDO_NAME", "InterimScripts", "build_scripts", "write_scripts"]

APPLY_NAME = "lekdicht-interim-steps.ps1"
UNDO_NAME = "lekdicht-interim-steps-undo.ps1"
STATE_NAME = "lekdicht-interim-state.json"
HOST_KINDS = ("app_pool_stopped", "services_disabled", "firewall_block")


def _safe(text: str | None) -> str:
    """Text for a comment or a single-quoted PowerShell string: letters, digits and ``._:- /``."""
    return re.sub(r"[^A-Za-z0-9._:\- /]", "?", text or "")[:120]


def _ps_list(values: Sequence[object]) -> str:
    return "@(" + ", ".join(f"'{_safe(str(v))}'" for v in values) + ")"


@dataclass(slots=True)
class InterimScripts:
    """The generated apply and undo scripts."""

    apply: str
    undo: str
    steps: list[Interim]

    def encoded(self, text: str) -> bytes:
        """Bytes as written to disk: UTF-8 BOM, CRLF."""
        return b"\xef\xbb\xbf" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii", "replace")


def _header(
    kind: str, steps: Sequence[Interim], hostname: str | None, build: str | None, when: str
) -> list[str]:
    lines = [
        "<#",
        f"lekdicht interim mitigations: {kind}",
        f"Server: {_safe(hostname) or 'unknown'}   Build: {_safe(build) or 'unknown'}",
        f"Generated {when} by lekdicht {__version__}.",
        "",
        "REVIEW THIS SCRIPT BEFORE RUNNING IT. lekdicht never runs it for you.",
        "Run it on the Exchange server in an elevated Windows PowerShell (Run as administrator),",
        "at the console or over RDP (not over PowerShell remoting).",
    ]
    if kind.startswith("apply"):
        lines += [
            f"Undo everything with {UNDO_NAME} from the same folder.",
            "",
            "These are interim measures. They reduce exposure until the security update is installed;",
            "Microsoft states that every interim mitigation may be bypassed by new attack variants.",
            "Install the update as soon as you can, then run the undo script.",
        ]
    else:
        lines += [
            f"Restores the settings that {APPLY_NAME} recorded in {STATE_NAME} before it changed them",
            "(or Exchange's defaults when that file is missing).",
            "Run it once the security update is installed.",
        ]
    lines += ["", "Steps:"]
    for n, s in enumerate(steps, 1):
        lines.append(f"  {n}. {', '.join(s.cves)}: {s.title}")
        if s.note:
            lines += _wrap(_effect(s.note), "     ")
    lines += ["#>", "#Requires -RunAsAdministrator", "[CmdletBinding()]"]
    return lines


def _wrap(text: str, indent: str, width: int = 96) -> list[str]:
    out: list[str] = []
    line = ""
    for word in _safe_comment(text).split():
        if line and len(line) + 1 + len(word) > width:
            out.append(indent + line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        out.append(indent + line)
    return out


def _effect(note: str) -> str:
    return note if note.lower().startswith("side effect") else f"Side effect: {note}"


def _safe_comment(text: str) -> str:
    """Comment text: printable ASCII without the block-comment terminator."""
    return re.sub(r"[^\x20-\x7e]", "?", text).replace("#>", "# >")


def _services(steps: Sequence[Interim]) -> list[str]:
    return [str(x) for s in steps if s.kind == "services_disabled" for x in s.definition["services"]]


def _pools(steps: Sequence[Interim]) -> list[str]:
    return [str(s.definition["app_pool"]) for s in steps if s.kind == "app_pool_stopped"]


def _apply_body(steps: Sequence[Interim], rewrite_check: bool) -> list[str]:
    fw = [s for s in steps if s.kind == "firewall_block"]
    switch = str(fw[0].definition.get("optional_switch", "BlockWinRM")) if fw else ""
    lines = ["param("]
    if switch:
        lines.append(
            "    # Also block inbound TCP "
            + ", ".join(str(p) for p in fw[0].definition["ports"])
            + " (see the step below)."
        )
        lines.append(f"    [switch]${switch}")
    lines += [
        ")",
        "$ErrorActionPreference = 'Stop'",
        f"$StateFile = Join-Path $PSScriptRoot '{STATE_NAME}'",
        f"$Services = {_ps_list(_services(steps))}",
        f"$AppPools = {_ps_list(_pools(steps))}",
        "",
    ]
    if rewrite_check or _pools(steps):
        lines += ["Import-Module WebAdministration", ""]
    if rewrite_check:
        lines += [
            "# --- Check: the rules written by 'lekdicht mitigate apply' need the IIS URL Rewrite module",
            "# (2.1 on IIS 10, 2.0 on IIS 8.5 and older). Without it IIS cannot read the rules.",
            "if (-not (Get-WebGlobalModule -Name 'RewriteModule' -ErrorAction SilentlyContinue)) {",
            "    Write-Warning 'IIS URL Rewrite is NOT installed: install it before applying the rules.'",
            "} else {",
            "    Write-Host 'IIS URL Rewrite module is installed.'",
            "}",
            "",
        ]
    lines += [
        "# --- Record the current settings once, before anything changes, for the undo script.",
        "if (Test-Path -LiteralPath $StateFile) {",
        '    Write-Host "$StateFile exists: keeping the settings it recorded on the first run."',
        "} else {",
        "    $state = [ordered]@{",
        "        recordedUtc = (Get-Date).ToUniversalTime().ToString('o')",
        "        services = @{}",
        "        appPools = @{}",
        "    }",
        "    foreach ($name in $Services) {",
        "        $svc = Get-Service -Name $name -ErrorAction SilentlyContinue",
        "        if ($svc) { $state.services[$name] = [string]$svc.StartType }",
        "    }",
        "    foreach ($pool in $AppPools) {",
        '        $p = Get-Item -LiteralPath "IIS:\\AppPools\\$pool" -ErrorAction SilentlyContinue',
        "        if ($p) {",
        "            $state.appPools[$pool] = @{",
        "                autoStart = [string]$p.autoStart",
        "                startMode = [string]$p.startMode",
        "            }",
        "        }",
        "    }",
        "    $state | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $StateFile -Encoding UTF8",
        "}",
        "",
    ]
    for n, s in enumerate(steps, 1):
        lines.append(f"# --- Step {n}: {', '.join(s.cves)}: {_safe_comment(s.title)}")
        lines += _wrap(f"Source: {s.source}", "# ")
        lines += _wrap(_effect(s.note), "# ")
        if s.kind == "services_disabled":
            lines += [
                f"foreach ($name in {_ps_list(s.definition['services'])}) {{",
                "    if (Get-Service -Name $name -ErrorAction SilentlyContinue) {",
                "        Stop-Service -Name $name -Force",
                "        Set-Service -Name $name -StartupType Disabled",
                '        Write-Host "$name stopped and disabled"',
                "    } else {",
                '        Write-Host "$name is not installed on this server: nothing to do"',
                "    }",
                "}",
            ]
        elif s.kind == "app_pool_stopped":
            pool = _safe(str(s.definition["app_pool"]))
            lines += [
                "# As ExchangeMitigations.ps1: startMode OnDemand, autoStart false, then stop the pool.",
                f"$pool = '{pool}'",
                'if (Test-Path -LiteralPath "IIS:\\AppPools\\$pool") {',
                '    $item = "IIS:\\AppPools\\$pool"',
                "    Set-ItemProperty -LiteralPath $item -Name startMode -Value 'OnDemand'",
                "    Set-ItemProperty -LiteralPath $item -Name autoStart -Value $false",
                "    if ((Get-WebAppPoolState -Name $pool).Value -ne 'Stopped') {",
                "        Stop-WebAppPool -Name $pool",
                "    }",
                '    Write-Host "$pool stopped; it will not start again by itself"',
                "} else {",
                '    Write-Host "application pool $pool not found: nothing to do"',
                "}",
            ]
        elif s.kind == "firewall_block":
            ports = ",".join(str(int(p)) for p in s.definition["ports"])
            rule = _safe(str(s.definition["firewall_rule"]))
            lines += [
                f"# Optional: only with -{switch}. Do not run this step over a remote PowerShell session.",
                f"if (${switch}) {{",
                f"    $rule = '{rule}'",
                "    if (-not (Get-NetFirewallRule -DisplayName $rule -ErrorAction SilentlyContinue)) {",
                "        New-NetFirewallRule -DisplayName $rule -Direction Inbound -Protocol TCP `",
                f"            -LocalPort {ports} -Action Block -Profile Any | Out-Null",
                "    }",
                f"    Write-Host 'inbound TCP {ports} blocked (Windows Firewall rule: {rule})'",
                "} else {",
                f"    Write-Host 'skipped: blocking TCP {ports} (run with -{switch} to include it)'",
                "}",
            ]
        lines.append("")
    lines.append("Write-Host 'Done. Keep this folder: the undo script needs the state file.'")
    return lines


def _undo_body(steps: Sequence[Interim]) -> list[str]:
    lines = [
        "param()",
        "$ErrorActionPreference = 'Stop'",
        f"$StateFile = Join-Path $PSScriptRoot '{STATE_NAME}'",
        "$state = $null",
        "if (Test-Path -LiteralPath $StateFile) {",
        "    $state = Get-Content -LiteralPath $StateFile -Raw | ConvertFrom-Json",
        "} else {",
        '    Write-Warning "$StateFile not found: restoring defaults instead of recorded settings."',
        "}",
        "",
    ]
    if _pools(steps):
        lines += ["Import-Module WebAdministration", ""]
    for n, s in enumerate(reversed(list(steps)), 1):
        lines.append(f"# --- Undo {n}: {', '.join(s.cves)}: {_safe_comment(s.title)}")
        if s.kind == "services_disabled":
            lines += [
                f"foreach ($name in {_ps_list(s.definition['services'])}) {{",
                "    if (-not (Get-Service -Name $name -ErrorAction SilentlyContinue)) { continue }",
                "    $startType = 'Automatic'",
                "    if ($state -and $state.services.$name) { $startType = [string]$state.services.$name }",
                "    if ($startType -eq 'AutomaticDelayedStart') { $startType = 'Automatic' }",
                "    Set-Service -Name $name -StartupType $startType",
                "    if ($startType -ne 'Disabled') { Start-Service -Name $name }",
                '    Write-Host "$name start type $startType"',
                "}",
            ]
        elif s.kind == "app_pool_stopped":
            pool = _safe(str(s.definition["app_pool"]))
            lines += [
                f"$pool = '{pool}'",
                'if (Test-Path -LiteralPath "IIS:\\AppPools\\$pool") {',
                "    $autoStart = $true",
                "    $startMode = $null",
                "    if ($state -and $state.appPools.$pool) {",
                "        $autoStart = ([string]$state.appPools.$pool.autoStart -ne 'False')",
                "        $startMode = [string]$state.appPools.$pool.startMode",
                "    }",
                '    $item = "IIS:\\AppPools\\$pool"',
                "    Set-ItemProperty -LiteralPath $item -Name autoStart -Value $autoStart",
                "    if ($startMode) {",
                "        Set-ItemProperty -LiteralPath $item -Name startMode -Value $startMode",
                "    }",
                "    if ((Get-WebAppPoolState -Name $pool).Value -ne 'Started') {",
                "        Start-WebAppPool -Name $pool",
                "    }",
                '    Write-Host "$pool started again"',
                "}",
            ]
        elif s.kind == "firewall_block":
            rule = _safe(str(s.definition["firewall_rule"]))
            lines += [
                f"Remove-NetFirewallRule -DisplayName '{rule}' -ErrorAction SilentlyContinue",
                "Write-Host 'Windows Firewall rule removed (if it was there)'",
            ]
        lines.append("")
    lines += [
        "if (Test-Path -LiteralPath $StateFile) { Remove-Item -LiteralPath $StateFile }",
        "Write-Host 'Undo finished.'",
    ]
    return lines


def build_scripts(
    steps: Sequence[Interim],
    *,
    hostname: str | None = None,
    build: str | None = None,
    rewrite_check: bool = False,
    now: datetime | None = None,
) -> InterimScripts:
    """Apply and undo scripts for the given host steps (other kinds are ignored)."""
    host = [s for s in steps if s.kind in HOST_KINDS]
    when = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    apply = _header("apply script", host, hostname, build, when) + _apply_body(host, rewrite_check)
    undo = _header("undo script", host, hostname, build, when) + _undo_body(host)
    return InterimScripts(apply="\n".join(apply) + "\n", undo="\n".join(undo) + "\n", steps=host)


def write_scripts(scripts: InterimScripts, folder: Path) -> tuple[Path, Path]:
    """Write both scripts into ``folder`` (created if needed); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    apply_path = folder / APPLY_NAME
    undo_path = folder / UNDO_NAME
    apply_path.write_bytes(scripts.encoded(scripts.apply))
    undo_path.write_bytes(scripts.encoded(scripts.undo))
    return apply_path, undo_path
