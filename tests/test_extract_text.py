"""Rules of the main-text extractor (``crawler.extract_text``) on small hand-written pages."""

from __future__ import annotations

import json
import random
import time
import tracemalloc

from selectolax.lexbor import LexborHTMLParser

from crawler.extract_text import extract_text
from crawler.extract_text_clean import _block_texts
from crawler.extract_text_lines import drop_furniture_lines
from crawler.extract_text_rules import MARK, at_least, size

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


# ---------------------------------------------------------------- boxes around the chosen container


def test_prose_box_before_the_body_joins_it() -> None:
    # A teaser box and the body are sibling boxes; the teaser reads like prose, so it belongs to the
    # article. The newsletter box after the body does not (what follows an article is furniture).
    teaser = "The council approved the budget, and shop owners are already planning their protest."
    after = '<div class="box">Get our newsletter with the best stories. It is free, every morning.</div>'
    page = (
        f'<div class="article"><div class="teaser-text"><p>{teaser}</p></div>'
        f'<div class="news-text-wrap"><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p></div>{after}</div>'
    )
    assert _text(page).splitlines() == [teaser, P1, P2, P3, P4]


def test_prose_box_with_links_or_images_does_not_join() -> None:
    links = '<div><a href="/a">Council news</a> and <a href="/b">more stories from the city hall today</a>.</div>'
    image = '<div><img src="a.jpg"> A picture of the council meeting on a rainy Tuesday evening.</div>'
    page = f"<div>{links}{image}<div class='body'><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p></div></div>"
    text = _text(page)
    assert "Council news" not in text
    assert "rainy Tuesday" not in text


def test_every_articlebody_paragraph_is_read() -> None:
    # Templates that mark each paragraph as itemprop=articleBody: all of them, not the longest.
    paras = "".join(f'<p itemprop="articleBody">{p}</p>' for p in (P1, P2, P3, P4))
    assert _text(f"<main><article>{paras}</article></main>").splitlines() == [P1, P2, P3, P4]


def test_lead_named_in_other_languages_and_further_up() -> None:
    # The lead sits in a box two levels above the body's box; its class is French ("chapo").
    lead = "Le conseil municipal a approuvé le budget, malgré la colère des commerçants du centre-ville."
    page = (
        f'<article><div class="intro-block"><div class="chapo"><p>{lead}</p></div></div>'
        f'<div class="content"><div class="col"><div class="text">'
        f"<p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p></div></div></div></article>"
    )
    assert _text(page).splitlines() == [lead, P1, P2, P3, P4]


def test_first_long_text_after_the_headline_is_the_lead() -> None:
    standfirst = "Parking fees rise across the city centre, and shop owners say they will lose customers."
    page = (
        f"<article><header><span>Politics</span><h1>Budget approved</h1><h2>{standfirst}</h2>"
        f'<span class="byline">By J. Doe</span></header>'
        f'<div class="story"><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p></div></article>'
    )
    lines = _text(page, title="Budget approved").splitlines()
    assert lines == [standfirst, P1, P2, P3, P4]


def test_cookie_box_is_not_a_lead() -> None:
    notice = "We use cookies to improve your experience. By continuing you accept our use of cookies."
    page = (
        f'<div class="cookie-intro"><p>{notice}</p></div>'
        f'<div class="story"><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p></div>'
    )
    assert "cookies" not in _text(page)


# ---------------------------------------------------------------- containers: hints, two articles, split bodies


def test_articlebody_of_one_live_update_does_not_confine_the_text() -> None:
    # A live blog's JSON-LD articleBody is one short update; the article has far more text.
    update = "The mayor has just arrived at the town hall, where the vote is about to start."
    updates = "".join(f'<div class="update"><p>{text}</p></div>' for text in (update, "Doors are now closed."))
    story = "".join(f"<p>{p}</p>" for p in (P1, P2, P3, P4, P5))
    page = f'<article><div class="story">{story}</div><div class="live">{updates}</div></article>'
    lines = _text(page, hint=update + " " + update[:40] * 4).splitlines()
    assert lines[:5] == [P1, P2, P3, P4, P5]


def test_article_under_the_headline_wins_over_a_longer_second_article() -> None:
    first = "".join(f"<p>{p}</p>" for p in (P1, P2, P3))
    second = "".join(f"<p>{p} {p}</p>" for p in (P4, P5, P4, P5))
    page = (
        f'<main><article class="story"><h1>Budget approved</h1><div class="text">{first}</div></article>'
        f'<div class="next"><article class="story"><h2>Protest planned</h2><div class="text">{second}</div>'
        "</article></div></main>"
    )
    assert _text(page, title="Budget approved").splitlines() == [P1, P2, P3]


def test_large_winner_split_over_text_modules_is_widened() -> None:
    # A CMS renders each paragraph group as its own module; the best module is large on its own,
    # but the article is all modules together.
    def module(paras: tuple[str, ...]) -> str:
        return f'<section class="module"><div class="rich">{"".join(f"<p>{p}</p>" for p in paras)}</div></section>'

    modules = module((P1, P2, P3, P4, P5, P1, P2)) + module((P3, P4)) + module((P5, P1))
    page = f'<main><article class="story"><div class="modules">{modules}</div></article></main>'
    assert _text(page).splitlines() == [P1, P2, P3, P4, P5, P1, P2, P3, P4, P5, P1]


# ---------------------------------------------------------------- class names


def test_camel_case_and_layout_class_names_are_not_boilerplate() -> None:
    # "tagStyle_x" is not "tags", "APageRoot" is not "pager", "widget-wrap" is a page builder's box,
    # "Section--Ads" is a section that holds ad slots: all hold the article's text.
    page = (
        f'<div class="APageRoot__Sections"><section class="Report__Section--Ads"><p class="tagStyle_x1">{P1}</p>'
        f'<p class="tagStyle_x1">{P2}</p></section><div class="elementor-widget-wrap"><p>{P3}</p><p>{P4}</p></div>'
        "</div>"
    )
    assert _text(page).splitlines() == [P1, P2, P3, P4]


def test_compound_class_names_read_by_their_last_word() -> None:
    footer = '<div class="entry-footer"><p>Posted in News. Tagged budget, parking and city council.</p></div>'
    paywall = f'<div class="paywall-content"><p>{P4}</p></div>'
    author = '<div class="author-info"><p>Jane Doe writes about the city council and its budget.</p></div>'
    text = _text(_article(f"<p>{P1}</p><p>{P2}</p><p>{P3}</p>{paywall}{footer}{author}"))
    assert text.splitlines() == [P1, P2, P3, P4]


def test_boxes_with_class_and_id_are_counted_once() -> None:
    # A selector list returns a node once per alternative it matches: a box with a class and an id
    # comes twice, and must be taken out (and its text subtracted) once.
    shares = "".join(f'<div class="share-{i}" id="share{i}">Share this story with friends</div>' for i in range(6))
    text = _text(_article(f"<p>{P1}</p>{shares}<p>{P2}</p><p>{P3}</p>"))
    assert text.splitlines() == [P1, P2, P3]


# ---------------------------------------------------------------- noise and rendering


def test_long_noscript_text_is_kept_short_one_dropped() -> None:
    body = "".join(f"<p>{p}</p>" for p in (P1, P2, P3, P4))
    page = f'<noscript><img src="a.jpg">Please enable JavaScript.</noscript><noscript><div>{body}</div></noscript>'
    text = _text(page)
    assert text.splitlines() == [P1, P2, P3, P4]


def test_soft_hyphens_and_timestamp_lines_are_dropped() -> None:
    hyphenated = "The coun\u00adcil ap\u00adproved the bud\u00adget on Tuesday, after a long debate about schools."
    page = _article(f"<p>23.10.2018</p><p>{hyphenated}</p><p>19:49</p><p>{P2}</p><p>3:59 PM</p><p>{P3}</p>")
    assert _text(page).splitlines() == [hyphenated.replace("\u00ad", ""), P2, P3]


def test_block_texts_match_split_and_join() -> None:
    # The ASCII fast path (no per-word split when a run holds single spaces only) must give exactly
    # what whitespace splitting gives.
    rng = random.Random(7)
    alphabet = " \n\t\r\x0b\x0c\x1c\x1fab.\u00a0\u2009"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet + MARK) for _ in range(rng.randint(0, 40)))
        assert _block_texts(text) == [" ".join(part.split()) for part in text.split(MARK)]


def test_size_and_at_least() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        text = "".join(rng.choice(" \n\t\rab") for _ in range(rng.randint(0, 60)))
        expected = len(text) - sum(text.count(char) for char in " \n\t\r")
        assert size(text) == expected
        amount = rng.randint(-1, 40)
        assert at_least(text, amount) == (expected >= amount)


def test_long_paragraph_stays_whatever_its_class() -> None:
    # "com-paragraph" holds Readability's "com-" (comments); a long paragraph is text all the same,
    # a short one with such a class ("p.caption") is not.
    long_paras = "".join(f'<p class="com-paragraph">{p} {p} {p}</p>' for p in (P1, P2, P3, P4, P5))
    caption = '<p class="caption">Photo: J. Doe</p>'
    text = _text(f'<div class="story">{long_paras}{caption}</div>')
    assert text.splitlines() == [f"{p} {p} {p}" for p in (P1, P2, P3, P4, P5)]


def test_table_of_linked_names_stays() -> None:
    # A comparison table inside the article often links each product: it is text, not a link box.
    rows = "".join(
        f'<tr><td><a href="/p{i}">Child seat model {i}</a></td><td>good, rated {i}.{i}</td></tr>' for i in range(4)
    )
    lines = _text(_article(f"<p>{P1}</p><table>{rows}</table><p>{P2}</p><p>{P3}</p>")).splitlines()
    assert "Child seat model 2 good, rated 2.2" in lines
    # ... while a table of links only is still a link box
    links = "".join(f'<tr><td><a href="/n{i}">Another story number {i}</a></td></tr>' for i in range(4))
    assert "Another story" not in _text(_article(f"<p>{P1}</p><table>{links}</table><p>{P2}</p><p>{P3}</p>"))


def test_list_with_some_links_stays() -> None:
    # A list whose items hold a link among their words (under a third linked) is article text.
    item = '<li>Our tip: the <a href="/b{0}">Ostsee beach {0}</a> at Stein, open all year</li>'
    items = "".join(item.format(i) for i in range(3))
    lines = _text(_article(f"<p>{P1}</p><ul>{items}</ul><p>{P2}</p><p>{P3}</p>")).splitlines()
    assert "Our tip: the Ostsee beach 1 at Stein, open all year" in lines


def test_caption_and_credit_lines_dropped() -> None:
    inner = (
        f"<p>{P1}</p><p>The mayor at the town hall. © AFP / John Doe</p><p>{P2}</p>"
        "<p>Abbildung 2: Haushalt der Stadt nach Bereichen</p><p>Council members (Foto: dpa)</p><p>{P3}</p>"
    ).replace("{P3}", P3)
    assert _text(_article(inner)).splitlines() == [P1, P2, P3]


def test_read_also_and_related_lines_dropped() -> None:
    inner = (
        f"<p>{P1}</p><p>Lesen Sie auch: Neue Brücke über den Fluss eröffnet</p><p>{P2}</p>"
        f"<p>PUEDES VER: ¿Qué dijo el alcalde?</p><p>{P3}</p><p>Diese Artikel könnten Sie auch interessieren:</p>"
    )
    assert _text(_article(inner)).splitlines() == [P1, P2, P3]


def test_consent_placeholder_dropped() -> None:
    placeholder = (
        "We respect your privacy and load nothing from Twitter without your consent. Change your settings here."
    )
    assert _text(_article(f"<p>{P1}</p><p>{placeholder}</p><p>{P2}</p><p>{P3}</p>")).splitlines() == [P1, P2, P3]


def test_closing_calls_to_action_dropped_at_the_end_only() -> None:
    cta = "Get the latest news in your inbox: sign up for our free daily newsletter."
    closing = [cta, "© 2024 The Daily Example. All rights reserved.", "3 Kommentare"]
    inner = f"<p>{P1}</p><p>{P2}</p><p>{P3}</p>" + "".join(f"<p>{line}</p>" for line in closing)
    assert _text(_article(inner)).splitlines() == [P1, P2, P3]
    # the same words in the middle of the article are a paragraph of it
    middle = f"<p>{P1}</p><p>{cta}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p><p>{P5}</p>"
    assert cta in _text(_article(middle)).splitlines()


def test_datelines_dropped_tweet_signature_kept() -> None:
    signature = "— Jane Doe (@janedoe) May 2, 2020"
    inner = f"<p>Aktualisiert: 11.04.2020, 10:27</p><p>{P1}</p><blockquote>{signature}</blockquote>"
    inner += f"<p>{P2}</p><p>{P3}</p>"
    assert _text(_article(inner)).splitlines() == [P1, signature, P2, P3]


def test_furniture_words_in_a_long_paragraph_stay() -> None:
    long_line = f"{P1} Readers can subscribe to the newsletter, the council said. {P2} {P3} {P4}"
    assert drop_furniture_lines([P1, P2, long_line]) == [P1, P2, long_line]
    assert drop_furniture_lines(["Stand: 05. Februar 2020"]) == ["Stand: 05. Februar 2020"]


def test_page_builder_widget_containers_are_text() -> None:
    # Page builders wrap every text module in a "widget-container": that names no sidebar widget.
    modules = "".join(
        f'<div class="elementor-widget elementor-widget-text-editor"><div class="elementor-widget-container">'
        f"<p>{p}</p></div></div>"
        for p in (P1, P2, P3, P4, P5)
    )
    assert _text(f'<div class="page-content">{modules}</div>').splitlines() == [P1, P2, P3, P4, P5]


def test_jump_target_section_is_text() -> None:
    # A section named as the target of an in-page jump ("jump-location") is article text; a
    # "jump-to" link bar is not.
    inner = (
        f"<p>{P1}</p><p>{P2}</p>"
        f'<section id="jump-location"><p>{P3}</p></section>'
        '<div class="jump-to"><a href="#a">Location</a> <a href="#b">Prices</a></div>'
        f"<p>{P4}</p><p>{P5}</p>"
    )
    assert _text(_article(inner)).splitlines() == [P1, P2, P3, P4, P5]


def test_loose_pass_does_not_pick_related_stories() -> None:
    # A short article (the strict pass finds it) beside a long box of related-story blurbs: the
    # loose pass, which ignores class names, must not swap the article for that box.
    blurb = "Another story, with its own long summary, about the town, its people, its shops and its roads."
    related = "".join(f"<li><p>{blurb} Part {i}.</p></li>" for i in range(10))
    page = (
        _article(f"<p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p>")
        + f'<div id="related_posts"><ul>{related}</ul></div>'
    )
    assert _text(page).splitlines() == [P1, P2, P3, P4]
