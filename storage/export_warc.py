"""WARC 1.1 export (warcio): every stored HTTP exchange of the selected articles and their images.

Each file opens with a ``warcinfo`` record. Each exchange becomes a ``request`` record (the headers
as sent) and a ``response`` record (the original status line and headers, the body as transferred),
the request's ``WARC-Concurrent-To`` naming the response; warcio adds ``WARC-Block-Digest`` and
``WARC-Payload-Digest``. A payload already written in this export becomes a ``revisit`` record
(identical-payload-digest profile) pointing at the first. Redirect hops are stored with their heads
only: each is a ``response`` record with an empty body (its ``Content-Length`` says 0; the original
value, and a ``Content-Encoding`` an empty body cannot have, are kept as ``X-Archive-Orig-*``).

The stored body is de-chunked but still content-encoded. So a response is written as pywb and
warcprox write one: ``Transfer-Encoding`` renamed ``X-Archive-Orig-Transfer-Encoding``, a
``Content-Length`` that matches the bytes written (a differing original kept as
``X-Archive-Orig-Content-Length``), ``Content-Encoding`` and the encoded bytes unchanged. Header
values that are not ASCII are percent-encoded by warcio (RFC 8187), as it does for every writer.

Files are gzipped per record and rolled once they pass ``max_bytes``: ``<prefix>-<UTC time>-<n>.warc.gz``,
each written under a temporary name and renamed only when the whole export has finished, so an
interrupted export leaves none. Memory: the set of payload digests and fetch ids already written.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import io
import os
from pathlib import Path
from typing import IO, Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage.export import seed_item
from storage.export_run import DEFAULT_WARC_BYTES as DEFAULT_MAX_BYTES
from storage.reads import ArchivedExchange
from storage.records import ArchivedArticle, HttpResponseHead, record
from storage.store import Store

WARC_VERSION = "WARC/1.1"
ORIG = "X-Archive-Orig-"


@record
class PageCapture:
    """Where an article's page is in the WARCs: for ``pages.jsonl`` and replay links."""

    url: str
    date: str
    title: str


def warc_date(iso: str) -> str:
    """A stored ISO time as a WARC 1.1 date: UTC, ``Z``, microseconds when there are any."""
    when = dt.datetime.fromisoformat(iso)
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{when.microsecond:06d}Z" if when.microsecond else f"{text}Z"


def payload_digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def response_headers(headers: tuple[tuple[str, str], ...], body_length: int) -> list[tuple[str, str]]:
    """The headers to write with ``body_length`` bytes of de-chunked body (see the module docstring)."""
    out: list[tuple[str, str]] = []
    lengths = [v for k, v in headers if k.lower() == "content-length"]
    length_holds = len(lengths) == 1 and lengths[0].strip() == str(body_length)
    for name, value in headers:
        lowered = name.lower()
        renamed = (
            lowered == "transfer-encoding"
            or (lowered == "content-length" and not length_holds)
            or (lowered == "content-encoding" and body_length == 0)
        )
        out.append((ORIG + name if renamed else name, value))
    if not length_holds:
        out.append(("Content-Length", str(body_length)))
    return out


def _request_line(head: HttpResponseHead) -> str:
    """``GET <path?query> <version>``: the fetcher only sends GET, for the final hop's URL."""
    parts = head.url.split("/", 3)  # scheme:, '', host, path?query
    target = "/" + parts[3] if len(parts) > 3 else "/"
    return f"GET {target.split('#', 1)[0]} {head.http_version or 'HTTP/1.1'}"


def _version() -> str:
    try:
        return importlib.metadata.version("newsvault")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _WarcFile:
    """One WARC file being written under a temporary name."""

    def __init__(self, final: Path, info: dict[str, str]) -> None:
        self.final = final
        self.tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        self.handle: IO[bytes] = self.tmp.open("wb")
        self.writer = WARCWriter(self.handle, gzip=True, warc_version=WARC_VERSION)
        self.writer.write_record(self.writer.create_warcinfo_record(final.name, info))

    def size(self) -> int:
        return self.handle.tell()


class WarcSink:
    """Writes the exchanges of each article (page, aliases, images) into rolling WARC files."""

    def __init__(self, store: Store, out_dir: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 prefix: str = "newsvault", description: str = "") -> None:
        self.store, self.out_dir, self.max_bytes, self.prefix = store, out_dir, max_bytes, prefix
        self.figures = {"files": 0, "responses": 0, "revisits": 0, "requests": 0}
        self._stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        self._info = {
            "software": f"newsvault/{_version()} (warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "description": description,
        }
        self._files: list[_WarcFile] = []
        self._current: _WarcFile | None = None
        self._fetches: set[int] = set()
        self._payloads: dict[str, tuple[str, str]] = {}  # payload digest -> (target URI, WARC-Date)
        out_dir.mkdir(parents=True, exist_ok=True)

    def _file(self) -> _WarcFile:
        if self._current is not None and self._current.size() >= self.max_bytes:
            self._current.handle.close()
            self._current = None
        if self._current is None:
            name = f"{self.prefix}-{self._stamp}-{len(self._files):05d}.warc.gz"
            self._current = _WarcFile(self.out_dir / name, self._info)
            self._files.append(self._current)
        return self._current

    async def write(self, article: ArchivedArticle) -> PageCapture | None:
        """Write what was not written yet; where the article's page is, if it was archived with a response."""
        for exchange in await self.store.exchanges(article.url_id):
            if exchange.fetch_id not in self._fetches:
                self._fetches.add(exchange.fetch_id)
                await self._write_exchange(self._file().writer, exchange)
        if not article.final_url:
            return None
        title = seed_item(article).get("title") or article.metadata.get("title")
        return PageCapture(url=article.final_url, date=warc_date(article.fetched_at), title=str(title or article.url))

    async def _write_exchange(self, writer: WARCWriter, exchange: ArchivedExchange) -> None:
        date = warc_date(exchange.started_at)
        for hop in exchange.redirects:
            writer.write_record(self._response(writer, hop, b"", date, {}))
        body = b""
        if exchange.raw_sha256:
            body = await self.store.read_blob(exchange.raw_sha256) or b""
        extra = {"WARC-IP-Address": exchange.peer_address} if exchange.peer_address else {}
        response = self._response(writer, exchange.response, body, date, extra)
        request = writer.create_warc_record(
            exchange.response.url, "request", payload=io.BytesIO(b""), length=0,
            warc_headers_dict={"WARC-Date": date},
            http_headers=StatusAndHeaders(_request_line(exchange.response), list(exchange.request_headers),
                                          is_http_request=True),
        )
        writer.write_request_response_pair(request, response)  # the request's WARC-Concurrent-To: the response
        self.figures["requests"] += 1

    def _response(self, writer: WARCWriter, head: HttpResponseHead, body: bytes, date: str,
                  extra: dict[str, str]) -> Any:
        """A ``response`` record, or a ``revisit`` when the same payload was written before."""
        http = StatusAndHeaders(f"{head.status} {head.reason}".strip(), response_headers(head.headers, len(body)),
                                protocol=head.http_version or "HTTP/1.1")
        headers = {"WARC-Date": date, **extra}
        digest = payload_digest(body)
        earlier = self._payloads.get(digest) if body else None
        if earlier is not None:
            self.figures["revisits"] += 1
            return writer.create_revisit_record(head.url, digest, earlier[0], earlier[1], http_headers=http,
                                                warc_headers_dict=headers)
        if body:
            self._payloads[digest] = (head.url, date)
        self.figures["responses"] += 1
        return writer.create_warc_record(head.url, "response", payload=io.BytesIO(body), length=len(body),
                                         warc_headers_dict=headers, http_headers=http)

    async def commit(self) -> tuple[Path, ...]:
        """Close the last file and rename every file to its final name."""
        for warc in self._files:
            warc.handle.close()
            warc.tmp.replace(warc.final)
        self.figures["files"] = len(self._files)
        return tuple(warc.final for warc in self._files)

    def discard(self) -> None:
        for warc in self._files:
            warc.handle.close()
            with contextlib.suppress(FileNotFoundError):
                warc.tmp.unlink()
