"""Publication dates: two-digit years after a month's name, day ranges, date-time web components, event
date markup, and a publication stamp set anew when the article was saved again."""

from __future__ import annotations

import datetime as dt

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.extract import extract_metadata
from crawler.extract_dates import When, parse_human_date, parse_short_date_line
from crawler.extract_page import read_page
from crawler.extract_published import published
from tests import realdata

FILLER = "<p>" + "The council met on Tuesday and talked at length about roads and parks. " * 6 + "</p>"


def _published(body: str, headline: str = "Story", head: str = "") -> When | None:
    html = f"<!doctype html><html><head><title>Story</title>{head}</head><body>{body}</body></html>"
    return published(read_page(LexborHTMLParser(html), "https://news.example/story"), headline)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("( Pescasseroli, 14 Gennaio 20 )", dt.date(2020, 1, 14)),
        ("14 Gennaio 20", dt.date(2020, 1, 14)),
        ("Berlin, 3. März 21", dt.date(2021, 3, 3)),
        ("14 Leute 20", None),  # not a month's name
        ("Roma, 14 Gennaio 20 persone", None),  # more than a date on the line
    ],
)
def test_two_digit_year_after_a_month_name_alone_on_its_line(line: str, expected: When | None) -> None:
    assert parse_short_date_line(line) == expected


def test_two_digit_year_after_a_month_name_below_the_headline() -> None:
    body = "<h1>Story</h1><div><em>( Pescasseroli, 14 Gennaio 20 )</em><p>Testo.</p></div>" + FILLER
    assert _published(body) == dt.date(2020, 1, 14)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wochenbericht 14. - 20. Januar 2022", dt.date(2022, 1, 14)),
        ("vom 3.\u20135. März 2021", dt.date(2021, 3, 3)),
        ("Seite 1 - 20. Januar 2022", dt.date(2022, 1, 20)),  # no day's dot: not a range
        ("20. - 14. Januar 2022", dt.date(2022, 1, 14)),  # a range runs forward
        ("20. Januar 2022, 10:30", dt.datetime(2022, 1, 20, 10, 30)),
    ],
)
def test_day_range_reads_its_first_day(text: str, expected: When) -> None:
    assert parse_human_date(text) == expected


def test_date_time_web_component_as_a_last_resort() -> None:
    body = '<h1>Story</h1><relative-time datetime="2020-07-07T12:10:51Z">3 years ago</relative-time>'
    assert _published(body + FILLER) == dt.datetime(2020, 7, 7, 12, 10, 51, tzinfo=dt.UTC)
    body = '<h1>Story</h1><div class="date">05.02.2020</div><relative-time datetime="2020-07-07T12:10:51Z">'
    assert _published(body + "</relative-time>" + FILLER) == dt.date(2020, 2, 5)  # a printed date first


def test_event_date_range_markup_is_not_the_publication_date() -> None:
    body = '<div class="field field--type-daterange">19.1.23, 10:00-11:30 Uhr</div><h1>Story</h1><p>20.12.2022</p>'
    body += FILLER
    assert _published(body) == dt.date(2022, 12, 20)


def test_time_element_below_the_headline_beats_a_publication_stamp_set_after_the_modification() -> None:
    head = (
        '<meta property="article:published_time" content="2022-11-17T10:33:13Z">'
        '<meta property="article:modified_time" content="2022-11-17T10:32:18Z">'
    )
    body = '<h1>Story</h1><p><time datetime="2022-03-09">09.03.2022</time></p>' + FILLER
    assert _published(body, head=head) == dt.date(2022, 3, 9)
    later = head.replace("10:32:18", "10:34:00")  # modified after publication: the stamp stands
    assert _published(body, head=later) == dt.datetime(2022, 11, 17, 10, 33, 13, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("record_id", "expected"),
    [
        ("trafilatura/parcoabruzzo.it.58354", "2020-01-14"),  # "( Pescasseroli, 14 Gennaio 20 )"
        ("postlight-parser/github.com", "2020-07-07T12:10:51"),  # <relative-time datetime=...>
        ("trafilatura/slf.ch-lawinensituation", "2022-01-14"),  # "Wochenbericht 14. - 20. Januar 2022"
        ("trafilatura/arbeit-und-arbeitsrecht.de.urlaub", "2022-12-20"),  # an event's "field--type-daterange"
        ("trafilatura/heizung.de.waermepumpen", "2022-03-09"),  # published_time a minute after modified_time
    ],
)
def test_real_pages(record_id: str, expected: str) -> None:
    record = realdata.record(record_id)
    meta = extract_metadata(realdata.page_bytes(record), url=record["url"])
    assert meta.published_at is not None
    assert meta.published_at.isoformat().startswith(expected)
