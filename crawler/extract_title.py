"""Headline and site-name resolution for the metadata extractor.

Order of trust for the title (the article's headline, not the document ``<title>``):

1. A metadata title that the page also shows as a visible ``<h1>`` (``<article>`` headings first):
   the metadata sources are JSON-LD ``headline``, ``og:title``, ``twitter:title``,
   ``itemprop=headline``, Dublin Core title and ``<title>``, each compared after removing a
   " | Site" segment and ignoring case, spacing and punctuation. When several agree, the first in
   that order is returned (its spelling is usually cleaner than the markup's).
2. A visible ``<h1>`` of at least two words that is part of one of those titles ("Headline | Site").
3. The first metadata title in the order above, with its site segment removed; when its leading
   segments (at least two words) are shown as an ``<h2>`` / ``<h3>`` of the page ("Post | Blog name"
   with the post title as ``<h2>``), those segments alone.
4. The first ``<h1>``.

A heading or title that only names the site (blog themes put the blog name in ``<h1>``) is never
used. A site segment is a leading or trailing part, split on "|", "-", "::", "»", dashes
and the like, that names the site (``og:site_name``, JSON-LD publisher / ``WebSite`` name,
``application-name``, or the page's host name) or that another metadata title leaves out
("Headline | Section | Site" next to ``og:title`` "Headline"); a middle segment naming the site
drops the tagline after it too ("Headline | Site | Tagline"), and a dangling separator is removed.

Site name: JSON-LD ``publisher`` name (structured data about this article) > ``og:site_name`` >
JSON-LD ``WebSite`` name > ``application-name`` / ``apple-mobile-web-app-title``. When the
publisher name and ``og:site_name`` are the same name but one carries a domain ending
("Libération.fr" / "Libération"), the bare name is taken.
"""

from __future__ import annotations

import re

from crawler.extract_page import Page, clean, first_inside, match_key, node_text

_SEPARATORS = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|·|•|»|/|~)\s+|\s*[|ㅣ]\s*")
_TRAILING_SEPARATOR = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|·|•)\s*$")
_MAX_HEADING = 300
_FEW = 8  # up to this many <h1> are filtered in Python (no second query)
_MAX_SITE_WORDS = 6
_LOWER_SCAN = 20  # <h2>/<h3> looked at for a title's leading segments


_DOMAIN_SUFFIX = re.compile(r"\.[a-z]{2,4}$")


def site_name(page: Page) -> str | None:
    """The site's name by the order of trust in the module docstring."""
    publisher, og_name = clean(page.ld.publisher_name()), clean(page.first("og:site_name"))
    if publisher and og_name:
        # the same name with and without a domain ending ("Libération.fr", "Libération"): the bare one
        if _DOMAIN_SUFFIX.sub("", publisher) == og_name:
            return og_name
        return publisher
    return (
        publisher
        or og_name
        or clean(page.ld.website_name())
        or clean(page.first("application-name", "apple-mobile-web-app-title"))
    )


def _names(page: Page, site: str | None) -> set[str]:
    raw = (site, page.ld.site_name(), page.first("application-name", "apple-mobile-web-app-title"), page.host_name)
    return {key for key in (match_key(name) for name in raw) if len(key) >= 2}


def _names_site(segment: str, names: set[str]) -> bool:
    key = match_key(segment)
    if not key or len(segment.split()) > _MAX_SITE_WORDS:
        return False
    # a name inside the segment counts only when it is most of it ("Libération.fr"), not one word of a headline
    return any(
        key == name
        or (len(name) >= 4 and name in key and len(name) >= 0.6 * len(key))
        or (len(key) >= 4 and key in name)
        for name in names
    )


def _strip_site(title: str, names: set[str]) -> str:
    """Remove leading or trailing separator segments that name the site (and a tagline after it)."""
    title = _TRAILING_SEPARATOR.sub("", title)
    parts = [part for part in _SEPARATORS.split(title) if part.strip()]
    for index in range(1, len(parts) - 1):  # "Headline | Site | Tagline"
        if _names_site(parts[index], names):
            title = title[: title.find(parts[index - 1]) + len(parts[index - 1])].strip()
            break
    for _ in range(2):
        parts = [part for part in _SEPARATORS.split(title) if part.strip()]
        if len(parts) < 2:
            return title
        if _names_site(parts[-1], names):
            kept = parts[:-1]
        elif _names_site(parts[0], names):
            kept = parts[1:]
        else:
            return title
        title = title[title.find(kept[0]) : title.rfind(kept[-1]) + len(kept[-1])].strip()
    return title


def _drop_extra_segments(titles: list[str]) -> list[str]:
    """A "Headline | Section" title becomes "Headline" when another source gives just "Headline"."""
    keys = {match_key(title) for title in titles}
    out = []
    for title in titles:
        parts = _SEPARATORS.split(title)
        for end in range(len(parts) - 1, 0, -1):
            if match_key(" ".join(parts[:end])) in keys:
                title = title[: title.find(parts[end - 1]) + len(parts[end - 1])].strip()
                break
        out.append(title)
    return out


def _headings(page: Page, names: set[str]) -> list[str]:
    every = page.all_headings
    in_article = first_inside(every, "article", 3) if len(every) <= _FEW else page.tree.css("article h1")[:3]
    nodes = in_article + page.headings
    out: list[str] = []
    for node in nodes:
        text = node_text(node)
        if text and len(text) <= _MAX_HEADING and text not in out and not _names_site(text, names):
            out.append(text)
    return out


def title(page: Page, site: str | None) -> str | None:
    """The article's headline; see the module docstring for the order of trust."""
    names = _names(page, site)
    raw = (
        page.ld.get("headline"),
        page.first("og:title"),
        page.first("twitter:title"),
        page.first("headline"),
        page.first("dc.title", "dcterms.title"),
        node_text(page.tree.css_first("title")),
    )
    metas = [_strip_site(value, names) for value in (clean(item) for item in raw) if value]
    metas = [value for value in _drop_extra_segments(metas) if not _names_site(value, names)]
    headings = _headings(page, names)
    for heading in headings:
        key = match_key(heading)
        for meta in metas:
            if key and match_key(meta) == key:
                return meta
    for heading in headings:
        key = match_key(heading)
        if len(heading.split()) >= 2 and any(key in match_key(value) for value in raw if value):
            return heading
    if metas:
        return _shown_segment(page, metas[0]) or metas[0]
    return headings[0] if headings else None


def _shown_segment(page: Page, value: str) -> str | None:
    """The leading segments of a "Headline | Blog" title when a lower heading (``<h2>``, ``<h3>``) shows them."""
    parts = _SEPARATORS.split(value)
    if len(parts) < 2:
        return None
    prefixes: dict[str, str] = {}
    for end in range(len(parts) - 1, 0, -1):
        head = value[: value.find(parts[end - 1]) + len(parts[end - 1])].strip()
        prefixes[match_key(head)] = head
    for node in page.tree.css("h2, h3")[:_LOWER_SCAN]:
        found = prefixes.get(match_key(node_text(node)))
        if found and len(found.split()) >= 2:
            return found
    return None
