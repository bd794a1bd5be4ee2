"""Loading Sigma rules from folders: every unusable rule is reported with a reason.

All rule files here are synthetic, written by these tests into tmp_path.
"""

from __future__ import annotations

import json
import pickle
import textwrap
from pathlib import Path

from lekdicht.catalog.kinds import TEXT_LOGSOURCES, ArtefactKind, LogSource
from lekdicht.model import Location, LogRecord
from lekdicht.rules.loader import load_rules, load_rules_from_text, rule_files
from lekdicht.rules.ruleset import RuleSet

IIS = TEXT_LOGSOURCES[ArtefactKind.IIS_W3C]
HTTPPROXY = TEXT_LOGSOURCES[ArtefactKind.HTTPPROXY]


def rule_yaml(
    rule_id: str,
    logsource: str = "{product: exchange, service: httpproxy}",
    detection: str = "sel:\n  UrlStem|contains: /ecp/y.js\ncondition: sel",
    extra: str = "",
    title: str | None = None,
) -> str:
    return (
        f"title: {title or 'rule ' + rule_id}\n"
        f"id: {rule_id}\n"
        f"logsource: {logsource}\n"
        "detection:\n" + textwrap.indent(detection, "    ") + "\n" + extra
    )


UUID_A = "6c0a5b5e-8a44-4b8e-9d51-0000000000a1"
UUID_B = "6c0a5b5e-8a44-4b8e-9d51-0000000000b2"
UUID_C = "6c0a5b5e-8a44-4b8e-9d51-0000000000c3"
UUID_D = "6c0a5b5e-8a44-4b8e-9d51-0000000000d4"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def reasons(result_unusable: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {Path(u.source).name: u.reason for u in result_unusable}


def test_unusable_rules_are_reported_with_reasons(tmp_path: Path) -> None:
    write(tmp_path, "good.yml", rule_yaml(UUID_A))
    write(tmp_path, "malformed.yml", "title: x\ndetection: [unclosed\n")
    write(
        tmp_path,
        "aggregation.yml",
        rule_yaml(UUID_B, detection="sel:\n  UrlStem: /x\ncondition: sel | count() > 5"),
    )
    write(tmp_path, "unknown_logsource.yml", rule_yaml(UUID_C, logsource="{product: linux, service: auditd}"))
    write(tmp_path, "zz_duplicate.yml", rule_yaml(UUID_A, title="second copy"))
    write(
        tmp_path,
        "bad_modifier.yml",
        rule_yaml(UUID_D, detection="sel:\n  UrlStem|nosuchmod: x\ncondition: sel"),
    )
    write(tmp_path, "no_detection.yml", "title: t\nlogsource: {product: exchange, service: ews}\n")
    write(tmp_path, "bad_verdict.yml", rule_yaml("bad-verdict-rule", extra="verdict: owned\n"))
    write(
        tmp_path,
        "undefined_ident.yml",
        rule_yaml("undefined-ident", detection="sel:\n  A: b\ncondition: other"),
    )
    write(tmp_path, "empty.yml", "")
    write(tmp_path, "bad_timestamp.yml", rule_yaml("bad-timestamp", extra="date: 2021-13-45\n"))
    write(tmp_path, "not_a_mapping.yml", "- just\n- a list\n")
    write(
        tmp_path,
        "correlation.yml",
        rule_yaml(UUID_D.replace("d4", "e5"))
        + "---\n"
        + "title: many\nid: 6c0a5b5e-8a44-4b8e-9d51-0000000000f6\ncorrelation:\n  type: event_count\n"
        + f"  rules: [{UUID_D.replace('d4', 'e5')}]\n  group-by: [ClientIpAddress]\n  timespan: 1h\n"
        + "  condition: {gte: 10}\n",
    )

    result = load_rules([tmp_path], include_builtin=False)
    got = reasons(result.unusable)
    assert [r.id for r in result.rules] == [UUID_D.replace("d4", "e5"), UUID_A]  # file order
    assert got["malformed.yml"].startswith("YAML error")
    assert "aggregation" in got["aggregation.yml"]
    assert got["unknown_logsource.yml"] == "no artefact provides logsource product=linux, service=auditd"
    assert got["zz_duplicate.yml"].startswith(f"duplicate rule id {UUID_A}")
    assert "nosuchmod" in got["bad_modifier.yml"]
    assert "detection" in got["no_detection.yml"]
    assert "verdict" in got["bad_verdict.yml"]
    assert "other" in got["undefined_ident.yml"]
    assert got["empty.yml"] == "file contains no Sigma rule"
    assert got["bad_timestamp.yml"].startswith("YAML error")
    assert "not a mapping" in got["not_a_mapping.yml"]
    assert got["correlation.yml"] == "correlation rules are not supported"
    by_name = {Path(u.source).name: u for u in result.unusable}
    assert by_name["zz_duplicate.yml"].rule_id == UUID_A
    assert by_name["unknown_logsource.yml"].rule_id == UUID_C
    assert result.loaded == {str(tmp_path): 2}


def test_multi_document_and_global_action(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        action: global
        title: shared
        logsource: {category: webserver}
        level: high
        ---
        id: 11111111-2222-4333-8444-555555555501
        detection:
            sel: {cs-uri-query|contains: /autodiscover.json}
            condition: sel
        ---
        id: 11111111-2222-4333-8444-555555555502
        detection:
            sel: {cs-uri-stem|contains: /mapi/nspi}
            condition: sel
        """
    )
    write(tmp_path, "collection.yaml", text)
    result = load_rules([tmp_path], include_builtin=False)
    assert not result.unusable
    assert [r.logsource for r in result.rules] == [LogSource(category="webserver")] * 2
    assert all(r.level.value == "high" for r in result.rules)


def test_recursive_sorted_and_hidden_skipped(tmp_path: Path) -> None:
    write(tmp_path, "b/two.yaml", rule_yaml(UUID_B))
    write(tmp_path, "a/one.yml", rule_yaml(UUID_A))
    write(tmp_path, ".github/workflows/ci.yml", "on: push\n")
    write(tmp_path, "a/readme.txt", "not a rule")
    assert [p.relative_to(tmp_path).as_posix() for p in rule_files(tmp_path)] == ["a/one.yml", "b/two.yaml"]
    result = load_rules([tmp_path], include_builtin=False)
    assert [r.id for r in result.rules] == [UUID_A, UUID_B]
    assert not result.unusable


def test_single_file_path_and_missing_path(tmp_path: Path) -> None:
    path = write(tmp_path, "one.yml", rule_yaml(UUID_A))
    missing = tmp_path / "missing"
    result = load_rules([path, missing], include_builtin=False)
    assert [r.id for r in result.rules] == [UUID_A]
    assert result.unusable[0].source == str(missing)
    assert result.unusable[0].reason == "rule path does not exist"


def test_metadata_errors_do_not_drop_rule() -> None:
    text = rule_yaml("lekdicht-proxylogon-ssrf", extra="date: 2021/13/45\nstatus: wobbly\n")
    result = load_rules_from_text(text)
    assert [r.id for r in result.rules] == ["lekdicht-proxylogon-ssrf"]
    assert not result.unusable
    messages = " ".join(w.message for w in result.warnings)
    assert "date" in messages and "status" in messages
    assert "UUID" not in messages


def test_rule_without_id_uses_title() -> None:
    text = (
        "title: No Id Rule\nlogsource: {category: webserver}\n"
        "detection:\n  s: {cs-method: PUT}\n  condition: s\n"
    )
    result = load_rules_from_text(text)
    assert [r.id for r in result.rules] == ["No Id Rule"]


def test_sigma_filter_is_applied(tmp_path: Path) -> None:
    write(tmp_path, "rule.yml", rule_yaml(UUID_A))
    write(
        tmp_path,
        "filter.yml",
        textwrap.dedent(
            f"""\
            title: ignore health probes
            logsource: {{product: exchange, service: httpproxy}}
            filter:
              rules: [{UUID_A}]
              selection:
                UserAgent|contains: HealthMonitor
              condition: not selection
            """
        ),
    )
    result = load_rules([tmp_path], include_builtin=False)
    assert not result.unusable, result.unusable
    (rule,) = result.rules
    hit = LogRecord({"UrlStem": "/ecp/y.js", "UserAgent": "Mozilla"}, Location("x"), "")
    probe = LogRecord({"UrlStem": "/ecp/y.js", "UserAgent": "HealthMonitor/1"}, Location("x"), "")
    assert rule.matcher(hit)
    assert not rule.matcher(probe)


def test_known_logsources() -> None:
    ok = [
        "{product: windows, service: security}",
        "{product: windows, category: process_creation}",
        "{category: process_creation}",
        "{product: windows, category: registry_set}",
        "{category: webserver}",
        "{category: webserver, product: apache}",
        "{product: windows, service: iis}",
        "{product: exchange, service: rps_cmdlet}",
        "{product: windows, service: msexchange-management}",
        "{product: windows}",
    ]
    for i, ls in enumerate(ok):
        result = load_rules_from_text(rule_yaml(f"known-{i}", logsource=ls))
        assert not result.unusable, (ls, result.unusable)
    bad = [
        "{product: linux}",
        "{service: apache}",
        "{product: windows, service: nosuch}",
        "{category: proxy}",
    ]
    for i, ls in enumerate(bad):
        result = load_rules_from_text(rule_yaml(f"unknown-{i}", logsource=ls))
        assert result.unusable and result.unusable[0].reason.startswith("no artefact provides logsource"), ls


# --- RuleSet ---------------------------------------------------------------------------------------


def _ruleset_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "user_rules"
    write(
        folder,
        "web.yml",
        rule_yaml(
            UUID_A,
            logsource="{category: webserver}",
            detection="s:\n  cs-uri-query|contains: /autodiscover.json\ncondition: s",
        ),
    )
    write(
        folder,
        "iis.yml",
        rule_yaml(
            UUID_B,
            logsource="{product: windows, service: iis}",
            detection="s:\n  cs-method: POST\ncondition: s",
        ),
    )
    write(folder, "proxy.yml", rule_yaml(UUID_C))
    write(folder, "apache.yml", rule_yaml(UUID_D, logsource="{category: webserver, product: apache}"))
    write(folder, "broken.yml", "::: not yaml :::\n  - [")
    return folder


def test_ruleset_routing_and_summary(tmp_path: Path) -> None:
    folder = _ruleset_folder(tmp_path)
    rs = RuleSet.load([folder], include_builtin=False)
    assert len(rs) == 4
    assert {r.id for r in rs.rules_for(IIS)} == {UUID_A, UUID_B}
    assert [r.id for r in rs.rules_for(HTTPPROXY)] == [UUID_C]
    assert rs.rules_for(LogSource(product="windows", service="security")) == []
    assert rs.rules_for(IIS) is rs.rules_for(IIS)  # cached
    summary = rs.summary()
    assert summary["loaded"] == 4
    assert summary["loaded_by_source"] == {str(folder): 4}
    assert [Path(u["source"]).name for u in summary["unusable"]] == ["broken.yml"]
    assert summary["unusable"][0]["reason"].startswith("YAML error")
    json.dumps(summary)


def test_ruleset_selector_and_pickle(tmp_path: Path) -> None:
    folder = _ruleset_folder(tmp_path)
    rs = RuleSet.load([folder], include_builtin=False)
    iis = rs.selector_for(IIS, engine="re")
    assert iis is not None and {lit.text for lit in iis.literals} == {"post", "/autodiscover.json"}
    sel = rs.selector_for(HTTPPROXY, engine="re")
    assert sel is not None and sel.engine == "re"
    assert sel.select(b"a\nGET /ecp/y.js\n") == [(2, 15)]
    clone = pickle.loads(pickle.dumps(rs))
    assert [r.id for r in clone] == [r.id for r in rs]
    record = LogRecord({"UrlStem": "/ecp/y.js"}, Location("x"), "/ecp/y.js")
    assert clone.rules_for(HTTPPROXY)[0].matcher(record)
    write(
        folder,
        "nolit.yml",
        rule_yaml(
            UUID_D.replace("d4", "d5"),
            logsource="{category: webserver}",
            detection="s:\n  sc-status|gte: 500\ncondition: s",
        ),
    )
    assert RuleSet.load([folder], include_builtin=False).selector_for(IIS) is None


def test_ruleset_from_yaml_is_not_picklable() -> None:
    rs = RuleSet.from_yaml(rule_yaml(UUID_A))
    assert len(rs) == 1
    try:
        pickle.dumps(rs)
    except TypeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("expected TypeError")


def test_builtin_rules_are_counted_under_their_label(tmp_path: Path) -> None:
    folder = _ruleset_folder(tmp_path)
    with_builtin = RuleSet.load([folder])
    summary = with_builtin.summary()
    assert summary["loaded_by_source"][str(folder)] == 4
    assert "builtin" in summary["loaded_by_source"]
    assert summary["loaded"] == sum(summary["loaded_by_source"].values())
    builtin_sources = [r.source for r in with_builtin if not r.source.startswith(str(folder))]
    assert all(src.startswith("rules/sigma/") for src in builtin_sources)


def test_placeholders_expand_and_unknown_ones_are_reported() -> None:
    text = (
        rule_yaml(
            UUID_A,
            logsource="{category: webserver}",
            detection=(
                "sel:\n  cs-uri-stem|startswith: /owa/auth/\nfilter:\n  cs-uri-stem|expand: '%known_pages%'\n"
                "condition: sel and not filter"
            ),
        )
        + "---\n"
        + rule_yaml(UUID_B, detection="sel:\n  UrlStem|expand: '%no_such_list%'\ncondition: sel")
    )
    result = load_rules_from_text(
        text, placeholders={"known_pages": ["/owa/auth/logon.aspx", "/owa/auth/x*.js"]}
    )
    (rule,) = result.rules
    assert [(u.rule_id, "no_such_list" in u.reason) for u in result.unusable] == [(UUID_B, True)]

    def hit(stem: str) -> bool:
        return rule.matcher(LogRecord({"cs-uri-stem": stem}, Location("x"), stem))

    assert not hit("/owa/auth/LOGON.aspx")
    assert not hit("/owa/auth/xyz.js")
    assert hit("/owa/auth/shell.aspx")


def test_name_is_the_rule_id_and_duplicates_by_uuid_or_name_are_reported() -> None:
    first = rule_yaml(UUID_A, extra="name: PL1-ssrf-example\n")
    same_uuid = rule_yaml(UUID_A, extra="name: PL1-other-name\n")
    same_name = rule_yaml(UUID_B, extra="name: PL1-ssrf-example\n")
    result = load_rules_from_text([("a.yml", first), ("b.yml", same_uuid), ("c.yml", same_name)])
    assert [r.id for r in result.rules] == ["PL1-ssrf-example"]
    assert [(u.source, u.reason.split(" (")[0]) for u in result.unusable] == [
        ("b.yml", f"duplicate rule id {UUID_A}"),
        ("c.yml", "duplicate rule id PL1-ssrf-example"),
    ]
