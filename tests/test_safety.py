"""Safety: bad seed files are refused with a reason, private addresses and non-http URLs are not
fetched, and hostile titles cannot steer exported files out of their folder or into bad names.

Every test runs `run_crawl` against real local servers and asserts on the store, the report, the
servers' connections and the exported files.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import frontmatter
import pytest

from crawler.archive import open_store
from crawler.run import run_crawl
from storage.export import export_markdown
from storage.seedyaml import SeedYAMLHandler, load_yaml
from tests.conftest import article_html, crawl_settings, make_image
from tests.servers import LocalServer, Site, read_request_head, serve

GOOD_HOST = "good.example"


def seed_text(url: str, title: str = "A story", extra: str = "") -> str:
    return f'---\ntitle: "{title}"\noriginalUrl: "{url}"\n{extra}---\n'


# --------------------------------------------------------------------------- seed files

BAD_SEEDS: dict[str, tuple[bytes, str]] = {
    "invalid.md": (b"---\ntitle: [unclosed\noriginalUrl: x\n---\n", "invalid YAML"),
    "list.md": (b"---\n- a\n- b\n---\n", "list, not a YAML mapping"),
    "scalar.yaml": (b"just a scalar\n", "str, not a YAML mapping"),
    "binary.txt": (make_image(4, 4) + b"\x00\x00", "binary file"),
    "latin1.md": ('---\ntitle: "caf\xe9"\noriginalUrl: "http://good.example/x"\n---\n'.encode("latin-1"),
                  "not UTF-8"),
    "no-url.md": (b'---\ntitle: "No URL at all"\n---\n', "no article URL"),
    "wide.md": (b'---\noriginalUrl: "http://good.example/w"\nimages:\n  - url: "http://good.example/i.png"\n'
                b'    width: "wide"\n---\n', "width must be int"),
    "ftp.md": (b'---\noriginalUrl: "ftp://files.example/a.txt"\n---\n', "not an http(s) URL"),
    "javascript.md": (b'---\noriginalUrl: "javascript:alert(1)"\n---\n', "not an http(s) URL"),
    "related-js.md": (b'---\noriginalUrl: "http://good.example/r"\nrelated:\n  - webUrl: "javascript:x()"\n---\n',
                      "related[0]"),
    "deep.md": (b'---\noriginalUrl: "http://good.example/d"\nx: ' + b"[" * 990 + b"]" * 990 + b"\n---\n",
                "nested deeper than"),  # once ended the whole crawl with a RecursionError when stored
    "unclosed.md": (b'---\noriginalUrl: "http://good.example/u"\n', "no '---' line closes"),
}


async def test_bad_seed_files_are_rejected_with_reasons_and_good_ones_archived(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    (folder / "nested").mkdir(parents=True)
    good = {f"http://{GOOD_HOST}/{name}": folder / f"{name}.md" for name in ("one", "two")}
    for url, path in good.items():
        path.write_text(seed_text(url), encoding="utf-8")
    reasons = {str(folder / "nested" / name): reason for name, (_, reason) in BAD_SEEDS.items()}
    for name, (data, _) in BAD_SEEDS.items():
        (folder / "nested" / name).write_bytes(data)
    huge = folder / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: 50 MB on paper, nothing on disk
    reasons[str(huge)] = "larger than"

    site = Site()
    for url in good:
        site.page(GOOD_HOST, url.removeprefix(f"http://{GOOD_HOST}"), article_html("A good story"))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, fetch_lead_images=False)
        report = await asyncio.wait_for(run_crawl(settings, [str(folder)]), timeout=10)

    with sqlite3.connect(settings.store_path) as db:
        rejected = dict(db.execute("SELECT path, reason FROM seed_rejections").fetchall())
        states = dict(db.execute("SELECT url, state FROM urls").fetchall())
        pages = db.execute("SELECT count(*) FROM pages WHERE title = 'A good story'").fetchone()[0]
    assert set(rejected) == set(reasons)
    wrong = {path: reason for path, reason in rejected.items() if reasons[path] not in reason}
    assert wrong == {}
    assert report.seeds_rejected == len(reasons) and report.seeds_accepted == len(good)
    assert {r.path for r in report.rejections} == set(reasons)
    assert states == dict.fromkeys(good, "done") and pages == len(good)
    assert (report.pages_done, report.pages_failed) == (len(good), 0)
    assert not report.ok


# --------------------------------------------------------------------------- private addresses


@asynccontextmanager
async def private_site(body: bytes) -> AsyncIterator[tuple[int, list[str]]]:
    """An HTTP server on 127.0.0.2 that serves `body` (404 for robots.txt); yields its port and the
    request lines it received."""
    requests: list[str] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_request_head(reader)
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        requests.append(line)
        status, data = ("404 Not Found", b"no") if " /robots.txt " in line else ("200 OK", body)
        writer.write(f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(data)}\r\n"
                     "Connection: close\r\n\r\n".encode() + data)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.2", 0)
    try:
        yield int(server.sockets[0].getsockname()[1]), requests
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("allow", [False, True])
async def test_private_address_is_refused_unless_allowed(tmp_path: Path, allow: bool) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    async with private_site(article_html("Inside").encode()) as (port, requests):
        url = f"http://127.0.0.2:{port}/x"
        (folder / "private.md").write_text(seed_text(url), encoding="utf-8")
        # the connect_to target is never used: an IP-literal host is not mapped
        settings = crawl_settings(tmp_path, LocalServer(Site(), port, False), None, allow_private_networks=allow,
                                  fetch_lead_images=False)
        report = await asyncio.wait_for(run_crawl(settings, [str(folder)]), timeout=10)

    with sqlite3.connect(settings.store_path) as db:
        state, error = db.execute("SELECT state, last_error FROM urls WHERE url = ?", (url,)).fetchone()
        title = db.execute("SELECT title FROM pages").fetchone()
    if allow:
        assert (state, error, title) == ("done", None, ("Inside",))
        assert "GET /x HTTP/1.1" in requests and report.ok
    else:
        assert state == "failed" and "refused address" in error
        assert requests == [] and title is None
        assert report.pages_failed == 1 and not report.ok


# --------------------------------------------------------------------------- lead images


async def test_lead_images_that_are_not_http_are_not_enqueued(tmp_path: Path) -> None:
    leads = {
        "/js": "javascript:alert(document.cookie)",
        "/data": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
        "/file": "file:///etc/passwd",
        "/ok": "http://cdn.example/lead.png",  # the control: a real lead image is enqueued
    }
    site = Site().image("cdn.example", "/lead.png", make_image(8, 8), "image/png")
    folder = tmp_path / "seeds"
    folder.mkdir()
    for i, (path, lead) in enumerate(leads.items()):
        site.page(GOOD_HOST, path, article_html(f"Story {i}", image=lead))
        (folder / f"s{i}.md").write_text(seed_text(f"http://{GOOD_HOST}{path}"), encoding="utf-8")
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, fetch_lead_images=True)
        report = await asyncio.wait_for(run_crawl(settings, [str(folder)]), timeout=10)

    with sqlite3.connect(settings.store_path) as db:
        urls = dict(db.execute("SELECT url, state FROM urls").fetchall())
        links = db.execute("SELECT count(*) FROM links WHERE relation = 'lead_image'").fetchone()[0]
    assert urls == {**{f"http://{GOOD_HOST}{p}": "done" for p in leads}, "http://cdn.example/lead.png": "done"}
    assert links == 1
    assert report.ok and report.images_done == 1
    assert {host for host, _ in site.hits} == {GOOD_HOST, "cdn.example"}


# --------------------------------------------------------------------------- export names

HOSTILE_TITLES = [
    "../../etc/passwd",
    "a/b\\\\c",  # YAML escape: the title is a/b\c
    "nul\\0byte and \\a bell \\e escape \\x7f del \\t tab",
    "CON",
    "aux",
    "L" * 1000,
    "Émoji 🎉🔥 title ✓",
    "Same title",
    "Same title",
    "..",
    "",
]
PORTABLE = re.compile(r"[a-z0-9][a-z0-9.-]*")


async def test_hostile_titles_export_to_safe_unique_names(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    site = Site()
    for i, title in enumerate(HOSTILE_TITLES):
        site.page("titles.example", f"/{i}", article_html(f"Page {i}"))
        (folder / f"t{i}.md").write_text(seed_text(f"http://titles.example/{i}", title), encoding="utf-8")
    out = tmp_path / "export" / "out"
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, fetch_lead_images=False)
        report = await asyncio.wait_for(run_crawl(settings, [str(folder)]), timeout=10)
        store = await open_store(settings)
        try:
            written = await export_markdown(store, out)
        finally:
            await store.close()

    assert report.ok and report.seeds_accepted == len(HOSTILE_TITLES)
    assert report.pages_done == len(HOSTILE_TITLES)
    entries = sorted(out.iterdir())
    files = [p for p in entries if p.is_file()]
    assert [p.name for p in entries if not p.is_file()] == ["images"]
    assert written == len(files) == len(HOSTILE_TITLES)
    names = [p.name for p in files]
    bad = [n for n in names if not (PORTABLE.fullmatch(n) and len(n) < 120 and n.endswith(".md"))]
    assert bad == [] and len(set(names)) == len(names)
    # nothing was written anywhere else under the test's folder
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent not in (out, folder)
               and not str(p).startswith(str(settings.store_path))]
    assert outside == []
    assert all(p.is_file() for p in (out / "images").iterdir())
    # each file keeps its seed's title exactly, control characters and all
    kept = sorted(str(frontmatter.load(str(p), handler=SeedYAMLHandler())["title"]) for p in files)
    assert kept == sorted(load_yaml(f'title: "{title}"')["title"] for title in HOSTILE_TITLES)
