"""Rules of the main-text extractor (``crawler.extract_text``) on small hand-written pages."""

from __future__ import annotations

import json
import time
import tracemalloc

from selectolax.lexbor import LexborHTMLParser

from crawler.extract_text import extract_text

P1 = "The council approved the new budget on Tuesday, after a long debate about schools and roads."
P2 = "Critics said the plan, which raises fees for parking, would hurt small shops in the centre."
P3 = "The mayor promised a review of the parking fees next spring, once the first figures are in."
NAV = '<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>'


def _text(body: str, *, title: str | None = None, hint: str | None = None) -> str:
    page = f"<html><head><title>t</title></head><body>{NAV}{body}<footer>Copyright 2024</footer></body></html>"
    return extract_text(LexborHTMLParser(page), title=title, hint=hint)


def _article(inner: str) -> str:
    return f'<div class="wrapper"><article><div class="article-body">{inner}</div></article></div>'


def test_paragraphs_one_per_line() -> None:
    text = _text(_article(f"<p>{P1}</p><p>{P2}</p><p>{P3}</p>"))
    assert text.splitlines() == [P1, P2, P3]
    assert "Home" not in text
    assert "Copyright" not in text


def test_br_and_inline_runs_split_into_lines() -> None:
    text = _text(_article(f"<div>{P1}<br><br>{P2}<br>{P3}</div>"))
    assert text.splitlines() == [P1, P2, P3]


def test_adjacent_div_blocks_do_not_run_together() -> None:
    text = _text(_article(f"<div><div>{P1}</div><div>{P2}</div></div><div><span>{P3}</span></div>"))
    assert text.splitlines() == [P1, P2, P3]


def test_nested_divs_find_the_article() -> None:
    inner = "".join(f"<div><div><p>{p}</p></div></div>" for p in (P1, P2, P3))
    sidebar = '<div class="links">' + "".join(f'<a href="/{i}">Link number {i}</a>' for i in range(30)) + "</div>"
    text = _text(f"<div><div><div>{inner}</div></div>{sidebar}</div>")
    assert text.splitlines() == [P1, P2, P3]


def test_related_box_inside_article_is_removed() -> None:
    related = (
        '<div class="related-articles"><h3>Related news</h3><ul>'
        '<li><a href="/a">Mayor opens new bridge across the river</a></li>'
        '<li><a href="/b">School fees to rise again this autumn</a></li></ul></div>'
    )
    text = _text(_article(f"<p>{P1}</p>{related}<p>{P2}</p><p>{P3}</p>"))
    assert text.splitlines() == [P1, P2, P3]


def test_link_list_without_class_is_removed() -> None:
    teasers = "<ul>" + "".join(f'<li><a href="/{i}">Other story number {i} today</a></li>' for i in range(6)) + "</ul>"
    text = _text(_article(f"<p>{P1}</p><p>{P2}</p>{teasers}<p>{P3}</p>"))
    assert "Other story" not in text
    assert P3 in text


def test_comments_are_removed() -> None:
    comments = "".join(
        f'<li class="comment"><p>Reader {i} wrote: I disagree with this plan, it is far too expensive.</p></li>'
        for i in range(8)
    )
    page = _article(f"<p>{P1}</p><p>{P2}</p><p>{P3}</p>") + f'<section id="comments"><ol>{comments}</ol></section>'
    text = _text(page)
    assert text.splitlines() == [P1, P2, P3]


def test_share_and_newsletter_furniture_removed() -> None:
    share = '<div class="share-buttons"><a href="#">Facebook</a><a href="#">Twitter</a></div>'
    promo = '<div class="newsletter-signup"><p>Get our daily newsletter with the best stories, every morning.</p></div>'
    text = _text(_article(f"{share}<p>{P1}</p>{promo}<p>{P2}</p><p>{P3}</p>"))
    assert text.splitlines() == [P1, P2, P3]


def test_short_captions_dropped_long_gallery_captions_kept() -> None:
    figure = (
        "<figure><img src='a.jpg'><figcaption>The town hall, where the council met. Photo: J. Doe</figcaption></figure>"
    )
    gallery = f"<figure><img src='c.jpg'><figcaption>{P1} {P2} {P3}</figcaption></figure>"
    promo = (
        '<div class="promo"><figure><img src="b.jpg"><figcaption>Win a trip to Paris today</figcaption></figure>'
        '<a href="/win">Enter now</a></div>'
    )
    text = _text(_article(f"<p>{P1}</p>{figure}<p>{P2}</p>{promo}<p>{P3}</p>{gallery}"))
    assert "The town hall" not in text
    assert "Win a trip" not in text
    assert f"{P1} {P2} {P3}" in text.splitlines()


def test_boilerplate_lines_dropped() -> None:
    text = _text(_article(f"<p>{P1}</p><h3>Related coverage</h3><p>{P2}</p><h4>Über den Autor</h4><p>{P3}</p>"))
    assert text.splitlines() == [P1, P2, P3]


def test_aside_holding_the_headline_is_not_noise() -> None:
    # Broken markup: an unclosed <aside> swallows the article; the aside with the page's h1 stays.
    tools = "<aside class='tools'><a href='/print'>Print</a></aside>"
    body = f"{tools}<aside><h1>Budget approved</h1><p>{P1}</p><p>{P2}</p></aside>"
    text = _text(f"<main>{body}</main>")
    assert P1 in text and P2 in text
    assert "Print" not in text


def test_react_suspense_boundary_content_is_read() -> None:
    # Streaming server rendering parks the resolved article in <div hidden id="S:0"> until a script moves it.
    text = _text(f'<div>Loading...</div><div hidden id="S:0">{_article(f"<p>{P1}</p><p>{P2}</p>")}</div>')
    assert text.splitlines() == [P1, P2]
    assert "Hidden junk" not in _text(f"{_article(f'<p>{P1}</p>')}<div hidden>Hidden junk</div>")


def _state_page(payload: str, markup: str = "") -> str:
    return (
        f"<html><head><title>Budget</title></head><body><div id='root'>{markup}</div>"
        f'<script id="__NEXT_DATA__" type="application/json">{payload}</script></body></html>'
    )


def test_json_state_used_when_markup_is_empty() -> None:
    body = f"<p>{P1}</p><p>{P2}</p><h2>Next steps</h2><p>{P3}</p><p>{P2} {P1}</p><p>{P3} {P1}</p>"
    article = json.dumps({"props": {"story": {"teaser": P1 * 5, "body": body}}})
    text = extract_text(LexborHTMLParser(_state_page(article)), title="Council approves the budget")
    assert text.splitlines() == [P1, P2, "Next steps", P3, f"{P2} {P1}", f"{P3} {P1}"]


def test_json_state_ignored_when_off_topic_or_markup_is_fine() -> None:
    notice = " ".join(["We and our partners store cookies and process personal data on your device."] * 8)
    payload = json.dumps({"consent": notice})
    assert extract_text(LexborHTMLParser(_state_page(payload)), title="Council approves the budget") == ""
    article = json.dumps({"body": f"<p>{P3}</p>" * 6})
    page = _state_page(article, _article(f"<p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P1}</p><p>{P2}</p><p>{P3}</p>"))
    assert extract_text(LexborHTMLParser(page), title="Council approves the budget").splitlines()[:2] == [P1, P2]


def test_json_state_skips_code_strings() -> None:
    code = "function(a){return a.map(function(b){return b+1})};" * 20
    payload = json.dumps({"bundle": code, "title": "Council approves the budget"})
    assert extract_text(LexborHTMLParser(_state_page(payload)), title="Council approves the budget") == ""


def test_tables_and_lists_one_row_or_item_per_line() -> None:
    table = "<table><tr><td>Schools</td><td>12 million</td></tr><tr><td>Roads</td><td>8 million</td></tr></table>"
    items = "<ul><li>More bus lanes in the centre</li><li>Longer library opening hours</li></ul>"
    lines = _text(_article(f"<p>{P1}</p>{table}<p>{P2}</p>{items}<p>{P3}</p>")).splitlines()
    assert "Schools" in lines[1] and "12 million" in lines[1]
    assert "Roads" in lines[2]
    assert "More bus lanes in the centre" in lines
    assert "Longer library opening hours" in lines


def test_headings_kept_title_not_repeated() -> None:
    body = f"<h1>Council approves budget</h1><p>{P1}</p><h2>What happens next</h2><p>{P2}</p><p>{P3}</p>"
    text = _text(_article(body), title="Council approves budget")
    assert text.splitlines() == [P1, "What happens next", P2, P3]


def test_jsonld_article_body_used_when_markup_is_poor() -> None:
    hint = "\n".join([P1, P2, P3] * 3)
    text = _text('<div id="app"><p>Loading…</p></div>', hint=hint)
    assert text.splitlines()[:3] == [P1, P2, P3]


def test_jsonld_article_body_locates_the_container() -> None:
    decoy = "<div>" + "".join(f"<p>Teaser {i}, with, many, many, commas, here, and, there, too.</p>" for i in range(9))
    page = f'<div class="x"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>{decoy}</div>'
    assert _text(page, hint=f"{P1}\n{P2}\n{P3}").splitlines() == [P1, P2, P3]


def test_space_before_punctuation_comes_only_from_the_page() -> None:
    text = _text(_article(f"<p>{P1} <a href='/x'>menores</a>, esta semana.</p><p>{P2}</p>"))
    assert "menores, esta semana." in text


def test_deep_nesting() -> None:
    page = "<html><body>" + "<div>" * 10_000 + f"<p>{P1}</p>" + "</div>" * 10_000 + "</body></html>"
    start = time.perf_counter()
    text = extract_text(LexborHTMLParser(page))
    assert time.perf_counter() - start < 10
    assert P1 in text


def test_huge_single_line_stays_within_memory_bound() -> None:
    page = "<html><body><article><p>" + "word, " * 1_750_000 + "</p></article></body></html>"
    tree = LexborHTMLParser(page)
    tracemalloc.start()
    try:
        text = extract_text(tree)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert text.startswith("word, word")
    assert peak < 8 * len(page), peak


def test_empty_and_bodyless_pages() -> None:
    assert extract_text(LexborHTMLParser("")) == ""
    assert extract_text(LexborHTMLParser("<html><body></body></html>")) == ""


P4 = "Shop owners met on Wednesday evening to plan a protest, with banners, leaflets and a petition."
P5 = "A final vote on the fees is expected in June, when the council meets again after the holidays."


def test_taxonomy_and_modifier_classes_do_not_name_boilerplate() -> None:
    # "tag-football" holds "foot", "has-ads" holds "ads": the taxonomy and state classes say nothing
    # about the box, so the article must still win over the (positively named) teaser posts.
    teasers = "".join(
        f'<div class="post teaser-{i}"><h3><a href="/{i}">Headline {i}</a></h3><p>{P1[:60]} and more.</p></div>'
        for i in range(4)
    )
    paras = [P1, P2, P3, P4, P5] * 3
    article = '<article class="post tag-football category-sports">' + "".join(f"<p>{p}</p>" for p in paras)
    page = f'<section class="section has-ads"><div>{article}</article></div></section><div class="more">{teasers}</div>'
    text = _text(page)
    assert text.splitlines() == paras
    assert "Headline" not in text


def test_small_winner_among_sibling_boxes_is_widened() -> None:
    # A page builder: one text module per column, each on its own. The article is all of them.
    def module(para: str) -> str:
        inner = f'<div class="column"><div class="module"><div class="inner"><p>{para}</p></div></div></div>'
        return f'<div class="section"><div class="container"><div class="row">{inner}</div></div></div>'

    page = f'<div class="builder">{"".join(module(p) for p in (P1, P2, P3, P4, P5))}</div>'
    assert _text(page).splitlines() == [P1, P2, P3, P4, P5]


def test_lead_paragraph_before_the_container_comes_first() -> None:
    lead = "The council has approved a budget that raises parking fees across the whole city centre."
    page = (
        f'<article><header><h1>Budget approved</h1><p class="article-lead">{lead}</p></header>'
        f'<div class="story"><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p></div></article>'
    )
    assert _text(page, title="Budget approved").splitlines() == [lead, P1, P2, P3, P4]


def test_one_paragraph_article_body_does_not_confine_the_text() -> None:
    # Some CMSs put only the first paragraph (a summary) into the JSON-LD articleBody.
    hint = f"{P1} {P2} The summary ends here, after a few more words about the plan."
    page = _article(f"<p>{hint}</p><p>{P3}</p><p>{P4}</p><p>{P5}</p>")
    assert _text(page, hint=hint).splitlines() == [hint, P3, P4, P5]


def test_loose_pass_wins_when_the_strict_winner_is_small() -> None:
    # The layout wrapper's name reads like boilerplate ("sidebar"), so the strict pass only sees a
    # small notice; the loose pass finds the article, which has far more text.
    notice = f'<div class="notice">{f"<p>{P5}</p>" * 4}</div>'
    article = "".join(f"<p>{p}</p>" for p in [P1, P2, P3, P4] * 3)
    page = f'{notice}<div class="layout sidebar-left"><div><div>{article}</div></div></div>'
    assert _text(page).splitlines() == [P1, P2, P3, P4] * 3
