"""``run_crawl(settings, inputs) -> CrawlReport``: the whole crawl as one callable function.

Loads the seeds into the store, returns claims left by an earlier run, then drives the workers
until the frontier is empty or a stop is asked for. A stop finishes in-flight work for up to
``GRACE_S`` seconds and gives everything else back to the frontier.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
import logging
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crawler.archive import open_store
from crawler.errors import SeedError
from crawler.fetch import Fetcher
from crawler.frontier import Frontier
from crawler.models import CrawlReport, Job, SeedRecord, SeedRejection
from crawler.progress import Progress
from crawler.seeds import find_seed_files, parse_seed, read_seed_bytes
from crawler.settings import Settings
from crawler.workers import JobProcessor
from storage.records import SeedFile
from storage.store import Store

log = logging.getLogger(__name__)
GRACE_S = 4.0


SEED_BATCH, REPORTED_REJECTIONS = 100, 50  # a batch holds at most 100 files of at most MAX_SEED_BYTES


@dataclass(slots=True)
class SeedLoad:
    """What loading the seeds found: counts, and the first rejections for the summary (memory stays flat)."""

    accepted: int = 0
    rejected: int = 0
    shown: list[SeedRejection] = field(default_factory=list)

    async def reject(self, store: Store, rejection: SeedRejection) -> None:
        self.rejected += 1
        if len(self.shown) < REPORTED_REJECTIONS:
            self.shown.append(rejection)
        await store.record_rejection(rejection)
        log.warning("rejected seed %s: %s", rejection.path, rejection.reason)


def _stat(path: Path) -> SeedFile | None:
    try:
        st = path.stat()
    except OSError:
        return None  # reading it will say why
    return SeedFile(path=os.path.abspath(path), size=st.st_size, mtime_ns=st.st_mtime_ns)  # noqa: PTH100 - no syscalls


async def _load_batch(store: Store, paths: list[Path], settings: Settings, load: SeedLoad) -> None:
    """One batch: skip files stored before unchanged, then read, hash, parse and store the others."""
    stats = {path: _stat(path) for path in paths}
    unchanged = await store.unchanged_seed_files([s for s in stats.values() if s is not None])
    seeds: dict[str, SeedRecord] = {}
    files: list[SeedFile] = []
    contents: list[tuple[Path, bytes, str]] = []
    for path, stat in stats.items():
        if stat is not None and stat.path in unchanged:
            load.accepted += 1
            continue
        data = read_seed_bytes(path, None if stat is None else stat.size)
        if isinstance(data, SeedRejection):
            await load.reject(store, data)
        else:
            contents.append((path, data, hashlib.sha256(data).hexdigest()))
    known = await store.known_seeds({digest for _, _, digest in contents})
    for path, data, digest in contents:
        if digest not in known and digest not in seeds:
            try:
                seeds[digest] = parse_seed(data, path=str(path), sha256=digest)
            except SeedError as exc:
                await load.reject(store, SeedRejection(path=str(path), reason=str(exc), sha256=digest))
                continue
        load.accepted += 1
        if (stat := stats[path]) is not None:
            files.append(SeedFile(path=stat.path, size=stat.size, mtime_ns=stat.mtime_ns, sha256=digest))
    await store.add_seeds(list(seeds.values()), files=files, fetch_alternates=settings.fetch_alternates)


async def load_seeds(store: Store, inputs: Sequence[str], settings: Settings) -> SeedLoad:
    """Store every seed file's record, a batch at a time. An unchanged file stored before is not even read,
    and a content seen before is not parsed again."""
    load = SeedLoad()
    files = iter(find_seed_files(inputs, settings.seed_patterns))
    while batch := list(itertools.islice(files, SEED_BATCH)):
        await _load_batch(store, batch, settings, load)
    return load


async def _drain(running: dict[asyncio.Task[None], Job], store: Store) -> None:
    """Finish in-flight jobs for a grace period, then cancel and release the rest."""
    if not running:
        return
    _, pending = await asyncio.wait(running, timeout=GRACE_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await store.release([running[task] for task in pending])


async def _drive(
    store: Store, frontier: Frontier, processor: JobProcessor, settings: Settings,
    stop: asyncio.Event, progress: Progress,
) -> bool:
    """Run jobs until the frontier is exhausted (False) or ``stop`` is set (True)."""
    running: dict[asyncio.Task[None], Job] = {}
    stop_waiter = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            while len(running) < settings.concurrency and (job := await frontier.next_job()) is not None:
                running[asyncio.create_task(processor.process(job))] = job
            if not running and await frontier.exhausted():
                return False
            await asyncio.wait(
                [*running, stop_waiter], timeout=frontier.wait_hint(), return_when=asyncio.FIRST_COMPLETED
            )
            for task in [t for t in running if t.done()]:
                job = running.pop(task)
                if (error := task.exception()) is not None:  # a bug, not a bad URL: keep going, say why
                    log.error("internal error on %s", job.url, exc_info=error)
                    await store.record_failed_attempt(
                        job, error=f"internal error: {type(error).__name__}: {error}", status=None,
                        started_at=dt.datetime.now(dt.UTC), elapsed_s=0.0, final=True,
                    )
            progress.update(processor.tally.finished, processor.tally.figures())
        await store.release(frontier.buffered())
        frontier.forget_buffer()
        await _drain(running, store)
        return True
    finally:
        stop_waiter.cancel()


def install_stop_signals(stop: asyncio.Event) -> None:
    """First SIGINT/SIGTERM: stop gracefully. Second: cancel the crawl at once."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set() and main is not None:
            main.cancel()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)


async def run_crawl(
    settings: Settings, inputs: Sequence[str], *, stop: asyncio.Event | None = None, retry_failed: bool = False
) -> CrawlReport:
    """Crawl every URL the seeds name that the archive does not hold yet; ``retry_failed`` tries failures again."""
    started = time.monotonic()
    stop = stop or asyncio.Event()
    store = await open_store(settings)
    try:
        seeds = await load_seeds(store, inputs, settings)
        await store.reclaim_claims()
        if retry_failed:
            await store.retry_failed()
        counts = await store.counts()
        total = sum(counts["pages"].values()) + sum(counts["images"].values())
        progress = Progress(settings.progress, total=total)
        async with Fetcher(settings) as fetcher:
            frontier = Frontier(store, settings)
            processor = JobProcessor(store, fetcher, frontier, settings)
            try:
                interrupted = await _drive(store, frontier, processor, settings, stop, progress)
            finally:
                processor.close()
                progress.close()
        return await _report(store, seeds, interrupted, fetcher.requests, started)
    finally:
        await store.close()


async def _report(
    store: Store, seeds: SeedLoad, interrupted: bool, requests: int, started: float
) -> CrawlReport:
    counts = await store.counts()
    pages, images = counts["pages"], counts["images"]
    return CrawlReport(
        seeds_accepted=seeds.accepted,
        seeds_rejected=seeds.rejected,
        pages_done=pages["done"],
        pages_failed=pages["failed"],
        images_done=images["done"],
        images_failed=images["failed"],
        pending=pages["pending"] + pages["in_progress"] + images["pending"] + images["in_progress"],
        blocked=pages["blocked"] + images["blocked"],
        requests=requests,
        interrupted=interrupted,
        elapsed_s=time.monotonic() - started,
        rejections=tuple(seeds.shown),
        failures=tuple(await store.failures(50)),
    )
