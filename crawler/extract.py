"""HTML metadata extraction: bytes of one page in, a ``PageMetadata`` out (pure, never raises).

Each field is taken from the first source, in this order of trust, that gives a usable value:

* title, site_name: see ``crawler.extract_title`` (the visible headline confirmed by metadata first).
* description: see ``crawler.extract_description`` (metadata descriptions, checked against each
  other, > the standfirst markup after the headline > the first paragraph of the main text).
* authors: JSON-LD ``author``/``creator`` (objects, lists, ``@id`` links) > ``meta[name=author]`` >
  ``article:author`` (names, not URLs) > Dublin Core creator > other byline metas >
  byline markup (see ``crawler.extract_byline``) > a "By Jane Doe" line in the visible text.
  A source whose only name is the site's own (``og:site_name``, publisher, host name, with or
  without a domain ending, or the first segment of "Site Mag - The magazine", before or after
  splitting "Jobs & Hire"), or an organisation by its legal form ("... GmbH", "... e.V."), is
  passed over for a later source with a person's name, and used only when no source has one.
* published_at, modified_at: see ``crawler.extract_published``.
* canonical_url: ``<link rel=canonical>`` > ``og:url`` > JSON-LD ``url`` / ``mainEntityOfPage``.
* language: ``<html lang>`` > ``http-equiv=content-language`` > ``og:locale`` > JSON-LD
  ``inLanguage`` > Dublin Core language.
* lead_image_url: see ``crawler.extract_image`` (metadata images, replaced by the article's own
  picture when that is the same image, in its largest rendition).
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

from crawler.charset import decode_for_parser
from crawler.extract_byline import markup_bylines
from crawler.extract_description import description, first_paragraph
from crawler.extract_image import lead_image
from crawler.extract_page import Page, clean, match_key, node_text, read_page
from crawler.extract_people import clean_authors
from crawler.extract_published import modified, published
from crawler.extract_text import TextHint, extract_text
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
_DOMAIN_ENDING = re.compile(r"\.[a-z]{2,4}$", re.IGNORECASE)
_SEGMENTS = re.compile(r"\s+[|\u2013\u2014/-]\s+")
_LEGAL_FORM = re.compile(r"\b(?:GmbH|e\.\s?V\.?|AG|Inc\.?|Ltd\.?|LLC|S\.A\.|SE|KG|plc)$")


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


def _names_site(name: str, sites: set[str]) -> bool:
    """Whether ``name`` is one of the site's names (or a segment of one), or an organisation by its legal form."""
    if _LEGAL_FORM.search(name):
        return True
    parts = (name, _DOMAIN_ENDING.sub("", name), *_SEGMENTS.split(name)[:1])
    return any(match_key(part) in sites for part in parts)


def _authors(page: Page, site: str | None) -> tuple[str, ...]:
    """The first source's names; a source naming only the site itself is used only when none has a person."""
    names_of_site = dict.fromkeys(name for name in (site, page.host_name, page.ld.site_name()) if name)
    sites = {match_key(part) for name in names_of_site for part in (name, *_SEGMENTS.split(name))} - {""}

    known: dict[str, bool] = {}  # a raw byline is often the cleaned name itself

    def is_site(name: str) -> bool:
        """The site's own name (or a segment of it), or an organisation by its legal form."""
        found = known.get(name)
        if found is None:
            found = known[name] = _names_site(name, sites)
        return found

    fallback: tuple[str, ...] = ()
    for raws in _author_sources(page):
        names = clean_authors(html.unescape(raw) for raw in raws)
        if any(not is_site(name) for name in names) and not all(is_site(raw) for raw in raws):
            return names
        fallback = fallback or names
    return fallback


# ---------------------------------------------------------------- urls, language, image, topics


def _canonical(page: Page) -> str | None:
    href = next((link for link in page.links.get("canonical", ()) if link), None)
    return page.absolute(href or page.first("og:url") or page.ld.url())


def _language_candidates(page: Page) -> Iterator[str | None]:
    yield page.language
    yield page.first("content-language")
    yield page.first("og:locale")
    yield page.ld.get("inLanguage")
    yield page.first("dc.language", "language")


def _language(page: Page) -> str | None:
    for candidate in _language_candidates(page):  # read one by one: the first usable one settles it
        if candidate:
            tag = candidate.strip().split(",")[0].strip().replace("_", "-")
            if _LANG.match(tag):
                return tag
    return None


def _split_keywords(values: Iterable[str]) -> list[str]:
    return [part for value in values for part in _KEYWORD_SPLIT.split(value) if part]


def _topic_sources(page: Page) -> Iterator[list[str]]:
    yield page.all("article:tag")
    yield _split_keywords(page.all("keywords", "news_keywords"))
    yield page.ld.keywords()
    yield [text for text in (node_text(a) for a in page.tag_links) if text]


def _topics(page: Page) -> tuple[str, ...]:
    for source in _topic_sources(page):  # read one by one: the first giving a topic settles it
        topics: list[str] = []
        for item in source:
            cleaned = clean(item)
            if cleaned and cleaned not in topics and len(cleaned) <= 100:
                topics.append(cleaned)
        if topics:
            return tuple(topics)
    return ()


# ---------------------------------------------------------------- entry point


def _extract(tree: LexborHTMLParser, url: str | None) -> tuple[PageMetadata, TextHint]:
    page = read_page(tree, url)
    site = site_name(page)
    headline = title(page, site)
    summary = description(page, site)
    published_at = published(page, headline)  # before the authors: a text byline strips the scripts it reads
    metadata = PageMetadata(
        title=headline,
        description=summary,
        authors=_authors(page, site),
        published_at=published_at,
        modified_at=modified(page),
        canonical_url=_canonical(page),
        site_name=site,
        language=_language(page),
        lead_image_url=lead_image(page),
        topics=_topics(page),
    )
    bodies = page.article_bodies if page.unchanged else None  # (reading the visible text strips elements)
    return metadata, TextHint(page.ld.get("articleBody"), bodies)


def extract_metadata(body: bytes, *, url: str | None = None, content_type: str | None = None) -> PageMetadata:
    """Extract the metadata and main text of one HTML page. Pure; returns empty fields on bad input."""
    try:
        text, markup = decode_for_parser(body or b"", content_type)
        if not text or text.isspace():  # (what ``not text.strip()`` tells, without copying the page)
            return PageMetadata()
        tree = LexborHTMLParser(markup)
        metadata, hint = _extract(tree, url)
    except Exception:  # a malformed page must never take the crawl down
        return PageMetadata()
    try:
        main_text = extract_text(tree, title=metadata.title, hint=hint)
    except Exception:  # keep the metadata even if the text step trips on something
        return metadata
    summary = metadata.description or first_paragraph(main_text)
    return dataclasses.replace(metadata, text=main_text, description=summary)
