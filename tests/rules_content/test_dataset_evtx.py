"""Real public samples in ../shared/datasets (see its SOURCES.md) give the expected findings.

Skipped cleanly when the datasets folder is absent. The samples are read from there, never copied
into the project.
"""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from lekdicht.catalog.kinds import ArtefactKind
from lekdicht.model import Verdict
from lekdicht.scan.pipeline import ScanOptions
from lekdicht.scan.run import scan_and_report
from support.logsynth import scanner

EVTX_EXPECTED: dict[str, dict[str, int]] = {
    # IIS webshell process traces
    "evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx": {
        "HX4-w3wp-shell-child": 1,  # w3wp -> cmd /c net user
        "HX4-iis-apppool-recon": 2,  # net, net1 as IIS APPPOOL\DefaultAppPool
    },
    "evtx-attack-samples/discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd.evtx": {
        "HX4-w3wp-shell-child": 1,  # w3wp -> powershell -enc
        "HX4-iis-apppool-password-dump": 18,  # appcmd list apppool /text:processmodel.password|username
    },
    "evtx-attack-samples/privesc_rotten_potato_from_webshell_metasploit_sysmon_1_8_3.evtx": {
        "HX4-w3wp-remote-thread": 1,
    },
    "evtx-attack-samples/tunna_iis_rdp_smb_tunneling_sysmon_3.evtx": {
        "HX4-w3wp-tunnel-connection": 4,  # w3wp -> 127.0.0.1:3389 and :445
    },
    "evtx-attack-samples/Runas_4624_4648_Webshell_CreateProcessAsUserA.evtx": {
        "MX2-security-log-cleared": 1,
    },
    "evtx-attack-samples/privexchange_dirkjan.evtx": {
        "AD2-privexchange-domain-acl": 2,
    },
    # LSASS dumps
    "evtx-attack-samples/sysmon_10_11_lsass_memdump.evtx": {
        "HX1-lsass-dump-procdump": 2,  # lsass.exe_190317_120941.dmp (procdump), lsass (2).DMP (taskmgr)
        "HX1-lsass-memory-access": 2,  # procdump and taskmgr open lsass
    },
    "evtx-attack-samples/sysmon_10_1_memdump_comsvcs_minidump.evtx": {
        "HX1-lsass-dump-comsvcs": 1,  # comsvcs MiniDump (of notepad in this sample)
    },
    "evtx-to-mitre-attack/ID1-LSASS dump with LSASSY (SYSMON).evtx": {
        "HX1-lsass-dump-comsvcs": 2,
        "HX1-lsass-memory-access": 1,
    },
    # Exchange group changes and transport configuration
    "evtx-to-mitre-attack/ID4756-Exchange admin group change.evtx": {
        "AD1-exchange-role-group-add": 14,
        "AD1-exchange-privileged-group-add": 1,  # Organization Management
    },
    "evtx-to-mitre-attack/ID4756-Exchange critical group change (DCsync).evtx": {
        "AD1-exchange-privileged-group-add": 3,
    },
    "evtx-to-mitre-attack/ID11-Exchange transport config modified.evtx": {
        "WS7-agents-config-modified": 1,
    },
}


def _counts(path: Path, kind: ArtefactKind) -> Counter[str]:
    result = scanner().scan(path.name, path, kind, path.stat().st_size)
    assert result.error is None, result.error
    return Counter(f.rule_id for f in result.findings)


@pytest.mark.parametrize("relpath", sorted(EVTX_EXPECTED))
def test_evtx_sample_gives_expected_findings(datasets: Path, relpath: str) -> None:
    path = datasets / relpath
    if not path.is_file():
        pytest.skip(f"{relpath} not in the datasets")
    assert dict(_counts(path, ArtefactKind.EVTX)) == EVTX_EXPECTED[relpath]


def test_otrf_comsvcs_json_export(datasets: Path, tmp_path: Path) -> None:
    archive = datasets / "otrf-security-datasets" / "psh_lsass_memory_dump_comsvcs.zip"
    if not archive.is_file():
        pytest.skip("OTRF sample not in the datasets")
    with zipfile.ZipFile(archive) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".json"))
        target = tmp_path / Path(name).name
        target.write_bytes(zf.read(name))
    counts = _counts(target, ArtefactKind.EVENTS_JSONL)
    assert counts["HX1-lsass-dump-comsvcs"] >= 1
    assert counts["HX1-lsass-memory-access"] >= 1
    assert counts["MX2-security-log-cleared"] == 1  # the dataset starts with a cleared Security log


def test_tunna_iis_log_is_webshell_traffic(datasets: Path, tmp_path: Path) -> None:
    src = datasets / "evtx-attack-samples" / "Tunna_rdp_tunnel_IIS.log"
    if not src.is_file():
        pytest.skip("Tunna IIS log not in the datasets")
    evidence = tmp_path / "ev" / "inetpub" / "logs" / "LogFiles" / "W3SVC1"
    evidence.mkdir(parents=True)
    shutil.copy(src, evidence / "u_ex190903.log")
    report = scan_and_report(ScanOptions(evidence=tmp_path / "ev", out=tmp_path / "out", workers=1)).report
    by_rule = Counter(f["rule_id"] for f in report["findings"])
    assert by_rule["WA5-iis-tunnel-webshell-connect"] == 3  # proxy&port=3389&ip=127.0.0.1
    assert by_rule["WA5-iis-tunnel-webshell-relay"] > 4000  # every ?proxy data request
    assert set(by_rule) == {"WA5-iis-tunnel-webshell-connect", "WA5-iis-tunnel-webshell-relay"}
    first = next(f for f in report["findings"] if f["rule_id"] == "WA5-iis-tunnel-webshell-connect")
    assert first["verdict"] == Verdict.EXPLOITED.value
    assert first["entities"]["client_ip"] == "10.0.2.17"
    assert first["entities"]["url"].startswith("/erp/conn.aspx?proxy&port=")
    assert report["verdict"]["overall"] == "compromised"
