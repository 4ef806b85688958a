"""A UTC publication timestamp turned into the page's own local time (see ``crawler.extract_published``).

Only bounded places are read, cheapest first, and never the whole page text: the metas and
``<time datetime>`` values, the text of the ``<time>`` element that carries the timestamp, the other
``<time>`` texts and the dates printed just above and below the headline.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from selectolax.lexbor import LexborNode

from crawler.extract_dates import When, parse_human_date, url_date
from crawler.extract_page import Page
from crawler.extract_published_printed import date_above, machine_date, text_date, time_nodes

_SAME_INSTANT = 120  # seconds
_MAX_OFFSET = dt.timedelta(hours=14)
_QUARTER = 900
_LOCAL_TIMES = 10  # <time> elements read for a local version of a UTC timestamp
_TIME_TEXT = 120  # characters of a <time> element's text read
_DIGIT = re.compile(r"\d")


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


def _machine_candidates(page: Page, stamps: Iterable[str]) -> Iterator[When | None]:
    """Machine-readable timestamps that may give the same instant in local time (metas, ``<time>``)."""
    for value in (*stamps, *(n.attributes.get("datetime") for n in time_nodes(page)[:_LOCAL_TIMES])):
        yield machine_date(page, value) if value else None


def _time_text(node: LexborNode) -> When | None:
    text = node.text()
    return parse_human_date(text, limit=_TIME_TEXT) if _DIGIT.search(text) else None


def _own_time_element(page: Page, stamp: dt.datetime) -> When | None:
    """What the ``<time>`` element carrying ``stamp`` itself prints (a day, or a local clock time)."""
    for node in time_nodes(page)[:_LOCAL_TIMES]:
        value = node.attributes.get("datetime")
        parsed = machine_date(page, value) if value else None
        if isinstance(parsed, dt.datetime) and parsed.utcoffset() is not None and parsed == stamp:
            return _time_text(node)
    return None


def _printed_candidates(page: Page, headline: str | None) -> Iterator[When | None]:
    """Dates printed for readers where a page shows its own: ``<time>`` texts and next to the headline."""
    for node in time_nodes(page)[:_LOCAL_TIMES]:
        yield _time_text(node)
    yield date_above(page, headline)
    yield text_date(page, headline)


def localise(stamp: When, page: Page, headline: str | None, stamps: Iterable[str]) -> When:
    """A UTC ``stamp`` in the page's own offset, or as the local day the page prints.

    ``stamps`` are the page's machine-readable publication timestamps (its metas).

    Only bounded places are read, cheapest first: metas, ``<time>`` elements (the one carrying the
    stamp says how the page prints it, and settles it), then the text around the headline. There is
    no pass over the whole page text.
    """
    if not isinstance(stamp, dt.datetime) or stamp.utcoffset() != dt.timedelta(0):
        return stamp
    local = _same_instant_local(stamp, _machine_candidates(page, stamps))
    if local is not None:
        return local
    own = _own_time_element(page, stamp)
    if own is not None:
        return _same_instant_local(stamp, (own,)) or _printed_day(stamp, (own,)) or stamp
    local = _same_instant_local(stamp, _printed_candidates(page, headline))
    if local is not None:
        return local
    printed = (text_date(page, headline), url_date(page.url))
    return _printed_day(stamp, printed) or stamp
