"""The answers file: template, validation with clear errors, missing answers, terminal prompting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from breach_support import answers_doc, make_report

from lekdicht.breach.answers import (
    BY_KEY,
    FIELDS,
    Answers,
    AnswersError,
    load_answers,
    parse_answers,
    parse_count,
    parse_datetime,
    prompt_missing,
    template,
)
from lekdicht.breach.assessment import assess


def test_template_loads_and_fills_nothing() -> None:
    answers = parse_answers(yaml.safe_load(template()))
    assert set(answers.values) == {"timezone"}
    a = assess(make_report(), answers, datetime(2021, 3, 5, tzinfo=UTC))
    required = {f.key for f in FIELDS if f.required}
    assert required <= {m.key for m in a.missing}
    for key in required:
        v = a.answer(key)
        assert v.status == "missing" and v.value is None


def test_template_names_every_answer_and_ap_question() -> None:
    text = template()
    for f in FIELDS:
        assert f"{f.key.rpartition('.')[2]}:" in text
        if f.ap:
            assert f"(AP {f.ap})" in text


def test_complete_answers_parse() -> None:
    a = parse_answers(answers_doc())
    aware = a.get("timeline.aware_at")
    assert aware.tzinfo is not None and aware.utcoffset().total_seconds() == 3600
    assert a.get("data_subjects.count").low == 2000 and a.get("data_subjects.count").high == 3000
    assert a.get("notification.other_regulators") == []  # an explicit empty list means "none"
    assert a.value("organisation.name").status == "given"


def test_every_problem_is_reported_with_its_key() -> None:
    doc: dict[str, Any] = answers_doc(
        organisaton={"name": "typo"},
        timeline={"how_discovered": "scanner", "aware_at": "yesterday"},
        data_subjects={"count": "lots"},
        personal_data={"categories": ["name", "salary"]},
    )
    with pytest.raises(AnswersError) as exc:
        parse_answers(doc)
    problems = "\n".join(exc.value.problems)
    assert "organisaton: unknown key (did you mean 'organisation" in problems
    assert "timeline.how_discovered: 'scanner' is not one of" in problems
    assert "timeline.aware_at: not an ISO 8601 time" in problems
    assert "data_subjects.count: not a number or range" in problems
    assert "personal_data.categories: 'salary' is not one of" in problems


def test_naive_time_needs_a_time_zone() -> None:
    with pytest.raises(AnswersError, match="no UTC offset"):
        parse_answers(answers_doc(timezone=None))
    ok = parse_answers(
        answers_doc(
            timezone=None,
            timeline={"aware_at": "2021-03-04T09:30:00+01:00", "discovered_at": "2021-03-04T08:00:00Z"},
        )
    )
    assert ok.get("timeline.aware_at").utcoffset().total_seconds() == 3600


def test_dst_gap_and_overlap_are_refused() -> None:
    zone = parse_answers({"timezone": "Europe/Amsterdam"}).tz()
    with pytest.raises(ValueError, match="does not exist"):
        parse_datetime("2021-03-28 02:30", zone)
    with pytest.raises(ValueError, match="ambiguous"):
        parse_datetime("2021-10-31 02:30", zone)
    assert parse_datetime("2021-03-28 03:30", zone).utcoffset().total_seconds() == 7200


def test_yaml_timestamps_are_accepted() -> None:
    a = parse_answers(
        yaml.safe_load("timezone: Europe/Amsterdam\ntimeline:\n  aware_at: 2021-03-04 09:30:00\n")
    )
    assert a.get("timeline.aware_at") == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "low", "high"),
    [
        (250, 250, 250),
        ("1.200", 1200, 1200),
        ("200-300", 200, 300),
        ("200 tot 300", 200, 300),
        ({"min": 5, "max": 9}, 5, 9),
    ],
)
def test_counts(raw: object, low: int, high: int) -> None:
    c = parse_count(raw)
    assert (c.low, c.high) == (low, high)


def test_dpc_adjustment_needs_a_reason() -> None:
    with pytest.raises(AnswersError, match="needs a 'reason'"):
        parse_answers({"enisa": {"dpc_adjustments": {"financial": {"score": 4}}}})
    with pytest.raises(AnswersError, match="outside 1-4"):
        parse_answers({"enisa": {"dpc_adjustments": {"financial": {"score": 5, "reason": "x"}}}})


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.yml"
    path.write_text("organisation:\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(AnswersError, match="not valid YAML at line"):
        load_answers(path)


def test_prompt_asks_only_for_missing_answers_and_keeps_blanks_missing() -> None:
    answers = Answers()
    replies = iter(["Voorbeeld B.V.", "", "bogus", "ioc_scan"])
    asked: list[str] = []
    errors: list[str] = []

    def ask(text: str, **_: object) -> str:
        asked.append(text)
        return next(replies)

    done = prompt_missing(
        answers, ["organisation.name", "organisation.sector", "timeline.how_discovered"], ask, errors.append
    )
    assert done == ["organisation.name", "timeline.how_discovered"]
    assert answers.get("organisation.sector") is None
    assert answers.origin["organisation.name"] == "terminal"
    assert len(asked) == 4 and errors and "not one of" in errors[0]
    assert BY_KEY["timeline.how_discovered"].label in asked[2]


def test_prompt_asks_the_time_zone_before_a_time() -> None:
    answers = Answers()
    replies = iter(["Europe/Amsterdam", "2021-03-04 09:30"])
    done = prompt_missing(answers, ["timeline.aware_at"], lambda text, **_: next(replies), lambda _: None)
    assert done == ["timezone", "timeline.aware_at"]
    assert answers.get("timeline.aware_at") == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
