"""HTML metadata extraction: bytes of one page in, a ``PageMetadata`` out (pure, never raises).

Each field is taken from the first source, in this order of trust, that gives a usable value:

* title: JSON-LD ``headline`` > ``og:title`` > ``twitter:title`` > ``itemprop=headline`` >
  Dublin Core title > the page's ``<h1>`` > ``<title>`` (each with a " | Site" suffix removed).
* description: ``meta[name=description]`` > ``og:description`` > ``twitter:description`` >
  JSON-LD ``description`` > Dublin Core description > ``itemprop=description``.
* authors: JSON-LD ``author``/``creator`` (objects, lists, ``@id`` links) > ``meta[name=author]`` >
  ``article:author`` (names, not URLs) > Dublin Core creator > other byline metas >
  ``itemprop=author`` > ``rel=author`` links > byline markup (``.byline``, ``.author``...).
* published_at: JSON-LD ``datePublished`` > ``article:published_time`` and similar metas >
  ``itemprop=datePublished`` > Dublin Core date > ``<time pubdate>`` / the first ``<time datetime>`` >
  JSON-LD ``dateCreated`` > a written date in the byline/date markup > a date in the URL path.
* modified_at: JSON-LD ``dateModified`` > ``article:modified_time`` / ``og:updated_time`` >
  ``itemprop=dateModified`` > Dublin Core modified. Never taken from a publication source.
* canonical_url: ``<link rel=canonical>`` > ``og:url`` > JSON-LD ``url`` / ``mainEntityOfPage``.
* site_name: ``og:site_name`` > JSON-LD publisher / ``WebSite`` name > ``application-name``.
* language: ``<html lang>`` > ``http-equiv=content-language`` > ``og:locale`` > JSON-LD
  ``inLanguage`` > Dublin Core language.
* lead_image_url: ``og:image`` (``:secure_url``, ``:url``) > ``twitter:image`` > JSON-LD ``image``
  (string, object or list) > ``itemprop=image`` > ``link[rel=image_src]`` > the first article image.
* topics: ``article:tag`` > ``meta[name=keywords]`` / ``news_keywords`` > JSON-LD ``keywords`` >
  ``rel=tag`` links.
* text: see ``crawler.extract_text`` (JSON-LD ``articleBody`` is used when the markup gives little).

``<meta>`` values are read from ``content`` or, failing that, ``value``. URLs are resolved against
``<base href>`` and the page URL.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.charset import decode_html
from crawler.extract_dates import When, parse_human_date, parse_machine_date, url_date
from crawler.extract_jsonld import JsonLd, read_jsonld
from crawler.extract_people import clean_authors
from crawler.extract_text import extract_text
from crawler.models import PageMetadata

_SPACE = re.compile(r"\s+")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|·|•|»|/)\s+")
_KEYWORD_SPLIT = re.compile(r"\s*[,;]\s*")
_BYLINE = (
    "[itemprop=author] [itemprop=name], [itemprop=author], [rel=author], .byline, .by-line, "
    ".author-name, .author, [class*=byline], [class*=author-name], [class*=article-author], "
    "[class*=autor], address.author, a[href*='/author/'], a[href*='/authors/'], a[href*='/autor/'], "
    "a[href*='/autoren/']"
)
_BYLINE_TEXT = re.compile(
    r"(?m)^[ \t]*(?:By|BY|Von|VON|Autor(?:in)?:|Author:|Text:|Par|Por)[ \t]*\n?[ \t]*"
    r"([A-ZÀ-ÖØ-Þ][\w'\u2019.-]+(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'\u2019.-]+){1,3}(?:[ \t]*(?:,|and|und|&)[ \t]*"
    r"[A-ZÀ-ÖØ-Þ][\w'\u2019.-]+(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'\u2019.-]+){1,3})*)"
)
_BYLINE_SCAN = 60_000
_TEXT_DATE_SCAN = 3000
_DATE_MARKUP = (
    "[class*=date], [class*=time], [class*=publish], [class*=posted], [class*=meta], [id*=date], "
    "[class*=datum], [class*=byline]"
)
_MAX_MARKUP_CHECK = 40


@dataclass
class _Page:
    """Everything read from the page once, shared by the field resolvers."""

    tree: LexborHTMLParser
    url: str | None
    meta: dict[str, list[str]] = field(default_factory=dict)
    ld: JsonLd = field(default_factory=JsonLd)

    @functools.cached_property
    def visible_text(self) -> str:
        body = self.tree.body
        return body.text(separator="\n") if body is not None else ""

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


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = _SPACE.sub(" ", html.unescape(value)).strip()
    return cleaned or None


def _read_meta(tree: LexborHTMLParser) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        value = attrs.get("content")
        if value is None:
            value = attrs.get("value")
        cleaned = _clean(value)
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


def _read_page(tree: LexborHTMLParser, url: str | None) -> _Page:
    scripts = [node.text() for node in tree.css("script[type*='ld+json']")]
    return _Page(tree=tree, url=_base_url(tree, url), meta=_read_meta(tree), ld=read_jsonld(scripts))


def _node_text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    return _clean(node.text(separator=" "))


def _itemprop(page: _Page, name: str) -> str | None:
    node = page.tree.css_first(f"[itemprop={name}]")
    if node is None:
        return None
    attrs = node.attributes
    return _clean(attrs.get("content") or attrs.get("datetime")) or _node_text(node)


# ---------------------------------------------------------------- title, description, site


def _site_name(page: _Page) -> str | None:
    return _clean(
        page.first("og:site_name")
        or page.ld.site_name()
        or page.first("application-name", "apple-mobile-web-app-title")
    )


def _strip_site(title: str, site: str | None, host: str | None) -> str:
    """Remove a leading or trailing " | Site" segment that names the site (or its host)."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    names = [name.casefold().replace(" ", "") for name in (site, host) if name]
    for index in (-1, 0):
        segment = parts[index].casefold().replace(" ", "")
        if segment and any(segment in name or name in segment for name in names):
            kept = parts[:-1] if index == -1 else parts[1:]
            return title[title.find(kept[0]) : title.rfind(kept[-1]) + len(kept[-1])]
    return title


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    labels = [label for label in host.split(".") if label not in {"www", "m", "amp"}]
    return labels[-2] if len(labels) >= 2 else None


def _h1(page: _Page) -> str | None:
    node = page.tree.css_first("article h1") or page.tree.css_first("h1")
    text = _node_text(node)
    return text if text and len(text) <= 300 else None


def _title(page: _Page, site: str | None) -> str | None:
    headline = _clean(page.ld.get("headline"))
    if headline:
        return headline
    host = _host(page.url)
    metas = [
        _clean(value)
        for value in (page.first("og:title"), page.first("twitter:title"), _node_text(page.tree.css_first("title")))
    ]
    h1 = _h1(page)
    if h1 and any(meta and h1.casefold() in meta.casefold() for meta in metas):
        return h1
    for candidate in (metas[0], metas[1], _clean(page.first("headline", "dc.title", "dcterms.title")), h1, metas[2]):
        if candidate:
            return _strip_site(candidate, site, host)
    return None


def _description(page: _Page) -> str | None:
    return _clean(
        page.first("description", "og:description", "twitter:description")
        or page.ld.get("description")
        or page.first("dc.description", "dcterms.description")
    )


# ---------------------------------------------------------------- authors


def _markup_bylines(page: _Page) -> list[str]:
    """The first byline element that yields a name (elements inside ``<article>`` first)."""
    nodes = page.tree.css(f"article :is({_BYLINE})")[:_MAX_MARKUP_CHECK] + page.tree.css(_BYLINE)[:_MAX_MARKUP_CHECK]
    for node in nodes:
        text = _node_text(node)
        if text and len(text) <= 120 and clean_authors([text]):
            return [text]
    return []


def _text_bylines(page: _Page) -> list[str]:
    """A "By Jane Doe" / "Autor: Jane Doe" line in the visible text."""
    body = page.tree.body
    if body is None:
        return []
    match = _BYLINE_TEXT.search(page.visible_text[:_BYLINE_SCAN])
    return [match.group(1)] if match else []


def _author_sources(page: _Page) -> Iterator[list[str]]:
    yield page.ld.authors()
    yield page.all("author")
    yield [v for v in page.all("article:author") if not v.startswith(("http://", "https://", "www."))]
    yield page.all(
        "dc.creator",
        "dcterms.creator",
        "sailthru.author",
        "parsely-author",
        "byl",
        "citation_author",
        "cxenseparse:author",
    )
    yield _markup_bylines(page)
    yield _text_bylines(page)


def _authors(page: _Page) -> tuple[str, ...]:
    for raws in _author_sources(page):
        names = clean_authors(html.unescape(raw) for raw in raws)
        if names:
            return names
    return ()


# ---------------------------------------------------------------- dates


_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "published_time",
    "datepublished",
    "article:published",
    "dc.date.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "dcterms.issued",
    "dc.date.created",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "sailthru.date",
    "parsely-pub-date",
    "citation_publication_date",
    "citation_date",
    "article.published",
    "datecreated",
    "release_date",
    "created",
    "displaydate",
    "originalpublicationdate",
    "og:pubdate",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "og:modified_time",
    "article:modified",
    "datemodified",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
    "lastmod",
    "modified_time",
    "article.updated",
)


def _first_date(values: Iterable[str | None]) -> When | None:
    for value in values:
        if value:
            parsed = parse_machine_date(value)
            if parsed is not None:
                return parsed
    return None


def _time_elements(page: _Page) -> Iterator[str | None]:
    pubdate = page.tree.css_first("time[pubdate]")
    if pubdate is not None:
        yield pubdate.attributes.get("datetime") or _node_text(pubdate)
    for scope in ("article time[datetime]", "main time[datetime]", "time[datetime]"):
        node = page.tree.css_first(scope)
        if node is not None:
            yield node.attributes.get("datetime")


def _markup_date(page: _Page) -> When | None:
    for node in page.tree.css(_DATE_MARKUP)[:_MAX_MARKUP_CHECK]:
        text = node.text(separator=" ")
        if len(text) <= 200:
            parsed = parse_human_date(text)
            if parsed is not None:
                return parsed
    return None


def _text_date(page: _Page) -> When | None:
    """A written date in the visible text just after the headline (or at the top of the page)."""
    text = page.visible_text
    h1 = _h1(page)
    start = max(text.find(h1), 0) if h1 else 0
    return parse_human_date(text[start : start + _TEXT_DATE_SCAN], limit=_TEXT_DATE_SCAN)


def _published(page: _Page) -> When | None:
    found = _first_date((page.ld.get("datePublished"), *page.all(*_PUBLISHED_META)))
    found = found or _first_date((_itemprop(page, "datePublished"),))
    found = found or _first_date(_time_elements(page))
    found = found or _first_date((page.ld.get("dateCreated"),))
    return found or _markup_date(page) or url_date(page.url) or _text_date(page)


def _modified(page: _Page) -> When | None:
    return _first_date((page.ld.get("dateModified"), *page.all(*_MODIFIED_META), _itemprop(page, "dateModified")))


# ---------------------------------------------------------------- urls, language, image, topics


def _canonical(page: _Page) -> str | None:
    node = page.tree.css_first("link[rel=canonical][href]")
    href = node.attributes.get("href") if node is not None else None
    return page.absolute(href or page.first("og:url") or page.ld.url())


def _language(page: _Page) -> str | None:
    root = page.tree.css_first("html")
    candidates = (
        root.attributes.get("lang") or root.attributes.get("xml:lang") if root is not None else None,
        page.first("content-language"),
        page.first("og:locale"),
        page.ld.get("inLanguage"),
        page.first("dc.language", "language"),
    )
    for candidate in candidates:
        if candidate:
            tag = candidate.strip().split(",")[0].strip().replace("_", "-")
            if _LANG.match(tag):
                return tag
    return None


def _lead_image(page: _Page) -> str | None:
    link = page.tree.css_first("link[rel=image_src][href]")
    article_img = page.tree.css_first("article img[src]")
    candidates = (
        page.first("og:image:secure_url", "og:image:url", "og:image"),
        page.first("twitter:image", "twitter:image:src"),
        *page.ld.images(),
        page.first("image", "thumbnailurl"),
        link.attributes.get("href") if link is not None else None,
        article_img.attributes.get("src") if article_img is not None else None,
    )
    for candidate in candidates:
        absolute = page.absolute(candidate)
        if absolute:
            return absolute
    return None


def _split_keywords(values: Iterable[str]) -> list[str]:
    return [part for value in values for part in _KEYWORD_SPLIT.split(value) if part]


def _topics(page: _Page) -> tuple[str, ...]:
    sources = (
        page.all("article:tag"),
        _split_keywords(page.all("keywords", "news_keywords")),
        page.ld.keywords(),
        [text for text in (_node_text(a) for a in page.tree.css("a[rel~=tag]")) if text],
    )
    for source in sources:
        topics: list[str] = []
        for item in source:
            cleaned = _clean(item)
            if cleaned and cleaned not in topics and len(cleaned) <= 100:
                topics.append(cleaned)
        if topics:
            return tuple(topics)
    return ()


# ---------------------------------------------------------------- entry point


def _extract(tree: LexborHTMLParser, url: str | None) -> tuple[PageMetadata, str | None]:
    page = _read_page(tree, url)
    site = _site_name(page)
    metadata = PageMetadata(
        title=_title(page, site),
        description=_description(page),
        authors=_authors(page),
        published_at=_published(page),
        modified_at=_modified(page),
        canonical_url=_canonical(page),
        site_name=site,
        language=_language(page),
        lead_image_url=_lead_image(page),
        topics=_topics(page),
    )
    return metadata, page.ld.get("articleBody")


def extract_metadata(body: bytes, *, url: str | None = None, content_type: str | None = None) -> PageMetadata:
    """Extract the metadata and main text of one HTML page. Pure; returns empty fields on bad input."""
    try:
        text = decode_html(body or b"", content_type)
        if not text.strip():
            return PageMetadata()
        tree = LexborHTMLParser(text)
        metadata, hint = _extract(tree, url)
    except Exception:  # a malformed page must never take the crawl down
        return PageMetadata()
    try:
        main_text = extract_text(tree, title=metadata.title, hint=hint)
    except Exception:  # keep the metadata even if the text step trips on something
        return metadata
    return dataclasses.replace(metadata, text=main_text)
