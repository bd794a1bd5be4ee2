"""Web-role classification of evidence paths (synthetic paths only)."""

from __future__ import annotations

import pytest

from lekdicht.files.locate import (
    classify_path,
    ecp_auth_depth,
    in_root,
    owa_auth_area,
    path_tail,
    programdata_depth,
    windows_path_suffix,
)

EXV15 = "Program Files/Microsoft/Exchange Server/V15"


@pytest.mark.parametrize(
    ("relpath", "role"),
    [
        ("inetpub/wwwroot/aspnet_client/shell.aspx", "aspnet_client"),
        ("SERVER01/C/inetpub/wwwroot/aspnet_client/system_web/x.aspx", "aspnet_client"),
        ("C_\\inetpub\\wwwroot\\ASPNET_CLIENT\\x.aspx", "aspnet_client"),
        (f"{EXV15}/FrontEnd/HttpProxy/owa/auth/logon.aspx", "owa_auth"),
        (f"C/{EXV15}/FrontEnd/HttpProxy/owa/auth/Current/themes/resources/logon.css", "owa_auth"),
        (f"C/{EXV15}/FrontEnd/HttpProxy/owa/auth/15.1.2176.2/scripts/boot.js", "owa_auth"),
        ("SRV/D_/Exchange/FrontEnd/HttpProxy/owa/auth/bad.aspx", "owa_auth"),
        (f"{EXV15}/FrontEnd/HttpProxy/ecp/auth/TimeoutLogoff.aspx", "ecp_auth"),
        (f"{EXV15}/FrontEnd/HttpProxy/OAB/log.aspx", "exchange_web"),
        (f"{EXV15}/ClientAccess/ecp/default.aspx", "exchange_web"),
        (f"{EXV15}/ClientAccess/Owa/auth/exppw.dll", "exchange_web"),
        (
            "C/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/owa/a/b/App_Web_x.dll",
            "aspnet_temp",
        ),
        ("C/inetpub/wwwroot/iisstart.htm", "web_root"),
        ("C/ProgramData/it.zip", "programdata"),
        ("C/Users/All Users/COM/x.aspx", "programdata"),
        ("C/Windows/Temp/lsass.dmp", "windows_temp"),
        ("C/Users/Public/ad.exe", "users_public"),
        ("C/PerfLogs/cm.exe", "perflogs"),
        ("C/root/lsass.dmp", "root_dir"),
        ("root/DrSDKCaller.exe", "root_dir"),
        ("C/Windows/System32/drivers/etc/hosts", None),
        ("C/Users/alice/root/notes.txt", None),
        (f"{EXV15}/Logging/HttpProxy/Owa/HttpProxy_2021030100-1.LOG", None),
    ],
)
def test_classify_path(relpath: str, role: str | None) -> None:
    assert classify_path(relpath, []) == role


def test_classify_path_uses_vdir_roots() -> None:
    roots = [windows_path_suffix(r"D:\WebApps\Portal") or ""]
    assert classify_path("SERVER01/D/WebApps/Portal/x.aspx", roots) == "web_root"
    assert classify_path("SERVER01/D/WebApps/PortalOld/x.aspx", roots) is None
    assert classify_path("SERVER01/D/WebApps/Portal", roots) is None  # the root itself, not a file below it


def test_classify_vdir_beats_programdata() -> None:
    roots = [windows_path_suffix(r"C:\ProgramData\COM") or ""]
    assert classify_path("C/ProgramData/COM/x.aspx", roots) == "web_root"
    assert classify_path("C/ProgramData/COM/x.aspx", []) == "programdata"


@pytest.mark.parametrize(
    ("physical", "suffix"),
    [
        (r"%SystemDrive%\inetpub\wwwroot", "inetpub/wwwroot"),
        (
            r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa",
            f"{EXV15.lower()}/frontend/httpproxy/owa",
        ),
        (r"%ExchangeInstallPath%FrontEnd\HttpProxy\ecp", "frontend/httpproxy/ecp"),
        (r"%windir%\System32\inetsrv\cachuri.dll", "windows/system32/inetsrv/cachuri.dll"),
        (r"C:\Users\All Users\COM", "programdata/com"),
        (r"\\?\D:\Exchange\ClientAccess\Owa", "exchange/clientaccess/owa"),
        (r"\\fileserver\share\web", "web"),
        ("C:\\", None),
        ("", None),
    ],
)
def test_windows_path_suffix(physical: str, suffix: str | None) -> None:
    assert windows_path_suffix(physical) == suffix


def test_in_root_segment_boundary() -> None:
    assert in_root("X/inetpub/wwwroot/a.aspx", "inetpub/wwwroot")
    assert not in_root("X/inetpub/wwwroot2/a.aspx", "inetpub/wwwroot")
    assert not in_root("X/a.aspx", "")


def test_owa_auth_area_and_depths() -> None:
    base = f"{EXV15}/FrontEnd/HttpProxy/owa/auth"
    assert owa_auth_area(f"{base}/logon.aspx") == "root"
    assert owa_auth_area(f"{base}/Current/themes/resources/x.aspx") == "current"
    assert owa_auth_area(f"{base}/15.1.2176.2/x.aspx") == "build"
    assert owa_auth_area(f"{base}/other/x.aspx") == "other"
    assert owa_auth_area("inetpub/wwwroot/x.aspx") is None
    assert ecp_auth_depth(f"{EXV15}/FrontEnd/HttpProxy/ecp/auth/TimeoutLogoff.aspx") == 0
    assert ecp_auth_depth(f"{EXV15}/FrontEnd/HttpProxy/ecp/auth/sub/x.aspx") == 1
    assert programdata_depth("C/ProgramData/it.zip") == 0
    assert programdata_depth("C/ProgramData/COM/x.zip") == 1
    assert programdata_depth("C/Users/All Users/x.zip") == 0
    assert programdata_depth("C/Windows/x.zip") is None


def test_path_tail_anchors_exchange_paths() -> None:
    assert path_tail(
        r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\a.aspx"
    ) == (
        "frontend",
        "httpproxy",
        "owa",
        "auth",
        "a.aspx",
    )
    assert path_tail(r"C:\inetpub\wwwroot\aspnet_client\s.aspx") == (
        "inetpub",
        "wwwroot",
        "aspnet_client",
        "s.aspx",
    )
