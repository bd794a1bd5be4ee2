"""Shared normalisation of Windows event records (EVTX and JSON exports) into Sigma field names.

Every record gets ``Channel``, ``EventID`` (a string), ``Provider_Name``, ``Computer``, ``Message``
(only when the source has a rendered message, or one is synthesised, see below) and every
named EventData/UserData field at top level (Sysmon ``Image``, ``ParentImage``, ``CommandLine``,
``TargetFilename``...; Security ``NewProcessName``, ``SubjectUserName``...). System extras when
known: ``EventRecordID``, ``Level``, ``Task``, ``Opcode``, ``Keywords``, ``Version``,
``TimeCreated`` (ISO 8601, UTC), ``UserID``.

Aliases so Sigma ``process_creation`` rules work on Security 4688 unchanged: ``Image`` =
``NewProcessName`` and ``ParentImage`` = ``ParentProcessName`` (unless already present).

Unnamed (positional) EventData ``<Data>`` values become ``Data0``, ``Data1``, ... For the
**MSExchange Management** channel (provider ``MSExchange CmdletLogs``, EventID 1 = succeeded,
6 = failed) the positions are also named (log-formats.md 7.4): ``CmdletName`` [0],
``CmdletParameters`` [1], ``Caller`` [2], ``ClientApplication`` [5], ``ProcessInfo`` [6],
``Exception`` [11]; without a rendered message, ``Message`` is synthesised as
``Cmdlet suceeded. Cmdlet <name>, parameters <params>.`` (``failed`` for EventID 6), the
wording of the real rendered message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lekdicht.catalog.kinds import LogSource
from lekdicht.logs._textlog import parse_iso_utc
from lekdicht.model import Record

CORE_FIELDS = ("Channel", "EventID", "Provider_Name", "Computer")

EXCHANGE_MANAGEMENT_CHANNEL = "MSExchange Management"
EXCHANGE_CMDLET_PROVIDER = "MSExchange CmdletLogs"

EXCHANGE_POSITIONS: dict[int, str] = {
    0: "CmdletName",
    1: "CmdletParameters",
    2: "Caller",
    5: "ClientApplication",
    6: "ProcessInfo",
    11: "Exception",
}
"""Names given to positional EventData of MSExchange Management events."""

SERVICE_BY_CHANNEL: dict[str, str] = {
    "security": "security",
    "system": "system",
    "application": "application",
    "microsoft-windows-sysmon/operational": "sysmon",
    "msexchange management": "msexchange-management",
    "windows powershell": "powershell-classic",
    "microsoft-windows-powershell/operational": "powershell",
    "powershellcore/operational": "powershell",
    "microsoft-windows-windows defender/operational": "windefend",
    "microsoft-windows-taskscheduler/operational": "taskscheduler",
    "microsoft-windows-wmi-activity/operational": "wmi",
    "microsoft-windows-dns-client/operational": "dns-client",
    "microsoft-windows-bits-client/operational": "bits-client",
    "microsoft-windows-codeintegrity/operational": "codeintegrity-operational",
    "microsoft-windows-windows firewall with advanced security/firewall": "firewall-as",
    "microsoft-windows-terminalservices-localsessionmanager/operational": (
        "terminalservices-localsessionmanager"
    ),
    "microsoft-windows-printservice/admin": "printservice-admin",
    "microsoft-windows-printservice/operational": "printservice-operational",
    "microsoft-windows-smbclient/security": "smbclient-security",
    "microsoft-windows-ntlm/operational": "ntlm",
    "microsoft-windows-applocker/exe and dll": "applocker",
    "microsoft-windows-applocker/msi and script": "applocker",
    "microsoft-windows-applocker/packaged app-deployment": "applocker",
    "microsoft-windows-applocker/packaged app-execution": "applocker",
}
"""Channel (lower case) to Sigma ``service``."""

SYSMON_CATEGORIES: dict[str, tuple[str, ...]] = {
    "1": ("process_creation",),
    "2": ("file_change",),
    "3": ("network_connection",),
    "4": ("sysmon_status",),
    "5": ("process_termination",),
    "6": ("driver_load",),
    "7": ("image_load",),
    "8": ("create_remote_thread",),
    "9": ("raw_access_thread",),
    "10": ("process_access",),
    "11": ("file_event",),
    "13": ("registry_set", "registry_event"),
    "14": ("registry_rename", "registry_event"),
    "15": ("create_stream_hash",),
    "16": ("sysmon_status",),
    "17": ("pipe_created",),
    "18": ("pipe_created",),
    "19": ("wmi_event",),
    "20": ("wmi_event",),
    "21": ("wmi_event",),
    "22": ("dns_query",),
    "23": ("file_delete",),
    "24": ("clipboard_capture",),
    "25": ("process_tampering",),
    "26": ("file_delete",),
    "27": ("file_block_executable",),
    "28": ("file_block_shredding",),
    "29": ("file_executable_detected",),
    "255": ("sysmon_error",),
}
"""Sysmon EventID to Sigma ``category`` (12 is split by EventType, see :func:`event_logsources`)."""

CHANNEL_CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("security", "4688"): ("process_creation",),
    ("microsoft-windows-powershell/operational", "4104"): ("ps_script",),
    ("microsoft-windows-powershell/operational", "4103"): ("ps_module",),
    ("windows powershell", "400"): ("ps_classic_start",),
    ("windows powershell", "600"): ("ps_classic_provider_start",),
    ("windows powershell", "800"): ("ps_classic_script",),
}
"""(channel lower case, EventID) to Sigma ``category`` for non-Sysmon channels."""


def to_str(value: object) -> str:
    """Render one event value as a string: None → "", bool → "true"/"false", containers → JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping) and set(value) <= {"#text", "#attributes"} and "#text" in value:
        return to_str(value["#text"])
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings into dotted keys (``a.b.c``); lists and scalars are kept as they are.

    ``#attributes`` and ``#text`` of XML-shaped JSON are folded into the parent key.
    """
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "#attributes" and isinstance(item, Mapping):
            for akey, aval in item.items():
                if akey != "xmlns":
                    out[f"{prefix}{akey}"] = aval
            continue
        name = prefix[:-1] if key == "#text" and prefix else f"{prefix}{key}"
        if isinstance(item, Mapping):
            out.update(flatten(item, f"{name}."))
        else:
            out[name] = item
    return out


def event_time(value: object) -> datetime | None:
    """Parse an event timestamp: ISO 8601 (``Z``, offset, naive = UTC), ``... UTC`` suffixes and
    .NET JSON dates (``/Date(1603065005917)/``)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("/Date(") and text.endswith(")/"):
        millis = text[6:-2]
        for sep in ("+", "-"):
            cut = millis.find(sep, 1)
            if cut > 0:
                millis = millis[:cut]
        try:
            return datetime.fromtimestamp(int(millis) / 1000, tz=UTC)
        except (ValueError, OverflowError, OSError):
            return None
    if text.endswith(" UTC"):
        text = text[:-4]
    return parse_iso_utc(text)


def _is_exchange_management(channel: str, provider: str) -> bool:
    return channel.lower() == EXCHANGE_MANAGEMENT_CHANNEL.lower() or provider == EXCHANGE_CMDLET_PROVIDER


def normalize_event(
    *,
    channel: str,
    event_id: str,
    provider: str,
    computer: str,
    message: str,
    data: Mapping[str, object],
    positional: Sequence[object] = (),
    system: Mapping[str, object] | None = None,
) -> Record:
    """Build the normalised :data:`~lekdicht.model.Record` of one Windows event.

    ``data`` holds named EventData/UserData fields (and, for flat JSON exports, every other key);
    ``positional`` the unnamed ``<Data>`` values in order; ``system`` extra System values.
    """
    fields: Record = {}
    if system:
        for key, value in system.items():
            fields[key] = to_str(value)
    for key, value in data.items():
        fields[key] = to_str(value)
    if positional:
        values = [to_str(v) for v in positional]
        for i, value in enumerate(values):
            fields[f"Data{i}"] = value
        if _is_exchange_management(channel, provider):
            for i, name in EXCHANGE_POSITIONS.items():
                if i < len(values):
                    fields.setdefault(name, values[i])
    fields["Channel"] = channel
    fields["EventID"] = event_id
    fields["Provider_Name"] = provider
    fields["Computer"] = computer
    if "NewProcessName" in fields:
        fields.setdefault("Image", fields["NewProcessName"])
    if "ParentProcessName" in fields:
        fields.setdefault("ParentImage", fields["ParentProcessName"])
    if not message and _is_exchange_management(channel, provider) and fields.get("CmdletName"):
        outcome = {"1": "suceeded", "6": "failed"}.get(event_id)
        if outcome:
            message = (
                f"Cmdlet {outcome}. Cmdlet {fields['CmdletName']}, "
                f"parameters {fields.get('CmdletParameters', '')}."
            )
    if message:
        fields["Message"] = message
    return fields


def record_raw(fields: Mapping[str, str]) -> str:
    """The text keyword (field-less) Sigma rules run over: the Message, else ``key=value`` pairs."""
    message = fields.get("Message")
    if message:
        return message
    return " ".join(f"{key}={value}" for key, value in fields.items() if value)


def event_logsources(fields: Mapping[str, str]) -> list[LogSource]:
    """The Sigma logsources of one normalised event record (product ``windows``).

    One LogSource per category (or a single one with category None), each with the channel's
    service set. A rule matches when every non-None attribute of its logsource equals ours.
    """
    channel = fields.get("Channel", "").lower()
    event_id = fields.get("EventID", "")
    service = SERVICE_BY_CHANNEL.get(channel)
    categories: tuple[str, ...] = ()
    if service == "sysmon":
        if event_id == "12":
            event_type = fields.get("EventType", "").lower()
            sub = "registry_delete" if "delete" in event_type else "registry_add"
            categories = (sub, "registry_event")
        else:
            categories = SYSMON_CATEGORIES.get(event_id, ())
    else:
        categories = CHANNEL_CATEGORIES.get((channel, event_id), ())
    if not categories:
        return [LogSource(product="windows", category=None, service=service)]
    return [LogSource(product="windows", category=c, service=service) for c in categories]


# --------------------------------------------------------------------------------------------
# evtx-rs JSON shape ({"Event": {"System": {...}, "EventData": {...}}})


def _attr(node: object, name: str) -> object:
    if isinstance(node, Mapping):
        attrs = node.get("#attributes")
        if isinstance(attrs, Mapping) and name in attrs:
            return attrs[name]
        if name in node:
            return node[name]
    return None


def scalar(node: object) -> object:
    """``{"#attributes": ..., "#text": x}`` or ``{"Value": x}`` → x; scalars unchanged."""
    if isinstance(node, Mapping):
        for key in ("#text", "Value", "value"):
            if key in node:
                return node[key]
        return None
    return node


def split_event_data(node: object) -> tuple[dict[str, object], list[object]]:
    """Named fields and positional values of an EventData/UserData node of evtx-style JSON."""
    named: dict[str, object] = {}
    positional: list[object] = []
    if not isinstance(node, Mapping):
        if isinstance(node, list):
            positional.extend(node)
        elif node is not None and node != "":
            positional.append(node)
        return named, positional
    for key, value in node.items():
        if key == "#attributes":
            continue
        if key == "Data":
            inner = value
            if isinstance(inner, Mapping) and "#text" in inner:
                inner = inner["#text"]
            if isinstance(inner, list):
                for item in inner:
                    name = _attr(item, "Name")
                    if isinstance(item, Mapping) and name:
                        named[to_str(name)] = scalar(item)
                    else:
                        positional.append(item)
            elif inner is not None:
                positional.append(inner)
            continue
        if key == "Binary" and value is None:
            continue
        if isinstance(value, Mapping) and not (set(value) <= {"#text", "#attributes"}):
            # UserData wraps its fields in one element: fold it
            for sub_key, sub_val in flatten(value).items():
                named.setdefault(sub_key, sub_val)
        else:
            named[key] = value
    return named, positional


def from_evtx_json(event: Mapping[str, Any]) -> tuple[Record, int | None, datetime | None]:
    """Normalise one evtx-rs JSON record (``{"Event": {...}}`` or its inner mapping).

    Returns (fields, EventRecordID, time).
    """
    ev = event.get("Event", event)
    if not isinstance(ev, Mapping):
        ev = {}
    system = ev.get("System")
    if not isinstance(system, Mapping):
        system = {}
    provider = to_str(_attr(system.get("Provider"), "Name"))
    event_id = to_str(scalar(system.get("EventID")))
    channel = to_str(system.get("Channel"))
    computer = to_str(system.get("Computer"))
    time_text = _attr(system.get("TimeCreated"), "SystemTime")
    ts = event_time(time_text)
    record_id_raw = scalar(system.get("EventRecordID"))
    record_id: int | None
    try:
        record_id = int(str(record_id_raw)) if record_id_raw is not None else None
    except ValueError:
        record_id = None
    extra: dict[str, object] = {}
    for key in ("EventRecordID", "Level", "Task", "Opcode", "Keywords", "Version"):
        if key in system and system[key] is not None:
            extra[key] = scalar(system[key])
    if ts is not None:
        extra["TimeCreated"] = ts.isoformat().replace("+00:00", "Z")
    user_id = _attr(system.get("Security"), "UserID")
    if user_id:
        extra["UserID"] = user_id
    named: dict[str, object] = {}
    positional: list[object] = []
    for section in ("EventData", "UserData"):
        if section in ev:
            n, p = split_event_data(ev[section])
            named.update(n)
            positional.extend(p)
    rendering = ev.get("RenderingInfo")
    message = to_str(rendering.get("Message")) if isinstance(rendering, Mapping) else ""
    fields = normalize_event(
        channel=channel,
        event_id=event_id,
        provider=provider,
        computer=computer,
        message=message,
        data=named,
        positional=positional,
        system=extra,
    )
    return fields, record_id, ts
