"""The archive the export tests share, and the export selection: dates, provider, topic, seed, incremental.

``crawl_archive`` crawls the project's seed from a local TLS site whose answers vary the way the web
does (a gzip page, a chunked page, a redirect, two image URLs with the same bytes), so that every
exporter meets each case. Other ``test_export_*`` modules import the ``crawled`` fixture from here.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result

from crawler.cli import main
from crawler.run import run_crawl
from crawler.settings import Settings
from tests.conftest import SEEDS_DIR, SeedSite, article_html, build_seed_site, crawl_settings, make_image
from tests.servers import Page, Redirect, StallBody, TestCA, serve

SEED_FILE = next(SEEDS_DIR.glob("*.txt"))
SHARED_IMAGE = make_image(120, 80, color=(10, 120, 200))


def split(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.netloc, parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Crawled:
    settings: Settings
    site: SeedSite
    root: Path

    @property
    def archive(self) -> str:
        return str(self.settings.archive_dir)


def build_export_site() -> SeedSite:
    """The seed's site, with related[0] gzipped, related[1] redirected, related[3] chunked and the
    images of related[2] and related[4] the same bytes (the second becomes a WARC revisit)."""
    seed_site = build_seed_site()
    related = seed_site.seeds[0].related
    site = seed_site.site
    site.add(*split(related[0].url), Page(article_html(related[0].title or "x"), gzip=True))
    host, _ = split(related[1].url)
    site.add(*split(related[1].url), Redirect("/moved-story", code=301))
    site.page(host, "/moved-story", article_html(related[1].title or "x"))
    chunked = article_html(related[3].title or "x").encode()
    site.add(*split(related[3].url), StallBody(chunked[:500], 0.0, chunked[500:]))
    for item in (related[2], related[4]):
        site.image(*split(item.images[0].url), SHARED_IMAGE, "image/png")
    return seed_site


def crawl_archive(root: Path, test_ca: TestCA, seeds: Path = SEEDS_DIR) -> Crawled:
    seed_site = build_export_site()
    bundle = test_ca.ca_bundle(root / "ca.pem")

    async def crawl() -> Settings:
        async with serve(seed_site.site, tls=test_ca) as server:
            settings = crawl_settings(root, server, bundle)
            report = await run_crawl(settings, [str(seeds)])
            assert report.ok, report.failures
            return settings

    return Crawled(settings=asyncio.run(crawl()), site=seed_site, root=root)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory, test_ca: TestCA) -> Crawled:
    return crawl_archive(tmp_path_factory.mktemp("crawled"), test_ca)


def export(crawled: Crawled, *args: str) -> Result:
    result = CliRunner().invoke(main, ["export", "--archive", crawled.archive, "--progress", "off", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def tool(name: str) -> str:
    """A command-line tool of the ``test`` extra; fail (never skip) when it is not installed."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name!r} is not installed: run `pip install -e '.[test]'` (it is in the test extra)")
    return found


def _urls(path: Path) -> set[str]:
    return {json.loads(line)["url"] for line in path.read_text(encoding="utf-8").splitlines()}


def test_selection_by_provider_topic_seed_and_date(crawled: Crawled, tmp_path: Path) -> None:
    seed = crawled.site.seeds[0]
    every = {a.url for a in seed.articles}

    def urls(*args: str) -> set[str]:
        out = tmp_path / f"{len(list(tmp_path.iterdir()))}.jsonl"
        export(crawled, "--format", "jsonl", "--out", str(out), *args)
        return _urls(out)

    assert urls() == every
    assert urls("--provider", "KCRG.com", "--provider", "www.gcn.com") == {seed.article.url, seed.related[0].url}
    assert urls("--topic", "computer vision") == every  # related articles have their seed's topics
    assert urls("--topic", "gardening") == set()
    assert urls("--seed", str(SEED_FILE)) == every
    assert urls("--seed", str(tmp_path / "not-a-seed.txt")) == set()
    assert urls("--date-field", "published", "--until", "2021-04-29") == {
        a.url for a in seed.articles if (a.published or "") < "2021-04-30"}
    assert urls("--date-field", "published", "--since", "2021-05-03T00:00:00Z") == {
        a.url for a in seed.articles if (a.published or "") >= "2021-05-03"}
    assert urls("--since", "2000-01-01") == every  # fetch date: today
    assert urls("--until", "2000-01-01") == set()


def test_incremental_exports_only_what_changed(tmp_path: Path, test_ca: TestCA) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED_FILE, seeds)
    crawled = crawl_archive(tmp_path, test_ca, seeds)
    out = tmp_path / "out.jsonl"
    first = export(crawled, "--format", "jsonl", "--out", str(out), "--incremental")
    assert "first export to this path" in first.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6

    again = export(crawled, "--format", "jsonl", "--out", str(out), "--incremental")
    assert "exported 0 articles" in again.output
    assert out.read_text(encoding="utf-8").splitlines() == lines

    # a new seed naming one new article: only that one is exported, appended to the earlier lines
    text = SEED_FILE.read_text(encoding="utf-8")
    (seeds / "new.txt").write_text(text.replace("nlc-facial-recognition.aspx", "nlc-follow-up.aspx"), "utf-8")
    crawled.site.site.page("gcn.com", "/articles/2021/04/29/nlc-follow-up.aspx", article_html("Follow-up"))

    async def crawl_again() -> None:
        async with serve(crawled.site.site, tls=test_ca) as server:
            settings = crawl_settings(tmp_path, server, tmp_path / "ca.pem")
            assert (await run_crawl(settings, [str(seeds)])).ok

    asyncio.run(crawl_again())
    export(crawled, "--format", "jsonl", "--out", str(out), "--incremental")
    after = out.read_text(encoding="utf-8").splitlines()
    assert after[:6] == lines
    assert [json.loads(line)["url"] for line in after[6:]] == ["https://gcn.com/articles/2021/04/29/nlc-follow-up.aspx"]
