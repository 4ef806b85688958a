"""robots.txt (RFC 9309), obeyed by default: fetched once per origin, cached in the store, parsed by protego.

A robots.txt that answers 2xx is obeyed (``Crawl-delay`` too, up to a cap); one that is missing or
forbidden (4xx) allows everything; one that is unreachable (5xx, 429, timeouts, connection failures)
postpones the whole host, since the rules are unknown, and is asked again after ``robots_retry_s``.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from crawler.errors import FetchError, RetryableFetchError
from crawler.fetch import Fetcher
from crawler.hosts import HostPacer
from crawler.models import Job
from crawler.retry import describe
from crawler.settings import Settings
from storage.records import RobotsRecord
from storage.store import Store

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least 500 KiB; we parse no more
_CACHED_ORIGINS = 512


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    postpone_until: float | None = None
    reason: str | None = None


ALLOWED = Verdict(allowed=True)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: the User-Agent's first product."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


class RobotsGate:
    def __init__(self, store: Store, fetcher: Fetcher, hosts: HostPacer, settings: Settings) -> None:
        self._store = store
        self._fetcher = fetcher
        self._hosts = hosts
        self._settings = settings
        self._agent = product_token(settings.user_agent)
        self._rules: OrderedDict[str, Protego | None] = OrderedDict()  # None: everything allowed
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, job: Job) -> Verdict:
        """Whether ``job`` may be fetched now, later (postponed) or not at all."""
        if not self._settings.obey_robots:
            return ALLOWED
        origin = origin_of(job.url)
        if origin not in self._rules:
            lock = self._locks.setdefault(origin, asyncio.Lock())
            async with lock:
                if origin not in self._rules:
                    verdict = await self._load(origin, job)
                    if verdict is not None:
                        return verdict
            self._locks.pop(origin, None)
        self._rules.move_to_end(origin)
        rules = self._rules[origin]
        if rules is None or rules.can_fetch(job.url, self._agent):
            return ALLOWED
        return Verdict(allowed=False, reason="blocked by robots.txt")

    async def _load(self, origin: str, job: Job) -> Verdict | None:
        """Fill the rules for ``origin`` from the store or the network; a Verdict when postponed."""
        record = await self._store.robots(origin)
        now = time.time()
        fresh = record is not None and now - record.fetched_at < self._settings.robots_cache_s
        if record is None or not fresh or (record.status is None and
                                           now - record.fetched_at >= self._settings.robots_retry_s):
            record = await self._fetch(origin, job.host)
        if record.status is None:
            until = record.fetched_at + self._settings.robots_retry_s
            return Verdict(allowed=False, postpone_until=until,
                           reason=f"robots.txt unreachable ({record.error}); host postponed")
        self._remember(origin, record, job.host)
        return None

    async def _fetch(self, origin: str, host: str) -> RobotsRecord:
        url = f"{origin}/robots.txt"
        await self._hosts.pace(host)
        status: int | None
        body: bytes | None = None
        error: str | None = None
        try:
            result = await self._fetcher.fetch(url, accept="text/plain")
            status, body = result.response.status, result.body
        except RetryableFetchError as exc:
            status, error = None, describe(exc)
        except FetchError as exc:  # 4xx: no robots.txt, everything allowed; refused: the page will say why
            status, error = exc.status or 0, describe(exc)
        record = RobotsRecord(host=origin, url=url, status=status, body=body, error=error, fetched_at=time.time())
        await self._store.record_robots(record)
        return record

    def _remember(self, origin: str, record: RobotsRecord, host: str) -> None:
        rules = None
        if record.status is not None and 200 <= record.status < 300 and record.body:
            text = record.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
            rules = Protego.parse(text)
            delay = rules.crawl_delay(self._agent)
            if delay:
                self._hosts.set_crawl_delay(host, min(float(delay), self._settings.crawl_delay_cap_s))
        self._rules[origin] = rules
        while len(self._rules) > _CACHED_ORIGINS:
            self._rules.popitem(last=False)
