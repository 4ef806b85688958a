"""Retries end to end: a one-seed crawl (`run_crawl`) against a local TLS site with faulty paths.

Each test writes a seed whose article URL is the faulty path, crawls it, and checks the server's
hit count, the URL's row in `urls`, every attempt in `fetches` and the `CrawlReport`. Waits are
zero (conftest) unless a test is about a server's Retry-After.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from tenacity import RetryCallState

from crawler import run as run_module
from crawler.errors import RetryableFetchError
from crawler.models import CrawlReport
from crawler.retry import INLINE_WAIT_MAX_S, RetryPolicy
from crawler.run import run_crawl
from crawler.settings import Settings
from tests.conftest import crawl_settings
from tests.servers import Behaviour, Close, LocalServer, Page, Site, SlowHeaders, Status, TestCA, serve

HOST = "news.example"
PATH = "/p"
URL = f"https://{HOST}{PATH}"
HTML = "<!doctype html><html><head><title>Story</title></head><body><p>The story, at last.</p></body></html>"


@dataclass(frozen=True)
class Hook(Behaviour):
    """Call `on_hit` when the request arrives, then answer as `then` does."""

    then: Behaviour
    on_hit: Callable[[], None]

    async def respond(self, request: web.Request) -> web.StreamResponse:
        self.on_hit()
        return await self.then.respond(request)


def write_seed(tmp_path: Path, url: str = URL) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir(exist_ok=True)
    (folder / "story.md").write_text(f'---\ntitle: x\noriginalUrl: "{url}"\n---\n', encoding="utf-8")
    return folder


def settings_for(tmp_path: Path, server: LocalServer, ca_bundle: Path, **overrides: Any) -> Settings:
    return crawl_settings(tmp_path, server, ca_bundle, fetch_lead_images=False, **overrides)


async def crawl(settings: Settings, seeds: Path, stop: asyncio.Event | None = None) -> CrawlReport:
    return await asyncio.wait_for(run_crawl(settings, [str(seeds)], stop=stop), timeout=10)


def url_row(settings: Settings, url: str = URL) -> dict[str, Any]:
    with sqlite3.connect(settings.store_path) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM urls WHERE url = ?", (url,)).fetchone()
    assert row is not None, url
    return dict(row)


def attempts(settings: Settings, url: str = URL) -> list[tuple[int, int | None, str | None]]:
    """(attempt, status, error) of every fetch of `url`, in order."""
    with sqlite3.connect(settings.store_path) as db:
        return list(db.execute(
            "SELECT f.attempt, f.status, f.error FROM fetches f JOIN urls u ON u.id = f.url_id "
            "WHERE u.url = ? ORDER BY f.id",
            (url,),
        ))


def pages_stored(settings: Settings) -> int:
    with sqlite3.connect(settings.store_path) as db:
        return int(db.execute("SELECT count(*) FROM pages").fetchone()[0])


async def test_503_503_200_ends_with_three_hits_and_one_page(
    tmp_path: Path, test_ca: TestCA, ca_bundle: Path
) -> None:
    site = Site().add(HOST, PATH, Status(503), Status(503), Page(HTML))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle)
        report = await crawl(settings, write_seed(tmp_path))

    assert site.hits[(HOST, PATH)] == 3
    assert report.ok, report
    assert (report.pages_done, report.pages_failed, report.requests) == (1, 0, 3 + 1)  # + robots.txt
    row = url_row(settings)
    assert (row["state"], row["attempts"], row["last_status"], row["last_error"]) == ("done", 3, 200, None)
    assert pages_stored(settings) == 1
    tries = attempts(settings)
    assert [(n, status) for n, status, _ in tries] == [(1, 503), (2, 503), (3, 200)]
    assert [error is not None and "HTTP 503" in error for _, _, error in tries] == [True, True, False]


@pytest.mark.parametrize("code", [500, 502, 504, 408])
async def test_retryable_status_then_success_is_archived(
    tmp_path: Path, test_ca: TestCA, ca_bundle: Path, code: int
) -> None:
    site = Site().add(HOST, PATH, Status(code), Page(HTML))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle)
        report = await crawl(settings, write_seed(tmp_path))

    assert report.ok and report.pages_done == 1
    assert site.hits[(HOST, PATH)] == 2
    assert url_row(settings)["state"] == "done"
    assert [(n, status) for n, status, _ in attempts(settings)] == [(1, code), (2, 200)]


@pytest.mark.parametrize("code", [404, 410, 403])
async def test_permanent_status_fails_at_once(tmp_path: Path, test_ca: TestCA, ca_bundle: Path, code: int) -> None:
    site = Site().add(HOST, PATH, Status(code), Page(HTML))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle)
        report = await crawl(settings, write_seed(tmp_path))

    assert site.hits[(HOST, PATH)] == 1
    assert not report.ok
    assert (report.pages_done, report.pages_failed, report.pending) == (0, 1, 0)
    assert [url for url, _ in report.failures] == [URL]
    row = url_row(settings)
    assert (row["state"], row["attempts"], row["last_status"]) == ("failed", 1, code)
    assert f"HTTP {code}" in row["last_error"]
    assert [(n, status) for n, status, _ in attempts(settings)] == [(1, code)]
    assert pages_stored(settings) == 0


async def test_always_503_spends_exactly_the_budget(tmp_path: Path, test_ca: TestCA, ca_bundle: Path) -> None:
    site = Site().add(HOST, PATH, Status(503))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle, max_attempts=3)
        report = await crawl(settings, write_seed(tmp_path))

    assert site.hits[(HOST, PATH)] == 3
    assert (report.ok, report.pages_failed, report.pending, report.requests) == (False, 1, 0, 3 + 1)  # + robots
    row = url_row(settings)
    assert (row["state"], row["attempts"], row["last_status"]) == ("failed", 3, 503)
    assert "HTTP 503" in row["last_error"]
    assert [(n, status) for n, status, _ in attempts(settings)] == [(1, 503), (2, 503), (3, 503)]


async def test_short_retry_after_is_waited_in_place(tmp_path: Path, test_ca: TestCA, ca_bundle: Path) -> None:
    hit_times: list[float] = []

    def stamp() -> None:
        hit_times.append(time.monotonic())

    site = Site().add(HOST, PATH, Hook(Status(429, retry_after="1"), stamp), Hook(Page(HTML), stamp))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle)
        report = await crawl(settings, write_seed(tmp_path))

    assert report.ok and report.pages_done == 1
    assert site.hits[(HOST, PATH)] == 2
    assert hit_times[1] - hit_times[0] >= 0.95
    assert [(n, status) for n, status, _ in attempts(settings)] == [(1, 429), (2, 200)]


async def test_retry_after_is_capped(tmp_path: Path, test_ca: TestCA, ca_bundle: Path) -> None:
    hit_times: list[float] = []

    def stamp() -> None:
        hit_times.append(time.monotonic())

    site = Site().add(HOST, PATH, Hook(Status(503, retry_after="3600"), stamp), Hook(Page(HTML), stamp))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle, retry_after_cap_s=0.3)
        report = await crawl(settings, write_seed(tmp_path))

    assert report.ok and site.hits[(HOST, PATH)] == 2
    assert 0.25 <= hit_times[1] - hit_times[0] < 2.0


async def test_long_retry_after_reschedules_in_the_store(tmp_path: Path, test_ca: TestCA, ca_bundle: Path) -> None:
    # A Retry-After above INLINE_WAIT_MAX_S is not slept in place: the job goes back to the frontier
    # with its next-attempt time. Waiting that out would make the test take more than 5 s, so the
    # crawl is stopped once the 429 is sent, the stored schedule is checked, and then "time passes"
    # (next_attempt_at is moved to now) before a second run finishes the job.
    retry_after_s = 60
    assert retry_after_s > INLINE_WAIT_MAX_S
    stop = asyncio.Event()
    site = Site().add(HOST, PATH, Hook(Status(429, retry_after=str(retry_after_s)), stop.set), Page(HTML))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle)
        seeds = write_seed(tmp_path)
        asked_at = time.time()
        first = await crawl(settings, seeds, stop)

        assert site.hits[(HOST, PATH)] == 1
        assert first.interrupted and first.pending == 1 and not first.ok
        row = url_row(settings)
        assert (row["state"], row["attempts"], row["last_status"]) == ("pending", 1, 429)
        assert asked_at + retry_after_s - 1 <= row["next_attempt_at"] <= time.time() + retry_after_s
        assert [(n, status) for n, status, _ in attempts(settings)] == [(1, 429)]

        with sqlite3.connect(settings.store_path) as db:
            db.execute("UPDATE urls SET next_attempt_at = ? WHERE url = ?", (time.time(), URL))
        second = await crawl(settings, seeds)

    assert second.ok and second.pages_done == 1
    assert site.hits[(HOST, PATH)] == 2
    assert url_row(settings)["state"] == "done"
    assert [(n, status) for n, status, _ in attempts(settings)] == [(1, 429), (2, 200)]


async def test_retry_budget_survives_a_restart(
    tmp_path: Path, test_ca: TestCA, ca_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first run is stopped while its first attempt hangs; the stop's grace period (shortened
    # here) runs out and the attempt is cancelled. The attempt was counted before it ran, so the
    # second run has one attempt left, not a fresh budget.
    monkeypatch.setattr(run_module, "GRACE_S", 0.1)
    stop = asyncio.Event()
    site = Site().add(HOST, PATH, Hook(SlowHeaders(1.5, then=Status(503)), stop.set), Status(503))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle, max_attempts=2)
        seeds = write_seed(tmp_path)
        first = await crawl(settings, seeds, stop)
        assert first.interrupted and first.pending == 1
        row = url_row(settings)
        assert (row["state"], row["attempts"]) == ("pending", 1)

        second = await crawl(settings, seeds)

    assert site.hits[(HOST, PATH)] == 2
    assert second.pages_failed == 1 and second.requests == 1
    row = url_row(settings)
    assert (row["state"], row["attempts"], row["last_status"]) == ("failed", 2, 503)


async def test_budget_spent_by_an_interrupted_last_attempt_is_not_renewed(
    tmp_path: Path, test_ca: TestCA, ca_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "GRACE_S", 0.1)
    stop = asyncio.Event()
    site = Site().add(HOST, PATH, Status(503), Hook(SlowHeaders(1.5, then=Status(503)), stop.set), Status(503))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle, max_attempts=2)
        seeds = write_seed(tmp_path)
        await crawl(settings, seeds, stop)
        assert url_row(settings)["attempts"] == 2  # both tries counted, the second cut off
        await crawl(settings, seeds)

    assert site.hits[(HOST, PATH)] == 2
    assert url_row(settings)["state"] == "failed"


async def test_dropped_connection_then_success_is_archived(
    tmp_path: Path, test_ca: TestCA, ca_bundle: Path
) -> None:
    # aiohttp resends an idempotent request once by itself when a connection drops unanswered, so
    # the first attempt sees two resets (hits 1 and 2) and the crawler's own retry brings hit 3.
    site = Site().add(HOST, PATH, Close(reset=True), Close(reset=True), Page(HTML))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle)
        report = await crawl(settings, write_seed(tmp_path))

    assert report.ok and report.pages_done == 1
    assert site.hits[(HOST, PATH)] == 3
    tries = attempts(settings)
    assert [(n, status) for n, status, _ in tries] == [(1, None), (2, 200)]
    assert tries[0][2] is not None and "connection" in tries[0][2]
    assert pages_stored(settings) == 1


async def test_timeout_then_success_is_archived(tmp_path: Path, test_ca: TestCA, ca_bundle: Path) -> None:
    site = Site().add(HOST, PATH, SlowHeaders(1.0), Page(HTML))
    async with serve(site, tls=test_ca) as server:
        settings = settings_for(tmp_path, server, ca_bundle, read_timeout_s=0.2)
        report = await crawl(settings, write_seed(tmp_path))

    assert report.ok and site.hits[(HOST, PATH)] == 2
    tries = attempts(settings)
    assert [(n, status) for n, status, _ in tries] == [(1, None), (2, 200)]
    assert tries[0][2] is not None and "timed out" in tries[0][2]


async def _waits(policy: RetryPolicy, attempts_before: int, *, first_try_apart: bool) -> list[float]:
    """The in-place waits a job that always fails retryably sees, with or without a first try outside the loop."""
    waits: list[float] = []

    async def note(state: RetryCallState) -> None:
        waits.append(state.upcoming_sleep)

    async def fail() -> None:
        raise RetryableFetchError("HTTP 503")

    tried = 0
    if first_try_apart:
        wait = policy.inline_wait(RetryableFetchError("HTTP 503"), attempts_before)
        if wait is None:
            return waits
        waits.append(wait)
        tried = 1
    with pytest.raises(RetryableFetchError):
        async for attempt in policy.retrying(attempts_before, before_sleep=note, tried=tried):
            with attempt:
                await fail()
    return waits


@pytest.mark.parametrize("attempts_before", [0, 1, 3, 4, 5])
async def test_first_try_outside_the_loop_waits_as_the_loop_would(attempts_before: int) -> None:
    """The worker makes a job's first try without tenacity's loop; the retries after it keep the same count
    and the same backoff steps as one loop over every try."""
    policy = RetryPolicy(Settings(max_attempts=5, backoff_initial_s=0.001, backoff_max_s=0.1))
    plain = await _waits(policy, attempts_before, first_try_apart=False)
    apart = await _waits(policy, attempts_before, first_try_apart=True)
    assert len(apart) == len(plain) == max(0, 5 - attempts_before - 1)
    for step, (a, b) in enumerate(zip(plain, apart, strict=True), start=1):
        low = 0.001 * 2 ** (step - 1)
        assert low <= a <= low + 0.001 + 1e-9 and low <= b <= low + 0.001 + 1e-9
