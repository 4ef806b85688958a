"""Live progress: a tqdm bar on a terminal, plain log lines otherwise, or nothing.

Shows how many items are finished out of the total, the run's figures (pages, images, errors...),
the rate and (through tqdm) an ETA. It only displays what it is given; it decides nothing.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger(__name__)
LOG_EVERY_S = 10.0


class Progress:
    def __init__(self, mode: str, *, total: int | None, unit: str = "url", stream: TextIO | None = None) -> None:
        """``total`` may be None until ``set_total`` (a count that runs beside the work)."""
        stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if stream.isatty() else "log"
        self.mode = mode
        self._total = total
        self._unit = unit
        self._started = time.monotonic()
        self._last_log = self._started
        self._bar: tqdm[None] | None = None
        if mode == "bar":
            from tqdm import tqdm  # imported for a bar only: about 20 ms of every run's start otherwise

            self._bar = tqdm(total=total, unit=unit, file=stream, dynamic_ncols=True, smoothing=0.1)
        self._shown = 0

    def update(self, finished: int, figures: Mapping[str, int]) -> None:
        if self._bar is not None:
            self._bar.update(finished - self._shown)
            self._bar.set_postfix(figures, refresh=False)
        elif self.mode == "log" and time.monotonic() - self._last_log >= LOG_EVERY_S:
            self._last_log = time.monotonic()
            rate = finished / max(1e-9, self._last_log - self._started)
            details = ", ".join(f"{name} {count}" for name, count in figures.items())
            of = "" if self._total is None else f"/{self._total}"
            log.info("%d%s %ss (%s), %.1f/s", finished, of, self._unit, details, rate)
        self._shown = finished

    def set_total(self, total: int) -> None:
        self._total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
