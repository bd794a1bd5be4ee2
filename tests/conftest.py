"""Shared test fixtures: where the public sample data lives (skip cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATASETS = (REPO / ".." / "shared" / "datasets").resolve()


@pytest.fixture
def datasets() -> Path:
    """The shared/datasets folder; tests using it skip when it is not there."""
    if not DATASETS.is_dir():
        pytest.skip("shared/datasets not available")
    return DATASETS
