"""Quarantine of webshells found by a scan: archive with manifest before anything is removed,
removal only of files whose hash still matches, and no file lost when a run is interrupted.
The webshell "contents" below are short synthetic strings, not real malware."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from lekdicht.mitigate import quarantine as q
from lekdicht.mitigate.quarantine import (
    QuarantineTarget,
    quarantine_files,
    select_targets,
    verify_archive_member,
)

FILES = {
    "C/inetpub/wwwroot/aspnet_client/system_web/shell.aspx": b'<%@ Page Language="Jscript"%><% eval("x") %>',
    "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/errorEE.aspx": b"<% synthetic 2 %>",
    "C/ProgramData/COM/test.aspx": b"<% synthetic 3 %>",
    "C/Windows/Temp/lsass.dmp": b"MDMP synthetic dump",
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _finding(
    rule: str, path: str, sha: str | None, verdict: str = "exploited", kind: str = "file.web_content"
) -> dict[str, Any]:
    ev: dict[str, Any] = {"path": path}
    if sha is not None:
        ev["sha256"] = sha
    return {"rule_id": rule, "verdict": verdict, "artefact_kind": kind, "evidence": ev}


def _setup(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    root = tmp_path / "evidence"
    findings = []
    for rel, data in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        rule = "HX1-lsass-dump" if rel.endswith(".dmp") else "WS3-yara-test"
        findings.append(
            _finding(
                rule, rel, _sha(data), kind="file.binary" if rel.endswith(".dmp") else "file.web_content"
            )
        )
    first = next(iter(FILES))
    findings += [
        _finding("WS1-aspnet-client-file", first, _sha(FILES[first]), verdict="suspicious"),
        # not selected: a log finding, a config finding, an info heuristic, no hash
        _finding("HX1-lsass-dump-comsvcs", "collected-events/x.jsonl", "a" * 64, kind="windows.events_jsonl"),
        _finding(
            "WS6-iis-native-module-unexpected",
            "C/Windows/System32/inetsrv/config/applicationHost.config",
            "b" * 64,
            kind="config.iis",
        ),
        _finding("WS4-heuristic-keywords", "C/inetpub/wwwroot/default.aspx", "c" * 64, verdict="info"),
        _finding("WS2-owa-auth-unexpected-file", "C/x/nohash.aspx", None),
        _finding("PL1-ssrf-backendcookie", "C/logs/HttpProxy.log", "d" * 64, kind="exchange.httpproxy"),
    ]
    return root, {"schema": "lekdicht.report/1", "findings": findings}


def test_select_targets_only_attacker_files(tmp_path: Path) -> None:
    _root, report = _setup(tmp_path)
    targets = select_targets(report)
    assert [t.path for t in targets] == sorted(FILES)
    shell = next(t for t in targets if t.path.endswith("shell.aspx"))
    assert shell.rule_ids == ["WS3-yara-test", "WS1-aspnet-client-file"]
    assert shell.verdict == "exploited"


def _assert_nothing_lost(root: Path, archive: Path) -> None:
    for rel, data in FILES.items():
        src = root / rel
        in_place = src.exists() and src.read_bytes() == data
        archived = verify_archive_member(archive / "files" / f"{_sha(data)}.zip", _sha(data))
        assert in_place or archived, f"{rel} lost"


def test_happy_path_archives_without_removing(tmp_path: Path) -> None:
    root, report = _setup(tmp_path)
    archive = tmp_path / "quarantine"
    result = quarantine_files(select_targets(report), root, archive, case="case-1")
    assert result.complete
    assert {i.status for i in result.items} == {"archived"}
    for rel, data in FILES.items():
        assert (root / rel).read_bytes() == data
        zpath = archive / "files" / f"{_sha(data)}.zip"
        with zipfile.ZipFile(zpath) as zf:
            names = zf.namelist()
            assert names == [f"{_sha(data)}.quarantined", "metadata.json"]
            info = zf.getinfo(names[0])
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert not (info.external_attr >> 16) & 0o111
            assert zf.read(names[0]) == data
            assert json.loads(zf.read("metadata.json"))["original_path"] == rel
        assert not zpath.stat().st_mode & 0o111
    manifest = json.loads((archive / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema"] == "lekdicht.quarantine/1"
    assert manifest["case"] == "case-1"
    assert [e["original_path"] for e in manifest["entries"]] == sorted(FILES)
    e = manifest["entries"][0]
    for key in ("sha256", "size", "mtime", "ctime", "atime", "rule_ids", "archive", "archived_at"):
        assert e[key]
    assert e["removed"] is False and e["matches_finding"] is True
    # nothing else in the archive folder: no temporary files left
    assert sorted(p.name for p in archive.iterdir()) == ["files", "manifest.json"]


def test_remove_only_files_whose_hash_still_matches(tmp_path: Path) -> None:
    root, report = _setup(tmp_path)
    changed_rel = "C/ProgramData/COM/test.aspx"
    (root / changed_rel).write_bytes(b"<% changed since the scan %>")
    archive = tmp_path / "quarantine"
    result = quarantine_files(select_targets(report), root, archive, remove=True)
    status = {i.path: i.status for i in result.items}
    assert status[changed_rel] == "kept_hash_changed"
    assert (root / changed_rel).read_bytes() == b"<% changed since the scan %>"
    assert not result.complete
    for rel in FILES:
        if rel != changed_rel:
            assert status[rel] == "removed"
            assert not (root / rel).exists()
    manifest = {e["original_path"]: e for e in json.loads((archive / "manifest.json").read_text())["entries"]}
    assert manifest[changed_rel]["matches_finding"] is False and manifest[changed_rel]["removed"] is False
    assert verify_archive_member(archive / manifest[changed_rel]["archive"], manifest[changed_rel]["sha256"])
    assert all(manifest[r]["removed"] for r in FILES if r != changed_rel)


def _count_checkpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    root, report = _setup(tmp_path / "count")
    calls = 0

    def count(stage: str) -> None:
        nonlocal calls
        calls += 1

    monkeypatch.setattr(q, "_checkpoint", count)
    quarantine_files(select_targets(report), root, tmp_path / "count" / "q", remove=True)
    return calls


CHECKPOINTS = 6 * len(FILES)


def test_checkpoint_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _count_checkpoints(tmp_path, monkeypatch) == CHECKPOINTS


class Interrupted(BaseException):
    """Stands in for Ctrl-C or a killed process."""


@pytest.mark.parametrize("stop_at", range(CHECKPOINTS))
def test_interrupted_run_loses_nothing_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_at: int
) -> None:
    root, report = _setup(tmp_path)
    archive = tmp_path / "quarantine"
    seen = 0

    def interrupt(stage: str) -> None:
        nonlocal seen
        if seen == stop_at:
            raise Interrupted(stage)
        seen += 1

    monkeypatch.setattr(q, "_checkpoint", interrupt)
    with pytest.raises(Interrupted):
        quarantine_files(select_targets(report), root, archive, remove=True)
    _assert_nothing_lost(root, archive)
    monkeypatch.setattr(q, "_checkpoint", lambda stage: None)
    result = quarantine_files(select_targets(report), root, archive, remove=True)
    assert result.complete, [(i.path, i.status, i.message) for i in result.items]
    assert {i.status for i in result.items} == {"removed"}
    _assert_nothing_lost(root, archive)
    manifest = json.loads((archive / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["entries"]) == len(FILES)
    assert all(e["removed"] for e in manifest["entries"])
    assert not [p for p in archive.rglob("*") if ".tmp-" in p.name]


def test_crash_in_os_replace_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, report = _setup(tmp_path)
    archive = tmp_path / "quarantine"
    real = os.replace
    calls = 0

    def flaky(src: Any, dst: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError("I/O error")
        real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        quarantine_files(select_targets(report), root, archive, remove=True)
    _assert_nothing_lost(root, archive)


def test_refuses_paths_outside_the_root_and_links(tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    (root / "C").mkdir(parents=True)
    outside = tmp_path / "outside.aspx"
    outside.write_bytes(b"x")
    (root / "C" / "link.aspx").symlink_to(outside)
    (root / "C" / "dirlink").symlink_to(tmp_path)
    targets = [
        QuarantineTarget("../outside.aspx", _sha(b"x"), ["WS1"], "exploited"),
        QuarantineTarget("C/link.aspx", _sha(b"x"), ["WS1"], "exploited"),
        QuarantineTarget("C/dirlink/outside.aspx", _sha(b"x"), ["WS1"], "exploited"),
        QuarantineTarget("/etc/passwd", _sha(b"x"), ["WS1"], "exploited"),
        QuarantineTarget("C/missing.aspx", _sha(b"x"), ["WS1"], "exploited"),
    ]
    result = quarantine_files(targets, root, tmp_path / "q", remove=True)
    assert [i.status for i in result.items] == ["refused", "refused", "refused", "refused", "missing"]
    assert outside.read_bytes() == b"x"
    assert (root / "C" / "link.aspx").is_symlink()
