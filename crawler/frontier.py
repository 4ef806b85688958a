"""The frontier's in-process side: a small buffer of claimed jobs handed out under host limits.

The frontier itself lives in the store (every URL a job with a state and next-attempt time);
this keeps only a bounded window of claimed jobs and the hosts' pacing (``HostPacer``), so memory
does not grow with the number of seeds.
"""

from __future__ import annotations

import time
from collections import Counter, deque

from crawler.hosts import HostPacer
from crawler.models import Job
from crawler.settings import Settings
from storage.store import Store


class Frontier:
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self.hosts = HostPacer(settings)
        self._capacity = max(2 * settings.concurrency, 8)
        self._buffer: deque[Job] = deque()
        self._store_ready_at = 0.0

    def _take_ready(self, now: float) -> Job | None:
        for index, job in enumerate(self._buffer):
            if self.hosts.ready(job.host, now):
                del self._buffer[index]
                return job
        return None

    async def _refill(self, now: float) -> None:
        if len(self._buffer) >= self._capacity or now < self._store_ready_at:
            return
        load = Counter(job.host for job in self._buffer) + self.hosts.inflight
        saturated = [host for host, count in load.items() if count >= 2 * self.hosts.per_host]
        jobs = await self._store.claim_jobs(self._capacity - len(self._buffer), exclude_hosts=saturated, now=now)
        self._buffer.extend(jobs)
        if not jobs:
            ready_at = await self._store.next_attempt_time()
            self._store_ready_at = now + 1.0 if ready_at is None or saturated else ready_at

    async def next_job(self) -> Job | None:
        """A job that may start now (its host has room and its gap has passed), else None."""
        now = time.time()
        job = self._take_ready(now)
        if job is None:
            await self._refill(now)
            job = self._take_ready(now)
        if job is not None:
            self.hosts.started(job.host)
        return job

    def finished(self, job: Job) -> None:
        self._store_ready_at = 0.0  # a host has room again, and the job may have enqueued new URLs
        self.hosts.finished(job.host)

    def wait_hint(self) -> float:
        """How long the run loop may sleep before something could become ready."""
        now = time.time()
        candidates = [self._store_ready_at - now] + [self.hosts.ready_at(job.host) - now for job in self._buffer]
        return min(1.0, max(0.01, min(candidates)))

    async def exhausted(self) -> bool:
        """Nothing buffered, nothing in flight, nothing pending in the store."""
        if self._buffer or self.hosts.inflight:
            return False
        return await self._store.next_attempt_time() is None

    def buffered(self) -> list[Job]:
        return list(self._buffer)

    def forget_buffer(self) -> None:
        self._buffer.clear()
