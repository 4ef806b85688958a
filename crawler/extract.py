"""HTML metadata extraction: bytes of one page in, a ``PageMetadata`` out (pure, never raises).

Each field is taken from the first source, in this order of trust, that gives a usable value:

* title, site_name: see ``crawler.extract_title`` (the visible headline confirmed by metadata first).
* description: ``og:description`` (written for the shared article) > ``meta[name=description]`` >
  ``twitter:description`` > JSON-LD ``description`` > Dublin Core description > ``itemprop=description``.
* authors: JSON-LD ``author``/``creator`` (objects, lists, ``@id`` links) > ``meta[name=author]`` >
  ``article:author`` (names, not URLs) > Dublin Core creator > other byline metas >
  byline markup (see ``crawler.extract_byline``) > a "By Jane Doe" line in the visible text.
  A source whose only name is the site's own (``og:site_name``, publisher, host name) is passed
  over for a later source with a person's name, and used only when no source has one.
* published_at, modified_at: see ``crawler.extract_published``.
* canonical_url: ``<link rel=canonical>`` > ``og:url`` > JSON-LD ``url`` / ``mainEntityOfPage``.
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
import html
import re
from collections.abc import Iterable, Iterator

from selectolax.lexbor import LexborHTMLParser

from crawler.charset import decode_html
from crawler.extract_byline import markup_bylines
from crawler.extract_page import Page, clean, match_key, node_text, read_page
from crawler.extract_people import clean_authors
from crawler.extract_published import modified, published
from crawler.extract_text import extract_text
from crawler.extract_title import site_name, title
from crawler.models import PageMetadata

_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_KEYWORD_SPLIT = re.compile(r"\s*[,;]\s*")
_BYLINE_TEXT = re.compile(
    r"(?m)^[ \t]*(?:By|BY|Von|VON|Autor(?:in)?:|Author:|Text:|Par|Por)[ \t]*\n?[ \t]*"
    r"([A-ZÀ-ÖØ-Þ][\w'\u2019.-]+(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'\u2019.-]+){1,3}(?:[ \t]*(?:,|and|und|&)[ \t]*"
    r"[A-ZÀ-ÖØ-Þ][\w'\u2019.-]+(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'\u2019.-]+){1,3})*)"
)
_BYLINE_SCAN = 60_000


# ---------------------------------------------------------------- description


def _description(page: Page) -> str | None:
    return clean(
        page.first("og:description", "description", "twitter:description")
        or page.ld.get("description")
        or page.first("dc.description", "dcterms.description")
    )


# ---------------------------------------------------------------- authors


def _text_bylines(page: Page) -> list[str]:
    """A "By Jane Doe" / "Autor: Jane Doe" line in the visible text."""
    body = page.tree.body
    if body is None:
        return []
    match = _BYLINE_TEXT.search(page.visible_text[:_BYLINE_SCAN])
    return [match.group(1)] if match else []


def _author_sources(page: Page) -> Iterator[list[str]]:
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
    yield markup_bylines(page.tree)
    yield _text_bylines(page)


def _authors(page: Page, site: str | None) -> tuple[str, ...]:
    """The first source's names; a source naming only the site itself is used only when none has a person."""
    sites = {match_key(name) for name in (site, page.host_name, page.ld.site_name()) if name}
    fallback: tuple[str, ...] = ()
    for raws in _author_sources(page):
        names = clean_authors(html.unescape(raw) for raw in raws)
        if any(match_key(name) not in sites for name in names):
            return names
        fallback = fallback or names
    return fallback


# ---------------------------------------------------------------- urls, language, image, topics


def _canonical(page: Page) -> str | None:
    node = page.tree.css_first("link[rel=canonical][href]")
    href = node.attributes.get("href") if node is not None else None
    return page.absolute(href or page.first("og:url") or page.ld.url())


def _language(page: Page) -> str | None:
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


def _lead_image(page: Page) -> str | None:
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


def _topics(page: Page) -> tuple[str, ...]:
    sources = (
        page.all("article:tag"),
        _split_keywords(page.all("keywords", "news_keywords")),
        page.ld.keywords(),
        [text for text in (node_text(a) for a in page.tree.css("a[rel~=tag]")) if text],
    )
    for source in sources:
        topics: list[str] = []
        for item in source:
            cleaned = clean(item)
            if cleaned and cleaned not in topics and len(cleaned) <= 100:
                topics.append(cleaned)
        if topics:
            return tuple(topics)
    return ()


# ---------------------------------------------------------------- entry point


def _extract(tree: LexborHTMLParser, url: str | None) -> tuple[PageMetadata, str | None]:
    page = read_page(tree, url)
    site = site_name(page)
    headline = title(page, site)
    metadata = PageMetadata(
        title=headline,
        description=_description(page),
        authors=_authors(page, site),
        published_at=published(page, headline),
        modified_at=modified(page),
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
