"""The fast header/blank-line finder of the text engine agrees with the regular expression.

All blocks here are synthetic, written for these tests.
"""

from __future__ import annotations

import random

import pytest

from lekdicht.logs import _textlog


def _reference(block: bytes) -> list[int]:
    return [m.start() for m in _textlog._SPECIAL.finditer(block)]


@pytest.mark.skipif(_textlog._special_db() is None, reason="no hyperscan")
def test_special_breaks_match_the_regex_on_random_blocks() -> None:
    rng = random.Random(11)
    alphabet = [b"\n", b"\r", b"#", b"a", b" ", b"\r\n", b"\n#x", b"\n\n", b"\n\r\n", b"#Fields: x\r\n"]
    for _ in range(3000):
        block = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert _textlog._special_breaks(block) == _reference(block), block


def test_specials_without_hyperscan(monkeypatch: pytest.MonkeyPatch) -> None:
    block = b"#h\r\nx\r\n\r\n#h2\n\nlast\r"
    want = _textlog._specials(block, True)
    monkeypatch.setattr(_textlog, "_SPECIAL_DB", [None])
    assert _textlog._specials(block, True) == want == ([0, 9], 2)
