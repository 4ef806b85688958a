"""JSON Lines export: one object per article, parsed line by line; the seed fields round-trip."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from storage.seedyaml import load_yaml
from tests.test_export_archive import SEED_FILE, Crawled, crawled, export

__all__ = ["crawled"]


def test_jsonl_lines_round_trip_the_seed_and_name_the_files(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "out" / "articles.jsonl"
    result = export(crawled, "--format", "jsonl", "--out", str(out))
    assert "exported 6 articles as jsonl" in result.output
    seed = load_yaml(SEED_FILE.read_text(encoding="utf-8").split("---")[1])
    objects = []
    with out.open(encoding="utf-8") as lines:
        for line in lines:  # each line a whole JSON object
            assert line.endswith("\n")
            objects.append(json.loads(line))
    assert len(objects) == 1 + len(seed["related"])

    main = objects[0]
    assert main["seed"] == seed and list(main["seed"]) == list(seed)  # same keys, order, values
    assert main["seed"]["publishedDateTime"] == "2021-04-29T20:46:00Z"  # the seed's own form
    assert main["seed_file"]["item"] is None and main["role"] == "article"
    for item, obj in zip(seed["related"], objects[1:], strict=True):
        assert obj["seed"] == item and obj["seed_file"]["item"].startswith("related[")

    assert main["metadata"]["title"] == seed["title"] and "Paragraph 0 of" in main["metadata"]["text"]
    assert main["fetch"]["status"] == 200 and main["fetch"]["final_url"] == seed["originalUrl"]
    claimed = main["images"][0]
    assert (claimed["width"], claimed["height"]) == (760, 368) and claimed["claim_holds"] is True
    assert (out.parent / claimed["file"]).read_bytes()[:4] == b"\x89PNG"
    with sqlite3.connect(crawled.settings.store_path) as db:
        hashes = {row[0] for row in db.execute("SELECT sha256 FROM images")}
    assert {p.stem for p in (out.parent / "images").iterdir()} == hashes
    moved = objects[2]
    assert moved["fetch"]["final_url"].endswith("/moved-story")  # the redirect's end, as fetched
    assert not list(out.parent.glob(".*"))
