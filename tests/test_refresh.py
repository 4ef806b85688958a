"""refresh-images against a real local server whose images change, vanish, lie and fail."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from crawler.refresh import run_refresh
from crawler.run import run_crawl
from crawler.settings import Settings
from tests.conftest import crawl_settings, make_image
from tests.servers import Behaviour, Image, Page, Site, Status, serve
from tests.test_cli import newsvault

HOST = "img.example"


class Swappable(Behaviour):
    """An image whose answer the test changes between runs: bytes, validators, or a status."""

    def __init__(self, data: bytes, etag: str | None = None, last_modified: str | None = None,
                 answers: list[Behaviour] | None = None) -> None:
        self.data = data
        self.etag = etag
        self.last_modified = last_modified
        self.content_type = "image/png"
        self.answers = answers or []  # used first, one per hit, before the image

    async def respond(self, request: web.Request) -> web.StreamResponse:
        if self.answers:
            return await self.answers.pop(0).respond(request)
        return await Image(self.data, self.content_type, etag=self.etag,
                           last_modified=self.last_modified).respond(request)


def seed_folder(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    images = "".join(f'  - url: "http://{HOST}/{name}"\n' for name in names)
    (folder / "one.md").write_text(
        f'---\ntitle: "Pictures"\noriginalUrl: "http://news.example/a"\nimages:\n{images}---\n', encoding="utf-8"
    )
    return folder


def image_rows(settings: Settings) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(settings.store_path) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT u.url, u.state, i.sha256, i.width, i.cached, i.gone_at, i.last_checked, "
            "(SELECT count(*) FROM image_versions v WHERE v.url_id = u.id) AS versions "
            "FROM urls u LEFT JOIN images i ON i.url_id = u.id WHERE u.kind = 'image'"
        )
        return {row["url"].rsplit("/", 1)[1]: dict(row) for row in rows}


async def test_every_outcome_of_a_refresh(tmp_path: Path) -> None:
    plans = {
        "etag.png": Swappable(make_image(10, 10), etag='"v1"'),
        "dated.png": Swappable(make_image(11, 11), last_modified="Wed, 21 Oct 2015 07:28:00 GMT"),
        "plain.png": Swappable(make_image(12, 12)),  # no validators: a 200 with the same bytes
        "changes.png": Swappable(make_image(13, 13), etag='"a"'),
        "vanishes.png": Swappable(make_image(14, 14)),
        "flaky.png": Swappable(make_image(15, 15)),
        "liar.png": Swappable(make_image(16, 16)),
        "broken.png": Swappable(make_image(17, 17), answers=[Status(404)]),  # fails at crawl time
    }
    site = Site().page("news.example", "/a", "<html><body><p>pictures</p></body></html>")
    for name, plan in plans.items():
        site.add(HOST, f"/{name}", plan)
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, max_attempts=2)
        crawled = await run_crawl(settings, [str(seed_folder(tmp_path, list(plans)))])
        assert crawled.images_done == 7 and crawled.images_failed == 1
        before = image_rows(settings)

        plans["changes.png"].data, plans["changes.png"].etag = make_image(30, 20), '"b"'
        plans["vanishes.png"].answers = [Status(410)]
        plans["flaky.png"].answers = [Status(503), Status(503)]  # fails twice: the crawl's budget is 2
        plans["liar.png"].answers = [Page("<html>error</html>", content_type="image/jpeg")]
        hits = dict(site.hits)
        report = await run_refresh(settings)

    assert report.figures() == {"checked": 8, "unchanged": 3, "changed": 2, "gone": 1, "failed": 2}
    after = image_rows(settings)
    # one request per image (flaky: its two tries); 304s carry no body
    assert {k[1][1:]: site.hits[k] - hits.get(k, 0) for k in site.hits if k[0] == HOST and "robots" not in k[1]} == {
        "etag.png": 1, "dated.png": 1, "plain.png": 1, "changes.png": 1, "vanishes.png": 1, "flaky.png": 2,
        "liar.png": 1, "broken.png": 1,
    }
    for name in ("etag.png", "dated.png", "plain.png"):
        assert after[name]["sha256"] == before[name]["sha256"] and after[name]["versions"] == 1
        assert after[name]["last_checked"] >= before[name]["last_checked"] and after[name]["cached"] == 1
    changed = after["changes.png"]
    assert changed["sha256"] != before["changes.png"]["sha256"]
    assert changed["versions"] == 2 and changed["width"] == 30  # the old version is kept beside the new
    gone = after["vanishes.png"]
    assert gone["cached"] == 0 and gone["gone_at"] and gone["sha256"] == before["vanishes.png"]["sha256"]
    for name in ("flaky.png", "liar.png"):  # failed checks keep the image as it was
        assert {k: after[name][k] for k in ("sha256", "cached", "versions")} == {
            k: before[name][k] for k in ("sha256", "cached", "versions")}
    assert before["broken.png"]["state"] == "failed" and after["broken.png"]["state"] == "done"  # tried again
    with sqlite3.connect(settings.store_path) as db:
        conditional = db.execute(
            "SELECT f.request_headers FROM fetches f JOIN urls u ON u.id = f.url_id "
            "WHERE f.purpose = 'refresh' AND u.url LIKE '%/etag.png'"
        ).fetchone()[0]
        statuses = dict(db.execute(
            "SELECT substr(u.url, length(u.url) - 8), f.status FROM fetches f JOIN urls u ON u.id = f.url_id "
            "WHERE f.purpose = 'refresh' AND u.url LIKE '%d.png'"
        ))
    assert ["If-None-Match", '"v1"'] in json.loads(conditional)
    assert statuses == {"dated.png": 304}


async def test_only_failed_and_older_than_select_what_is_checked(tmp_path: Path) -> None:
    site = Site().page("news.example", "/a", "<p>x</p>")
    site.add(HOST, "/ok.png", Swappable(make_image(5, 5)))
    site.add(HOST, "/bad.png", Swappable(make_image(6, 6), answers=[Status(404)]))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None)
        await run_crawl(settings, [str(seed_folder(tmp_path, ["ok.png", "bad.png"]))])
        only_failed = await run_refresh(settings, only_failed=True)
        recent = await run_refresh(settings, older_than_s=3600)  # everything was checked moments ago
    assert only_failed.figures() == {"checked": 1, "unchanged": 0, "changed": 1, "gone": 0, "failed": 0}
    assert recent.checked == 0 and recent.requests == 0


async def test_a_stopped_refresh_resumes_without_checking_twice(tmp_path: Path) -> None:
    names = [f"{i}.png" for i in range(12)]
    site = Site().page("news.example", "/a", "<p>x</p>")
    slow = [Swappable(make_image(8, 8 + i)) for i in range(12)]
    for name, plan in zip(names, slow, strict=True):
        site.add(HOST, f"/{name}", plan)
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, per_host=1, delay_s=0.1)
        await run_crawl(settings, [str(seed_folder(tmp_path, names))])
        hits = sum(site.hits.values())
        stop = asyncio.Event()
        task = asyncio.create_task(run_refresh(settings, stop=stop))
        await asyncio.sleep(0.45)
        stop.set()
        first = await task
        second = await run_refresh(settings)
        third = await run_refresh(settings)  # a new run: everything is due again
    assert first.interrupted and 0 < first.checked < 12
    assert not second.interrupted and second.checked == 12  # the same run, finished
    assert sum(site.hits.values()) - hits == 12 + 12  # each image once per run, none twice
    assert third.checked == 12


@pytest.mark.timeout(120)
async def test_a_thousand_images_one_request_each_and_only_changes_downloaded(tmp_path: Path) -> None:
    count = 1000
    plans = [Swappable(make_image(4 + i % 50, 4 + i // 50), etag=f'"{i}"') for i in range(count)]
    folder = tmp_path / "seeds"
    folder.mkdir()
    site = Site()
    for s in range(count // 10):
        names = [f"{s * 10 + k}.png" for k in range(10)]
        images = "".join(f'  - url: "http://{HOST}/{n}"\n' for n in names)
        (folder / f"{s}.md").write_text(f'---\noriginalUrl: "http://news.example/{s}"\nimages:\n{images}---\n',
                                        encoding="utf-8")
        site.page("news.example", f"/{s}", "<p>x</p>")
    for i, plan in enumerate(plans):
        site.add(HOST, f"/{i}.png", plan)
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, concurrency=32, per_host=16)
        crawled = await run_crawl(settings, [str(folder)])
        assert crawled.ok and crawled.images_done == count
        for i in range(0, count, 100):  # ten images change
            plans[i].data, plans[i].etag = make_image(60, 60 + i // 100), f'"new{i}"'
        requests_before = len(site.requests)
        report = await run_refresh(settings)
    refresh_requests = site.requests[requests_before:]
    assert report.figures() == {"checked": count, "unchanged": count - 10, "changed": 10, "gone": 0, "failed": 0}
    assert len([r for r in refresh_requests if r.host == HOST]) == count  # one request per image
    assert all(r.headers.get("If-None-Match") for r in refresh_requests if r.host == HOST)
    with sqlite3.connect(settings.store_path) as db:
        downloaded = db.execute(
            "SELECT count(*) FROM fetches WHERE purpose = 'refresh' AND status = 200"
        ).fetchone()[0]
        versions = db.execute("SELECT count(*) FROM image_versions").fetchone()[0]
    assert downloaded == 10 and versions == count + 10


async def test_refresh_images_command_prints_json(tmp_path: Path) -> None:
    site = Site().page("news.example", "/a", "<p>x</p>").add(HOST, "/x.png", Swappable(make_image(3, 3), etag='"x"'))
    seeds = seed_folder(tmp_path, ["x.png"])
    async with serve(site) as server:
        flags = ["--connect-to", server.connect_to, "--allow-private-networks", "--progress", "off"]
        code, _, err = await newsvault("crawl", str(seeds), *flags, cwd=tmp_path)
        assert code == 0, err
        code, out, err = await newsvault("refresh-images", "--json", "--older-than", "0s", *flags, cwd=tmp_path)
    assert code == 0, err
    assert json.loads(out) == {"checked": 1, "unchanged": 1, "changed": 0, "gone": 0, "failed": 0}
