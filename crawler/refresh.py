"""``run_refresh``: re-check archived images with conditional requests and keep the archive true.

Each due image is asked for with ``If-None-Match`` / ``If-Modified-Since`` from its stored
validators: 304 or the same bytes -> unchanged; other bytes -> a new version beside the old ones;
404/410 -> gone (bytes kept); anything else, after the crawl's retries -> failed, state kept.
Robots.txt, per-host limits and backoff are the crawl's own. A stopped run resumes where it was.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import deque
from dataclasses import asdict, dataclass

from crawler.archive import open_store
from crawler.errors import FetchError, PermanentFetchError
from crawler.fetch import Fetcher
from crawler.hosts import HostPacer
from crawler.images import inspect_image
from crawler.models import FetchResult, ImageInfo, Job, JobKind
from crawler.progress import Progress
from crawler.retry import RetryPolicy, describe
from crawler.robots import RobotsGate
from crawler.run import GRACE_S
from crawler.settings import Settings
from crawler.workers import ACCEPT
from storage.records import ImageToCheck
from storage.store import Store

GONE_STATUSES = (404, 410)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshReport:
    checked: int = 0
    unchanged: int = 0
    changed: int = 0
    gone: int = 0
    failed: int = 0
    requests: int = 0
    interrupted: bool = False
    elapsed_s: float = 0.0

    def figures(self) -> dict[str, int]:
        """The summary ``--json`` prints."""
        return {k: v for k, v in asdict(self).items() if k in ("checked", "unchanged", "changed", "gone", "failed")}


def conditional_headers(image: ImageToCheck) -> dict[str, str]:
    headers = {}
    if image.etag:
        headers["If-None-Match"] = image.etag
    if image.last_modified:
        headers["If-Modified-Since"] = image.last_modified
    return headers


class ImageChecker:
    def __init__(self, store: Store, fetcher: Fetcher, hosts: HostPacer, settings: Settings, run_id: int) -> None:
        self._store = store
        self._fetcher = fetcher
        self._hosts = hosts
        self._settings = settings
        self._policy = RetryPolicy(settings)
        self._robots = RobotsGate(store, fetcher, hosts, settings)
        self._run_id = run_id
        self.finished = 0

    async def check(self, image: ImageToCheck) -> None:
        try:
            await self._check(image)
        finally:
            self._hosts.finished(image.host)
            self.finished += 1

    async def _check(self, image: ImageToCheck) -> None:
        job = Job(id=image.url_id, url=image.url, kind=JobKind.IMAGE, host=image.host)
        verdict = await self._robots.check(job)
        if not verdict.allowed:
            await self._record(image, "failed", attempt=0, detail=verdict.reason)
            return
        attempt = 0
        try:
            async for trying in self._policy.retrying(0):
                with trying:
                    attempt += 1
                    result = await self._fetch(image)
        except PermanentFetchError as exc:
            outcome = "gone" if exc.status in GONE_STATUSES else "failed"
            await self._record(image, outcome, attempt=attempt, detail=describe(exc), status=exc.status)
            return
        except FetchError as exc:
            await self._record(image, "failed", attempt=attempt, detail=describe(exc), status=exc.status)
            return
        await self._judge(image, result, attempt)

    async def _fetch(self, image: ImageToCheck) -> FetchResult:
        await self._hosts.pace(image.host)
        try:
            result = await self._fetcher.fetch(
                image.url, accept=ACCEPT[JobKind.IMAGE], headers=conditional_headers(image)
            )
        except FetchError as exc:
            self._hosts.failed(image.host, exc)
            raise
        self._hosts.recovered(image.host)
        return result

    async def _judge(self, image: ImageToCheck, result: FetchResult, attempt: int) -> None:
        if result.response.status == 304:
            if image.sha256 is None:  # nothing kept to be "not modified" from: the server's answer is wrong
                await self._record(image, "failed", attempt=attempt, fetch=result,
                                   detail="304 Not Modified for an image never archived")
            else:
                await self._record(image, "unchanged", attempt=attempt, fetch=result)
            return
        info = inspect_image(result.body)
        if info.error is not None:
            await self._record(image, "failed", attempt=attempt, fetch=result, info=info, detail=info.error)
        elif info.sha256 == image.sha256:
            await self._record(image, "unchanged", attempt=attempt, fetch=result, info=info)
        else:
            await self._record(image, "changed", attempt=attempt, fetch=result, info=info)

    async def _record(
        self, image: ImageToCheck, outcome: str, *, attempt: int, fetch: FetchResult | None = None,
        info: ImageInfo | None = None, detail: str | None = None, status: int | None = None,
    ) -> None:
        await self._store.record_check(
            self._run_id, image, outcome, attempt=attempt, fetch=fetch, info=info, detail=detail, status=status
        )


async def _drive(
    store: Store, checker: ImageChecker, hosts: HostPacer, settings: Settings, run_id: int, only_failed: bool,
    stop: asyncio.Event, progress: Progress,
) -> bool:
    """Check every due image; True when ``stop`` ended the run first."""
    source = store.images_due(run_id, only_failed=only_failed)
    buffer: deque[ImageToCheck] = deque()
    running: set[asyncio.Task[None]] = set()
    capacity, drained = 4 * settings.concurrency, False
    stop_waiter = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            while not drained and len(buffer) < capacity:
                item = await anext(source, None)
                drained = item is None
                if item is not None:
                    buffer.append(item)
            now = time.time()
            for item in list(buffer):
                if len(running) >= settings.concurrency:
                    break
                if hosts.ready(item.host, now):
                    buffer.remove(item)
                    hosts.started(item.host)
                    running.add(asyncio.create_task(checker.check(item)))
            if not running and not buffer and drained:
                return False
            await asyncio.wait([*running, stop_waiter], timeout=0.05 if not running else 1.0,
                               return_when=asyncio.FIRST_COMPLETED)
            running = {task for task in running if not task.done()}
            progress.update(checker.finished, {})
        if running:
            _, pending = await asyncio.wait(running, timeout=GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        return True
    finally:
        stop_waiter.cancel()
        await source.aclose()


async def run_refresh(
    settings: Settings, *, older_than_s: float = 0.0, only_failed: bool = False, stop: asyncio.Event | None = None
) -> RefreshReport:
    started = time.monotonic()
    stop = stop or asyncio.Event()
    store = await open_store(settings)
    try:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than_s)
        run_id = await store.begin_refresh(cutoff=cutoff, only_failed=only_failed)
        progress = Progress(settings.progress, total=await store.count_due(run_id, only_failed=only_failed),
                            unit="image")
        hosts = HostPacer(settings)
        async with Fetcher(settings) as fetcher:
            checker = ImageChecker(store, fetcher, hosts, settings, run_id)
            try:
                interrupted = await _drive(store, checker, hosts, settings, run_id, only_failed, stop, progress)
            finally:
                progress.close()
        if not interrupted:
            await store.finish_refresh(run_id)
        counts = await store.refresh_counts(run_id)
        return RefreshReport(**counts, requests=fetcher.requests, interrupted=interrupted,
                             elapsed_s=time.monotonic() - started)
    finally:
        await store.close()
