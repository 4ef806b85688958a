"""Per-host politeness: how many requests are in flight to a host and when the next may start.

``HostPacer`` is the one place that decides a host's gap between request starts (the configured
delay, the robots.txt Crawl-delay, and a backoff penalty after 429/503 that halves with each
success). The crawl's frontier and ``refresh-images`` share it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from crawler.errors import FetchError
from crawler.settings import Settings


class HostPacer:
    def __init__(self, settings: Settings) -> None:
        self.per_host = settings.per_host
        self._delay_s = settings.delay_s
        self._penalty_min_s = settings.backoff_initial_s
        self._penalty_max_s = settings.backoff_max_s
        self._retry_after_cap_s = settings.retry_after_cap_s
        self.inflight: Counter[str] = Counter()
        self._next_start: dict[str, float] = {}
        self._crawl_delay: dict[str, float] = {}  # from robots.txt, already capped
        self._penalty: dict[str, float] = {}  # extra gap after 429/503, halved by each success

    def ready(self, host: str, now: float) -> bool:
        """Whether a request to ``host`` may start now: room in its limit and its gap passed."""
        return self.inflight[host] < self.per_host and self._next_start.get(host, 0.0) <= now

    def ready_at(self, host: str) -> float:
        return self._next_start.get(host, 0.0)

    def _gap(self, host: str) -> float:
        return max(self._delay_s, self._crawl_delay.get(host, 0.0), self._penalty.get(host, 0.0))

    async def pace(self, host: str) -> None:
        """Wait for this host's turn: starts to one host are at least its gap apart."""
        now = time.time()
        start = max(now, self._next_start.get(host, 0.0))
        self._next_start[host] = start + self._gap(host)
        if start > now:
            await asyncio.sleep(start - now)

    def started(self, host: str) -> None:
        self.inflight[host] += 1

    def finished(self, host: str) -> None:
        self.inflight[host] -= 1
        if self.inflight[host] <= 0:
            del self.inflight[host]
            if self._next_start.get(host, 0.0) <= time.time():
                self._next_start.pop(host, None)  # idle hosts cost no memory

    def set_crawl_delay(self, host: str, delay_s: float) -> None:
        self._crawl_delay[host] = delay_s

    def failed(self, host: str, error: FetchError) -> None:
        """A failed request: a 429 or 503 slows the whole host, honouring its Retry-After (capped)."""
        if error.status in (429, 503):
            retry_after = getattr(error, "retry_after_s", None)
            self.slow_down(host, None if retry_after is None else min(retry_after, self._retry_after_cap_s))

    def slow_down(self, host: str, wait_s: float | None) -> None:
        """A 429 or 503: hold every request to ``host`` for the server's wait, and widen its gap."""
        penalty = min(max(2 * self._penalty.get(host, 0.0), self._penalty_min_s), self._penalty_max_s)
        self._penalty[host] = penalty
        resume = time.time() + max(wait_s or 0.0, penalty)
        self._next_start[host] = max(self._next_start.get(host, 0.0), resume)

    def recovered(self, host: str) -> None:
        """A success: the host's extra gap shrinks by half, and goes away when small."""
        penalty = self._penalty.get(host)
        if penalty is not None:
            if penalty / 2 < max(self._penalty_min_s, 1e-3):
                del self._penalty[host]
            else:
                self._penalty[host] = penalty / 2
