"""Evidence opening: folders in place, archives expanded safely, links never followed out."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from lekdicht.evidence import source as src
from lekdicht.evidence.source import EvidenceError, open_evidence


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.log").write_text("hello")
    (root / "top.txt").write_text("top")


def test_folder_lists_files_sorted_with_posix_paths(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    _tree(ev)
    source = open_evidence(ev, tmp_path / "out")
    files = list(source.files())
    assert [f.relpath for f in files] == ["a/b/x.log", "top.txt"]
    assert files[0].size == 5
    assert source.kind == "folder" and source.root == ev


def test_symlink_out_of_evidence_is_not_followed_and_reported(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    _tree(ev)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    os.symlink(secret, ev / "link.txt")
    os.symlink(tmp_path, ev / "dirlink")
    source = open_evidence(ev, tmp_path / "out")
    rels = [f.relpath for f in source.files()]
    assert "link.txt" not in rels
    reasons = {s.relpath: s.reason for s in source.skipped}
    assert "outside" in reasons["link.txt"]
    assert "dirlink" in reasons


def test_missing_evidence_and_plain_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="not found"):
        open_evidence(tmp_path / "nope", tmp_path / "out")
    single = tmp_path / "one.log"
    single.write_text("x")
    with pytest.raises(EvidenceError, match="not a zip or tar"):
        open_evidence(single, tmp_path / "out")


def test_zip_expands_into_case_folder_and_refuses_traversal(tmp_path: Path) -> None:
    arc = tmp_path / "ev.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("Logging/HttpProxy/Ecp/a.LOG", "data")
        zf.writestr("../../evil.txt", "escape")
        zf.writestr("/abs/evil2.txt", "escape")
        zf.writestr("C:/evil3.txt", "escape")
    out = tmp_path / "case"
    source = open_evidence(arc, out)
    try:
        assert [f.relpath for f in source.files()] == ["Logging/HttpProxy/Ecp/a.LOG"]
        assert source.root.is_relative_to(out)
        skipped = {s.relpath for s in source.skipped}
        assert {"../../evil.txt", "/abs/evil2.txt", "C:/evil3.txt"} <= skipped
        assert not (tmp_path / "evil.txt").exists()
    finally:
        source.close()
    assert not source.root.exists()


def test_tar_with_symlink_member_is_not_extracted(tmp_path: Path) -> None:
    arc = tmp_path / "ev.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        data = b"#Fields: date time\n"
        info = tarfile.TarInfo("W3SVC1/u_ex210303.log")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("W3SVC1/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    source = open_evidence(arc, tmp_path / "case")
    try:
        assert [f.relpath for f in source.files()] == ["W3SVC1/u_ex210303.log"]
        assert any("link" in s.reason for s in source.skipped)
    finally:
        source.close()


def test_archive_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arc = tmp_path / "bomb.zip"
    with zipfile.ZipFile(arc, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.log", b"0" * (2 * 1024 * 1024))
    monkeypatch.setattr(src, "MAX_COMPRESSION_RATIO", 10)
    with pytest.raises(EvidenceError, match="archive bomb"):
        open_evidence(arc, tmp_path / "case")
    assert not (tmp_path / "case" / ".evidence-bomb.zip").exists()


def test_corrupt_zip_is_a_clear_error(tmp_path: Path) -> None:
    arc = tmp_path / "broken.zip"
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("a.log", "x" * 1000)
    raw = bytearray(good.getvalue())
    raw[10:40] = b"\xff" * 30
    arc.write_bytes(bytes(raw))
    try:
        source = open_evidence(arc, tmp_path / "case")
    except EvidenceError as exc:
        assert "zip" in str(exc) or "archive" in str(exc)
    else:
        # the central directory survived: the damaged member must be reported, not silently dropped
        try:
            assert source.skipped or [f.relpath for f in source.files()] == ["a.log"]
        finally:
            source.close()
