"""Command-line tools the tests run for real but that cannot share the project's environment.

pywb depends on ``brotlipy``, whose ``brotli`` module hides the real Brotli that newsvault decodes
with (Brotli's ``Decompressor.process`` with an output limit is what stops brotli bombs). So pywb
lives in a virtualenv of its own, built once per machine on first use (pinned version, from the
package registry) and reused after; a file lock keeps parallel test runs from building it twice.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

PYWB = "pywb==2.10.0"
TOOLS_DIR = Path(os.environ.get("NEWSVAULT_TEST_TOOLS", Path.home() / ".cache" / "newsvault-test-tools"))


def _venv_with(package: str, name: str) -> Path:
    venv = TOOLS_DIR / name
    marker = venv / ".installed"
    if marker.exists() and marker.read_text() == package:
        return venv
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    with (TOOLS_DIR / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.exists() and marker.read_text() == package):
            try:
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
                subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", package], check=True, timeout=600)
            except (subprocess.SubprocessError, OSError) as exc:
                pytest.fail(f"cannot install {package} into {venv} for the replay test: {exc}")
            marker.write_text(package)
    return venv


def pywb_tool(name: str) -> str:
    """Path of one of pywb's commands (``wb-manager``, ``wayback``), installing pywb on first use."""
    return str(_venv_with(PYWB, "pywb") / "bin" / name)
