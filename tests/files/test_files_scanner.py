"""scan_files end to end on small evidence trees. Fixtures are SYNTHETIC unless they come from
../shared/datasets/tennc-webshell, which is copied into a temporary tree at test time only."""

# ruff: noqa: E501  (synthetic samples and configuration lines are kept whole)

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from filetest_support import (
    ASPNET_CLIENT,
    ASPNET_TEMP,
    ECP_AUTH,
    EX,
    LOGON_ASPX,
    OWA_AUTH,
    TENNC,
    clean_exchange_tree,
    evidence_files,
    write,
)

from lekdicht.files import scan_files
from lekdicht.files.iocs import load_iocs
from lekdicht.model import Verdict

TENNC_SAMPLES = ["editor.aspx", "abcd.aspx", "ASPX一句话02.txt", "cmdexec.aspx", "antak.aspx"]
WEB_FOLDERS = [
    f"{ASPNET_CLIENT}/system_web",
    OWA_AUTH,
    f"{OWA_AUTH}/Current/themes/resources",
    "SERVER01/D_/Exchange/FrontEnd/HttpProxy/owa/auth/15.1.2176.2",
    ECP_AUTH,
]


def _by_rule(result: object, path_part: str = "") -> dict[str, list]:
    out: dict[str, list] = {}
    for f in result.findings:  # type: ignore[attr-defined]
        if path_part in f.evidence.path:
            out.setdefault(f.rule_id, []).append(f)
    return out


@pytest.mark.parametrize("sample", TENNC_SAMPLES)
@pytest.mark.parametrize("folder", WEB_FOLDERS)
def test_real_webshells_flagged_in_web_folders(tmp_path: Path, sample: str, folder: str) -> None:
    src = TENNC / sample
    if not src.exists():
        pytest.skip("../shared/datasets/tennc-webshell not present")
    pytest.importorskip("yara_x")
    write(tmp_path, f"{folder}/x.aspx", src.read_bytes())
    result = scan_files(evidence_files(tmp_path))
    yara = [f for f in result.findings if f.rule_id.startswith("WS3-yara-")]
    assert yara, f"no WS3 content finding for {sample} in {folder}"
    assert all(f.verdict is Verdict.EXPLOITED for f in yara)
    assert yara[0].evidence.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert yara[0].evidence.excerpt
    assert "T1505.003" in yara[0].attack
    # the location rule fires too, raised to exploited by the content match
    location = [f for f in result.findings if f.rule_id.startswith(("WS1-", "WS2-"))]
    assert location and all(f.verdict is Verdict.EXPLOITED for f in location)


def test_real_webshell_outside_web_folders_is_suspicious(tmp_path: Path) -> None:
    src = TENNC / "editor.aspx"
    if not src.exists():
        pytest.skip("../shared/datasets/tennc-webshell not present")
    pytest.importorskip("yara_x")
    write(tmp_path, "C/Users/alice/Downloads/editor.aspx", src.read_bytes())
    result = scan_files(evidence_files(tmp_path))
    (finding,) = [f for f in result.findings if f.rule_id.startswith("WS3-yara-")]
    assert finding.verdict is Verdict.SUSPICIOUS


def test_clean_exchange_tree_has_nothing_above_info(tmp_path: Path) -> None:
    clean_exchange_tree(tmp_path)
    result = scan_files(evidence_files(tmp_path))
    above = [f for f in result.findings if f.verdict is not Verdict.INFO]
    assert above == [], [(f.rule_id, f.evidence.path) for f in above]
    assert result.errors == []
    paths = {s.path for s in result.scanned}
    assert f"{OWA_AUTH}/logon.aspx" in paths
    assert f"{ECP_AUTH}/TimeoutLogoff.aspx" in paths
    assert "C/Windows/System32/inetsrv/config/applicationHost.config" in paths
    # logs are left to the log readers
    assert not any(p.endswith(".LOG") for p in paths)
    for s in result.scanned:
        assert s.sha256 and len(s.sha256) == 64 and s.size is not None
    assert "inetpub/wwwroot" in result.vdir_roots


def test_results_are_deterministic_and_serialisable(tmp_path: Path) -> None:
    clean_exchange_tree(tmp_path)
    write(tmp_path, f"{ASPNET_CLIENT}/a.aspx", '<%@ Page Language="C#" %>')
    files = evidence_files(tmp_path)
    one = scan_files(files).to_json()
    two = scan_files(list(reversed(files))).to_json()
    assert one == two
    json.dumps(one)


def test_oab_config_webshell(tmp_path: Path) -> None:
    pytest.importorskip("yara_x")
    # synthetic OAB virtual-directory export with a script in ExternalUrl (CVE-2021-27065 style)
    content = (
        "synthetic test fixture\r\nPollInterval : 480\r\nOfflineAddressBooks : \\Default Offline Address Book\r\n"
        "InternalUrl : https://mail.example.test/OAB\r\n"
        'ExternalUrl : http://f/<script language="JScript" runat="server">function Page_Load(){'
        'Response.Write("ok");}</script>\r\nInternalAuthenticationMethods : {WindowsIntegrated}\r\n'
    )
    write(tmp_path, f"{ASPNET_CLIENT}/system_web/oabcfg.aspx", content)
    rules = _by_rule(scan_files(evidence_files(tmp_path)))
    (finding,) = rules["WS3-yara-exchange_oab_config_webshell"]
    assert finding.verdict is Verdict.EXPLOITED
    assert "CVE-2021-27065" in finding.cves
    assert finding.artefact_kind == "file.web_content"


@pytest.mark.parametrize(
    ("header", "rule"),
    [
        (b"!BDN\x9e\x8b\x00\x00\x53\x4d" + b"\x00" * 300, "PS4-yara-proxyshell_pst_aspx"),
        (b"\x30\x82\x02\x10\x30\x82\x01\xf8\x02\x01\x00\x30\x0c", "PS4-yara-proxyshell_der_aspx"),
        (bytes([1, 2, 3, 0x80, 0x81, 0x1F, 0xF0, 0x00]), "PS4-yara-aspx_binary_prefix_dropper"),
    ],
)
def test_proxyshell_headed_aspx(tmp_path: Path, header: bytes, rule: str) -> None:
    pytest.importorskip("yara_x")
    write(tmp_path, f"{OWA_AUTH}/Current/zz.aspx", header + b'<%@ Page Language="C#" %><p>synthetic</p>')
    result = scan_files(evidence_files(tmp_path))
    rules = _by_rule(result)
    assert rule in rules
    expected = Verdict.SUSPICIOUS if rule.endswith("dropper") else Verdict.EXPLOITED
    assert rules[rule][0].verdict is expected
    assert rules[rule][0].artefact_kind in ("file.web_content", "file.binary")


def _fake_app_web_dll(*markers: bytes) -> bytes:
    """Synthetic bytes shaped like a small compiled page assembly (not a real PE)."""
    return b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 256 + b"\x00".join(markers) + b"\x00" * 64


def test_compiled_app_web_webshell(tmp_path: Path) -> None:
    pytest.importorskip("yara_x")
    bad = _fake_app_web_dll(
        b"App_Web_zq1x2c3v",
        b"System.Web.UI.Page",
        b"get_Request",
        b"JScriptEvaluate",
        "unsafe".encode("utf-16-le"),
    )
    good = _fake_app_web_dll(
        b"App_Web_ok123456", b"System.Web.UI.Page", b"get_Request", b"__BuildControlTree"
    )
    write(tmp_path, f"{ASPNET_TEMP}/owa/1a2b3c4d/5e6f7a8b/App_Web_zq1x2c3v.dll", bad)
    write(tmp_path, f"{ASPNET_TEMP}/owa/1a2b3c4d/5e6f7a8b/App_Web_ok123456.dll", good)
    result = scan_files(evidence_files(tmp_path))
    hits = _by_rule(result)["WS3-yara-compiled_app_web_webshell"]
    assert [f.evidence.path.rsplit("/", 1)[-1] for f in hits] == ["App_Web_zq1x2c3v.dll"]
    assert hits[0].verdict is Verdict.EXPLOITED and hits[0].artefact_kind == "file.binary"
    roles = {s.path.rsplit("/", 1)[-1]: s.role for s in result.scanned}
    assert roles["App_Web_ok123456.dll"] == "aspnet_temp"


def test_known_bad_hash_with_temporary_ioc_list(tmp_path: Path) -> None:
    data_dir = Path(str(__import__("importlib.resources").resources.files("lekdicht").joinpath("data")))
    iocdir = tmp_path / "iocs"
    iocdir.mkdir()
    for name in ("bad_sha256.csv", "webshell_names.csv", "dropped_tools.csv"):
        shutil.copy(data_dir / name, iocdir / name)
    content = b"synthetic file whose hash we list as bad\n"
    digest = hashlib.sha256(content).hexdigest()
    with (iocdir / "bad_sha256.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{digest},mstic-sentinel-feed,synthetic test entry\n")
    ev = tmp_path / "ev"
    write(ev, "C/inetpub/wwwroot/aspnet_client/readme.txt", content)
    write(ev, "C/Users/Public/tool.bat", content)  # drop zone: hashed too
    result = scan_files(evidence_files(ev), iocs=load_iocs(iocdir))
    hits = [f for f in result.findings if f.rule_id == "WS5-known-bad-hash"]
    assert len(hits) == 2
    assert all(f.verdict is Verdict.EXPLOITED and f.evidence.sha256 == digest for f in hits)
    assert any("Azure-Sentinel" in r for r in hits[0].references)
    ws1 = _by_rule(result)["WS1-aspnet-client-file"][0]
    assert ws1.verdict is Verdict.EXPLOITED  # confirmed by the hash


def test_known_names_and_paths(tmp_path: Path) -> None:
    write(tmp_path, f"{OWA_AUTH}/OutlookZH.aspx", "<html>synthetic</html>")
    write(tmp_path, f"{OWA_AUTH}/pxh4HG1v.ashx", "<html>synthetic</html>")
    write(tmp_path, "C/SomeVendor/www/help.aspx", "<html>synthetic</html>")
    rules = _by_rule(scan_files(evidence_files(tmp_path)))
    assert [f.evidence.path for f in rules["WS5-known-webshell-path"]] == [f"{OWA_AUTH}/OutlookZH.aspx"]
    (name_hit,) = rules["WS5-known-webshell-name"]
    assert name_hit.evidence.path.endswith("pxh4HG1v.ashx") and "CVE-2022-41082" in name_hit.cves
    assert all(f.verdict is Verdict.EXPLOITED for f in rules["WS2-owa-auth-unexpected-page"])


def test_location_rules(tmp_path: Path) -> None:
    write(tmp_path, f"{ECP_AUTH}/TimeoutLogoff.aspx", '<%@ Page Language="C#" %>')
    write(tmp_path, f"{ECP_AUTH}/w.js", "var a=1;")
    write(tmp_path, f"{ASPNET_CLIENT}/system_web/4_0_30319/notes.txt", "synthetic")
    write(tmp_path, f"{ASPNET_CLIENT}/system_web/1_1_4322/WebUIValidation.js", "// synthetic")
    write(tmp_path, f"{OWA_AUTH}/logon.aspx", LOGON_ASPX)
    write(tmp_path, f"{OWA_AUTH}/logout.aspx", "<html>synthetic</html>")
    write(tmp_path, f"{OWA_AUTH}/15.1.2176.2/themes/x.ashx", "synthetic")
    write(tmp_path, f"{OWA_AUTH}/notes.bak", "synthetic")
    write(tmp_path, "C/inetpub/wwwroot/iisstart.aspx", "synthetic")
    write(tmp_path, "C/ProgramData/COM/x.aspx", "synthetic")
    write(tmp_path, "C/ProgramData/Vendor/help.aspx", "synthetic")
    result = scan_files(evidence_files(tmp_path))
    rules = _by_rule(result)
    assert [f.evidence.path for f in rules["WS2-ecp-auth-unexpected-file"]] == [f"{ECP_AUTH}/w.js"]
    ws1 = {f.evidence.path.rsplit("/", 1)[-1]: f.verdict for f in rules["WS1-aspnet-client-file"]}
    assert ws1 == {"notes.txt": Verdict.SUSPICIOUS, "WebUIValidation.js": Verdict.INFO}
    pages = sorted(f.evidence.path.rsplit("/", 1)[-1] for f in rules["WS2-owa-auth-unexpected-page"])
    assert pages == ["logout.aspx", "x.ashx"]
    assert rules["WS2-owa-auth-unexpected-file"][0].verdict is Verdict.INFO
    assert rules["WS2-wwwroot-script"][0].verdict is Verdict.SUSPICIOUS
    assert rules["PS6-programdata-vdir-script"][0].evidence.path == "C/ProgramData/COM/x.aspx"
    assert rules["WS2-programdata-script"][0].evidence.path == "C/ProgramData/Vendor/help.aspx"


def test_host_leftovers(tmp_path: Path) -> None:
    pytest.importorskip("yara_x")
    lsass_content = (
        b"MDMP\x93\xa7\x00\x00" + b"\x00" * 64 + "C:\\Windows\\System32\\lsass.exe".encode("utf-16-le")
    )
    write(tmp_path, "C/Windows/Temp/debug.dmp", lsass_content)
    write(tmp_path, "C/root/lsass_0302.dmp", b"not a minidump, synthetic")
    write(tmp_path, "C/Windows/Temp/other.dmp", b"MDMP\x93\xa7\x00\x00" + "notepad.exe".encode("utf-16-le"))
    write(tmp_path, "C/ProgramData/it.zip", b"PK\x03\x04synthetic")
    write(tmp_path, "C/ProgramData/Kaseya/agent.zip", b"PK\x03\x04synthetic")
    write(tmp_path, "C/ProgramData/a/b/deep.7z", b"7z synthetic")
    write(tmp_path, "C/PerfLogs/cm.exe", b"MZ synthetic")
    write(tmp_path, "C/Users/Public/x.exe", b"MZ synthetic")
    rules = _by_rule(scan_files(evidence_files(tmp_path)))
    lsass = {f.evidence.path: f for f in rules["HX1-lsass-dump"]}
    assert set(lsass) == {"C/Windows/Temp/debug.dmp", "C/root/lsass_0302.dmp"}
    assert all(f.requires_corroboration and "T1003.001" in f.attack for f in lsass.values())
    assert [f.evidence.path for f in rules["HX1-minidump-in-drop-zone"]] == ["C/Windows/Temp/other.dmp"]
    (archive,) = rules["HX2-staging-archive"]
    assert archive.evidence.path == "C/ProgramData/it.zip" and archive.requires_corroboration
    tools = sorted(f.evidence.path for f in rules["PN5-known-tool"])
    assert tools == ["C/PerfLogs/cm.exe", "C/Users/Public/x.exe"]


def test_too_large_and_unreadable_are_reported(tmp_path: Path) -> None:
    big = write(tmp_path, f"{ASPNET_CLIENT}/big.aspx", '<%@ Page Language="C#" %>' + "x" * 200)
    (tmp_path / ASPNET_CLIENT / "gone.aspx").symlink_to(tmp_path / "does-not-exist")
    (tmp_path / OWA_AUTH / "dir.aspx").mkdir(parents=True)
    files = evidence_files(tmp_path) + [(f"{OWA_AUTH}/dir.aspx", tmp_path / OWA_AUTH / "dir.aspx")]
    result = scan_files(files, max_size=100)
    by_path = {s.path: s for s in result.scanned}
    assert by_path[f"{ASPNET_CLIENT}/big.aspx"].skipped_reason is not None
    assert by_path[f"{ASPNET_CLIENT}/big.aspx"].size == big.stat().st_size
    assert by_path[f"{ASPNET_CLIENT}/big.aspx"].sha256 is None
    assert "symbolic link" in (by_path[f"{ASPNET_CLIENT}/gone.aspx"].skipped_reason or "")
    assert "not a regular file" in (by_path[f"{OWA_AUTH}/dir.aspx"].skipped_reason or "")
    kinds = {(e.kind, e.path) for e in result.errors}
    assert ("too_large", f"{ASPNET_CLIENT}/big.aspx") in kinds
    assert ("unreadable", f"{ASPNET_CLIENT}/gone.aspx") in kinds
    assert ("unreadable", f"{OWA_AUTH}/dir.aspx") in kinds
    # name and location checks still ran on the unread files
    assert {f.evidence.path for f in result.findings if f.rule_id == "WS1-aspnet-client-file"} == {
        f"{ASPNET_CLIENT}/big.aspx",
        f"{ASPNET_CLIENT}/gone.aspx",
    }


def test_symlink_to_outside_file_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("host secret, synthetic")
    ev = tmp_path / "ev"
    (ev / ASPNET_CLIENT).mkdir(parents=True)
    (ev / ASPNET_CLIENT / "link.aspx").symlink_to(secret)
    result = scan_files(evidence_files(ev))
    assert all("host secret" not in f.evidence.excerpt for f in result.findings)
    assert any(e.kind == "unreadable" for e in result.errors)


def test_scanning_leaves_files_unchanged(tmp_path: Path) -> None:
    clean_exchange_tree(tmp_path)
    shell = write(
        tmp_path, f"{OWA_AUTH}/zz.aspx", '<%@ Page Language="Jscript"%><%eval(Request.Item["a"],"unsafe");%>'
    )
    for _, path in evidence_files(tmp_path):
        os.utime(path, ns=(1_600_000_000_000_000_000, 1_610_000_000_000_000_000))
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_atime_ns) for _, p in evidence_files(tmp_path)
    }
    scan_files(evidence_files(tmp_path))
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for _, p in evidence_files(tmp_path)}
    assert {p: v[:2] for p, v in before.items()} == after
    if hasattr(os, "O_NOATIME") and (os.geteuid() == 0 or shell.stat().st_uid == os.geteuid()):
        # read_bytes above updated nothing we compare; our own reads use O_NOATIME
        os.utime(shell, ns=(1_600_000_000_000_000_000, 1_610_000_000_000_000_000))
        scan_files([(f"{OWA_AUTH}/zz.aspx", shell)])
        assert shell.stat().st_atime_ns == 1_600_000_000_000_000_000


def test_user_yara_rules_good_and_broken(tmp_path: Path) -> None:
    pytest.importorskip("yara_x")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "good.yar").write_text(
        'rule UserMarker { meta: author = "someone" score = 85 description = "synthetic marker" '
        'strings: $a = "lekdicht-user-marker" condition: $a }\n'
        'rule UserExt { meta: verdict = "exploited" severity = "critical" '
        'strings: $a = "lekdicht-user-marker" condition: $a and extension == ".aspx" and filename == "u.aspx" }\n'
        'rule UserLowScore { meta: score = 40 strings: $a = "lekdicht-user-marker" condition: $a }\n',
        encoding="utf-8",
    )
    (rules / "broken.yara").write_text('rule Broken { strings: $a = "x" condition: $b }\n', encoding="utf-8")
    (rules / "notes.txt").write_text("not a rule file", encoding="utf-8")
    ev = tmp_path / "ev"
    write(ev, f"{ASPNET_CLIENT}/u.aspx", "synthetic lekdicht-user-marker")
    result = scan_files(evidence_files(ev), [rules])
    compile_errors = [e for e in result.errors if e.kind == "rule_compile"]
    assert len(compile_errors) == 1 and compile_errors[0].path.endswith("broken.yara")
    assert "$b" in compile_errors[0].message
    assert any(r.endswith("good.yar") for r in result.rule_files)
    user = {f.rule_id: f for f in result.findings if f.rule_id.startswith("WS3-user-yara-")}
    assert user["WS3-user-yara-UserMarker"].verdict is Verdict.SUSPICIOUS
    assert user["WS3-user-yara-UserMarker"].severity.value == "high"
    assert user["WS3-user-yara-UserExt"].verdict is Verdict.EXPLOITED
    assert user["WS3-user-yara-UserLowScore"].severity.value == "low"


def test_missing_user_rule_folder_is_reported(tmp_path: Path) -> None:
    pytest.importorskip("yara_x")
    result = scan_files([], [tmp_path / "nope"])
    assert [e.kind for e in result.errors] == ["rule_compile"]


def test_yara_unavailable_degrades(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yara_x", None)  # import yara_x now raises ImportError
    write(
        tmp_path,
        f"{OWA_AUTH}/OutlookZH.aspx",
        '<%@ Page Language="Jscript"%><%eval(Request.Item["a"],"unsafe");%>',
    )
    write(tmp_path, f"{EX}/FrontEnd/HttpProxy/owa/auth/logon.aspx", LOGON_ASPX)
    result = scan_files(evidence_files(tmp_path))
    assert result.yara_engine.startswith("unavailable")
    assert any(e.kind == "yara_unavailable" for e in result.errors)
    rules = _by_rule(result)
    assert "WS5-known-webshell-path" in rules and "WS2-owa-auth-unexpected-page" in rules
    assert not any(r.startswith("WS3-yara") for r in rules)
    shell = next(s for s in result.scanned if s.path.endswith("OutlookZH.aspx"))
    assert shell.yara_scanned is False and shell.skipped_reason == "YARA unavailable" and shell.sha256


def test_vdir_roots_from_config_make_web_roots(tmp_path: Path) -> None:
    pytest.importorskip("yara_x")
    from filetest_support import APPLICATIONHOST_BAD

    write(tmp_path, "SERVER01/C/Windows/System32/inetsrv/config/applicationHost.config", APPLICATIONHOST_BAD)
    write(
        tmp_path,
        "SERVER01/D/WebApps/Portal/page.aspx",
        '<%@ Page Language="Jscript"%><%eval(Request["a"]);%>',
    )
    write(tmp_path, "SERVER01/D/WebApps/Portal/help.aspx", "<html>synthetic help page</html>")
    result = scan_files(evidence_files(tmp_path))
    assert "webapps/portal" in result.vdir_roots
    assert not [f for f in result.findings if f.evidence.path.endswith("help.aspx")]
    role = {s.path: s.role for s in result.scanned}["SERVER01/D/WebApps/Portal/page.aspx"]
    assert role == "web_root"
    (hit,) = [f for f in result.findings if f.rule_id == "WS3-yara-chopper_eval_request"]
    assert hit.verdict is Verdict.EXPLOITED
    assert {
        "PS6-iis-vdir-suspicious-path",
        "WS6-iis-native-module-unexpected",
        "WS6-iis-managed-module-unexpected",
    } <= {f.rule_id for f in result.findings}
