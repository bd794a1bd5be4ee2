"""Assemble the breach assessment from the scan's facts and the organisation's answers.

Answers (``given``) override what the scan suggests (``derived``); what neither supplies stays
``missing`` and is listed, with the answer key that would supply it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lekdicht import __version__
from lekdicht.breach import enisa
from lekdicht.breach.answers import BY_KEY, FIELDS, Answers
from lekdicht.breach.deadline import Deadline, compute_deadline
from lekdicht.breach.decision import Decision, DecisionInputs, decide
from lekdicht.breach.enisa import CategoryScore, ScoreInput, Severity
from lekdicht.breach.facts import CaseFacts, derive_facts
from lekdicht.breach.provenance import Status, Value, derived, given, jsonable, missing

SCHEMA = "lekdicht.breach/1"
HIGH_RISK_DATA = (
    "bsn",
    "id_documents",
    "access_credentials",
    "financial",
    "iban",
    "credit_card",
    "debts",
    "benefits",
    "other_financial",
    "criminal",
)
VULNERABLE_GROUPS = ("patients", "minors", "vulnerable")
ADDRESS_LIST_DATA = ("name", "email", "phone", "contact_details")
_ORDER = ("confirmed", "likely", "not_excluded", "undetermined", "not_established", "excluded")


@dataclass(frozen=True, slots=True)
class MissingAnswer:
    """An answer the assessment needs: its key, question, AP form number and why it is needed."""

    key: str
    label: str
    ap: str
    why: str

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {"key": self.key, "question": self.label, "ap_question": self.ap, "why": self.why}


@dataclass(slots=True)
class BreachAssessment:
    """The whole assessment: facts, answers, scope, nature, data, ENISA, decision, deadline, gaps."""

    generated_at: datetime
    facts: CaseFacts
    answers: Answers
    scope: dict[str, Value[str]]
    readable_access: str
    nature: dict[str, Value[bool]]
    nature_options: list[Value[str]]
    incident_type: Value[str]
    categories: dict[str, Value[str]]
    special_categories: dict[str, Value[str]]
    categories_note: str
    severity: Severity
    flags: dict[str, Value[bool]]
    ap_level: Value[str]
    consequences_controller: list[Value[str]]
    consequences_subjects: list[Value[str]]
    decision: Decision
    deadline: Deadline | None
    breach_start: Value[datetime]
    breach_end: Value[Any]
    missing: list[MissingAnswer] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def answer(self, key: str) -> Value[Any]:
        """One answer as a given or missing value."""
        return self.answers.value(key)

    @property
    def complete(self) -> bool:
        """True when no needed answer is missing."""
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        """The machine-readable assessment (``breach.json``, schema ``lekdicht.breach/1``)."""
        f = self.facts
        return {
            "schema": SCHEMA,
            "tool": {"name": "lekdicht", "version": __version__},
            "generated_at": self.generated_at.isoformat(),
            "status": "complete" if self.complete else "incomplete",
            "case": {
                "report": str(f.report_path) if f.report_path else None,
                "report_sha256": f.report_sha256,
                "report_schema": f.schema,
                "scan_tool_version": f.tool_version,
            },
            "facts": {
                "verdict": f.verdict.to_json(),
                "verdict_reasons": f.verdict_reasons,
                "hostname": f.hostname.to_json(),
                "build": f.build.to_json(),
                "product": f.product.to_json(),
                "first_exploit": f.first_exploit.to_json(),
                "last_exploit": f.last_exploit.to_json(),
                "first_attempt": f.first_attempt.to_json(),
                "evidence_first": f.evidence_first.to_json(),
                "evidence_last": f.evidence_last.to_json(),
                "sessions": [s.to_json() for s in f.sessions if s.verdict in ("exploited", "attempted")],
                "webshells": [w.to_json() for w in f.webshells],
                "credential_theft": [c.to_json() for c in f.credential_theft],
                "exfiltration_indicators": [e.to_json() for e in f.exfil_indicators],
                "exposure_windows": [
                    {
                        "chain": w.chain,
                        "cves": list(w.cves),
                        "exposed_from": jsonable(w.exposed_from),
                        "exposed_until": jsonable(w.exposed_until),
                        "still_vulnerable": w.still_vulnerable,
                        "starts_at_evidence_limit": w.starts_at_evidence_limit,
                        "provenance": "derived",
                        "source": w.source,
                    }
                    for w in f.exposure
                ],
                "coverage_limits": [c.to_json() for c in f.coverage_limits],
                "data_exposure_status": f.data_exposure.status,
                "ongoing": f.ongoing.to_json(),
            },
            "scope": {k: v.to_json() for k, v in self.scope.items()}
            | {"readable_access": self.readable_access},
            "timeline": {
                "breach_start": self.breach_start.to_json(),
                "breach_end": self.breach_end.to_json(),
                "discovered_at": self.answer("timeline.discovered_at").to_json(),
                "aware_at": self.answer("timeline.aware_at").to_json(),
                "how_discovered": self.answer("timeline.how_discovered").to_json(),
            },
            "nature": {k: v.to_json() for k, v in self.nature.items()},
            "nature_ap_5_1": [v.to_json() for v in self.nature_options],
            "incident_type_ap_5_2": self.incident_type.to_json(),
            "personal_data": {
                "categories": {k: v.to_json() for k, v in self.categories.items()},
                "special_categories": {k: v.to_json() for k, v in self.special_categories.items()},
                "note": self.categories_note,
            },
            "enisa": self.severity.to_json() | {"flags": {k: v.to_json() for k, v in self.flags.items()}},
            "ap_severity_9_3": self.ap_level.to_json(),
            "consequences": {
                "for_controller": [v.to_json() for v in self.consequences_controller],
                "for_subjects": [v.to_json() for v in self.consequences_subjects],
            },
            "decision": self.decision.to_json(),
            "deadline": self.deadline.to_json() if self.deadline else None,
            "answers": {spec.key: self.answer(spec.key).to_json() for spec in FIELDS},
            "missing": [m.to_json() for m in self.missing],
            "warnings": self.warnings,
        }


def _rank(level: str) -> int:
    return _ORDER.index(level) if level in _ORDER else len(_ORDER)


def _scope(facts: CaseFacts, answers: Answers) -> dict[str, Value[str]]:
    basis = answers.get("scope.basis")
    out: dict[str, Value[str]] = {}
    for key, fact in (
        ("mailbox_content", facts.mailbox_content),
        ("address_list", facts.address_list),
        ("exfiltration", facts.exfiltration),
    ):
        if answers.has(f"scope.{key}"):
            out[key] = given(answers.get(f"scope.{key}"), f"scope.{key}", basis or "forensic conclusion")
        else:
            out[key] = fact
    return out


def _categories(
    facts: CaseFacts, answers: Answers, scope: Mapping[str, Value[str]]
) -> tuple[dict[str, Value[str]], dict[str, Value[str]], str]:
    cats: dict[str, Value[str]] = {}
    special: dict[str, Value[str]] = {}
    notes: list[str] = []
    book = scope["address_list"]
    if book.value in ("confirmed", "not_excluded"):
        for key in ADDRESS_LIST_DATA:
            cats[key] = derived(
                key,
                book.source,
                "the address list (GAL/OAB) holds names, e-mail addresses, phone numbers and job titles",
            )
    for cred in facts.credential_theft:
        cats.setdefault(
            "access_credentials",
            derived("access_credentials", cred.source, f"credentials taken from the server ({cred.value})"),
        )
    mailbox = scope["mailbox_content"].value
    if mailbox == "excluded":
        notes.append(
            "Access to mailbox content was excluded: the kinds of data in the mailboxes are not in scope."
        )
    else:
        for key in answers.get("personal_data.categories") or []:
            cats[key] = given(key, "personal_data.categories")
        for key in answers.get("personal_data.special_categories") or []:
            special[key] = given(key, "personal_data.special_categories")
    return cats, special, " ".join(notes)


def _category_scores(
    cats: Mapping[str, Value[str]], special: Mapping[str, Value[str]], answers: Answers
) -> list[CategoryScore]:
    t = enisa.tables()
    grouped: dict[str, list[Value[str]]] = {}
    for key, val in [*cats.items(), *special.items()]:
        ecat = t.category_map.get(key)
        if ecat in t.dpc:
            grouped.setdefault(ecat, []).append(val)
    adjustments: dict[str, dict[str, Any]] = answers.get("enisa.dpc_adjustments") or {}
    out: list[CategoryScore] = []
    for ecat in t.dpc:
        vals = grouped.get(ecat, [])
        adj = adjustments.get(ecat)
        if not vals and adj is None:
            continue
        spec = t.dpc[ecat]
        data = tuple(str(v.value) for v in vals)
        if adj is not None:
            out.append(
                CategoryScore(
                    ecat,
                    data,
                    spec.base,
                    int(adj["score"]),
                    "given",
                    "answers: enisa.dpc_adjustments",
                    f"{spec.label}, adjusted from {spec.base} to {adj['score']}: {adj['reason']}",
                )
            )
            continue
        status: Status = "given" if any(v.status == "given" for v in vals) else "derived"
        sources = sorted({v.source for v in vals})
        out.append(
            CategoryScore(
                ecat,
                data,
                spec.base,
                spec.base,
                status,
                "; ".join(sources),
                f"{spec.label} ({', '.join(data)}): ENISA base score {spec.base}",
            )
        )
    return out


def _ei(answers: Answers, scope: Mapping[str, Value[str]]) -> ScoreInput:
    if answers.has("enisa.ei"):
        key = str(answers.get("enisa.ei"))
        reason = answers.get("enisa.ei_reason") or "no reason given"
        return ScoreInput("EI", key, enisa.ei_value(key), "given", "answers: enisa.ei", reason)
    if any(scope[k].value in ("confirmed", "not_excluded") for k in ("mailbox_content", "address_list")):
        return ScoreInput(
            "EI",
            "maximum",
            1.0,
            "derived",
            "ENISA Annex 2 (reference 5.3)",
            "mailboxes and the address list hold names with primary e-mail addresses (first.last@...): a "
            "person "
            "is identified directly from the data",
        )
    return ScoreInput("EI", None, None, "missing", "answers: enisa.ei", "no data in scope to judge from")


def _cb(answers: Answers, facts: CaseFacts, readable: str) -> list[ScoreInput]:
    t = enisa.tables()
    out: list[ScoreInput] = []
    if answers.has("enisa.confidentiality"):
        key = str(answers.get("enisa.confidentiality"))
        out.append(
            ScoreInput(
                "confidentiality",
                key,
                enisa.cb_points("confidentiality", key),
                "given",
                "answers: enisa.confidentiality",
                answers.get("enisa.confidentiality_reason") or "no reason given",
            )
        )
    elif readable in ("confirmed", "not_excluded") and facts.malicious.value:
        out.append(
            ScoreInput(
                "confidentiality",
                "unknown_recipients",
                0.5,
                "derived",
                "reference 5.8; report.json: verdict.overall",
                "data in the hands of an attacker (hacking with malicious intent); NCSC reported stolen "
                "Exchange "
                "mailboxes offered on black markets, so the recipients are unknown",
            )
        )
    elif readable in ("excluded", "not_established"):
        out.append(
            ScoreInput(
                "confidentiality",
                "none_evidence",
                0.0,
                "derived",
                "scope",
                "no access to readable personal data "
                + ("(excluded)" if readable == "excluded" else "established"),
            )
        )
    else:
        out.append(
            ScoreInput(
                "confidentiality",
                None,
                None,
                "missing",
                "answers: enisa.confidentiality",
                "scope undetermined",
            )
        )
    for element, key in (("integrity", "impact.integrity"), ("availability", "impact.availability")):
        if answers.has(key):
            choice = str(answers.get(key))
            out.append(
                ScoreInput(
                    element,
                    choice,
                    enisa.cb_points(element, choice),
                    "given",
                    f"answers: {key}",
                    t.cb[element][choice][1],
                )
            )
        else:
            out.append(ScoreInput(element, None, None, "missing", f"answers: {key}", BY_KEY[key].label))
    mal = facts.malicious
    if mal.value is None:
        out.append(ScoreInput("malicious_intent", None, None, "missing", mal.source, mal.note))
    else:
        k = "true" if mal.value else "false"
        out.append(
            ScoreInput(
                "malicious_intent", k, enisa.cb_points("malicious_intent", k), "derived", mal.source, mal.note
            )
        )
    return out


def _flags(answers: Answers) -> dict[str, Value[bool]]:
    count = answers.get("data_subjects.count")
    more: Value[bool]
    if count is None:
        more = missing("data_subjects.count", "number of people affected")
    elif count.low > 100:
        more = derived(True, "answers: data_subjects.count", f"{count} people")
    elif count.high <= 100:
        more = derived(False, "answers: data_subjects.count", f"{count} people")
    else:
        more = missing(
            "data_subjects.count", f"{count} people: the range straddles 100, give a narrower estimate"
        )
    prot = answers.get("personal_data.protection")
    unint: Value[bool] = (
        missing("personal_data.protection")
        if prot is None
        else derived(prot != "none", "answers: personal_data.protection", str(prot))
    )
    return {"more_than_100_individuals": more, "data_unintelligible": unint}


def _consequences(
    cats: Mapping[str, Value[str]],
    special: Mapping[str, Value[str]],
    scope: Mapping[str, Value[str]],
    readable: str,
    answers: Answers,
) -> tuple[list[Value[str]], list[Value[str]]]:
    ctrl: dict[str, Value[str]] = {}
    subj: dict[str, Value[str]] = {}
    if readable in ("confirmed", "not_excluded"):
        src = scope["mailbox_content"].source
        ctrl["seen"] = derived("seen", src, "an attacker could read the data")
        ctrl["misused"] = derived("misused", src, "stolen mail is used for phishing and fraud")
        ctrl["passed_on"] = derived("passed_on", src, "NCSC: stolen mailboxes were offered on black markets")
        subj["identity_fraud"] = derived(
            "identity_fraud", src, "phishing and impersonation using real names, addresses and correspondence"
        )
        if scope["mailbox_content"].value in ("confirmed", "not_excluded"):
            subj["financial_loss"] = derived(
                "financial_loss", src, "invoice or CEO fraud with real correspondence (EDPB 01/2021 case 18)"
            )
        if any(k in cats for k in ("financial", "iban", "credit_card", "id_documents", "bsn")):
            subj["financial_loss"] = derived(
                "financial_loss", "personal data categories", "financial or identity data enable fraud"
            )
        if special or "criminal" in cats:
            subj["discrimination"] = derived(
                "discrimination", "personal data categories", "special-category or criminal data"
            )
            subj["reputation"] = derived(
                "reputation", "personal data categories", "special-category or criminal data"
            )
    avail = answers.get("impact.availability")
    if avail == "temporary":
        ctrl["temporarily_unavailable"] = given("temporarily_unavailable", "impact.availability")
    elif avail == "permanent":
        ctrl["permanently_unavailable"] = given("permanently_unavailable", "impact.availability")
    for key in answers.get("impact.consequences_for_controller") or []:
        ctrl[key] = given(key, "impact.consequences_for_controller")
    for key in answers.get("impact.consequences_for_subjects") or []:
        subj[key] = given(key, "impact.consequences_for_subjects")
    return list(ctrl.values()), list(subj.values())


def _missing(answers: Answers, scope: Mapping[str, Value[str]], dl: Deadline | None) -> list[MissingAnswer]:
    need: dict[str, str] = {}
    for spec in FIELDS:
        if spec.required:
            need[spec.key] = "needed for the AP form" if spec.ap else "needed for the assessment"
    if scope["mailbox_content"].value == "excluded":
        need.pop("personal_data.categories", None)
        need.pop("personal_data.special_categories", None)
    if answers.get("notification.cross_border"):
        need["notification.countries"] = "people in other countries are affected"
    if dl is not None and dl.needs_late_reason:
        need["notification.late_reason"] = "the 72 hours have passed: the AP asks why (Art. 33(1))"
    if any(answers.has(f"scope.{k}") for k in ("mailbox_content", "address_list", "exfiltration")):
        need["scope.basis"] = "a scope conclusion needs its basis (who established it, and how)"
    status = answers.get("communication.status")
    if status == "not_planned":
        need["communication.reason_if_not"] = "the AP asks why the people are not informed"
    elif status in ("done", "planned"):
        need["communication.channels"] = "the AP asks how the people are informed"
    if answers.has("communication.exemption"):
        need["communication.exemption_reason"] = "an Art. 34(3) exemption needs a rationale"
        if str(answers.get("communication.exemption")).startswith("c"):
            need["communication.public_notice_url"] = "Art. 34(3)(c) requires a public communication instead"
    for key, reason_key in (
        ("enisa.ei", "enisa.ei_reason"),
        ("enisa.confidentiality", "enisa.confidentiality_reason"),
        ("severity.ap_level", "severity.reason"),
    ):
        if answers.has(key):
            need[reason_key] = "a changed value needs a reason"
    order = {spec.key: i for i, spec in enumerate(FIELDS)}
    return [
        MissingAnswer(key, BY_KEY[key].label, BY_KEY[key].ap, why)
        for key, why in sorted(need.items(), key=lambda kv: order[kv[0]])
        if not answers.has(key)
    ]


def _features(
    facts: CaseFacts,
    answers: Answers,
    scope: Mapping[str, Value[str]],
    readable: str,
    scores: list[CategoryScore],
) -> dict[str, Any]:
    verdict = facts.verdict.value
    access = {
        "confirmed": "confirmed",
        "not_excluded": "not_excluded",
        "excluded": "excluded",
        "not_established": "excluded",
    }.get(readable)
    exfil = str(scope["exfiltration"].value)
    disclosure = {
        "confirmed": "confirmed",
        "likely": "likely",
        "not_excluded": "not_excluded",
        "excluded": "none",
        "not_established": "none",
    }.get(exfil)
    avail = answers.get("impact.availability")
    groups = answers.get("data_subjects.groups")
    mailbox = scope["mailbox_content"].value
    return {
        "vector": "hacking"
        if verdict in ("compromised", "attempted") or readable != "not_established"
        else None,
        "malicious": facts.malicious.value,
        "readable_access": access,
        "disclosure": disclosure,
        "recipient": None if disclosure in (None, "none") else "unknown",
        "availability": None if avail is None else {"recoverable": "none"}.get(str(avail), str(avail)),
        "sensitivity": max((s.base for s in scores), default=None),
        "mailbox": True
        if mailbox in ("confirmed", "not_excluded")
        else None
        if mailbox == "undetermined"
        else False,
        "vulnerable": None if groups is None else any(g in VULNERABLE_GROUPS for g in groups),
    }


def assess_facts(facts: CaseFacts, answers: Answers, now: datetime) -> BreachAssessment:
    """The assessment for already-derived facts."""
    scope = _scope(facts, answers)
    levels = [str(scope[k].value) for k in ("mailbox_content", "address_list")]
    readable = min(levels, key=_rank)
    cats, special, cat_note = _categories(facts, answers, scope)
    scores = _category_scores(cats, special, answers)
    mailbox_open = scope["mailbox_content"].value not in ("excluded",)
    cats_unknown = mailbox_open and not answers.has("personal_data.categories")
    dpc = enisa.dpc_from_categories(scores, "answers: personal_data.categories")
    floor: float | None = None
    if cats_unknown and dpc.points is not None:
        # the mailbox content could raise DPC: what the scan knows is a lower bound only
        floor = dpc.points
        dpc = ScoreInput(
            "DPC",
            None,
            None,
            "missing",
            "answers: personal_data.categories",
            f"at least {int(floor)} ({dpc.key}); the kinds of data in the mailboxes are missing",
        )
    severity = enisa.score(dpc, _ei(answers, scope), _cb(answers, facts, readable), scores, dpc_floor=floor)
    flags = _flags(answers)
    if answers.has("severity.ap_level"):
        ap_level: Value[str] = given(
            answers.get("severity.ap_level"), "severity.ap_level", answers.get("severity.reason") or ""
        )
    elif severity.level is not None:
        ap_level = derived(
            enisa.ap_level_for(severity.level),
            "ENISA level (mapping proposed in reference 5.6)",
            f"ENISA {enisa.LEVEL_TEXT[severity.level]} (SE {severity.se:g})",
        )
    else:
        ap_level = missing("severity.ap_level", "the ENISA inputs are incomplete")
    aware = answers.get("timeline.aware_at")
    dl = compute_deadline(aware, now, answers.get("notification.notified_at")) if aware else None
    verdict = facts.verdict.value
    nature: dict[str, Value[bool]] = {}
    src = scope["mailbox_content"].source
    nature["confidentiality"] = (
        derived(True, src, f"access to readable personal data: {readable.replace('_', ' ')}")
        if readable in ("confirmed", "not_excluded")
        else derived(False, src, readable.replace("_", " "))
        if readable in ("excluded", "not_established")
        else Value(None, "missing", src, "undetermined")
    )
    integ, avail = answers.get("impact.integrity"), answers.get("impact.availability")
    nature["integrity"] = (
        missing("impact.integrity")
        if integ is None
        else given(integ != "none", "impact.integrity", str(integ))
    )
    nature["availability"] = (
        missing("impact.availability")
        if avail is None
        else given(avail not in ("none", "recoverable"), "impact.availability", str(avail))
    )
    options: list[Value[str]] = []
    if nature["confidentiality"].value:
        options.append(derived("read", src, nature["confidentiality"].note))
    if integ not in (None, "none"):
        options.append(given("altered", "impact.integrity"))
    if avail in ("temporary", "permanent"):
        options.append(given(f"{avail}_unavailable", "impact.availability"))
    incident: Value[str] = (
        derived("hacking", "report.json: verdict.overall", "exploitation of the Exchange server")
        if verdict in ("compromised", "attempted")
        else Value(None, "missing", "report.json: verdict.overall", "no attack established")
    )
    high_data: list[str] | None = [k for k in (*cats, *special) if k in HIGH_RISK_DATA or k in special]
    if cats_unknown:
        high_data = high_data or None
    groups = answers.get("data_subjects.groups")
    decision = decide(
        DecisionInputs(
            verdict=verdict,
            readable_access=readable,
            exfiltration=str(scope["exfiltration"].value),
            malicious=facts.malicious.value,
            high_risk_data=high_data,
            vulnerable_groups=None if groups is None else [g for g in groups if g in VULNERABLE_GROUPS],
            enisa_level=severity.level,
            enisa_level_range=(severity.level_min, severity.level_max),
            features=_features(facts, answers, scope, readable, scores),
            scope_basis=answers.get("scope.basis"),
            exemption=answers.get("communication.exemption"),
            exemption_reason=answers.get("communication.exemption_reason"),
            financial_undertaking=answers.get("organisation.financial_undertaking"),
            unintelligible=flags["data_unintelligible"].value,
        )
    )
    ctrl, subj = _consequences(cats, special, scope, readable, answers)
    end: Value[Any] = (
        answers.value("timeline.contained_at") if answers.has("timeline.contained_at") else facts.ongoing
    )
    return BreachAssessment(
        generated_at=now,
        facts=facts,
        answers=answers,
        scope=scope,
        readable_access=readable,
        nature=nature,
        nature_options=options,
        incident_type=incident,
        categories=cats,
        special_categories=special,
        categories_note=cat_note,
        severity=severity,
        flags=flags,
        ap_level=ap_level,
        consequences_controller=ctrl,
        consequences_subjects=subj,
        decision=decision,
        deadline=dl,
        breach_start=facts.first_exploit,
        breach_end=end,
        missing=_missing(answers, scope, dl),
        warnings=list(facts.warnings),
    )


def assess(
    report: Mapping[str, Any],
    answers: Answers,
    now: datetime,
    report_path: Path | None = None,
    report_sha256: str | None = None,
) -> BreachAssessment:
    """The assessment of a report.json document with the organisation's answers, at time ``now``."""
    return assess_facts(derive_facts(report, report_path, report_sha256), answers, now)
