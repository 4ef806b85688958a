"""One job from claim to record: fetch with retries, extract or inspect, store.

``JobProcessor.process(job)`` never raises for a bad URL, page or image: every outcome ends in
the store as done, failed (with a reason a person can read) or back in the frontier with its
next-attempt time. Only cancellation (a stop) propagates.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from tenacity import RetryCallState

from crawler.errors import FetchError, RetryableFetchError
from crawler.extract_pool import PageExtractor
from crawler.fetch import Fetcher
from crawler.frontier import Frontier
from crawler.images import inspect_image
from crawler.models import FetchResult, Job, JobKind, JobState, PageMetadata
from crawler.retry import RetryPolicy, describe
from crawler.robots import RobotsGate
from crawler.settings import Settings
from crawler.urls import canonicalize_url
from storage.store import Store

log = logging.getLogger(__name__)

ACCEPT = {
    JobKind.PAGE: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    JobKind.IMAGE: "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.9,*/*;q=0.5",
}
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")


@dataclass(slots=True)
class Tally:
    """Outcomes of this run, by kind and state: what the progress display shows."""

    counts: Counter[tuple[JobKind, JobState]] = field(default_factory=Counter)
    rescheduled: int = 0

    def add(self, kind: JobKind, state: JobState) -> None:
        self.counts[(kind, state)] += 1

    def figures(self) -> dict[str, int]:
        """What the progress display shows."""
        c = self.counts
        return {
            "pages": c[(JobKind.PAGE, JobState.DONE)],
            "images": c[(JobKind.IMAGE, JobState.DONE)],
            "errors": c[(JobKind.PAGE, JobState.FAILED)] + c[(JobKind.IMAGE, JobState.FAILED)],
            "blocked": c[(JobKind.PAGE, JobState.BLOCKED)] + c[(JobKind.IMAGE, JobState.BLOCKED)],
            "retries": self.rescheduled,
        }

    @property
    def finished(self) -> int:
        return sum(self.counts.values())


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """True for an HTML content type, or no type and markup at the start of the body."""
    if content_type:
        return content_type.split(";", 1)[0].strip().lower() in _HTML_TYPES
    start = body[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<!--", b"<meta", b"<title"))


class JobProcessor:
    def __init__(self, store: Store, fetcher: Fetcher, frontier: Frontier, settings: Settings) -> None:
        self._store = store
        self._fetcher = fetcher
        self._frontier = frontier
        self._settings = settings
        self._policy = RetryPolicy(settings)
        self._robots = RobotsGate(store, fetcher, frontier.hosts, settings)
        self._extractor = PageExtractor(settings.extract_processes)
        self.tally = Tally()

    def close(self) -> None:
        """Stop the extraction workers, if any."""
        self._extractor.close()

    async def process(self, job: Job) -> None:
        try:
            if not await self._allowed(job):
                return
            fetched = await self._fetch(job)
            if fetched is None:
                return
            job, result = fetched
            if job.kind is JobKind.PAGE:
                await self._archive_page(job, result)
            else:
                await self._archive_image(job, result)
        finally:
            self._frontier.finished(job)

    async def _allowed(self, job: Job) -> bool:
        """Ask robots.txt; a blocked job ends as blocked, a postponed one goes back to the frontier."""
        verdict = await self._robots.check(job)
        if verdict.allowed:
            return True
        reason = verdict.reason or "not allowed"
        if verdict.postpone_until is not None:
            await self._store.postpone(job, until=verdict.postpone_until, reason=reason)
            self.tally.rescheduled += 1
        else:
            await self._store.record_blocked(job, reason=reason)
            self.tally.add(job.kind, JobState.BLOCKED)
        return False

    async def _fetch(self, job: Job) -> tuple[Job, FetchResult] | None:
        """Fetch with retries; None when the job ended failed or went back to the frontier."""
        current = job
        if job.attempts >= self._policy.max_attempts:  # its last try was cut off by a stop or a crash
            await self._store.record_failed_attempt(
                job, error="retry budget spent (the last attempt was interrupted)", status=None,
                started_at=dt.datetime.now(dt.UTC), elapsed_s=0.0, final=True,
            )
            self.tally.add(job.kind, JobState.FAILED)
            return None

        async def before_sleep(state: RetryCallState) -> None:
            await self._store.schedule_retry(current, next_attempt_at=time.time() + state.upcoming_sleep)

        try:
            current = await self._store.start_attempt(current)
            try:
                return current, await self._attempt(current)  # most jobs end here, without the retry loop
            except RetryableFetchError as exc:
                wait = self._policy.inline_wait(exc, job.attempts)
                if wait is None:
                    raise
                await self._store.schedule_retry(current, next_attempt_at=time.time() + wait)
                await asyncio.sleep(wait)
            async for attempt in self._policy.retrying(job.attempts, before_sleep=before_sleep, tried=1):
                with attempt:
                    current = await self._store.start_attempt(current)
                    return current, await self._attempt(current)
        except RetryableFetchError as exc:
            if self._policy.is_retryable(exc, current.attempts):
                wait = self._policy.wait_s(current.attempts, exc)
                await self._store.schedule_retry(current, next_attempt_at=time.time() + wait)
                await self._store.release([current])
                self.tally.rescheduled += 1
                return None
            self.tally.add(current.kind, JobState.FAILED)
        except FetchError:
            self.tally.add(current.kind, JobState.FAILED)
        return None

    async def _attempt(self, job: Job) -> FetchResult:
        """One try; its failure is recorded before it propagates to the retry loop."""
        await self._frontier.hosts.pace(job.host)
        started, clock = dt.datetime.now(dt.UTC), time.monotonic()
        try:
            result = await self._fetcher.fetch(job.url, accept=ACCEPT[job.kind])
        except FetchError as exc:
            self._frontier.hosts.failed(job.host, exc)
            final = not self._policy.is_retryable(exc, job.attempts)
            await self._store.record_failed_attempt(
                job, error=describe(exc), status=exc.status, started_at=started,
                elapsed_s=time.monotonic() - clock, final=final,
            )
            raise
        self._frontier.hosts.recovered(job.host)
        return result

    async def _archive_page(self, job: Job, result: FetchResult) -> None:
        metadata, note = PageMetadata(), None
        if not result.body:
            note = "empty body: nothing to extract"
        elif looks_like_html(result.body, result.content_type):
            try:
                metadata = await self._extractor.extract(
                    result.body, url=result.final_url, content_type=result.content_type
                )
            except Exception as exc:  # the extractor must never end a crawl; say why instead
                log.exception("extraction failed for %s", job.url)
                note = f"extraction failed: {type(exc).__name__}: {exc}"
        else:
            note = f"not HTML ({result.content_type}): response archived, nothing extracted"
        lead = self._lead_image(metadata)
        await self._store.record_page(job, result, metadata, note=note, lead_image_url=lead)
        self.tally.add(job.kind, JobState.DONE)

    def _lead_image(self, metadata: PageMetadata) -> str | None:
        if not self._settings.fetch_lead_images or not metadata.lead_image_url:
            return None
        try:
            return canonicalize_url(metadata.lead_image_url)
        except ValueError:
            return None

    async def _archive_image(self, job: Job, result: FetchResult) -> None:
        info = inspect_image(result.body)
        await self._store.record_image(job, result, info)
        self.tally.add(job.kind, JobState.FAILED if info.error else JobState.DONE)
