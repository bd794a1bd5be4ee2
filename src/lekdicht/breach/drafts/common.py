"""Shared wording and formatting for the drafts (Dutch and English).

Every value written into a draft goes through :func:`show`, which adds its provenance (given or
derived, with the source) or writes a visible ``[MISSING: …]`` / ``[ONTBREEKT: …]`` marker.
Free text is escaped with :func:`lekdicht.breach.textsafe.md`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from lekdicht.breach.provenance import Count, Value
from lekdicht.breach.textsafe import md

Lang = Literal["nl", "en"]

_WORDS: dict[str, tuple[str, str]] = {
    # key: (English, Dutch)
    "given": ("given", "opgegeven"),
    "derived": ("derived from", "afgeleid uit"),
    "missing": ("MISSING", "ONTBREEKT"),
    "optional": ("optional", "optioneel"),
    "yes": ("yes", "ja"),
    "no": ("no", "nee"),
    "none": ("none", "geen"),
    "undetermined": ("not yet determinable", "nog niet te bepalen"),
    "exempt": (
        "no: an Art. 34(3) exemption applies",
        "nee: een uitzondering van art. 34 lid 3 AVG is van toepassing",
    ),
    "not_applicable": (
        "not required: Art. 34 does not apply (UAVG art. 42)",
        "niet verplicht: art. 34 AVG geldt niet (art. 42 UAVG)",
    ),
    # scope levels
    "confirmed": ("confirmed", "bevestigd"),
    "likely": ("likely", "waarschijnlijk"),
    "not_excluded": ("cannot be excluded", "niet uit te sluiten"),
    "excluded": ("excluded", "uitgesloten"),
    "not_established": ("not established", "niet vastgesteld"),
    # ENISA levels
    "low": ("Low", "Laag"),
    "medium": ("Medium", "Gemiddeld"),
    "high": ("High", "Hoog"),
    "very_high": ("Very high", "Zeer hoog"),
    # risk
    "no_breach_established": ("no personal-data breach established", "geen datalek vastgesteld"),
    "unlikely": ("unlikely to result in a risk", "leidt waarschijnlijk niet tot een risico"),
    "risk": ("risk to the people concerned", "risico voor de betrokkenen"),
    "high_risk": ("high risk to the people concerned", "hoog risico voor de betrokkenen"),
    # how discovered
    "own_monitoring": ("own monitoring or antivirus", "eigen monitoring of antivirus"),
    "ioc_scan": (
        "scan for indicators of compromise (e.g. Microsoft's script or lekdicht)",
        "scan op inbraaksporen (bijv. het script van Microsoft of lekdicht)",
    ),
    "external_notification": (
        "notification by DIVD, NBIP, NCSC or a CERT",
        "melding van DIVD, NBIP, NCSC of een CERT",
    ),
    "supplier": ("our IT supplier or processor", "onze IT-leverancier of verwerker"),
    "third_party": ("a third party or customer", "een derde of klant"),
    "attacker_contact": (
        "contact by the attacker (e.g. ransom note)",
        "contact door de aanvaller (bijv. losgeldbericht)",
    ),
    "other": ("other", "anders"),
    # communication
    "done": ("informed", "geïnformeerd"),
    "planned": ("planned", "gepland"),
    "not_planned": ("not planned", "niet gepland"),
    # impact choices
    "no_misuse": ("altered, no misuse found", "gewijzigd, geen misbruik vastgesteld"),
    "misuse_recoverable": (
        "altered and possibly misused, recoverable",
        "gewijzigd en mogelijk misbruikt, herstelbaar",
    ),
    "misuse_unrecoverable": (
        "altered and possibly misused, not recoverable",
        "gewijzigd en mogelijk misbruikt, niet herstelbaar",
    ),
    "recoverable": ("recoverable without difficulty", "zonder moeite herstelbaar"),
    "temporary": ("temporarily unavailable", "tijdelijk niet beschikbaar"),
    "permanent": ("permanently unavailable", "blijvend niet beschikbaar"),
}


def w(key: str, lang: Lang) -> str:
    """The word for ``key`` in ``lang`` (the key itself when unknown)."""
    pair = _WORDS.get(key)
    if pair is None:
        return key.replace("_", " ")
    return pair[0] if lang == "en" else pair[1]


@cache
def ap_form() -> dict[str, Any]:
    """The AP form structure and option lists (``data/ap_form.yml``)."""
    text = resources.files("lekdicht.breach").joinpath("data", "ap_form.yml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def option(question: str, key: str, lang: Lang) -> str:
    """The AP form's label for option ``key`` of ``question`` in ``lang``."""
    opts = ap_form()["options"].get(question, {})
    entry = opts.get(key)
    return str(entry[lang]) if isinstance(entry, dict) else w(key, lang)


def fmt_time(dt: datetime, zone: tzinfo | None, lang: Lang = "en") -> str:
    """``2021-03-03 03:10 CET (02:10 UTC)`` with a zone, else ``2021-03-03 02:10 UTC``."""
    utc = dt.astimezone(UTC)
    if zone is None or zone is UTC:
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    local = dt.astimezone(zone)
    return f"{local.strftime('%Y-%m-%d %H:%M')} {local.tzname() or ''} ({utc.strftime('%H:%M UTC')})".replace(
        "  ", " "
    )


def fmt_plain(value: Any, zone: tzinfo | None, lang: Lang) -> str:
    """A value as escaped Markdown text (times formatted, booleans as yes/no, lists joined)."""
    if isinstance(value, datetime):
        return fmt_time(value, zone, lang)
    if isinstance(value, bool):
        return w("yes" if value else "no", lang)
    if isinstance(value, Count):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(fmt_plain(v, zone, lang) for v in value) if value else w("none", lang)
    return md(value)


def tag(v: Value[Any], lang: Lang) -> str:
    """The provenance tag of a value: ``_(given)_`` or ``_(derived from …)_``."""
    if v.status == "given":
        return f" _({w('given', lang)})_"
    if v.status == "derived":
        return f" _({w('derived', lang)} {md(v.source.removeprefix('answers: '))})_"
    return ""


def missing_marker(label: str, key: str, lang: Lang, optional: bool = False) -> str:
    """``**[MISSING: key]**``: ``key`` is the answers key that supplies it (``label`` names it for lists)."""
    opt = f" ({w('optional', lang)})" if optional else ""
    return f"**[{w('missing', lang)}: {md(key)}{opt}]**"


def show(
    v: Value[Any],
    lang: Lang,
    label: str,
    zone: tzinfo | None = None,
    fmt: Callable[[Any], str] | None = None,
    optional: bool = False,
    with_tag: bool = True,
) -> str:
    """A value for a draft: formatted text plus its provenance, or the missing marker."""
    if v.is_missing or v.value is None:
        key = v.source.removeprefix("answers: ")
        return missing_marker(label, key, lang, optional)
    text = fmt(v.value) if fmt else fmt_plain(v.value, zone, lang)
    return text + (tag(v, lang) if with_tag else "")


def bullets(lines: Iterable[str]) -> list[str]:
    """Markdown bullet lines."""
    return [f"- {line}" for line in lines]
