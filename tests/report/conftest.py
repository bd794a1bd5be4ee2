"""Fixtures for the report tests: the demo case scanned once, headless Chromium, a markup checker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lekdicht.scan.pipeline import ScanOptions
from lekdicht.scan.run import scan_and_report

REPO = Path(__file__).resolve().parents[2]
DEMO_EVIDENCE = REPO / "demo" / "evidence"


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The report.json document of the bundled synthetic demo evidence."""
    out = tmp_path_factory.mktemp("democase")
    return scan_and_report(ScanOptions(evidence=DEMO_EVIDENCE, out=out, workers=1)).report


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium (installed when allowed, see ``chromium.py``); skips when unavailable."""
    from report.chromium import Chromium, ensure_chromium

    binary, reason = ensure_chromium()
    if binary is None:
        pytest.skip(reason)
    yield Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))
