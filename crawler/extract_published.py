"""Publication and modification dates of a page, in this order of trust.

published_at:

1. Structured data: JSON-LD ``datePublished`` > ``article:published_time`` and similar metas
   (Open Graph, Dublin Core, Parse.ly, Sailthru, citation...) > ``itemprop=datePublished`` >
   ``<time pubdate>`` / the first ``<time datetime>`` (in ``<article>``, ``<main>``, then anywhere) >
   JSON-LD ``dateCreated``.
2. Without structured data, a date printed on the page: one labelled as such ("Datum:",
   "Published on", "Veröffentlicht am", "Publié le", "Publicado el"...) > a date in date/byline
   markup (``class*=date``, ``time``, ``byline``...) > the day in the URL path > the first written
   date just below the headline. Two-digit years ("25.04.24") are read only in date markup and
   after a label.
3. Last resort: a date after an "updated" label ("Stand:", "Aktualisiert", "Last edited"), which a
   page showing no other date prints for its only version.

The page's own UTC offset is kept. A structured timestamp written in UTC is turned into the page's
local time when the page also gives the same instant as local wall-clock time (a naive timestamp, a
``<time datetime>`` with an offset, or a printed date and time); the offset is the difference
between the two. When the page prints only a day (or the URL holds one) and that day is the day
before or after the UTC timestamp's day, within what a time zone can shift, the printed day is
returned instead, as a ``date``: the labels a reader sees are in local time.

modified_at: JSON-LD ``dateModified`` > ``article:modified_time`` / ``og:updated_time`` and similar >
``itemprop=dateModified``. A publication source is never used for it, nor a modification source for
published_at.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from crawler.extract_dates import When, parse_human_date, parse_machine_date, parse_short_date, url_date
from crawler.extract_page import Page, first_inside, match_key

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
_DATE_MARKUP = (
    "[class*=date i], [class*=time i], [class*=publish i], [class*=posted i], [class*=meta i], [id*=date i], "
    "[class*=datum i], [class*=byline i]"
)
_PUBLISHED_LABELS = (
    "datum",
    "date",
    "published",
    "posted",
    "publication",
    "veröffentlicht",
    "erstellt",
    "erschienen",
    "publié",
    "publicado",
    "publicada",
    "pubblicato",
    "fecha",
)
_UPDATED_LABELS = (
    "stand",
    "aktualisiert",
    "zuletzt geändert",
    "updated",
    "last edited",
    "last modified",
    "mis à jour",
    "actualizado",
    "aggiornato",
)
_LABEL_TAIL = re.compile(r"(?:e\b)?(?:\s+(?:on|am|le|el|il|em|at))?\s*:?\s*")
_LABEL_REACH = 60
_MAX_MARKUP_CHECK = 40
_TEXT_DATE_SCAN = 3000
_LABEL_SCAN = 30_000
_SAME_INSTANT = 120  # seconds
_MAX_OFFSET = dt.timedelta(hours=14)
_QUARTER = 900
_FEW_TIMES = 8  # up to this many <time> elements are filtered in Python (one query, not four)


def first_date(values: Iterable[str | None]) -> When | None:
    for value in values:
        if value:
            parsed = parse_machine_date(value)
            if parsed is not None:
                return parsed
    return None


def _time_elements(page: Page) -> Iterator[str | None]:
    times = page.tree.css("time")
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


def _structured(page: Page) -> When | None:
    found = first_date((page.ld.get("datePublished"), *page.all(*PUBLISHED_META)))
    found = found or first_date((page.itemprop("datePublished"),))
    found = found or first_date(_time_elements(page))
    return found or first_date((page.ld.get("dateCreated"),))


def _markup_date(page: Page) -> When | None:
    for node in page.tree.css(_DATE_MARKUP)[:_MAX_MARKUP_CHECK]:
        text = node.text(separator=" ")
        if len(text) <= 200:
            parsed = parse_human_date(text) or parse_short_date(text)
            if parsed is not None:
                return parsed
    return None


def _label_ends(text: str, labels: tuple[str, ...]) -> list[int]:
    """Where the text after each label starts, in page order; labels are whole words, any case.

    Plain substring search on the lower-cased text (no regex over the whole page: it is fast on
    large pages); the short tail (" on", ":") is matched only where a label was found.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # a rare case mapping that changes lengths: keep offsets right
        lowered = "".join(char.lower()[:1] for char in text)
    ends: list[int] = []
    ascii_only = lowered.isascii()
    for label in labels:
        if ascii_only and not label.isascii():
            continue  # "veröffentlicht" cannot occur in ASCII text: skip the scan
        start = lowered.find(label)
        while start >= 0:
            before = lowered[start - 1] if start else " "
            after = start + len(label)
            if not (before.isalnum() or before in "-_"):
                tail = _LABEL_TAIL.match(lowered, after)
                if tail is not None and not lowered[tail.end() - 1 : tail.end()].isalpha():
                    ends.append(tail.end())
            start = lowered.find(label, after)
    return sorted(ends)


def _date_after_label(page: Page, labels: tuple[str, ...]) -> When | None:
    text = page.visible_text[:_LABEL_SCAN]
    for end in _label_ends(text, labels):
        window = text[end : end + _LABEL_REACH]
        parsed = parse_human_date(window, limit=_LABEL_REACH) or parse_short_date(window[:12])
        if parsed is not None and _starts_soon(text, end):
            return parsed
    return None


def _labelled_date(page: Page) -> When | None:
    """The first date written right after a "published"-type label in the visible text."""
    return _date_after_label(page, _PUBLISHED_LABELS)


def _updated_date(page: Page) -> When | None:
    """Last resort: the date after an "updated" / "Stand" label (a page showing only that date)."""
    return _date_after_label(page, _UPDATED_LABELS)


def _starts_soon(text: str, start: int) -> bool:
    return bool(re.match(r"\s*(?:\S+\s+){0,2}\S*\d", text[start : start + _LABEL_REACH]))


def headline_offset(page: Page, headline: str | None) -> int:
    """Where the headline's ``<h1>`` (or the first ``<h1>``) sits in the visible text; 0 if unknown."""
    text = page.visible_text
    key = match_key(headline)
    nodes = page.headings
    for node in sorted(nodes, key=lambda n: match_key(n.text()) != key):
        found = text.find(node.text(separator="\n").strip()[:80])
        if found >= 0 and node.text().strip():
            return found
    return 0


def _text_date(page: Page, headline: str | None) -> When | None:
    """A written date in the visible text just after the headline (or at the top of the page)."""
    key = ("text_date", headline)
    if key not in page.memo:
        start = headline_offset(page, headline)
        text = page.visible_text[start : start + _TEXT_DATE_SCAN]
        page.memo[key] = parse_human_date(text, limit=_TEXT_DATE_SCAN)
    return page.memo[key]  # type: ignore[return-value]


def _same_instant_local(stamp: dt.datetime, values: Iterable[When | None]) -> dt.datetime | None:
    """``stamp`` (UTC) rewritten in the offset of a local timestamp of the same instant, if any."""
    for value in values:
        if not isinstance(value, dt.datetime):
            continue
        offset = value.utcoffset()
        if offset is not None:
            if offset and abs((value - stamp).total_seconds()) <= _SAME_INSTANT:
                return value
            continue
        diff = value - stamp.replace(tzinfo=None)
        seconds = diff.total_seconds()
        rounded = round(seconds / _QUARTER) * _QUARTER
        if rounded and abs(seconds - rounded) <= _SAME_INSTANT and abs(diff) <= _MAX_OFFSET:
            return stamp.astimezone(dt.timezone(dt.timedelta(seconds=rounded)))
    return None


def _printed_day(stamp: dt.datetime, days: Iterable[When | None]) -> dt.date | None:
    """A printed day one off the UTC stamp's day, reachable by a real time-zone offset."""
    midnight = dt.datetime.combine(stamp.date(), dt.time(), tzinfo=dt.UTC)
    since_midnight = stamp - midnight
    for value in days:
        if value is None:
            continue
        day = value.date() if isinstance(value, dt.datetime) else value
        if day == stamp.date():
            return None
        if day == stamp.date() - dt.timedelta(days=1) and since_midnight < dt.timedelta(hours=12):
            return day
        if day == stamp.date() + dt.timedelta(days=1) and since_midnight >= dt.timedelta(hours=10):
            return day
        return None
    return None


def _local_candidates(page: Page, headline: str | None) -> Iterator[When | None]:
    for value in (*page.all(*PUBLISHED_META), *(n.attributes.get("datetime") for n in page.tree.css("time")[:10])):
        yield parse_machine_date(value) if value else None
    yield _markup_date(page)
    yield _text_date(page, headline)


def _localise(stamp: When, page: Page, headline: str | None) -> When:
    if not isinstance(stamp, dt.datetime) or stamp.utcoffset() != dt.timedelta(0):
        return stamp
    local = _same_instant_local(stamp, _local_candidates(page, headline))
    if local is not None:
        return local
    printed = (url_date(page.url), _labelled_date(page), _text_date(page, headline))
    return _printed_day(stamp, printed) or stamp


def published(page: Page, headline: str | None = None) -> When | None:
    """The publication date; see the module docstring for the order of trust."""
    found = _structured(page)
    if found is not None:
        return _localise(found, page, headline)
    return (
        _labelled_date(page)
        or _markup_date(page)
        or url_date(page.url)
        or _text_date(page, headline)
        or _updated_date(page)
    )


def modified(page: Page) -> When | None:
    return first_date((page.ld.get("dateModified"), *page.all(*MODIFIED_META), page.itemprop("dateModified")))
