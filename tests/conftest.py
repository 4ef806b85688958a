"""Shared fixtures: a test CA, the project's real seed served by a local TLS site, crawl settings."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from crawler.models import SeedRecord
from crawler.seeds import read_seed
from crawler.settings import Settings
from tests.servers import LocalServer, Site, TestCA

ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = ROOT / "seeds"


@pytest.fixture(scope="session")
def test_ca() -> TestCA:
    return TestCA()


@pytest.fixture
def ca_bundle(test_ca: TestCA, tmp_path: Path) -> Path:
    return test_ca.ca_bundle(tmp_path / "ca.pem")


def make_image(width: int, height: int, fmt: str = "PNG", color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def article_html(title: str, *, image: str | None = None, paragraphs: int = 4, author: str = "Jane Doe",
                 published: str = "2021-04-29T20:46:00Z", site_name: str = "Test Site") -> str:
    og_image = f'<meta property="og:image" content="{image}">' if image else ""
    body = "\n".join(
        f"<p>Paragraph {i} of {title}: a sentence long enough to count as article text, with more words "
        f"about facial recognition, cities and the people who live in them.</p>" for i in range(paragraphs)
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | {site_name}</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="{site_name}">
<meta name="description" content="About {title}.">{og_image}
<meta name="author" content="{author}">
<meta property="article:published_time" content="{published}">
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{title}</h1>{body}</article>
<footer><a href="/about">About us</a></footer></body></html>"""


@dataclass
class SeedSite:
    """The project's seed files, every page and image they name served from one local site."""

    site: Site
    seeds: list[SeedRecord]
    pages: list[str]
    images: list[str]
    extra_lead_images: list[str]

    @property
    def all_urls(self) -> set[str]:
        return {*self.pages, *self.images, *self.extra_lead_images}


def _split(url: str) -> tuple[str, str]:
    match = re.match(r"https?://([^/]+)(/.*)?$", url)
    assert match, url
    return match.group(1), match.group(2) or "/"


def build_seed_site(seed_dir: Path = SEEDS_DIR, *, mismatch_every: int = 3) -> SeedSite:
    """Serve every article and image of the seeds; one in ``mismatch_every`` images is not the claimed size.

    The seed's own article page also names a lead image that no seed lists, so its discovery is tested.
    """
    site = Site()
    seeds = [s for p in sorted(seed_dir.glob("*.txt")) if isinstance(s := read_seed(p), SeedRecord)]
    pages: list[str] = []
    images: list[str] = []
    extra: list[str] = []
    count = 0
    for seed in seeds:
        for article in seed.articles:
            lead = article.images[0].url if article.images else None
            if article.role == "article":
                lead = f"https://{_split(article.url)[0]}/lead/{len(extra)}.jpg"
                extra.append(lead)
                site.image(*_split(lead), make_image(640, 360, "JPEG"), "image/jpeg")
            for url in article.urls:
                site.page(*_split(url), article_html(article.title or "Untitled", image=lead))
                pages.append(url)
            for claim in article.images:
                count += 1
                width, height = claim.width or 100, claim.height or 100
                if count % mismatch_every == 0:
                    width, height = width // 2, height // 2
                site.image(*_split(claim.url), make_image(width, height), "image/png")
                images.append(claim.url)
    return SeedSite(site=site, seeds=seeds, pages=pages, images=images, extra_lead_images=extra)


@pytest.fixture
def seed_site() -> SeedSite:
    return build_seed_site()


def crawl_settings(tmp_path: Path, server: LocalServer, ca_bundle: Path | None, **overrides: Any) -> Settings:
    """Settings for a test crawl: the server reached by --connect-to, tiny timeouts, no backoff."""
    values: dict[str, Any] = {
        "archive_dir": str(tmp_path / "archive"),
        "connect_to": (server.connect_to,),
        "ca_bundle": str(ca_bundle) if ca_bundle else "",
        "backoff_initial_s": 0.0,
        "backoff_max_s": 0.0,
        "connect_timeout_s": 2.0,
        "read_timeout_s": 2.0,
        "total_timeout_s": 5.0,
        "progress": "off",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def seed_files(tmp_path: Path) -> Iterator[Path]:
    """A copy of the project's seeds/ folder the test may add to."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    for path in SEEDS_DIR.glob("*.txt"):
        (folder / path.name).write_bytes(path.read_bytes())
    yield folder
