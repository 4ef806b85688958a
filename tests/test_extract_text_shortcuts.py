"""The main-text extractor's shortcuts give what the plain queries and measurements they replace give."""

from __future__ import annotations

import random
import re
import re._parser as sre_parse

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.extract_text_clean import _may_be_boilerplate, _RootSize
from crawler.extract_text_noise import ARTICLE_BODY, strip_noise
from crawler.extract_text_rules import (
    BOILERPLATE_LINE,
    BOILERPLATE_PHRASE,
    NOISE_ATTRS,
    NOISE_ROLES,
    NOISE_TAGS,
    Tags,
    at_least,
    holds_text,
    size,
    tag_ids,
)

_TAGS = ["div", "p", "span", "a", "h1", "h2", "li", "ul", "td", "tr", "figure", "figcaption", "br", "section", "b"]
_ATTRS = [
    'class="x"', 'id="y"', "hidden", 'aria-hidden="true"', 'role="navigation"', 'role="complementary"',
    'style="display:none"', 'itemprop="articleBody"', 'itemprop="articlebody"', 'itemprop="ArticleBody"',
]  # fmt: skip
_NOISE = ["script", "style", "nav", "aside", "noscript", "button", "svg", "input"]


def _random_html(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(0, 4 if depth < 4 else 0)):
        pick = rng.random()
        if pick < 0.3:
            parts.append(rng.choice(["word ", "two  words ", "\n", " x.", "é ", "a\tb "]))
            continue
        tag = rng.choice(_NOISE) if pick < 0.4 else rng.choice(_TAGS)
        attrs = " ".join(rng.sample(_ATTRS, rng.randint(0, 2)))
        inner = "" if tag in {"br", "input"} else _random_html(rng, depth + 1)
        parts.append(f"<{tag} {attrs}>{inner}</{tag}>" if tag not in {"br", "input"} else f"<{tag} {attrs}>")
    return "".join(parts)


def _random_page(rng: random.Random) -> str:
    head = '<meta itemprop="articleBody" content="x">' if rng.random() < 0.3 else ""
    body_attrs = rng.choice(["", 'role="complementary"', 'class="b"'])
    return f"<html><head>{head}</head><body {body_attrs}>{_random_html(rng)}</body></html>"


def test_tags_match_the_selector_queries() -> None:
    rng = random.Random(11)
    queries = [Tags("p, h1, li, td, br"), Tags("a"), Tags("figcaption, svg, nav")]
    for _ in range(300):
        tree = LexborHTMLParser(_random_page(rng))
        for node in tree.root.traverse() if tree.root else []:
            for query in queries:
                assert [n.mem_id for n in query.find(node)] == [n.mem_id for n in node.css(query.selector)]
                assert query.held(node) == (node.css_first(query.selector) is not None)


def test_tags_hand_large_subtrees_to_the_selector_engine() -> None:
    tree = LexborHTMLParser("<div>" + "<span><a>x</a></span>" * 200 + "</div>")
    node = tree.css_first("div")
    assert node is not None
    assert len(Tags("a").find(node)) == 200
    assert Tags("a, p").held(node) and not Tags("p").held(node)


def test_tag_ids_only_for_standard_tags() -> None:
    assert set(tag_ids(frozenset({"p", "td", "svg"})).values()) == {"p", "td", "svg"}
    with pytest.raises(RuntimeError):
        tag_ids(frozenset({"x-custom"}))


def _reference_strip_noise(tree: LexborHTMLParser) -> None:
    """The noise stripping written plainly: one query per question, all removals at the end."""
    body = tree.body
    assert body is not None
    noise = []
    for node in body.traverse():
        tag = node.tag
        no_h1 = tag in {"aside", "noscript"} and not node.css("h1")
        if tag in NOISE_TAGS or (tag == "aside" and no_h1) or (tag == "noscript" and size(node.text()) < 300):
            noise.append(node)
    for node in body.css(NOISE_ATTRS):
        attrs = node.attributes
        role, style = attrs.get("role"), attrs.get("style") or ""
        if (
            ("hidden" in attrs and not (attrs.get("id") or "").startswith("S:"))
            or attrs.get("aria-hidden") == "true"
            or (role is not None and (role in NOISE_ROLES or (role == "complementary" and not node.css("h1"))))
            or "display:none" in style
            or "display: none" in style
        ):
            noise.append(node)
    ids = {node.mem_id for node in noise}
    outermost = {}
    for node in noise:
        parent = node.parent
        while parent is not None and parent.mem_id not in ids:
            parent = parent.parent
        if parent is None:
            outermost[node.mem_id] = node
    for node in outermost.values():
        node.decompose()


def test_strip_noise_removes_what_the_plain_queries_remove() -> None:
    rng = random.Random(5)
    for _ in range(500):
        page = _random_page(rng)
        reference, plain, merged = LexborHTMLParser(page), LexborHTMLParser(page), LexborHTMLParser(page)
        _reference_strip_noise(reference)
        expected = [node.html for node in reference.css(ARTICLE_BODY)]
        strip_noise(plain)
        found = strip_noise(merged, article_bodies=True)
        assert plain.html == reference.html
        assert merged.html == reference.html
        assert [node.html for node in found] == expected


def test_holds_text_is_at_least_of_the_text() -> None:
    rng = random.Random(9)
    for _ in range(300):
        tree = LexborHTMLParser(_random_page(rng))
        for node in tree.body.traverse() if tree.body else []:
            amount = rng.randint(-1, 12)
            assert holds_text(node, amount) == at_least(node.text(), amount)


def test_root_size_comparisons_read_like_the_whole_size() -> None:
    rng = random.Random(4)
    for _ in range(2000):
        text = "".join(rng.choice(" \n\tabé") for _ in range(rng.randint(0, 3000)))
        whole = size(text)
        root = _RootSize(text)
        root.removed = rng.randint(0, whole)
        for amount in (rng.randint(-5, whole + 5) for _ in range(4)):
            assert root.exceeds(amount) == (whole - root.removed > amount)
        assert root.exact() == whole - root.removed


def test_boilerplate_phrases_fit_before_the_word_check() -> None:
    # Only non-word characters may follow a phrase (``\W*``; "loading" may take dots): any line with a
    # word character after BOILERPLATE_PHRASE characters cannot match.
    pattern = BOILERPLATE_LINE.pattern
    assert pattern.startswith("^(?:") and pattern.endswith(r")\W*$")
    phrases = pattern[len("^") : -len(r"\W*$")].replace(r"loading\.*", "loading")
    assert sre_parse.parse(phrases, re.IGNORECASE).getwidth()[1] <= BOILERPLATE_PHRASE
    rng = random.Random(2)
    for line in ("Advertisement", "Read more ...", "loading.....", "Das könnte Sie auch interessieren:"):
        for _ in range(50):
            longer = line + "".join(rng.choice(" .:!-x_9é") for _ in range(rng.randint(0, 60)))
            if BOILERPLATE_LINE.match(longer):
                assert _may_be_boilerplate(longer, len(longer))
