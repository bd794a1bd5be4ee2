"""Text-preserving edits of IIS configuration files (configedit): placement, indentation, line
endings, replacement of weak rules, refusal of files lekdicht must not touch, and removal."""

from __future__ import annotations

import pytest
from mitigate_support import ALL_CONFIG_IDS, BOM, fixture_bytes, rule_names, statuses

from lekdicht.mitigate.configedit import MARKER, plan_edit, remove_ours
from lekdicht.mitigate.xmltext import XmlRefused, load_config_text

COOKIE = "CVE-2021-26855-backend-cookie"
PNS = "CVE-2022-41040-autodiscover-powershell"
CSP = "CVE-2026-42897-owa-csp"

FIXTURE_NAMES = [
    "web.config",
    "web-no-rewrite.config",
    "web-minimal.config",
    "web-weak-pns.config",
    "applicationHost.config",
]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_plan_makes_every_mitigation_strong_and_is_idempotent(name: str, variant: str) -> None:
    data = fixture_bytes(name, variant)
    plan = plan_edit(data, name, ALL_CONFIG_IDS)
    assert plan.problems == []
    assert plan.changed
    new = plan.new_bytes
    after = statuses(new, name)
    assert all(after[m] == "present_strong" for m in ALL_CONFIG_IDS), after
    # same encoding and line endings as the original
    assert new.startswith(BOM) == data.startswith(BOM)
    if b"\r\n" in data:
        assert new.count(b"\n") == new.count(b"\r\n")
    else:
        assert b"\r" not in new
    # applying again plans nothing
    again = plan_edit(new, name, ALL_CONFIG_IDS)
    assert not again.changed
    assert {c.action for c in again.changes} == {"keep"}
    # the file's own text is still there, in order
    old_lines = data.decode("utf-8-sig").splitlines()
    new_lines = new.decode("utf-8-sig").splitlines()
    it = iter(new_lines)
    replaced = b"PowerShell - inbound" in data  # the weak fixture's rule is rewritten in place
    if not replaced:
        assert all(any(line == n for n in it) for line in old_lines)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_removal_restores_the_original_bytes(name: str, variant: str) -> None:
    data = fixture_bytes(name, variant)
    plan = plan_edit(data, name, ALL_CONFIG_IDS)
    removal = remove_ours(plan.new_bytes, plan.records, plan.created)
    assert removal.left == []
    assert removal.data == data


def test_existing_rules_are_kept_and_ours_go_first() -> None:
    data = fixture_bytes("web.config")
    plan = plan_edit(data, "web.config", [COOKIE, PNS])
    names = rule_names(plan.new_bytes)
    assert names == [
        "X-AnonResource-Backend Abort - inbound",
        "X-BEResource Abort - inbound",
        "PowerShell - inbound",
        "Root to OWA",
        "Block TRACE",
    ]
    text = plan.new_text
    # our rules use the file's indentation (2 spaces) and carry the marker comment
    assert (
        '\n        <rule name="PowerShell - inbound" stopProcessing="true">\n          <match url=".*" />'
        in text
    )
    assert text.count(MARKER) == 3
    # the admin's rule with an escaped attribute value is byte-identical
    assert 'statusDescription="TRACE is disabled &amp; logged"' in text
    # the non-inherited location block was not used for our rules
    loc_end = text.index("</location>")
    assert text.index("X-BEResource Abort - inbound") > loc_end


def test_weak_rule_with_our_name_is_replaced_in_place() -> None:
    data = fixture_bytes("web-weak-pns.config")
    assert statuses(data)[PNS] == "present_weak"
    plan = plan_edit(data, "web.config", [PNS])
    assert [(c.action, c.name) for c in plan.changes] == [("replace", "PowerShell - inbound")]
    assert statuses(plan.new_bytes)[PNS] == "present_strong"
    assert rule_names(plan.new_bytes) == ["PowerShell - inbound", "Root to OWA"]
    assert ".*autodiscover\\.json.*Powershell.*" not in plan.new_text
    assert plan.records[0]["replaced"].startswith('<rule name="PowerShell - inbound"')
    assert "(the rule it had replaced is back)" in remove_ours(plan.new_bytes, plan.records, []).restored[0]


def test_strong_rule_with_our_name_but_other_spelling_is_kept() -> None:
    data = fixture_bytes("web.config").replace(
        b"      <rules>\n",
        b"      <rules>\n"
        b'        <rule name="PowerShell - inbound" patternSyntax="ECMAScript" stopProcessing="true">'
        b'<match url=".*" /><conditions logicalGrouping="MatchAll">'
        b'<add input="{UrlDecode:{REQUEST_URI}}" pattern="(?=.*autodiscover)(?=.*powershell)" ignoreCase="true" />'
        b'</conditions><action type="AbortRequest" /></rule>\n',
    )
    assert statuses(data)[PNS] == "present_strong"
    plan = plan_edit(data, "web.config", [PNS])
    assert not plan.changed
    assert plan.changes[0].action == "keep"


def test_other_weak_rule_is_left_alone_with_a_note() -> None:
    weak = (
        b'        <rule name="RequestBlockingRule1" stopProcessing="true">\n'
        b'          <match url=".*" />\n'
        b'          <conditions><add input="{URL}" pattern=".*autodiscover\\.json.*\\@.*Powershell.*" /></conditions>\n'
        b'          <action type="AbortRequest" />\n'
        b"        </rule>\n"
    )
    data = fixture_bytes("web.config").replace(b"      </rules>\n", weak + b"      </rules>\n")
    plan = plan_edit(data, "web.config", [PNS])
    assert plan.problems == []
    assert any("RequestBlockingRule1" in n for n in plan.notes)
    assert "RequestBlockingRule1" in rule_names(plan.new_bytes)
    assert plan.new_text.count("RequestBlockingRule1") == 1


def test_rules_go_after_clear() -> None:
    data = fixture_bytes("web.config").replace(b"      <rules>\n", b"      <rules>\n        <clear />\n")
    plan = plan_edit(data, "web.config", [COOKIE])
    text = plan.new_text
    assert text.index("<clear />") < text.index(MARKER)


@pytest.mark.parametrize(
    "rules",
    [b"<rules />", b"<rules></rules>", b"<rules>\n      </rules>"],
    ids=["self-closing", "empty", "blank"],
)
def test_empty_rules_element(rules: bytes) -> None:
    data = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- synthetic -->\n<configuration>\n  <system.webServer>\n'
        b"    <rewrite>\n      " + rules + b"\n    </rewrite>\n  </system.webServer>\n</configuration>\n"
    )
    plan = plan_edit(data, "web.config", [COOKIE])
    assert statuses(plan.new_bytes)[COOKIE] == "present_strong"
    assert '\n        <rule name="X-AnonResource-Backend Abort - inbound"' in plan.new_text
    back = remove_ours(plan.new_bytes, plan.records, plan.created).data
    assert load_config_text(back)
    if rules == b"<rules />":
        assert back == data


def test_apphost_without_location_gets_one(variant: str) -> None:
    data = fixture_bytes("applicationHost.config", variant)
    text = data.decode("utf-8-sig")
    start = text.index('    <location path="Default Web Site">')
    end = text.index("</location>", start) + len("</location>") + (2 if "\r\n" in text else 1)
    stripped = text[:start] + text[end:]
    data2 = (BOM if data.startswith(BOM) else b"") + stripped.encode()
    plan = plan_edit(data2, "applicationHost.config", [COOKIE])
    assert plan.problems == []
    assert '    <location path="Default Web Site">' in plan.new_text
    assert statuses(plan.new_bytes, "applicationHost.config")[COOKIE] == "present_strong"
    assert remove_ours(plan.new_bytes, plan.records, plan.created).data == data2


def test_apphost_checks_site_and_rewrite_module() -> None:
    data = fixture_bytes("applicationHost.config")
    plan = plan_edit(data, "applicationHost.config", [COOKIE], site="Contoso Site")
    assert plan.problems and "Contoso Site" in plan.problems[0]
    assert not plan.changed
    no_module = data.replace(b'<sectionGroup name="rewrite">', b'<sectionGroup name="rewrite-gone">')
    plan = plan_edit(no_module, "applicationHost.config", [COOKIE])
    assert any("URL Rewrite module is not installed" in p for p in plan.problems)
    no_owa = data.replace(b'<application path="/owa"', b'<application path="/owa-old"')
    plan = plan_edit(no_owa, "applicationHost.config", [CSP])
    assert any("/owa application" in p for p in plan.problems)


def test_same_name_elsewhere_in_the_file_is_a_problem() -> None:
    extra = (
        b'  <location path="." inheritInChildApplications="false">\n    <system.webServer>\n      <rewrite>\n'
        b'        <rules>\n          <rule name="X-BEResource Abort - inbound"><match url="x" />'
        b'<action type="None" /></rule>\n        </rules>\n      </rewrite>\n    </system.webServer>\n'
        b"  </location>\n</configuration>"
    )
    data = fixture_bytes("web.config").replace(b"</configuration>", extra)
    plan = plan_edit(data, "web.config", [COOKIE])
    assert any("already exists" in p and "500.19" in p for p in plan.problems)


@pytest.mark.parametrize(
    "bad",
    [
        b"<configuration><system.webServer></configuration>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><configuration>&a;</configuration>',
        b"<notconfiguration />",
        "<configuration>\ufeff</configuration>".encode("utf-16"),
        b"<configuration>\xff</configuration>",
        b'<?xml version="1.0" encoding="windows-1252"?><configuration />',
    ],
    ids=["malformed", "dtd", "other-root", "utf16", "not-utf8", "declared-1252"],
)
def test_refuses_files_it_must_not_edit(bad: bytes) -> None:
    with pytest.raises(XmlRefused):
        plan_edit(bad, "web.config", [COOKIE])


def test_refuses_rules_kept_in_another_file() -> None:
    data = fixture_bytes("web-no-rewrite.config").replace(
        b"        <httpProtocol>",
        b'        <rewrite>\n            <rules configSource="rewrite.config" />\n'
        b"        </rewrite>\n        <httpProtocol>",
    )
    with pytest.raises(XmlRefused, match="configSource"):
        plan_edit(data, "web.config", [COOKIE])


def test_nothing_targeted_changes_nothing() -> None:
    data = fixture_bytes("web.config")
    plan = plan_edit(data, "web.config", [])
    assert not plan.changed
    assert plan.diff() == ""


def test_default_namespace_on_configuration() -> None:
    data = (
        b'<?xml version="1.0"?>\n<!-- synthetic ASP.NET 2.0-style web.config -->\n'
        b'<configuration xmlns="http://schemas.microsoft.com/.NetConfiguration/v2.0">\n'
        b"  <system.webServer>\n    <rewrite>\n      <rules>\n"
        b'        <rule name="A"><match url="^x$" /><action type="None" /></rule>\n'
        b"      </rules>\n    </rewrite>\n  </system.webServer>\n</configuration>\n"
    )
    plan = plan_edit(data, "web.config", [COOKIE, CSP])
    assert plan.problems == []
    assert statuses(plan.new_bytes)[COOKIE] == "present_strong"
    assert remove_ours(plan.new_bytes, plan.records, plan.created).data == data


def test_same_name_in_global_rules_is_no_conflict() -> None:
    data = fixture_bytes("applicationHost.config").replace(
        b'name="Block old TLS probe"', b'name="X-BEResource Abort - inbound"'
    )
    plan = plan_edit(data, "applicationHost.config", [COOKIE])
    assert plan.problems == []
    assert statuses(plan.new_bytes, "applicationHost.config")[COOKIE] == "present_strong"
