"""Headless Chromium for the HTML report tests: find it, install it when allowed, run it.

Debian's ``chromium`` package is used. When it is missing, it is installed with
``apt-get install -y chromium`` only if the tests run as root and ``LEKDICHT_INSTALL_CHROMIUM=1``
is set (``make test`` in CI does that); otherwise the browser tests are skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

INSTALL_ENV = "LEKDICHT_INSTALL_CHROMIUM"
_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
_CONSOLE = re.compile(r":CONSOLE[:(]")


def find_chromium() -> str | None:
    """Path of an installed Chromium, or None."""
    for path in _CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_chromium() -> tuple[str | None, str]:
    """``(path, "")`` when Chromium is available (installing it if allowed), else ``(None, reason)``."""
    found = find_chromium()
    if found:
        return found, ""
    if os.environ.get(INSTALL_ENV) != "1":
        return None, f"chromium is not installed (set {INSTALL_ENV}=1 and run as root to install it)"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None, f"chromium is not installed and {INSTALL_ENV}=1 needs root to install it"
    apt = shutil.which("apt-get")
    if apt is None:
        return None, "chromium is not installed and there is no apt-get to install it"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = [apt, "install", "-y", "-q", "chromium"]
    try:
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:  # a fresh machine may have no package lists yet
            subprocess.run([apt, "update", "-q"], env=env, capture_output=True, text=True, timeout=600)
            done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"installing chromium failed: {exc}"
    found = find_chromium()
    if found is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return None, "installing chromium failed: " + " / ".join(tail)
    return found, ""


@dataclass(frozen=True, slots=True)
class Chromium:
    """A headless Chromium with its own throw-away profile folder."""

    binary: str
    profile: Path

    def run(self, url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run Chromium headless on ``url`` with extra ``args``; console messages go to stderr."""
        cmd = [
            self.binary,
            *_FLAGS,
            f"--user-data-dir={self.profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
            url,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)

    def dump_dom(self, page: Path) -> tuple[str, list[str]]:
        """The DOM after loading ``page`` (scripts, if any, have run) and the console messages."""
        done = self.run(page.resolve().as_uri(), "--dump-dom")
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout, console_messages(done.stderr)

    def screenshot(self, page: Path, out: Path, width: int = 1280, height: int = 2400) -> list[str]:
        """Write a PNG of ``page`` to ``out``; return the console messages."""
        done = self.run(page.resolve().as_uri(), f"--screenshot={out}", f"--window-size={width},{height}")
        assert done.returncode == 0 and out.is_file(), done.stderr[-2000:]
        return console_messages(done.stderr)


def console_messages(stderr: str) -> list[str]:
    """Lines of Chromium's log that are page console messages (errors, CSP violations, uncaught)."""
    return [line for line in stderr.splitlines() if _CONSOLE.search(line) or "Uncaught" in line]
