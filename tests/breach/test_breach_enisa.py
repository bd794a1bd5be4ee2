"""ENISA severity (SE = DPC × EI + CB): tables and worked examples from the reference, section 5."""

from __future__ import annotations

import pytest

from lekdicht.breach import enisa
from lekdicht.breach.enisa import ScoreInput, cb_points, dpc_score, ei_value, level_for, severity


def test_dpc_base_scores_and_ranges() -> None:
    t = enisa.tables()
    assert {k: (c.base, c.low, c.high) for k, c in t.dpc.items()} == {
        "simple": (1, 1, 4),
        "behavioural": (2, 1, 4),
        "financial": (3, 1, 4),
        "sensitive": (4, 1, 4),
    }


@pytest.mark.parametrize(
    ("category", "adjustment", "score"),
    [
        ("simple", "profiling", 2),
        ("simple", "sensitive_assumptions", 3),
        ("simple", "vulnerable_safety", 4),
        ("behavioural", "no_insight", 1),
        ("behavioural", "daily_life_profile", 3),
        ("behavioural", "sensitive_profile", 4),
        ("financial", "customer_only", 1),
        ("financial", "account_number_only", 2),
        ("financial", "fraud_or_detailed_profile", 4),
        ("sensitive", "assumptions_sensitive", 3),
        ("sensitive", "general_assumptions", 2),
        # Table 1 says "decreased by 1" for this row; the score is 1 (reference 5.2: a typo in the source).
        ("sensitive", "nothing_substantial", 1),
    ],
)
def test_dpc_adjustments_are_scores(category: str, adjustment: str, score: int) -> None:
    assert dpc_score(category, adjustment) == score


@pytest.mark.parametrize(
    ("example", "category", "adjustment", "expected"),
    [
        # ENISA Annex 1 worked examples (reference 5.2)
        ("supermarket customer list (name + phone)", "simple", None, 1),
        ("luxury car dealer customer list", "simple", "profiling", 2),
        ("diabetes e-pharmacy customer list", "simple", "sensitive_assumptions", 3),
        ("undercover police officers list", "simple", "vulnerable_safety", 4),
        ("ISP call history, 1 week", "behavioural", None, 2),
        ("ISP call history, 1 year", "behavioural", "daily_life_profile", 3),
        ("bank balances, 1 month", "financial", None, 3),
        ("bank transactions, full year", "financial", "fraud_or_detailed_profile", 4),
        ("credit cards older than 10 years", "financial", "customer_only", 1),
        ("full credit card details", "financial", "fraud_or_detailed_profile", 4),
        ("lab test results", "sensitive", None, 4),
        ("credentials of a music store", "simple", None, 1),
        ("credentials of a social medium", "behavioural", "daily_life_profile", 3),
        ("credentials of the tax portal", "financial", None, 3),
        ("credentials of online banking with transactions", "financial", "fraud_or_detailed_profile", 4),
    ],
)
def test_annex1_dpc_examples(example: str, category: str, adjustment: str | None, expected: int) -> None:
    assert dpc_score(category, adjustment) == expected, example


def test_ei_levels() -> None:
    assert {k: ei_value(k) for k in ("negligible", "limited", "significant", "maximum")} == {
        "negligible": 0.25,
        "limited": 0.5,
        "significant": 0.75,
        "maximum": 1.0,
    }


@pytest.mark.parametrize(
    ("identifier", "value"),
    [
        ("full_name_common", 0.25),
        ("full_name_rare", 0.5),
        ("full_name_small_town", 0.75),
        ("full_name_with_dob_email", 1.0),
        ("id_number_alone", 0.25),
        ("id_number_revealing", 0.75),
        ("id_number_with_reference", 1.0),
        ("phone_or_address_unlisted", 0.25),
        ("phone_or_address_small_city", 0.5),
        ("phone_or_address_public", 1.0),
        ("email_anonymous", 0.25),
        ("email_primary_searchable", 0.75),
        ("email_primary_with_name", 1.0),
        ("alias_unlinked", 0.25),
        ("alias_linked", 0.75),
        ("alias_full_name", 1.0),
    ],
)
def test_annex2_ei_identifier_examples(identifier: str, value: float) -> None:
    assert ei_value(identifier) == value


@pytest.mark.parametrize(
    ("element", "key", "points"),
    [
        ("confidentiality", "none_evidence", 0.0),
        ("confidentiality", "known_recipients", 0.25),
        ("confidentiality", "unknown_recipients", 0.5),
        ("integrity", "no_misuse", 0.0),
        ("integrity", "misuse_recoverable", 0.25),
        ("integrity", "misuse_unrecoverable", 0.5),
        ("availability", "recoverable", 0.0),
        ("availability", "temporary", 0.25),
        ("availability", "permanent", 0.5),
        ("malicious_intent", "false", 0.0),
        ("malicious_intent", "true", 0.5),
    ],
)
def test_cb_points(element: str, key: str, points: float) -> None:
    assert cb_points(element, key) == points


@pytest.mark.parametrize(
    ("se", "level"),
    [
        (0.25, "low"),
        (1.99, "low"),
        (2.0, "medium"),
        (2.99, "medium"),
        (3.0, "high"),
        (3.99, "high"),
        (4.0, "very_high"),
        (6.0, "very_high"),
    ],
)
def test_level_bands_lower_bound_inclusive(se: float, level: str) -> None:
    # The reference warns against the wrong bands some tools use (<1 low, <2 medium, <3 high).
    assert level_for(se) == level


def test_theoretical_range() -> None:
    assert severity(1, 0.25, 0.0) == 0.25
    assert severity(4, 1.0, 0.5 * 4) == 6.0


def test_ap_level_mapping_is_the_proposed_one() -> None:
    assert [enisa.ap_level_for(x) for x in ("low", "medium", "high", "very_high")] == [
        "verwaarloosbaar",
        "beperkt",
        "aanzienlijk",
        "zeer_groot",
    ]


def _inp(name: str, points: float | None) -> ScoreInput:
    return ScoreInput(
        name,
        None if points is None else "x",
        points,
        "derived" if points is not None else "missing",
        "test",
        "test",
    )


def _cb(conf: float | None, integ: float | None, avail: float | None, mal: float | None) -> list[ScoreInput]:
    return [
        _inp("confidentiality", conf),
        _inp("integrity", integ),
        _inp("availability", avail),
        _inp("malicious_intent", mal),
    ]


@pytest.mark.parametrize(
    ("case", "dpc", "cb", "se", "level"),
    [
        # reference 5.8: only the address list / OAB taken: DPC 1, EI 1, CB 0.5 + 0.5
        ("address list only", 1, (0.5, 0.0, 0.0, 0.5), 2.0, "medium"),
        # mailbox contents of HR/finance staff: DPC 3 (financial), or 4 with ID copies / full card data
        ("HR/finance mailboxes, DPC 3", 3, (0.5, 0.0, 0.0, 0.5), 4.0, "very_high"),
        ("HR/finance mailboxes, DPC 4", 4, (0.5, 0.0, 0.0, 0.5), 5.0, "very_high"),
        # mailboxes with health data: DPC 4
        ("health data mailboxes", 4, (0.5, 0.0, 0.0, 0.5), 5.0, "very_high"),
        # the same plus ransomware without backup: +0.5 availability
        ("health data + ransomware without backup", 4, (0.5, 0.0, 0.5, 0.5), 5.5, "very_high"),
    ],
)
def test_worked_examples_exchange(case: str, dpc: int, cb: tuple[float, ...], se: float, level: str) -> None:
    result = enisa.score(_inp("DPC", dpc), _inp("EI", 1.0), _cb(*cb))
    assert result.se == se, case
    assert result.level == level, case
    assert result.missing == []


def test_missing_inputs_give_a_range_not_a_score() -> None:
    result = enisa.score(_inp("DPC", None), _inp("EI", 1.0), _cb(0.5, None, None, 0.5))
    assert result.se is None and result.level is None
    assert (result.se_min, result.se_max) == (2.0, 6.0)
    assert (result.level_min, result.level_max) == ("medium", "very_high")
    assert result.missing == ["DPC", "integrity", "availability"]


def test_dpc_floor_from_known_categories() -> None:
    result = enisa.score(_inp("DPC", None), _inp("EI", 1.0), _cb(0.5, 0.0, 0.0, 0.5), dpc_floor=3.0)
    assert (result.se_min, result.se_max) == (4.0, 5.0)
    assert result.level_min == "very_high"


def test_dpc_is_the_highest_category() -> None:
    cats = [
        enisa.CategoryScore("simple", ("name",), 1, 1, "given", "a", "r"),
        enisa.CategoryScore("sensitive", ("health",), 4, 4, "given", "a", "r"),
        enisa.CategoryScore("financial", ("iban",), 3, 3, "given", "a", "r"),
    ]
    dpc = enisa.dpc_from_categories(cats, "x")
    assert (dpc.key, dpc.points) == ("sensitive", 4.0)
    assert enisa.dpc_from_categories([], "answers: personal_data.categories").status == "missing"
