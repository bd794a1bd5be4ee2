"""The click commands: plan (diff), apply (--dry-run, idempotent), verify (exit codes), rollback,
--case from a real scan report, and quarantine end to end on the demo evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mitigate_support import PATCHED_SE, VULNERABLE_2016, fixture_bytes, place

from lekdicht.mitigate import mitigate_group, quarantine_command
from lekdicht.mitigate.scripts import APPLY_NAME, UNDO_NAME


def run(*args: str) -> Result:
    return CliRunner().invoke(mitigate_group, list(args))


def test_plan_shows_a_unified_diff_and_caveats(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web.config")
    res = run("plan", "--config", str(cfg), "--build", VULNERABLE_2016)
    assert res.exit_code == 0, res.output
    out = res.output
    assert f"--- {cfg}" in out and f"+++ {cfg} (after lekdicht mitigate apply)" in out
    assert "@@ " in out
    assert '+        <rule name="X-BEResource Abort - inbound" stopProcessing="true">' in out
    assert "URL Rewrite module" in out
    assert "--scripts DIR" in out
    assert cfg.read_bytes() == fixture_bytes("web.config")


def test_plan_json(tmp_path: Path) -> None:
    cfg = place(tmp_path, "applicationHost.config")
    res = run("plan", "--config", str(cfg), "--build", VULNERABLE_2016, "--cve", "ProxyLogon", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["schema"] == "lekdicht.mitigate-plan/1"
    assert {c["name"] for c in doc["changes"]} == {
        "X-AnonResource-Backend Abort - inbound",
        "X-BEResource Abort - inbound",
    }
    assert doc["diff"].startswith("---")
    needed = {d["id"] for d in doc["selection"]["decisions"] if d["needed"]}
    assert "CVE-2021-27065-ecp-apppool" in needed and "CVE-2022-41040-autodiscover-powershell" not in needed


def test_plan_for_patched_build_has_nothing_to_do(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web.config")
    res = run("plan", "--config", str(cfg), "--build", PATCHED_SE)
    assert res.exit_code == 0
    assert "Nothing to do" in res.output
    res = run("apply", "--config", str(cfg), "--build", PATCHED_SE)
    assert res.exit_code == 0
    assert cfg.read_bytes() == fixture_bytes("web.config")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["web.config"]


def test_plan_writes_scripts_with_undo(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web.config")
    res = run("plan", "--config", str(cfg), "--build", VULNERABLE_2016, "--scripts", str(tmp_path / "ps"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "ps" / APPLY_NAME).exists() and (tmp_path / "ps" / UNDO_NAME).exists()


def test_apply_dry_run_apply_again_verify_rollback(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web.config", "crlf_bom")
    original = cfg.read_bytes()
    res = run("apply", "--config", str(cfg), "--build", VULNERABLE_2016, "--dry-run")
    assert res.exit_code == 0 and res.output.startswith("---")
    assert cfg.read_bytes() == original

    res = run("verify", "--config", str(cfg), "--build", VULNERABLE_2016)
    assert res.exit_code == 1
    assert "MISSING" in res.output

    res = run("apply", "--config", str(cfg), "--build", VULNERABLE_2016)
    assert res.exit_code == 0, res.output
    assert "Changed" in res.output and "backup of the original" in res.output
    applied = cfg.read_bytes()

    res = run("apply", "--config", str(cfg), "--build", VULNERABLE_2016)
    assert res.exit_code == 0 and "Nothing to change" in res.output
    assert cfg.read_bytes() == applied

    res = run("verify", "--config", str(cfg), "--build", VULNERABLE_2016, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["ok"] and {s["status"] for s in doc["statuses"]} == {"present_strong"}

    res = run("rollback", "--config", str(cfg))
    assert res.exit_code == 0 and "byte for byte" in res.output
    assert cfg.read_bytes() == original


def test_verify_reports_weak(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web-weak-pns.config")
    res = run("verify", "--config", str(cfg))
    assert res.exit_code == 1
    assert "PRESENT BUT WEAK" in res.output and "known earlier variant" in res.output


def test_malformed_config_exit_2_untouched(tmp_path: Path) -> None:
    cfg = tmp_path / "web.config"
    cfg.write_bytes(b"<configuration><system.webServer></configuration>")
    for cmd in ("plan", "apply"):
        res = run(cmd, "--config", str(cfg), "--build", VULNERABLE_2016)
        assert res.exit_code == 2
        assert "refusing to edit" in res.output
    res = run("verify", "--config", str(cfg))
    assert res.exit_code == 2
    assert cfg.read_bytes() == b"<configuration><system.webServer></configuration>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["web.config"]


def test_usage_errors(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web.config")
    assert run("plan", "--config", str(cfg)).exit_code == 2
    assert run("plan", "--config", str(cfg), "--build", "nonsense").exit_code == 2
    assert run("plan", "--config", str(cfg), "--build", VULNERABLE_2016, "--cve", "CVE-0").exit_code == 2
    assert run("rollback", "--config", str(cfg)).exit_code == 0


def test_case_option_reads_the_scan_report(tmp_path: Path, demo_case: tuple[Path, Path]) -> None:
    _evidence, case = demo_case
    cfg = place(tmp_path, "applicationHost.config")
    res = run("plan", "--config", str(cfg), "--case", str(case))
    assert res.exit_code == 0, res.output
    assert "build 15.1.2106.2" in res.output and "report.json" in res.output and "EXCH01" in res.output
    res = run("apply", "--config", str(cfg), "--case", str(case), "--cve", "CVE-2021-26855")
    assert res.exit_code == 0, res.output
    res = run("verify", "--config", str(cfg), "--case", str(case), "--cve", "CVE-2021-26855")
    assert res.exit_code == 0, res.output
    assert "present and strong" in res.output


def test_quarantine_demo_case(tmp_path: Path, demo_case: tuple[Path, Path]) -> None:
    evidence, case = demo_case
    copy = tmp_path / "evidence"
    shutil.copytree(evidence, copy)
    shell = copy / "C" / "inetpub" / "wwwroot" / "aspnet_client" / "discover.aspx"
    assert shell.exists()
    archive = tmp_path / "quarantine"
    runner = CliRunner()
    res = runner.invoke(
        quarantine_command, ["--case", str(case), "--evidence", str(copy), "--out", str(archive)]
    )
    assert res.exit_code == 0, res.output
    assert "archived" in res.output and shell.exists()
    res = runner.invoke(
        quarantine_command, ["--case", str(case), "--evidence", str(copy), "--out", str(archive), "--remove"]
    )
    assert res.exit_code == 0, res.output
    assert not shell.exists()
    manifest = json.loads((archive / "manifest.json").read_text(encoding="utf-8"))
    [entry] = manifest["entries"]
    assert entry["original_path"] == "C/inetpub/wwwroot/aspnet_client/discover.aspx"
    assert entry["removed"] is True
    # the scanned copy of the demo evidence itself was not touched
    assert (evidence / "C" / "inetpub" / "wwwroot" / "aspnet_client" / "discover.aspx").exists()


def test_quarantine_refuses_archive_inside_evidence(tmp_path: Path, demo_case: tuple[Path, Path]) -> None:
    evidence, case = demo_case
    res = CliRunner().invoke(
        quarantine_command, ["--case", str(case), "--evidence", str(evidence), "--out", str(evidence / "q")]
    )
    assert res.exit_code == 2
    assert not (evidence / "q").exists()


@pytest.mark.parametrize("report", ["{}", "not json"])
def test_quarantine_bad_report(tmp_path: Path, report: str) -> None:
    (tmp_path / "report.json").write_text(report, encoding="utf-8")
    res = CliRunner().invoke(quarantine_command, ["--case", str(tmp_path), "--out", str(tmp_path / "q")])
    assert res.exit_code == 2
