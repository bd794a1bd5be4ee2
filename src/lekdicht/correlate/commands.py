"""Exchange cmdlets found in logs and events, with their parameters parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lekdicht.correlate.activity import citation, first
from lekdicht.model import LogRecord

# Cmdlets that move mail or mailbox data out, or change who receives mail.
DATA_CMDLETS = frozenset(
    {
        "new-mailboxexportrequest",
        "remove-mailboxexportrequest",
        "new-managementroleassignment",
        "new-inboxrule",
        "set-inboxrule",
        "set-mailbox",
        "new-transportrule",
        "set-transportrule",
        "new-mailboxsearch",
        "new-compliancesearch",
    }
)
PREFILTER_WORDS = (
    "MailboxExportRequest",
    "ManagementRoleAssignment",
    "InboxRule",
    "Set-Mailbox",
    "TransportRule",
    "MailboxSearch",
    "ComplianceSearch",
)

_DASH_PARAM = re.compile(r"""(?:^|\s)-(\w+)(?:(?::|\s+)(?!-[A-Za-z])("(?:[^"]|"")*"|'(?:[^']|'')*'|\S+))?""")
_ECP_PARAM = re.compile(r"""\.(\w+)=('(?:[^']|'')*'|[^.]*)""")
_MESSAGE = re.compile(r"Cmdlet (\S+), parameters (.*)", re.S)


@dataclass(slots=True)
class Command:
    """One cmdlet run: name, parameters, who, when, where logged."""

    name: str
    params: dict[str, str] = field(default_factory=dict)
    caller: str = ""
    time: datetime | None = None
    path: str = ""
    line: int | None = None
    record: int | None = None
    failed: bool = False

    def cite(self) -> dict[str, Any]:
        return citation(self.path, self.time, self.line, self.record)

    def param(self, *names: str) -> str:
        """A parameter value by any of its names (case-insensitive)."""
        low = {k.lower(): v for k, v in self.params.items()}
        for n in names:
            if n.lower() in low:
                return low[n.lower()]
        return ""


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        q = value[0]
        return value[1:-1].replace(q + q, q)
    return value


def parse_dash_params(text: str) -> dict[str, str]:
    """``-Mailbox "a" -FilePath '\\\\x\\y'`` → {"Mailbox": "a", "FilePath": "\\\\x\\y"}; flags get ""."""
    return {m.group(1): _unquote(m.group(2) or "") for m in _DASH_PARAM.finditer(text)}


def parse_ecp_cmd(text: str) -> tuple[str, dict[str, str]]:
    """ECP log ``New-InboxRule.Name='x'.ForwardTo='y'`` → name and parameters."""
    name, _, rest = text.partition(".")
    params = {m.group(1): _unquote(m.group(2)) for m in _ECP_PARAM.finditer("." + rest)} if rest else {}
    return name.strip(), params


def command_from(rec: LogRecord) -> Command | None:
    """The cmdlet a record describes, if it is one of DATA_CMDLETS."""
    f = rec.fields
    name, params = "", {}
    if f.get("CmdletName"):
        name, params = f["CmdletName"], parse_dash_params(f.get("CmdletParameters", ""))
    elif f.get("Cmdlet"):
        name, params = f["Cmdlet"], parse_dash_params(f.get("Parameters", ""))
    elif f.get("CMD"):
        name, params = parse_ecp_cmd(f["CMD"])
    elif m := _MESSAGE.search(f.get("Message", "")):
        name, params = m.group(1).rstrip(","), parse_dash_params(m.group(2))
    if name.lower() not in DATA_CMDLETS:
        return None
    failed = f.get("EventID") == "6" or "fail" in first(f, "ExecutionResult", "ErrorType").lower()
    return Command(
        name=name,
        params=params,
        caller=first(f, "Caller", "AuthenticatedUser", "SID"),
        time=rec.timestamp,
        path=rec.location.path,
        line=rec.location.line,
        record=rec.location.record,
        failed=failed,
    )
