"""The ``newsvault`` command: a thin click layer over ``run_crawl``, the store and the exporters.

It parses arguments, loads settings (defaults < ``--config`` file < flags), runs, prints, and maps
errors to exit statuses in one place: 0 all archived, 1 some URLs failed or seeds were rejected
(or the run was stopped), 2 usage, configuration or archive errors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler import __version__
from crawler.archive import open_store
from crawler.errors import CrawlerError
from crawler.models import CrawlReport, PageMetadata
from crawler.process_tuning import tune_process
from crawler.progress import Progress
from crawler.settings import Settings, load_settings
from storage.errors import StoreError
from storage.export_run import (
    FORMATS,
    ExportOptions,
    ExportReport,
    check_options,
    count_candidates,
    parse_size,
    run_export,
    summary_lines,
)
from storage.export_select import ExportSelection, parse_bound, seed_identity

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE = 0, 1, 2
_T = TypeVar("_T")


def _fail(message: str) -> None:
    click.echo(f"newsvault: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (it is a dependency on POSIX): a cheaper event loop per request."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine; our own errors become a clear message and exit status 2."""
    tune_process()
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(coro)
    except (CrawlerError, StoreError) as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc


def _succeeded(task: asyncio.Task[Any]) -> bool:
    """Done with a result (not cancelled, no error: a count that failed leaves the total open)."""
    return not task.cancelled() and task.exception() is None


def common_options(func: Callable[..., None]) -> Callable[..., None]:
    """``--archive`` and ``--config``, which every command takes."""
    func = click.option("--config", "config_file", metavar="FILE", type=click.Path(dir_okay=False),
                        help="TOML settings file (see config/default.toml).")(func)
    return click.option("--archive", "archive_dir", metavar="DIR", help="Archive folder (default: archive/).")(func)


def settings_from(config_file: str | None, **flags: Any) -> Settings:
    try:
        return load_settings(config_file, flags)
    except CrawlerError as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsvault")
def main() -> None:
    """newsvault: crawl news seed records, archive pages and images, export them."""


@main.command()
@click.argument("inputs", nargs=-1, metavar="[SEEDS]...")
@common_options
@click.option("--concurrency", type=int, help="Requests in flight at once, over all hosts (default 16).")
@click.option("--per-host", type=int, help="Requests in flight at once to one host (default 2).")
@click.option("--delay", "delay_s", type=float, metavar="SECONDS", help="Minimum gap between requests to one host.")
@click.option("--connect-to", multiple=True, metavar="HOST:PORT:HOST2:PORT2",
              help="Connect to HOST2:PORT2 for requests to HOST:PORT, as curl does (repeatable).")
@click.option("--ca-bundle", metavar="PATH", help="PEM file of CA certificates to trust.")
@click.option("--user-agent", help="User-Agent header to send.")
@click.option("--allow-private-networks", is_flag=True, default=None,
              help="Allow private, loopback and reserved addresses.")
@click.option("--progress", type=click.Choice(["auto", "bar", "log", "off"]), help="Progress display.")
@click.option("--retry-failed", is_flag=True, help="Try URLs that failed in earlier runs again, with a fresh budget.")
@click.option("--extract-processes", type=int, metavar="N",
              help="Extract pages in N worker processes, for spare cores (default 0: in this process).")
def crawl(inputs: tuple[str, ...], config_file: str | None, retry_failed: bool, **flags: Any) -> None:
    """Crawl seed files, folders or globs (default: seeds/) into the archive; resumes where it stopped."""
    settings = settings_from(config_file, **flags)
    logging.basicConfig(level=logging.INFO if settings.progress == "log" else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)

    from crawler.run import install_stop_signals, run_crawl  # loads the fetcher: only when crawling

    async def crawl_with_signals() -> CrawlReport:
        stop = asyncio.Event()
        install_stop_signals(stop)
        return await run_crawl(settings, list(inputs) or ["seeds"], stop=stop, retry_failed=retry_failed)

    report = _run(crawl_with_signals())
    click.echo(format_report(report))
    sys.exit(EXIT_OK if report.ok else EXIT_INCOMPLETE)


def format_report(report: CrawlReport) -> str:
    lines = [
        f"seeds: {report.seeds_accepted} accepted, {report.seeds_rejected} rejected",
        f"pages: {report.pages_done} archived, {report.pages_failed} failed",
        f"images: {report.images_done} archived, {report.images_failed} failed",
        f"pending: {report.pending}, blocked: {report.blocked}",
        f"requests this run: {report.requests} in {report.elapsed_s:.1f} s",
    ]
    if report.interrupted:
        lines.append("stopped before the end: run `newsvault crawl` again to resume")
    lines += [f"rejected seed {r.path}: {r.reason}" for r in report.rejections]
    lines += [f"failed {url}: {reason}" for url, reason in report.failures]
    return "\n".join(lines)


def metadata_json(metadata: PageMetadata) -> dict[str, Any]:
    """A PageMetadata as JSON-ready values (dates in ISO 8601, tuples as lists)."""
    data: dict[str, Any] = {}
    for name in PageMetadata.__dataclass_fields__:
        value = getattr(metadata, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else list(value) if isinstance(
            value, tuple) else value
    return data


def read_saved_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The address the page was saved from (resolves relative links).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
def extract(files: tuple[Path, ...], url: str | None, as_json: bool) -> None:
    """Show what the archive would record for saved HTML files (gzip accepted)."""
    from crawler.extract import extract_metadata as extract

    for path in files:
        try:
            body = read_saved_page(path)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            _fail(f"cannot read {path}: {exc}")
        data = metadata_json(extract(body, url=url))
        if as_json:
            click.echo(json.dumps({"file": str(path), **data}, ensure_ascii=False))
            continue
        click.echo(f"== {path}")
        for name, value in data.items():
            if name != "text":
                click.echo(f"{name}: {value if value not in (None, []) else '-'}")
        click.echo(f"text:\n{data['text']}\n")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``15m``, ``12h``, ``7d`` or ``2w``."""
    value = text.strip().lower()
    unit = _UNITS.get(value[-1:])
    number = value[:-1] if unit else value
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration such as 90s, 15m, 12h, 7d or 2w") from None
    if seconds < 0:
        raise click.BadParameter(f"{text!r} is negative")
    return seconds


@main.command("refresh-images")
@common_options
@click.option("--older-than", metavar="DURATION", default="0",
              help="Only images last checked longer ago than this (90s, 15m, 12h, 7d, 2w). Default: all.")
@click.option("--only-failed", is_flag=True, help="Only images whose earlier fetch failed.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--concurrency", type=int, help="Requests in flight at once, over all hosts.")
@click.option("--per-host", type=int, help="Requests in flight at once to one host.")
@click.option("--connect-to", multiple=True, metavar="HOST:PORT:HOST2:PORT2", help="As for crawl (repeatable).")
@click.option("--ca-bundle", metavar="PATH", help="PEM file of CA certificates to trust.")
@click.option("--allow-private-networks", is_flag=True, default=None,
              help="Allow private, loopback and reserved addresses.")
@click.option("--progress", type=click.Choice(["auto", "bar", "log", "off"]), help="Progress display.")
def refresh_images(
    config_file: str | None, older_than: str, only_failed: bool, as_json: bool, **flags: Any
) -> None:
    """Re-check archived images (conditional requests): keep changed versions, mark gone ones.

    Resumable: a stopped run continues without re-checking what it already checked.
    """
    older_than_s = parse_duration(older_than)
    settings = settings_from(config_file, **flags)
    if not settings.store_path.exists():
        _fail(f"no archive at {settings.store_path}: run `newsvault crawl` first")

    from crawler.refresh import RefreshReport, run_refresh
    from crawler.run import install_stop_signals

    async def refresh_with_signals() -> RefreshReport:
        stop = asyncio.Event()
        install_stop_signals(stop)
        return await run_refresh(settings, older_than_s=older_than_s, only_failed=only_failed, stop=stop)

    report = _run(refresh_with_signals())
    figures = report.figures()
    if as_json:
        click.echo(json.dumps(figures))
    else:
        click.echo(", ".join(f"{name}: {count}" for name, count in figures.items())
                   + f" ({report.requests} requests in {report.elapsed_s:.1f} s)")
        if report.interrupted:
            click.echo("stopped before the end: run `newsvault refresh-images` again to resume")
    sys.exit(EXIT_INCOMPLETE if report.failed or report.interrupted else EXIT_OK)


@main.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def status(config_file: str | None, archive_dir: str | None, as_json: bool) -> None:
    """Show what the archive holds: seeds, pages and images by state."""
    settings = settings_from(config_file, archive_dir=archive_dir)
    if not settings.store_path.exists():
        _fail(f"no archive at {settings.store_path}: run `newsvault crawl` first")

    async def read() -> dict[str, Any]:
        store = await open_store(settings)
        try:
            counts: dict[str, Any] = dict(await store.counts())
            counts["images"] = {**counts["images"], "claims": await store.image_claims()}
            return counts
        finally:
            await store.close()

    counts = _run(read())
    if as_json:
        click.echo(json.dumps(counts, indent=2))
        return
    click.echo(f"archive: {settings.store_path}")
    click.echo(f"seeds: {counts['seeds']['accepted']} accepted, {counts['seeds']['rejected']} rejected")
    for kind in ("pages", "images"):
        states = ", ".join(f"{state} {n}" for state, n in counts[kind].items() if not isinstance(n, dict))
        click.echo(f"{kind}: {states}")
    claims = counts["images"]["claims"]
    click.echo(f"image size claims: {claims['held']} held, {claims['not_held']} did not, "
               f"{claims['unchecked']} not checked yet")


@main.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="markdown", show_default=True,
              help="markdown: one file per article, YAML front matter, images/ beside; jsonl: one JSON object per "
                   "article; warc: WARC 1.1 files of every exchange; wacz: those WARCs packaged for replay.")
@click.option("--out", metavar="PATH",
              help="Output folder (markdown, warc) or file (jsonl, wacz). Default: ARCHIVE/export, "
                   "ARCHIVE/export.jsonl, ARCHIVE/warc, ARCHIVE/export.wacz.")
@click.option("--site", type=click.Choice(["hugo"]),
              help="markdown only: add the front-matter keys and the config a Hugo site needs (build with `hugo`).")
@click.option("--since", metavar="DATE",
              help="Only articles on or after DATE (YYYY-MM-DD or ISO 8601; see --date-field).")
@click.option("--until", metavar="DATE", help="Only articles on or before DATE (a bare date includes that day).")
@click.option("--date-field", type=click.Choice(["fetched", "published"]), default="fetched", show_default=True,
              help="What --since/--until compare: when the page was fetched (archived), or its publication time "
                   "(the seed's publishedDateTime, else the page's own).")
@click.option("--provider", "providers", multiple=True, metavar="DOMAIN",
              help="Only articles whose seed provider.domain is DOMAIN (repeatable; www. and case ignored).")
@click.option("--topic", "topics", multiple=True, metavar="TOPIC",
              help="Only articles with this seed topic (repeatable; a related article has its seed's topics).")
@click.option("--seed", "seed_files", multiple=True, metavar="FILE",
              help="Only articles named by this seed file, matched by content or path (repeatable).")
@click.option("--incremental", is_flag=True,
              help="Only what changed (new seeds, new fetches of a page or its images) since the last export "
                   "to the same PATH and format; the first time, everything. Not for wacz.")
@click.option("--warc-size", default="1GB", show_default=True, metavar="SIZE",
              help="warc, wacz: start a new WARC file once one passes SIZE (500MB, 1GB, 2GiB).")
@click.option("--progress", type=click.Choice(["auto", "bar", "log", "off"]), help="Progress display.")
def export(config_file: str | None, archive_dir: str | None, fmt: str, out: str | None, site: str | None,
           since: str | None, until: str | None, date_field: str, providers: tuple[str, ...],
           topics: tuple[str, ...], seed_files: tuple[str, ...], incremental: bool, warc_size: str,
           progress: str | None) -> None:
    """Write archived articles out as Markdown, JSON Lines, WARC or WACZ.

    Files appear whole or not at all: an interrupted export can simply be run again.
    """
    settings = settings_from(config_file, archive_dir=archive_dir, progress=progress)
    if not settings.store_path.exists():
        _fail(f"no archive at {settings.store_path}: run `newsvault crawl` first")
    defaults = {"markdown": "export", "jsonl": "export.jsonl", "warc": "warc", "wacz": "export.wacz"}
    try:
        digests, paths = seed_identity(seed_files)
        selection = ExportSelection(
            since=parse_bound(since) if since else None, until=parse_bound(until, end=True) if until else None,
            date_field=date_field, providers=providers, topics=topics, seed_sha256s=digests,
            seed_paths=paths if seed_files else (),
        )
        options = ExportOptions(format=fmt, out=Path(out) if out else Path(settings.archive_dir) / defaults[fmt],
                                selection=selection, site=site, warc_max_bytes=parse_size(warc_size),
                                incremental=incremental)
        check_options(options)
    except (ValueError, StoreError) as exc:
        _fail(str(exc))

    async def write() -> ExportReport:
        store = await open_store(settings)
        display: Progress | None = None
        counting: asyncio.Task[int] | None = None
        try:
            if settings.progress != "off":
                display = Progress(settings.progress, total=None, unit="article")
                counting = asyncio.create_task(count_candidates(store, options))  # the total, while exporting
                counting.add_done_callback(
                    lambda done: display.set_total(done.result()) if display and _succeeded(done) else None)
            return await run_export(store, options, on_progress=display.update if display else None)
        finally:
            if counting is not None:
                counting.cancel()
                await asyncio.gather(counting, return_exceptions=True)
            if display is not None:
                display.close()
            await store.close()

    try:
        report = _run(write())
    except KeyboardInterrupt:
        click.echo("export stopped: no half-written file was left; run the same command again", err=True)
        sys.exit(EXIT_INCOMPLETE)
    for line in summary_lines(report):
        click.echo(line)
