"""Publication and modification dates of a page, in this order of trust.

published_at:

1. Structured data: JSON-LD ``datePublished`` > ``article:published_time`` and similar metas
   (Open Graph, Dublin Core, Parse.ly, Sailthru, citation...) > ``itemprop=datePublished`` >
   ``<time pubdate>`` / the first ``<time datetime>`` (in ``<article>``, ``<main>``, then anywhere) >
   JSON-LD ``dateCreated``. Two weak sources are checked against the page. The first ``<time>``
   element, when it is all there is, gives way to the ``<time>`` element whose day is printed just
   below the headline (the headline's own). It, and a bare "date" meta (``date``, ``dc.date``,
   ``dcterms.date``: often the page's or the CMS's date), give way to the printed date when the
   date markup and the date next to the headline agree on a day more than a day away from it (it
   was a related item's, a comment's or the site's), unless that day is the modification day.
   A publication stamp set minutes after the modification stamp (the CMS stamped it anew when the
   article was saved again) gives way to an earlier ``<time>`` element whose day is printed just
   below the headline.
2. Without structured data, a date printed on the page: one labelled as such ("Datum:",
   "Published on", "Veröffentlicht am", "Publié le", "Publicado el"...) or in a sentence saying
   when the article was written ("Dieser Artikel wurde am ... geschrieben") > the day in the URL path
   (``/2019/05/12/``, or an unambiguous ``/29-10-2021``) > a date in date/byline markup
   (``class*=date``, ``time``, ``byline``...; not inside a comment, teaser or related item) > a
   signed line ("Posted by Jane Doe on ...", "Gespeichert von X am ...") > a date in the last words
   above the headline (a dateline or kicker) > the first written date just below the headline.
   "The headline" is its ``<h1>``; when no ``<h1>`` holds the headline's text (a headline set in
   an ``<h2>``/``<h3>``, a sidebar's ``<h1>``), the headline's own line in the text. Numeric dates
   may be spaced ("26 | 01 | 2022"). Two-digit years ("25.04.24") are read in date markup, after a
   label and, on a page without date markup, just next to the headline: followed by a clock time
   ("Do 25.04.24 | 14:07 Uhr") or alone on their line ("02.12.19").

A day without a time of day (structured or printed) takes the time the date markup or the text
next to the headline prints for that same day, if any.
3. Last resorts: a date after an "updated" label ("Stand:", "Aktualisiert", "Last edited"), which a
   page showing no other date prints for its only version; then a publication-like key in script data
   that is not JSON-LD (``"published_at"``, ``publishDate``, ``"createdAt"``...; never a modification
   key; see ``crawler.extract_published_script``). Script data is read only when 1. found nothing,
   and trusted only when 2. found nothing either: where the page gives another date, the one in its
   scripts is more often wrong (a related item's, an embed's or the site's). Then the first date-time
   web component (``<relative-time datetime>``, ``<local-time>``, ``<time-ago>``). Last of all, a whole
   date (a day, not a year) in a copyright line ("Copyright © 19.12.2019").

The page's own UTC offset is kept. A structured timestamp written in UTC is turned into the page's
local time when the page also gives the same instant as local wall-clock time; the offset is the
difference between the two. Looked at, cheapest first: the metas and ``<time datetime>`` values
(an offset, or a naive timestamp); the text of the ``<time>`` element that carries the timestamp
itself, which settles it (a local clock time, or the day it prints); the other ``<time>`` texts
and the dates just above and below the headline. When no local time is found and the first date
below the headline (else the URL's day) is the day before or after the UTC timestamp's day, within
what a time zone can shift, that day is returned instead, as a ``date``: the labels a reader sees
are in local time. Only these bounded places are read, never the whole page text.

modified_at: JSON-LD ``dateModified`` > ``article:modified_time`` / ``og:updated_time`` and similar >
``itemprop=dateModified`` (a machine date in US order, "06/13/2019", is read when it cannot be
day-first). A publication source is never used for it, nor a modification source for published_at;
a printed date replaces a weak structured one only when it is not the modification day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from crawler.extract_dates import When, parse_machine_date, url_date
from crawler.extract_page import Page, first_inside
from crawler.extract_published_local import localise
from crawler.extract_published_printed import (
    copyright_date,
    date_above,
    labelled_date,
    machine_date,
    markup_date,
    printed_near_headline,
    sentence_date,
    signed_date,
    text_date,
    time_nodes,
    updated_date,
)
from crawler.extract_published_script import script_published, script_texts

PUBLISHED_META = (
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
MODIFIED_META = (
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
GENERIC_META = frozenset(("date", "dc.date", "dcterms.date"))  # a page's date, not always its publication's
_FEW_TIMES = 8  # up to this many <time> elements are filtered in Python (one query, not four)


def first_date(page: Page, values: Iterable[str | None]) -> When | None:
    for value in values:
        if value:
            parsed = machine_date(page, value)
            if parsed is not None:
                return parsed
    return None


def _time_elements(page: Page) -> Iterator[str | None]:
    times = time_nodes(page)
    if len(times) > _FEW_TIMES:  # many: let the selector engine do the filtering
        yield from _time_queries(page)
        return
    pubdate = next((node for node in times if "pubdate" in node.attributes), None)
    if pubdate is not None:
        yield pubdate.attributes.get("datetime") or pubdate.text()
    dated = [node for node in times if "datetime" in node.attributes]
    for scope in ("article", "main", None):
        found = first_inside(dated, scope, 1) if scope else dated[:1]
        if found:
            yield found[0].attributes.get("datetime")


def _time_queries(page: Page) -> Iterator[str | None]:
    """``_time_elements`` by CSS queries (a page with many ``<time>`` elements)."""
    pubdate = page.tree.css_first("time[pubdate]")
    if pubdate is not None:
        yield pubdate.attributes.get("datetime") or pubdate.text()
    for scope in ("article time[datetime]", "main time[datetime]", "time[datetime]"):
        node = page.tree.css_first(scope)
        if node is not None:
            yield node.attributes.get("datetime")


def _meta_date(page: Page) -> tuple[When, str] | None:
    """The first publication meta that parses, and its key."""
    meta = page.meta
    for key in PUBLISHED_META:
        for value in meta.get(key, ()):
            parsed = machine_date(page, value) if value else None
            if parsed is not None:
                return parsed, key
    return None


def _structured(page: Page) -> tuple[When, str] | None:
    """The structured publication date, and how weak its source is: ``"time"`` when only a
    ``<time>`` element gave it, ``"generic"`` for a bare "date" meta, else ``""``."""
    found = first_date(page, (page.ld.get("datePublished"),))
    if found is not None:
        return found, ""
    in_meta = _meta_date(page)
    if in_meta is not None:
        return in_meta[0], "generic" if in_meta[1] in GENERIC_META else ""
    found = first_date(page, (page.itemprop("datePublished"),))
    if found is None:
        found = first_date(page, _time_elements(page))
        if found is not None:
            return found, "time"
    found = found or first_date(page, (page.ld.get("dateCreated"),))
    return (found, "") if found is not None else None


_CUSTOM_TIME_ELEMENTS = "relative-time[datetime], local-time[datetime], time-ago[datetime]"


def _custom_time_element(page: Page) -> When | None:
    """The first date-time web component (``<relative-time datetime=...>`` and its kin), which
    stands in for ``<time>`` where a page renders "3 days ago" by script: a last resort, read only
    when the page gives no other date."""
    node = page.tree.css_first(_CUSTOM_TIME_ELEMENTS)
    value = node.attributes.get("datetime") if node is not None else None
    return parse_machine_date(value) if value else None


def _day(value: When) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _far_apart(first: When, second: When) -> bool:
    """Whether two dates are more than a day apart (a time-zone shift cannot explain them)."""
    return abs(_day(first) - _day(second)) > dt.timedelta(days=1)


def _printed_instead(page: Page, headline: str | None, found: When, kind: str) -> When | None:
    """The printed date, when a weak structured date (a lone ``<time>`` element, a bare "date"
    meta) is more than a day away (a time-zone shift cannot explain it: it was a related item's,
    a comment's or the site's) from the day the page prints both in its date markup and next to
    its headline. A bare "date" meta holding only a day gives way already a day away: a day
    without a time may have been taken in another time zone, and, as for a UTC stamp, the day a
    reader sees is the page's. Never the page's modification day: a modified date is not a
    publication date.
    """
    markup = markup_date(page)  # one CSS query: the visible text is read only when it is needed
    day_only = kind == "generic" and not isinstance(found, dt.datetime)
    if markup is None or _day(markup) == _day(found) or not (day_only or _far_apart(markup, found)):
        return None
    near = printed_near_headline(page, headline)
    if near is None or _day(markup) != _day(near):
        return None
    changed = modified(page)
    return markup if changed is None or _day(changed) != _day(markup) else None


def _time_below_headline(page: Page, headline: str | None, found: When) -> When | None:
    """The ``<time>`` element whose day is the one printed just below the headline, when the first
    ``<time>`` element (``found``) names another day: the page's own date is the one next to it."""
    others = []  # first: the cheap datetime attributes; the visible text only when they differ
    for node in time_nodes(page)[:_FEW_TIMES]:
        value = node.attributes.get("datetime")
        parsed = machine_date(page, value) if value else None
        if parsed is not None and _day(parsed) != _day(found):
            others.append(parsed)
    if not others:
        return None
    below = text_date(page, headline)
    if below is None:
        return None
    return next((other for other in others if _day(other) == _day(below)), None)


_RESAVED = dt.timedelta(minutes=10)


def _earlier_time_below_headline(page: Page, headline: str | None, found: dt.datetime) -> When | None:
    """An earlier ``<time>`` element whose day is printed just below the headline, when the
    structured publication stamp comes minutes after the modification stamp (the CMS stamped it
    anew when the article was saved again, which a first publication cannot do): the page's own
    date is the one next to its headline."""
    changed = modified(page)
    if not isinstance(changed, dt.datetime) or (changed.tzinfo is None) != (found.tzinfo is None):
        return None
    if not dt.timedelta(0) < found - changed <= _RESAVED:
        return None
    earlier = _time_below_headline(page, headline, found)
    return earlier if earlier is not None and _far_apart(earlier, found) and _day(earlier) < found.date() else None


def _with_printed_time(page: Page, headline: str | None, day: dt.date) -> When:
    """A structured day with the time of day the page prints for that same day, if it prints one."""
    for printed in (markup_date(page), printed_near_headline(page, headline)):
        if isinstance(printed, dt.datetime) and printed.date() == day:
            return printed
    return day


def published(page: Page, headline: str | None = None) -> When | None:
    """The publication date; see the module docstring for the order of trust."""
    found = _structured(page)
    if found is not None:
        stamp, kind = found
        if kind == "time":
            stamp = _time_below_headline(page, headline, stamp) or stamp
        if kind:
            stamp = _printed_instead(page, headline, stamp, kind) or stamp
        elif isinstance(stamp, dt.datetime):
            stamp = _earlier_time_below_headline(page, headline, stamp) or stamp
        if not isinstance(stamp, dt.datetime):
            return _with_printed_time(page, headline, stamp)
        return localise(stamp, page, headline, page.all(*PUBLISHED_META))
    scripts = script_texts(page)  # now: the visible text that the printed dates read strips the scripts
    printed = (
        labelled_date(page)
        or sentence_date(page)
        or url_date(page.url)
        or markup_date(page)
        or signed_date(page)
        or date_above(page, headline)
        or text_date(page, headline)
        or updated_date(page)
    )
    if printed is None:
        in_script = script_published(scripts) or _custom_time_element(page)
        return localise(in_script, page, headline, ()) if in_script is not None else copyright_date(page)
    if isinstance(printed, dt.datetime):
        return printed
    return _with_printed_time(page, headline, printed)


def modified(page: Page) -> When | None:
    """The modification date (read once: the publication date may look at it first)."""
    key = "modified"
    if key not in page.memo:
        page.memo[key] = first_date(page, _modified_sources(page))
    return page.memo[key]  # type: ignore[return-value]


def _modified_sources(page: Page) -> Iterator[str | None]:
    """The modification values in order of trust, read one by one (the first that parses settles it)."""
    yield page.ld.get("dateModified")
    yield from page.all(*MODIFIED_META)
    yield page.itemprop("dateModified")
