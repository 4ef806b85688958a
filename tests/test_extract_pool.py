"""Extraction in worker processes (``extract_processes``): the same fields, and a dead worker costs one page."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest

from crawler.extract import extract_metadata
from crawler.extract_pool import ExtractorDied, PageExtractor
from crawler.models import PageMetadata
from crawler.run import run_crawl
from tests.conftest import SEEDS_DIR, SeedSite, crawl_settings
from tests.servers import TestCA, serve

PAGE = (
    b"<html lang='en'><head><title>Rivers rise - The Gazette</title>"
    b"<meta property='og:image' content='/lead.jpg'><meta name='author' content='Ana Ruiz'>"
    b"<meta property='article:published_time' content='2024-03-05T10:00:00Z'></head>"
    b"<body><article><h1>Rivers rise</h1>"
    + b"<p>The river rose by two metres overnight, and the town council opened the flood gates early.</p>" * 6
    + b"</article></body></html>"
)
URL = "https://news.example/rivers"


def die_on_poison(body: bytes, url: str, content_type: str | None) -> PageMetadata:
    """A worker target that dies on one body and extracts every other (spawned workers import it)."""
    if body == b"poison":
        os._exit(3)
    return extract_metadata(body, url=url, content_type=content_type)


def _page_columns(db: Path) -> dict[str, dict[str, object]]:
    """Every extracted column of every page, by URL (not the ids, nor when it was extracted)."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT u.url, p.* FROM pages p JOIN urls u ON u.id = p.url_id").fetchall()
    skip = {"url", "url_id", "fetch_id", "extracted_at"}
    return {row["url"]: {key: row[key] for key in row.keys() if key not in skip} for row in rows}  # noqa: SIM118 (a Row iterates values)


async def test_workers_give_the_fields_the_crawl_process_gives() -> None:
    extractor = PageExtractor(1)
    try:
        pooled = await extractor.extract(PAGE, url=URL, content_type="text/html")
    finally:
        extractor.close()
    assert pooled == extract_metadata(PAGE, url=URL, content_type="text/html")
    assert pooled.title == "Rivers rise" and pooled.authors == ("Ana Ruiz",)


async def test_a_crawl_with_workers_archives_what_one_without_does(
    tmp_path: Path, seed_site: SeedSite, test_ca: TestCA, ca_bundle: Path
) -> None:
    async with serve(seed_site.site, tls=test_ca) as server:
        alone = crawl_settings(tmp_path / "alone", server, ca_bundle)
        pooled = crawl_settings(tmp_path / "pooled", server, ca_bundle, extract_processes=2)
        first = await run_crawl(alone, [str(SEEDS_DIR)])
        second = await run_crawl(pooled, [str(SEEDS_DIR)])
    assert first.ok and second.ok and second.pages_done == first.pages_done > 0
    columns = _page_columns(pooled.store_path)
    assert columns == _page_columns(alone.store_path)
    assert all(page["note"] is None and page["title"] for page in columns.values())  # every page extracted


async def test_a_killed_worker_is_replaced() -> None:
    extractor = PageExtractor(1)
    try:
        await extractor.extract(PAGE, url=URL, content_type="text/html")
        pool = extractor._pool
        assert pool is not None
        for pid in list(pool._processes):
            os.kill(pid, signal.SIGKILL)
        again = await extractor.extract(PAGE, url=URL, content_type="text/html")
    finally:
        extractor.close()
    assert again.title == "Rivers rise"


async def test_a_page_that_kills_its_worker_fails_alone() -> None:
    extractor = PageExtractor(1, target=die_on_poison)
    try:
        with pytest.raises(ExtractorDied, match="died twice"):
            await extractor.extract(b"poison", url=URL, content_type="text/html")
        after = await extractor.extract(PAGE, url=URL, content_type="text/html")
    finally:
        extractor.close()
    assert after.title == "Rivers rise"


def test_in_process_extraction_starts_no_worker() -> None:
    extractor = PageExtractor(0)
    extractor.close()
    assert extractor._pool is None
