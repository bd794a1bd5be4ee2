"""Art. 33/34 decision support for the reference's Exchange scenarios (sections 5.8, 7.2, 8.3).

Expected outcomes follow the reference's default logic (8.3): exploitation evidence is a
confidentiality breach (notify the AP); high risk (inform the people) when data left with malicious
intent, sensitive data are involved, ENISA is high or very high, or the closest EDPB case is more
protective; an attempt without access establishes no breach (document only).
"""

from __future__ import annotations

from datetime import UTC, datetime

from breach_support import ADDRESS_BOOK_ONLY, answers_doc, make_report

from lekdicht.breach.answers import parse_answers
from lekdicht.breach.assessment import BreachAssessment, assess
from lekdicht.breach.decision import closest_cases

NOW = datetime(2021, 3, 5, 12, 0, tzinfo=UTC)


def _assess(report: dict, **answers: object) -> BreachAssessment:  # type: ignore[type-arg]
    return assess(report, parse_answers(answers_doc(**answers)), NOW)


def test_scenario_address_list_only() -> None:
    """Webshell, address book downloaded, forensics excluded mailbox access."""
    a = _assess(
        make_report(data_exposure=ADDRESS_BOOK_ONLY),
        scope={"mailbox_content": "excluded", "basis": "Forensic report F-12 by IR firm: no mailbox access"},
        personal_data={"categories": ["name", "email", "financial"]},  # in the mailboxes: out of scope here
    )
    assert a.scope["address_list"].value == "confirmed"
    assert a.scope["address_list"].status == "derived"
    assert a.scope["mailbox_content"].status == "given"
    assert a.scope["exfiltration"].value == "confirmed"
    assert set(a.categories) == {"name", "email", "phone", "contact_details"}
    assert all(v.status == "derived" for v in a.categories.values())
    s = a.severity
    assert (s.dpc.points, s.ei.points, s.cb_total, s.se, s.level) == (1.0, 1.0, 1.0, 2.0, "medium")
    assert a.ap_level.value == "beperkt"
    d = a.decision
    assert (d.risk, d.notify_sa, d.inform_subjects) == ("high_risk", "yes", "yes")
    assert [t.code for t in d.triggers] == ["exfiltration"]
    assert d.analogue is not None and d.analogue.case.id == "05"
    assert "personal_data.categories" not in {m.key for m in a.missing}
    assert a.complete


def test_scenario_mailboxes_with_ordinary_data() -> None:
    """Webshell, access to mailboxes cannot be excluded, ordinary data in them."""
    a = _assess(make_report())
    assert a.scope["mailbox_content"].value == "not_excluded"
    assert a.scope["exfiltration"].value == "not_excluded"
    s = a.severity
    assert (s.se, s.level) == (2.0, "medium")
    d = a.decision
    assert (d.risk, d.notify_sa, d.inform_subjects) == ("high_risk", "yes", "yes")
    # ENISA is medium; the closest EDPB case (18, e-mail exfiltration) informs the people and prevails
    assert [t.code for t in d.triggers] == ["edpb_case"]
    assert d.analogue is not None and d.analogue.case.id == "18"
    assert a.complete


def test_scenario_mailboxes_with_special_category_data() -> None:
    a = _assess(
        make_report(), personal_data={"categories": ["name", "email"], "special_categories": ["health"]}
    )
    s = a.severity
    assert (s.dpc.key, s.dpc.points, s.se, s.level) == ("sensitive", 4.0, 5.0, "very_high")
    assert a.ap_level.value == "zeer_groot"
    d = a.decision
    assert (d.risk, d.notify_sa, d.inform_subjects) == ("high_risk", "yes", "yes")
    assert {t.code for t in d.triggers} == {"data", "enisa"}
    assert d.analogue is not None and d.analogue.case.id == "18"


def test_scenario_attempt_without_access() -> None:
    a = _assess(make_report(verdict="attempted"))
    assert a.readable_access == "not_established"
    d = a.decision
    assert (d.risk, d.notify_sa, d.inform_subjects, d.document) == ("no_breach_established", "no", "no", True)
    assert d.analogue is not None and d.analogue.case.id == "01"
    assert a.nature_options == []
    assert a.severity.cb[0].key == "none_evidence"


def test_hr_finance_mailboxes_with_id_copies_adjusted_to_4() -> None:
    a = _assess(
        make_report(),
        personal_data={"categories": ["name", "iban", "id_documents"]},
        enisa={"dpc_adjustments": {"financial": "fraud_or_detailed_profile"}},
    )
    s = a.severity
    assert (s.dpc.points, s.dpc.status, s.se, s.level) == (4.0, "given", 5.0, "very_high")
    fin = next(c for c in s.dpc_by_category if c.category == "financial")
    assert (fin.base, fin.score, fin.status) == (3, 4, "given")
    assert "full card data enable fraud" in fin.reason


def test_forensics_excluding_access_means_no_notification() -> None:
    a = _assess(
        make_report(),
        scope={
            "mailbox_content": "excluded",
            "address_list": "excluded",
            "exfiltration": "excluded",
            "basis": "Full forensic image analysis by IR firm",
        },
    )
    d = a.decision
    assert (d.risk, d.notify_sa, d.inform_subjects) == ("unlikely", "no", "no")
    assert any("case 01" in r for r in d.rationale)


def test_scope_without_basis_is_reported_missing() -> None:
    a = _assess(make_report(), scope={"mailbox_content": "excluded"})
    assert "scope.basis" in {m.key for m in a.missing}


def test_inconclusive_verdict_is_undetermined() -> None:
    a = _assess(make_report(verdict="inconclusive"))
    assert (a.decision.notify_sa, a.decision.inform_subjects) == ("undetermined", "undetermined")


def test_financial_undertaking_art34_does_not_apply() -> None:
    a = _assess(make_report(), organisation={"financial_undertaking": True})
    assert a.decision.notify_sa == "yes"
    assert a.decision.inform_subjects == "not_applicable"
    assert any("UAVG art. 42" in r for r in a.decision.rationale)


def test_exemption_only_when_chosen_with_a_rationale() -> None:
    a = _assess(make_report(), communication={"exemption": "c_disproportionate"})
    assert a.decision.inform_subjects == "yes"
    assert {"communication.exemption_reason", "communication.public_notice_url"} <= {m.key for m in a.missing}
    b = _assess(
        make_report(),
        communication={
            "exemption": "c_disproportionate",
            "exemption_reason": "addresses unknown",
            "public_notice_url": "https://example.org/datalek",
        },
    )
    assert b.decision.inform_subjects == "exempt"


def test_missing_data_categories_are_reported_and_not_scored() -> None:
    a = _assess(make_report(), personal_data={"categories": None})
    assert "personal_data.categories" in {m.key for m in a.missing}
    assert a.severity.se is None and a.severity.dpc.status == "missing"
    # the EDPB case 18 still prevails: informing is never weakened by a missing answer
    assert a.decision.inform_subjects == "yes"


def test_closest_cases_similarity_reports_differences() -> None:
    matches = closest_cases(
        {
            "vector": "hacking",
            "malicious": True,
            "readable_access": "confirmed",
            "disclosure": "confirmed",
            "recipient": "unknown",
            "availability": "none",
            "sensitivity": 3,
            "mailbox": True,
            "vulnerable": False,
        }
    )
    assert matches[0].case.id == "18" and matches[0].similarity == 1.0 and matches[0].different == ()
    assert len(matches) == 3 and matches[1].similarity <= matches[0].similarity
