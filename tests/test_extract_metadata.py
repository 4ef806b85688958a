"""Unit tests for the metadata rules of the extractor (title, dates, authors, description), over
small hand-written pages, plus a guard that no extractor module names a host or special-cases a page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.extract import extract_metadata
from crawler.extract_byline import byline_text
from crawler.extract_page import match_key, read_page
from crawler.extract_people import clean_authors
from crawler.models import PageMetadata

CRAWLER = Path(__file__).resolve().parents[1] / "crawler"
EXTRACTOR_MODULES = [*sorted(CRAWLER.glob("extract*.py")), CRAWLER / "charset.py"]
DOMAIN_LITERAL = re.compile(
    r"\b[a-z0-9-]+\.(?:com|org|net|de|fr|co\.uk|ch|at|it|es|io|info|jp|cn|ru|nl|be|uk|us|news)\b", re.IGNORECASE
)
STRING_LITERAL = re.compile(r"(?s)(\"\"\".*?\"\"\"|'''.*?'''|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')")


def page(
    head: str = "", body: str = "", url: str | None = "https://news.example/2024/01/02/story"
) -> dict[str, object]:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    meta = extract_metadata(html.encode(), url=url)
    return {field: getattr(meta, field) for field in ("title", "authors", "published_at", "description")}


# ---------------------------------------------------------------- guard


@pytest.mark.parametrize("path", EXTRACTOR_MODULES, ids=lambda p: p.name)
def test_no_host_names_in_extractor_source(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    literals = [m.group(0) for m in STRING_LITERAL.finditer(source) if not m.group(0).startswith(('"""', "'''"))]
    offending = [lit for lit in literals if DOMAIN_LITERAL.search(lit)]
    assert not offending, f"{path.name} names hosts: {offending}"


def test_guard_catches_a_domain_literal() -> None:
    assert DOMAIN_LITERAL.search('"www.example.co.uk"')
    assert not DOMAIN_LITERAL.search('"og:site_name"')


def test_match_key_ignores_case_spacing_and_punctuation() -> None:
    assert match_key("LTE-Patent : Samsung") == match_key("lte-patent: samsung")


# ---------------------------------------------------------------- titles


def test_title_site_suffix_removed_from_jsonld_headline() -> None:
    head = (
        '<meta property="og:site_name" content="Tech Daily">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Chips get faster - Tech Daily"}'
        "</script>"
    )
    assert page(head)["title"] == "Chips get faster"


def test_title_visible_h1_confirmed_by_metadata_beats_jsonld() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "SEO headline for search"}</script>'
        '<meta property="og:title" content="The real headline">'
    )
    assert page(head, "<h1>The real headline</h1>")["title"] == "The real headline"


def test_title_h1_naming_the_site_is_skipped() -> None:
    head = '<meta property="og:site_name" content="My Blog"><title>A post about rain | My Blog</title>'
    body = "<h1>My Blog</h1><h2>A post about rain</h2>"
    assert page(head, body)["title"] == "A post about rain"


def test_title_spacing_differences_match_and_metadata_spelling_wins() -> None:
    head = '<meta property="og:title" content="Patent: Phones to be destroyed - Gadget News">'
    head += '<meta property="og:site_name" content="Gadget News">'
    assert page(head, "<h1>Patent : Phones to be destroyed</h1>")["title"] == "Patent: Phones to be destroyed"


def test_title_extra_section_segment_dropped_when_another_source_omits_it() -> None:
    head = '<title>Storm hits coast | Weather | Coast Post</title><meta property="og:title" content="Storm hits coast">'
    assert page(head, "<h1>Storm hits the coast today</h1>")["title"] == "Storm hits coast"


def test_title_host_name_suffix_removed() -> None:
    assert page("<title>Budget approved | Herald</title>", url="https://www.herald.example/a")["title"] == (
        "Budget approved"
    )


# ---------------------------------------------------------------- dates


def test_utc_stamp_rewritten_in_local_offset_from_naive_twin() -> None:
    head = (
        '<meta property="article:published_time" content="2023-11-09T03:28:35+00:00">'
        '<meta name="sailthru.date" content="2023-11-08 22:28:35">'
    )
    published = page(head)["published_at"]
    assert isinstance(published, dt.datetime)
    assert published.isoformat() == "2023-11-08T22:28:35-05:00"


def test_utc_stamp_rewritten_from_time_element_with_offset() -> None:
    head = '<meta property="article:published_time" content="2022-05-04T03:37:37+00:00">'
    body = '<h1>Story</h1><time datetime="2022-05-03T23:37:37-04:00">3 May 2022</time>'
    published = page(head, body)["published_at"]
    assert isinstance(published, dt.datetime)
    assert published.utcoffset() == dt.timedelta(hours=-4)
    assert published.date() == dt.date(2022, 5, 3)


def test_printed_day_wins_over_utc_stamp_one_day_off() -> None:
    head = '<meta property="article:published_time" content="2023-11-09T01:49:09Z">'
    published = page(head, "<h1>Story</h1>", url="https://news.example/2023/11/08/story")["published_at"]
    assert published == dt.date(2023, 11, 8)


def test_utc_stamp_kept_when_printed_day_agrees() -> None:
    head = '<meta property="article:published_time" content="2023-11-08T12:00:00Z">'
    published = page(head, "<h1>Story</h1>", url="https://news.example/2023/11/08/story")["published_at"]
    assert published == dt.datetime(2023, 11, 8, 12, tzinfo=dt.UTC)


def test_page_offset_kept() -> None:
    head = '<meta property="article:published_time" content="2024-03-05T23:30:00+01:00">'
    published = page(head)["published_at"]
    assert isinstance(published, dt.datetime)
    assert published.utcoffset() == dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "<div>Menu</div><h1>Story</h1><p>Datum: 18.10.2021</p><p>Im Mai 2020 geschah viel.</p>",
            dt.date(2021, 10, 18),
        ),
        ("<h1>Story</h1><p>Published on March 5, 2019</p>", dt.date(2019, 3, 5)),
        ("<h1>Story</h1><p>Publié le 5 mars 2019</p>", dt.date(2019, 3, 5)),
        ("<h1>Story</h1><p>Publicado el 5 de marzo de 2019</p>", dt.date(2019, 3, 5)),
        ("<h1>Story</h1><p>Veröffentlicht am 5. März 2019</p>", dt.date(2019, 3, 5)),
    ],
)
def test_labelled_printed_dates(body: str, expected: dt.date) -> None:
    assert page("", body, url=None)["published_at"] == expected


def test_date_after_the_headline_not_the_logo_heading() -> None:
    body = "<h1>Site</h1><nav>" + "Menu entry " * 50 + "</nav><h1>Real story</h1><p>12.03.2020</p>"
    assert page("<title>Real story</title>", body, url=None)["published_at"] == dt.date(2020, 3, 12)


def test_modified_never_used_for_published() -> None:
    head = '<meta property="article:modified_time" content="2024-01-05T10:00:00Z">'
    assert page(head, url=None)["published_at"] is None


# ---------------------------------------------------------------- authors and description


def test_author_naming_the_site_passed_over_for_a_byline() -> None:
    head = '<meta property="og:site_name" content="Town Herald"><meta name="author" content="Town Herald">'
    assert page(head, '<p class="byline">By Jane Doe</p>')["authors"] == ("Jane Doe",)


def test_author_naming_the_site_kept_when_nothing_else() -> None:
    head = '<meta property="og:site_name" content="Town Herald"><meta name="author" content="Town Herald">'
    assert page(head)["authors"] == ("Town Herald",)


@pytest.mark.parametrize("raw", ["~ Cem Basman", "No Author", "wordpressadmin"])
def test_author_noise(raw: str) -> None:
    authors = page(f'<meta name="author" content="{raw}">')["authors"]
    assert authors == (("Cem Basman",) if "Cem" in raw else ())


def test_description_prefers_open_graph() -> None:
    head = '<meta name="description" content="SEO text"><meta property="og:description" content="The standfirst.">'
    assert page(head)["description"] == "The standfirst."


# ---------------------------------------------------------------- rules added in the second round


def test_legacy_charset_declared_but_bytes_are_utf8() -> None:
    from crawler.charset import decode_html

    body = '<html><head><meta charset="gb2312"><title>人民网 新闻</title></head></html>'.encode()
    assert "人民网 新闻" in decode_html(body, None)


def test_header_charset_still_wins_over_utf8_looking_bytes() -> None:
    from crawler.charset import decode_html

    body = "<p>Caf\u00e9</p>".encode()
    assert "Caf\u00c3\u00a9" in decode_html(body, "text/html; charset=windows-1252")


def test_byline_hcard_inside_author_block() -> None:
    body = '<h1>Story</h1><span class="author vcard"><a class="url fn n" href="/x">Support Team</a></span>'
    assert page("", body)["authors"] == ("Support Team",)


def test_byline_label_and_date_removed() -> None:
    body = '<h1>Story</h1><div class="post-date-author">Veröffentlicht am 8. Februar 2022 von <a>PETA-Team</a></div>'
    assert page("", body)["authors"] == ("PETA-Team",)


def test_byline_in_comments_is_skipped() -> None:
    body = '<h1>Story</h1><ol class="comment-list"><li><span class="comment-author"><b class="fn">Kim Roe</b></span>'
    assert page("", body)["authors"] == ()


def test_byline_lone_newsroom_name_kept_but_label_prefix_dropped() -> None:
    assert page("", '<h1>Story</h1><span class="Post__author">Redaktion</span>')["authors"] == ("Redaktion",)
    body = '<h1>Story</h1><span class="article-author">Redaktion: Eberhard Fuhr</span>'
    assert page("", body)["authors"] == ("Eberhard Fuhr",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Gespeichert von rasos am 24. Juli 2017 - 18:55", "rasos"),
        ("Ein Artikel von Pamela Sladky | 27.01.2022 - 12:45", "Pamela Sladky"),
        ("Datum: 19.11.2021 Autor: Fritz Imhof Quelle: Livenet", "Fritz Imhof"),
        ("Posted by Konstantin @ 12:00 am", "Konstantin"),
    ],
)
def test_byline_text(raw: str, expected: str) -> None:
    from crawler.extract_byline import byline_text

    assert byline_text(raw) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<h1>Story</h1><p>2019年04月21日 12時00分更新</p>", dt.datetime(2019, 4, 21, 12, 0)),
        ("<h1>Story</h1><p>duminică, 20 septembrie 2020</p>", dt.date(2020, 9, 20)),
        ('<h1>Story</h1><span class="date">Do 25.04.24 | 14:07 Uhr</span>', dt.date(2024, 4, 25)),
        ("<h1>Story</h1><p>Datum: 31.10.23</p>", dt.date(2023, 10, 31)),
        ("<h1>Story</h1><p>Text.</p><footer>Aktualisiert: 30.12.2016</footer>", dt.date(2016, 12, 30)),
    ],
)
def test_cjk_other_month_names_short_years_and_updated_fallback(body: str, expected: dt.date) -> None:
    assert page("", body, url=None)["published_at"] == expected


def test_two_digit_year_not_read_in_free_text() -> None:
    assert page("", "<h1>Story</h1><p>Version 4.10.21 is out.</p>", url=None)["published_at"] is None


def test_updated_label_never_beats_a_publication_label() -> None:
    body = "<h1>Story</h1><p>Updated: 5 May 2021</p><p>Published: 3 May 2021</p>"
    assert page("", body, url=None)["published_at"] == dt.date(2021, 5, 3)


def test_label_must_be_a_whole_word() -> None:
    body = "<h1>Story</h1><p>Candidates 12.03.2020 list; updates 1 May 2020</p>"
    assert page("", body, url=None)["published_at"] == dt.date(2020, 3, 12)  # the text date, not a label


def test_title_site_segment_in_the_middle_drops_the_tagline() -> None:
    head = '<meta property="og:site_name" content="Fish Weekly">'
    head += "<title>Pike in winter | Fish Weekly | Your magazine</title>"
    assert page(head, url=None)["title"] == "Pike in winter"


def test_title_segment_shown_as_a_lower_heading_drops_the_rest() -> None:
    head = "<title>Spring cleaning for the garden | Notes from Elm Street</title>"
    body = "<h2>Spring cleaning for the garden</h2><p>Text of the post.</p>"
    assert page(head, body)["title"] == "Spring cleaning for the garden"


def test_title_dangling_separator_removed() -> None:
    assert page("<title>Horses at the games -</title>", url=None)["title"] == "Horses at the games"


# ---------------------------------------------------------------- rules added in the third round


def meta_of(head: str = "", body: str = "", url: str | None = "https://news.example/a/story") -> PageMetadata:
    return extract_metadata(f"<html><head>{head}</head><body>{body}</body></html>".encode(), url=url)


OG_DESC = '<meta property="og:description" content="{}">'
META_DESC = '<meta name="description" content="{}">'


def test_description_with_markup_passed_over() -> None:
    head = OG_DESC.format("&lt;p&gt;Broken export of the summary.&lt;/p&gt;") + META_DESC.format("Clean summary.")
    assert page(head)["description"] == "Clean summary."


def test_description_naming_only_the_site_passed_over() -> None:
    head = '<meta property="og:site_name" content="Gadget Daily">' + OG_DESC.format("Gadget Daily")
    assert page(head + META_DESC.format("Phones got cheaper."))["description"] == "Phones got cheaper."


def test_description_with_bare_url_passed_over_for_a_clean_one() -> None:
    head = OG_DESC.format("Watch https://video.example/x and read on.") + META_DESC.format("A clean excerpt.")
    assert page(head)["description"] == "A clean excerpt."


def test_description_two_agreeing_sources_beat_a_lone_first_one() -> None:
    head = (
        OG_DESC.format("Social teaser text that differs.")
        + META_DESC.format("The agreed summary of the story.")
        + '<script type="application/ld+json">'
        '{"@type": "NewsArticle", "description": "The agreed summary of the story."}</script>'
    )
    assert page(head)["description"] == "The agreed summary of the story."


def test_description_short_open_graph_teaser_gives_way_to_long_meta() -> None:
    long = "The council voted on Tuesday to close the old bridge for two years of repairs starting in May."
    assert page(OG_DESC.format("Bridge closes.") + META_DESC.format(long))["description"] == long


def test_description_standfirst_completes_a_cut_meta_description() -> None:
    body = (
        "<h1>Bridge closes</h1><p class='article-teaser'>The council voted to close the old bridge. "
        "Repairs start in May.</p><p>Body text.</p>"
    )
    head = META_DESC.format("The council voted to close the old bridge.")
    assert page(head, body)["description"] == "The council voted to close the old bridge. Repairs start in May."


def test_description_falls_back_to_the_first_prose_paragraph() -> None:
    body = (
        "<article><h1>Bridge closes</h1><h2>A short heading</h2>"
        "<p>The council voted on Tuesday to close the old bridge for repairs.</p>"
        "<p>Second paragraph of the article goes here and is long enough.</p></article>"
    )
    assert page("", body)["description"] == "The council voted on Tuesday to close the old bridge for repairs."


def test_description_stray_quote_and_link_marker_removed() -> None:
    assert page(META_DESC.format("&quot; A cake for everyone. [DETAILS]"))["description"] == "A cake for everyone."


def test_description_of_two_cut_texts_the_shorter_wins() -> None:
    opening = "The council voted on Tuesday to close the old bridge for two years of repairs"
    head = OG_DESC.format(opening + ", starting in May, while the ferry ...") + META_DESC.format(opening + ", sta...")
    assert page(head)["description"] == opening + ", sta..."


def test_description_short_open_graph_text_gives_way_to_meta_that_extends_it() -> None:
    head = OG_DESC.format("Bridge closes for repairs in May") + META_DESC.format(
        "Bridge closes for repairs in May, council says"
    )
    assert page(head)["description"] == "Bridge closes for repairs in May, council says"


HERO = (
    '<article><h1>Story</h1><img src="/img/logo.png" class="site-logo">'
    '<figure><img src="/img/8406340-640x360.jpg" srcset="/img/8406340-640x360.jpg 640w, '
    '/img/8406340-1920x1080.jpg 1920w, /img/8406340-1280x720.jpg 1280w"></figure></article>'
)


def test_lead_image_article_rendition_of_the_og_image_wins_and_is_largest() -> None:
    head = '<meta property="og:image" content="https://cdn.example/img/8406340-1200x675.jpg">'
    assert meta_of(head, HERO).lead_image_url == "https://news.example/img/8406340-1920x1080.jpg"


def test_lead_image_other_article_picture_does_not_replace_og_image() -> None:
    head = '<meta property="og:image" content="https://cdn.example/social/7777777-share.jpg">'
    assert meta_of(head, HERO).lead_image_url == "https://cdn.example/social/7777777-share.jpg"


def test_lead_image_without_metadata_is_the_first_article_picture_not_a_logo() -> None:
    assert meta_of("", HERO).lead_image_url == "https://news.example/img/8406340-1920x1080.jpg"


def test_lead_image_jpeg_preferred_over_webp_at_equal_size() -> None:
    body = (
        '<article><picture><source type="image/webp" srcset="/p/5551234_1600.webp 1600w">'
        '<source type="image/jpeg" srcset="/p/5551234_1600.jpeg 1600w"><img src="/p/5551234_800.jpeg"></picture>'
        "</article>"
    )
    assert meta_of("", body).lead_image_url == "https://news.example/p/5551234_1600.jpeg"


def test_site_name_jsonld_publisher_first_and_domain_ending_dropped() -> None:
    ld = '<script type="application/ld+json">{{"@type": "NewsArticle", "publisher": {{"name": "{}"}}}}</script>'
    og = '<meta property="og:site_name" content="{}">'
    assert meta_of(ld.format("Daily Planet") + og.format("Planet Blog")).site_name == "Daily Planet"
    assert meta_of(ld.format("Libération") + og.format("Libération.fr")).site_name == "Libération"
    assert meta_of(ld.format("Salon.com") + og.format("Salon")).site_name == "Salon"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Martin Junker Chefredakteur", ("Martin Junker",)),
        ("Grant Tinsley, PhD", ("Grant Tinsley",)),
        ("vom Support Team", ("Support Team",)),
        ("Donnerstag", ()),
    ],
)
def test_author_trailing_roles_degrees_and_weekdays(raw: str, expected: tuple[str, ...]) -> None:
    assert clean_authors([raw]) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Isabella Bianco am Samstag", "Isabella Bianco"), ("Tomas Spahn Fr, 18. Oktober", "Tomas Spahn")],
)
def test_byline_weekday_after_the_name_cut(raw: str, expected: str) -> None:
    assert byline_text(raw) == expected


@pytest.mark.parametrize(
    "site_author",
    ["Pink Mag \u2013 Das Magazin f\u00fcr alle", "pinkmag.de", "Pink Mag Stiftung e.V."],
)
def test_author_naming_the_site_or_an_organisation_passed_over(site_author: str) -> None:
    head = f'<meta name="author" content="{site_author}"><meta name="dc.creator" content="Claudia Lind">'
    assert page(head, url="https://www.pinkmag.de/a/story")["authors"] == ("Claudia Lind",)


def test_visible_text_keeps_a_noscript_that_swallowed_the_page_and_drops_notices() -> None:
    """An unclosed element inside <noscript> makes the parser put the rest of the page in it."""
    story = "The council approved the new budget after a long debate about the harbour. " * 6
    html = (
        "<html><body><noscript><img src='/pixel.gif'> Please enable JavaScript.</noscript>"
        f"<noscript><div class='wrap'><p>Posted on 3 March 2021</p><p>{story}</p></body></html>"
    )
    text = read_page(LexborHTMLParser(html), "https://news.example/a").visible_text
    assert "The council approved the new budget" in text and "3 March 2021" in text
    assert "enable JavaScript" not in text


def test_read_page_reads_each_element_once() -> None:
    """Elements matching two of the walk's selectors (a <meta> or <h1> with itemprop) count once."""
    html = (
        "<html><head><meta itemprop='name' content='Story'></head><body>"
        "<h1 itemprop='headline'>Story</h1><a rel='tag' itemprop='about' href='/t'>Harbour</a></body></html>"
    )
    page = read_page(LexborHTMLParser(html), "https://news.example/a")
    assert page.meta["name"] == ["Story"]
    assert len(page.all_headings) == 1 and len(page.tag_links) == 1
    assert page.itemprop("headline") == "Story"
