"""The image files of a file export, written beside it: in a worker process when a second core is free.

On a first export, reading each image's blob from SQLite and creating its file are half the work or
more. With a second usable core (``os.sched_getaffinity``), ``ImageFiles`` starts one worker process
that does it while the export's own process renders the next articles. A process, not a thread: the
image work is a few system calls per image, each releasing and taking back the GIL, and a thread
taking it back from the busy rendering thread waited its turn every time (measured on 5,000
articles: the thread saved nothing; the process cut the wall time by a third). One worker, not more:
every image goes into one folder, and several writers queue on that folder's lock in the kernel.
With one usable core the files are written in the export's own process, as they come.

The export's process hands the images over in batches through a pipe, which bounds what waits:
memory stays flat whatever the archive size. The worker checks whether each file is there with its
size (a re-export finds most there) -- not the export's process: while the worker creates files in
the folder, a look-up there waits on the folder's lock (measured: 15% of the export's time). It
reads a blob through SQLite's incremental blob API, which copies the overflow pages straight into
the one result buffer (about half the time of ``SELECT data`` for a 40 KB image), and writes the
file whole under a temporary name. It reports its count after each batch, and the first error it
meets (a full disk, say) at once: the export's process raises it at its next hand-over or at
``close``. A Ctrl-C does not reach the worker (the export decides how to stop); terminated, it
finishes the file in hand and exits; and it exits when the export's process is gone, however that
ended (its pipe closes).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

from storage.export_files import IMAGES_DIR, export_path, image_file_name, remove_stale_temporaries, write_atomically
from storage.records import ArchivedArticle

BATCH = 64  # images handed over at once
STOP_WAIT_S = 5.0  # how long an aborted worker may take to finish the file in hand
ImageJob = tuple[str, str, int | None]  # the file's path, the blob's sha256, the image's size


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity, as ``taskset`` sets it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _blob_reader(archive: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(archive, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("BEGIN")  # one read snapshot: blobs never change once stored
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


def _write(conn: sqlite3.Connection, job: ImageJob) -> bool:
    """Write one image file unless it is there already; whether it was written."""
    path, sha256, size = job
    if not _needs_writing(path, size):
        return False
    data = read_blob(conn, sha256)
    if data is None:
        return False
    write_atomically(path, data)
    return True


class ImageWorkerDied(RuntimeError):
    """The image worker process ended without finishing (killed, or out of memory)."""


class ImageFiles:
    """Writes each article's image files under ``out_dir/images``, once per content hash.

    ``worker`` chooses where (``None``: a worker process when a second core is usable).
    """

    def __init__(self, archive: Path, out_dir: Path | str, *, worker: bool | None = None) -> None:
        """Creates ``out_dir/images`` if need be, without the temporary files of a killed export."""
        self._folder = str(out_dir)
        images = Path(out_dir, IMAGES_DIR)
        images.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(images)
        self._pending: list[ImageJob] = []
        self.written = 0
        """Image files written so far (files already there with the right size are not counted)."""
        self._worker: _Worker | None = None
        self._conn: sqlite3.Connection | None = None
        if worker if worker is not None else usable_cores() >= 2:
            self._worker = _Worker(archive)
        else:
            self._conn = _blob_reader(archive)

    def add(self, article: ArchivedArticle) -> None:
        """Write, or hand over, the article's archived images; raises the worker's error, if any."""
        for image in article.images:
            name = image_file_name(image)
            if name is not None and image.sha256 is not None:
                self._pending.append((export_path(self._folder, name), image.sha256, image.byte_size))
        if len(self._pending) >= BATCH or (self._worker is None and self._pending):
            self._hand_over()

    def close(self) -> int:
        """Write what is left and wait for the worker; how many files were written."""
        try:
            self._hand_over()
            if self._worker is not None:
                self.written = self._worker.finish()
        except BaseException:  # the worker's error, or a Ctrl-C while waiting: nothing stays running
            self.abort()
            raise
        self._release()
        return self.written

    def abort(self) -> None:
        """Stop without writing what is still waiting (every file already written is whole)."""
        if self._worker is not None:
            self._worker.terminate()
        self._release()

    def _hand_over(self) -> None:
        batch, self._pending = self._pending, []
        if self._worker is not None:
            self.written = self._worker.send(batch)
        elif self._conn is not None:
            self.written += sum(_write(self._conn, job) for job in batch)

    def _release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._worker = None


class _Worker:
    """The export's end of the image worker process: batches go out, counts and errors come back.

    The worker is a fresh interpreter that imports only this module (a spawned ``multiprocessing``
    child would first import the whole command again, and start a resource tracker), from the same
    place as the export's process and with no current folder on its path, and talks through two
    pipes. It runs in a session of its own, so a Ctrl-C at the terminal reaches only the export.
    """

    def __init__(self, archive: Path) -> None:
        jobs_in, jobs_out = os.pipe()
        reports_in, reports_out = os.pipe()
        source = str(Path(__file__).resolve().parents[1])  # where this ``storage`` package was imported from
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-P", "-c", _WORKER_MAIN, source, str(archive), str(jobs_in), str(reports_out)],
                pass_fds=(jobs_in, reports_out), stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except BaseException:
            os.close(jobs_out)
            os.close(reports_in)
            raise
        finally:
            os.close(jobs_in)  # the worker's ends: with them closed here, either side sees the other go
            os.close(reports_out)
        self._jobs = Connection(jobs_out, readable=False)
        self._reports = Connection(reports_in, writable=False)
        self._written = 0

    def send(self, batch: list[ImageJob]) -> int:
        """Hand over a batch (waits while the pipe is full); the count written so far."""
        self._read_reports(block=False)
        if batch:
            try:
                self._jobs.send(batch)
            except OSError:  # BrokenPipeError: the worker is gone
                self._read_reports(block=False)
                raise self._died() from None
        return self._written

    def finish(self) -> int:
        """Wait until every file is written; the count written."""
        with contextlib.suppress(OSError):  # gone: reading its reports says why
            self._jobs.send(None)
        done = self._read_reports(block=True)
        if not done:
            raise self._died()
        self._process.wait()
        self._close_pipes()
        return self._written

    def terminate(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()  # SIGTERM: the worker finishes the file in hand and exits
            try:
                self._process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._close_pipes()

    def _read_reports(self, *, block: bool) -> bool:
        """Take in the worker's reports (all waiting, or up to its last when ``block``); whether it finished."""
        while block or self._reports.poll():
            try:
                kind, value = self._reports.recv()
            except EOFError:
                return False
            if kind == "error":
                self.terminate()
                raise value
            self._written = value
            if kind == "done":
                return True
        return False

    def _died(self) -> ImageWorkerDied:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(STOP_WAIT_S)
        self._close_pipes()
        return ImageWorkerDied(f"the image worker process ended early (exit code {self._process.returncode})")

    def _close_pipes(self) -> None:
        self._jobs.close()
        self._reports.close()


class _Termination:
    """SIGTERM in the worker: at once while it waits for work, after the file in hand while it writes.

    Raising in the middle of a write could land just after the temporary file was created and before
    the code that removes it again runs (measured: an interrupted export left one behind).
    """

    writing = False
    requested = False

    @classmethod
    def handle(cls, signum: int, frame: FrameType | None) -> None:
        if not cls.writing:
            raise SystemExit(0)
        cls.requested = True

    @classmethod
    def write(cls, conn: sqlite3.Connection, job: ImageJob) -> bool:
        cls.writing = True
        try:
            return _write(conn, job)
        finally:
            cls.writing = False
            if cls.requested:
                raise SystemExit(0)


def _work(archive: Path, jobs: Connection, reports: Connection) -> None:
    """The image worker process: write each batch's files, report the count after each batch."""
    signal.signal(signal.SIGTERM, _Termination.handle)
    written = 0
    conn: sqlite3.Connection | None = None  # None once anything failed: the rest is only read
    try:
        conn = _blob_reader(archive)
    except Exception as exc:  # any error is the export's to raise
        _report_error(reports, exc)
    while True:
        try:
            batch: list[ImageJob] | None = jobs.recv()
        except EOFError:  # the export's process is gone
            return
        if batch is None:
            break
        if conn is None:
            continue  # read on until the end, so the export's process never waits on a full pipe
        try:
            for job in batch:
                written += _Termination.write(conn, job)
        except Exception as exc:
            _report_error(reports, exc)
            with contextlib.suppress(sqlite3.Error):
                conn.close()
            conn = None
            continue
        if not _report(reports, ("written", written)):
            return
    if conn is not None:
        with contextlib.suppress(sqlite3.Error):
            conn.close()
    _report(reports, ("done", written))


def _report(reports: Connection, message: tuple[str, Any]) -> bool:
    """Send a report; False when the export's process is gone."""
    try:
        reports.send(message)
    except OSError:
        return False
    return True


def _report_error(reports: Connection, exc: Exception) -> None:
    try:
        reports.send(("error", exc))
    except OSError:
        pass  # the export's process is gone
    except Exception:  # an error that does not pickle goes as its text
        _report(reports, ("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def worker_main(argv: list[str]) -> None:
    """The worker's entry: ``ARCHIVE JOBS_FD REPORTS_FD`` (the pipes' ends it inherited)."""
    archive, jobs, reports = argv
    _work(Path(archive), Connection(int(jobs), writable=False), Connection(int(reports), readable=False))


_WORKER_MAIN = (
    "import sys; source = sys.argv[1]; sys.path[:0] = [] if source in sys.path else [source]; "
    "from storage.export_images import worker_main; worker_main(sys.argv[2:])"
)
