"""A scan whose HttpProxy headers move from a vulnerable build to a fixed one (synthetic logs)."""

from __future__ import annotations

from pathlib import Path

from lekdicht.scan.pipeline import ScanOptions
from lekdicht.scan.run import scan_and_report
from support.logsynth import HTTPPROXY_FIELDS, httpproxy


def _proxy_log(version: str, day: str, hour: str) -> str:
    head = (
        f"#Software: Microsoft Exchange Server\r\n#Version: {version}\r\n#Log-type: HttpProxy Logs\r\n"
        f"#Date: {day}T{hour}:00:00.000Z\r\n#Fields: " + ",".join(HTTPPROXY_FIELDS) + "\r\n"
    )
    lines = [
        httpproxy(
            DateTime=f"{day}T{hour}:{m:02d}:00.000Z",
            AnchorMailbox="Smtp~anna@example.org",
            AuthenticatedUser="anna@example.org",
            IsAuthenticated="true",
            ClientIpAddress="198.51.100.20",
        )
        for m in (0, 30, 59)
    ]
    return head + "".join(line + "\r\n" for line in lines)


def test_patch_date_and_exposure_window_from_log_headers(tmp_path: Path) -> None:
    ev = tmp_path / "ev" / "Logging" / "HttpProxy" / "Owa"
    ev.mkdir(parents=True)
    (ev / "HttpProxy_2020122010-1.LOG").write_text(_proxy_log("15.01.2106.002", "2020-12-20", "10"))
    (ev / "HttpProxy_2021030310-1.LOG").write_text(_proxy_log("15.01.2106.002", "2021-03-03", "10"))
    (ev / "HttpProxy_2021030514-1.LOG").write_text(_proxy_log("15.01.2106.013", "2021-03-05", "14"))
    report = scan_and_report(ScanOptions(evidence=tmp_path / "ev", out=tmp_path / "case", workers=1)).report
    server = report["server"]
    assert server["build"] == "15.1.2106.13"
    patches = server["patch_history"]["patches"]
    assert len(patches) == 1 and patches[0]["to_build"] == "15.1.2106.13"
    assert patches[0]["changed_at"].startswith("2021-03-05T14:00")
    window = next(w for w in server["exposure_windows"] if w["cve"] == "CVE-2021-26855")
    assert window["status"] == "patched"
    assert window["exposed_from"].startswith("2021-01-06")  # exploitation start, after the first log
    assert window["exposed_until"].startswith("2021-03-05")
    assert report["verdict"]["overall"] == "vulnerable"  # later CVEs (ProxyShell ...) remain open on CU18
    assert any("until the patch seen on 2021-03-05" in r for r in report["verdict"]["reasons"])
    proxylogon = next(c for c in server["exposure"] if c["cve"] == "CVE-2021-26855")
    assert proxylogon["status"] == "fixed"
