"""Tests for printed publication dates (``crawler.extract_published_printed``) and the rules in
``crawler.extract_published`` that weigh them against weak structured dates.

Small synthetic pages cover one rule each; a few pages of the shared real-page corpus
(``../shared/realdata``, skipped when absent) check the pages that motivated the rules.
"""

from __future__ import annotations

import datetime as dt

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.extract import extract_metadata
from crawler.extract_dates import (
    When,
    find_short_date_time,
    parse_human_date,
    parse_machine_date,
    parse_short_date_line,
)
from crawler.extract_page import Page, read_page
from crawler.extract_published import modified, published
from tests import realdata

FILLER = "<p>" + "The council met on Tuesday and talked at length about roads and parks. " * 6 + "</p>"
SIDEBAR = '<aside><h1>Latest news</h1><p>Other story</p><p>3. März 2011</p></aside>'


def _page(head: str, body: str, url: str | None = "https://news.example/story") -> Page:
    html = f"<!doctype html><html><head><title>Story</title>{head}</head><body>{body}</body></html>"
    return read_page(LexborHTMLParser(html), url)


def _published(head: str, body: str, headline: str = "Story") -> When | None:
    return published(_page(head, body), headline)


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("26 | 01 | 2022", dt.date(2022, 1, 26)),
        ("Login - 26 / 01 / 2022 Schweiz", dt.date(2022, 1, 26)),
        ("12 . 03 . 2021", dt.date(2021, 3, 12)),
        ("1 - 2 - 2000", None),  # a dash with spaces is a range or a list, not a date
        ("26 | 01 / 2022", None),  # one separator, used twice
        ("06 | 13 | 2019", None),  # day first, as the other numeric forms
    ],
)
def test_spaced_numeric_dates(text: str, expected: When | None) -> None:
    assert parse_human_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Do 25.04.24 | 14:07 Uhr | Von X", dt.datetime(2024, 4, 25, 14, 7)),
        ("25.04.24, 14.07", dt.datetime(2024, 4, 25, 14, 7)),
        ("25.04.24 um 9:30", dt.datetime(2024, 4, 25, 9, 30)),
        ("25.04.24", None),  # no clock time: not safe outside a date label
        ("v1.2.24 12:00", None),  # part of a word or a version number
        ("von lupa am 26/10/13, 03:48 pm", dt.datetime(2013, 10, 26, 15, 48)),
        ("05/06/13, 03:48 pm", None),  # with slashes, may be month first: only a day above 12 is read
        ("25.04/24 14:07", None),  # one separator, used twice
        ("25.04.2024 14:07", None),  # a four-digit year is parse_human_date's
    ],
)
def test_short_date_with_a_clock_time(text: str, expected: dt.datetime | None) -> None:
    found = find_short_date_time(text)
    assert (found[1] if found else None) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("02.12.19", dt.date(2019, 12, 2)),
        ("  Do 25.04.24, 14:07 Uhr ", dt.datetime(2024, 4, 25, 14, 7)),
        ("Mo. 02.12.19", dt.date(2019, 12, 2)),
        ("Version 02.12.19", None),  # a word longer than a weekday's abbreviation
        ("02.12.19 Berlin", None),
        ("v2.12.19", None),
    ],
)
def test_short_date_alone_on_its_line(line: str, expected: When | None) -> None:
    assert parse_short_date_line(line) == expected


def test_us_machine_dates_only_when_they_cannot_be_day_first() -> None:
    assert parse_machine_date("06/13/2019") == dt.date(2019, 6, 13)
    assert parse_machine_date("06/13/2019 3:05 PM") == dt.datetime(2019, 6, 13, 15, 5)
    assert parse_machine_date("01/02/2019") == dt.date(2019, 2, 1)  # ambiguous: day first, as before
    head = '<meta itemprop="dateModified" content="06/13/2019"><meta name="datemodified" content="06/13/2019">'
    assert modified(_page(head, "<h1>Story</h1>")) == dt.date(2019, 6, 13)


# ---------------------------------------------------------------- the headline not in an <h1>


def test_headline_in_an_h3_anchors_the_date_below_it() -> None:
    body = SIDEBAR + FILLER * 5 + "<h3>Theatre opens its doors once more</h3><p>Von X, 14. Mai 2019</p>" + FILLER
    assert _published("", body, "Theatre opens its doors once more") == dt.date(2019, 5, 14)


def test_two_digit_year_with_a_clock_time_below_a_headline_without_h1() -> None:
    body = '<h3 class="title">Theatre opens</h3><div class="line">Do 25.04.24 | 14:07 Uhr | Von X</div>' + FILLER
    assert _published("", body, "Theatre opens") == dt.datetime(2024, 4, 25, 14, 7)


def test_four_digit_year_date_before_a_short_one_wins() -> None:
    body = "<h1>Story</h1><p>1. März 2024</p><p>Sendung 25.04.24 | 14:07 Uhr</p>" + FILLER
    assert _published("", body) == dt.date(2024, 3, 1)


def test_two_digit_year_alone_on_the_line_above_the_headline() -> None:
    body = "<nav>Home > Debate</nav><p>In the media</p><p>02.12.19</p><h1>Story</h1>" + FILLER
    assert _published("", body) == dt.date(2019, 12, 2)


def test_spaced_date_above_the_headline() -> None:
    body = "<table><tr><td>26 | 01 | 2022 </td><td>Schweiz | Praxis</td></tr></table><h1>Story</h1>" + FILLER
    assert _published("", body) == dt.date(2022, 1, 26)


# ---------------------------------------------------------------- sentences, copyright lines


def test_sentence_saying_when_the_article_was_written() -> None:
    body = "<h1>Story</h1>" + FILLER * 8 + "<p>Dieser Artikel wurde am 14. Dezember 2015 um 14:48 von "
    body += "<a>Heiner</a> geschrieben und ist unter Arduino abgelegt.</p>"
    assert _published("", body) == dt.datetime(2015, 12, 14, 14, 48)


def test_sentence_saying_when_the_article_was_changed_is_not_a_publication() -> None:
    for verb in ("zuletzt aktualisiert", "bearbeitet", "geändert"):
        body = "<h1>Story</h1>" + FILLER * 8 + f"<p>Dieser Beitrag wurde am 14. Dezember 2015 {verb}.</p>"
        assert _published("", body) is None


def test_whole_date_in_a_copyright_line_as_the_last_resort() -> None:
    body = "<h1>Story</h1>" + FILLER * 8 + "<footer>Copyright © 19.12.2019 - 12:14 h by Example GmbH</footer>"
    assert _published("", body) == dt.date(2019, 12, 19)
    body = "<h1>Story</h1>" + FILLER * 8 + "<footer>© 2019 Example GmbH</footer>"
    assert _published("", body) is None  # a year alone is no day
    body = "<h1>Story</h1><p>5. März 2019</p>" + FILLER * 8 + "<footer>© 19.12.2019 Example GmbH</footer>"
    assert _published("", body) == dt.date(2019, 3, 5)


# ---------------------------------------------------------------- weak structured dates


def test_bare_date_meta_gives_way_to_the_day_printed_in_markup_and_below_the_headline() -> None:
    head = '<meta name="date" content="2020-02-12">'
    body = '<h1>Story</h1><div class="date">05.02.2020</div>' + FILLER
    assert _published(head, body) == dt.date(2020, 2, 5)


def test_bare_day_meta_gives_way_a_day_away_but_not_when_the_page_disagrees_with_itself() -> None:
    head = '<meta name="date" content="2020-02-06">'
    body = '<h1>Story</h1><div class="date">05.02.2020</div>' + FILLER
    assert _published(head, body) == dt.date(2020, 2, 5)  # the day the reader sees
    head = '<meta name="date" content="2020-02-06T23:30:00+01:00">'
    assert _published(head, body) == dt.datetime(2020, 2, 6, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    head = '<meta name="date" content="2020-02-12">'
    body = '<h1>Story</h1><p>Am 1. März 2020 beginnt es.</p>' + FILLER + '<div class="date">05.02.2020</div>'
    assert _published(head, body) == dt.date(2020, 2, 12)


def test_printed_modification_day_never_replaces_a_structured_publication_date() -> None:
    head = '<meta name="date" content="2020-02-12"><meta property="article:modified_time" content="2020-03-01">'
    body = '<h1>Story</h1><div class="date">01.03.2020</div>' + FILLER
    assert _published(head, body) == dt.date(2020, 2, 12)


def test_specific_publication_metas_are_not_weak() -> None:
    head = '<meta property="article:published_time" content="2020-02-12T10:00:00+01:00">'
    body = '<h1>Story</h1><div class="date">05.02.2020</div>' + FILLER
    assert _published(head, body) == dt.datetime(2020, 2, 12, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_time_element_of_the_headline_beats_the_first_one() -> None:
    body = (
        '<div class="top"><time datetime="2019-07-30">30 juil. 2019</time></div><h1>Story</h1>'
        '<p><time datetime="2019-06-27">27 juin 2019</time> Par Elba</p>' + FILLER
    )
    assert _published("", body) == dt.date(2019, 6, 27)


def test_time_element_kept_when_the_headline_shows_its_day() -> None:
    body = '<h1>Story</h1><p><time datetime="2019-07-30T10:00:00">30 juil. 2019</time></p>' + FILLER
    body += '<aside><time datetime="2019-06-27">27 juin 2019</time></aside>'
    assert _published("", body) == dt.datetime(2019, 7, 30, 10)


# ---------------------------------------------------------------- real pages (optional shared corpus)


@pytest.mark.parametrize(
    ("record_id", "expected"),
    [
        ("fundus/RBB24_2024_04_25", "2024-04-25T14:07:00"),  # <h3> headline, "Do 25.04.24 | 14:07 Uhr"
        ("htmldate/hertie-school.org.leyen", "2019-12-02"),  # "02.12.19" on the line above the headline
        ("trafilatura/petri-heil-ch-hechte", "2022-01-26"),  # "26 | 01 | 2022"
        ("trafilatura/ejwue.de.lieferketten", "2020-02-05"),  # bare "date" meta of another day
        ("trafilatura/deutscheweine.de-riesling", "2022-01-27"),  # dcterms.date of another day
        ("htmldate/mediapart.fr.violences", "2019-06-27"),  # the headline's own <time>
        ("trafilatura/qualisys.eu.gefahrstoff", "2019-12-19"),  # "Copyright © 19.12.2019"
        ("trafilatura/wolfsrebellen-netz.forumieren.com.regeln", "2013-10-26"),  # "am 26/10/13, 03:48 pm"
        ("htmldate/hobby-werkstatt-blog.de.roomba", "2015-12-14"),  # "Dieser Artikel wurde am ..."
    ],
)
def test_real_pages(record_id: str, expected: str) -> None:
    record = realdata.record(record_id)
    meta = extract_metadata(realdata.page_bytes(record), url=record["url"])
    assert meta.published_at is not None
    assert meta.published_at.isoformat().startswith(expected)
