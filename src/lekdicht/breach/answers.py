"""The answers file: what the scan cannot know (organisation, contacts, awareness, data, people, measures).

One table, :data:`FIELDS`, drives everything: the commented YAML template (``--template``), loading
and validating a file (every problem is reported with its key, nothing is guessed), and asking for
missing answers at a terminal. Unknown keys are errors, so a typo cannot silently drop an answer.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from lekdicht.breach.provenance import Count, Value, given, missing

Kind = Literal["text", "texts", "datetime", "bool", "count", "choice", "choices", "tz", "dpc_map"]

DISCOVERY = (
    "own_monitoring",
    "ioc_scan",
    "external_notification",
    "supplier",
    "third_party",
    "attacker_contact",
    "other",
)
CATEGORIES = (
    "name",
    "sex",
    "date_of_birth",
    "bsn",
    "contact_details",
    "address",
    "email",
    "phone",
    "access_credentials",
    "financial",
    "iban",
    "credit_card",
    "debts",
    "benefits",
    "other_financial",
    "id_documents",
    "location",
    "criminal",
    "unknown",
    "other",
)
SPECIAL = (
    "racial_ethnic",
    "political",
    "religious",
    "trade_union",
    "sex_life",
    "health",
    "genetic",
    "biometric",
)
GROUPS = ("employees", "customers", "students", "patients", "minors", "vulnerable", "other")
SCOPE = ("confirmed", "not_excluded", "excluded")
EXFIL = ("confirmed", "likely", "not_excluded", "excluded")
CHANNELS = ("phone", "letter", "email", "website", "social_media", "newspaper", "other")
CONSEQ_CONTROLLER = (
    "seen",
    "misused",
    "incorrect_used",
    "passed_on",
    "temporarily_unavailable",
    "permanently_unavailable",
    "other",
)
CONSEQ_SUBJECTS = (
    "discrimination",
    "identity_fraud",
    "financial_loss",
    "reputation",
    "professional_secrecy",
    "pseudonymisation",
    "no_control",
    "lose_track",
    "other",
)


@dataclass(frozen=True, slots=True)
class AnswerField:
    """One answer: its dotted key, type, question text, help, choices and AP form question."""

    key: str
    kind: Kind
    label: str
    help: str = ""
    choices: tuple[str, ...] = ()
    ap: str = ""
    required: bool = True


def _f(
    key: str,
    kind: Kind,
    label: str,
    help: str = "",
    choices: tuple[str, ...] = (),
    ap: str = "",
    required: bool = True,
) -> AnswerField:
    return AnswerField(key, kind, label, help, choices, ap, required)


FIELDS: tuple[AnswerField, ...] = (
    _f("reference", "text", "Your internal reference for this breach (breach register)", required=False),
    _f(
        "timezone",
        "tz",
        "Time zone for times written without an offset",
        "IANA name, e.g. Europe/Amsterdam",
        required=False,
    ),
    # organisation (AP 3.1)
    _f("organisation.name", "text", "Organisation (controller) name", ap="3.1.1"),
    _f("organisation.address", "text", "Organisation address", ap="3.1.1"),
    _f("organisation.kvk_number", "text", "Chamber of Commerce (KvK) number", ap="3.1.1"),
    _f(
        "organisation.fg_registration",
        "text",
        "AP registration number of the DPO (FG), if you have one",
        ap="3.1.1",
        required=False,
    ),
    _f("organisation.sector", "text", "Sector", ap="3.1.2"),
    _f(
        "organisation.financial_undertaking",
        "bool",
        "Is the organisation a financial undertaking under the Wft? (UAVG art. 42: Art. 34 does not apply)",
    ),
    # people (AP 3.2)
    _f("reporter.name", "text", "Reporter: name", ap="3.2.1"),
    _f("reporter.function", "text", "Reporter: function", ap="3.2.1"),
    _f("reporter.email", "text", "Reporter: e-mail", ap="3.2.1"),
    _f("reporter.phone", "text", "Reporter: phone", ap="3.2.1"),
    _f("contact.name", "text", "Contact point (DPO or other): name", ap="3.2.2"),
    _f("contact.function", "text", "Contact point: function", ap="3.2.2", required=False),
    _f("contact.email", "text", "Contact point: e-mail", ap="3.2.2"),
    _f("contact.phone", "text", "Contact point: phone", ap="3.2.2"),
    _f(
        "contact.is_dpo",
        "bool",
        "Is the contact point the data protection officer (FG)?",
        ap="3.2.2",
        required=False,
    ),
    _f(
        "other_organisations",
        "texts",
        "Other organisations involved (processors such as the IT provider, "
        "recipients); an empty list means none",
        ap="3.3",
    ),
    # notification (AP 1, 2, 4.5)
    _f(
        "notification.legal_basis",
        "choice",
        "Legal basis for notifying",
        choices=("AVG", "Telecommunicatiewet", "Wpg", "other"),
        ap="1.2",
    ),
    _f(
        "notification.other_regulators",
        "texts",
        "Also reported to other regulators (e.g. DNB, AFM, IGJ, "
        "NCSC/CSIRT under NIS2); an empty list means none",
        ap="1.3",
    ),
    _f("notification.cross_border", "bool", "Are people in other countries affected?", ap="2.1.1"),
    _f("notification.countries", "texts", "Which other countries", ap="2.1.1", required=False),
    _f(
        "notification.other_dpas",
        "texts",
        "Other data protection authorities notified",
        ap="2.2.1",
        required=False,
    ),
    _f(
        "notification.notified_at",
        "datetime",
        "When the notification to the AP was (or will be) submitted",
        "leave empty if not yet submitted",
        required=False,
    ),
    _f("notification.late_reason", "text", "Reason for notifying after 72 hours", ap="4.5", required=False),
    # timeline (AP 4)
    _f(
        "timeline.aware_at",
        "datetime",
        "Time of awareness: when you had reasonable certainty that personal "
        "data were compromised (starts the 72 hours)",
        "e.g. 2021-03-04 09:30 (uses 'timezone') or 2021-03-04T09:30:00+01:00",
        ap="4.2",
    ),
    _f("timeline.aware_note", "text", "Why this is the moment of awareness", required=False),
    _f(
        "timeline.discovered_at",
        "datetime",
        "First signal of the incident (may be before awareness)",
        ap="4.2",
    ),
    _f("timeline.how_discovered", "choice", "How the breach was discovered", choices=DISCOVERY, ap="4.3"),
    _f(
        "timeline.how_discovered_note",
        "text",
        "How it was discovered, in a sentence",
        ap="4.3",
        required=False,
    ),
    _f(
        "timeline.contained_at",
        "datetime",
        "When the attacker's access ended (server isolated or cleaned); empty if not yet",
        ap="4.1.2",
        required=False,
    ),
    # scope established by forensics (overrides what the scan derives)
    _f(
        "scope.mailbox_content",
        "choice",
        "Forensic conclusion on access to mailbox content",
        choices=SCOPE,
        required=False,
    ),
    _f(
        "scope.address_list",
        "choice",
        "Forensic conclusion on the address list (GAL/OAB)",
        choices=SCOPE,
        required=False,
    ),
    _f(
        "scope.exfiltration",
        "choice",
        "Forensic conclusion on data leaving the organisation",
        choices=EXFIL,
        required=False,
    ),
    _f("scope.basis", "text", "Who established the scope conclusions above, and how", required=False),
    # personal data (AP 6, 8)
    _f(
        "personal_data.categories",
        "choices",
        "Kinds of personal data in the mailboxes",
        choices=CATEGORIES,
        ap="6.1",
    ),
    _f(
        "personal_data.special_categories",
        "choices",
        "Special categories of personal data in the mailboxes; an empty list means none",
        choices=SPECIAL,
        ap="6.2",
    ),
    _f(
        "personal_data.records",
        "count",
        "Number of data records (e.g. mails or mailboxes), exact or min-max",
        ap="6.3.1",
    ),
    _f(
        "personal_data.records_note",
        "text",
        "What a record is and how the number was estimated",
        ap="6.3.1",
        required=False,
    ),
    _f(
        "personal_data.protection",
        "choice",
        "Were the data encrypted, hashed or otherwise unintelligible to the attacker?",
        choices=("encrypted", "hashed", "unintelligible", "none"),
        ap="8.1",
    ),
    _f("personal_data.protection_note", "text", "Explanation of the protection", ap="8.1", required=False),
    # people affected (AP 7)
    _f("data_subjects.groups", "choices", "Groups of people affected", choices=GROUPS, ap="7.1"),
    _f("data_subjects.description", "text", "Description of the people affected", ap="7.2"),
    _f("data_subjects.count", "count", "Number of people affected, exact or min-max", ap="7.3"),
    # impact beyond confidentiality
    _f(
        "impact.integrity",
        "choice",
        "Were personal data altered?",
        choices=("none", "no_misuse", "misuse_recoverable", "misuse_unrecoverable"),
        ap="5.1",
    ),
    _f(
        "impact.availability",
        "choice",
        "Were personal data unavailable (e.g. ransomware)?",
        choices=("none", "recoverable", "temporary", "permanent"),
        ap="5.1",
    ),
    _f(
        "impact.consequences_for_controller",
        "choices",
        "Further consequences for the organisation and the data",
        choices=CONSEQ_CONTROLLER,
        ap="9.1",
        required=False,
    ),
    _f(
        "impact.consequences_for_subjects",
        "choices",
        "Further consequences for the people affected",
        choices=CONSEQ_SUBJECTS,
        ap="9.2",
        required=False,
    ),
    _f("impact.narrative", "text", "Likely consequences in your own words", ap="9.2", required=False),
    # ENISA overrides, each with a reason
    _f(
        "enisa.dpc_adjustments",
        "dpc_map",
        "Adjusted DPC per ENISA data category, each with a reason",
        "e.g. {financial: {score: 4, reason: 'ID copies enable fraud'}} or {simple: profiling}",
        required=False,
    ),
    _f(
        "enisa.ei",
        "choice",
        "Ease of identification (ENISA), if not the derived value",
        choices=("negligible", "limited", "significant", "maximum"),
        required=False,
    ),
    _f("enisa.ei_reason", "text", "Reason for the ease of identification", required=False),
    _f(
        "enisa.confidentiality",
        "choice",
        "Loss of confidentiality (ENISA), if not the derived value",
        choices=("none_evidence", "known_recipients", "unknown_recipients"),
        required=False,
    ),
    _f("enisa.confidentiality_reason", "text", "Reason for the loss of confidentiality", required=False),
    _f(
        "severity.ap_level",
        "choice",
        "Severity for AP question 9.3, if not the level proposed from ENISA",
        choices=("verwaarloosbaar", "beperkt", "aanzienlijk", "zeer_groot"),
        ap="9.3",
        required=False,
    ),
    _f("severity.reason", "text", "Reason for the severity", ap="9.3", required=False),
    # communication to the people affected (AP 10.1)
    _f(
        "communication.status",
        "choice",
        "Informing the people affected",
        choices=("done", "planned", "not_planned"),
        ap="10.1.1",
    ),
    _f("communication.sent_at", "datetime", "When they were (or will be) informed", required=False),
    _f(
        "communication.count",
        "count",
        "How many people were (or will be) informed",
        ap="10.1.3",
        required=False,
    ),
    _f("communication.channels", "choices", "Channels", choices=CHANNELS, ap="10.1.7", required=False),
    _f(
        "communication.reason_if_not",
        "text",
        "Why the people affected are not informed",
        ap="10.1.1",
        required=False,
    ),
    _f(
        "communication.exemption",
        "choice",
        "Art. 34(3) exemption you rely on (must be chosen explicitly)",
        choices=("a_unintelligible", "b_subsequent_measures", "c_disproportionate"),
        required=False,
    ),
    _f("communication.exemption_reason", "text", "Rationale for the exemption", required=False),
    _f(
        "communication.public_notice_url",
        "text",
        "Public communication instead (Art. 34(3)(c))",
        required=False,
    ),
    # measures (AP 10.2)
    _f(
        "measures.taken", "texts", "Measures taken (containment, clean-up, recovery), one per line", ap="10.2"
    ),
    _f("measures.planned", "texts", "Measures planned (to prevent recurrence)", ap="10.2", required=False),
    _f("measures.advice_for_subjects", "texts", "Extra advice for the people affected", required=False),
    # accountability
    _f("decision.dpo_advice", "text", "Advice of the DPO", required=False),
    _f("decision.decided_by", "text", "Who decided on notification", required=False),
    _f("decision.decided_at", "datetime", "When it was decided", required=False),
)
BY_KEY: dict[str, AnswerField] = {f.key: f for f in FIELDS}
_GROUPS = {k.split(".")[0] for k in BY_KEY if "." in k}


class AnswersError(ValueError):
    """The answers file cannot be used; ``problems`` lists every problem with its key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(slots=True)
class Answers:
    """Parsed answers by dotted key, and where each came from (file or terminal)."""

    values: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def get(self, key: str) -> Any:
        """The parsed answer, or None when not given."""
        if key not in BY_KEY:
            raise KeyError(key)
        return self.values.get(key)

    def has(self, key: str) -> bool:
        """True when the answer was given (an empty list counts as an answer: "none")."""
        return self.get(key) is not None

    def value(self, key: str, note: str = "") -> Value[Any]:
        """The answer as a ``given`` value, or ``missing``."""
        if self.has(key):
            origin = self.origin.get(key, "")
            return given(
                self.values[key], key, note or ("entered at the terminal" if origin == "terminal" else "")
            )
        return missing(key, note or BY_KEY[key].label)

    def tz(self) -> tzinfo | None:
        """The configured time zone, if any."""
        name = self.values.get("timezone")
        return _zone(name) if isinstance(name, str) else None

    def to_yaml_dict(self) -> dict[str, Any]:
        """The answers as nested plain data (for ``answers-used.yml``)."""
        out: dict[str, Any] = {}
        for key, val in self.values.items():
            parts = key.split(".")
            node = out
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = _plain(val)
        return out


def _plain(val: Any) -> Any:
    if isinstance(val, datetime):
        return val.isoformat()
    if isinstance(val, Count):
        return str(val)
    if isinstance(val, list):
        return [_plain(v) for v in val]
    if isinstance(val, dict):
        return {k: _plain(v) for k, v in val.items()}
    return val


def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (no time-zone database on this system? write times with an offset, "
            "e.g. +01:00)"
        ) from exc


# ---------------------------------------------------------------------------------------------- parsing

_COUNT = re.compile(r"^\s*(\d[\d_.,]*)\s*(?:-|–|to|tot)\s*(\d[\d_.,]*)\s*$")


def _int(text: str) -> int:
    return int(re.sub(r"[_.,\s]", "", text))


def parse_datetime(raw: object, zone: tzinfo | None) -> datetime:
    """An aware datetime from an ISO 8601 string or YAML timestamp; naive times use ``zone``.

    Local times that do not exist or are ambiguous at a daylight-saving change are refused.
    """
    if isinstance(raw, datetime):
        dt = raw
    elif isinstance(raw, date):
        raise ValueError("a date without a time of day; give the time too (e.g. 2021-03-04 09:30)")
    elif isinstance(raw, str):
        text = raw.strip().replace(" ", "T", 1) if " " in raw.strip() else raw.strip()
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(
                f"not an ISO 8601 time: {raw!r} (e.g. 2021-03-04 09:30 or 2021-03-04T09:30+01:00)"
            ) from exc
    else:
        raise ValueError(f"not a time: {raw!r}")
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        return dt
    if zone is None:
        raise ValueError(f"{raw!r} has no UTC offset and no 'timezone' is set; add one of them")
    local = dt.replace(tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != dt:
        raise ValueError(f"{raw!r} does not exist in {zone} (daylight-saving change); give an offset")
    if local.replace(fold=1).utcoffset() != local.utcoffset():
        raise ValueError(f"{raw!r} is ambiguous in {zone} (daylight-saving change); give an offset")
    return local


def parse_count(raw: object) -> Count:
    """An exact number or a ``min-max`` range (also ``{min: .., max: ..}``)."""
    if isinstance(raw, bool):
        raise ValueError(f"not a number: {raw!r}")
    if isinstance(raw, int):
        low = high = raw
    elif isinstance(raw, Mapping) and {"min", "max"} <= set(raw):
        low, high = parse_count(raw["min"]).low, parse_count(raw["max"]).high
    elif isinstance(raw, str):
        m = _COUNT.match(raw)
        if m:
            low, high = _int(m.group(1)), _int(m.group(2))
        elif re.fullmatch(r"\s*\d[\d_.,]*\s*", raw):
            low = high = _int(raw)
        else:
            raise ValueError(f"not a number or range: {raw!r} (e.g. 250 or 200-300)")
    else:
        raise ValueError(f"not a number or range: {raw!r}")
    if low < 0 or high < low:
        raise ValueError(f"invalid range {low}-{high}")
    return Count(low, high)


def _as_list(raw: object) -> list[Any]:
    if isinstance(raw, list):
        return raw
    if isinstance(raw, str):
        return [p.strip() for p in re.split(r"[,\n]", raw) if p.strip()]
    raise ValueError(f"expected a list, got {raw!r}")


def _choice(raw: object, spec: AnswerField) -> str:
    text = str(raw).strip()
    for c in spec.choices:
        if text.lower() == c.lower():
            return c
    hint = difflib.get_close_matches(text, spec.choices, n=1)
    raise ValueError(
        f"{text!r} is not one of: {', '.join(spec.choices)}"
        + (f" (did you mean {hint[0]!r}?)" if hint else "")
    )


def _dpc_map(raw: object) -> dict[str, dict[str, Any]]:
    from lekdicht.breach.enisa import tables

    t = tables()
    if not isinstance(raw, Mapping):
        raise ValueError("expected a mapping of ENISA category to an adjustment or {score, reason}")
    out: dict[str, dict[str, Any]] = {}
    for cat, adj in raw.items():
        if cat not in t.dpc:
            raise ValueError(f"unknown ENISA category {cat!r} (one of {', '.join(t.dpc)})")
        spec = t.dpc[cat]
        if isinstance(adj, str):
            if adj not in spec.adjustments:
                raise ValueError(f"{cat}: unknown adjustment {adj!r} (one of {', '.join(spec.adjustments)})")
            score, reason = spec.adjustments[adj]
            out[cat] = {"score": score, "reason": reason, "adjustment": adj}
        elif isinstance(adj, Mapping):
            score_raw, reason_raw = adj.get("score"), adj.get("reason")
            if not isinstance(score_raw, int) or isinstance(score_raw, bool):
                raise ValueError(f"{cat}: 'score' must be a whole number {spec.low}-{spec.high}")
            if not spec.low <= score_raw <= spec.high:
                raise ValueError(f"{cat}: score {score_raw} outside {spec.low}-{spec.high}")
            if not isinstance(reason_raw, str) or not reason_raw.strip():
                raise ValueError(
                    f"{cat}: a changed DPC score needs a 'reason' (ENISA: justify every deviation)"
                )
            out[cat] = {"score": score_raw, "reason": reason_raw.strip(), "adjustment": None}
        else:
            raise ValueError(f"{cat}: expected an adjustment name or {{score, reason}}")
    return out


def parse_value(spec: AnswerField, raw: object, zone: tzinfo | None) -> Any:
    """Validate and convert one raw answer; raises ValueError with a plain message."""
    kind = spec.kind
    if kind in ("text", "tz"):
        if not isinstance(raw, str | int | float) or isinstance(raw, bool):
            raise ValueError(f"expected text, got {raw!r}")
        text = str(raw).strip()
        if not text:
            raise ValueError("empty")
        if kind == "tz":
            _zone(text)
        return text
    if kind == "texts":
        items = [str(x).strip() for x in _as_list(raw)]
        if any(not x for x in items):
            raise ValueError("empty item in list")
        return items
    if kind == "datetime":
        return parse_datetime(raw, zone)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("yes", "ja", "true", "y", "j"):
            return True
        if text in ("no", "nee", "false", "n"):
            return False
        raise ValueError(f"expected yes or no, got {raw!r}")
    if kind == "count":
        return parse_count(raw)
    if kind == "choice":
        return _choice(raw, spec)
    if kind == "choices":
        seen: list[str] = []
        for item in _as_list(raw):
            c = _choice(item, spec)
            if c not in seen:
                seen.append(c)
        return seen
    if kind == "dpc_map":
        return _dpc_map(raw)
    raise AssertionError(kind)


def _flatten(data: Mapping[str, Any], prefix: str, out: dict[str, Any], unknown: list[str]) -> None:
    for k, v in data.items():
        key = f"{prefix}{k}"
        if key in BY_KEY:
            out[key] = v
        elif not prefix and k in _GROUPS and isinstance(v, Mapping):
            _flatten(v, f"{k}.", out, unknown)
        elif not prefix and k in _GROUPS and v is None:
            continue
        else:
            unknown.append(key)


def parse_answers(data: object, path: Path | None = None) -> Answers:
    """Answers from already-loaded YAML data; raises AnswersError listing every problem."""
    if data is None:
        return Answers(path=path)
    if not isinstance(data, Mapping):
        raise AnswersError(["the answers file must be a mapping of keys to answers (see --template)"])
    flat: dict[str, Any] = {}
    unknown: list[str] = []
    _flatten(data, "", flat, unknown)
    problems: list[str] = []
    for key in unknown:
        hint = difflib.get_close_matches(key, list(BY_KEY), n=1)
        problems.append(f"{key}: unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    zone: tzinfo | None = None
    if flat.get("timezone") not in (None, ""):
        try:
            zone = _zone(str(flat["timezone"]))
        except ValueError as exc:
            problems.append(f"timezone: {exc}")
    answers = Answers(path=path)
    for key, raw in flat.items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue  # left empty: missing
        try:
            answers.values[key] = parse_value(BY_KEY[key], raw, zone)
            answers.origin[key] = "file"
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    if problems:
        raise AnswersError(problems)
    return answers


def load_answers(path: Path) -> Answers:
    """Read and validate an answers YAML file; raises AnswersError with every problem."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswersError([f"cannot read {path}: {exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise AnswersError([f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from exc
    return parse_answers(data, path)


# --------------------------------------------------------------------------------------------- template


def template() -> str:
    """The commented answers template (every answer empty: nothing is pre-filled but the time zone)."""
    lines = [
        "# lekdicht breach: answers the scan cannot know.",
        "# Fill in what you know; leave the rest empty. Missing answers are listed and shown as",
        "# [MISSING: ...] in the drafts, never guessed. Lists: [a, b] or one '- item' per line; an empty",
        "# list [] means 'none'. Times: 2021-03-04 09:30 (in 'timezone') or 2021-03-04T09:30:00+01:00.",
        "# Numbers of people or records: exact (250) or a range (200-300). (AP x.y) = AP form question.",
        "",
    ]
    current = ""
    for spec in FIELDS:
        group, _, leaf = spec.key.rpartition(".")
        if group != current:
            if group:
                lines.append(f"\n{group}:")
            current = group
        indent = "  " if group else ""
        name = leaf or spec.key
        note = spec.label + (f" (AP {spec.ap})" if spec.ap else "") + ("" if spec.required else " [optional]")
        lines.append(f"{indent}# {note}")
        if spec.help:
            lines.append(f"{indent}#   {spec.help}")
        if spec.choices:
            lines.append(
                f"{indent}#   choose{' one or more' if spec.kind == 'choices' else ''}: "
                f"{', '.join(spec.choices)}"
            )
        if spec.key == "timezone":
            lines.append(f"{indent}{name}: Europe/Amsterdam")
        else:
            lines.append(f"{indent}{name}:")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


# ---------------------------------------------------------------------------------------------- prompting


def prompt_missing(
    answers: Answers,
    keys: Iterable[str],
    ask: Callable[..., Any],
    echo: Callable[[str], None],
) -> list[str]:
    """Ask for each missing answer in ``keys`` (``ask`` is click.prompt); returns the keys answered.

    An empty reply leaves the answer missing. Invalid replies are explained and asked again.
    """
    answered: list[str] = []
    zone = answers.tz()
    keys = list(keys)
    if zone is None and any(BY_KEY[k].kind == "datetime" and not answers.has(k) for k in keys):
        while zone is None:
            raw = ask("Time zone for the times you type without an offset", default="Europe/Amsterdam")
            try:
                answers.values["timezone"] = parse_value(BY_KEY["timezone"], raw, None)
            except ValueError as exc:
                echo(f"  {exc}")
                continue
            answers.origin["timezone"] = "terminal"
            answered.append("timezone")
            zone = answers.tz()
    for key in keys:
        if answers.has(key):
            continue
        spec = BY_KEY[key]
        text = spec.label + (f" (AP {spec.ap})" if spec.ap else "")
        if spec.choices:
            text += f" [{', '.join(spec.choices)}{'; comma-separated' if spec.kind == 'choices' else ''}]"
        elif spec.kind == "texts":
            text += " [comma-separated; '-' for none]"
        while True:
            raw = ask(text, default="", show_default=False)
            raw = raw.strip() if isinstance(raw, str) else raw
            if raw in ("", None):
                break
            if spec.kind in ("texts", "choices") and raw == "-":
                raw = []
            try:
                answers.values[key] = parse_value(spec, raw, zone)
            except ValueError as exc:
                echo(f"  {exc}")
                continue
            answers.origin[key] = "terminal"
            answered.append(key)
            if key == "timezone":
                zone = answers.tz()
            break
    return answered
