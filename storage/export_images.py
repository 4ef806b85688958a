"""The image files of a file export, written beside it by a background thread while articles render.

On a first export, reading each image's blob from SQLite and creating its file are most of the work,
and both run without the GIL (``sqlite3`` releases it while SQLite reads, ``os`` while the kernel
writes). So ``ImageFiles`` hands them to one thread, and the export's own thread goes on rendering
the next articles: on a machine with a second core the two overlap. One thread, not more: every
image goes into the same folder, and threads creating files in one folder queue on its lock in the
kernel (measured: with two, a tenth of the CPU went to spinning on it). The thread has its own
read-only connection and reads a blob through SQLite's incremental blob API, which copies the
overflow pages straight into the one result buffer (about half the time of ``SELECT data`` for a
40 KB image). Images are handed over in bounded batches: memory stays flat whatever the archive
size, and the thread is woken once per batch, not per image. The first error the thread meets (a
full disk, say) is raised in the export's thread at its next ``add`` or at ``close``.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
from pathlib import Path

from storage.export_files import export_path, image_file_name, write_atomically
from storage.records import ArchivedArticle

BATCH = 64  # images handed over at once
QUEUE = 8  # batches waiting
ImageJob = tuple[str, str, int | None]  # the file's path, the blob's sha256, the image's size


def _blob_reader(archive: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(archive, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("BEGIN")  # one read snapshot for the thread's life: blobs never change once stored
    return conn


def read_blob(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    """The stored bytes named ``sha256``, read through the incremental blob API."""
    row = conn.execute("SELECT rowid FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None:
        return None
    with conn.blobopen("blobs", "data", row[0], readonly=True) as blob:
        return blob.read()


def _needs_writing(path: str, size: int | None) -> bool:
    try:
        return os.stat(path).st_size != size  # noqa: PTH116 (a str path: one stat per image)
    except FileNotFoundError:
        return True


class ImageFiles:
    """Writes each article's image files under ``out_dir/images``, once per content hash."""

    def __init__(self, archive: Path, out_dir: Path | str) -> None:
        self._folder = str(out_dir)
        self._pending: list[ImageJob] = []
        self._batches: queue.Queue[list[ImageJob] | None] = queue.Queue(QUEUE)
        self._written = 0
        self._error: BaseException | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(archive,), name="export-images", daemon=True)
        self._thread.start()

    @property
    def written(self) -> int:
        """Image files written so far (files already there with the right size are not counted)."""
        return self._written

    def add(self, article: ArchivedArticle) -> None:
        """Queue the article's archived images; raises the thread's earlier error, if any."""
        if self._error is not None:
            raise self._error
        for image in article.images:
            name = image_file_name(image)
            if name is not None and image.sha256 is not None:
                self._pending.append((export_path(self._folder, name), image.sha256, image.byte_size))
        if len(self._pending) >= BATCH:
            self._batches.put(self._pending)
            self._pending = []

    def close(self) -> int:
        """Wait until every queued file is written; how many were. Raises the thread's error, if any."""
        self._batches.put(self._pending)
        self._pending = []
        self._finish()
        if self._error is not None:
            raise self._error
        return self._written

    def abort(self) -> None:
        """Stop without writing what is still queued (every file already written is whole)."""
        self._stopping.set()
        self._finish()

    def _finish(self) -> None:
        self._batches.put(None)
        self._thread.join()

    def _run(self, archive: Path) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = _blob_reader(archive)
        except BaseException as exc:  # reported to the export's thread; the queue is still drained
            self._fail(exc)
        while (batch := self._batches.get()) is not None:
            for path, sha256, size in batch:
                if conn is None or self._stopping.is_set():
                    break
                try:
                    if _needs_writing(path, size) and (data := read_blob(conn, sha256)) is not None:
                        write_atomically(path, data)
                        self._written += 1
                except BaseException as exc:
                    self._fail(exc)
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        self._stopping.set()
