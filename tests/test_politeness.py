"""Politeness: robots.txt (RFC 9309) obeyed and cached, Crawl-delay honoured up to a cap, per-host backoff."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from crawler.models import CrawlReport
from crawler.run import run_crawl
from crawler.settings import Settings
from tests.conftest import crawl_settings
from tests.servers import Behaviour, Page, Site, Status, serve

HTML = "<html><head><title>t</title></head><body><p>text</p></body></html>"


@dataclass(frozen=True)
class Timed(Behaviour):
    """Records when each request arrived, then answers like ``then``."""

    then: Behaviour
    log: list[tuple[str, float]] = field(default_factory=list)

    async def respond(self, request: web.Request) -> web.StreamResponse:
        self.log.append((request.path, time.monotonic()))
        return await self.then.respond(request)


def write_seeds(folder: Path, urls: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, url in enumerate(urls):
        (folder / f"s{i:03d}.md").write_text(f'---\noriginalUrl: "{url}"\n---\n', encoding="utf-8")
    return folder


def states(settings: Settings) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(settings.store_path) as db:
        return {url: (state, error) for url, state, error in db.execute("SELECT url, state, last_error FROM urls")}


async def crawl(tmp_path: Path, site: Site, urls: list[str], **overrides: Any) -> tuple[CrawlReport, Settings]:
    seeds = write_seeds(tmp_path / "seeds", urls)
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, **overrides)
        return await run_crawl(settings, [str(seeds)]), settings


async def test_disallowed_urls_end_blocked_and_robots_is_fetched_once(tmp_path: Path) -> None:
    site = Site().page("r.example", "/robots.txt", "User-agent: *\nDisallow: /private\n",
                       content_type="text/plain")
    urls = [f"http://r.example/private/{i}" for i in range(3)] + [f"http://r.example/ok/{i}" for i in range(4)]
    for url in urls:
        site.page("r.example", url.removeprefix("http://r.example"), HTML)
    seeds = write_seeds(tmp_path / "seeds", urls[:-1])
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None)
        report = await run_crawl(settings, [str(seeds)])
        assert site.hits[("r.example", "/robots.txt")] == 1  # once, although six jobs asked at once
        write_seeds(tmp_path / "more", urls[-1:])
        again = await run_crawl(settings, [str(tmp_path / "more")])

    assert report.blocked == 3 and report.pages_done == 3 and report.pages_failed == 0
    assert report.ok  # blocked by the site's own wish is not an error
    for url, (state, error) in states(settings).items():
        assert (state, error) == (("blocked", "blocked by robots.txt") if "/private/" in url else ("done", None))
    assert all(site.hits[("r.example", u.removeprefix("http://r.example"))] == 0 for u in urls[:3])
    assert again.requests == 1 and site.hits[("r.example", "/robots.txt")] == 1  # the store's copy was used


async def test_a_missing_or_forbidden_robots_txt_allows_everything(tmp_path: Path) -> None:
    site = Site().add("a.example", "/robots.txt", Status(404)).add("b.example", "/robots.txt", Status(403))
    site.page("a.example", "/x", HTML).page("b.example", "/y", HTML)
    report, _ = await crawl(tmp_path, site, ["http://a.example/x", "http://b.example/y"])
    assert report.ok and report.pages_done == 2


async def test_an_unreachable_robots_txt_postpones_the_host(tmp_path: Path) -> None:
    rules = Page("User-agent: *\nAllow: /\n", content_type="text/plain")
    site = Site().add("down.example", "/robots.txt", Status(503), rules).page("down.example", "/p", HTML)
    site.page("up.example", "/q", HTML)
    started = time.monotonic()
    report, settings = await crawl(
        tmp_path, site, ["http://down.example/p", "http://up.example/q"], robots_retry_s=0.5
    )
    assert report.ok and report.pages_done == 2
    assert site.hits[("down.example", "/robots.txt")] == 2  # asked again only after the pause
    assert site.hits[("down.example", "/p")] == 1  # never fetched while the rules were unknown
    assert time.monotonic() - started >= 0.5
    with sqlite3.connect(settings.store_path) as db:
        attempts = db.execute("SELECT attempts FROM urls WHERE url = 'http://down.example/p'").fetchone()[0]
    assert attempts == 1  # postponing spends no attempt


async def test_unreachable_robots_leaves_jobs_pending_with_their_time(tmp_path: Path) -> None:
    site = Site().add("down.example", "/robots.txt", Status(500)).page("down.example", "/p", HTML)
    stop = asyncio.Event()
    seeds = write_seeds(tmp_path / "seeds", ["http://down.example/p"])
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, robots_retry_s=3600)
        task = asyncio.create_task(run_crawl(settings, [str(seeds)], stop=stop))
        await asyncio.sleep(0.5)
        stop.set()
        report = await task
    assert report.pending == 1 and not report.ok
    with sqlite3.connect(settings.store_path) as db:
        state, next_at, error = db.execute("SELECT state, next_attempt_at, last_error FROM urls").fetchone()
    assert state == "pending" and next_at > time.time() + 3000
    assert "robots.txt unreachable" in error


async def test_crawl_delay_is_honoured_up_to_its_cap(tmp_path: Path) -> None:
    timed = Timed(Page(HTML))
    robots = "User-agent: newsvault\nCrawl-delay: 0.3\n\nUser-agent: *\nCrawl-delay: 100\n"
    site = Site().page("slow.example", "/robots.txt", robots, content_type="text/plain")
    capped = Site().page("slow.example", "/robots.txt", "User-agent: *\nCrawl-delay: 100\n",
                         content_type="text/plain")
    urls = [f"http://slow.example/{i}" for i in range(4)]
    for url in urls:
        site.add("slow.example", url.removeprefix("http://slow.example"), timed)
        capped.add("slow.example", url.removeprefix("http://slow.example"), timed)

    # Gaps are seen at the server: a request whose connection was slower to open arrives late and
    # shortens the gap after it, so the span over all requests is what shows the pacing.
    report, _ = await crawl(tmp_path / "one", site, urls, per_host=4)
    arrivals = [at for _, at in timed.log]
    span = arrivals[-1] - arrivals[0]
    assert report.ok and len(arrivals) == 4 and span >= 3 * 0.3 - 0.05, arrivals  # our group's delay, not '*'

    timed.log.clear()
    started = time.monotonic()
    report, _ = await crawl(tmp_path / "two", capped, urls, per_host=4, crawl_delay_cap_s=0.2)
    arrivals = [at for _, at in timed.log]
    span = arrivals[-1] - arrivals[0]
    assert report.ok and span >= 3 * 0.2 - 0.05 and time.monotonic() - started < 5  # capped, not 100 s


async def test_robots_can_be_switched_off(tmp_path: Path) -> None:
    site = Site().page("r.example", "/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    site.page("r.example", "/x", HTML)
    report, _ = await crawl(tmp_path, site, ["http://r.example/x"], obey_robots=False)
    assert report.ok and report.pages_done == 1 and site.hits[("r.example", "/robots.txt")] == 0


async def test_429_slows_its_host_for_all_jobs_but_not_other_hosts(tmp_path: Path) -> None:
    busy = Timed(Page(HTML))
    calm = Timed(Page(HTML))
    site = Site().add("busy.example", "/0", Status(429, retry_after="1"), busy)
    urls = ["http://busy.example/0"]
    for i in range(1, 4):
        site.add("busy.example", f"/{i}", busy)
        urls.append(f"http://busy.example/{i}")
    for i in range(6):
        site.add("calm.example", f"/{i}", calm)
        urls.append(f"http://calm.example/{i}")
    started = time.monotonic()
    report, _ = await crawl(tmp_path, site, urls, per_host=1, concurrency=4, backoff_initial_s=0.2)
    assert report.ok and report.pages_done == len(urls)
    after_429 = [t - started for path, t in busy.log]
    # /1../3 were queued behind /0 on a one-connection host: none started before Retry-After ran out
    assert len(after_429) == 4 and min(after_429) >= 0.95, after_429
    assert max(t - started for _, t in calm.log) < min(after_429)  # the other host went on meanwhile
