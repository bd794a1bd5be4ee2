"""Field aliases per logsource and field properties, loaded once from ``fieldmap.yml``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lekdicht.catalog.kinds import LogSource
from lekdicht.rules.logsources import related

FIELDMAP_PATH = Path(__file__).with_name("fieldmap.yml")


class FieldMapError(ValueError):
    """The field map file is malformed."""


@dataclass(frozen=True, slots=True)
class AliasSet:
    """Aliases that apply to rules related to any of ``when``."""

    when: tuple[LogSource, ...]
    fields: Mapping[str, tuple[str, ...]]
    """Lower-cased field name → names to look up, in order."""


class FieldMap:
    """Resolve the record field names a rule field is looked up under."""

    def __init__(self, aliases: Sequence[AliasSet] = (), percent_decoded: Iterable[str] = ()) -> None:
        self.aliases = tuple(aliases)
        self.percent_decoded = frozenset(name.lower() for name in percent_decoded)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldMap:
        """Build from the parsed YAML structure (see ``fieldmap.yml`` for the format)."""
        sets: list[AliasSet] = []
        for i, entry in enumerate(data.get("aliases") or []):
            if not isinstance(entry, Mapping):
                raise FieldMapError(f"aliases[{i}] must be a mapping")
            when_raw = entry.get("when") or []
            if not isinstance(when_raw, list) or not when_raw:
                raise FieldMapError(f"aliases[{i}].when must be a non-empty list")
            when: list[LogSource] = []
            for ls in when_raw:
                if not isinstance(ls, Mapping) or not set(ls) <= {"product", "category", "service"}:
                    raise FieldMapError(f"aliases[{i}].when holds an invalid logsource: {ls!r}")
                when.append(LogSource(ls.get("product"), ls.get("category"), ls.get("service")))
            fields_raw = entry.get("fields") or {}
            if not isinstance(fields_raw, Mapping):
                raise FieldMapError(f"aliases[{i}].fields must be a mapping")
            fields: dict[str, tuple[str, ...]] = {}
            for name, names in fields_raw.items():
                if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                    raise FieldMapError(f"aliases[{i}].fields.{name} must be a list of names")
                fields[str(name).lower()] = tuple(names)
            sets.append(AliasSet(tuple(when), fields))
        decoded = data.get("percent_decoded_fields") or []
        if not isinstance(decoded, list):
            raise FieldMapError("percent_decoded_fields must be a list")
        return cls(sets, (str(n) for n in decoded))

    @classmethod
    def load(cls, path: Path = FIELDMAP_PATH) -> FieldMap:
        """Read a field map file."""
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, Mapping):
            raise FieldMapError(f"{path}: top level must be a mapping")
        return cls.from_dict(data)

    def candidates(self, logsource: LogSource, field: str) -> tuple[str, ...]:
        """Record field names to try for ``field`` in a rule with ``logsource``, field first."""
        out: dict[str, None] = {field: None}
        key = field.lower()
        for alias_set in self.aliases:
            names = alias_set.fields.get(key)
            if names and any(related(logsource, w) for w in alias_set.when):
                out.update(dict.fromkeys(names))
        return tuple(out)

    def is_percent_decoded(self, field: str) -> bool:
        """True if readers fill ``field`` with a URL-decoded value."""
        return field.lower() in self.percent_decoded


@cache
def default_fieldmap() -> FieldMap:
    """The packaged field map, loaded once per process."""
    return FieldMap.load()
