"""Crash safety: a real ``newsvault crawl`` killed at random moments resumes to the same archive.

Also: SIGINT/SIGTERM stop gracefully within 5 s with a summary, and a second Ctrl-C stops at once;
either way the store is consistent and the next run finishes the work.
"""

from __future__ import annotations

import asyncio
import io
import random
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image as PILImage

from crawler.run import run_crawl
from tests.conftest import crawl_settings
from tests.servers import Behaviour, Site, serve
from tests.test_cli import COMMAND

SEEDS = 70


@dataclass
class Pace:
    """The server's pause before each response; tests change it between phases."""

    delay_s: float = 0.0


@dataclass(frozen=True)
class Slow(Behaviour):
    """A response after a pause, so a kill or a signal can land while requests are in flight."""

    body: bytes
    content_type: str
    pace: Pace

    async def respond(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(self.pace.delay_s)
        return web.Response(body=self.body, content_type=self.content_type)


def _png(n: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (20 + n % 30, 10 + n % 7), (n % 256, 80, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def build_workload(folder: Path, pace: Pace) -> tuple[Site, int]:
    """SEEDS seeds, each with its article, two related articles (shared between seeds) and images."""
    folder.mkdir()
    site, urls = Site(), set()
    for i in range(SEEDS):
        related = [(i + 1) % SEEDS * 10 + 1, (i * 7) % SEEDS * 10 + 2]
        items = "".join(
            f'  - webUrl: "http://h{r % 5}.example/rel/{r}"\n'
            f'    images:\n      - url: "http://img.example/r{r}.png"\n        width: 30\n        height: 12\n'
            for r in related
        )
        (folder / f"seed-{i:03d}.md").write_text(
            f'---\ntitle: "Story {i}"\noriginalUrl: "http://h{i % 5}.example/a/{i}"\n'
            f'images:\n  - url: "http://img.example/{i}.png"\n    width: 20\n    height: 10\n'
            f"related:\n{items}---\n",
            encoding="utf-8",
        )
        pages = [(f"h{i % 5}.example", f"/a/{i}")] + [(f"h{r % 5}.example", f"/rel/{r}") for r in related]
        for host, path in pages:
            html = f"<html><head><title>{path}</title></head><body><p>{path} text</p></body></html>".encode()
            site.add(host, path, Slow(html, "text/html", pace))
            urls.add((host, path))
        for n, name in [(i, f"/{i}.png"), *[(r, f"/r{r}.png") for r in related]]:
            site.add("img.example", name, Slow(_png(n), "image/png", pace))
            urls.add(("img.example", name))
    return site, len(urls)


def archive_state(db_path: Path) -> dict[str, object]:
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = dict(db.execute(
            "SELECT u.url, coalesce(f.body_sha256, '') FROM urls u JOIN fetches f ON f.id = u.fetch_id "
            "WHERE u.state = 'done'"
        ))
        states = dict(db.execute("SELECT state, count(*) FROM urls GROUP BY state"))
        twice = db.execute(
            "SELECT count(*) FROM (SELECT url_id FROM fetches WHERE error IS NULL GROUP BY url_id HAVING count(*) > 1)"
        ).fetchone()[0]
        seeds = {row[0] for row in db.execute("SELECT sha256 FROM seeds")}
        blobs_ok = db.execute(
            "SELECT count(*) FROM fetches f LEFT JOIN blobs b ON b.sha256 = f.body_sha256 "
            "WHERE f.body_sha256 IS NOT NULL AND b.sha256 IS NULL"
        ).fetchone()[0] == 0
        versions = db.execute("SELECT count(*) FROM image_versions").fetchone()[0]
        images = db.execute("SELECT count(*) FROM images").fetchone()[0]
    return {"done": done, "states": states, "twice": twice, "seeds": seeds, "blobs_ok": blobs_ok,
            "versions": versions, "images": images}


async def _spawn(tmp_path: Path, archive: Path, connect_to: str, *extra: str) -> asyncio.subprocess.Process:
    # An interrupted attempt counts against a URL's budget (a page that kills the crawler must not be
    # fetched forever), so the budget is set above the number of kills: on a slow machine one URL can be
    # in flight at every kill, and the test is about losing nothing, not about the budget.
    config = tmp_path / "budget.toml"
    config.write_text("max_attempts = 20\n")
    return await asyncio.create_subprocess_exec(
        *COMMAND, "crawl", str(tmp_path / "seeds"), "--archive", str(archive), "--connect-to", connect_to,
        "--concurrency", "6", "--progress", "off", "--config", str(config), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.timeout(240)
async def test_random_kills_then_resume_equal_a_clean_run(tmp_path: Path) -> None:
    pace = Pace()
    site, expected = build_workload(tmp_path / "seeds", pace)
    rng = random.Random(20261126)
    async with serve(site) as server:
        clean = crawl_settings(tmp_path / "clean", server, None, concurrency=6)
        report = await run_crawl(clean, [str(tmp_path / "seeds")])
        assert report.ok and report.pages_done + report.images_done == expected

        pace.delay_s = 0.06  # slow enough that the killed crawl takes many runs

        archive = tmp_path / "killed"
        kills = 0
        for _ in range(40):
            process = await _spawn(tmp_path, archive, server.connect_to)
            await asyncio.sleep(rng.uniform(0.3, 1.4))
            if process.returncode is None:
                process.kill()
                kills += 1
            await process.communicate()
            if kills >= 12:
                break
        pace.delay_s = 0.0
        final = await _spawn(tmp_path, archive, server.connect_to)
        out, err = await asyncio.wait_for(final.communicate(), timeout=120)
        assert final.returncode == 0, (out.decode(), err.decode())

    assert kills >= 10
    killed, reference = archive_state(archive / "newsvault.sqlite"), archive_state(clean.store_path)
    assert killed["done"] == reference["done"]  # the same URLs, with the same content hashes
    assert len(killed["done"]) == expected  # type: ignore[arg-type]
    assert killed["states"] == {"done": expected}  # nothing failed, pending or stuck in progress
    assert killed["twice"] == 0  # every URL archived exactly once
    assert killed["seeds"] == reference["seeds"] and len(killed["seeds"]) == SEEDS  # type: ignore[arg-type]
    assert killed["blobs_ok"] and killed["versions"] == killed["images"]


async def _stop_with(tmp_path: Path, signals: list[signal.Signals]) -> tuple[float, int, str, int]:
    pace = Pace(delay_s=0.8)
    site, _ = build_workload(tmp_path / "seeds", pace)
    archive = tmp_path / "archive"
    async with serve(site) as server:
        process = await _spawn(tmp_path, archive, server.connect_to)
        await asyncio.sleep(1.8)  # well into the crawl: requests are in flight
        started = time.monotonic()
        for sig in signals:
            process.send_signal(sig)
            await asyncio.sleep(0.05)
        out, _ = await asyncio.wait_for(process.communicate(), timeout=15)
        elapsed = time.monotonic() - started
        assert process.returncode is not None
        code = process.returncode
        with sqlite3.connect(archive / "newsvault.sqlite") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stuck = db.execute("SELECT count(*) FROM urls WHERE state = 'in_progress'").fetchone()[0]
        pace.delay_s = 0.0
        resumed = await run_crawl(crawl_settings(tmp_path, server, None, archive_dir=str(archive)),
                                  [str(tmp_path / "seeds")])
        assert resumed.ok
    return elapsed, code, out.decode(), stuck


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.timeout(120)
async def test_first_signal_stops_gracefully_within_five_seconds(tmp_path: Path, sig: signal.Signals) -> None:
    elapsed, code, out, stuck = await _stop_with(tmp_path, [sig])
    assert elapsed < 5.0
    assert stuck == 0  # in-flight work finished or given back to the frontier
    assert code == 1
    assert "stopped before the end" in out and "pages:" in out  # the summary is printed


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.timeout(120)
async def test_second_ctrl_c_stops_at_once_without_corruption(tmp_path: Path) -> None:
    elapsed, code, _, _ = await _stop_with(tmp_path, [signal.SIGINT, signal.SIGINT])
    assert elapsed < 2.0
    assert code != 0


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()
            and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
@pytest.mark.timeout(120)
async def test_extraction_workers_end_with_the_crawl(tmp_path: Path, sig: signal.Signals) -> None:
    """A crawl with extraction workers leaves none behind, whether it stops gracefully or is killed."""
    pace = Pace(delay_s=0.5)
    site, _ = build_workload(tmp_path / "seeds", pace)
    async with serve(site) as server:
        process = await _spawn(tmp_path, tmp_path / "archive", server.connect_to, "--extract-processes", "2")
        workers: set[int] = set()
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:  # the workers start with the first page
            await asyncio.sleep(0.2)
            workers = _children(process.pid)
        assert len(workers) >= 2, "the crawl started no extraction workers"
        process.send_signal(sig)
        await asyncio.wait_for(process.communicate(), timeout=15)
        deadline = time.monotonic() + 5
        while _alive(workers) and time.monotonic() < deadline:  # noqa: ASYNC110 (other processes: nothing to await)
            await asyncio.sleep(0.1)
    assert not _alive(workers)
    if sig == signal.SIGINT:
        assert process.returncode == 1  # stopped before the end, and said so
