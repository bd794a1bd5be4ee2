"""IIS and Exchange configuration checks. All configuration below is SYNTHETIC."""

# ruff: noqa: E501  (synthetic samples and configuration lines are kept whole)

from __future__ import annotations

from pathlib import Path

from filetest_support import APPLICATIONHOST_BAD, APPLICATIONHOST_CLEAN, evidence_files, write

from lekdicht.files import scan_files
from lekdicht.files.iisconfig import (
    check_applicationhost,
    check_transport_agents,
    check_web_config,
    exchange_root_of,
    is_applicationhost,
)
from lekdicht.model import Verdict

CONFIG = "C/Windows/System32/inetsrv/config/applicationHost.config"


def test_clean_config() -> None:
    result = check_applicationhost(APPLICATIONHOST_CLEAN.encode(), CONFIG)
    assert result.findings == [] and result.errors == []
    assert "inetpub/wwwroot" in result.vdir_roots
    assert "program files/microsoft/exchange server/v15" in result.exchange_roots
    assert [v.url_path for v in result.vdirs] == ["/", "/owa", "/ecp"]


def test_programdata_vdir_and_odd_modules() -> None:
    result = check_applicationhost(APPLICATIONHOST_BAD.encode("utf-8"), CONFIG, "ab" * 32)
    by_rule = {f.rule_id: f for f in result.findings}
    assert set(by_rule) == {
        "PS6-iis-vdir-suspicious-path",
        "WS6-iis-native-module-unexpected",
        "WS6-iis-managed-module-unexpected",
    }
    vdir = by_rule["PS6-iis-vdir-suspicious-path"]
    assert vdir.verdict is Verdict.SUSPICIOUS and vdir.severity.value == "high"
    assert "CVE-2021-34473" in vdir.cves and vdir.entities.url == "/COM"
    assert vdir.evidence.line is not None and "ProgramData" in vdir.evidence.excerpt
    assert vdir.artefact_kind == "config.iis" and vdir.evidence.sha256 == "ab" * 32
    assert "helper64.dll" in by_rule["WS6-iis-native-module-unexpected"].evidence.excerpt
    assert "Contoso" in by_rule["WS6-iis-managed-module-unexpected"].evidence.excerpt
    assert by_rule["WS6-iis-managed-module-unexpected"].severity.value == "medium"
    assert "programdata/com" in result.vdir_roots and "webapps/portal" in result.vdir_roots


def test_users_vdir() -> None:
    xml = APPLICATIONHOST_BAD.replace(r"C:\ProgramData\COM", r"C:\Users\Public\web")
    result = check_applicationhost(xml.encode(), CONFIG)
    (vdir,) = [f for f in result.findings if f.rule_id == "PS6-iis-vdir-suspicious-path"]
    assert vdir.cves == []


def test_malformed_config_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = check_applicationhost(b"<configuration><system.applicationHost>", CONFIG)
    assert result.findings == [] and len(result.errors) == 1
    assert result.errors[0].kind == "config_parse"
    entity_bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><configuration>&a;</configuration>'
    assert check_applicationhost(entity_bomb, CONFIG).errors[0].kind == "config_parse"
    write(tmp_path, CONFIG, "<configuration><sites>")
    scanned = scan_files(evidence_files(tmp_path))
    assert [e.kind for e in scanned.errors if e.kind == "config_parse"] == ["config_parse"]
    assert scanned.scanned[0].role == "iis_config"


def test_is_applicationhost() -> None:
    assert is_applicationhost("X/Windows/System32/inetsrv/config/applicationHost.config")
    assert is_applicationhost("X/inetpub/history/CFGHISTORY_0000000012/applicationHost.config")
    assert not is_applicationhost("X/inetpub/wwwroot/web.config")
    assert exchange_root_of("d/exchange/frontend/httpproxy/owa") == "d/exchange"
    assert exchange_root_of("inetpub/wwwroot") is None


def test_web_config_modules() -> None:
    xml = b"""<configuration><system.webServer><modules>
      <add name="ProxyModule" type="Microsoft.Exchange.HttpProxy.ProxyModule, Microsoft.Exchange.FrontEndHttpProxy" />
      <add name="Odd" type="Acme.Owa.Filter, Acme" />
    </modules></system.webServer></configuration>"""
    result = check_web_config(xml, "X/owa/web.config")
    assert [f.rule_id for f in result.findings] == ["WS6-iis-managed-module-unexpected"]


def test_transport_agents() -> None:
    ex = r"C:\Program Files\Microsoft\Exchange Server\V15\TransportRoles\agents"
    xml = f"""<?xml version="1.0" encoding="utf-8"?><mexconfig><mexRuntime><agentList>
      <agent name="Transport Rule Agent" baseType="Microsoft.Exchange.Data.Transport.Routing.RoutingAgentFactory"
        classFactory="Microsoft.Exchange.MessagingPolicies.TransportRuleAgent.TransportRuleAgentFactory"
        assemblyPath="{ex}\\Rule\\Microsoft.Exchange.MessagingPolicies.TransportRuleAgent.dll" enabled="true" />
      <agent name="Mail Helper" baseType="Microsoft.Exchange.Data.Transport.Routing.RoutingAgentFactory"
        classFactory="Helper.MailAgentFactory" assemblyPath="C:\\ProgramData\\helper\\mailagent.dll" enabled="true" />
    </agentList></mexRuntime></mexconfig>""".encode()
    result = check_transport_agents(xml, "X/TransportRoles/Shared/agents.config")
    (finding,) = result.findings
    assert finding.rule_id == "WS7-transport-agent-unexpected" and "Mail Helper" in finding.title
    assert finding.attack == ["T1505.002"]
