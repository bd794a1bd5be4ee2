"""The fast path finds exactly the attack lines the benchmark generator plants (bench/generate.py).

A small SYNTHETIC corpus (about 5 MB of Exchange HttpProxy, EWS, ECP and IIS logs written by the
generator) is scanned by lekdicht's log pass with worker processes; its findings (file, line,
rule id) must equal the generator's manifest: no misses, no extras. The naive baseline
(bench/naive.py: every line parsed, every rule run) must agree as well. No timing assertions.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lekdicht.evidence.source import open_evidence
from lekdicht.rules.ruleset import RuleSet
from lekdicht.scan.pipeline import ScanOptions, catalog_files, scan_logs

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, set[tuple[str, int, str]], dict[str, object]]:
    generate = _load("generate")
    out = tmp_path_factory.mktemp("corpus")
    meta = generate.generate(
        out, 5 << 20, seed=7, attack_share=0.002, min_each=1, pool_size=600, jobs=2, quiet=True
    )
    manifest = set()
    for line in (out / "planted.jsonl").read_text(encoding="utf-8").splitlines():
        m = json.loads(line)
        manifest.add((m["file"], m["line"], m["rule"]))
    return out, manifest, meta


def test_corpus_has_every_family_and_planted_attacks(corpus: tuple[Path, set, dict]) -> None:  # type: ignore[type-arg]
    out, manifest, meta = corpus
    assert set(meta["bytes_by_family"]) == {"httpproxy", "ews", "ecp", "iis/W3SVC1", "iis/W3SVC2"}  # type: ignore[call-overload]
    assert meta["benign_lines_dropped"] == {}, "benign generator traffic triggers a rule"
    assert len(manifest) >= 20
    planted_files = {f for f, _l, _r in manifest}
    assert any("/HttpProxy/" in f for f in planted_files)
    assert any("W3SVC1" in f for f in planted_files)


def test_scan_findings_equal_the_planted_lines(corpus: tuple[Path, set, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    out, manifest, _meta = corpus
    evidence = out / "evidence"
    options = ScanOptions(evidence=evidence, out=tmp_path / "case", workers=2)
    source = open_evidence(evidence, options.out)
    entries = catalog_files(source)
    assert entries and all(e.kind.is_log for e in entries)
    # force worker processes even for this small corpus
    import lekdicht.scan.pipeline as pipeline

    saved = pipeline.IN_PROCESS_BYTES
    pipeline.IN_PROCESS_BYTES = 0
    try:
        results = scan_logs(entries, RuleSet.load([]), options)
    finally:
        pipeline.IN_PROCESS_BYTES = saved
    assert not [r.error for r in results if r.error]
    found = {(f.evidence.path, f.evidence.line, f.rule_id) for r in results for f in r.findings}
    assert found - manifest == set(), "findings that were not planted"
    assert manifest - found == set(), "planted attack lines the scan missed"


def test_naive_baseline_agrees(corpus: tuple[Path, set, dict]) -> None:  # type: ignore[type-arg]
    out, manifest, meta = corpus
    naive = _load("naive")
    res = naive.naive_scan(out / "evidence")
    assert {tuple(f) for f in res["findings"]} == manifest
    assert res["records"] == meta["data_lines"]
