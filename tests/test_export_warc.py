"""WARC export checked by real tools: ``warcio check``, warcio's ArchiveIterator against the store, pywb replay."""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive import open_store
from storage.export_run import ExportOptions, run_export
from tests.test_export_archive import SHARED_IMAGE, Crawled, crawled, export, tool
from tests.tools import pywb_tool

__all__ = ["crawled"]


def _records(folder: Path) -> list[Any]:
    records = []
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for index, rec in enumerate(ArchiveIterator(handle)):
                assert (index == 0) == (rec.rec_type == "warcinfo"), path  # each file opens with warcinfo
                rec.body = rec.raw_stream.read()  # as written: no de-chunking, no content-decoding
                records.append(rec)
    return records


def _stored(crawled: Crawled) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(crawled.settings.store_path) as db:
        rows = db.execute(
            "SELECT f.final_url, f.status, f.reason, f.response_headers, b.data, f.redirects, f.request_headers "
            "FROM fetches f JOIN blobs b ON b.sha256 = f.raw_sha256 WHERE f.response_headers IS NOT NULL"
        ).fetchall()
    by_url: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_url.setdefault(row[0], []).append(row)
    return by_url


def _digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def test_warc_records_hold_the_exchanges_as_stored(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "warc"
    export(crawled, "--format", "warc", "--out", str(out))
    files = list(out.glob("*.warc.gz"))
    assert len(files) == 1 and not list(out.glob(".*"))
    check = subprocess.run([tool("warcio"), "check", "-v", *map(str, files)], capture_output=True, text=True,
                           timeout=30, check=False)
    assert check.returncode == 0, check.stdout + check.stderr

    records = _records(out)
    stored = _stored(crawled)
    responses = {r.rec_headers["WARC-Record-ID"]: r for r in records if r.rec_type in ("response", "revisit")}
    finals = [r for r in responses.values() if r.rec_type == "response" and r.body]
    assert len(finals) + sum(r.rec_type == "revisit" for r in records) == sum(map(len, stored.values()))
    for rec in finals:
        _, status, reason, headers, body, _, _ = stored[rec.rec_headers["WARC-Target-URI"]][0]
        assert rec.body == body  # the bytes as transferred
        assert rec.rec_headers["WARC-Payload-Digest"] == _digest(body)
        assert rec.http_headers.statusline == f"{status} {reason}" and rec.http_headers.protocol == "HTTP/1.1"
        original = [tuple(h) for h in json.loads(headers)]
        written = [(k.removeprefix("X-Archive-Orig-"), v) for k, v in rec.http_headers.headers]
        assert written[: len(original)] == original  # same headers, same order (some renamed)
        assert rec.http_headers.get_header("Content-Length") == str(len(body))
        assert rec.http_headers.get_header("Transfer-Encoding") is None
    requests = [r for r in records if r.rec_type == "request"]
    assert len(requests) == sum(map(len, stored.values()))
    for req in requests:
        pair = responses[req.rec_headers["WARC-Concurrent-To"]]
        assert pair.rec_headers["WARC-Target-URI"] == req.rec_headers["WARC-Target-URI"]
        assert req.http_headers.protocol == "GET" and req.http_headers.statusline.endswith(" HTTP/1.1")
        assert req.http_headers.get_header("Host") and req.http_headers.get_header("User-Agent")

    related = crawled.site.seeds[0].related
    gzipped = next(r for r in finals if r.rec_headers["WARC-Target-URI"] == related[0].url)
    assert gzipped.http_headers.get_header("Content-Encoding") == "gzip" and gzip.decompress(gzipped.body)
    chunked = next(r for r in finals if r.rec_headers["WARC-Target-URI"] == related[3].url)
    assert chunked.http_headers.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    hop = next(r for r in responses.values() if r.rec_headers["WARC-Target-URI"] == related[1].url)
    assert hop.http_headers.statusline.startswith("301") and hop.body == b""
    assert hop.http_headers.get_header("Location") == "/moved-story"
    assert hop.http_headers.get_header("Content-Length") == "0"
    revisit = next(r for r in records if r.rec_type == "revisit")
    assert revisit.rec_headers["WARC-Target-URI"] == related[4].images[0].url
    assert revisit.rec_headers["WARC-Refers-To-Target-URI"] == related[2].images[0].url
    assert revisit.rec_headers["WARC-Payload-Digest"] == _digest(SHARED_IMAGE)
    assert revisit.rec_headers["WARC-Profile"].endswith("/revisit/identical-payload-digest")


def test_warc_files_roll_at_the_size_limit(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "warc"
    result = export(crawled, "--format", "warc", "--out", str(out), "--warc-size", "4000")
    files = sorted(out.glob("*.warc.gz"))
    assert len(files) > 2 and f"files {len(files)}" in result.output
    assert all(f.stat().st_size < 4000 + 20000 for f in files)
    check = subprocess.run([tool("warcio"), "check", *map(str, files)], capture_output=True, timeout=30, check=False)
    assert check.returncode == 0, check.stdout
    single = tmp_path / "one"
    export(crawled, "--format", "warc", "--out", str(single))
    assert len(_records(out)) - len(files) == len(_records(single)) - 1  # the same records, warcinfo aside


async def test_interrupted_export_leaves_no_file_and_can_be_rerun(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "warc"

    def stop(finished: int, figures: object) -> None:
        if finished == 3:
            raise KeyboardInterrupt

    store = await open_store(crawled.settings)
    try:
        with pytest.raises(KeyboardInterrupt):
            await run_export(store, ExportOptions(format="warc", out=out, warc_max_bytes=4000), on_progress=stop)
        assert list(out.iterdir()) == []
        report = await run_export(store, ExportOptions(format="warc", out=out))
    finally:
        await store.close()
    assert report.exported == 6 and [p.name for p in out.iterdir()] == [report.files[0].name]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _wayback(root: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([pywb_tool("wayback"), "-b", "127.0.0.1", "-p", str(port)], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline, "pywb's wayback did not start"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def _replay(base: str, url: str, hops: int = 3) -> bytes:
    """The archived body of ``url`` from pywb's identity mode, following archived redirects."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(f"{base}/news/id_/{url}", timeout=10) as response:
            data: bytes = response.read()
            return gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data
    except urllib.error.HTTPError as exc:
        location = exc.headers.get("Location")
        if exc.code in (301, 302) and location and hops:
            return _replay(base, urljoin(url, location), hops - 1)  # id_ keeps the archived Location
        raise


def test_pywb_replays_the_archived_pages_and_images(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "warc"
    export(crawled, "--format", "warc", "--out", str(out), "--warc-size", "6000")
    root = tmp_path / "pywb"
    root.mkdir()
    for args in (["init", "news"], ["add", "news", *map(str, sorted(out.glob("*.warc.gz")))]):
        done = subprocess.run([pywb_tool("wb-manager"), *args], cwd=root, capture_output=True, text=True, timeout=30,
                              check=False)
        assert done.returncode == 0, done.stderr
    seed = crawled.site.seeds[0]
    with sqlite3.connect(crawled.settings.store_path) as db:
        blobs = dict(db.execute(
            "SELECT u.url, b.data FROM urls u JOIN fetches f ON f.id = u.fetch_id JOIN blobs b "
            "ON b.sha256 = f.body_sha256"))
    with _wayback(root) as base:
        for article in seed.articles:  # every page, the redirected, gzipped and chunked ones included
            page = _replay(base, article.url)
            assert page == blobs[article.url], article.url
            assert (article.title or "").encode() in page
        for image in [i for a in seed.articles for i in a.images]:  # the revisited image too
            assert _replay(base, image.url) == blobs[image.url], image.url
        with urllib.request.urlopen(f"{base}/news/mp_/{seed.article.url}", timeout=10) as response:
            rewritten = response.read().decode()
        assert seed.article.title in rewritten and "/news/" in rewritten  # pywb's rewritten replay
