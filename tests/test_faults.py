"""Every hostile URL ends done or failed with a reason a person can read, and the crawl finishes.

Two crawls over seed files that name many hostile URLs of one local site (each fault on its own
host name, reached through `connect_to`): network faults under tight timeouts, then hostile
content (odd bodies, encodings, markup, JSON-LD and images) under generous ones. Each ends with a
table of expected outcomes per URL (state and a substring of `last_error` or `pages.note`) checked
against the store, plus the server's hit counts and the `CrawlReport`.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from PIL import Image as PILImage

from crawler.extract import extract_metadata
from crawler.models import CrawlReport
from crawler.run import run_crawl
from crawler.settings import Settings
from tests.conftest import crawl_settings, make_image
from tests.servers import (
    Behaviour,
    Close,
    DripBody,
    GzipBomb,
    Huge,
    Image,
    NotModified,
    Page,
    Redirect,
    ShortBody,
    Site,
    SlowHeaders,
    StallBody,
    Status,
    connection_counter,
    serve,
)

MB = 1 << 20
HTML = "<!doctype html><html><head><title>Fine story</title></head><body><p>All is well.</p></body></html>"


@dataclass(frozen=True)
class ResetMidBody(Behaviour):
    """Chunked 200 that sends the start of a page, then resets the connection (RST, no last chunk)."""

    first: bytes = b"<!doctype html><html><head><title>Cut</title></head><body><p>The story beg"

    async def respond(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(self.first)
        await asyncio.sleep(0.05)  # let the client see the head and the first chunk
        if request.transport is not None:
            request.transport.abort()
        return resp


@dataclass(frozen=True)
class Expect:
    """The outcome of one URL: its state, a reason substring, hits on its path, other checks."""

    state: str
    reason: str | None = None  # in last_error (failed) or pages.note (done); None: no note at all
    hits: int | None = None  # requests to the URL's own path (None: not deterministic)
    status: int | None = None  # urls.last_status
    title: str | None = None  # pages.title, exactly


def write_seeds(folder: Path, urls: list[str], images: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """One seed file per page URL; `images` maps a page URL to the `images:` list of its seed."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, url in enumerate(urls):
        lines = ["---", f"title: Seed {i}", f'originalUrl: "{url}"']
        claims = (images or {}).get(url, [])
        if claims:
            lines.append("images:")
            for claim in claims:
                lines.append(f'  - url: "{claim["url"]}"')
                lines += [f"    {key}: {value}" for key, value in claim.items() if key != "url"]
        (folder / f"seed{i:03}.md").write_text("\n".join([*lines, "---", ""]), encoding="utf-8")
    return folder


def rows_by_url(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every URL's row joined with its page (title, note), its image (dims) and its latest fetch."""
    with sqlite3.connect(settings.store_path) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT u.url, u.kind, u.state, u.attempts, u.last_status, u.last_error, p.title, p.note, "
            "i.width, i.height, i.mime_type, f.final_url FROM urls u LEFT JOIN pages p ON p.url_id = u.id "
            "LEFT JOIN images i ON i.url_id = u.id LEFT JOIN fetches f ON f.id = u.fetch_id"
        ).fetchall()
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return {row["url"]: dict(row) for row in rows}


def mismatches(rows: dict[str, dict[str, Any]], expected: dict[str, Expect], site: Site) -> list[str]:
    """What differs between the store and the table; an empty list when everything holds."""
    problems = []
    for url, want in expected.items():
        row = rows.get(url)
        if row is None:
            problems.append(f"{url}: not in the store")
            continue
        text = row["last_error"] if want.state == "failed" else row["note"]
        host, path = url.removeprefix("http://").split("/", 1)
        checks = {
            "state": row["state"] == want.state,
            "reason": (text is None) if want.reason is None else (text is not None and want.reason in text),
            "hits": want.hits is None or site.hits[(host, "/" + path)] == want.hits,
            "status": want.status is None or row["last_status"] == want.status,
            "title": want.title is None or row["title"] == want.title,
        }
        if not all(checks.values()):
            failed = [name for name, ok in checks.items() if not ok]
            problems.append(f"{url}: {failed} want {want}, got {row}, hits {site.hits[(host, '/' + path)]}")
    return problems


def assert_finished(report: CrawlReport, rows: dict[str, dict[str, Any]], expected: dict[str, Expect]) -> None:
    """The crawl ran to its end, nothing is left pending, and the report agrees with the store."""
    assert not report.interrupted and report.pending == 0, report
    assert {row["state"] for row in rows.values()} <= {"done", "failed"}, rows
    by = {(kind, state): sum(1 for r in rows.values() if (r["kind"], r["state"]) == (kind, state))
          for kind in ("page", "image") for state in ("done", "failed")}
    assert (report.pages_done, report.pages_failed) == (by[("page", "done")], by[("page", "failed")])
    assert (report.images_done, report.images_failed) == (by[("image", "done")], by[("image", "failed")])
    wanted_failed = sum(1 for e in expected.values() if e.state == "failed")
    assert report.pages_failed + report.images_failed == wanted_failed
    assert {url for url, _ in report.failures} == {u for u, e in expected.items() if e.state == "failed"}
    assert all(reason for _, reason in report.failures)
    assert not report.ok


# --------------------------------------------------------------------------- network faults


def network_plan(refused_port: int) -> dict[str, tuple[tuple[Behaviour, ...], Expect]]:
    """host -> (what its /p does, hit by hit; the expected outcome). Redirect targets are added apart."""
    ok = Page(HTML)
    plan: dict[str, tuple[tuple[Behaviour, ...], Expect]] = {
        f"s{code}": ((Status(code), ok), Expect("done", hits=2, status=200, title="Fine story"))
        for code in (500, 502, 503, 504)
    }
    plan |= {
        f"s{code}": ((Status(code), ok), Expect("failed", f"HTTP {code}", hits=1, status=code)) for code in (404, 410)
    }
    plan |= {
        "retry-after": ((Status(429, retry_after="1"), ok), Expect("done", hits=2, status=200, title="Fine story")),
        "reset-before-headers": ((Close(reset=True),), Expect("failed", "connection")),
        "reset-mid-body": ((ResetMidBody(),), Expect("failed", "truncated or malformed body", hits=2)),
        "reset-mid-body-then-ok": ((ResetMidBody(), ok), Expect("done", hits=2, title="Fine story")),
        "short-body": ((ShortBody(b"<html><p>only this", 5000),), Expect("failed", "truncated", hits=2)),
        "never-answers": ((SlowHeaders(30.0),), Expect("failed", "timed out", hits=2)),
        "stalled-body": ((StallBody(b"<html><p>a start", 30.0),), Expect("failed", "timed out", hits=2)),
        "drip": ((DripBody(b"x" * 6000, chunk=10, interval_s=0.02),), Expect("failed", "bytes/s minimum", hits=2)),
        "too-big-declared": ((Huge(2 * MB, chunked=False),), Expect("failed", "declared, over the", hits=1)),
        "too-big-chunked": ((Huge(2 * MB),), Expect("failed", "body larger than", hits=1)),
        "gzip-bomb": ((GzipBomb(64 * MB),), Expect("failed", "decoded body larger than", hits=1)),
        "redirect-chain": ((Redirect("/hop1"),), Expect("done", hits=1, status=200, title="Fine story")),
        "redirect-loop": ((Redirect("/back"),), Expect("failed", "redirect loop", hits=1)),
        "redirect-many": ((Redirect("/r1"),), Expect("failed", "more than 3 redirects")),
        "redirect-ftp": ((Redirect("ftp://files.example/a.txt", code=301),), Expect("failed", "non-http", hits=1)),
        "redirect-js": ((Redirect("javascript:alert(1)"),), Expect("failed", "non-http", hits=1)),
        "redirect-private": (
            (Redirect(f"http://127.0.0.2:{refused_port}/internal"),), Expect("failed", "refused address", hits=1)
        ),
    }
    return plan


def add_redirect_targets(site: Site) -> None:
    site.add("redirect-chain.faults.example", "/hop1", Redirect("/hop2", code=301))
    site.add("redirect-chain.faults.example", "/hop2", Redirect("/end", code=307))
    site.add("redirect-chain.faults.example", "/end", Page(HTML))
    site.add("redirect-loop.faults.example", "/back", Redirect("/p"))
    for i in range(1, 6):
        site.add("redirect-many.faults.example", f"/r{i}", Redirect(f"/r{i + 1}"))


async def test_network_faults_end_done_or_failed_with_a_reason(tmp_path: Path) -> None:
    site = Site()
    async with connection_counter("127.0.0.2") as (refused_port, accepted):
        plan = network_plan(refused_port)
        expected: dict[str, Expect] = {}
        for name, (behaviours, outcome) in plan.items():
            site.add(f"{name}.faults.example", "/p", *behaviours)
            expected[f"http://{name}.faults.example/p"] = outcome
        add_redirect_targets(site)
        seeds = write_seeds(tmp_path / "seeds", list(expected))
        async with serve(site) as server:
            settings = crawl_settings(
                tmp_path, server, None, max_attempts=2, read_timeout_s=0.5, total_timeout_s=3.0,
                max_body_bytes=MB, min_body_rate=2000, rate_grace_s=0.3, max_redirects=3, concurrency=64,
                fetch_lead_images=False,
            )
            report = await asyncio.wait_for(run_crawl(settings, [str(seeds)]), timeout=10)

    rows = rows_by_url(settings)
    problems = mismatches(rows, expected, site)
    assert not problems, "\n".join(problems)
    assert_finished(report, rows, expected)
    assert accepted == []  # the forbidden address never saw a connection
    chain = rows["http://redirect-chain.faults.example/p"]
    assert chain["final_url"] == "http://redirect-chain.faults.example/end"
    assert [site.hits[("redirect-chain.faults.example", p)] for p in ("/hop1", "/hop2", "/end")] == [1, 1, 1]
    many = [site.hits[("redirect-many.faults.example", f"/r{i}")] for i in range(1, 6)]
    assert many == [1, 1, 1, 0, 0]  # the fourth redirect is refused before it is followed


# --------------------------------------------------------------------------- hostile content

CP1252_TITLE = "Caf\u00e9 na\u00efve \u2014 Se\u00f1or\u2019s \u201cfa\u00e7ade\u201d"
BIG_TITLE = "One very long line"


def page_bodies() -> dict[str, tuple[Behaviour, Expect]]:
    """host -> (its /p, the expected outcome) for hostile page content."""
    def ld(script: str, head: str = "") -> str:
        return (f'<html><head><title>Plain title | Site</title><meta property="og:site_name" content="Site">{head}'
                f'<script type="application/ld+json">{script}</script>'
                "</head><body><article><p>Some text of the story.</p></article></body></html>")

    big = f"<html><head><title>{BIG_TITLE}</title></head><body><p>" + "word " * (2 * MB) + "</p></body></html>"
    deep = f"<html><head><title>Deep</title></head><body>{'<div>' * 10_000}x{'</div>' * 10_000}</body></html>"
    cp1252 = (f"<html><head><title>{CP1252_TITLE}</title></head><body><p>The caf\u00e9 owner, Se\u00f1or Ruiz, "
              "said the na\u00efve plan cost \u20ac5 \u2013 no more.</p></body></html>").encode("cp1252")
    bad_utf8 = b"<html><head><title>Bad \xff\xfe bytes \xc3\x28 here</title></head><body><p>\xed\xa0\x80</p></html>"
    og = '<meta property="og:title" content="From og">'
    return {
        "pdf": (Page(b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n", "application/pdf"), Expect("done", "not HTML")),
        "empty": (Page(b""), Expect("done", "empty body")),
        "cp1252": (Page(cp1252, "text/html"), Expect("done", title=CP1252_TITLE)),
        "bad-utf8": (Page(bad_utf8), Expect("done", title="Bad \ufffd\ufffd bytes \ufffd( here")),
        "one-line-10mb": (Page(big), Expect("done", title=BIG_TITLE)),
        "deep-nesting": (Page(deep), Expect("done", title="Deep")),
        "jsonld-invalid": (Page(ld('{"headline": "Broken", ')), Expect("done", title="Plain title")),
        "jsonld-numbers": (Page(ld("[1, 2, 3]")), Expect("done", title="Plain title")),
        "jsonld-string": (Page(ld('"just a string"')), Expect("done", title="Plain title")),
        "jsonld-odd-fields": (
            Page(ld('{"@type": 3, "headline": {"a": 1}, "author": [1, null], "datePublished": 12}', og)),
            Expect("done", title="From og"),
        ),
    }


def image_bodies() -> dict[str, tuple[Behaviour, dict[str, Any], Expect]]:
    """path on img.faults.example -> (what it serves, the seed's claim, the expected outcome)."""
    png, jpeg = make_image(640, 480, "PNG"), make_image(640, 480, "JPEG")
    noise = PILImage.effect_noise((320, 240), 60).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    noisy_png = buffer.getvalue()
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect/></svg>'
    error_page = b"<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>"
    return {
        "/truncated.png": (Image(noisy_png[: len(noisy_png) // 2], "image/png"), {"width": 320, "height": 240},
                           Expect("done", status=200)),
        "/truncated.jpg": (Image(jpeg[: len(jpeg) // 3]), {"width": 640, "height": 480}, Expect("done")),
        "/liar.png": (Image(png, "image/png"), {"width": 1280, "height": 960}, Expect("done")),
        "/vector.svg": (Image(svg, "image/svg+xml"), {}, Expect("done")),
        "/zero.jpg": (Image(b""), {}, Expect("failed", "empty body", hits=1)),
        "/error-page.jpg": (Image(error_page), {}, Expect("failed", "not an image", hits=1)),
        "/html-typed.jpg": (Image(error_page, "text/html"), {}, Expect("failed", "not an image", hits=1)),
    }


async def test_hostile_content_is_archived_or_refused_with_a_reason(tmp_path: Path) -> None:
    site = Site()
    expected: dict[str, Expect] = {}
    for name, (behaviour, outcome) in page_bodies().items():
        site.add(f"{name}.faults.example", "/p", behaviour)
        expected[f"http://{name}.faults.example/p"] = outcome
    gallery = "http://gallery.faults.example/p"
    site.add("gallery.faults.example", "/p", Page(HTML))
    expected[gallery] = Expect("done", hits=1)
    claims = []
    for path, (behaviour, claim, outcome) in image_bodies().items():
        site.add("img.faults.example", path, behaviour)
        expected[f"http://img.faults.example{path}"] = outcome
        claims.append({"url": f"http://img.faults.example{path}", **claim})
    seeds = write_seeds(tmp_path / "seeds", [u for u in expected if "//img." not in u], {gallery: claims})
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, max_attempts=2, max_body_bytes=12 * MB,
                                  fetch_lead_images=False, concurrency=32)
        report = await asyncio.wait_for(run_crawl(settings, [str(seeds)]), timeout=20)

    rows = rows_by_url(settings)
    problems = mismatches(rows, expected, site)
    assert not problems, "\n".join(problems)
    assert_finished(report, rows, expected)
    dims = {url.rsplit("/", 1)[1]: (r["mime_type"], r["width"], r["height"]) for url, r in rows.items()
            if r["kind"] == "image" and r["state"] == "done"}
    assert dims == {
        "truncated.png": ("image/png", 320, 240), "truncated.jpg": ("image/jpeg", 640, 480),
        "liar.png": ("image/png", 640, 480), "vector.svg": ("image/svg+xml", 120, 80),
    }
    with sqlite3.connect(settings.store_path) as db:
        held = dict(db.execute(
            "SELECT u.url, i.width = s.claimed_width AND i.height = s.claimed_height FROM seed_images s "
            "JOIN urls u ON u.id = s.url_id JOIN images i ON i.url_id = s.url_id WHERE s.claimed_width IS NOT NULL"
        ).fetchall())
        big_text = db.execute("SELECT length(text) FROM pages p JOIN urls u ON u.id = p.url_id WHERE u.url = ?",
                              ("http://one-line-10mb.faults.example/p",)).fetchone()[0]
    assert held == {"http://img.faults.example/truncated.png": 1, "http://img.faults.example/truncated.jpg": 1,
                    "http://img.faults.example/liar.png": 0}
    assert big_text > 9 * MB  # the long line was kept whole, not cut


def test_a_long_line_of_words_is_extracted_without_blowing_up_memory() -> None:
    """A single 2 MB line of short words once peaked at ~20x its size in Python objects (one per word)."""
    words = "word " * 400_000
    body = f"<html><head><title>{BIG_TITLE}</title></head><body><p>{words}</p></body></html>".encode()
    tracemalloc.start()
    try:
        metadata = extract_metadata(body, content_type="text/html")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert metadata.title == BIG_TITLE and metadata.text == words.strip()
    assert peak < 12 * len(body), f"peak {peak / len(body):.1f}x the body"


# --------------------------------------------------------------------------- known bugs (fetch.py)


async def test_redirect_to_a_utf8_location_reaches_the_page(tmp_path: Path) -> None:
    host = "utf8-location.faults.example"
    site = Site().add(host, "/p", Redirect("/caf\u00e9-story")).add(host, "/caf%C3%A9-story", Page(HTML))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, max_attempts=1, fetch_lead_images=False)
        await asyncio.wait_for(run_crawl(settings, [str(write_seeds(tmp_path / "seeds", [f"http://{host}/p"]))]), 10)
    row = rows_by_url(settings)[f"http://{host}/p"]
    assert (row["state"], row["final_url"]) == ("done", f"http://{host}/caf%C3%A9-story")


async def test_unasked_for_304_is_not_an_archived_page(tmp_path: Path) -> None:
    host = "not-modified.faults.example"
    site = Site().add(host, "/p", NotModified())
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, max_attempts=1, fetch_lead_images=False)
        await asyncio.wait_for(run_crawl(settings, [str(write_seeds(tmp_path / "seeds", [f"http://{host}/p"]))]), 10)
    row = rows_by_url(settings)[f"http://{host}/p"]
    assert row["state"] == "failed" and "304" in (row["last_error"] or "")
