"""Real local HTTP/HTTPS servers for newsvault's tests (no mocking of the HTTP layer).

`serve(site)` runs an aiohttp server on 127.0.0.1 that dispatches on Host header + path, so the
crawler can reach real host names through `--connect-to ::127.0.0.1:PORT` (and `--ca-bundle` for TLS);
`raw_server(handler)` writes raw bytes for malformed responses.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gzip as gzip_module
import ssl
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import trustme
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = [
    "Behaviour",
    "Close",
    "DripBody",
    "GzipBomb",
    "Huge",
    "Image",
    "LocalServer",
    "NotModified",
    "Page",
    "RawHandler",
    "Redirect",
    "SeenRequest",
    "ShortBody",
    "Site",
    "SlowHeaders",
    "StallBody",
    "Status",
    "TestCA",
    "connection_counter",
    "invalid_chunked",
    "malformed_headers",
    "malformed_status_line",
    "raw_response",
    "raw_server",
    "read_request_head",
    "serve",
]

HeaderItems = tuple[tuple[str, str], ...] | Mapping[str, str]
DEFAULT_HTML = "text/html; charset=utf-8"
_BLOCK = 64 * 1024


# --------------------------------------------------------------------------- TLS


class TestCA:
    """A throwaway certificate authority (trustme) for TLS test servers."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self._contexts: dict[str, ssl.SSLContext] = {}

    def ca_bundle(self, path: str | Path) -> Path:
        """Write the CA certificate (PEM) to `path`, for the crawler's `--ca-bundle`."""
        path = Path(path)
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def server_context(self, hostnames: Iterable[str] = ()) -> ssl.SSLContext:
        """A server SSLContext whose certificate covers `hostnames` plus localhost and 127.0.0.1."""
        names = list(dict.fromkeys([*(_norm_host(h) for h in hostnames), "localhost", "127.0.0.1"]))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*names).configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client SSLContext that trusts this CA (for tests that use aiohttp directly)."""
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx

    def _serving_context(self, hostnames: Iterable[str]) -> ssl.SSLContext:
        """Server context that also issues a certificate on the fly for any unknown SNI name."""
        ctx = self.server_context(hostnames)
        covered = {_norm_host(h) for h in hostnames} | {"localhost", "127.0.0.1"}

        def on_sni(sslobj: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
            if server_name is None or _norm_host(server_name) in covered:
                return
            name = _norm_host(server_name)
            if name not in self._contexts:
                self._contexts[name] = self.server_context([name])
            sslobj.context = self._contexts[name]

        ctx.sni_callback = on_sni
        return ctx


# --------------------------------------------------------------------------- helpers


def _norm_host(host: str) -> str:
    """Lower-case host name without port or trailing dot ("GCN.com:8443" -> "gcn.com")."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8080
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _headers(content_type: str | None, extra: HeaderItems = ()) -> CIMultiDict[str]:
    out: CIMultiDict[str] = CIMultiDict()
    if content_type is not None:
        out["Content-Type"] = content_type
    items = extra.items() if isinstance(extra, Mapping) else extra
    for name, value in items:
        out.add(name, value)
    return out


def _to_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def _quote_etag(etag: str) -> str:
    return etag if etag.startswith(('"', "W/")) else f'"{etag}"'


def _http_date(value: str | datetime) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return email.utils.format_datetime(value.astimezone(UTC), usegmt=True)


def _etag_matches(if_none_match: str, etag: str) -> bool:
    def strong(tag: str) -> str:
        return tag.strip().removeprefix("W/")

    tags = [t for t in if_none_match.split(",") if t.strip()]
    return any(t.strip() == "*" or strong(t) == strong(etag) for t in tags)


def _not_modified_since(if_modified_since: str, last_modified: str) -> bool:
    try:
        ims = email.utils.parsedate_to_datetime(if_modified_since)
        lm = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return if_modified_since.strip() == last_modified.strip()
    return ims >= lm


def _conditional(
    request: web.Request, etag: str | None, last_modified: str | datetime | None
) -> tuple[CIMultiDict[str], bool]:
    """Validator headers for the response, and whether the request's conditions say 304."""
    validators: CIMultiDict[str] = CIMultiDict()
    if etag is not None:
        validators["ETag"] = _quote_etag(etag)
    if last_modified is not None:
        validators["Last-Modified"] = _http_date(last_modified)
    inm = request.headers.get("If-None-Match")
    ims = request.headers.get("If-Modified-Since")
    if inm is not None:  # RFC 9110: If-None-Match takes precedence over If-Modified-Since
        return validators, etag is not None and _etag_matches(inm, validators["ETag"])
    if ims is not None and last_modified is not None:
        return validators, _not_modified_since(ims, validators["Last-Modified"])
    return validators, False


def _drop_connection(request: web.Request, *, reset: bool = False) -> None:
    transport = request.transport
    if transport is None:
        return
    if reset:
        transport.abort()
    else:
        transport.close()


def _gzip_chunks(size: int, block: int = 1 << 20) -> Iterator[bytes]:
    """Gzip stream of `size` zero bytes, produced incrementally (never holds the plain data)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = memoryview(bytes(min(block, max(size, 1))))
    remaining = size
    while remaining > 0:
        n = min(len(zeros), remaining)
        out = comp.compress(zeros[:n])
        if out:
            yield out
        remaining -= n
    yield comp.flush()


def _filler(size: int) -> Iterator[bytes]:
    block = b"A" * _BLOCK
    full, tail = divmod(size, _BLOCK)
    for _ in range(full):
        yield block
    yield block[:tail]


@lru_cache(maxsize=8)
def _gzip_bomb_bytes(size: int) -> bytes:
    return b"".join(_gzip_chunks(size))


async def _stream(request: web.Request, resp: web.StreamResponse, chunks: Iterable[bytes]) -> None:
    """Prepare `resp` and write `chunks`; a client that goes away just ends the stream."""
    with contextlib.suppress(ConnectionError):
        await resp.prepare(request)
        for chunk in chunks:
            if chunk:  # an empty write could end a chunked body early
                await resp.write(chunk)


# --------------------------------------------------------------------------- behaviours


@dataclass(frozen=True)
class Behaviour:
    """One response. Subclass and implement `respond` for anything not covered below."""

    async def respond(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError


@dataclass(frozen=True)
class Page(Behaviour):
    """A complete response (HTML by default); answers 304 when the request's validators match."""

    body: bytes | str
    content_type: str = DEFAULT_HTML
    status: int = 200
    headers: HeaderItems = ()
    gzip: bool = False
    etag: str | None = None
    last_modified: str | datetime | None = None

    async def respond(self, request: web.Request) -> web.StreamResponse:
        validators, not_modified = _conditional(request, self.etag, self.last_modified)
        if not_modified:
            return web.Response(status=304, headers=validators)
        headers = _headers(self.content_type, self.headers)
        headers.extend(validators)
        body = _to_bytes(self.body)
        if self.gzip:
            body = gzip_module.compress(body)
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, status=self.status, headers=headers)


@dataclass(frozen=True)
class Image(Behaviour):
    """Binary content (an image by default) with optional validators."""

    data: bytes
    content_type: str = "image/jpeg"
    status: int = 200
    headers: HeaderItems = ()
    etag: str | None = None
    last_modified: str | datetime | None = None

    async def respond(self, request: web.Request) -> web.StreamResponse:
        page = Page(
            self.data,
            self.content_type,
            self.status,
            self.headers,
            etag=self.etag,
            last_modified=self.last_modified,
        )
        return await page.respond(request)


@dataclass(frozen=True)
class Status(Behaviour):
    """A bare status code (e.g. 404, 429, 503), optionally with Retry-After."""

    code: int
    retry_after: str | None = None
    body: bytes | str = b""
    headers: HeaderItems = ()
    content_type: str = "text/plain; charset=utf-8"

    async def respond(self, request: web.Request) -> web.StreamResponse:
        headers = _headers(self.content_type, self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
        return web.Response(status=self.code, body=_to_bytes(self.body), headers=headers)


@dataclass(frozen=True)
class Redirect(Behaviour):
    """A redirect to `location` (absolute URL or path)."""

    location: str
    code: int = 302
    headers: HeaderItems = ()

    async def respond(self, request: web.Request) -> web.StreamResponse:
        headers = _headers("text/plain; charset=utf-8", self.headers)
        headers["Location"] = self.location
        return web.Response(status=self.code, body=b"redirect", headers=headers)


@dataclass(frozen=True)
class NotModified(Behaviour):
    """An unconditional 304 Not Modified."""

    etag: str | None = None

    async def respond(self, request: web.Request) -> web.StreamResponse:
        headers = {"ETag": _quote_etag(self.etag)} if self.etag is not None else None
        return web.Response(status=304, headers=headers)


@dataclass(frozen=True)
class SlowHeaders(Behaviour):
    """Sleep `delay_s` before sending anything, then answer with `then`."""

    delay_s: float
    then: Behaviour = Page("<html><body><p>slow</p></body></html>")

    async def respond(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(self.delay_s)
        return await self.then.respond(request)


@dataclass(frozen=True)
class StallBody(Behaviour):
    """Chunked body: send `first`, stall `delay_s`, then send `rest` and finish."""

    first: bytes
    delay_s: float
    rest: bytes = b""
    content_type: str = DEFAULT_HTML

    async def respond(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers=_headers(self.content_type))
        resp.enable_chunked_encoding()
        with contextlib.suppress(ConnectionError):
            await resp.prepare(request)
            await resp.write(self.first)
            await asyncio.sleep(self.delay_s)
            await resp.write(self.rest)
        return resp


@dataclass(frozen=True)
class ShortBody(Behaviour):
    """Declare Content-Length `declared_length` but send only `body`, then close the connection."""

    body: bytes
    declared_length: int
    content_type: str = DEFAULT_HTML

    async def respond(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers=_headers(self.content_type))
        resp.content_length = self.declared_length
        await _stream(request, resp, [self.body])
        _drop_connection(request)  # flushes what was written, then FIN
        return resp


@dataclass(frozen=True)
class Close(Behaviour):
    """Drop the TCP connection before any byte of the response (`reset=True`: abort instead of FIN)."""

    reset: bool = False

    async def respond(self, request: web.Request) -> web.StreamResponse:
        _drop_connection(request, reset=self.reset)
        # Writing this response to the closed transport fails; aiohttp treats that as a client disconnect.
        return web.Response(status=500)


@dataclass(frozen=True)
class DripBody(Behaviour):
    """Content-Length body sent `chunk` bytes at a time, every `interval_s` seconds."""

    body: bytes
    chunk: int = 1
    interval_s: float = 0.01
    content_type: str = DEFAULT_HTML

    async def respond(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers=_headers(self.content_type))
        resp.content_length = len(self.body)
        with contextlib.suppress(ConnectionError):
            await resp.prepare(request)
            for start in range(0, len(self.body), max(self.chunk, 1)):
                if start:
                    await asyncio.sleep(self.interval_s)
                await resp.write(self.body[start : start + max(self.chunk, 1)])
        return resp


@dataclass(frozen=True)
class GzipBomb(Behaviour):
    """`Content-Encoding: gzip` body that inflates to `decompressed_size` zero bytes.

    Compressed incrementally; chunked by default, or with Content-Length when `chunked=False`
    (then the compressed bytes, about 1/1000 of the size, are computed up front and cached).
    """

    decompressed_size: int
    content_type: str = DEFAULT_HTML
    chunked: bool = True

    async def respond(self, request: web.Request) -> web.StreamResponse:
        headers = _headers(self.content_type)
        headers["Content-Encoding"] = "gzip"
        resp = web.StreamResponse(headers=headers)
        if self.chunked:
            resp.enable_chunked_encoding()
            await _stream(request, resp, _gzip_chunks(self.decompressed_size))
        else:
            data = _gzip_bomb_bytes(self.decompressed_size)
            resp.content_length = len(data)
            await _stream(request, resp, [data])
        return resp


@dataclass(frozen=True)
class Huge(Behaviour):
    """A `size`-byte body streamed in 64 KiB blocks, chunked or with Content-Length."""

    size: int
    chunked: bool = True
    content_type: str = DEFAULT_HTML

    async def respond(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers=_headers(self.content_type))
        if self.chunked:
            resp.enable_chunked_encoding()
        else:
            resp.content_length = self.size
        await _stream(request, resp, _filler(self.size))
        return resp


# --------------------------------------------------------------------------- site


class SeenRequest(NamedTuple):
    method: str
    host: str  # normalised: lower case, no port
    path: str  # raw path including the query string
    headers: CIMultiDictProxy[str]


@dataclass
class Site:
    """Virtual hosts: (host, path) -> a plan of behaviours, used one per hit, the last one repeating.

    Paths are matched on the raw path with query first, then without the query, then percent-decoded.
    `hits` is keyed by (host, registered path), or (host, raw path without query) for unknown paths.
    """

    routes: dict[tuple[str, str], tuple[Behaviour, ...]] = field(default_factory=dict)
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)
    requests: list[SeenRequest] = field(default_factory=list)

    def add(self, host: str, path: str, *behaviours: Behaviour) -> Site:
        if not behaviours:
            raise ValueError("add() needs at least one behaviour")
        self.routes[(_norm_host(host), path)] = behaviours
        return self

    def page(
        self,
        host: str,
        path: str,
        html: bytes | str,
        *,
        content_type: str = DEFAULT_HTML,
        etag: str | None = None,
        last_modified: str | datetime | None = None,
    ) -> Site:
        return self.add(host, path, Page(html, content_type, etag=etag, last_modified=last_modified))

    def image(self, host: str, path: str, data: bytes, content_type: str = "image/jpeg") -> Site:
        return self.add(host, path, Image(data, content_type))

    @property
    def hosts(self) -> list[str]:
        return list(dict.fromkeys(host for host, _ in self.routes))

    def requests_for(self, host: str, path: str | None = None) -> list[SeenRequest]:
        host = _norm_host(host)
        return [r for r in self.requests if r.host == host and (path is None or r.path == path)]

    def _route(self, request: web.Request) -> tuple[tuple[str, str], tuple[Behaviour, ...] | None]:
        host = _norm_host(request.host)
        bare = request.rel_url.raw_path
        for path in (request.raw_path, bare, request.path):
            if (host, path) in self.routes:
                return (host, path), self.routes[(host, path)]
        return (host, bare), None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        key, plan = self._route(request)
        self.hits[key] += 1
        self.requests.append(SeenRequest(request.method, key[0], request.raw_path, request.headers))
        if plan is None:
            return web.Response(status=404, text="not found")
        behaviour = plan[min(self.hits[key], len(plan)) - 1]
        return await behaviour.respond(request)


@dataclass(frozen=True)
class LocalServer:
    site: Site
    port: int
    tls: bool

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def connect_to(self) -> str:
        """curl-style `--connect-to` value mapping every host and port to this server."""
        return f"::127.0.0.1:{self.port}"

    def connect_to_port(self, port: int) -> str:
        """`--connect-to` value mapping only connections to `port` (e.g. 443) to this server."""
        return f":{port}:127.0.0.1:{self.port}"

    def url(self, host: str, path: str = "/") -> str:
        """The public URL the crawler would use, e.g. url("gcn.com", "/a") -> "https://gcn.com/a"."""
        return f"{self.scheme}://{host}{path}"


@asynccontextmanager
async def serve(
    site: Site,
    *,
    tls: TestCA | None = None,
    hostnames: Iterable[str] = (),
    shutdown_timeout: float = 0.5,
) -> AsyncIterator[LocalServer]:
    """Serve `site` on 127.0.0.1 (random port), over TLS when `tls` is given.

    The certificate covers `hostnames`, the site's hosts, localhost and 127.0.0.1; any other SNI
    name gets a certificate from the same CA on the fly.
    """
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", site.handle)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        ssl_context = tls._serving_context([*hostnames, *site.hosts]) if tls is not None else None
        tcp = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await tcp.start()
        port = int(runner.addresses[0][1])
        yield LocalServer(site=site, port=port, tls=tls is not None)
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- raw server

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request_head(reader: asyncio.StreamReader) -> bytes:
    """Read a request's line and headers (up to the blank line); b"" if the client went away."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return b""


def raw_response(data: bytes) -> RawHandler:
    """A handler that reads the request head, writes `data` verbatim and closes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(data)
        await writer.drain()

    return handler


async def malformed_status_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Status line with a non-numeric status code."""
    await raw_response(b"HTTP/1.1 two-hundred OK\r\nContent-Length: 2\r\n\r\nok")(reader, writer)


async def malformed_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A header line without a colon and one with a control character in its name."""
    data = b"HTTP/1.1 200 OK\r\nContent-Type text/html\r\nX-Bad\x01Name: 1\r\nContent-Length: 2\r\n\r\nok"
    await raw_response(data)(reader, writer)


async def invalid_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 200 with one valid chunk, then (after a short pause) a chunk size that is not hexadecimal.

    The pause lets the client see the status and headers first, so the error surfaces while
    reading the body (aiohttp: ClientPayloadError).
    """
    await read_request_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
    writer.write(b"5\r\nhello\r\n")
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(b"zz\r\nbroken\r\n0\r\n\r\n")
    await writer.drain()


@asynccontextmanager
async def connection_counter(host: str) -> AsyncIterator[tuple[int, list[int]]]:
    """A listener on `host` (port 0) that counts the connections it accepts and closes them."""
    accepted: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writer.close()

    server = await asyncio.start_server(on_connect, host, 0)
    try:
        yield int(server.sockets[0].getsockname()[1]), accepted
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def raw_server(handler: RawHandler) -> AsyncIterator[int]:
    """Plain TCP server on 127.0.0.1 running `handler(reader, writer)` per connection; yields the port.

    The connection is closed after the handler returns; handlers still running at exit are cancelled.
    """
    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            tasks.add(task)
        try:
            with contextlib.suppress(ConnectionError):
                await handler(reader, writer)
        finally:
            tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
