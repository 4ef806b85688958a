"""Rules of the headline resolver (``crawler.extract_title``) on small hand-written pages, and on a few
real pages of the shared evaluation corpus (skipped when that corpus is absent)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.charset import decode_html
from crawler.extract_page import read_page
from crawler.extract_title import site_name, title
from crawler.extract_title_heading import heading_core
from crawler.extract_title_site import SiteNames, drop_extra_segments
from tests import realdata
from tests.realdata import REALDATA

URL = "https://news.example/2024/05/06/story"


def headline(head: str = "", body: str = "", url: str | None = URL) -> str | None:
    page = read_page(LexborHTMLParser(f"<html><head>{head}</head><body>{body}</body></html>"), url)
    return title(page, site_name(page))


def core(h1: str) -> str:
    node = LexborHTMLParser(f"<html><body>{h1}</body></html>").css_first("h1")
    assert node is not None
    return heading_core(node, " ".join(node.text(separator=" ").split()))


# ---------------------------------------------------------------- the headline inside an <h1>


def test_core_drops_a_leading_kicker_element() -> None:
    assert core('<h1><span class="roofline">Olympic Games</span> Drinks shipped into town</h1>') == (
        "Drinks shipped into town"
    )


def test_core_drops_a_kicker_and_the_wordless_separator_after_it() -> None:
    h1 = "<h1><span>Patent row</span><span>: </span><span>Phones to be destroyed</span></h1>"
    assert core(h1) == "Phones to be destroyed"


def test_core_drops_a_trailing_date_line() -> None:
    assert core("<h1>Fans are back in the halls<br><small>02.02.2022 • News</small></h1>") == (
        "Fans are back in the halls"
    )


def test_core_drops_hidden_text_and_looks_through_wrappers() -> None:
    h1 = '<h1><div><span class="visuallyhidden">Headline:</span> Energy and society</div></h1>'
    assert core(h1) == "Energy and society"
    assert core('<h1>Things we hear<span class="element-invisible"> | Other Site</span></h1>') == "Things we hear"


def test_core_keeps_inline_markup_and_a_styled_first_word() -> None:
    assert core("<h1>Plain <b>bold</b> headline</h1>") == "Plain bold headline"
    assert core('<h1><span class="first">Quarrel</span> between neighbours escalates</h1>') == (
        "Quarrel between neighbours escalates"
    )


def test_core_of_a_one_piece_heading_is_the_heading() -> None:
    assert core("<h1>  Rain  expected all week </h1>") == "Rain expected all week"


# ---------------------------------------------------------------- step 1: a heading confirms metadata


def test_kicker_heading_confirmed_by_its_headline_alone_gives_the_metadata_title() -> None:
    head = '<meta property="og:title" content="Why thinking together beats smarts">'
    body = '<h1><span class="kicker">Open Progress</span><br><span>Why thinking together beats smarts</span></h1>'
    assert headline(head, body) == "Why thinking together beats smarts"


def test_kicker_heading_matching_kicker_dash_headline_gives_the_headline() -> None:
    head = '<meta property="og:title" content="Olympic Games in Paris - Drinks shipped into town">'
    body = '<h1><span class="subtitle">Olympic Games in Paris</span> Drinks shipped into town</h1>'
    assert headline(head, body) == "Drinks shipped into town"


def test_kicker_heading_matching_kicker_colon_headline_keeps_the_whole_title() -> None:
    head = '<meta property="og:title" content="Patent row: Phones to be destroyed">'
    body = "<h1><span>Patent row</span><span>: </span><span>Phones to be destroyed</span></h1>"
    assert headline(head, body) == "Patent row: Phones to be destroyed"


def test_hidden_heading_is_not_a_headline() -> None:
    head = '<meta property="og:title" content="The first electron counts">'
    body = '<h1 class="header hidden">News</h1><h1>The first electron counts</h1>'
    assert headline(head, body) == "The first electron counts"


def test_class_hiding_the_heading_on_some_screens_only_does_not_hide_it() -> None:
    head = '<meta property="og:title" content="Rain expected all week">'
    assert headline(head, '<h1 class="hidden-lg">Rain expected all week</h1>') == "Rain expected all week"
    assert headline("", '<h1 class="sr-only">Site</h1><h1 class="overflow-hidden">Rain expected</h1>') == (
        "Rain expected"
    )


# ---------------------------------------------------------------- site names in titles


def test_home_link_heading_names_the_site_and_its_segment_is_dropped() -> None:
    head = "<title>A strange music video : Crime Blog Archive | Notes on a genre | Since 2005</title>"
    body = '<h1 class="vcard"><a href="http://blog.example/" title="Home">Crime Blog Archive</a></h1>'
    assert headline(head, body, url="http://archive.blog.example/2895") == "A strange music video"


def test_link_to_the_story_itself_is_a_headline_not_a_site_name() -> None:
    body = '<h1><a href="/2024/05/06/story">Council approves budget</a></h1>'
    assert headline("<title>Council approves budget | Town Herald</title>", body) == "Council approves budget"
    assert headline("", '<h1><a href="#">Council approves budget</a></h1>') == "Council approves budget"


def test_site_name_after_a_full_width_bar_is_dropped() -> None:
    head = '<meta property="og:site_name" content="Gadget Wire">'
    head += "<title>Scrap the news with a pen \uff5c Gadget Wire</title>"
    assert headline(head) == "Scrap the news with a pen"


def test_site_name_written_on_without_spaces_is_dropped() -> None:
    head = '<meta property="og:site_name" content="phpdiary"><title>Draw trees like mind maps:phpdiary</title>'
    assert headline(head) == "Draw trees like mind maps"


def test_hyphenated_word_ending_in_the_site_name_is_kept() -> None:
    assert SiteNames(["News"]).strip_from("Corona-News") == "Corona-News"
    assert SiteNames(["News"]).strip_from("Corona update_News") == "Corona update"


def test_section_written_on_without_spaces_is_dropped_when_another_source_omits_it() -> None:
    assert drop_extra_segments(["Ministers fall out-Politics", "Ministers fall out"]) == ["Ministers fall out"] * 2
    head = (
        '<meta property="og:title" content="Ministers fall out-Politics">'
        '<meta itemprop="headline" content="Ministers fall out">'
    )
    assert headline(head) == "Ministers fall out"


def test_space_colon_space_separates_a_site_segment() -> None:
    assert SiteNames(["Krimi Blog"]).strip_from("Music video of the year : Krimi Blog") == "Music video of the year"


def test_one_word_heading_that_is_the_title_s_leading_segment() -> None:
    assert headline("<title>HE:Kassel/Stammtisch \u2013 Pirate Wiki</title>", "<h1>HE:Kassel/Stammtisch</h1>") == (
        "HE:Kassel/Stammtisch"
    )


def test_trailing_segment_shown_as_a_lower_heading() -> None:
    head = "<title>Four Years Left » Blog Archive » Interning of small integers</title>"
    body = '<h1><a href="http://four.example">Four Years Left</a></h1><h2>Interning of small integers</h2>'
    assert headline(head, body, url="http://four.example/post") == "Interning of small integers"


def test_when_everything_names_the_site_a_heading_is_still_returned() -> None:
    head = (
        '<meta property="og:site_name" content="Calm through the crisis | The Weekly">'
        '<meta property="og:title" content="Calm through the crisis">'
    )
    assert headline(head, "<h1>Calm through the crisis</h1>") == "Calm through the crisis"


# ---------------------------------------------------------------- steps 4 and 5: nothing confirms


def test_only_h1_beats_a_metadata_title_written_one_way_when_they_share_a_word() -> None:
    head = (
        '<meta property="og:title" content="Brexit: war of nerves enters next round">'
        "<title>Brexit: war of nerves enters next round</title>"
    )
    assert headline(head, "<h1>The Brexit war of nerves goes into the next round</h1>") == (
        "The Brexit war of nerves goes into the next round"
    )


def test_word_inside_a_longer_word_counts_as_shared() -> None:
    assert headline("<title>Geschichte - Knabenchor Ulm</title>", "<h1>Chorgeschichte</h1>", url=None) == (
        "Chorgeschichte"
    )


def test_one_word_h1_that_opens_the_title_is_a_section_not_the_headline() -> None:
    assert headline("<title>Sport: Rovers win the cup</title>", "<h1>Sport</h1>") == "Sport: Rovers win the cup"


def test_metadata_wins_over_an_h1_without_a_shared_word() -> None:
    assert headline("<title>Hazardous goods service</title>", "<h1>We keep the overview</h1>") == (
        "Hazardous goods service"
    )


def test_metadata_written_two_ways_wins_over_an_unconfirmed_h1() -> None:
    head = '<meta property="og:title" content="Storm hits coast"><title>Storm hits coast | Weather | Coast Post</title>'
    assert headline(head, "<h1>Storm hits the coast today</h1>") == "Storm hits coast"


def test_several_h1_leave_the_metadata_title() -> None:
    head = '<meta property="og:title" content="Corsets - shops and designers">'
    assert headline(head, "<h1>Corsets \u2013 Germany</h1><h1>Corsets \u2013 worldwide</h1>") == (
        "Corsets - shops and designers"
    )


def test_without_h1_the_first_h2_sharing_a_word_is_the_headline() -> None:
    head = "<title>Fire Brigade Oldenburg - Training</title>"
    assert headline(head, "<h2>Boat service training</h2><p>Text.</p>", url=None) == "Boat service training"
    assert headline(head, "<h2>Contact us</h2><p>Text.</p>", url=None) == "Fire Brigade Oldenburg - Training"


# ---------------------------------------------------------------- real pages (optional shared corpus)


def _records() -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in realdata.records() if "title" in record["truth"]}


def _norm() -> Callable[[object], str]:
    """The scorer's own normalisation (``norm_text`` of the corpus's ``score.py``)."""
    spec = importlib.util.spec_from_file_location("realdata_score", REALDATA / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    norm: Callable[[object], str] = module.norm_text
    return norm


def _title_of(record: dict[str, Any]) -> str | None:
    text = decode_html(realdata.page_bytes(record), None)
    page = read_page(LexborHTMLParser(text), record.get("url"))
    return title(page, site_name(page))


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    return _records()


@pytest.mark.parametrize(
    "record_id",
    [
        "trafilatura/economist.com.thinking",  # kicker element, headline confirmed by og:title
        "trafilatura/Lebensmittelpraxis.de-Stadtzentrum",  # "Kicker - Headline" cut to the headline
        "fundus/Golem_2024_04_28",  # "Kicker: Headline" kept whole
        "trafilatura/archiv.krimiblog.de.2895",  # home-link <h1> names the site
        "trafilatura/eawag.ch-elektron",  # hidden <h1>
        "postlight-parser/getnews.jp",  # full-width bar before the site name
        "postlight-parser/phpspot.org",  # site name written on without spaces
        "fundus/HankookIlbo_2026_01_29",  # section written on without spaces
        "trafilatura/gazetadopovo.com.br-pacheco",  # the only <h1> against one-spelling metadata
        "trafilatura/fouryears.eu.interning",  # trailing segment shown as <h2>
    ],
)
def test_real_page_title(records: dict[str, dict[str, Any]], record_id: str) -> None:
    norm = _norm()
    record = records[record_id]
    assert norm(_title_of(record)) == norm(record["truth"]["title"])


def test_real_pages_title_score(records: dict[str, dict[str, Any]]) -> None:
    norm = _norm()
    hits = [norm(_title_of(record)) == norm(record["truth"]["title"]) for record in records.values()]
    assert sum(hits) / len(hits) >= 0.87
