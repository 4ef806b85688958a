"""Markdown export: lossless seed front matter plus the archive block, images once, round trip."""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import frontmatter

from crawler.archive import open_store
from crawler.run import run_crawl
from crawler.settings import Settings
from storage.export import export_markdown, slugify, split_front_matter
from storage.seedyaml import SeedYAMLHandler, load_yaml
from tests.conftest import SEEDS_DIR, SeedSite, crawl_settings
from tests.servers import TestCA, serve

SEED_FILE = next(SEEDS_DIR.glob("*.txt"))


async def _export(settings: Settings, out: Path) -> int:
    store = await open_store(settings)
    try:
        return await export_markdown(store, out)
    finally:
        await store.close()


def _front(path: Path) -> dict[str, object]:
    return dict(frontmatter.load(str(path), handler=SeedYAMLHandler()).metadata)


async def test_export_keeps_the_seed_record_and_adds_the_archive(
    tmp_path: Path, seed_site: SeedSite, test_ca: TestCA, ca_bundle: Path
) -> None:
    out = tmp_path / "export"
    async with serve(seed_site.site, tls=test_ca) as server:
        settings = crawl_settings(tmp_path, server, ca_bundle)
        await run_crawl(settings, [str(SEEDS_DIR)])
    written = await _export(settings, out)

    seed = load_yaml(SEED_FILE.read_text(encoding="utf-8").split("---")[1])
    files = sorted(out.glob("*.md"))
    assert written == len(files) == 1 + len(seed["related"])
    fronts = {str(_front(f).get("originalUrl") or _front(f).get("webUrl")): (f, _front(f)) for f in files}

    main_file, main = fronts[seed["originalUrl"]]
    record = {k: v for k, v in main.items() if k != "archive"}
    assert record == seed and list(record) == list(seed)  # same keys, same order, same values
    text = main_file.read_text(encoding="utf-8")
    assert "publishedDateTime: 2021-04-29T20:46:00Z\n" in text  # the seed's own timestamp form
    original = SEED_FILE.read_text(encoding="utf-8").split("---\n")[1]
    assert text.startswith("---\n" + original.rstrip() + "\narchive:\n")  # its very text, quotes and all
    assert main_file.name.startswith("2021-04-29-what-cities-must-do")
    for item in seed["related"]:
        _, front = fronts[item["webUrl"]]
        assert {k: v for k, v in front.items() if k != "archive"} == item

    archive = main["archive"]
    assert isinstance(archive, dict)
    assert archive["status"] == 200 and archive["final_url"] == seed["originalUrl"]
    assert archive["metadata"]["title"] == seed["title"]
    images = archive["images"]
    assert [i["relation"] for i in images] == ["image", "lead_image"]
    claimed = images[0]
    assert claimed["claimed"] == {"width": 760, "height": 368}
    assert (claimed["width"], claimed["height"]) == (760, 368) and claimed["claim_holds"] is True
    assert claimed["cached"] is True
    assert (out / claimed["file"]).read_bytes()[:4] == b"\x89PNG"
    body = frontmatter.load(str(main_file), handler=SeedYAMLHandler()).content
    assert f"]({claimed['file']})" in body and "Paragraph 0 of" in body

    with sqlite3.connect(settings.store_path) as db:
        hashes = {row[0] for row in db.execute("SELECT sha256 FROM images")}
    assert {p.stem for p in (out / "images").iterdir()} == hashes  # each image once, by content hash

    again = await _export(settings, out)
    assert again == written and sorted(out.glob("*.md")) == files  # re-export rewrites, never duplicates
    assert not list(out.rglob("*.tmp"))


async def test_exported_files_are_seeds_for_the_same_urls(
    tmp_path: Path, seed_site: SeedSite, test_ca: TestCA, ca_bundle: Path
) -> None:
    out = tmp_path / "export"
    async with serve(seed_site.site, tls=test_ca) as server:
        first = crawl_settings(tmp_path / "one", server, ca_bundle)
        await run_crawl(first, [str(SEEDS_DIR)])
        await _export(first, out)
        second = crawl_settings(tmp_path / "two", server, ca_bundle)
        report = await run_crawl(second, [str(out)])
    assert report.ok and report.seeds_rejected == 0

    def urls(settings: Settings) -> set[tuple[str, str, str]]:
        with sqlite3.connect(settings.store_path) as db:
            return set(db.execute("SELECT url, kind, state FROM urls"))

    assert urls(second) == urls(first)


def test_hostile_titles_make_safe_unique_names() -> None:
    titles = ["../../etc/passwd", "a/b\\c", "nul\x00byte", "ctrl\x07\x1b", "CON", "aux.txt", "x" * 1000,
              "Émoji 🎉 title", "", "   ", "..", "LPT1"]
    for title in titles:
        slug = slugify(title)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), (title, slug)
        assert len(slug) <= 60
    assert slugify("Émoji 🎉 title") == "emoji-title"
    assert slugify("") == "untitled"


def test_front_matter_is_split_as_python_frontmatter_splits_it() -> None:
    handler = SeedYAMLHandler()

    def split(split_with: Callable[[str], tuple[str, str]], text: str) -> tuple[str, str] | None:
        try:
            return split_with(text)
        except ValueError:
            return None

    rng = random.Random(1)
    parts = ["---", "----", "--", "-", "\n", "\r\n", " ", "\t", "a", "key: v", "...", "x---", "--- ", "\n\n", "#"]
    texts = [SEED_FILE.read_text(encoding="utf-8")]
    texts += ["".join(rng.choice(parts) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    for text in texts:
        assert split(split_front_matter, text) == split(handler.split, text), text
