"""The parsed page shared by the metadata field resolvers: meta tags, JSON-LD and small DOM helpers.

``read_page`` reads every ``<meta>`` (``content``, or ``value`` when a page stores it there), the
JSON-LD scripts and ``<base href>`` once; the field modules (``extract_title``, ``extract_published``
and ``extract``) only look things up in the resulting ``Page``.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.extract_jsonld import JsonLd, read_jsonld

_SPACE = re.compile(r"\s+")
_KEY_DROP = re.compile(r"[\W_]+")
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gv"})


def clean(value: str | None) -> str | None:
    """Entities decoded, whitespace collapsed; ``None`` for an empty result."""
    if value is None:
        return None
    cleaned = _SPACE.sub(" ", html.unescape(value)).replace("\u00ad", "").strip()
    return cleaned or None


def match_key(value: str | None) -> str:
    """A comparison key: case-folded letters and digits only ("LTE-Patent : X" == "LTE-Patent: X")."""
    return _KEY_DROP.sub("", value.casefold()) if value else ""


def node_text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    return clean(node.text(separator=" "))


def inside(node: LexborNode, tag: str) -> bool:
    """Whether an ancestor of ``node`` is a ``tag`` element (the CSS descendant combinator)."""
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def first_inside(nodes: list[LexborNode], tag: str, limit: int) -> list[LexborNode]:
    """The first ``limit`` of ``nodes`` (document order) that sit inside a ``tag`` element."""
    out: list[LexborNode] = []
    for node in nodes:
        if len(out) >= limit:
            break
        if inside(node, tag):
            out.append(node)
    return out


@dataclass
class Page:
    """Everything read from the page once, shared by the field resolvers."""

    tree: LexborHTMLParser
    url: str | None
    meta: dict[str, list[str]] = field(default_factory=dict)
    ld: JsonLd = field(default_factory=JsonLd)
    memo: dict[object, object] = field(default_factory=dict)  # results the field resolvers compute twice

    @functools.cached_property
    def visible_text(self) -> str:
        """The body's text without scripts and styles (read after structured data, so they can go)."""
        self.tree.strip_tags(["script", "style", "noscript", "template"])
        body = self.tree.body
        return body.text(separator="\n") if body is not None else ""

    @functools.cached_property
    def all_headings(self) -> list[LexborNode]:
        """Every ``<h1>`` of the page, in document order (read once)."""
        return self.tree.css("h1")

    @functools.cached_property
    def headings(self) -> list[LexborNode]:
        """The page's first ``<h1>`` elements (read once, shared by the title, date and description rules)."""
        return self.all_headings[:8]

    @functools.cached_property
    def host_name(self) -> str | None:
        """The registrable part of the page's host name ("example" for www.example.co.uk), if any."""
        if not self.url:
            return None
        labels = (urlsplit(self.url).hostname or "").split(".")[:-1]  # without the top-level domain
        if len(labels) >= 2 and labels[-1] in _SECOND_LEVEL:  # co.uk, com.au ...
            labels.pop()
        return labels[-1] if labels and labels[-1] else None

    def first(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key, ()):
                if value:
                    return value
        return None

    def all(self, *keys: str) -> list[str]:
        return [value for key in keys for value in self.meta.get(key, ()) if value]

    def absolute(self, link: str | None) -> str | None:
        if not link:
            return None
        link = link.strip()
        if link.startswith("data:"):
            return None
        try:
            return urljoin(self.url, link) if self.url else link
        except ValueError:
            return link

    def itemprop(self, name: str) -> str | None:
        node = self.tree.css_first(f"[itemprop={name}]")
        if node is None:
            return None
        attrs = node.attributes
        return clean(attrs.get("content") or attrs.get("datetime")) or node_text(node)


def _read_meta(tree: LexborHTMLParser) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        value = attrs.get("content")
        if value is None:
            value = attrs.get("value")
        cleaned = clean(value)
        if cleaned is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key:
                for part in key.lower().split():
                    meta.setdefault(part, []).append(cleaned)
    return meta


def _base_url(tree: LexborHTMLParser, url: str | None) -> str | None:
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    if not href:
        return url
    try:
        return urljoin(url, href.strip()) if url else href.strip()
    except ValueError:
        return url


def read_page(tree: LexborHTMLParser, url: str | None) -> Page:
    scripts = [node.text() for node in tree.css("script[type*='ld+json']")]
    return Page(tree=tree, url=_base_url(tree, url), meta=_read_meta(tree), ld=read_jsonld(scripts))
