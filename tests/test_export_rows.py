"""The file exports' own reader and writers: the same articles as the store's reader, the same JSON text."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.archive import open_store
from storage.export_files import image_file_name, remove_stale_temporaries, write_if_changed
from storage.export_images import ImageFiles, ImageWorkerDied, read_blob
from storage.export_jsonl import JsonlSink, article_line, article_object
from storage.export_rows import ArticleRows
from storage.export_select import ExportMark, ExportSelection, seed_identity
from storage.records import ArchivedArticle
from tests.test_export_archive import SEED_FILE, Crawled, crawled

__all__ = ["crawled"]

SELECTIONS = [
    ExportSelection(),
    ExportSelection(seed_sha256s=seed_identity([str(SEED_FILE)])[0]),
    ExportSelection(seed_paths=("/nowhere.txt",)),
    ExportSelection(since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
    ExportSelection(until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
    ExportSelection(date_field="published", since=dt.datetime(2021, 1, 1, tzinfo=dt.UTC)),
    ExportSelection(changed_since=ExportMark(fetch_id=3, seed_id=1)),
]


def _store_view(crawled: Crawled, selection: ExportSelection) -> tuple[list[ArchivedArticle], int]:
    async def read() -> tuple[list[ArchivedArticle], int]:
        store = await open_store(crawled.settings)
        try:
            return [a async for a in store.iter_articles(selection=selection)], await store.count_articles(selection)
        finally:
            await store.close()

    return asyncio.run(read())


def test_article_rows_read_what_the_store_reads(crawled: Crawled) -> None:
    for selection in SELECTIONS:
        expected, count = _store_view(crawled, selection)
        with ArticleRows(crawled.settings.store_path) as rows:
            got = [article for batch in rows.batches(selection) for article in batch]
            assert got == expected, selection
            assert rows.count(selection) == count == len(expected), selection
    assert len(_store_view(crawled, ExportSelection())[0]) == 6


def test_article_rows_read_in_batches(crawled: Crawled) -> None:
    with ArticleRows(crawled.settings.store_path) as rows:
        whole = [article for batch in rows.batches() for article in batch]
        rows._batch = 2  # batches end inside one seed's articles
        batches = list(rows.batches())
    assert [len(b) for b in batches] == [2, 2, 2]
    assert [a for b in batches for a in b] == whole
    assert any(image.sha256 for a in whole for image in a.images)


def test_a_line_is_the_json_of_the_article_object(crawled: Crawled) -> None:
    with ArticleRows(crawled.settings.store_path) as rows:
        articles = [article for batch in rows.batches() for article in batch]
    texts = ["plain ASCII\nwith \"quotes\", \\u0041 and \\ backslashes\x01", "naïve “curly” text", "DEL \x7f here",
             "", "surrogate-free \U0001f389 emoji \u2028 separator"]
    for article in articles:
        for text in [article.metadata["text"], *texts]:
            changed = dataclasses.replace(article, metadata={**article.metadata, "text": text})
            line = article_line(changed)
            assert line == json.dumps(article_object(changed), ensure_ascii=False, separators=(",", ":"))
            assert json.loads(line)["metadata"]["text"] == text


def test_an_unchanged_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    assert write_if_changed(path, b"one")
    os.utime(path, (1_000_000, 1_000_000))
    assert not write_if_changed(path, b"one")
    assert path.stat().st_mtime == 1_000_000
    assert write_if_changed(path, b"one!") and path.read_bytes() == b"one!"
    assert write_if_changed(path, b"two!") and path.read_bytes() == b"two!"  # same size, other bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]  # no temporary file left


def _articles(crawled: Crawled) -> list[ArchivedArticle]:
    with ArticleRows(crawled.settings.store_path) as rows:
        return [article for batch in rows.batches() for article in batch]


WHERE = [pytest.param(True, id="worker-process"), pytest.param(False, id="in-process")]


@pytest.mark.parametrize("worker", WHERE)
def test_image_files_are_written_once_per_content_hash(crawled: Crawled, tmp_path: Path, worker: bool) -> None:
    archive = crawled.settings.store_path
    articles = _articles(crawled)
    stored = {image.sha256: image for a in articles for image in a.images if image_file_name(image)}
    assert stored
    (tmp_path / "images").mkdir()
    files = ImageFiles(archive, tmp_path, worker=worker)
    for article in articles * 100:  # every image many times, over many batches
        files.add(article)
    assert files.close() == len(stored)
    with sqlite3.connect(archive) as conn:
        for sha256, image in stored.items():
            data = (tmp_path / str(image_file_name(image))).read_bytes()
            assert hashlib.sha256(data).hexdigest() == sha256 and len(data) == image.byte_size
            assert read_blob(conn, sha256) == data
        assert read_blob(conn, "0" * 64) is None
    again = ImageFiles(archive, tmp_path, worker=worker)
    for article in articles:
        again.add(article)
    assert again.close() == 0  # every file there with its size: none rewritten
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == sorted(
        str(image_file_name(image)).removeprefix("images/") for image in stored.values())


@pytest.mark.parametrize("worker", WHERE)
def test_an_image_writer_error_reaches_the_export(crawled: Crawled, tmp_path: Path, worker: bool) -> None:
    articles = _articles(crawled) * 200
    names = {str(image_file_name(i)) for a in articles for i in a.images if image_file_name(i)}
    for name in names:  # a folder where each file should go: every write fails
        (tmp_path / name).mkdir(parents=True)
    files = ImageFiles(crawled.settings.store_path, tmp_path, worker=worker)
    process = files._worker._process if files._worker else None
    with pytest.raises(IsADirectoryError):
        for article in articles:
            files.add(article)
        files.close()
    assert process is None or process.poll() is not None  # the worker stopped with the error
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == sorted(n.split("/")[1] for n in names)


def test_an_archive_the_worker_cannot_open_is_an_error(crawled: Crawled, tmp_path: Path) -> None:
    broken = ImageFiles(tmp_path / "nowhere" / "a.sqlite", tmp_path, worker=True)
    with pytest.raises(sqlite3.Error):
        for article in _articles(crawled) * 200:
            broken.add(article)
        broken.close()


def test_a_killed_image_worker_is_an_error(crawled: Crawled, tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    files = ImageFiles(crawled.settings.store_path, tmp_path, worker=True)
    assert files._worker is not None
    os.kill(files._worker._process.pid, signal.SIGKILL)
    files._worker._process.wait()
    with pytest.raises(ImageWorkerDied, match="exit code -9"):
        for article in _articles(crawled) * 200:
            files.add(article)
        files.close()
    files.abort()


def _blob_archive(path: Path, article: ArchivedArticle, count: int) -> list[ArchivedArticle]:
    """An archive of ``count`` distinct 40 KB images (only the ``blobs`` table the writer reads), and
    articles naming one each."""
    image = next(i for i in article.images if image_file_name(i))
    articles = []
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL)")
        for n in range(count):
            data = n.to_bytes(4, "big") * 10_000
            sha256 = hashlib.sha256(data).hexdigest()
            conn.execute("INSERT INTO blobs VALUES (?, ?, ?)", (sha256, len(data), data))
            articles.append(dataclasses.replace(
                article, images=(dataclasses.replace(image, sha256=sha256, byte_size=len(data)),)))
    return articles


def test_an_aborted_image_writer_stops_and_leaves_whole_files(crawled: Crawled, tmp_path: Path) -> None:
    """Stopped in the middle of writing (as a Ctrl-C of the export does): no temporary file is left."""
    article = next(a for a in _articles(crawled) if any(image_file_name(i) for i in a.images))
    articles = _blob_archive(tmp_path / "blobs.sqlite", article, 1500)
    for attempt in range(3):
        out = tmp_path / f"out-{attempt}"
        (out / "images").mkdir(parents=True)
        files = ImageFiles(tmp_path / "blobs.sqlite", out, worker=True)
        worker = files._worker
        assert worker is not None
        for item in articles[:200 + 300 * attempt]:
            files.add(item)
        deadline = time.monotonic() + 10
        while len(list((out / "images").iterdir())) < 20 and time.monotonic() < deadline:
            time.sleep(0.005)  # stopped while it writes
        files.abort()
        assert worker._process.returncode in (0, -signal.SIGTERM)  # stopped (at once if it was still starting)
        left = list((out / "images").iterdir())
        assert left and not any(p.name.endswith(".tmp") for p in left)
        assert all(hashlib.sha256(p.read_bytes()).hexdigest() == p.stem for p in left)


_HOLDER = """
import sys, time
from pathlib import Path
from storage.export_images import ImageFiles
files = ImageFiles(Path(sys.argv[1]), Path(sys.argv[2]), worker=True)
process = files._worker._process
print(process.pid, flush=True)
try:
    time.sleep(60)
except KeyboardInterrupt:
    files.abort()
    print(process.returncode, flush=True)
"""


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_the_image_worker_ends_with_the_export(crawled: Crawled, tmp_path: Path, sig: signal.Signals) -> None:
    """Ctrl-C reaches the export (its process group), not the worker, which the export then stops;
    a killed export's worker sees its pipe close and ends by itself."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(crawled.settings.store_path), str(tmp_path)],
        cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert holder.stdout is not None
    worker = int(holder.stdout.readline())
    time.sleep(0.5)  # the worker has started
    os.killpg(holder.pid, sig)  # as a terminal does: the whole process group
    out, _ = holder.communicate(timeout=15)
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
    if sig == signal.SIGINT:
        assert out.strip() == "0"  # ended by the export's abort (SIGTERM, handled), not by the Ctrl-C


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_a_killed_exports_temporary_files_are_removed_by_the_next(crawled: Crawled, tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getppid()  # not our own pid: the sink writes that name itself
    (tmp_path / "images").mkdir()
    stale = [tmp_path / f".export.jsonl.{dead}.tmp", tmp_path / "images" / f".{'a' * 64}.jpg.{dead}.tmp"]
    kept = [tmp_path / f".export.jsonl.{alive}.tmp",  # an export still running
            tmp_path / f".notes.txt.{dead}.tmp",  # not ours: the JSONL file's folder is the user's
            tmp_path / "images" / f".{'b' * 64}.jpg.{alive}.tmp"]
    for path in stale + kept:
        path.write_bytes(b"partial")
    sink = JsonlSink(tmp_path / "export.jsonl", crawled.settings.store_path)
    sink.discard()
    assert [p.exists() for p in stale] == [False, False]
    assert [p.exists() for p in kept] == [True, True, True]
    md = tmp_path / "md"
    (md / "images").mkdir(parents=True)
    (md / f".2021-01-01-a-story-0123456789.md.{dead}.tmp").write_bytes(b"partial")
    (md / "images" / f".{'c' * 64}.png.{dead}.tmp").write_bytes(b"partial")
    assert remove_stale_temporaries(md) == 1 and remove_stale_temporaries(md / "images") == 1
    assert remove_stale_temporaries(tmp_path / "nowhere") == 0
