"""Concurrency limits hold: per host (default 2) and over all hosts; the per-host delay spaces starts."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from crawler.run import run_crawl
from tests.conftest import crawl_settings
from tests.servers import Behaviour, Site, serve


@dataclass(frozen=True)
class Gauge:
    """Shared counters of requests in flight, per host and in all."""

    now: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    starts: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Measured(Behaviour):
    gauge: Gauge
    delay_s: float = 0.05

    async def respond(self, request: web.Request) -> web.StreamResponse:
        host = request.host.split(":")[0]
        self.gauge.starts.setdefault(host, []).append(time.monotonic())
        for key in (host, "*"):
            self.gauge.now[key] += 1
            self.gauge.peak[key] = max(self.gauge.peak[key], self.gauge.now[key])
        try:
            await asyncio.sleep(self.delay_s)
            return web.Response(text="<html><body><p>ok</p></body></html>", content_type="text/html")
        finally:
            for key in (host, "*"):
                self.gauge.now[key] -= 1


def _seeds(folder: Path, hosts: list[str], per_host: int) -> tuple[Site, Gauge]:
    folder.mkdir()
    site = Site()
    gauge = Gauge()
    for h, host in enumerate(hosts):
        for i in range(per_host):
            site.add(host, f"/a/{i}", Measured(gauge))
            (folder / f"{h}-{i}.md").write_text(f'---\noriginalUrl: "http://{host}/a/{i}"\n---\n', encoding="utf-8")
    return site, gauge


async def test_per_host_and_global_limits_hold(tmp_path: Path) -> None:
    hosts = [f"h{i}.example" for i in range(4)]
    site, gauge = _seeds(tmp_path / "seeds", hosts, per_host=8)
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, concurrency=5)
        report = await run_crawl(settings, [str(tmp_path / "seeds")])
    assert report.ok and report.pages_done == 32
    assert max(gauge.peak[h] for h in hosts) == 2  # the default per-host limit, reached and never passed
    assert gauge.peak["*"] == 5


async def test_per_host_delay_spaces_requests(tmp_path: Path) -> None:
    site, gauge = _seeds(tmp_path / "seeds", ["slow.example"], per_host=4)
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, delay_s=0.2, per_host=4)
        report = await run_crawl(settings, [str(tmp_path / "seeds")])
    starts = gauge.starts["slow.example"]
    assert report.ok and len(starts) == 4
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.18, gaps
