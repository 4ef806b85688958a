"""Peak memory of the fault crawls: run tests/test_faults.py under pytest in a subprocess.

Prints the child's peak resident set size in MB (from ``/usr/bin/time -v`` when it exists, else
from ``getrusage(RUSAGE_CHILDREN)``), the wall time, the test outcome and the machine it ran on.
Usage: ``python bench/fault_rss.py [extra pytest args]`` from the project root.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GNU_TIME = Path("/usr/bin/time")
_MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")


def pytest_command(extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "tests/test_faults.py", "-q", "-p", "no:cacheprovider", *extra]


def run_with_gnu_time(command: list[str]) -> tuple[int, float, str]:
    """Exit status, peak RSS in MB as GNU time reports it, and pytest's last line."""
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as report:
        done = subprocess.run([str(GNU_TIME), "-v", "-o", report.name, *command], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        match = _MAX_RSS.search(Path(report.name).read_text())
    if match is None:
        raise RuntimeError("/usr/bin/time -v gave no maximum resident set size")
    return done.returncode, int(match.group(1)) / 1024, last_line(done.stdout)


def run_with_rusage(command: list[str]) -> tuple[int, float, str]:
    """The same from getrusage: ru_maxrss of waited-for children, in KiB on Linux, bytes on macOS."""
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    mb = peak / (1 << 20) if sys.platform == "darwin" else peak / 1024
    return done.returncode, mb, last_line(done.stdout)


def last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def main(argv: list[str]) -> int:
    command = pytest_command(argv)
    started = time.monotonic()
    if GNU_TIME.exists():
        status, peak_mb, summary = run_with_gnu_time(command)
        source = "/usr/bin/time -v"
    else:
        status, peak_mb, summary = run_with_rusage(command)
        source = "getrusage(RUSAGE_CHILDREN)"
    elapsed = time.monotonic() - started
    print(f"peak RSS: {peak_mb:.1f} MB ({source})")
    print(f"wall time: {elapsed:.2f} s; pytest: {summary} (exit {status})")
    print(f"machine: {platform.platform()}; {platform.machine()}; {platform.processor() or 'unknown cpu'}; "
          f"os.cpu_count()={os.cpu_count()}; Python {platform.python_version()}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
