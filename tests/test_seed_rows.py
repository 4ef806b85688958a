"""Loading seeds quickly changes nothing: the same split, the same rows, row for row."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from frontmatter.default_handlers import YAMLHandler

from crawler.seeds import parse_seed
from crawler.urls import host_key
from storage import rows
from storage.seedyaml import SeedLoader, SeedYAMLHandler
from storage.store import Store

SEED = """---
originalUrl: "https://News.example/a#top"
webUrl: "https://news.example/a-alias"
ampWebUrl: "https://news.example/amp/a"
title: A
publishedDateTime: 2021-04-29T20:46:00Z
images:
  - url: "https://img.example/1.jpg"
    width: 10
    height: 20
    isCached: true
  - url: "https://img.example/1.jpg"
related:
  - webUrl: "https://other.example/r"
    title: R
    images:
      - url: "https://img.example/2.jpg"
  - originalUrl: "https://news.example/a"
---
"""
A, ALIAS, AMP = "https://news.example/a", "https://news.example/a-alias", "https://news.example/amp/a"
IMG1, IMG2, R = "https://img.example/1.jpg", "https://img.example/2.jpg", "https://other.example/r"


def _rows(db: sqlite3.Connection, sql: str) -> list[tuple[object, ...]]:
    return db.execute(sql).fetchall()


@pytest.mark.parametrize("fetch_alternates", [False, True])
async def test_a_seed_is_stored_as_these_rows(tmp_path: Path, fetch_alternates: bool) -> None:
    """Every row a seed makes, spelled out: its URLs in order, articles, image claims, links, alternates."""
    data = SEED.encode()
    record = parse_seed(data, path="s.md", sha256=hashlib.sha256(data).hexdigest())
    path = tmp_path / "a.sqlite"
    store = await Store.open(path, host_key=host_key)
    await store.add_seeds([record], fetch_alternates=fetch_alternates)
    await store.add_seeds([record], fetch_alternates=fetch_alternates)  # again: nothing changes
    await store.close()
    pages = [A, ALIAS, AMP] if fetch_alternates else [A, ALIAS]
    with sqlite3.connect(path) as db:
        assert _rows(db, "SELECT url, kind, host, state FROM urls ORDER BY id") == [
            *[(url, "page", url.split("/")[2], "pending") for url in pages],
            (IMG1, "image", "img.example", "pending"),
            (R, "page", "other.example", "pending"),
            (IMG2, "image", "img.example", "pending"),
        ]
        assert _rows(db, "SELECT s.path, s.role, u.url, s.title, s.published FROM seed_articles s "
                         "JOIN urls u ON u.id = s.url_id ORDER BY s.path") == [
            ("", "article", A, "A", "2021-04-29T20:46:00Z"),
            ("related[0]", "related", R, "R", None),
            ("related[1]", "related", A, None, None),
        ]
        assert _rows(db, "SELECT s.article_path, s.position, u.url, claimed_width, claimed_height, claimed_cached "
                         "FROM seed_images s JOIN urls u ON u.id = s.url_id ORDER BY 1, 2") == [
            ("", 0, IMG1, 10, 20, 1),
            ("", 1, IMG1, None, None, None),
            ("related[0]", 0, IMG2, None, None, None),
        ]
        links = _rows(db, "SELECT a.url, b.url, relation FROM links JOIN urls a ON a.id = from_id "
                          "JOIN urls b ON b.id = to_id ORDER BY 1, 2, 3")
        alternate_links = [(A, AMP, "alternate")] if fetch_alternates else []
        assert links == sorted([(A, ALIAS, "same_story"), (A, IMG1, "image"), (A, R, "related"), (R, IMG2, "image"),
                                *alternate_links])
        alternates = _rows(db, "SELECT u.url, a.url FROM alternates a JOIN urls u ON u.id = a.url_id")
        assert alternates == ([] if fetch_alternates else [(A, AMP)])
        assert _rows(db, "SELECT count(*), sha256 FROM seeds") == [(1, record.sha256)]


_SPLITS = [
    "---\na: 1\n---\nbody\n",
    "-----   \ntitle: x\n----\nmore\n---\nagain\n",
    "---\r\na: 1\r\n---\r\nbody\r\n",
    "---\n\n\n---\n\n\nx",
    "x---\n---\na: 1\n--- \n",
    "---\na: b---\n c: ---\n---\x1c\n\x85\nrest",
    "---\na: 1\n---x\n----\u2028\n",
    "---\na: 1\n",  # one boundary only
    "no boundary at all",
    "",
    "---",
    "------",
    "\n---\n---",
]


@pytest.mark.parametrize("text", _SPLITS)
def test_front_matter_splits_as_python_frontmatter_splits(text: str) -> None:
    """The quicker split finds the library's boundaries, and fails with the library's error."""

    def outcome(handler: YAMLHandler) -> object:
        try:
            return handler.split(text)
        except ValueError as exc:
            return ("ValueError", str(exc))

    assert outcome(SeedYAMLHandler()) == outcome(YAMLHandler())


def test_seed_loader_has_no_path_resolvers() -> None:
    """Its composer hooks ignore node paths, which is right only while no path resolver is added."""
    assert not SeedLoader.yaml_path_resolvers


class _Text(str):
    pass


def _recursive() -> list[object]:
    items: list[object] = []
    items.append(items)
    return items


_FIELDS = [
    {"a": 1, "b": [True, None, "x", {"c": 2.5}]},
    {1: "an int key"},
    {"x": {None: 1}},
    {"x": float("nan")},
    {"x": [[float("nan")]]},
    {"x": float("inf"), "y": -0.0, "z": 10**30},
    {"x": [1, (2, 3)]},
    {"x": "\ud800 lone surrogate"},
    {"x": {"a", "b"}},
    {"x": b"bytes"},
    {"x": _recursive()},
    {"x": _Text("a str subclass")},
    {"x": [[[[["deep"]]]]]},
    {},
]


@pytest.mark.parametrize("fields", _FIELDS)
def test_fields_json_is_json_only_when_json_gives_the_fields_back(fields: object) -> None:
    def round_trip(value: object) -> str | None:  # the rule, spelled out the slow way
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            return None
        return text if json.loads(text) == value else None

    assert rows.fields_json(fields) == round_trip(fields)
