"""Where a file sits on an Exchange server: its web role, decided from the evidence-relative path.

Evidence may be a plain copy of ``C:\\`` (``inetpub/...``), a collector tree with a prefix
(``SERVER01/C/...``, ``C_/...``), Exchange on another drive, or anything else. Paths are therefore
matched by their segments, case-insensitively, with ``\\`` or ``/`` as separator, never by a fixed prefix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Web roles: folders IIS serves, where a dropped script is a webshell.
ASPNET_CLIENT = "aspnet_client"
OWA_AUTH = "owa_auth"
ECP_AUTH = "ecp_auth"
EXCHANGE_WEB = "exchange_web"
WEB_ROOT = "web_root"
ASPNET_TEMP = "aspnet_temp"
# Drop zones: folders where the waves left tools, dumps and archives.
PROGRAMDATA = "programdata"
WINDOWS_TEMP = "windows_temp"
USERS_PUBLIC = "users_public"
PERFLOGS = "perflogs"
ROOT_DIR = "root_dir"
OTHER = "other"
"""Role recorded for files that :func:`classify_path` leaves unclassified (None)."""

WEB_SERVED_ROLES = frozenset({ASPNET_CLIENT, OWA_AUTH, ECP_AUTH, EXCHANGE_WEB, WEB_ROOT})
"""Folders served by IIS: content found here is reachable over HTTP."""
WEB_ROLES = WEB_SERVED_ROLES | {ASPNET_TEMP}
"""Web-served folders plus the ASP.NET compilation cache (compiled pages of served folders)."""
DROP_ROLES = frozenset({PROGRAMDATA, WINDOWS_TEMP, USERS_PUBLIC, PERFLOGS, ROOT_DIR})
"""Host folders where tools, dumps and staging archives were left."""

_DRIVE_MARKER = re.compile(
    r"^(?:[a-z]|[a-z]:|[a-z]_|[a-z]\$|[a-z]_drive|drive_[a-z]|volume\d*|harddiskvolume\d+)$"
)
_ENV_VAR = re.compile(r"^%[^%]+%")
_ENV_PREFIX = {
    "%systemdrive%": "",
    "%exchangeinstallpath%": "",
    "%windir%": "windows",
    "%systemroot%": "windows",
    "%programfiles%": "program files",
    "%programfiles(x86)%": "program files (x86)",
    "%programdata%": "programdata",
    "%allusersprofile%": "programdata",
    "%public%": "users/public",
    "%temp%": "windows/temp",
    "%tmp%": "windows/temp",
}


def split_path(path: str) -> list[str]:
    """Lower-case path segments; ``\\`` and ``/`` both separate, empty and ``.`` segments are dropped."""
    return [s for s in path.replace("\\", "/").lower().split("/") if s and s != "."]


def _find_seq(segments: Sequence[str], seq: Sequence[str], start: int = 0) -> int:
    """Index of the first occurrence of ``seq`` as consecutive segments, or -1."""
    n = len(seq)
    for i in range(start, len(segments) - n + 1):
        if tuple(segments[i : i + n]) == tuple(seq):
            return i
    return -1


def _at_drive_root(segments: Sequence[str], index: int) -> bool:
    """True if ``segments[index]`` is a top-level folder of a drive (first segment, or after a drive)."""
    return index == 0 or bool(_DRIVE_MARKER.match(segments[index - 1]))


def windows_path_suffix(physical_path: str) -> str | None:
    """Map a Windows path from configuration onto a drive-independent suffix for matching evidence paths.

    ``%SystemDrive%\\inetpub\\wwwroot`` → ``inetpub/wwwroot``; ``C:\\ProgramData\\COM`` → ``programdata/com``;
    ``%ExchangeInstallPath%FrontEnd\\HttpProxy\\owa`` → ``frontend/httpproxy/owa``. Returns None when nothing
    specific is left (a bare drive) so that a root never matches every file.
    """
    text = physical_path.strip().strip('"').replace("\\", "/").lower()
    if text.startswith("//?/"):
        text = text[4:]
    if text.startswith("//"):  # UNC: drop server and share
        parts = [p for p in text[2:].split("/") if p]
        text = "/".join(parts[2:])
    m = _ENV_VAR.match(text)
    if m:
        var = m.group(0)
        rest = text[len(var) :].lstrip("/")
        prefix = _ENV_PREFIX.get(var, "")
        text = f"{prefix}/{rest}" if prefix else rest
    text = re.sub(r"^[a-z]:", "", text)
    segments = split_path(text)
    if segments and segments[0] == "users" and segments[1:2] == ["all users"]:
        segments = ["programdata", *segments[2:]]
    return "/".join(segments) or None


def in_root(relpath: str, root_suffix: str) -> bool:
    """True if ``relpath`` lies below ``root_suffix`` (see windows_path_suffix), at segment boundaries."""
    segs = split_path(relpath)
    root = split_path(root_suffix)
    if not root:
        return False
    i = _find_seq(segs, root)
    # The file must be below the root, not the root itself.
    while i >= 0:
        if i + len(root) < len(segs):
            return True
        i = _find_seq(segs, root, i + 1)
    return False


def classify_path(relpath: str, vdir_roots: list[str]) -> str | None:
    """Web role of an evidence-relative file path, or None if it is in no folder of interest.

    ``vdir_roots`` are drive-independent suffixes of IIS virtual-directory physical paths (see
    :func:`windows_path_suffix` and :mod:`lekdicht.files.iisconfig`). The most specific role wins:
    ``aspnet_temp``, ``aspnet_client``, ``exchange_web`` for the back end (``ClientAccess``), ``ecp_auth``,
    ``owa_auth`` (front end, any prefix), ``exchange_web`` (``FrontEnd\\HttpProxy``), ``web_root``
    (``inetpub\\wwwroot`` or a vdir root), ``programdata``, ``windows_temp``, ``users_public``,
    ``perflogs``, ``root_dir``.
    """
    segs = split_path(relpath)
    dirs = segs[:-1]
    if not segs:
        return None
    if "temporary asp.net files" in dirs:
        return ASPNET_TEMP
    if "aspnet_client" in dirs:
        return ASPNET_CLIENT
    if "clientaccess" in dirs:  # back-end web folders: content scan only, no front-end auth-folder rules
        return EXCHANGE_WEB
    if _find_seq(dirs, ("ecp", "auth")) >= 0:
        return ECP_AUTH
    if _find_seq(dirs, ("owa", "auth")) >= 0:
        return OWA_AUTH
    if _find_seq(dirs, ("frontend", "httpproxy")) >= 0:
        return EXCHANGE_WEB
    if _find_seq(dirs, ("inetpub", "wwwroot")) >= 0:
        return WEB_ROOT
    if any(in_root(relpath, root) for root in vdir_roots):
        return WEB_ROOT
    if "programdata" in dirs or _find_seq(dirs, ("users", "all users")) >= 0:
        return PROGRAMDATA
    if _find_seq(dirs, ("windows", "temp")) >= 0:
        return WINDOWS_TEMP
    if _find_seq(dirs, ("users", "public")) >= 0:
        return USERS_PUBLIC
    if "perflogs" in dirs:
        return PERFLOGS
    for i, seg in enumerate(dirs):
        if seg == "root" and _at_drive_root(segs, i):
            return ROOT_DIR
    return None


def owa_auth_area(relpath: str) -> str | None:
    """Where in ``owa\\auth`` a file is: ``root``, ``current`` (``Current\\...``), ``build`` (a build-number
    folder such as ``15.1.2176.2\\...``), ``other`` (another sub-folder), or None if not under owa\\auth."""
    segs = split_path(relpath)
    i = _find_seq(segs[:-1], ("owa", "auth"))
    if i < 0:
        return None
    below = segs[i + 2 : -1]
    if not below:
        return "root"
    if below[0] == "current":
        return "current"
    if re.fullmatch(r"\d+(?:\.\d+){1,3}", below[0]):
        return "build"
    return "other"


def ecp_auth_depth(relpath: str) -> int | None:
    """Number of folders between ``ecp\\auth`` and the file (0 = directly in it), or None if not under it."""
    segs = split_path(relpath)
    i = _find_seq(segs[:-1], ("ecp", "auth"))
    return None if i < 0 else len(segs) - i - 3


def programdata_depth(relpath: str) -> int | None:
    """Folders between ``ProgramData`` and the file (0 = directly in ProgramData), or None."""
    segs = split_path(relpath)
    for i, seg in enumerate(segs[:-1]):
        if seg == "programdata":
            return len(segs) - i - 2
        if seg == "users" and segs[i + 1 : i + 2] == ["all users"] and i + 2 < len(segs):
            return len(segs) - i - 3
    return None


def path_tail(windows_path: str) -> tuple[str, ...]:
    """Segments of an indicator path without drive, environment variable or Exchange install prefix.

    Exchange paths are anchored at ``FrontEnd\\HttpProxy`` or ``ClientAccess`` so that an installation on
    another drive or folder still matches.
    """
    suffix = windows_path_suffix(windows_path) or ""
    segs = split_path(suffix)
    i = _find_seq(segs, ("frontend", "httpproxy"))
    if i < 0 and "clientaccess" in segs:
        i = segs.index("clientaccess")
    return tuple(segs[i:] if i >= 0 else segs)
