"""The frontier's in-process side: a small buffer of claimed jobs handed out under host limits.

The frontier itself lives in the store (every URL a job with a state and next-attempt time);
this keeps only a bounded window of claimed jobs, the in-flight count and last start per host,
so memory does not grow with the number of seeds.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque

from crawler.models import Job
from crawler.settings import Settings
from storage.store import Store


class Frontier:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._per_host = settings.per_host
        self._delay_s = settings.delay_s
        self._penalty_min_s = settings.backoff_initial_s
        self._penalty_max_s = settings.backoff_max_s
        self._capacity = max(2 * settings.concurrency, 8)
        self._buffer: deque[Job] = deque()
        self._inflight: Counter[str] = Counter()
        self._next_start: dict[str, float] = {}
        self._crawl_delay: dict[str, float] = {}  # from robots.txt, already capped
        self._penalty: dict[str, float] = {}  # extra gap after 429/503, halved by each success
        self._store_ready_at = 0.0

    def _host_ready(self, host: str, now: float) -> bool:
        return self._inflight[host] < self._per_host and self._next_start.get(host, 0.0) <= now

    def _take_ready(self, now: float) -> Job | None:
        for index, job in enumerate(self._buffer):
            if self._host_ready(job.host, now):
                del self._buffer[index]
                return job
        return None

    async def _refill(self, now: float) -> None:
        if len(self._buffer) >= self._capacity or now < self._store_ready_at:
            return
        load = Counter(job.host for job in self._buffer) + self._inflight
        saturated = [host for host, count in load.items() if count >= 2 * self._per_host]
        jobs = await self._store.claim_jobs(self._capacity - len(self._buffer), exclude_hosts=saturated, now=now)
        self._buffer.extend(jobs)
        if not jobs:
            ready_at = await self._store.next_attempt_time()
            self._store_ready_at = now + 1.0 if ready_at is None or saturated else ready_at

    async def next_job(self) -> Job | None:
        """A job that may start now (its host has room and its delay has passed), else None."""
        now = time.time()
        job = self._take_ready(now)
        if job is None:
            await self._refill(now)
            job = self._take_ready(now)
        if job is not None:
            self._inflight[job.host] += 1
        return job

    def _gap(self, host: str) -> float:
        """The minimum gap between two starts to ``host``: the one place that decides it."""
        return max(self._delay_s, self._crawl_delay.get(host, 0.0), self._penalty.get(host, 0.0))

    async def pace(self, host: str) -> None:
        """Wait for this host's turn: starts to one host are at least its gap apart."""
        now = time.time()
        start = max(now, self._next_start.get(host, 0.0))
        self._next_start[host] = start + self._gap(host)
        if start > now:
            await asyncio.sleep(start - now)

    def set_crawl_delay(self, host: str, delay_s: float) -> None:
        self._crawl_delay[host] = delay_s

    def slow_down(self, host: str, wait_s: float | None) -> None:
        """A 429 or 503: hold every job of ``host`` for the server's wait, and widen its gap."""
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

    def finished(self, job: Job) -> None:
        self._store_ready_at = 0.0  # a host has room again, and the job may have enqueued new URLs
        self._inflight[job.host] -= 1
        if self._inflight[job.host] <= 0:
            del self._inflight[job.host]
            if self._next_start.get(job.host, 0.0) <= time.time():
                self._next_start.pop(job.host, None)

    def wait_hint(self) -> float:
        """How long the run loop may sleep before something could become ready."""
        now = time.time()
        candidates = [self._store_ready_at - now] + [
            self._next_start.get(job.host, 0.0) - now for job in self._buffer
        ]
        return min(1.0, max(0.01, min(candidates)))

    async def exhausted(self) -> bool:
        """Nothing buffered, nothing in flight, nothing pending in the store."""
        if self._buffer or self._inflight:
            return False
        return await self._store.next_attempt_time() is None

    def buffered(self) -> list[Job]:
        return list(self._buffer)

    def forget_buffer(self) -> None:
        self._buffer.clear()
