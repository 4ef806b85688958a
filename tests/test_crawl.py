"""End to end: the project's seeds crawled over real TLS from a local site, resumed, exported."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from crawler.run import run_crawl
from crawler.urls import canonicalize_url
from tests.conftest import SEEDS_DIR, SeedSite, crawl_settings
from tests.servers import Page, Site, Status, TestCA, serve


def _urls(db: Path, state: str | None = None) -> set[str]:
    with sqlite3.connect(db) as conn:
        query = "SELECT url FROM urls" + (" WHERE state = ?" if state else "")
        return {row[0] for row in conn.execute(query, (state,) if state else ())}


async def test_crawl_archives_every_page_and_image_once(
    tmp_path: Path, seed_site: SeedSite, test_ca: TestCA, ca_bundle: Path
) -> None:
    async with serve(seed_site.site, tls=test_ca) as server:
        settings = crawl_settings(tmp_path, server, ca_bundle)
        report = await run_crawl(settings, [str(SEEDS_DIR)])

    assert report.ok, report
    assert report.seeds_accepted == 1 and report.seeds_rejected == 0
    expected = {canonicalize_url(u) for u in seed_site.all_urls}
    assert _urls(settings.store_path, "done") == expected
    assert report.pages_done == len(set(seed_site.pages))
    assert report.images_done == len(set(seed_site.images)) + len(seed_site.extra_lead_images)
    # every URL fetched exactly once, and each host's robots.txt once
    assert all(count == 1 for count in seed_site.site.hits.values()), seed_site.site.hits
    hosts = {url.split("/")[2] for url in expected}
    assert {host for host, path in seed_site.site.hits if path == "/robots.txt"} == hosts
    assert report.requests == len(expected) + len(hosts)


async def test_second_crawl_resumes_without_a_request(
    tmp_path: Path, seed_site: SeedSite, test_ca: TestCA, ca_bundle: Path
) -> None:
    async with serve(seed_site.site, tls=test_ca) as server:
        settings = crawl_settings(tmp_path, server, ca_bundle)
        await run_crawl(settings, [str(SEEDS_DIR)])
        hits = sum(seed_site.site.hits.values())
        again = await run_crawl(settings, [str(SEEDS_DIR)])
    assert again.ok
    assert again.requests == 0
    assert sum(seed_site.site.hits.values()) == hits


async def test_store_keeps_seed_relations_claims_and_raw_responses(
    tmp_path: Path, seed_site: SeedSite, test_ca: TestCA, ca_bundle: Path
) -> None:
    async with serve(seed_site.site, tls=test_ca) as server:
        settings = crawl_settings(tmp_path, server, ca_bundle)
        await run_crawl(settings, [str(SEEDS_DIR)])

    seed = seed_site.seeds[0]
    with sqlite3.connect(settings.store_path) as db:
        text, sha = db.execute("SELECT text, sha256 FROM seeds").fetchone()
        assert text == (SEEDS_DIR / Path(seed.path).name).read_text(encoding="utf-8")
        assert sha == seed.sha256
        related = db.execute(
            "SELECT count(*) FROM links l JOIN urls a ON a.id = l.from_id WHERE a.url = ? AND relation = 'related'",
            (seed.article.url,),
        ).fetchone()[0]
        assert related == len(seed.related)
        claims = db.execute("SELECT count(*) FROM seed_images").fetchone()[0]
        assert claims == sum(len(a.images) for a in seed.articles)
        held, broken = db.execute(
            "SELECT sum(i.width = s.claimed_width AND i.height = s.claimed_height), "
            "sum(i.width != s.claimed_width OR i.height != s.claimed_height) "
            "FROM seed_images s JOIN images i ON i.url_id = s.url_id"
        ).fetchone()
        assert broken == claims // 3 and held == claims - broken
        lead = db.execute("SELECT count(*) FROM links WHERE relation = 'lead_image'").fetchone()[0]
        assert lead == sum(1 for a in seed.articles if a.images or a.role == "article")
        published, title, status, headers = db.execute(
            "SELECT sa.published, p.title, f.status, f.response_headers FROM seed_articles sa "
            "JOIN pages p ON p.url_id = sa.url_id JOIN fetches f ON f.id = p.fetch_id WHERE sa.role = 'article'"
        ).fetchone()
        assert published == "2021-04-29T20:46:00Z"
        assert title == seed.article.title
        assert status == 200 and "Content-Type" in headers
        # bodies are stored once by content hash: the blob of each fetch is its sha256
        for blob_sha, data in db.execute("SELECT sha256, data FROM blobs"):
            import hashlib

            assert hashlib.sha256(data).hexdigest() == blob_sha
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_failed_urls_are_tried_again_only_when_asked(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "one.md").write_text('---\noriginalUrl: "http://gone.example/a"\n---\n', encoding="utf-8")
    site = Site().add("gone.example", "/a", Status(404), Page("<html><p>back again</p></html>"))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None)
        first = await run_crawl(settings, [str(seeds)])
        second = await run_crawl(settings, [str(seeds)])
        third = await run_crawl(settings, [str(seeds)], retry_failed=True)
    assert (first.pages_failed, first.requests) == (1, 2)  # the page and the host's robots.txt
    assert (second.pages_failed, second.requests) == (1, 0)
    assert (third.pages_done, third.pages_failed, third.requests) == (1, 0, 1)
    assert third.ok


async def test_lead_images_and_alternates_follow_their_settings(
    tmp_path: Path, seed_site: SeedSite, test_ca: TestCA, ca_bundle: Path
) -> None:
    seattle = seed_site.seeds[0].related[3]
    for alternate in seattle.alternates:
        host, _, path = alternate.removeprefix("https://").partition("/")
        seed_site.site.page(host, "/" + path, "<html><body><p>amp</p></body></html>")
    async with serve(seed_site.site, tls=test_ca) as server:
        plain = crawl_settings(tmp_path / "plain", server, ca_bundle, fetch_lead_images=False)
        await run_crawl(plain, [str(SEEDS_DIR)])
        both = crawl_settings(tmp_path / "both", server, ca_bundle, fetch_alternates=True)
        report = await run_crawl(both, [str(SEEDS_DIR)])
    assert report.ok
    lead = {canonicalize_url(u) for u in seed_site.extra_lead_images}
    alternates = set(seattle.alternates)
    assert not lead & _urls(plain.store_path) and not alternates & _urls(plain.store_path)
    with sqlite3.connect(plain.store_path) as db:  # recorded as alternates of the story all the same
        assert {r[0] for r in db.execute("SELECT url FROM alternates")} == alternates
    assert lead | alternates <= _urls(both.store_path, "done")


async def test_resume_skips_unchanged_seed_files_and_reads_changed_ones(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    one, two = seeds / "one.md", seeds / "two.md"
    one.write_text('---\noriginalUrl: "http://s.example/1"\n---\n', encoding="utf-8")
    two.write_text('---\noriginalUrl: "http://s.example/2"\n---\n', encoding="utf-8")
    site = Site().page("s.example", "/1", "<p>1</p>").page("s.example", "/2", "<p>2</p>")
    site.page("s.example", "/3", "<p>3</p>")
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None)
        await run_crawl(settings, [str(seeds)])
        # same size and time, other bytes: only a file that is read again could notice
        stat = one.stat()
        one.write_bytes(b"\x00" * stat.st_size)
        os.utime(one, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        two.write_text('---\noriginalUrl: "http://s.example/3"\n---\n', encoding="utf-8")  # changed
        report = await run_crawl(settings, [str(seeds)])
    assert report.seeds_rejected == 0 and report.seeds_accepted == 2
    assert "http://s.example/3" in _urls(settings.store_path, "done")
