"""WACZ export: valid under the ``wacz`` package's own validator, with the articles in pages.jsonl."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

from tests.test_export_archive import Crawled, crawled, export, tool

__all__ = ["crawled"]


def test_wacz_is_valid_and_lists_the_articles(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "news.wacz"
    export(crawled, "--format", "wacz", "--out", str(out), "--warc-size", "8000")
    check = subprocess.run([tool("wacz"), "validate", "-f", str(out)], capture_output=True, text=True, timeout=60,
                           check=False)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        header, *pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()]
        package_info = json.loads(package.read("datapackage.json"))
    assert header["format"] == "json-pages-1.0"
    assert len([n for n in names if n.startswith("archive/") and n.endswith(".warc.gz")]) > 1
    assert {"indexes/index.cdx.gz", "indexes/index.idx", "datapackage-digest.json"} <= set(names)
    seed = crawled.site.seeds[0]
    titles = {page["title"] for page in pages}
    assert titles == {a.title for a in seed.articles}
    assert all(page["url"].startswith("https://") and page["ts"].endswith("Z") for page in pages)
    assert package_info["title"]
    assert not [p for p in tmp_path.iterdir() if p != out]  # no temporary folder or file left
