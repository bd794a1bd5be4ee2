"""Conventions every built-in Sigma rule keeps (rules/sigma/README.md) and that the scan depends on."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from lekdicht.model import Verdict
from lekdicht.rules.loader import BUILTIN_DIR, rule_files
from lekdicht.rules.ruleset import RuleSet

TESTS = Path(__file__).resolve().parent
CHAIN_FOLDERS = ("proxylogon", "proxyshell", "proxynotshell", "proxytoken")
CHAIN_PREFIXES = ("PL", "PS", "PN")


def _documents() -> list[tuple[str, dict[str, object]]]:
    out = []
    for path in rule_files(BUILTIN_DIR):
        rel = path.relative_to(BUILTIN_DIR).as_posix()
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if isinstance(doc, dict):
                out.append((rel, doc))
    return out


DOCS = _documents()
RULESET = RuleSet.load([])


def test_every_builtin_rule_loads() -> None:
    assert RULESET.unusable == []
    assert len(RULESET.rules) == len(DOCS)


@pytest.mark.parametrize(("source", "doc"), DOCS, ids=[str(d.get("name")) for _, d in DOCS])
def test_rule_document_conventions(source: str, doc: dict[str, object]) -> None:
    name = str(doc["name"])
    assert doc["id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "lekdicht:" + name)), (
        "id must be uuid5 of the name"
    )
    assert Verdict(str(doc["verdict"]))
    assert doc.get("references"), "every rule cites a reference"
    assert doc.get("description") and doc.get("title")
    tags = [str(t) for t in doc.get("tags") or []]  # type: ignore[union-attr]
    assert any(t.startswith("attack.t") for t in tags), "every rule carries an ATT&CK technique"
    if source.split("/")[0] in CHAIN_FOLDERS or name.startswith(CHAIN_PREFIXES):
        assert any(t.startswith("cve.") for t in tags), "exploitation-chain rules carry their CVEs"


def test_every_builtin_rule_is_prefilterable() -> None:
    """A rule without literals would force full parsing of its whole log type."""
    assert [r.id for r in RULESET.rules if r.literals is None] == []
    for rule in RULESET.rules:
        assert rule.literals is not None
        assert all(len(lit.text) >= 3 for lit in rule.literals), rule.id


def test_compiled_findings_metadata() -> None:
    for rule in RULESET.rules:
        assert rule.attack, rule.id
        assert rule.references, rule.id
        if rule.id.startswith(CHAIN_PREFIXES):
            assert rule.cves, rule.id


def test_every_builtin_rule_is_exercised_by_a_content_test() -> None:
    """Each rule name appears in the rule-content tests (which hold its positive and negative samples)."""
    text = "\n".join(p.read_text("utf-8") for p in TESTS.glob("test_*.py") if p.name != Path(__file__).name)
    missing = [r.id for r in RULESET.rules if r.id not in text]
    assert missing == []
