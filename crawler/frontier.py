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
        self._capacity = max(2 * settings.concurrency, 8)
        self._buffer: deque[Job] = deque()
        self._inflight: Counter[str] = Counter()
        self._next_start: dict[str, float] = {}
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

    async def pace(self, host: str) -> None:
        """Wait for this host's turn: starts to one host are at least ``delay_s`` apart."""
        now = time.time()
        start = max(now, self._next_start.get(host, 0.0))
        self._next_start[host] = start + self._delay_s
        if start > now:
            await asyncio.sleep(start - now)

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
