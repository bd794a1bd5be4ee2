"""Decision support for Art. 33 (notify the AP) and Art. 34 (inform the people affected).

Follows the default logic of the reference (section 8.3); every outcome is a proposal for the DPO
or lawyer to confirm, with its rationale:

1. No intrusion established: no personal-data breach on the current evidence; document the incident.
2. Exchange exploitation evidence: a confidentiality breach; scope is every mailbox unless shown otherwise.
3. The risk is ``risk`` (notify the AP) unless forensics excluded access to readable data (EDPB case 01).
4. ``high_risk`` (inform the people) when data left with malicious intent, when special, criminal,
   financial, identity or credential data are involved, when the ENISA level is high or very high, or
   when vulnerable people are affected. If the closest EDPB case is more protective, it wins.
5. An Art. 34(3) exemption is never chosen by the tool; only an explicit answer applies one.

The closest case from EDPB Guidelines 01/2021 is found by weighted similarity over the features in
``data/edpb_cases.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

Outcome = Literal["yes", "no", "undetermined"]
SubjectsOutcome = Literal["yes", "no", "undetermined", "exempt", "not_applicable"]
Risk = Literal["no_breach_established", "unlikely", "risk", "high_risk", "undetermined"]

_ORDINAL: dict[str, dict[str, float]] = {
    "readable_access": {"excluded": 0, "not_excluded": 1, "confirmed": 2},
    "disclosure": {"none": 0, "not_excluded": 1, "likely": 2, "confirmed": 3},
    "availability": {"none": 0, "temporary": 1, "permanent": 2},
    "sensitivity": {"1": 1, "2": 2, "3": 3, "4": 4},
}


@dataclass(frozen=True, slots=True)
class EdpbCase:
    """One example case of EDPB Guidelines 01/2021 with its outcome and features."""

    id: str
    title: str
    facts: str
    verified: bool
    notify_sa: bool
    inform_subjects: bool
    driver: str
    features: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseCatalogue:
    """All cases, the feature weights and the source."""

    source: str
    weights: dict[str, float]
    cases: tuple[EdpbCase, ...]


@cache
def catalogue() -> CaseCatalogue:
    """Load ``data/edpb_cases.yml`` (once)."""
    text = resources.files("lekdicht.breach").joinpath("data", "edpb_cases.yml").read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    cases = tuple(
        EdpbCase(
            id=str(c["id"]),
            title=str(c["title"]),
            facts=str(c["facts"]),
            verified=bool(c["verified"]),
            notify_sa=bool(c["notify_sa"]),
            inform_subjects=bool(c["inform_subjects"]),
            driver=str(c["driver"]),
            features=dict(c["features"]),
        )
        for c in raw["cases"]
    )
    return CaseCatalogue(str(raw["source"]), {k: float(v) for k, v in raw["weights"].items()}, cases)


@dataclass(frozen=True, slots=True)
class CaseMatch:
    """How close one EDPB case is: similarity 0..1, the features that agree and those that differ."""

    case: EdpbCase
    similarity: float
    same: tuple[str, ...]
    different: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        c = self.case
        return {
            "case": f"EDPB 01/2021 case {c.id}",
            "id": c.id,
            "title": c.title,
            "facts": c.facts,
            "notify_sa": c.notify_sa,
            "inform_subjects": c.inform_subjects,
            "driver": c.driver,
            "verified_against_pdf": c.verified,
            "similarity": round(self.similarity, 3),
            "similarities": list(self.same),
            "differences": list(self.different),
        }


def _distance(name: str, a: Any, b: Any) -> float:
    """0 (same) .. 1 (opposite) for one feature; unknown on one side counts as half."""
    if a is None and b is None:
        return 0.0
    if a is None or b is None:
        return 0.5
    if name in _ORDINAL:
        scale = _ORDINAL[name]
        lo, hi = min(scale.values()), max(scale.values())
        return abs(scale[str(a)] - scale[str(b)]) / (hi - lo)
    return 0.0 if a == b else 1.0


def closest_cases(features: Mapping[str, Any], top: int = 3) -> list[CaseMatch]:
    """The ``top`` EDPB cases most similar to ``features`` (ties: lower case number first)."""
    cat = catalogue()
    total = sum(cat.weights.values())
    matches: list[CaseMatch] = []
    for case in cat.cases:
        loss = 0.0
        same: list[str] = []
        diff: list[str] = []
        for name, weight in cat.weights.items():
            mine, theirs = features.get(name), case.features.get(name)
            d = _distance(name, mine, theirs)
            loss += weight * d
            label = (
                f"{name}: {_show(mine)}"
                if d == 0
                else f"{name}: {_show(mine)} here, {_show(theirs)} in the case"
            )
            (same if d == 0 else diff).append(label)
        matches.append(CaseMatch(case, 1 - loss / total, tuple(same), tuple(diff)))
    matches.sort(key=lambda m: (-round(m.similarity, 9), m.case.id))
    return matches[:top]


def _show(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


@dataclass(frozen=True, slots=True)
class DecisionInputs:
    """What the decision rests on (each already derived or given upstream)."""

    verdict: str | None
    readable_access: str
    exfiltration: str
    malicious: bool | None
    high_risk_data: Sequence[str] | None
    vulnerable_groups: Sequence[str] | None
    enisa_level: str | None
    enisa_level_range: tuple[str, str]
    features: Mapping[str, Any]
    scope_basis: str | None = None
    exemption: str | None = None
    exemption_reason: str | None = None
    financial_undertaking: bool | None = None
    unintelligible: bool | None = None


@dataclass(frozen=True, slots=True)
class Trigger:
    """One reason for high risk: a code (``exfiltration``, ``data``, ``enisa``, ``vulnerable``,
    ``edpb_case``) with its items, and the English sentence."""

    code: str
    items: tuple[str, ...]
    text: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"code": self.code, "items": list(self.items), "text": self.text}


@dataclass(slots=True)
class Decision:
    """The proposed outcome with its rationale, triggers, cautions and the closest EDPB case."""

    risk: Risk
    notify_sa: Outcome
    inform_subjects: SubjectsOutcome
    document: bool
    rationale: list[str]
    triggers: list[Trigger]
    cautions: list[str]
    analogue: CaseMatch | None
    alternatives: list[CaseMatch] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "risk_to_rights": self.risk,
            "notify_authority": self.notify_sa,
            "inform_data_subjects": self.inform_subjects,
            "document_in_register": self.document,
            "rationale": self.rationale,
            "high_risk_triggers": [t.to_json() for t in self.triggers],
            "cautions": self.cautions,
            "pending_inputs": self.pending,
            "closest_edpb_case": self.analogue.to_json() if self.analogue else None,
            "other_close_cases": [m.to_json() for m in self.alternatives],
            "status": "proposal: to be confirmed by the DPO or a lawyer",
        }


_HIGH = ("high", "very_high")


def decide(inp: DecisionInputs) -> Decision:
    """Apply the decision logic to the inputs."""
    matches = closest_cases(inp.features)
    best = matches[0] if matches else None
    cautions = [
        "Decision support, not legal advice: the DPO or a lawyer decides and records the reasoning (Art. "
        "33(5)).",
    ]
    if best and not best.case.verified:
        cautions.append(
            f"The outcome of EDPB case {best.case.id} is taken from a secondary record; check it against the "
            "EDPB Guidelines 01/2021 PDF before relying on it."
        )
    if inp.verdict != "compromised" and inp.readable_access not in ("confirmed", "not_excluded"):
        if inp.verdict in ("attempted", "vulnerable", "clean"):
            return Decision(
                risk="no_breach_established",
                notify_sa="no",
                inform_subjects="no",
                document=True,
                rationale=[
                    f"The scan's verdict is '{inp.verdict}': no sign that the attacker got access to the "
                    "server, so "
                    "no personal-data breach is established on the current evidence (Art. 4(12)).",
                    "Record the incident and this reasoning internally (Art. 33(5); EDPB 01/2021 §15).",
                    "If later evidence shows access (for example from before the logs start), the 72 hours "
                    "run "
                    "from that moment of awareness.",
                ],
                triggers=[],
                cautions=cautions,
                analogue=best,
                alternatives=matches[1:],
            )
        return Decision(
            risk="undetermined",
            notify_sa="undetermined",
            inform_subjects="undetermined",
            document=True,
            rationale=[
                "The scan's verdict needs a specialist's review before a breach can be established or "
                "excluded. "
                "Do not wait for a full forensic examination: assess as soon as there is reasonable "
                "certainty "
                "(EDPB 01/2021 §8-9)."
            ],
            triggers=[],
            cautions=cautions,
            analogue=best,
            alternatives=matches[1:],
        )
    rationale = [
        "Exploitation of the Exchange server is a personal-data breach of confidentiality: mailboxes and the "
        "address book hold personal data, and code execution on the server gives access to them (reference "
        "7.2)."
    ]
    if inp.readable_access == "excluded":
        rationale.append(
            "Forensics excluded access to readable personal data and any exfiltration"
            + (f" ({inp.scope_basis})" if inp.scope_basis else "")
            + ": the breach is unlikely to result in a risk (EDPB 01/2021 case 01 pattern). No notification; "
            "document the breach and this reasoning (Art. 33(5))."
        )
        return Decision(
            risk="unlikely",
            notify_sa="no",
            inform_subjects="no",
            document=True,
            rationale=rationale,
            triggers=[],
            cautions=cautions,
            analogue=best,
            alternatives=matches[1:],
        )
    rationale.append(
        "Access to readable personal data is "
        + ("confirmed" if inp.readable_access == "confirmed" else "not excluded")
        + ", so the breach is likely to result in a risk to the people concerned: notify the AP without "
        "undue "
        "delay and within 72 hours of awareness (Art. 33(1))."
    )
    triggers: list[Trigger] = []
    pending: list[str] = []
    if inp.exfiltration in ("confirmed", "likely") and inp.malicious:
        triggers.append(
            Trigger(
                "exfiltration",
                (inp.exfiltration,),
                f"data left the organisation ({inp.exfiltration}) with malicious intent",
            )
        )
    if inp.high_risk_data is None:
        pending.append("kinds of personal data")
    elif inp.high_risk_data:
        items = tuple(inp.high_risk_data)
        triggers.append(Trigger("data", items, "sensitive kinds of data involved: " + ", ".join(items)))
    if inp.enisa_level is not None:
        if inp.enisa_level in _HIGH:
            triggers.append(
                Trigger("enisa", (inp.enisa_level,), f"ENISA severity is {inp.enisa_level.replace('_', ' ')}")
            )
    elif inp.enisa_level_range[0] in _HIGH:
        low = inp.enisa_level_range[0]
        triggers.append(Trigger("enisa", (low,), f"ENISA severity is at least {low.replace('_', ' ')}"))
    elif inp.enisa_level_range[1] in _HIGH:
        pending.append(
            "ENISA inputs (the severity could reach " + inp.enisa_level_range[1].replace("_", " ") + ")"
        )
    if inp.vulnerable_groups is None:
        pending.append("groups of people affected")
    elif inp.vulnerable_groups:
        items = tuple(inp.vulnerable_groups)
        triggers.append(Trigger("vulnerable", items, "vulnerable people affected: " + ", ".join(items)))
    if best and best.case.inform_subjects and not triggers:
        triggers.append(
            Trigger(
                "edpb_case",
                (best.case.id,),
                f"the closest EDPB case ({best.case.id}: {best.case.title}) informs the people affected; it "
                "is more "
                "protective, so it prevails (reference 8.3)",
            )
        )
    if triggers:
        risk: Risk = "high_risk"
        subjects: SubjectsOutcome = "yes"
        rationale.append(
            "High risk to the people concerned ("
            + "; ".join(t.text for t in triggers)
            + "): inform them without undue delay "
            "(Art. 34(1)), in clear and plain language, with the contact point, likely consequences, "
            "measures and "
            "advice (Art. 34(2))."
        )
    elif pending:
        risk, subjects = "risk", "undetermined"
        rationale.append(
            "Whether the risk is high depends on answers still missing: " + ", ".join(pending) + "."
        )
    else:
        risk, subjects = "risk", "no"
        rationale.append(
            "No high-risk factor found: informing the people affected is not required, but consider it "
            "anyway "
            "(they can protect themselves against phishing)."
        )
    if best:
        rationale.append(
            f"Closest EDPB example: 01/2021 case {best.case.id}, '{best.case.title}' (notify the authority: "
            f"{_show(best.case.notify_sa)}; inform the people: {_show(best.case.inform_subjects)}; driver: "
            f"{best.case.driver})."
        )
    if subjects == "yes" and inp.exemption:
        if not inp.exemption_reason:
            pending.append("rationale for the Art. 34(3) exemption")
            cautions.append("An Art. 34(3) exemption was named without a rationale; it is not applied.")
        else:
            subjects = "exempt"
            rationale.append(
                f"Art. 34(3)({inp.exemption[0]}) exemption chosen by the organisation: {inp.exemption_reason}"
                + (" A public communication is required instead." if inp.exemption.startswith("c") else "")
            )
    if inp.unintelligible and subjects == "yes":
        cautions.append(
            "The data are said to have been unintelligible (8.1): if that held against an attacker on the "
            "running "
            "server, Art. 34(3)(a) may apply; choose it explicitly with a rationale. Disk encryption does "
            "not "
            "protect mail from a webshell on the running server."
        )
    if inp.financial_undertaking and subjects in ("yes", "undetermined"):
        subjects = "not_applicable"
        rationale.append(
            "The organisation is a financial undertaking (Wft): Art. 34 does not apply (UAVG art. 42); "
            "consider "
            "informing the people affected anyway."
        )
    return Decision(
        risk=risk,
        notify_sa="yes",
        inform_subjects=subjects,
        document=True,
        rationale=rationale,
        triggers=triggers,
        cautions=cautions,
        analogue=best,
        alternatives=matches[1:],
        pending=pending,
    )
