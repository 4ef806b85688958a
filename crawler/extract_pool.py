"""Where a page is extracted: in the crawl's own process, or in worker processes on spare cores.

Extraction is about a third of a crawl's CPU. With ``extract_processes = 0`` (the default) it runs in
the crawl's process: the least CPU per page, since nothing is copied to or from a worker, and right
for a machine whose other cores are busy. With ``extract_processes = N`` pages are parsed in N worker
processes while the crawl's process fetches and stores, so a machine with idle cores archives more
pages per second for a little more CPU per page (the body goes to the worker, the fields come back).

Workers are spawned (they inherit no thread, lock or connection of the crawl) and ignore SIGINT: a
Ctrl-C reaches the whole process group, and the crawl, not its workers, decides how to stop. A worker
that dies (a crash in the parser, the kernel's OOM killer) breaks the pool: a fresh one is started
and the page is tried once more in it, so one bad page costs only its own extraction.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.extract import extract_metadata
from crawler.models import PageMetadata
from crawler.process_tuning import tune_process

TRIES_AFTER_A_DEATH = 2
"""Pools a page is tried in when workers die under it: the second failure is the page's own."""


Extract = Callable[[bytes, str, str | None], PageMetadata]

PARENT_CHECK_S = 0.5
"""How often a worker checks that the crawl that started it still runs."""


class ExtractorDied(RuntimeError):
    """The worker process extracting a page died, in two pools running: the page is likely the cause."""


def _start_worker(crawl_pid: int) -> None:
    """In each worker: leave SIGINT to the crawl, tune like it, and exit once it is gone, however it ended.

    A worker waits on a queue whose write end it holds itself, so it would never see the crawl die
    (``kill -9``, power loss of the parent alone): a daemon thread watches the parent process id.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_process()  # the allocator and collector settings of the crawl's own process

    def watch() -> None:
        while os.getppid() == crawl_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="newsvault-parent-watch", daemon=True).start()


class PageExtractor:
    """``await extract(body, url=..., content_type=...)`` in-process, or in a pool of ``processes`` workers."""

    def __init__(self, processes: int, *, target: Extract | None = None) -> None:
        """``target`` replaces ``extract_metadata`` in the workers (a module-level function: tests use it)."""
        self.processes = processes
        self._target: Extract = target or _extract
        self._pool: ProcessPoolExecutor | None = None

    async def extract(self, body: bytes, *, url: str, content_type: str | None) -> PageMetadata:
        if self.processes <= 0:
            return extract_metadata(body, url=url, content_type=content_type)
        loop = asyncio.get_running_loop()
        for _ in range(TRIES_AFTER_A_DEATH):
            pool = self._current_pool()
            try:
                return await loop.run_in_executor(pool, self._target, body, url, content_type)
            except BrokenProcessPool:
                if pool is self._pool:  # the first to see this pool broken replaces it
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
        raise ExtractorDied(f"the extraction worker died twice on this page ({len(body):,} bytes)")

    def _current_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(os.getpid(),),
            )
        return self._pool

    def close(self) -> None:
        """Stop the workers; a page still in a worker is dropped (its job is released, not finished)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _extract(body: bytes, url: str, content_type: str | None) -> PageMetadata:
    return extract_metadata(body, url=url, content_type=content_type)
