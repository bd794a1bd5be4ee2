"""Fixtures for the breach tests: a real report.json from scanning the demo evidence (once).

Also makes the breach test helpers (``breach_support``) importable whatever pytest's import mode.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from breach_support import DEMO  # noqa: E402

from lekdicht.scan.pipeline import ScanOptions  # noqa: E402
from lekdicht.scan.run import scan_and_report  # noqa: E402


@pytest.fixture(scope="session")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A case folder with report.json from scanning the demo evidence (done once)."""
    out = tmp_path_factory.mktemp("demo-case")
    scan_and_report(ScanOptions(evidence=DEMO, out=out, workers=1))
    assert (out / "report.json").is_file()
    return out


@pytest.fixture
def demo_report(demo_case: Path) -> dict[str, Any]:
    """The demo report.json document (a fresh copy)."""
    doc: dict[str, Any] = json.loads((demo_case / "report.json").read_text(encoding="utf-8"))
    return doc
