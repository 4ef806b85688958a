"""The ``itemprop=articleBody`` elements that ``read_page`` collects stand in for the text stage's query of
them only while the tree is as walked, and then give what the query gives."""

from __future__ import annotations

import random

from selectolax.lexbor import LexborHTMLParser

from crawler.charset import decode_html
from crawler.extract import _extract
from crawler.extract_page import read_page
from crawler.extract_text import extract_text
from crawler.extract_text_noise import strip_noise
from tests import realdata
from tests.test_extract_text_shortcuts import _random_html

_HEADS = [
    "",
    '<meta itemprop="articleBody" content="x">',
    '<script itemprop="articleBody">x</script>',
    '<script type="application/ld+json" itemprop="articlebody">{}</script>',
    '<noscript itemprop="articleBody"><p>x</p></noscript>',
    '<template itemprop="articleBody"><p>x</p></template>',
]


def _page(rng: random.Random) -> str:
    body_attrs = rng.choice(["", 'role="complementary"', 'itemprop="articleBody"', 'hidden itemprop="articleBody"'])
    return f"<html><head>{rng.choice(_HEADS)}</head><body {body_attrs}>{_random_html(rng)}</body></html>"


def test_walked_bodies_give_what_the_query_gives() -> None:
    rng = random.Random(8)
    for _ in range(1500):
        page = _page(rng)
        queried, walked = LexborHTMLParser(page), LexborHTMLParser(page)
        expected = [node.html for node in strip_noise(queried, article_bodies=True)]
        known = read_page(walked, None).article_bodies
        found = strip_noise(walked, article_bodies=True, known_bodies=known)
        assert walked.html == queried.html
        assert [node.html for node in found] == expected


def test_walked_bodies_are_dropped_once_the_tree_changed() -> None:
    page = '<html><body><noscript><p itemprop="articleBody">x</p></noscript><p>By Jane Doe</p></body></html>'
    tree = LexborHTMLParser(page)
    _, hint = _extract(tree, None)
    assert hint.article_bodies is None  # the text byline read the visible text, which drops the noscript
    head = (
        "<title>Council backs the budget</title><meta name=author content='Jane Doe'>"
        "<meta property=article:published_time content=2024-05-01T10:00:00Z>"
    )
    stamp = "<time datetime=2024-05-01T10:00:00Z>1 May 2024</time>"
    body = f"<article><h1>Council backs the budget</h1>{stamp}<div itemprop=articleBody><p>x</p></div></article>"
    page = f"<html><head>{head}</head><body>{body}</body></html>"
    _, hint = _extract(LexborHTMLParser(page), None)
    assert hint.article_bodies is not None and len(hint.article_bodies) == 1


def test_real_pages_text_with_and_without_the_walked_bodies() -> None:
    for record in realdata.records()[::5]:
        text = decode_html(realdata.page_bytes(record), None)
        shortcut, plain = LexborHTMLParser(text), LexborHTMLParser(text)
        metadata, hint = _extract(shortcut, record.get("url"))
        plain_metadata, plain_hint = _extract(plain, record.get("url"))
        assert metadata == plain_metadata
        expected = extract_text(plain, title=plain_metadata.title, hint=plain_hint.article_body)
        assert extract_text(shortcut, title=metadata.title, hint=hint) == expected, record["id"]
