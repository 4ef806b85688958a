"""Running an export: select the articles, hand each to the format's writer, report, remember the mark.

``run_export(store, options, on_progress=...)`` takes an ``ExportOptions`` and returns an
``ExportReport``. Formats: ``markdown`` (optionally ``site="hugo"``), ``jsonl``, ``warc``, ``wacz``;
each writer ("sink") has ``write(article)``, ``commit()`` (files into place) and ``discard()`` (an
interrupted export leaves no half-written file). The file formats (markdown, jsonl) read and write
synchronously, a batch of articles at a time (``storage.export_rows``), and let the event loop run
between batches (a cancellation stops the export there); WARC and WACZ read the exchanges through
the store. An incremental export reads and, once finished, updates the mark of its output path in
``export_marks``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from storage.errors import StoreError
from storage.export import seed_item
from storage.export_rows import ArticleRows
from storage.export_select import (
    ExportSelection,
    current_mark,
    matches_record,
    read_mark,
    write_mark,
)
from storage.records import ArchivedArticle, record
from storage.store import Store

FORMATS = ("markdown", "jsonl", "warc", "wacz")
FILE_FORMATS = ("markdown", "jsonl")  # written from ArticleRows; the others from the store's exchanges
DEFAULT_WARC_BYTES = 1_000_000_000  # files roll at this size
SITES = ("hugo",)
ProgressCallback = Callable[[int, Mapping[str, int]], None]


class Sink(Protocol):
    figures: dict[str, int]

    async def write(self, article: ArchivedArticle) -> Any: ...

    async def commit(self) -> tuple[Path, ...]: ...

    def discard(self) -> None: ...


class FileSink(Protocol):
    """A writer of the file formats: synchronous, fed by ``ArticleRows`` (images by ``storage.export_images``)."""

    figures: dict[str, int]

    def write(self, article: ArchivedArticle) -> None: ...

    def commit(self) -> tuple[Path, ...]: ...

    def discard(self) -> None: ...


@record
class ExportOptions:
    format: str
    out: Path
    selection: ExportSelection = ExportSelection()
    site: str | None = None
    warc_max_bytes: int = DEFAULT_WARC_BYTES
    incremental: bool = False


@record
class ExportReport:
    format: str
    out: Path
    considered: int
    exported: int
    skipped: int
    files: tuple[Path, ...]
    figures: Mapping[str, int]
    incremental: bool
    first_export: bool
    elapsed_s: float


def check_options(options: ExportOptions) -> None:
    """Refuse combinations that cannot work, naming the option."""
    if options.format not in FORMATS:
        raise StoreError(f"unknown export format {options.format!r} (one of {', '.join(FORMATS)})")
    if options.site is not None and (options.format != "markdown" or options.site not in SITES):
        raise StoreError("--site hugo applies to --format markdown only")
    if options.incremental and options.format == "wacz":
        raise StoreError("--incremental does not apply to wacz (one package): export warc incrementally instead")
    if options.warc_max_bytes <= 0:
        raise StoreError("--warc-size must be a positive size")
    if options.format in ("jsonl", "wacz") and options.out.is_dir():
        raise StoreError(f"{options.out} is a folder: --format {options.format} writes one file")
    if options.format in ("markdown", "warc") and options.out.exists() and not options.out.is_dir():
        raise StoreError(f"{options.out} is a file: --format {options.format} writes into a folder")


def _file_sink(archive: Path, options: ExportOptions) -> FileSink:
    if options.format == "markdown":
        from storage.export import MarkdownSink

        return MarkdownSink(options.out, archive, site=options.site)
    from storage.export_jsonl import JsonlSink

    return JsonlSink(options.out, archive, append=options.incremental)


def _sink(store: Store, options: ExportOptions) -> Sink:
    # imported here: warcio and wacz are heavy, and the other formats never need them
    if options.format == "warc":
        from storage.export_warc import WarcSink

        return WarcSink(store, options.out, max_bytes=options.warc_max_bytes)
    from storage.export_wacz import WaczSink

    return WaczSink(store, options.out, max_bytes=options.warc_max_bytes)


def _selected(selection: ExportSelection, article: ArchivedArticle) -> bool:
    if not selection.providers and not selection.topics:
        return True
    return matches_record(selection, seed_item(article), seed_item(article, ""))


async def run_export(
    store: Store, options: ExportOptions, *, on_progress: ProgressCallback | None = None
) -> ExportReport:
    """Export the selected articles in ``options.format`` to ``options.out``."""
    check_options(options)
    started = time.monotonic()
    out = options.out.resolve()
    conn = store.connection
    mark = await current_mark(conn)
    earlier = await read_mark(conn, out, options.format) if options.incremental else None
    selection = options.selection
    if earlier is not None:
        selection = dataclasses.replace(selection, changed_since=earlier)
    if options.format in FILE_FORMATS:
        considered, exported, files, figures = await _export_files(store, options, selection, on_progress)
    else:
        considered, exported, files, figures = await _export_captures(store, options, selection, on_progress)
    await write_mark(store, out, options.format, mark, exported)
    return ExportReport(
        format=options.format, out=options.out, considered=considered, exported=exported,
        skipped=considered - exported, files=files, figures=figures, incremental=options.incremental,
        first_export=options.incremental and earlier is None, elapsed_s=time.monotonic() - started,
    )


Outcome = tuple[int, int, tuple[Path, ...], dict[str, int]]  # considered, exported, files, figures


async def _export_files(
    store: Store, options: ExportOptions, selection: ExportSelection, on_progress: ProgressCallback | None
) -> Outcome:
    considered = exported = 0
    with ArticleRows(store.path) as rows:
        sink = _file_sink(store.path, options)
        try:
            for batch in rows.batches(selection):
                for article in batch:
                    considered += 1
                    if _selected(selection, article):
                        sink.write(article)
                        exported += 1
                    if on_progress is not None:
                        on_progress(considered, {"exported": exported, **sink.figures})
                await asyncio.sleep(0)
            files = sink.commit()
        except BaseException:
            sink.discard()
            raise
    return considered, exported, files, dict(sink.figures)


async def _export_captures(
    store: Store, options: ExportOptions, selection: ExportSelection, on_progress: ProgressCallback | None
) -> Outcome:
    considered = exported = 0
    sink = _sink(store, options)
    try:
        async with contextlib.aclosing(store.iter_articles(selection=selection)) as articles:
            async for article in articles:
                considered += 1
                if _selected(selection, article):
                    await sink.write(article)
                    exported += 1
                if on_progress is not None:
                    on_progress(considered, {"exported": exported, **sink.figures})
        files = await sink.commit()
    except BaseException:
        sink.discard()
        raise
    return considered, exported, files, dict(sink.figures)


async def count_candidates(store: Store, options: ExportOptions) -> int:
    """How many articles the export will consider (before the provider and topic tests): the progress total.

    Counted on a connection and thread of its own, so that the count (about 0.1 s for 25,000 articles)
    can run beside the export instead of before it, and not queue the store's own reads behind it.
    """
    selection = options.selection
    if options.incremental:
        earlier = await read_mark(store.connection, options.out.resolve(), options.format)
        selection = dataclasses.replace(selection, changed_since=earlier)

    def count() -> int:
        with ArticleRows(store.path) as rows:
            return rows.count(selection)

    return await asyncio.to_thread(count)


_SIZE_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
               "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_size(text: str) -> int:
    """Bytes in ``1000000``, ``500MB``, ``1GB`` or ``2GiB``."""
    value = text.strip().lower().replace(" ", "")
    number = value.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = _SIZE_UNITS.get(value[len(number):])
    try:
        size = int(float(number) * unit) if unit else -1
    except ValueError:
        size = -1
    if size <= 0:
        raise ValueError(f"{text!r} is not a size such as 500MB or 1GB")
    return size


def summary_lines(report: ExportReport) -> list[str]:
    """What the command prints when an export has finished."""
    figures = ", ".join(f"{name} {count}" for name, count in report.figures.items())
    scope = ""
    if report.incremental:
        scope = " (first export to this path: everything)" if report.first_export else " changed since the last export"
    lines = [f"exported {report.exported} articles{scope} as {report.format} to {report.out} "
             f"in {report.elapsed_s:.1f} s ({figures})"]
    if report.skipped:
        lines.append(f"{report.skipped} articles left out by --provider/--topic")
    lines += [f"wrote {path}" for path in report.files if path != report.out]
    return lines
