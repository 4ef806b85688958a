"""Tests for the publication date rules (``crawler.extract_published*``) and the date parser.

Small synthetic pages cover one rule each; a few pages of the shared real-page corpus
(``../shared/realdata``, skipped when absent) check the rules on the pages that motivated them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.extract import extract_metadata
from crawler.extract_dates import When, parse_human_date, url_date
from crawler.extract_page import Page, read_page
from crawler.extract_published import modified, published
from tests import realdata

FILLER = "<p>" + "The council met on Tuesday and talked at length about roads and parks. " * 6 + "</p>"


def _page(head: str, body: str, url: str | None = "https://news.example/story") -> Page:
    html = f"<!doctype html><html><head><title>Story</title>{head}</head><body>{body}</body></html>"
    return read_page(LexborHTMLParser(html), url)


def _published(head: str, body: str, url: str | None = "https://news.example/story") -> When | None:
    return published(_page(head, body, url), "Story")


def _utc_meta(stamp: str) -> str:
    return f'<meta property="article:published_time" content="{stamp}">'


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Posted on March 5, 2019 at 10:15 pm", dt.datetime(2019, 3, 5, 22, 15)),
        ("Sept. 12, 2020", dt.date(2020, 9, 12)),
        ("le 5 mars 2019", dt.date(2019, 3, 5)),
        ("5. März 2019, 12:30", dt.datetime(2019, 3, 5, 12, 30)),
        ("5 de mayo de 2019", dt.date(2019, 5, 5)),
        ("Issue 5, 2019 of the review, out March 6, 2019", dt.date(2019, 3, 6)),  # "Issue" is no month
        ("12 Stück 2019, dann 3 April 2019", dt.date(2019, 4, 3)),
        ("xxMay 5, 2019", None),  # a month name must be a whole word
        ("May\n\n\t\t\n\n  5, 2019", dt.date(2019, 5, 5)),  # any amount of whitespace between the parts
    ],
)
def test_written_dates(text: str, expected: When | None) -> None:
    assert parse_human_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الأربعاء، 07 أكتوبر 2020 - 12:09 م", dt.datetime(2020, 10, 7, 12, 9)),
        ("الجمعة، 21 أغسطس 2020 09:06 م", dt.datetime(2020, 8, 21, 21, 6)),  # م: in the evening
        ("السبت، 22 أغسطس 2020 10:06 ص", dt.datetime(2020, 8, 22, 10, 6)),  # ص: in the morning
        ("تم نشره الجمعة 24 نيسان / أبريل 2020", dt.date(2020, 4, 24)),  # both calendars' names
    ],
)
def test_arabic_dates(text: str, expected: When) -> None:
    assert parse_human_date(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.example/2019/05/12/story", dt.date(2019, 5, 12)),
        ("https://x.example/news/29-10-2021", dt.date(2021, 10, 29)),
        ("https://x.example/a/blog-post-10-29-2021", dt.date(2021, 10, 29)),
        ("https://x.example/a/story-02-11-2023-ABC", None),  # 2 November or February 11: not read
        ("https://x.example/a/story-1234", None),
    ],
)
def test_url_days(url: str, expected: dt.date | None) -> None:
    assert url_date(url) == expected


# ---------------------------------------------------------------- printed dates (no structured data)


def test_date_above_the_headline() -> None:
    body = "<div>Politik</div><div>14. Februar 2012</div><div>Drucken</div><h1>Story</h1>" + FILLER
    body += "<p>Der Prozess begann im April 2010 und wurde am 3. Mai 2011 vertagt.</p>"
    assert _published("", body) == dt.date(2012, 2, 14)


def test_date_above_the_headline_not_cut_in_a_word() -> None:
    words = "Wort " * 21  # the words read begin inside "12.": "2. Februar 2012" is no date of the page
    body = f"<div>12. Februar 2012</div><div>{words}</div><h1>Story</h1><p>Text.</p>"
    assert _published("", body) is None


def test_date_above_the_headline_only_from_the_last_words() -> None:
    body = "<div>Heute, 16. Februar 2012</div>" + FILLER + "<h1>Story</h1><p>Text.</p>"
    assert _published("", body) is None


def test_signed_line() -> None:
    body = "<h1>Story</h1><p>Schon am 23.-26.8.2017 geht es los.</p><p>Gespeichert von rasos am 24. Juli 2017</p>"
    assert _published("", body) == dt.date(2017, 7, 24)


def test_signed_line_below_the_date_markup() -> None:
    body = (
        '<h1>Story</h1><p class="date">21. Jan. 2015, 19:04</p>'
        "<p>Comment, geschrieben von reader am 22. Jan. 2015, 20:02</p>"
    )
    assert _published("", body) == dt.datetime(2015, 1, 21, 19, 4)


def test_url_day_before_date_markup() -> None:
    body = '<div class="date">08.10.2022</div><h1>Story</h1>' + FILLER
    assert _published("", body, url="https://news.example/2016/11/28/story") == dt.date(2016, 11, 28)


def test_url_day_takes_the_markup_time_of_the_same_day() -> None:
    body = '<h1>Story</h1><div class="date">June 7, 2017 11:19</div>' + FILLER
    url = "https://news.example/2017/06/07/story"
    assert _published("", body, url=url) == dt.datetime(2017, 6, 7, 11, 19)


def test_date_markup_of_comments_and_teasers_skipped() -> None:
    body = (
        '<div class="default-teaser"><span class="default-teaser__date">01. Juli 2020</span></div>'
        + FILLER
        + "<h1>Story</h1><p>Wien, 18. März 2020. Der Text beginnt.</p>"
        '<ul class="comments"><li><span class="comment-date">02.12.2022, 15:57</span></li></ul>'
    )
    assert _published("", body) == dt.date(2020, 3, 18)


def test_date_markup_of_an_opinion_piece_kept() -> None:
    body = '<article class="ArticleHeaderComment"><div class="PublishDate">29. Januar 2019</div><h1>Story</h1>'
    assert _published("", body + "</article>" + FILLER) == dt.date(2019, 1, 29)


# ---------------------------------------------------------------- structured data against printed dates


def test_lone_time_element_of_a_related_item_gives_way() -> None:
    body = (
        '<h1>Story</h1><div class="meta">22. Oktober 2019</div>' + FILLER + "<aside><h2>Related</h2>"
        '<time datetime="2009-04-11T18:06:36">11. April 2009</time></aside>'
    )
    assert _published("", body) == dt.date(2019, 10, 22)


def test_lone_time_element_kept_when_the_page_agrees_or_is_silent() -> None:
    body = '<h1>Story</h1><time datetime="2019-10-22T18:06:36">22.10.2019</time>' + FILLER
    assert _published("", body) == dt.datetime(2019, 10, 22, 18, 6, 36)
    body = '<h1>Story</h1><time datetime="2009-04-11T18:06:36"></time>' + FILLER * 8
    body += '<footer class="meta">22. Oktober 2019</footer>'
    assert _published("", body) == dt.datetime(2009, 4, 11, 18, 6, 36)  # nothing printed near the headline


def test_structured_day_takes_the_printed_time_of_that_day() -> None:
    head = '<meta name="date" content="2016-12-15">'
    body = '<h1>Story</h1><div class="dateblock">December 15, 2016 3:33 PM ET</div>' + FILLER
    assert _published(head, body) == dt.datetime(2016, 12, 15, 15, 33)
    body = '<h1>Story</h1><div class="dateblock">December 14, 2016 3:33 PM ET</div>' + FILLER
    specific = '<meta property="article:published_time" content="2016-12-15">'
    assert _published(specific, body) == dt.date(2016, 12, 15)  # another day's time is not taken
    assert _published(head, body) == dt.datetime(2016, 12, 14, 15, 33)  # a bare day meta gives way to it


def test_metadata_is_never_overruled_by_printed_dates() -> None:
    head = _utc_meta("2016-08-29T21:54:39Z")
    body = '<h1>Story</h1><div class="date">May 6, 2019</div><p>May 6, 2019</p>' + FILLER
    assert _published(head, body) == dt.datetime(2016, 8, 29, 21, 54, 39, tzinfo=dt.UTC)


def test_published_and_modified_never_swapped() -> None:
    head = _utc_meta("2019-10-15T16:59:59Z") + '<meta property="article:modified_time" content="2020-03-12T14:42:17Z">'
    page = _page(head, '<h1>Story</h1><div class="date">Updated March 12, 2020</div>' + FILLER)
    assert published(page, "Story") == dt.datetime(2019, 10, 15, 16, 59, 59, tzinfo=dt.UTC)
    assert modified(page) == dt.datetime(2020, 3, 12, 14, 42, 17, tzinfo=dt.UTC)
    only_modified = _page('<meta property="article:modified_time" content="2020-03-12T14:42:17Z">', "<h1>Story</h1>")
    assert published(only_modified, "Story") is None


# ---------------------------------------------------------------- UTC timestamps in local time


def test_own_time_element_prints_local_clock_time() -> None:
    head = _utc_meta("2016-12-07T10:00:00Z")
    body = '<h1>Story</h1><time datetime="2016-12-07T10:00:00Z">December 7, 2016 at 4:00 AM CST</time>'
    found = _published(head, body)
    assert found == dt.datetime(2016, 12, 7, 4, tzinfo=dt.timezone(dt.timedelta(hours=-6)))


def test_own_time_element_prints_the_local_day() -> None:
    head = _utc_meta("2020-05-02T02:54:29Z")
    body = '<h1>Story</h1><time datetime="2020-05-02T02:54:29Z">May 1, 2020</time>' + FILLER
    assert _published(head, body) == dt.date(2020, 5, 1)


def test_own_time_element_prints_the_utc_day() -> None:
    head = _utc_meta("2024-02-06T13:10:33Z")
    body = '<h1>Story</h1><time datetime="2024-02-06T13:10:33Z">2024-02-06</time>' + FILLER
    assert _published(head, body) == dt.datetime(2024, 2, 6, 13, 10, 33, tzinfo=dt.UTC)


def test_own_time_element_settles_it_without_reading_the_page_text() -> None:
    head = _utc_meta("2024-02-06T13:10:33Z")
    page = _page(head, '<h1>Story</h1><time datetime="2024-02-06T13:10:33Z">2024-02-06</time>' + FILLER)
    published(page, "Story")
    assert "visible_text" not in page.__dict__  # the cached property was never computed


def test_byline_above_the_headline_gives_the_offset() -> None:
    head = _utc_meta("2020-02-24T12:57:13+00:00")
    body = '<div class="byline">CBS News February 24, 2020, 7:57 AM</div><h1>Story</h1>' + FILLER
    found = _published(head, body)
    assert found == dt.datetime(2020, 2, 24, 7, 57, 13, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def test_printed_day_below_the_headline_before_the_url_day() -> None:
    head = _utc_meta("2020-07-09T10:04:04Z")
    body = "<h1>Story</h1><p>July 9, 2020</p>" + FILLER
    found = _published(head, body, url="https://news.example/2020/07/08/story")
    assert found == dt.datetime(2020, 7, 9, 10, 4, 4, tzinfo=dt.UTC)


def test_day_below_the_headline_one_off_the_utc_day() -> None:
    head = _utc_meta("2020-04-30T22:30:00Z")
    body = "<h1>Story</h1><p>1. Mai 2020</p>" + FILLER
    assert _published(head, body) == dt.date(2020, 5, 1)


# ---------------------------------------------------------------- real pages


@pytest.mark.parametrize(
    "record_id",
    [
        "trafilatura/limespace.de.entloeten",  # a related item's <time> against the printed date
        "trafilatura/archive.org.stol.it.berlusconi",  # the date above the headline
        "trafilatura/creativecommons.at.faircoin",  # a signed line
        "trafilatura/weisser-ring.de-Erfolgsgechichte",  # a day-month-year URL
        "htmldate/1731695567",  # an Arabic date
        "postlight-parser/www.tmz.com",  # the URL day before a stray date in markup
    ],
)
def test_real_page_published_day(record_id: str) -> None:
    record = realdata.record(record_id)
    body = realdata.page_bytes(record)
    found = extract_metadata(body, url=record.get("url")).published_at
    assert found is not None
    assert found.isoformat()[:10] == record["truth"]["published"][:10]
