"""Mitigation checks on IIS configuration files. Every config below is synthetic, written by us in
the shape EOMT/EOMTv2 and Microsoft's manual steps produce (builds-and-mitigations.md section 4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lekdicht.versions.mitigations import MitigationStatus, check_mitigations, combine_mitigations

COOKIE_RULES = """
        <rule name="X-AnonResource-Backend Abort - inbound" stopProcessing="false">
          <match url=".*" />
          <conditions><add input="{HTTP_COOKIE}" pattern="(.*)X-AnonResource-Backend(.*)" /></conditions>
          <action type="AbortRequest" />
        </rule>
        <rule name="X-BEResource Abort - inbound" stopProcessing="true">
          <match url=".*" />
          <conditions><add input="{HTTP_COOKIE}" pattern="(.*)X-BEResource=(.+)/(.+)~(.+)" /></conditions>
          <action type="AbortRequest" />
        </rule>"""


def pns_rule(
    input_: str = "{UrlDecode:{REQUEST_URI}}",
    pattern: str = "(?=.*autodiscover)(?=.*powershell)",
    action: str = "AbortRequest",
    stop: str = "true",
    extra: str = "",
    name: str = "PowerShell - inbound",
) -> str:
    return f"""
        <rule name="{name}" stopProcessing="{stop}" {extra}>
          <match url=".*" />
          <conditions logicalGrouping="MatchAll" trackAllCaptures="false">
            <add input="{input_}" pattern="{pattern}" />
          </conditions>
          <action type="{action}" />
        </rule>"""


def web_config(rules: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- synthetic wwwroot web.config for lekdicht tests -->
<configuration>
  <system.webServer>
    <rewrite>
      <rules>{rules}
      </rules>
    </rewrite>
  </system.webServer>
</configuration>""".encode()


def by_id(results: list[MitigationStatus]) -> dict[str, MitigationStatus]:
    return {r.mitigation_id: r for r in results}


PNS = "CVE-2022-41040-autodiscover-powershell"
COOKIE = "CVE-2021-26855-backend-cookie"
CSP = "CVE-2026-42897-owa-csp"


def test_final_rules_are_strong() -> None:
    res = by_id(check_mitigations(web_config(COOKIE_RULES + pns_rule()), "inetpub/wwwroot/web.config"))
    assert res[COOKIE].status == "present_strong"
    assert res[COOKIE].rules == ["X-AnonResource-Backend Abort - inbound", "X-BEResource Abort - inbound"]
    assert res[PNS].status == "present_strong", res[PNS].reasons
    assert res[CSP].status == "missing"
    assert "CVE-2021-27065-ecp-apppool" not in res  # only for applicationHost.config


def test_renamed_rule_is_recognised_by_behaviour() -> None:
    res = by_id(check_mitigations(web_config(pns_rule(name="EEMS M1.1 PowerShell - inbound")), "w"))
    assert res[PNS].status == "present_strong"
    res = by_id(
        check_mitigations(web_config(pns_rule(name="my own rule", action="CustomResponse", extra="")), "w")
    )
    assert res[PNS].status == "present_strong"


@pytest.mark.parametrize(
    ("input_", "pattern", "expect"),
    [
        (
            "{REQUEST_URI}",
            r".*autodiscover\.json.*\@.*Powershell.*",
            "'@' requirement was trivially bypassed",
        ),
        (
            "{REQUEST_URI}",
            r".*autodiscover\.json.*Powershell.*",
            "raw {REQUEST_URI} input misses URL-encoded",
        ),
        (
            "{UrlDecode: {REQUEST_URI}}",
            r".*autodiscover\.json.*Powershell.*",
            "order- and extension-dependent",
        ),
        (
            "{UrlDecode:{REQUEST_URI}}",
            r".*autodiscover\.json.*Powershell.*",
            "order- and extension-dependent",
        ),
        ("{URL}", r".*autodiscover\.json.*\@.*Powershell.*", "does not contain the query string"),
        ("{REQUEST_URI}", "(?=.*autodiscover)(?=.*powershell)", "URL-encoded requests get past"),
    ],
)
def test_earlier_proxynotshell_variants_are_weak(input_: str, pattern: str, expect: str) -> None:
    res = by_id(check_mitigations(web_config(pns_rule(input_=input_, pattern=pattern)), "w"))
    st = res[PNS]
    assert st.status == "present_weak"
    assert any(expect in r for r in st.reasons), st.reasons
    assert any(r.startswith("does not stop") for r in st.reasons)


def test_disabled_wrong_action_and_stop_processing_are_weak() -> None:
    disabled = by_id(check_mitigations(web_config(pns_rule(extra='enabled="false"')), "w"))[PNS]
    assert disabled.status == "present_weak"
    assert any("is disabled" in r for r in disabled.reasons)
    wrong = by_id(check_mitigations(web_config(pns_rule(action="None")), "w"))[PNS]
    assert wrong.status == "present_weak"
    assert any("action None" in r for r in wrong.reasons)
    nostop = by_id(check_mitigations(web_config(COOKIE_RULES + pns_rule(stop="false")), "w"))[PNS]
    assert nostop.status == "present_weak"
    assert any("stopProcessing=false" in r for r in nostop.reasons)
    wildcard = by_id(check_mitigations(web_config(pns_rule(extra='patternSyntax="Wildcard"')), "w"))[PNS]
    assert wildcard.status == "present_weak"
    assert any("patternSyntax Wildcard" in r for r in wildcard.reasons)


def test_only_one_cookie_rule_is_weak() -> None:
    half = COOKIE_RULES.split("</rule>")[0] + "</rule>"
    st = by_id(check_mitigations(web_config(half), "w"))[COOKIE]
    assert st.status == "present_weak"
    assert any("X-BEResource" in r for r in st.reasons)


def test_missing_when_no_rewrite_rules() -> None:
    res = by_id(check_mitigations(b"<configuration><system.webServer/></configuration>", "w"))
    assert res[COOKIE].status == "missing"
    assert res[PNS].status == "missing"


@pytest.mark.parametrize(
    "blob",
    [
        b"<configuration><system.webServer>",
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x "y">]><configuration>&x;</configuration>',
        b"",
    ],
)
def test_malformed_or_hostile_xml_gives_an_error_result(blob: bytes) -> None:
    res = check_mitigations(blob, "broken/web.config")
    assert len(res) == 1
    assert res[0].status == "error"
    assert "broken/web.config" in res[0].reasons[0]


APPHOST = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- synthetic applicationHost.config for lekdicht tests -->
<configuration>
  <system.applicationHost>
    <applicationPools>
      <add name="MSExchangeECPAppPool" autoStart="false" startMode="OnDemand" managedRuntimeVersion="v4.0" />
      <add name="MSExchangeOABAppPool" startMode="OnDemand" managedRuntimeVersion="v4.0" />
      <add name="MSExchangeOWAAppPool" managedRuntimeVersion="v4.0" />
    </applicationPools>
  </system.applicationHost>
  <location path="Default Web Site">
    <system.webServer>
      <rewrite><rules>{COOKIE_RULES}</rules></rewrite>
    </system.webServer>
  </location>
  <location path="Default Web Site/owa">
    <system.webServer>
      <rewrite>
        <outboundRules>
          <preConditions>
            <preCondition name="EOMT OWA SPA HTML shell - precondition"
                          logicalGrouping="MatchAll" patternSyntax="ECMAScript">
              <add input="{{RESPONSE_CONTENT_TYPE}}" pattern="^text/html" />
              <add input="{{REQUEST_URI}}"
          pattern="^/owa/?($|\\?|default\\.aspx|projection\\.aspx|readingPane\\.aspx|popout\\.aspx)" />
            </preCondition>
          </preConditions>
          <rule name="EOMT OWA CSP - outbound" preCondition="EOMT OWA SPA HTML shell - precondition">
            <match serverVariable="RESPONSE_Content_Security_Policy" pattern="(.*)" />
            <action type="Rewrite" value="{{R:1}}; script-src-attr 'none'" />
          </rule>
        </outboundRules>
      </rewrite>
    </system.webServer>
  </location>
</configuration>""".encode()


def test_application_host_config_with_locations_and_pools() -> None:
    res = by_id(check_mitigations(APPHOST, "Windows/System32/inetsrv/config/applicationHost.config"))
    assert res[COOKIE].status == "present_strong"
    assert res[COOKIE].location == "Default Web Site"
    assert res[CSP].status == "present_strong", res[CSP].reasons
    assert res["CVE-2021-27065-ecp-apppool"].status == "present_strong"
    assert res["CVE-2021-26858-oab-apppool"].status == "present_weak"


def test_disabled_outbound_rule_is_weak() -> None:
    blob = APPHOST.replace(
        b'<rule name="EOMT OWA CSP - outbound"', b'<rule name="EOMT OWA CSP - outbound" enabled="false"'
    )
    st = by_id(check_mitigations(blob, "applicationHost.config"))[CSP]
    assert st.status == "present_weak"
    assert any("re-enable" in r for r in st.reasons)


def test_rule_older_than_installed_cu_is_noted() -> None:
    res = by_id(
        check_mitigations(
            web_config(COOKIE_RULES + pns_rule()),
            "inetpub/wwwroot/web.config",
            installed_build="15.1.2507.16",
            config_mtime=datetime(2022, 3, 1, tzinfo=UTC),
        )
    )
    notes = " ".join(res[PNS].notes)
    assert "older than the installed CU" in notes  # CU23 was released 2022-04-20
    assert "no longer needed" in notes  # Nov22SU contains the code fix
    res = by_id(
        check_mitigations(
            web_config(pns_rule()),
            "w",
            installed_build="15.1.2507.13",
            config_mtime=datetime(2022, 10, 8),
            cu_installed_at=datetime(2022, 11, 1),
        )
    )
    assert any("before the CU install" in n for n in res[PNS].notes)
    assert any("vulnerable" in n for n in res[COOKIE].notes) is False


def test_vdir_clearing_inherited_rules_weakens_the_combined_result() -> None:
    root = check_mitigations(web_config(COOKIE_RULES + pns_rule()), "inetpub/wwwroot/web.config")
    vdir = check_mitigations(
        b"<configuration><system.webServer><rewrite><rules><clear /></rules></rewrite>"
        b"</system.webServer></configuration>",
        "FrontEnd/HttpProxy/autodiscover/web.config",
    )
    assert all(s.clears_inherited for s in vdir if s.mitigation_id in (PNS, COOKIE))
    combined = by_id(combine_mitigations([root, vdir]))
    assert combined[PNS].status == "present_weak"
    assert any("clears or removes inherited" in r for r in combined[PNS].reasons)
    alone = by_id(combine_mitigations([root]))
    assert alone[PNS].status == "present_strong"


def test_to_json() -> None:
    doc = check_mitigations(web_config(pns_rule()), "w")[1].to_json()
    assert doc["mitigation_id"] == PNS
    assert doc["status"] == "present_strong"
