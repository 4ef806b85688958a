"""Markdown export with ``--site hugo``: the real Hugo builds it, one page per article, images showing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import frontmatter

from storage.export_hugo import HUGO_KEYS
from storage.seedyaml import SeedYAMLHandler, load_yaml
from tests.test_export_archive import SEED_FILE, Crawled, crawled, export, tool

__all__ = ["crawled"]


def test_hugo_builds_one_page_per_article_with_its_images(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "site"
    export(crawled, "--format", "markdown", "--site", "hugo", "--out", str(out))
    articles = sorted(out.glob("*.md"))
    assert len(articles) == 6 and (out / "hugo.toml").is_file()

    seed = load_yaml(SEED_FILE.read_text(encoding="utf-8").split("---")[1])
    main = next(f for f in articles if "what-cities-must-do" in f.name)
    front = dict(frontmatter.load(str(main), handler=SeedYAMLHandler()).metadata)
    record = {k: v for k, v in front.items() if (k != "archive" and k not in HUGO_KEYS) or k in seed}
    assert record == seed and list(record) == list(seed)  # no seed key removed, changed or moved
    assert front["published"] is False and front["draft"] is False  # the seed's flag kept; Hugo's draft off
    assert front["date"] == front["publishDate"] == "2021-04-29T20:46:00Z"
    assert front["tags"] == ["Computer Vision", "AI"] and front["images"] == seed["images"]  # the seed's own

    public = tmp_path / "public"
    build = subprocess.run([tool("hugo"), "--source", str(out), "--destination", str(public)],
                           capture_output=True, text=True, timeout=60, check=False)
    log = build.stdout + build.stderr
    assert build.returncode == 0 and "ERROR" not in log, log
    pages = sorted(public.glob("*.html"))
    assert sorted(p.stem for p in pages if p.name != "index.html") == sorted(a.stem for a in articles)
    home = (public / "index.html").read_text(encoding="utf-8")
    assert all(f'href="/{a.stem}.html"' in home for a in articles)

    page = (public / f"{main.stem}.html").read_text(encoding="utf-8")
    assert seed["title"] in page and "Paragraph 0 of" in page
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources, page
    for src in sources:  # each image resolves, relative to the page, to the exported file
        assert (public / src).read_bytes() == (out / src).read_bytes()
    shown = sum(bool(re.search(r"<img src=", p.read_text(encoding="utf-8"))) for p in pages)
    assert shown == sum(1 for a in articles if "](images/" in a.read_text(encoding="utf-8"))
