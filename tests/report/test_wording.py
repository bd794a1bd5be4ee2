"""Shared wording (terminal and HTML) and the HTML report's fixed text: complete in both languages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rich.console import Console

from lekdicht.report.html.strings import _TEXT
from lekdicht.report.terminal import VERDICT_STYLE, print_summary
from lekdicht.report.wording import ADVICE, LANGS, TIER_LABEL, VERDICT_LABEL, VERDICT_SENTENCE, VERDICTS


def test_every_verdict_has_words_and_three_to_five_steps_in_both_languages() -> None:
    for lang in LANGS:
        assert set(VERDICT_LABEL[lang]) == set(VERDICTS) == set(VERDICT_SENTENCE[lang]) == set(ADVICE[lang])
        for verdict in VERDICTS:
            assert 3 <= len(ADVICE[lang][verdict]) <= 5, (lang, verdict)
        assert set(TIER_LABEL[lang]) == {"exploited", "suspicious", "attempted", "probe", "info"}


def test_dutch_and_english_texts_have_the_same_placeholders() -> None:
    for key, (en, nl) in _TEXT.items():
        assert en or key.endswith("_note"), key
        if nl:
            assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", nl)), key


def test_terminal_uses_the_shared_wording(demo_report: dict[str, Any], tmp_path: Path) -> None:
    assert VERDICT_STYLE["compromised"][1:] == (
        VERDICT_LABEL["en"]["compromised"],
        VERDICT_SENTENCE["en"]["compromised"],
    )
    console = Console(record=True, width=200)
    print_summary(demo_report, tmp_path, console)
    out = console.export_text()
    assert "COMPROMISED" in out and ADVICE["en"]["compromised"][0] in out
