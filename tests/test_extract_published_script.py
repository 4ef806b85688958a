"""Tests for the last-resort publication date in script data (``crawler.extract_published_script``).

Small synthetic pages cover one rule each; a few pages of the shared real-page corpus
(``../shared/realdata``, skipped when absent) check the pages that motivated the rule.
"""

from __future__ import annotations

import datetime as dt

import pytest
from selectolax.lexbor import LexborHTMLParser

import crawler.extract_published as extract_published
from crawler.extract import extract_metadata
from crawler.extract_dates import When
from crawler.extract_page import Page, read_page
from crawler.extract_published import published
from crawler.extract_published_script import key_rank, script_published, script_texts
from tests import realdata

FILLER = "<p>" + "The council met on Tuesday and talked at length about roads and parks. " * 6 + "</p>"
CET = dt.timezone(dt.timedelta(hours=1))


def _page(head: str = "", body: str = "", url: str | None = "https://news.example/story") -> Page:
    html = f"<!doctype html><html><head><title>Story</title>{head}</head><body>{body}</body></html>"
    return read_page(LexborHTMLParser(html), url)


def _script(text: str, kind: str = "") -> str:
    type_attr = f' type="{kind}"' if kind else ""
    return f"<script{type_attr}>{text}</script>"


def _in_scripts(*texts: str) -> When | None:
    return script_published(script_texts(_page(body="".join(_script(text) for text in texts))))


# ---------------------------------------------------------------- key names


@pytest.mark.parametrize(
    ("key", "rank"),
    [
        ("datePublished", 0),
        ("published_at", 0),
        ("publishedAt", 0),
        ("publish_date", 0),
        ("publicationDate", 0),
        ("pubDate", 0),
        ("firstPublished", 0),
        ("article_published_time", 0),
        ("originalPublishDate", 0),
        ("createdAt", 1),
        ("created_at", 1),
        ("dateCreated", 1),
        ("creationDate", 1),
        ("updatedAt", None),
        ("dateModified", None),
        ("lastPublished", None),
        ("publishedLatest", None),
        ("last_updated_date", None),
        ("publisher", None),
        ("publishedBy", None),
        ("createdBy", None),
    ],
)
def test_key_rank(key: str, rank: int | None) -> None:
    assert key_rank(key) == rank


# ---------------------------------------------------------------- values and key forms


def test_json_key_with_offset_kept() -> None:
    found = _in_scripts('window.__STATE__ = {"title":"A","published_at":"2019-03-02T06:22:28+01:00"};')
    assert found == dt.datetime(2019, 3, 2, 6, 22, 28, tzinfo=CET)


def test_javascript_key_and_epoch_seconds() -> None:
    found = _in_scripts("var article = {id: 7, publishDate: 1583020800, section: 'city'};")
    assert found == dt.datetime(2020, 3, 1, tzinfo=dt.UTC)


def test_epoch_milliseconds() -> None:
    found = _in_scripts('{"publicationDate":1729698495000}')
    assert isinstance(found, dt.datetime)
    assert found.date() == dt.date(2024, 10, 23)


def test_escaped_json_inside_a_string() -> None:
    found = _in_scripts('self.__next_f.push([1,"{\\"datePublished\\":\\"2021-05-04T10:00:00+02:00\\"}"])')
    assert found == dt.datetime(2021, 5, 4, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def test_bare_day_value() -> None:
    assert _in_scripts("dataLayer.push({'pubDate': '2018-11-30'});") == dt.date(2018, 11, 30)


# ---------------------------------------------------------------- ranking and order


def test_publication_key_beats_an_earlier_creation_key() -> None:
    found = _in_scripts('{"createdAt":"2020-01-01T08:00:00Z","publishedAt":"2020-01-05T08:00:00Z"}')
    assert isinstance(found, dt.datetime)
    assert found.date() == dt.date(2020, 1, 5)


def test_publication_key_in_a_later_script_beats_a_creation_key() -> None:
    found = _in_scripts('{"created_at":"2020-01-01T08:00:00Z"}', '{"published_at":"2020-01-05T08:00:00Z"}')
    assert isinstance(found, dt.datetime)
    assert found.date() == dt.date(2020, 1, 5)


def test_creation_key_when_no_publication_key() -> None:
    assert _in_scripts('{"createdAt":"2022-01-31T15:58:43+01:00"}') == dt.datetime(2022, 1, 31, 15, 58, 43, tzinfo=CET)


def test_first_occurrence_wins() -> None:
    page_object = '{"article":{"publishedAt":"2021-06-01T09:00:00Z"},'
    related = '"related":[{"publishedAt":"2021-05-20T09:00:00Z"},{"publishedAt":"2021-05-28T09:00:00Z"}]}'
    found = _in_scripts(page_object + related)
    assert isinstance(found, dt.datetime)
    assert found.date() == dt.date(2021, 6, 1)


def test_modification_keys_never_read() -> None:
    assert (
        _in_scripts(
            '{"updatedAt":"2021-01-02T00:00:00Z","dateModified":"2021-01-03T00:00:00Z",'
            '"lastPublished":"2021-01-04T00:00:00Z","publishedLatest":"2021-01-05T00:00:00Z"}'
        )
        is None
    )


def test_flags_publishers_and_non_dates_ignored() -> None:
    assert _in_scripts('{"published":true,"publisher":"1642697428001","publishDate":"soon","created":"x"}') is None


def test_json_ld_script_not_read_here() -> None:
    page = _page(body=_script('{"datePublished":"2020-02-02"}', "application/ld+json"))
    assert script_texts(page) == []


def test_key_beyond_the_scanned_start_of_a_script_ignored() -> None:
    late = "var x = '" + "a" * 250_000 + "'; var y = {publishedAt: '2020-02-02T10:00:00Z'};"
    assert _in_scripts(late) is None


def test_text_whose_lower_case_changes_length() -> None:
    found = _in_scripts('{"title":"İİİ İstanbul","publishedAt":"2023-04-05T06:07:08+03:00"}')
    assert found == dt.datetime(2023, 4, 5, 6, 7, 8, tzinfo=dt.timezone(dt.timedelta(hours=3)))


# ---------------------------------------------------------------- place in the order of trust


def test_used_when_the_page_gives_no_other_date() -> None:
    page = _page(body="<h1>Story</h1>" + FILLER + _script('{"published_at":"2019-03-02T06:22:28+01:00"}'))
    assert published(page, "Story") == dt.datetime(2019, 3, 2, 6, 22, 28, tzinfo=CET)


def test_printed_date_beats_script_data() -> None:
    body = "<h1>Story</h1><p>Published on 4 May 2020</p>" + FILLER + _script('{"publishDate":"2012-06-24"}')
    assert published(_page(body=body), "Story") == dt.date(2020, 5, 4)


def test_structured_date_beats_script_data_and_scripts_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(page: Page) -> list[str]:
        raise AssertionError("script data read although a structured date was found")

    monkeypatch.setattr(extract_published, "script_texts", fail)
    head = '<meta property="article:published_time" content="2020-05-04T10:00:00+02:00">'
    body = "<h1>Story</h1>" + FILLER + _script('{"publishDate":"2012-06-24"}')
    found = published(_page(head, body), "Story")
    assert isinstance(found, dt.datetime)
    assert found.date() == dt.date(2020, 5, 4)


def test_read_even_when_a_text_byline_builds_the_visible_text() -> None:
    """The authors' last source (a "By ..." line) strips the scripts: the date must be read before."""
    body = "<h1>Story</h1><p>By Jane Doe</p>" + FILLER + _script('{"createdAt":"2022-01-31T15:58:43+01:00"}')
    html = f"<html><head><title>Story</title></head><body>{body}</body></html>"
    meta = extract_metadata(html.encode(), url="https://news.example/story")
    assert meta.published_at == dt.datetime(2022, 1, 31, 15, 58, 43, tzinfo=CET)
    assert meta.authors == ("Jane Doe",)


# ---------------------------------------------------------------- real pages


@pytest.mark.parametrize(
    "record_id",
    [
        "trafilatura/de.happycoffee.org.sidamo",  # "published_at" in a shop's product JSON
        "trafilatura/munich2022.com-topathleten",  # "publicationDate" after an embed's "createdAt"
        "htmldate/500px.com.spring",  # "created_at" in a photo object
    ],
)
def test_real_page_published_day_from_script(record_id: str) -> None:
    record = realdata.record(record_id)
    body = realdata.page_bytes(record)
    found = extract_metadata(body, url=record.get("url")).published_at
    assert found is not None
    assert found.isoformat()[:10] == record["truth"]["published"][:10]
