"""Live progress: a tqdm bar on a terminal, plain log lines otherwise, or nothing.

Shows pages and images done, errors, the rate and (through tqdm) an ETA. It reads the run's
``Tally``; it never decides anything.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

from tqdm import tqdm

from crawler.models import JobKind, JobState
from crawler.workers import Tally

log = logging.getLogger(__name__)
LOG_EVERY_S = 10.0


def _summary(tally: Tally) -> dict[str, int]:
    c = tally.counts
    return {
        "pages": c[(JobKind.PAGE, JobState.DONE)],
        "images": c[(JobKind.IMAGE, JobState.DONE)],
        "errors": c[(JobKind.PAGE, JobState.FAILED)] + c[(JobKind.IMAGE, JobState.FAILED)],
        "retries": tally.rescheduled,
    }


class Progress:
    def __init__(self, mode: str, *, total: int, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if stream.isatty() else "log"
        self.mode = mode
        self._total = total
        self._started = time.monotonic()
        self._last_log = self._started
        self._bar: tqdm[None] | None = None
        if mode == "bar":
            self._bar = tqdm(total=total, unit="url", file=stream, dynamic_ncols=True, smoothing=0.1)
        self._shown = 0

    def update(self, tally: Tally) -> None:
        figures = _summary(tally)
        finished = figures["pages"] + figures["images"] + figures["errors"]
        if self._bar is not None:
            self._bar.update(finished - self._shown)
            self._bar.set_postfix(figures, refresh=False)
        elif self.mode == "log" and time.monotonic() - self._last_log >= LOG_EVERY_S:
            self._last_log = time.monotonic()
            rate = finished / max(1e-9, self._last_log - self._started)
            log.info(
                "%d/%d URLs (pages %d, images %d, errors %d), %.1f URLs/s",
                finished, self._total, figures["pages"], figures["images"], figures["errors"], rate,
            )
        self._shown = finished

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
