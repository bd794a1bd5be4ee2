"""Applying to and rolling back files on disk: backups, state, atomicity, idempotence, foreign edits,
refusal of malformed files (left untouched, bytes and mtime)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mitigate_support import ALL_CONFIG_IDS, fixture_bytes, place, rule_names, statuses

from lekdicht.mitigate import store
from lekdicht.mitigate.catalog import MitigateError
from lekdicht.mitigate.store import apply_file, rollback_file, state_path, verify_file

T1 = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 28, 13, 0, 0, tzinfo=UTC)


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p != path)


@pytest.mark.parametrize("name", ["web.config", "applicationHost.config", "web-weak-pns.config"])
def test_apply_apply_verify_rollback_gives_the_original_bytes(
    tmp_path: Path, name: str, variant: str
) -> None:
    cfg = place(tmp_path, name, variant)
    original = cfg.read_bytes()

    first = apply_file(cfg, ALL_CONFIG_IDS, build="15.1.2106.2", now=T1)
    assert first.written
    assert first.backup is not None and first.backup.read_bytes() == original
    assert first.backup.name == f"{name}.lekdicht-20261128T120000Z.bak"
    applied = cfg.read_bytes()
    assert applied != original
    state = json.loads(state_path(cfg).read_text(encoding="utf-8"))
    assert state["applies"][0]["sha256_after"] == store.sha256(applied)
    assert state["applies"][0]["sha256_before"] == store.sha256(original)

    os.utime(cfg, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    second = apply_file(cfg, ALL_CONFIG_IDS, now=T2)
    assert not second.written
    assert cfg.read_bytes() == applied
    assert cfg.stat().st_mtime_ns == 1_700_000_000_000_000_000
    assert not cfg.with_name(f"{name}.lekdicht-20261128T130000Z.bak").exists()
    assert len(json.loads(state_path(cfg).read_text(encoding="utf-8"))["applies"]) == 1

    verified = {s.mitigation_id: s.status for s in verify_file(cfg)}
    assert all(verified[m] == "present_strong" for m in ALL_CONFIG_IDS)

    result = rollback_file(cfg)
    assert result.restored_from == [first.backup]
    assert not result.surgical
    assert cfg.read_bytes() == original
    assert not state_path(cfg).exists()
    assert rollback_file(cfg).nothing


def test_foreign_edit_between_apply_and_rollback_is_kept(tmp_path: Path, variant: str) -> None:
    cfg = place(tmp_path, "web.config", variant)
    original = cfg.read_bytes()
    apply_file(cfg, ALL_CONFIG_IDS, now=T1)

    def foreign(data: bytes) -> bytes:
        # an administrator adds a rule at the end and changes another section
        nl = b"\r\n" if b"\r\n" in data else b"\n"
        extra = nl.join(
            [
                b'        <rule name="Admin added later" stopProcessing="true">',
                b'          <match url="^legacy/(.*)" />',
                b'          <action type="Redirect" url="/owa/{R:1}" />',
                b"        </rule>",
                b"      </rules>",
            ]
        )
        return data.replace(b"      </rules>", extra, 1).replace(b'mode="RemoteOnly"', b'mode="On"')

    cfg.write_bytes(foreign(cfg.read_bytes()))
    result = rollback_file(cfg, now=T2)
    assert result.surgical
    assert result.backup is not None and result.backup.name.endswith(".pre-rollback.bak")
    assert sorted(result.removed) == sorted(
        [
            "X-AnonResource-Backend Abort - inbound",
            "X-BEResource Abort - inbound",
            "PowerShell - inbound",
            "EOMT OWA CSP - outbound",
            "EOMT OWA SPA HTML shell - precondition",
        ]
    )
    # exactly the original plus the foreign edit
    assert cfg.read_bytes() == foreign(original)
    assert "Admin added later" in rule_names(cfg.read_bytes())
    assert not state_path(cfg).exists()


def test_surgical_rollback_puts_a_replaced_rule_back(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web-weak-pns.config")
    original = cfg.read_bytes()
    apply_file(cfg, ["CVE-2022-41040-autodiscover-powershell"], now=T1)
    cfg.write_bytes(cfg.read_bytes().replace(b'redirectType="Found"', b'redirectType="Permanent"'))
    result = rollback_file(cfg, now=T2)
    assert result.surgical and result.restored_rules
    assert cfg.read_bytes() == original.replace(b'redirectType="Found"', b'redirectType="Permanent"')


def test_two_applies_roll_back_in_order(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web-no-rewrite.config")
    original = cfg.read_bytes()
    first = apply_file(cfg, ["CVE-2021-26855-backend-cookie"], now=T1)
    after_first = cfg.read_bytes()
    second = apply_file(cfg, ["CVE-2022-41040-autodiscover-powershell"], now=T2)
    assert first.written and second.written
    assert second.backup is not None and second.backup.read_bytes() == after_first
    result = rollback_file(cfg)
    assert result.restored_from == [second.backup, first.backup]
    assert cfg.read_bytes() == original


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n    <rewrite>\n</configuration>\n',
        b"\x00\x01garbage",
        b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY e "x">]><configuration>&e;</configuration>',
    ],
    ids=["malformed", "binary", "dtd"],
)
def test_malformed_file_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    cfg = tmp_path / "web.config"
    cfg.write_bytes(content)
    os.utime(cfg, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = os.stat(cfg)
    with pytest.raises(MitigateError, match="refusing to edit"):
        apply_file(cfg, ALL_CONFIG_IDS, now=T1)
    after = os.stat(cfg)
    assert cfg.read_bytes() == content
    assert after.st_mtime_ns == before.st_mtime_ns
    assert _siblings(cfg) == []


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web.config")
    original = cfg.read_bytes()
    result = apply_file(cfg, ALL_CONFIG_IDS, dry_run=True, now=T1)
    assert not result.written and result.plan.changed
    assert '+        <rule name="PowerShell - inbound"' in result.plan.diff()
    assert cfg.read_bytes() == original
    assert _siblings(cfg) == []


def test_problem_refuses_apply(tmp_path: Path) -> None:
    cfg = place(tmp_path, "applicationHost.config")
    with pytest.raises(MitigateError, match="Contoso"):
        apply_file(cfg, ALL_CONFIG_IDS, site="Contoso", now=T1)
    assert cfg.read_bytes() == fixture_bytes("applicationHost.config")
    assert _siblings(cfg) == []


def test_failed_write_leaves_original_and_no_state_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = place(tmp_path, "web.config")
    original = cfg.read_bytes()
    real_replace = os.replace

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == cfg:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        apply_file(cfg, ALL_CONFIG_IDS, now=T1)
    monkeypatch.undo()
    assert cfg.read_bytes() == original
    state = json.loads(state_path(cfg).read_text(encoding="utf-8"))
    assert state["applies"] == []
    assert not [p for p in tmp_path.iterdir() if "lekdicht-tmp" in p.name]
    # a later rollback has nothing to undo, apply works normally
    assert rollback_file(cfg).nothing or cfg.read_bytes() == original
    assert apply_file(cfg, ALL_CONFIG_IDS, now=T2).written


def test_validation_failure_restores_nothing_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = place(tmp_path, "web.config")
    original = cfg.read_bytes()

    def broken(plan: object) -> object:
        def validate(data: bytes) -> None:
            raise MitigateError("checker says no")

        return validate

    monkeypatch.setattr(store, "_validator", broken)
    with pytest.raises(MitigateError, match="checker says no"):
        apply_file(cfg, ALL_CONFIG_IDS, now=T1)
    assert cfg.read_bytes() == original


def test_mode_is_preserved(tmp_path: Path) -> None:
    cfg = place(tmp_path, "web.config")
    cfg.chmod(0o640)
    apply_file(cfg, ALL_CONFIG_IDS, now=T1)
    assert (cfg.stat().st_mode & 0o777) == 0o640
    assert statuses(cfg.read_bytes())["CVE-2021-26855-backend-cookie"] == "present_strong"
