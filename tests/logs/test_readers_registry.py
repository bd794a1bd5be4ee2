"""The READERS registry covers every log kind."""

from __future__ import annotations

import io

from lekdicht.catalog.kinds import LOG_KINDS
from lekdicht.logs import READERS
from lekdicht.logs.base import ReadStats


def test_every_log_kind_has_a_reader() -> None:
    assert set(READERS) == set(LOG_KINDS)


def test_every_reader_survives_empty_and_garbage_input() -> None:
    for kind, reader in READERS.items():
        for data in (b"", b"\x00" * 100, b"#Fields: a b\n\xff\xff\n", bytes(range(256)) * 4):
            stats = ReadStats()
            records = list(reader(io.BytesIO(data), f"x/{kind.value}", stats))
            assert stats.records_parsed == len(records), kind
