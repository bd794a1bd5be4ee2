"""Fixtures shared by the reader tests (no data of their own).

The project runs pytest with ``--import-mode=importlib``, so helpers are handed out as fixtures.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import pytest

from lekdicht.logs.base import LineSelector, ReadStats
from lekdicht.model import LogRecord

DATASETS = Path(__file__).parents[2] / ".." / "shared" / "datasets"


class _Reader(Protocol):
    def __call__(
        self, stream: BinaryIO, path: str, stats: ReadStats, selector: LineSelector | None = None
    ) -> Iterator[LogRecord]: ...


def run_reader(
    reader: _Reader, data: bytes, selector: LineSelector | None = None, path: str = "evidence/test.log"
) -> tuple[list[LogRecord], ReadStats]:
    """Run a reader over in-memory bytes and return (records, stats)."""
    stats = ReadStats()
    records = list(reader(io.BytesIO(data), path, stats, selector))
    return records, stats


class ContainsSelector:
    """Fake prefilter: selects lines containing any of the needles; checks the block contract."""

    def __init__(self, *needles: bytes) -> None:
        self.needles = needles
        self.literals = tuple(n.decode("latin-1") for n in needles)
        self.blocks: list[bytes] = []

    def select(self, block: bytes) -> list[tuple[int, int]]:
        self.blocks.append(block)
        starts: set[int] = set()
        for needle in self.needles:
            i = block.find(needle)
            while i >= 0:
                starts.add(block.rfind(b"\n", 0, i) + 1)
                i = block.find(needle, i + 1)
        spans = []
        for s in sorted(starts):
            e = block.find(b"\n", s)
            spans.append((s, len(block) if e < 0 else e))
        return spans


def dataset(*parts: str) -> Path:
    """Path of a shared dataset file; skips the test when the datasets folder is absent."""
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"dataset not available: {'/'.join(parts)}")
    return path


RunReader = Callable[..., tuple[list[LogRecord], ReadStats]]


@pytest.fixture
def run() -> RunReader:
    """``run(reader, data, selector=None, path=...) -> (records, stats)``."""
    return run_reader


@pytest.fixture
def contains() -> type[ContainsSelector]:
    """The fake prefilter class: ``contains(b"needle", ...)``."""
    return ContainsSelector


@pytest.fixture
def ds() -> Callable[..., Path]:
    """``ds("plaso-iis", "iis6.log")``: a shared dataset path, or skip when absent."""
    return dataset
