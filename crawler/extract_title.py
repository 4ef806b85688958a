"""Headline and site-name resolution for the metadata extractor.

Order of trust for the title (the article's headline, not the document ``<title>``):

1. A metadata title that the page also shows as a visible ``<h1>`` (``<article>`` headings first):
   the metadata sources are JSON-LD ``headline``, ``og:title``, ``twitter:title``,
   ``itemprop=headline``, Dublin Core title and ``<title>``, each compared after removing a
   " | Site" segment and ignoring case, spacing and punctuation. When several agree, the first in
   that order is returned (its spelling is usually cleaner than the markup's). An ``<h1>`` that opens
   with a kicker element ("<span>Kicker</span> Headline") or closes with a date line is compared by
   its headline alone first; when only the whole heading matches, the metadata title is cut to its
   trailing segments if they are that headline ("Kicker - Headline" gives "Headline"), and kept whole
   when the kicker is part of its wording ("Kicker: Headline").
2. A visible ``<h1>`` that is part of one of those titles ("Headline | Site"): of at least two words,
   or a whole leading separator segment of the title.
3. The leading or trailing segments of the first metadata title that a lower heading (``<h2>`` /
   ``<h3>``) shows ("Post | Blog name" with the post title as ``<h2>``).
4. When that first metadata title is written one way only (a single source, or copies of one string,
   so nothing confirms its wording): the page's only ``<h1>``, if it shares a word with it (another
   wording of the same headline, as the reader sees it); with no ``<h1>`` at all, the first ``<h2>``
   on the same condition.
5. The first metadata title in the order above, with its site segment removed.
6. The first ``<h1>`` (its headline without a kicker).
7. When every candidate was dropped as naming the site, the first ``<h1>`` or metadata title that is
   not the site name itself.

Hidden ``<h1>`` (screen-reader copies) are not headlines, and an ``<h1>`` that is only a link to the
home page (a blog theme's site name) names the site. A heading or title that only names the site is
never used. A site segment is a leading or trailing part, split on "|", "-", " : ", "::", "»", dashes
and the like, that names the site (``og:site_name``, JSON-LD publisher / ``WebSite`` name,
``application-name``, a home-link ``<h1>``, or the page's host name) or that another metadata title
leaves out ("Headline | Section | Site" next to ``og:title`` "Headline"); a middle segment naming the
site drops the tagline after it too ("Headline | Site | Tagline"), the site name is also removed when
written on without spaces ("Headline:Site"), and a dangling separator is removed.

Site name: JSON-LD ``publisher`` name (structured data about this article) > ``og:site_name`` >
JSON-LD ``WebSite`` name > ``application-name`` / ``apple-mobile-web-app-title``. When the
publisher name and ``og:site_name`` are the same name but one carries a domain ending
("Libération.fr" / "Libération"), the bare name is taken.
"""

from __future__ import annotations

import re

from crawler.extract_page import Page, clean, node_text
from crawler.extract_title_heading import Heading, visible_headings
from crawler.extract_title_site import (
    SiteNames,
    drop_extra_segments,
    has_separator,
    key,
    leading_segment,
    segment_runs,
)

_LOWER_SCAN = 20  # <h2>/<h3> looked at for a title's leading or trailing segments
_DOMAIN_SUFFIX = re.compile(r"\.[a-z]{2,4}$")
_WORD = re.compile(r"\w{4,}")
_PART_OF_WORD = 6  # a word this long counts as shared when it is inside a word of the other title


def site_name(page: Page) -> str | None:
    """The site's name by the order of trust in the module docstring."""
    publisher, og_name = clean(page.ld.publisher_name()), _again(page.first("og:site_name"))
    if publisher and og_name:
        # the same name with and without a domain ending ("Libération.fr", "Libération"): the bare one
        if _DOMAIN_SUFFIX.sub("", publisher) == og_name:
            return og_name
        return publisher
    return (
        publisher
        or og_name
        or clean(page.ld.website_name())
        or _again(page.first("application-name", "apple-mobile-web-app-title"))
    )


def _again(value: str | None) -> str | None:
    """``clean`` for a ``<meta>`` value, which ``read_page`` cleaned once: only entities can be left."""
    return clean(value) if value and "&" in value else value


def title(page: Page, site: str | None) -> str | None:
    """The article's headline; see the module docstring for the order of trust."""
    names = SiteNames(
        [
            name
            for name in (
                site,
                page.ld.site_name(),
                page.first("application-name", "apple-mobile-web-app-title"),
                page.host_name,
            )
            if name
        ]
    )
    headings, home = visible_headings(page, names.named_by)
    if home:
        names = SiteNames(names.names + home)
    raw = _metadata_titles(page)
    stripped: dict[str, str] = {}
    for value in raw:
        if value not in stripped:
            stripped[value] = names.strip_from(value)
    cut = drop_extra_segments([stripped[value] for value in raw])
    metas = [value for value in cut if not names.named_by(value)]
    return (
        _confirmed(headings, metas)
        or _heading_in_title(headings, raw)
        or (_unconfirmed(page, headings, metas, _spellings(raw, cut, metas[0]), names) if metas else None)
        or (headings[0].core if headings else None)
        or _fallback(page, raw, site)
    )


def _metadata_titles(page: Page) -> list[str]:
    """The metadata titles in the order of trust (JSON-LD, Open Graph, Twitter, itemprop, Dublin Core, ``<title>``)."""
    values = (
        clean(page.ld.get("headline")),
        _again(page.first("og:title")),
        _again(page.first("twitter:title")),
        _again(page.first("headline")),
        _again(page.first("dc.title", "dcterms.title")),
        node_text(page.first_title()),
    )
    return [value for value in values if value]


def _confirmed(headings: list[Heading], metas: list[str]) -> str | None:
    """Step 1: the first metadata title that a heading shows.

    A heading with a kicker is compared by its headline alone first; when only the whole heading
    matches, the metadata title is cut to its trailing segments if they are that headline
    ("Kicker - Headline"), and kept whole when the kicker is part of its wording ("Kicker: Headline").
    """
    if not metas:
        return None
    meta_keys = [key(meta) for meta in metas]
    for heading in headings:
        core_key = key(heading.core)
        if core_key in meta_keys:
            return metas[meta_keys.index(core_key)]
        if heading.core != heading.text:
            text_key = key(heading.text)
            if text_key in meta_keys:
                meta = metas[meta_keys.index(text_key)]
                return segment_runs(meta).get(core_key, meta)
    return None


def _heading_in_title(headings: list[Heading], raw: list[str]) -> str | None:
    """Step 2: a heading that is part of a metadata title ("Headline | Site"): of two words or more,
    or a whole leading segment of the title."""
    raw_keys = [key(value) for value in raw]
    for heading in headings:
        for text in (heading.text, heading.core) if heading.core != heading.text else (heading.text,):
            text_key = key(text)
            if not text_key or not any(text_key in value for value in raw_keys):
                continue
            if len(text.split()) >= 2 or any(key(leading_segment(value) or "") == text_key for value in raw):
                return text
    return None


def _spellings(raw: list[str], cut: list[str], meta: str) -> int:
    """How many differently written metadata titles give ``meta`` once their site segments are removed."""
    meta_key = key(meta)
    return len({value for value, short in zip(raw, cut, strict=True) if key(short) == meta_key})


def _unconfirmed(page: Page, headings: list[Heading], metas: list[str], spellings: int, names: SiteNames) -> str:
    """Steps 3 to 5: no heading confirms a metadata title (see the module docstring)."""
    meta = metas[0]
    shown = _shown_segment(page, meta)
    if shown:
        return shown
    if spellings == 1:
        only = headings[0].core if len(headings) == 1 else None
        if only and _shares_a_word(only, meta) and not _section_name(only, meta):
            return only
        if not headings:
            text = node_text(page.tree.css_first("h2"))
            if text and key(text) != key(meta) and not names.named_by(text) and _shares_a_word(text, meta):
                return text
    return meta


def _section_name(heading: str, meta: str) -> bool:
    """Whether a one-word heading opens the title as its section ("Sport" over "Sport: Club wins")."""
    return " " not in heading and meta.startswith(heading) and meta[len(heading) : len(heading) + 1] in (":", " ")


def _shares_a_word(one: str, other: str) -> bool:
    """Whether two titles have a word of four or more letters in common (ignoring case), or a long word
    of one is inside a word of the other ("Chorgeschichte", "Geschichte")."""
    words, others = set(_WORD.findall(one.casefold())), set(_WORD.findall(other.casefold()))
    if not words.isdisjoint(others):
        return True
    return any(a in b or b in a for a in words for b in others if len(a) >= _PART_OF_WORD and len(b) >= _PART_OF_WORD)


def _shown_segment(page: Page, value: str) -> str | None:
    """The leading (or trailing) segments of a "Headline | Blog" title when a lower heading (``<h2>``,
    ``<h3>``) shows them."""
    if not has_separator(value):
        return None
    runs = segment_runs(value)
    for node in page.tree.css("h2, h3")[:_LOWER_SCAN]:
        found = runs.get(key(node_text(node)))
        if found and len(found.split()) >= 2:
            return found
    return None


def _fallback(page: Page, raw: list[str], site: str | None) -> str | None:
    """Step 7: the first heading or metadata title that is not the site name itself."""
    name = key(site)
    for node in page.headings:
        text = node_text(node)
        if text and key(text) != name:
            return text
    for value in raw:
        if key(value) != name:
            return value
    return None
