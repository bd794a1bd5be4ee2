"""Indicator data files and the auth-page allow-list."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from filetest_support import DATASETS

from lekdicht.files.iocs import (
    is_exchange_auth_page,
    load_auth_allowlist,
    load_iocs,
    lookup_hash,
    parse_hash_csv,
    parse_path_csv,
)
from lekdicht.files.locate import split_path

DATA = Path(str(resources.files("lekdicht").joinpath("data")))


def test_packaged_hashes_include_mstic_and_scs_lists() -> None:
    iocs = load_iocs()
    hit = lookup_hash("B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0")
    assert hit is not None and "mstic-sentinel-feed" in hit.source and "scs-labs-hafnium" in hit.source
    assert lookup_hash("0" * 64) is None
    assert all(len(h) == 64 for h in iocs.hashes)
    assert all(ioc.source for ioc in iocs.hashes.values())


def test_packaged_hashes_match_shared_datasets() -> None:
    mstic = (
        DATASETS
        / "azure-sentinel-mstic-iocs"
        / "MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.csv"
    )
    scs = DATASETS / "scs-labs-hafnium-iocs" / "hashes"
    if not mstic.exists() or not scs.exists():
        pytest.skip("../shared/datasets not present")
    expected = {line.split(",")[2].lower() for line in mstic.read_text().splitlines() if ",sha256," in line}
    expected |= {line.strip().lower() for line in scs.read_text().splitlines() if line.strip()}
    assert expected <= set(load_iocs().hashes)


def test_webshell_paths_match_on_other_drives_and_prefixes() -> None:
    iocs = load_iocs()
    hit = iocs.match_webshell(
        "SRV/D/Exchange/FrontEnd/HttpProxy/owa/auth/OutlookZH.aspx", names_allowed=False
    )
    assert hit is not None and hit.kind == "path" and hit.source == "mstic-sentinel-feed"
    assert iocs.match_webshell("C/inetpub/wwwroot/aspnet_client/system_web/log.aspx", names_allowed=False)
    assert iocs.match_webshell("C/ProgramData/COM1/a.aspx", names_allowed=False) is not None
    # owa\auth\log.aspx is a webshell path; another folder with the same name is not.
    assert iocs.match_webshell("C/Users/bob/log.aspx", names_allowed=False) is None


def test_name_indicators_only_where_allowed() -> None:
    iocs = load_iocs()
    assert iocs.match_webshell("C/inetpub/wwwroot/aspnet_client/help.aspx", names_allowed=True) is not None
    assert iocs.match_webshell("C/SomeApp/help.aspx", names_allowed=False) is None
    hit = iocs.match_webshell("X/owa/auth/pxh4hg1v.ashx", names_allowed=True)
    assert hit is not None and "gtsc-2022" in hit.source


def test_tools() -> None:
    iocs = load_iocs()
    assert iocs.match_tool("C/PerfLogs/cm.exe", names_allowed=False) is not None
    hit = iocs.match_tool("C/Users/Public/ad.exe", names_allowed=False)
    assert hit is not None and hit.value.endswith("ad.exe")  # the specific entry wins over Users\Public\*.exe
    assert iocs.match_tool("C/Users/Public/other.exe", names_allowed=False) is not None
    assert iocs.match_tool("C/Users/Public/Documents/other.exe", names_allowed=False) is None
    assert iocs.match_tool("C/Windows/Temp/cw.exe", names_allowed=True) is not None
    assert iocs.match_tool("C/Windows/Temp/cw.exe", names_allowed=False) is None


def test_temporary_ioc_list_with_own_hash(tmp_path: Path) -> None:
    for name in ("bad_sha256.csv", "webshell_names.csv", "dropped_tools.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    digest = "ab" * 32
    with (tmp_path / "bad_sha256.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{digest},test-source,synthetic test entry\n")
    iocs = load_iocs(tmp_path)
    hit = lookup_hash(digest, iocs)
    assert hit is not None and hit.source == "test-source"
    assert lookup_hash(digest) is None  # the packaged list is untouched


def test_malformed_data_rejected() -> None:
    with pytest.raises(ValueError):
        parse_hash_csv("sha256,source,note\nnot-a-hash,x,\n")
    with pytest.raises(ValueError):
        parse_path_csv("kind,value,source,note\nregex,.*,x,\n")


def test_path_ioc_wildcards_are_per_segment() -> None:
    (ioc,) = parse_path_csv("kind,value,source,note\npath,C:\\Users\\Public\\*.exe,x,\n")
    assert ioc.matches(split_path("C/Users/Public/a.exe"))
    assert not ioc.matches(split_path("C/Users/Public/sub/a.exe"))


def test_auth_allowlist() -> None:
    allow = load_auth_allowlist()
    assert {"owa_auth", "ecp_auth"} <= set(allow)
    assert allow["ecp_auth"] == frozenset({"timeoutlogoff.aspx"})
    for name in (
        "logon.aspx",
        "logoff.aspx",
        "errorfe.aspx",
        "expiredpassword.aspx",
        "frowny.aspx",
        "signout.aspx",
        "redirsuiteserviceproxy.aspx",
        "outlookcn.aspx",
    ):
        assert name in allow["owa_auth"]
    assert is_exchange_auth_page("owa_auth", "LOGON.ASPX")
    assert not is_exchange_auth_page("owa_auth", "logout.aspx")
    assert is_exchange_auth_page("ecp_auth", "TimeoutLogoff.aspx")


def test_allowlist_from_custom_file(tmp_path: Path) -> None:
    path = tmp_path / "pages.yml"
    path.write_text("owa_auth:\n  - Custom.aspx\n", encoding="utf-8")
    assert load_auth_allowlist(path) == {"owa_auth": frozenset({"custom.aspx"})}
    path.write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_auth_allowlist(path)
