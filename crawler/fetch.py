"""HTTP fetching: owns the aiohttp session, its limits, TLS, redirects and ``--connect-to``.

``Fetcher.fetch(url)`` returns a ``FetchResult`` holding every response exactly as received
(status line, raw headers in order, body as transferred) plus the decoded body, or raises one of
our ``FetchError``s: every aiohttp and timeout exception is translated here and nowhere else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ssl
import time
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import aiohttp
from yarl import URL

from crawler.connect import AddressPolicy, AddressRefused, PolicyResolver, parse_connect_to
from crawler.decode import decode_body
from crawler.errors import ConfigError, FetchError, PermanentFetchError, RetryableFetchError
from crawler.models import FetchResult, HttpResponseHead
from crawler.settings import Settings
from crawler.urls import canonicalize_url

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_READ_CHUNK = 64 * 1024


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, in either form (delta-seconds, HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit alone also takes '²' and other scripts' digits
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _ssl_context(settings: Settings) -> ssl.SSLContext | bool:
    """Only the CAs of ``ca_bundle`` when it is set; else ``True``, aiohttp's own verifying context on the
    system's trust store (built when aiohttp is imported: another would cost tens of milliseconds)."""
    if not settings.ca_bundle:
        return True
    try:
        return ssl.create_default_context(cafile=settings.ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"setting 'ca_bundle': cannot load CA certificates from {settings.ca_bundle}: {exc}") from exc


def _head(response: aiohttp.ClientResponse) -> HttpResponseHead:
    return HttpResponseHead(
        url=str(response.url),
        status=response.status,
        reason=response.reason or "",
        http_version=f"HTTP/{response.version.major}.{response.version.minor}" if response.version else "HTTP/1.1",
        headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers),
    )


_CONDITIONAL = ("If-None-Match", "If-Modified-Since")


def _check_status(head: HttpResponseHead, request_headers: dict[str, str]) -> None:
    """Accept a 2xx, and a 304 only when we asked a conditional question; a 206 we never asked for."""
    if head.status == 304 and any(name in request_headers for name in _CONDITIONAL):
        return
    if head.status == 304:
        raise PermanentFetchError("HTTP 304 Not Modified to a request that was not conditional", status=304)
    if head.status == 206 and "Range" not in request_headers:
        raise PermanentFetchError("HTTP 206 Partial Content to a request for the whole body", status=206)
    if not 200 <= head.status < 300:
        raise _status_error(head)


def _status_error(head: HttpResponseHead) -> FetchError:
    message = f"HTTP {head.status} {head.reason}".rstrip()
    if head.status in RETRYABLE_STATUSES:
        return RetryableFetchError(
            message, status=head.status, retry_after_s=parse_retry_after(head.header("retry-after"))
        )
    return PermanentFetchError(message, status=head.status)


class Fetcher:
    """One ClientSession for a whole run; use as ``async with Fetcher(settings) as fetcher``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = AddressPolicy(
            tuple(parse_connect_to(s) for s in settings.connect_to),
            allow_private=settings.allow_private_networks,
        )
        self._ssl = _ssl_context(settings)
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        connector = aiohttp.TCPConnector(
            limit=s.concurrency, limit_per_host=s.per_host, ssl=self._ssl, resolver=PolicyResolver(self.policy),
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(
                total=s.total_timeout_s or None, sock_connect=s.connect_timeout_s or None,
                sock_read=s.read_timeout_s or None,
            ),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            max_line_size=16 * 1024, max_field_size=16 * 1024,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(self, url: str, *, accept: str = "*/*", headers: dict[str, str] | None = None) -> FetchResult:
        """Fetch ``url`` following redirects; raise a ``FetchError`` for anything but a 2xx."""
        started_at = dt.datetime.now(dt.UTC)
        clock = time.monotonic()
        redirects: list[HttpResponseHead] = []
        current, seen = URL(url, encoded=True), {url}
        request_headers = {"Accept": accept, **(headers or {})}
        while True:
            self._check_target(current)
            head, raw, sent, peer = await self._exchange(current, request_headers)
            if head.status not in _REDIRECTS or not head.header("location"):
                break
            redirects.append(head)
            current = self._next_hop(current, head, seen, len(redirects))
        _check_status(head, request_headers)
        try:
            body = decode_body(raw, head.header("content-encoding"), limit=self.settings.max_body_bytes)
        except PermanentFetchError as exc:
            raise PermanentFetchError(str(exc), status=head.status) from exc
        return FetchResult(
            url=url, request_headers=sent, response=head, raw_body=raw, body=body, redirects=tuple(redirects),
            started_at=started_at, elapsed_s=time.monotonic() - clock, peer_address=peer,
        )

    def _check_target(self, url: URL) -> None:
        if url.scheme not in ("http", "https") or not url.host:
            raise PermanentFetchError(f"refusing to fetch {url}: only http and https URLs with a host")
        try:
            self.policy.check_literal(url.host, url.port or (443 if url.scheme == "https" else 80))
        except AddressRefused as exc:
            raise PermanentFetchError(f"refused address: {exc}") from exc

    def _next_hop(self, current: URL, head: HttpResponseHead, seen: set[str], count: int) -> URL:
        location = _utf8(head.header("location") or "")
        try:
            joined = urljoin(str(current), location.strip())
        except ValueError as exc:
            raise PermanentFetchError(f"redirect to an invalid URL {location!r}", status=head.status) from exc
        if urlsplit(joined).scheme.lower() not in ("http", "https"):
            raise PermanentFetchError(f"redirect to a non-http URL {location!r}", status=head.status)
        try:
            target = URL(canonicalize_url(joined), encoded=True)
        except ValueError as exc:
            raise PermanentFetchError(f"redirect to an invalid URL {location!r}: {exc}", status=head.status) from exc
        if str(target) in seen:
            raise PermanentFetchError(f"redirect loop at {target}", status=head.status)
        if count > self.settings.max_redirects:
            raise PermanentFetchError(f"more than {self.settings.max_redirects} redirects", status=head.status)
        seen.add(str(target))
        return target

    async def _exchange(
        self, url: URL, headers: dict[str, str]
    ) -> tuple[HttpResponseHead, bytes, tuple[tuple[str, str], ...], str | None]:
        """One request/response, no redirects; the body read under the size limit."""
        assert self._session is not None, "use Fetcher as an async context manager"
        self.requests += 1
        request_started = time.monotonic()
        try:
            async with self._session.get(url, headers=headers, allow_redirects=False) as response:
                head = _head(response)
                peer = _peer(response)
                raw = await self._read_body(response, request_started)
                sent = tuple((k, v) for k, v in response.request_info.headers.items())
                return head, raw, sent, peer
        except FetchError:
            raise
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise PermanentFetchError(f"refused address: {exc.os_error}") from exc
            if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientConnectorSSLError):
                raise PermanentFetchError(f"TLS error: {exc}") from exc
            if isinstance(exc, aiohttp.ClientConnectorDNSError):
                raise RetryableFetchError(f"DNS lookup failed for {exc.host}: {exc.os_error.strerror}") from exc
            raise RetryableFetchError(f"cannot connect: {exc}") from exc
        except aiohttp.ClientPayloadError as exc:
            raise RetryableFetchError(f"truncated or malformed body: {exc}") from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise RetryableFetchError("server closed the connection before answering") from exc
        except aiohttp.ClientResponseError as exc:
            raise RetryableFetchError(f"malformed response: {exc.message}", status=None) from exc
        except aiohttp.InvalidURL as exc:
            raise PermanentFetchError(f"invalid URL: {exc}") from exc
        except TimeoutError as exc:  # before OSError and ClientError: aiohttp's timeouts are both
            raise RetryableFetchError(f"timed out: {_timeout_kind(exc)}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise RetryableFetchError(f"connection failed: {type(exc).__name__}: {exc}") from exc

    async def _read_body(self, response: aiohttp.ClientResponse, request_started: float) -> bytes:
        limit = self.settings.max_body_bytes
        declared = response.content_length
        if declared is not None and declared > limit:
            raise PermanentFetchError(f"body of {declared:,} bytes declared, over the {limit:,} byte limit")
        chunks: list[bytes] = []
        received = 0
        started = time.monotonic()
        while True:
            chunk = response.content.read_nowait(_READ_CHUNK)  # what has arrived already needs no deadline
            if not chunk and not response.content.at_eof():
                chunk = await self._read_within_deadline(response, request_started)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if received > limit:
                raise PermanentFetchError(f"body larger than {limit:,} bytes")
            self._check_rate(received, time.monotonic() - started)
        if declared is not None and received < declared:
            raise RetryableFetchError(f"truncated body: {received:,} of {declared:,} bytes")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)  # one copy at most


    async def _read_within_deadline(self, response: aiohttp.ClientResponse, request_started: float) -> bytes:
        # our own per-read deadline: aiohttp's sock_read timer stops on some malformed chunked bodies
        try:
            async with asyncio.timeout(self.settings.read_timeout_s or None):
                return await response.content.read(_READ_CHUNK)
        except TimeoutError as exc:
            total = self.settings.total_timeout_s
            over = bool(total) and time.monotonic() - request_started >= total * 0.95
            kind = "request took longer than the total timeout" if over else "no data within the read timeout"
            raise RetryableFetchError(f"timed out: {kind}") from exc

    def _check_rate(self, received: int, elapsed_s: float) -> None:
        """Abandon a body that trickles in (a slow-drip server) once the grace period is over."""
        minimum = self.settings.min_body_rate
        if minimum and elapsed_s > self.settings.rate_grace_s and received / elapsed_s < minimum:
            raise RetryableFetchError(
                f"body arrived at {received / elapsed_s:,.0f} bytes/s, under the {minimum:,} bytes/s minimum"
            )


def _utf8(header_value: str) -> str:
    """A header value read as UTF-8 when its bytes are (browsers read Location so), else as latin-1."""
    try:
        return header_value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return header_value


def _peer(response: aiohttp.ClientResponse) -> str | None:
    # aiohttp hands the connection back to its pool as soon as the whole body is buffered (for a
    # small body, before we see the response), so fall back to the protocol the response read from
    connection = response.connection
    protocol = connection.protocol if connection is not None else getattr(response, "_protocol", None)
    transport = protocol.transport if protocol is not None else None
    peer = transport.get_extra_info("peername") if transport is not None else None
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else None


def _timeout_kind(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "no connection within the connect timeout"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return "no data within the read timeout"
    return "request took longer than the total timeout"

