"""The parsed page shared by the metadata field resolvers: meta tags, JSON-LD and small DOM helpers.

``read_page`` walks the tree once (one selector list, document order) for what the field resolvers
look up: every ``<meta>`` (``content``, or ``value`` when a page stores it there), the JSON-LD scripts,
``<base href>``, ``<link rel>``, the root's language, the ``<h1>`` and ``<time>`` elements, the first ``<title>``,
``<article>`` and ``<main>``, ``itemprop`` elements and tag links. The field modules (``extract_title``,
``extract_published``, ``extract``...) only look things up in the resulting ``Page``.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.extract_jsonld import JsonLd, read_jsonld
from crawler.extract_text_noise import ARTICLE_BODY_VALUES
from crawler.extract_text_rules import NOSCRIPT_TEXT

_SPACE = re.compile(r"\s+")
_UNCLEAN = re.compile(r"[^\S ]| {2}|[&\u00ad]")  # what ``clean`` would change besides the ends
_KEY_DROP = re.compile(r"[\W_]+")
# an absolute http(s) URL that ``urljoin`` returns as it is (nothing it would re-split or normalise:
# no params, no empty query or fragment, ASCII host and path)
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~!$'()*+,=:@%/-]*)?(?:\?[A-Za-z0-9._~!$'()*+,;=:@%/?&-]+)?\Z"
)
_PLAIN_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|\Z)")
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gv"})


def clean(value: str | None) -> str | None:
    """Entities decoded, whitespace collapsed; ``None`` for an empty result."""
    if value is None:
        return None
    # every character ``_UNCLEAN`` looks for but "&" and "  " is unprintable: C-speed checks first
    if (value.isprintable() and "  " not in value and "&" not in value) or not _UNCLEAN.search(value):
        return value.strip() or None
    cleaned = _SPACE.sub(" ", html.unescape(value)).replace("\u00ad", "").strip()
    return cleaned or None


def match_key(value: str | None) -> str:
    """A comparison key: case-folded letters and digits only ("LTE-Patent : X" == "LTE-Patent: X")."""
    if not value:
        return ""
    folded = value.casefold()
    joined = folded.replace(" ", "")
    if joined.isalnum():  # nothing but single words: what the regex would leave (``\w`` covers ``isalnum``)
        return joined
    return _KEY_DROP.sub("", folded)


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
    links: dict[str, list[str]] = field(default_factory=dict)  # rel token -> hrefs, document order
    language: str | None = None  # the root element's lang / xml:lang
    all_headings: list[LexborNode] = field(default_factory=list)  # every <h1>, document order
    article: LexborNode | None = None  # the first <article>
    main: LexborNode | None = None  # the first <main>
    itemprops: dict[str, LexborNode] = field(default_factory=dict)  # itemprop value -> first element
    tag_links: list[LexborNode] = field(default_factory=list)  # <a rel~=tag>
    times: list[LexborNode] | None = None  # every <time>, document order (``None``: the tree was not walked)
    title_element: LexborNode | None = None  # the first <title>
    # every itemprop=articleBody (or articlebody) element, document order: what the text stage's query of
    # them would find (``extract_text_noise.strip_noise``), as long as the tree is ``unchanged``
    article_bodies: list[LexborNode] = field(default_factory=list)

    @functools.cached_property
    def visible_text(self) -> str:
        """The body's text without scripts and styles (read after structured data, so they can go)."""
        self.tree.strip_tags(["script", "style", "template"])
        drop_noscript(self.tree)
        body = self.tree.body
        return body.text(separator="\n") if body is not None else ""

    @functools.cached_property
    def headings(self) -> list[LexborNode]:
        """The page's first ``<h1>`` elements (read once, shared by the title, date and description rules)."""
        return self.all_headings[:8]

    @functools.cached_property
    def host_name(self) -> str | None:
        """The registrable part of the page's host name ("example" for www.example.co.uk), if any."""
        if not self.url:
            return None
        plain = _PLAIN_HOST.match(self.url)  # what ``urlsplit`` reads as the host, without its work
        host = plain.group(1).lower() if plain else urlsplit(self.url).hostname
        labels = (host or "").split(".")[:-1]  # without the top-level domain
        if len(labels) >= 2 and labels[-1] in _SECOND_LEVEL:  # co.uk, com.au ...
            labels.pop()
        return labels[-1] if labels and labels[-1] else None

    @property
    def unchanged(self) -> bool:
        """Whether the tree is still as ``read_page`` walked it (reading ``visible_text`` strips elements)."""
        return self.times is not None and "visible_text" not in self.__dict__

    def first_title(self) -> LexborNode | None:
        """The first ``<title>`` element (the document's title, unless an SVG one comes first)."""
        return self.title_element if self.unchanged else self.tree.css_first("title")

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
        if _PLAIN_ABSOLUTE.match(link):  # what ``urljoin`` would give back unchanged, whatever the base
            return link
        try:
            return urljoin(self.url, link) if self.url else link
        except ValueError:
            return link

    def itemprop(self, name: str) -> str | None:
        node = self.itemprops.get(name)
        if node is None:
            return None
        attrs = node.attributes
        return clean(attrs.get("content") or attrs.get("datetime")) or node_text(node)


_WALKED = "meta, script, base[href], link[rel][href], html, h1, article, main, [itemprop], a[rel], time, title"


def drop_noscript(tree: LexborHTMLParser) -> None:
    """Remove ``<noscript>`` notices and pixels, but unwrap one holding content.

    The parser reads ``<noscript>`` as markup, so an unclosed element inside one swallows the rest of
    the page, and pages rendered by scripts keep their article copy in one: neither may be thrown away.
    """
    for node in tree.css("noscript"):
        if len(node.text(deep=True)) >= NOSCRIPT_TEXT:
            node.unwrap()
        else:
            node.decompose()


_META_KEYS = ("property", "name", "itemprop", "http-equiv")


def _add_meta(meta: dict[str, list[str]], attrs: dict[str, str | None]) -> None:
    value = attrs.get("content")
    if value is None:
        value = attrs.get("value")
        if value is None:
            return
    # ``clean``, its first test inlined: most values are clean
    cleaned = value.strip() if value.isprintable() and "  " not in value and "&" not in value else clean(value)
    if not cleaned:
        return
    for attr in _META_KEYS:
        key = attrs.get(attr)
        if key:
            for part in key.lower().split():
                values = meta.get(part)
                if values is None:
                    meta[part] = [cleaned]
                else:
                    values.append(cleaned)


def _based(url: str | None, base: str) -> str | None:
    """The page URL that relative links resolve against, given ``<base href>``."""
    try:
        return urljoin(url, base) if url else base
    except ValueError:
        return url


def _note_first(page: Page, node: LexborNode, tag: str) -> None:
    """Keep the first ``<article>``, ``<main>`` and ``<title>``."""
    if tag == "article":
        page.article = page.article or node
    elif tag == "main":
        page.main = page.main or node
    elif page.title_element is None:
        page.title_element = node


def _note(page: Page, node: LexborNode, tag: str, attrs: dict[str, str | None]) -> None:
    """Record one walked element that is not a ``<meta>``, ``<script>`` or ``<base>``."""
    if tag == "link":
        href = (attrs.get("href") or "").strip()
        for rel in (attrs.get("rel") or "").lower().split():
            page.links.setdefault(rel, []).append(href)
    elif tag == "html":
        if page.language is None:
            page.language = attrs.get("lang") or attrs.get("xml:lang")
    elif tag == "h1":
        page.all_headings.append(node)
    elif tag == "time":
        if page.times is not None:
            page.times.append(node)
    elif tag in ("article", "main", "title"):
        _note_first(page, node, tag)
    elif tag == "a" and "tag" in (attrs.get("rel") or "").lower().split():
        page.tag_links.append(node)


def read_page(tree: LexborHTMLParser, url: str | None) -> Page:
    page = Page(tree=tree, url=url, times=[])
    scripts: list[str] = []
    base: str | None = None
    seen: set[int] = set()
    meta, itemprops = page.meta, page.itemprops
    for node in tree.css(_WALKED):
        node_id = node.mem_id
        if node_id in seen:  # a node matching two of the selectors comes back once for each
            continue
        seen.add(node_id)
        tag = node.tag or ""
        attrs = node.attributes
        if tag == "meta":
            _add_meta(meta, attrs)
        elif tag == "script":
            if "ld+json" in (attrs.get("type") or ""):
                scripts.append(node.text())
            if attrs.get("itemprop") in ARTICLE_BODY_VALUES:  # (no ``itemprop`` source of the metadata)
                page.article_bodies.append(node)
            continue
        elif tag == "base":
            base = base or (attrs.get("href") or "").strip() or None
        else:
            _note(page, node, tag, attrs)
        prop = attrs.get("itemprop")
        if prop:
            if prop not in itemprops:
                itemprops[prop] = node
            if prop in ARTICLE_BODY_VALUES:
                page.article_bodies.append(node)
    if base:
        page.url = _based(url, base)
    page.ld = read_jsonld(scripts)
    return page
