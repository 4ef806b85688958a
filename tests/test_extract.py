"""Tests for the HTML metadata extractor and the charset decoder.

Small hand-written pages cover each source and the robustness cases; a sample of the shared
real-page corpus (``../shared/realdata``, skipped when absent) checks accuracy against loose floors.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from crawler.charset import decode_html
from crawler.extract import extract_metadata
from crawler.extract_dates import parse_machine_date
from crawler.extract_people import clean_authors
from tests import realdata

PARAGRAPH = (
    "The council voted on Tuesday to approve the new budget, which includes funding for schools, "
    "roads and parks, after a long debate that lasted well into the evening hours."
)

GRAPH_PAGE = """<!doctype html><html lang="en-GB"><head>
<title>Council approves budget | Town Herald</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "@id": "https://example.org/#site", "name": "Town Herald"},
  {"@type": "Person", "@id": "https://example.org/#jane", "name": "Jane Doe"},
  {"@type": "NewsArticle", "headline": "Council approves budget",
   "author": [{"@id": "https://example.org/#jane"}, {"@type": "Person", "name": "John Roe"}],
   "datePublished": "2024-03-05T09:30:00+01:00", "dateModified": "2024-03-06T10:00:00+01:00",
   "image": [{"@type": "ImageObject", "url": "/img/lead.jpg"}, "/img/other.jpg"],
   "mainEntityOfPage": {"@type": "WebPage", "@id": "https://example.org/news/budget"},
   "keywords": "budget, council", "description": "The budget passed."}
]}</script></head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>
<article><h1>Council approves budget</h1><p class="byline">By Jane Doe</p>
<p>PARA</p><p>Second: PARA</p><h2>What happens next</h2><p>Third: PARA</p></article>
<footer><p>Copyright Town Herald, all rights reserved, 2024, every single one of them.</p></footer>
</body></html>""".replace("PARA", PARAGRAPH)

OG_PAGE = """<html><head>
<meta property="og:title" content="Rain expected all week">
<meta property="og:description" content="Forecasters say so.">
<meta property="og:site_name" content="Weather Daily">
<meta property="og:image" content="../images/rain.png">
<meta property="og:url" content="https://weather.example/2023/07/01/rain">
<meta property="og:locale" content="de_DE">
<meta property="article:published_time" content="2023-07-01T06:00:00Z">
<meta property="article:modified_time" content="2023-07-02T08:00:00Z">
<meta property="article:author" content="https://weather.example/authors/x">
<meta name="author" content="Max Mustermann &amp; Erika Musterfrau">
<meta property="article:tag" content="Rain"><meta property="article:tag" content="Forecast">
</head><body><div class="content"><p>PARA</p><p>Also: PARA</p></div></body></html>""".replace("PARA", PARAGRAPH)


def test_jsonld_graph_page() -> None:
    meta = extract_metadata(GRAPH_PAGE.encode(), url="https://example.org/news/budget?ref=x")
    assert meta.title == "Council approves budget"
    assert meta.authors == ("Jane Doe", "John Roe")
    assert meta.published_at == dt.datetime(2024, 3, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert meta.modified_at == dt.datetime(2024, 3, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert meta.lead_image_url == "https://example.org/img/lead.jpg"
    assert meta.canonical_url == "https://example.org/news/budget"
    assert meta.site_name == "Town Herald"
    assert meta.language == "en-GB"
    assert meta.topics == ("budget", "council")
    assert meta.description == "The budget passed."
    lines = meta.text.splitlines()
    assert lines == [PARAGRAPH, f"Second: {PARAGRAPH}", "What happens next", f"Third: {PARAGRAPH}"]
    assert "Home" not in meta.text
    assert "Copyright" not in meta.text


def test_open_graph_only_page() -> None:
    meta = extract_metadata(OG_PAGE.encode(), url="https://weather.example/2023/07/01/rain?x=1")
    assert meta.title == "Rain expected all week"
    assert meta.description == "Forecasters say so."
    assert meta.site_name == "Weather Daily"
    assert meta.lead_image_url == "https://weather.example/2023/07/images/rain.png"
    assert meta.canonical_url == "https://weather.example/2023/07/01/rain"
    assert meta.language == "de-DE"
    assert meta.published_at == dt.datetime(2023, 7, 1, 6, 0, tzinfo=dt.UTC)
    assert meta.modified_at == dt.datetime(2023, 7, 2, 8, 0, tzinfo=dt.UTC)
    assert meta.authors == ("Max Mustermann", "Erika Musterfrau")
    assert meta.topics == ("Rain", "Forecast")
    assert meta.text.splitlines() == [PARAGRAPH, f"Also: {PARAGRAPH}"]


def test_meta_value_attribute_is_accepted() -> None:
    page = b'<html><head><meta name="description" value="Told with value.">'
    page += b'<meta property="og:title" value="T"></head></html>'
    meta = extract_metadata(page)
    assert meta.description == "Told with value."
    assert meta.title == "T"


def test_broken_jsonld_falls_back_to_meta() -> None:
    page = b"""<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>
    <script type="application/ld+json">[1, 2, {"@type": "Thing"}, null, "x"]</script>
    <meta property="og:title" content="Fallback title"><title>Fallback title - Site</title></head>
    <body><h1>Fallback title</h1></body></html>"""
    meta = extract_metadata(page)
    assert meta.title == "Fallback title"


def test_jsonld_trailing_comma_and_cdata_are_tolerated() -> None:
    page = b"""<html><head><script type="application/ld+json">//<![CDATA[
    {"@type": "Article", "headline": "Lenient", "author": {"@type": "Person", "name": "A. Smith"},}
    //]]></script></head><body></body></html>"""
    meta = extract_metadata(page)
    assert meta.title == "Lenient"
    assert meta.authors == ("A. Smith",)


def test_title_site_suffix_removed_from_document_title() -> None:
    page = b"<html><head><title>Big news today | Example Times</title>"
    page += b'<meta property="og:site_name" content="Example Times"></head><body></body></html>'
    assert extract_metadata(page).title == "Big news today"


def test_relative_lead_image_resolved_against_base_href() -> None:
    page = b'<html><head><base href="https://cdn.example.net/static/">'
    page += b'<meta property="og:image" content="a/b.jpg"></head></html>'
    meta = extract_metadata(page, url="https://www.example.net/story/1")
    assert meta.lead_image_url == "https://cdn.example.net/static/a/b.jpg"


def test_published_not_taken_from_modified() -> None:
    page = b'<html><head><meta property="article:modified_time" content="2022-01-02T03:04:05+00:00"></head></html>'
    meta = extract_metadata(page)
    assert meta.published_at is None
    assert meta.modified_at == dt.datetime(2022, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_windows_1252_with_declaration() -> None:
    page = '<html><head><meta charset="windows-1252"><title>Caf\u00e9 \u201cnews\u201d</title></head></html>'
    meta = extract_metadata(page.encode("cp1252"))
    assert meta.title == "Caf\u00e9 \u201cnews\u201d"


def test_windows_1252_without_declaration() -> None:
    body = "<html><body><p>Gr\u00fc\u00dfe aus K\u00f6ln, sch\u00f6ne Gr\u00fc\u00dfe und viel Spa\u00df.</p>"
    text = decode_html(body.encode("cp1252"), None)
    assert "Gr\u00fc\u00dfe aus K\u00f6ln" in text


def test_utf8_declared_but_cp1252_bytes() -> None:
    body = '<html><head><meta charset="utf-8"></head><body>na\u00efve caf\u00e9</body></html>'.encode("cp1252")
    assert "na\u00efve caf\u00e9" in decode_html(body, "text/html; charset=utf-8")


def test_header_charset_wins_over_guessing() -> None:
    body = "<p>\u0416\u0443\u0440\u043d\u0430\u043b</p>".encode("koi8-r")
    assert "\u0416\u0443\u0440\u043d\u0430\u043b" in decode_html(body, "text/html; charset=KOI8-R")


@pytest.mark.parametrize("body", [b"", b"\x00\xff\xfe garbage \x80", b"<", b"<html><head><meta charset=bogus>"])
def test_garbage_never_raises(body: bytes) -> None:
    assert isinstance(decode_html(body, "text/html; charset=nonsense"), str)
    assert extract_metadata(body, url="not a url", content_type="text/html; charset=nonsense").text is not None


def test_empty_body() -> None:
    assert extract_metadata(b"") == extract_metadata(b"   ")


def test_deeply_nested_page() -> None:
    page = "<html><body>" + "<div>" * 10_000 + f"<p>{PARAGRAPH}</p>" + "</div>" * 10_000 + "</body></html>"
    start = time.perf_counter()
    meta = extract_metadata(page.encode())
    assert time.perf_counter() - start < 10
    assert PARAGRAPH in meta.text


def test_deeply_nested_jsonld() -> None:
    nested = '{"a":' * 10_000 + "1" + "}" * 10_000
    page = f'<html><head><script type="application/ld+json">{nested}</script><title>Deep</title></head></html>'
    assert extract_metadata(page.encode()).title == "Deep"


def test_ten_megabyte_single_line_page() -> None:
    page = "<html><head><title>Huge</title></head><body><p>" + "word, " * 1_750_000 + "</p></body></html>"
    assert len(page) > 10_000_000
    start = time.perf_counter()
    meta = extract_metadata(page.encode())
    assert time.perf_counter() - start < 20
    assert meta.title == "Huge"
    assert meta.text.startswith("word, word")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019-05-12T10:00:00+02:00", dt.datetime(2019, 5, 12, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
        ("2019-05-12T10:00:00.5Z", dt.datetime(2019, 5, 12, 10, 0, 0, 500000, tzinfo=dt.UTC)),
        ("2019-05-12", dt.date(2019, 5, 12)),
        ("2019-05-12 10:00", dt.datetime(2019, 5, 12, 10, 0)),
        ("Sun, 12 May 2019 10:00:00 -0400", dt.datetime(2019, 5, 12, 10, tzinfo=dt.timezone(-dt.timedelta(hours=4)))),
        ("May 12, 2019", dt.date(2019, 5, 12)),
        ("12. Mai 2019", dt.date(2019, 5, 12)),
        ("12.05.2019", dt.date(2019, 5, 12)),
        ("not a date", None),
        ("2019-13-45", None),
    ],
)
def test_parse_machine_date(raw: str, expected: dt.date | None) -> None:
    assert parse_machine_date(raw) == expected


@pytest.mark.parametrize(
    ("raws", "expected"),
    [
        (["By Jane Doe and John Roe"], ("Jane Doe", "John Roe")),
        (["Jane Doe, Staff Writer"], ("Jane Doe",)),
        (["By Jane Doe | Updated May 3, 2024"], ("Jane Doe",)),
        (["Jane Doe", "jane doe", "John Roe & Ann Poe"], ("Jane Doe", "John Roe", "Ann Poe")),
        (["https://example.org/author/jane"], ()),
        (["Von Erika Musterfrau"], ("Erika Musterfrau",)),
    ],
)
def test_clean_authors(raws: list[str], expected: tuple[str, ...]) -> None:
    assert clean_authors(raws) == expected


# ---------------------------------------------------------------- real pages


def _records() -> tuple[dict[str, Any], ...]:
    return realdata.records()[::4]  # a fixed, spread-out sample keeps the test quick


def _norm(value: object) -> str:
    return " ".join(str(value).casefold().split()) if value else ""


def _day(value: dt.date | None) -> str | None:
    return value.isoformat()[:10] if value is not None else None


@pytest.fixture(scope="module")
def real_results() -> list[tuple[dict[str, Any], Any]]:
    out = []
    for record in _records():
        body = realdata.page_bytes(record)
        out.append((record, extract_metadata(body, url=record.get("url"))))
    return out


def _fraction(hits: list[bool]) -> float:
    assert hits, "sample has no labelled records for this field"
    return sum(hits) / len(hits)


def test_real_pages_titles(real_results: list[tuple[dict[str, Any], Any]]) -> None:
    hits = [_norm(meta.title) == _norm(rec["truth"]["title"]) for rec, meta in real_results if "title" in rec["truth"]]
    assert _fraction(hits) >= 0.80


def test_real_pages_published_day(real_results: list[tuple[dict[str, Any], Any]]) -> None:
    hits = [
        _day(meta.published_at) == rec["truth"]["published"][:10]
        for rec, meta in real_results
        if "published" in rec["truth"]
    ]
    assert _fraction(hits) >= 0.85


def test_real_pages_authors(real_results: list[tuple[dict[str, Any], Any]]) -> None:
    hits = [
        bool({_norm(a) for a in meta.authors} & {_norm(a) for a in rec["truth"]["authors"]})
        for rec, meta in real_results
        if rec["truth"].get("authors")
    ]
    assert _fraction(hits) >= 0.79


def test_real_pages_text_snippets(real_results: list[tuple[dict[str, Any], Any]]) -> None:
    hits = [
        " ".join(snippet.split()) in " ".join(meta.text.split())
        for rec, meta in real_results
        for snippet in rec["truth"].get("text_with", ())
    ]
    assert _fraction(hits) >= 0.83


def test_real_pages_never_raise_and_are_fast(real_results: list[tuple[dict[str, Any], Any]]) -> None:
    timings = []
    for record, _ in real_results[:100]:
        body = realdata.page_bytes(record)
        start = time.perf_counter()
        extract_metadata(body, url=record.get("url"))
        timings.append(time.perf_counter() - start)
    timings.sort()
    assert timings[len(timings) // 2] < 0.05
