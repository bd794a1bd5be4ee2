"""Fixtures for the mitigate tests (helpers live in mitigate_support.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from mitigate_support import DEMO_EVIDENCE  # noqa: E402


@pytest.fixture(params=["lf", "crlf_bom"])
def variant(request: pytest.FixtureRequest) -> str:
    """Each fixture as stored (LF, no BOM) and in Windows style (CRLF with a UTF-8 BOM)."""
    value: str = request.param
    return value


@pytest.fixture(scope="session")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of demo/evidence and the case folder of a scan of it: (evidence, case)."""
    if not DEMO_EVIDENCE.is_dir():
        pytest.skip("demo/evidence not available")
    from lekdicht.scan.pipeline import ScanOptions
    from lekdicht.scan.run import scan_and_report

    base = tmp_path_factory.mktemp("demo")
    evidence = base / "evidence"
    shutil.copytree(DEMO_EVIDENCE, evidence)
    case = base / "case"
    case.mkdir()
    scan_and_report(ScanOptions(evidence=evidence, out=case, workers=1))
    return evidence, case
