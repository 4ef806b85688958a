"""JSON-LD reading for the metadata extractor: lenient parsing, ``@graph`` flattening, ``@id`` links.

``read_jsonld`` turns the page's ``<script type="application/ld+json">`` texts into a ``JsonLd``
view that picks the article node and exposes its fields as plain strings. Never raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "liveblogposting",
        "techarticle",
        "scholarlyarticle",
        "report",
        "socialmediaposting",
        "discussionforumposting",
        "askpublicnewsarticle",
        "satiricalarticle",
        "advertisertcontentarticle",
        "medicalscholarlyarticle",
        "review",
        "recipe",
        "videoobject",
        "podcastepisode",
        "creativework",
    }
)
PAGE_TYPES = frozenset({"webpage", "itempage", "collectionpage", "aboutpage", "profilepage", "medicalwebpage"})
_MAX_DEPTH = 8
_MAX_NODES = 2000
_MAX_SCRIPT = 2_000_000
_CONTAINERS = (dict, list)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>|;)\s*$")


# ``json.loads(text, strict=False)`` builds a decoder on every call; this one does the same decoding (a
# text starting with a BOM, which ``loads`` refuses up front, is no JSON value to it either)
_DECODER = json.JSONDecoder(strict=False)


def _loads(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError):
        pass
    cleaned = _TRAILING_COMMA.sub(r"\1", _WRAPPERS.sub("", text))
    try:
        return _DECODER.decode(cleaned)
    except (ValueError, RecursionError):
        return None


def _types(node: dict[str, Any]) -> frozenset[str]:
    raw = node.get("@type")
    if isinstance(raw, str):
        return frozenset((raw.rsplit("/", 1)[-1].lower(),))
    values = raw if isinstance(raw, list) else [raw]
    return frozenset(v.rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str))


def _walk(roots: Iterable[Any]) -> list[dict[str, Any]]:
    """Every dict reachable from ``roots``, in document order (depth- and count-limited)."""
    found: list[dict[str, Any]] = []

    def visit(value: dict[str, Any] | list[Any], depth: int) -> None:
        if isinstance(value, dict):
            found.append(value)
        if depth < _MAX_DEPTH:  # deeper values are never walked
            for child in value.values() if isinstance(value, dict) else value:
                if isinstance(child, _CONTAINERS) and len(found) < _MAX_NODES:
                    visit(child, depth + 1)

    for root in roots:
        if isinstance(root, _CONTAINERS) and len(found) < _MAX_NODES:
            visit(root, 0)
    return found


def text_of(value: Any) -> str | None:
    """A plain string from a JSON-LD value: a string, ``{"@value"|"name": ...}`` or the first of a list."""
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        return text_of(value.get("@value") or value.get("name"))
    if isinstance(value, list):
        for item in value:
            found = text_of(item)
            if found:
                return found
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class JsonLd:
    """The JSON-LD nodes of one page and the node chosen as the article."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    article: dict[str, Any] = field(default_factory=dict)
    page: dict[str, Any] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """Follow a ``{"@id": ...}`` reference to its full node in the page, when there is one."""
        if isinstance(value, dict) and set(value) <= {"@id", "@type"}:
            ref = value.get("@id")
            if isinstance(ref, str):
                return self.by_id.get(ref, value)
        return value

    def get(self, key: str) -> str | None:
        """A field of the article node, else of the web page node."""
        for node in (self.article, self.page):
            found = text_of(self.resolve(node.get(key)))
            if found:
                return found
        return None

    def authors(self) -> list[str]:
        names: list[str] = []
        for key in ("author", "creator"):
            for item in _as_list(self.article.get(key)):
                name = self._person_name(self.resolve(item))
                if name:
                    names.append(name)
            if names:
                break
        return names

    def _person_name(self, item: Any) -> str | None:
        if isinstance(item, str):
            return item.strip() or None
        if not isinstance(item, dict):
            return None
        name = text_of(item.get("name"))
        if name:
            return name
        given, family = text_of(item.get("givenName")), text_of(item.get("familyName"))
        return " ".join(part for part in (given, family) if part) or None

    def images(self) -> list[str]:
        found: list[str] = []
        for node in (self.article, self.page):
            for item in _as_list(self.resolve(node.get("image") or node.get("thumbnailUrl"))):
                resolved = self.resolve(item)
                url = resolved if isinstance(resolved, str) else None
                if isinstance(resolved, dict):
                    url = text_of(resolved.get("url") or resolved.get("contentUrl") or resolved.get("@id"))
                if url:
                    found.append(url.strip())
        return found

    def url(self) -> str | None:
        for value in (self.article.get("url"), self.article.get("mainEntityOfPage"), self.page.get("url")):
            resolved = self.resolve(value)
            if isinstance(resolved, dict):
                resolved = resolved.get("@id") or resolved.get("url")
            if isinstance(resolved, str) and resolved.strip().startswith(("http://", "https://", "/")):
                return resolved.strip()
        return None

    def publisher_name(self) -> str | None:
        """The name of the article's ``publisher`` (an organisation object or ``@id`` link)."""
        publisher = self.resolve(self.article.get("publisher"))
        if isinstance(publisher, list) and publisher:
            publisher = self.resolve(publisher[0])
        if isinstance(publisher, dict):
            return text_of(publisher.get("name"))
        return None

    def site_name(self) -> str | None:
        name = self.publisher_name()
        if name:
            return name
        return self.website_name()

    def website_name(self) -> str | None:
        """The name of the page's ``WebSite`` node."""
        for node in self.nodes:
            if "website" in _types(node):
                name = text_of(node.get("name"))
                if name:
                    return name
        return None

    def keywords(self) -> list[str]:
        raw = self.article.get("keywords")
        if isinstance(raw, str):
            separator = "," if "," in raw else ";"
            return [part.strip() for part in raw.split(separator) if part.strip()]
        return [text for text in (text_of(item) for item in _as_list(raw)) if text]


def _article_rank(node: dict[str, Any], rank: int) -> int:
    """``rank`` (4 for an article type, else 0) raised by the article fields ``node`` has."""
    if node.get("headline"):
        rank += 2
    if node.get("datePublished"):
        rank += 1
    if node.get("articleBody"):
        rank += 1
    return rank


def read_jsonld(scripts: Iterable[str]) -> JsonLd:
    """Parse every JSON-LD script leniently (bad scripts are skipped) and pick the article node."""
    roots = []
    for text in scripts:
        if len(text) <= _MAX_SCRIPT:
            parsed = _loads(text)
            if parsed is not None:
                roots.append(parsed)
    view = JsonLd(nodes=[node for node in _walk(roots) if "@type" in node])
    by_id = view.by_id
    best = 3  # an article node ranks 4 or more; the first of the best rank is taken
    page: dict[str, Any] | None = None
    for node in view.nodes:
        ref = node.get("@id")
        if isinstance(ref, str) and ref not in by_id:
            by_id[ref] = node
        types = _types(node)
        if page is None and types & PAGE_TYPES:
            page = node
        rank = _article_rank(node, 4 if types & ARTICLE_TYPES else 0)
        if rank > best:
            best, view.article = rank, node
    view.page = page if page is not None else {}
    if not view.article and view.page.get("headline"):
        view.article = view.page
    return view
