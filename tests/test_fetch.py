"""The fetcher against real local servers: TLS through --connect-to, redirects, bodies, faults.

Every test fetches from a `tests.servers` site (or a raw socket server for malformed responses)
reached by host name through `connect_to`, and asserts on the `FetchResult`, the `FetchError`
raised and the server's hit counts. Pure helpers (Retry-After, connect_to, address policy,
content decoding) are unit-tested at the end.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import brotli
import pytest
from aiohttp import web

from crawler.connect import ConnectTo, is_forbidden_address, parse_connect_to
from crawler.decode import decode_body
from crawler.errors import ConfigError, FetchError, PermanentFetchError, RetryableFetchError
from crawler.fetch import Fetcher, parse_retry_after
from crawler.models import FetchResult
from crawler.settings import Settings
from tests.conftest import crawl_settings
from tests.servers import (
    Behaviour,
    Close,
    DripBody,
    GzipBomb,
    Huge,
    LocalServer,
    Page,
    RawHandler,
    Redirect,
    ShortBody,
    Site,
    SlowHeaders,
    StallBody,
    Status,
    TestCA,
    connection_counter,
    invalid_chunked,
    malformed_headers,
    malformed_status_line,
    raw_response,
    raw_server,
    serve,
)

HOST = "news.example"
HTML = "<!doctype html><html><head><title>A</title></head><body><p>Hello, archive.</p></body></html>"
MB = 1 << 20


async def fetch_once(settings: Settings, url: str) -> FetchResult:
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url)


async def fetch_error(settings: Settings, url: str) -> FetchError:
    """The FetchError that fetching `url` raises (fails the test when it succeeds)."""
    with pytest.raises(FetchError) as caught:
        await fetch_once(settings, url)
    return caught.value


@asynccontextmanager
async def raw_site(handler: RawHandler) -> AsyncIterator[LocalServer]:
    """A raw socket server wrapped as a LocalServer, so `crawl_settings` can map hosts to it."""
    async with raw_server(handler) as port:
        yield LocalServer(site=Site(), port=port, tls=False)


@lru_cache(maxsize=1)
def gigabyte_bomb() -> bytes:
    """Gzip of 10**9 zero bytes (~970 KB) built in milliseconds: 100 identical 10 MB members.

    Compressing a gigabyte as one stream takes the test server ~3 s; gzip allows members to be
    concatenated and the decoder joins them, so this is the same bomb, made cheaply.
    """
    return gzip.compress(bytes(10**7), compresslevel=9) * 100


@dataclass(frozen=True)
class GigabyteBomb(Behaviour):
    """Content-Encoding gzip, Content-Length ~970 KB, 1 GB once inflated."""

    async def respond(self, request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        return web.Response(body=gigabyte_bomb(), headers=headers)


# --------------------------------------------------------------------------- TLS


async def test_tls_through_connect_to_with_ca_bundle(tmp_path: Path, test_ca: TestCA, ca_bundle: Path) -> None:
    site = Site().add(HOST, "/a", Page(HTML))
    async with serve(site, tls=test_ca) as server:
        result = await fetch_once(crawl_settings(tmp_path, server, ca_bundle), f"https://{HOST}/a")
    assert result.response.status == 200
    assert result.body == HTML.encode()
    assert result.final_url == f"https://{HOST}/a"
    assert result.peer_address == f"127.0.0.1:{server.port}"
    assert site.hits[(HOST, "/a")] == 1


async def test_tls_without_ca_bundle_is_a_permanent_tls_error(tmp_path: Path, test_ca: TestCA) -> None:
    site = Site().add(HOST, "/a", Page(HTML))
    async with serve(site, tls=test_ca) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"https://{HOST}/a")
    assert isinstance(error, PermanentFetchError)
    assert "TLS error" in str(error)
    assert site.hits[(HOST, "/a")] == 0  # the handshake failed: no request was sent


# --------------------------------------------------------------------------- redirects


async def test_redirect_chain_records_every_hop(tmp_path: Path) -> None:
    site = (
        Site()
        .add(HOST, "/old", Redirect(f"http://{HOST}/moved", code=301))
        .add(HOST, "/moved", Redirect("/final", code=302))
        .add(HOST, "/final", Page(HTML))
    )
    async with serve(site) as server:
        result = await fetch_once(crawl_settings(tmp_path, server, None), f"http://{HOST}/old")
    assert [(hop.status, hop.header("Location")) for hop in result.redirects] == [
        (301, f"http://{HOST}/moved"),
        (302, "/final"),
    ]
    assert [hop.url for hop in result.redirects] == [f"http://{HOST}/old", f"http://{HOST}/moved"]
    assert result.url == f"http://{HOST}/old"
    assert result.final_url == f"http://{HOST}/final"
    assert result.response.status == 200 and result.body == HTML.encode()
    assert [site.hits[(HOST, p)] for p in ("/old", "/moved", "/final")] == [1, 1, 1]


async def test_redirect_loop_is_permanent(tmp_path: Path) -> None:
    site = Site().add(HOST, "/a", Redirect("/b")).add(HOST, "/b", Redirect("/a"))
    async with serve(site) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/a")
    assert isinstance(error, PermanentFetchError)
    assert "redirect loop" in str(error)
    assert (site.hits[(HOST, "/a")], site.hits[(HOST, "/b")]) == (1, 1)


@pytest.mark.parametrize(("hops", "ok"), [(2, True), (3, False)])
async def test_max_redirects_is_the_most_followed(tmp_path: Path, hops: int, ok: bool) -> None:
    site = Site().add(HOST, f"/r{hops}", Page(HTML))
    for n in range(hops):
        site.add(HOST, f"/r{n}", Redirect(f"/r{n + 1}", code=307))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, max_redirects=2)
        if ok:
            result = await fetch_once(settings, f"http://{HOST}/r0")
            assert len(result.redirects) == hops
            assert result.final_url == f"http://{HOST}/r{hops}"
        else:
            error = await fetch_error(settings, f"http://{HOST}/r0")
            assert isinstance(error, PermanentFetchError)
            assert "more than 2 redirects" in str(error)
            assert site.hits[(HOST, f"/r{hops}")] == 0


async def test_redirect_to_ftp_is_refused(tmp_path: Path) -> None:
    site = Site().add(HOST, "/a", Redirect("ftp://files.example/a.txt", code=301))
    async with serve(site) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/a")
    assert isinstance(error, PermanentFetchError)
    assert "non-http" in str(error) and error.status == 301


async def test_redirect_to_a_forbidden_address_is_refused_before_connecting(tmp_path: Path) -> None:
    async with connection_counter("127.0.0.2") as (port, accepted):
        site = Site().add(HOST, "/a", Redirect(f"http://127.0.0.2:{port}/internal"))
        async with serve(site) as server:
            # only news.example is mapped: 127.0.0.2 is not a connect_to target
            settings = crawl_settings(
                tmp_path, server, None, connect_to=(f"{HOST}::127.0.0.1:{server.port}",),
                allow_private_networks=False,
            )
            error = await fetch_error(settings, f"http://{HOST}/a")
    assert isinstance(error, PermanentFetchError)
    assert "refused address" in str(error) and "127.0.0.2" in str(error)
    assert site.hits[(HOST, "/a")] == 1
    assert accepted == []


async def test_redirect_to_a_name_resolving_to_loopback_is_refused(tmp_path: Path) -> None:
    async with connection_counter("127.0.0.1") as (port, accepted):
        site = Site().add(HOST, "/a", Redirect(f"http://localhost:{port}/internal"))
        async with serve(site) as server:
            settings = crawl_settings(tmp_path, server, None, connect_to=(f"{HOST}::127.0.0.1:{server.port}",))
            error = await fetch_error(settings, f"http://{HOST}/a")
    assert isinstance(error, PermanentFetchError)
    assert "refused address" in str(error)
    assert accepted == []


@pytest.mark.parametrize(
    "host", ["2130706433", "127.1", "0x7f.0.0.1", "017700000001", "[::ffff:7f00:1]", "[::1]", "LocalHost"]
)
async def test_redirect_to_other_spellings_of_loopback_is_refused(tmp_path: Path, host: str) -> None:
    async with connection_counter("127.0.0.1") as (port, accepted):
        site = Site().add(HOST, "/a", Redirect(f"http://{host}:{port}/internal"))
        async with serve(site) as server:
            settings = crawl_settings(tmp_path, server, None, connect_to=(f"{HOST}::127.0.0.1:{server.port}",))
            error = await fetch_error(settings, f"http://{HOST}/a")
    assert isinstance(error, PermanentFetchError)
    assert "refused address" in str(error) or "invalid URL" in str(error), error
    assert accepted == []


async def test_catch_all_connect_to_does_not_open_ip_literals_to_private_networks(tmp_path: Path) -> None:
    """`::127.0.0.1:PORT` maps host names; aiohttp never resolves an IP-literal host, so the
    mapping cannot apply to one, and it must not exempt it from the address policy either."""
    async with connection_counter("127.0.0.2") as (port, accepted):
        site = Site().add(HOST, "/a", Redirect(f"http://127.0.0.2:{port}/internal"))
        async with serve(site) as server:
            error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/a")
    assert isinstance(error, PermanentFetchError)
    assert "refused address" in str(error)
    assert accepted == []


# --------------------------------------------------------------------------- bodies and heads


async def test_gzip_page_keeps_raw_bytes_and_decodes(tmp_path: Path) -> None:
    site = Site().add(HOST, "/a", Page(HTML, gzip=True))
    async with serve(site) as server:
        result = await fetch_once(crawl_settings(tmp_path, server, None), f"http://{HOST}/a")
    assert result.raw_body.startswith(b"\x1f\x8b")
    assert gzip.decompress(result.raw_body) == HTML.encode()
    assert result.body == HTML.encode()
    assert result.response.header("content-encoding") == "gzip"
    assert site.requests[0].headers["Accept-Encoding"] == "gzip, deflate, br"
    assert ("Accept-Encoding", "gzip, deflate, br") in result.request_headers


async def test_response_head_kept_exactly_as_sent(tmp_path: Path) -> None:
    payload = gzip.compress(HTML.encode())
    head = [
        ("X-First", "1"),
        ("content-TYPE", "text/html; charset=utf-8"),
        ("Set-Cookie", "a=1"),
        ("Content-Encoding", "gzip"),
        ("Set-Cookie", "b=2"),
        ("Content-Length", str(len(payload))),
    ]
    data = b"HTTP/1.1 200 OK\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in head) + b"\r\n" + payload
    async with raw_site(raw_response(data)) as server:
        result = await fetch_once(crawl_settings(tmp_path, server, None), f"http://{HOST}/a")
    assert result.response.http_version == "HTTP/1.1"
    assert (result.response.status, result.response.reason) == (200, "OK")
    assert result.response.headers == tuple(head)
    assert result.raw_body == payload
    assert result.body == HTML.encode()
    assert result.content_type == "text/html; charset=utf-8"


async def test_unusual_status_line_parts_are_kept(tmp_path: Path) -> None:
    data = b"HTTP/1.0 203 Fine Thanks\r\nContent-Length: 2\r\n\r\nok"
    async with raw_site(raw_response(data)) as server:
        result = await fetch_once(crawl_settings(tmp_path, server, None), f"http://{HOST}/a")
    assert (result.response.http_version, result.response.status, result.response.reason) == (
        "HTTP/1.0", 203, "Fine Thanks",
    )
    assert result.body == b"ok"


@pytest.mark.parametrize(("chunked", "message"), [(False, "declared"), (True, "body larger than")])
async def test_body_over_the_limit_is_permanent(tmp_path: Path, chunked: bool, message: str) -> None:
    site = Site().add(HOST, "/big", Huge(4 * MB, chunked=chunked))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, max_body_bytes=100_000)
        error = await fetch_error(settings, f"http://{HOST}/big")
    assert isinstance(error, PermanentFetchError)
    assert message in str(error)


async def test_body_exactly_at_the_limit_is_kept(tmp_path: Path) -> None:
    site = Site().add(HOST, "/big", Huge(100_000, chunked=True))
    async with serve(site) as server:
        result = await fetch_once(crawl_settings(tmp_path, server, None, max_body_bytes=100_000), f"http://{HOST}/big")
    assert len(result.body) == 100_000


@pytest.mark.parametrize("bomb", [GigabyteBomb(), GzipBomb(50 * 10**6)], ids=["1GB", "50MB-streamed"])
async def test_gzip_bomb_fails_fast_without_inflating(tmp_path: Path, bomb: Behaviour) -> None:
    gigabyte_bomb()  # built before the clock starts
    site = Site().add(HOST, "/bomb", bomb)
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, max_body_bytes=MB)
        started = time.monotonic()
        error = await fetch_error(settings, f"http://{HOST}/bomb")
        elapsed = time.monotonic() - started
    assert isinstance(error, PermanentFetchError)
    assert "decoded body larger" in str(error)
    assert elapsed < 1.5  # inflating a gigabyte would take seconds (and a gigabyte)


# --------------------------------------------------------------------------- faults


async def test_short_body_is_retryable_truncation(tmp_path: Path) -> None:
    site = Site().add(HOST, "/a", ShortBody(b"<html>only part", declared_length=1000))
    async with serve(site) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/a")
    assert isinstance(error, RetryableFetchError)
    assert "truncated" in str(error)
    assert site.hits[(HOST, "/a")] == 1


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
async def test_closed_connection_is_retryable(tmp_path: Path, reset: bool) -> None:
    site = Site().add(HOST, "/a", Close(reset=reset))
    async with serve(site) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/a")
    assert isinstance(error, RetryableFetchError)
    assert "closed the connection" in str(error)
    # aiohttp itself resends an idempotent request once when the connection drops unanswered
    assert site.hits[(HOST, "/a")] == 2


async def test_slow_headers_time_out(tmp_path: Path) -> None:
    site = Site().add(HOST, "/a", SlowHeaders(1.0))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, read_timeout_s=0.2)
        started = time.monotonic()
        error = await fetch_error(settings, f"http://{HOST}/a")
    assert isinstance(error, RetryableFetchError)
    assert "timed out" in str(error) and "read timeout" in str(error)
    assert time.monotonic() - started < 0.9


async def test_stalled_body_times_out(tmp_path: Path) -> None:
    site = Site().add(HOST, "/a", StallBody(b"<html><body>", 1.0, rest=b"</body></html>"))
    async with serve(site) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None, read_timeout_s=0.2), f"http://{HOST}/a")
    assert isinstance(error, RetryableFetchError)
    assert "timed out" in str(error)


async def test_total_timeout_is_a_timeout(tmp_path: Path) -> None:
    site = Site().add(HOST, "/a", StallBody(b"<html>", 1.0))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, read_timeout_s=0.0, total_timeout_s=0.2)
        error = await fetch_error(settings, f"http://{HOST}/a")
    assert isinstance(error, RetryableFetchError)
    assert "timed out" in str(error) and "total timeout" in str(error)


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (malformed_status_line, ("malformed response: Bad status line",)),
        (malformed_headers, ("malformed response: Invalid header",)),
        # aiohttp's C parser does not surface this bad chunk size (its pure-Python parser raises
        # TransferEncodingError): the request then ends at the total timeout. Retryable either way.
        (invalid_chunked, ("timed out", "truncated or malformed body")),
    ],
    ids=["status-line", "headers", "chunked"],
)
async def test_malformed_responses_are_retryable_errors(
    tmp_path: Path, handler: RawHandler, expected: tuple[str, ...]
) -> None:
    async with raw_site(handler) as server:
        settings = crawl_settings(tmp_path, server, None, total_timeout_s=0.5)
        error = await fetch_error(settings, f"http://{HOST}/a")
    assert isinstance(error, RetryableFetchError)
    assert error.status is None
    message = str(error)
    assert message.startswith(expected), message
    assert all(char.isprintable() or char == "\n" for char in message)  # bytes shown as repr, not raw


# --------------------------------------------------------------------------- statuses


async def test_404_is_permanent_with_its_status(tmp_path: Path) -> None:
    site = Site().add(HOST, "/gone", Status(404))
    async with serve(site) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/gone")
    assert isinstance(error, PermanentFetchError)
    assert error.status == 404 and "HTTP 404" in str(error)
    assert site.hits[(HOST, "/gone")] == 1


async def test_503_carries_retry_after_seconds(tmp_path: Path) -> None:
    site = Site().add(HOST, "/busy", Status(503, retry_after="7"))
    async with serve(site) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/busy")
    assert isinstance(error, RetryableFetchError)
    assert error.status == 503 and error.retry_after_s == 7


async def test_retry_after_http_date(tmp_path: Path) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    site = Site().add(HOST, "/busy", Status(429, retry_after=email.utils.format_datetime(when, usegmt=True)))
    async with serve(site) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/busy")
    assert isinstance(error, RetryableFetchError) and error.status == 429
    assert error.retry_after_s is not None and 8.5 <= error.retry_after_s <= 10.5


async def test_non_ascii_digit_retry_after_is_ignored(tmp_path: Path) -> None:
    # one byte 0xB2, read as latin-1: '\u00b2', which str.isdigit() accepts and float() does not
    data = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: \xb2\r\nContent-Length: 0\r\n\r\n"
    async with raw_site(raw_response(data)) as server:
        error = await fetch_error(crawl_settings(tmp_path, server, None), f"http://{HOST}/busy")
    assert isinstance(error, RetryableFetchError)
    assert (error.status, error.retry_after_s) == (503, None)


# --------------------------------------------------------------------------- Retry-After


NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        ("Wed, 01 May 2024 11:59:00 GMT", 0.0),  # in the past: no wait
        ("Wednesday, 01-May-24 12:01:00 GMT", 60.0),  # RFC 850 form
        ("Wed May  1 12:00:05 2024", 5.0),  # asctime form, no zone: UTC
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("\u00b2", None),  # a digit to str.isdigit, not to HTTP
        ("\u0661\u0662", None),  # Arabic-Indic digits
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


# --------------------------------------------------------------------------- connect_to and address policy


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("::127.0.0.1:8443", ConnectTo("", None, "127.0.0.1", 8443)),
        ("example.com:443:[::1]:8443", ConnectTo("example.com", 443, "::1", 8443)),
        ("News.Example:80::", ConnectTo("news.example", 80, "", None)),
        ("[::1]:80:127.0.0.1:", ConnectTo("::1", 80, "127.0.0.1", None)),
    ],
)
def test_parse_connect_to(spec: str, expected: ConnectTo) -> None:
    assert parse_connect_to(spec) == expected


@pytest.mark.parametrize(
    "spec",
    ["", "127.0.0.1:8443", "example.com:443:127.0.0.1", "a:443:b:443:c", "a:http:b:80", "a:0:b:80",
     "a:80:b:65536", "a:80:b:-1", "[::1:80:b:80"],
)
def test_parse_connect_to_rejects_bad_forms(spec: str) -> None:
    with pytest.raises(ConfigError, match="connect_to"):
        parse_connect_to(spec)


def test_connect_to_matching() -> None:
    assert parse_connect_to("::127.0.0.1:1").matches("any.example", 443)
    assert parse_connect_to("news.example::127.0.0.1:1").matches("NEWS.example", 8080)
    assert not parse_connect_to("news.example:443:127.0.0.1:1").matches("news.example", 80)
    assert not parse_connect_to("news.example::127.0.0.1:1").matches("other.example", 80)


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("169.254.1.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("255.255.255.255", True),
        ("::1", True),
        ("::", True),
        ("fe80::1%eth0", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("8.8.8.8", False),
        ("::ffff:8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("news.example", False),  # a name is judged after resolution, not here
    ],
)
def test_is_forbidden_address(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(address) is forbidden


# --------------------------------------------------------------------------- decode_body


TEXT = (HTML * 20).encode()


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("GZIP", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),
        ("deflate", _raw_deflate(TEXT)),
        ("br", brotli.compress(TEXT)),
        ("gzip, br", brotli.compress(gzip.compress(TEXT))),  # applied in order: gzip first, br last
        ("deflate,gzip", gzip.compress(zlib.compress(TEXT))),
        ("identity, gzip", gzip.compress(TEXT)),
        ("gzip", gzip.compress(TEXT[:100]) + gzip.compress(TEXT[100:])),  # two gzip members
    ],
    ids=["gzip", "x-gzip", "upper", "deflate-zlib", "deflate-raw", "br", "gzip-br", "deflate-gzip", "identity",
         "members"],
)
def test_decode_body(encoding: str, encoded: bytes) -> None:
    assert decode_body(encoded, encoding, limit=len(TEXT)) == TEXT


@pytest.mark.parametrize("encoding", [None, "", "identity"])
def test_decode_body_without_coding_returns_raw(encoding: str | None) -> None:
    assert decode_body(TEXT, encoding, limit=10) is TEXT  # the limit is the reader's job here


@pytest.mark.parametrize(
    ("encoding", "data", "message"),
    [
        ("gzip", b"not gzip at all", "not valid gzip"),
        ("gzip", gzip.compress(TEXT)[:-20], "not valid gzip"),
        ("deflate", b"\x00\x01garbage", "not valid deflate"),
        ("br", b"definitely not brotli", "not valid br"),
        ("br", brotli.compress(TEXT)[:-5], "not valid br"),
        ("br, gzip", gzip.compress(TEXT), "not valid br"),  # wrong order: the inner layer is not br
        ("compress", b"abc", "unsupported Content-Encoding"),
    ],
    ids=["gzip", "gzip-truncated", "deflate", "br", "br-truncated", "wrong-order", "unsupported"],
)
def test_decode_body_invalid_data_is_permanent(encoding: str, data: bytes, message: str) -> None:
    with pytest.raises(PermanentFetchError, match=message):
        decode_body(data, encoding, limit=10 * MB)


def _bombs() -> list[Any]:
    zeros = bytes(32 * MB)
    return [
        pytest.param("gzip", gzip.compress(zeros), id="gzip"),
        pytest.param("deflate", zlib.compress(zeros), id="deflate"),
        pytest.param("deflate", _raw_deflate(zeros), id="deflate-raw"),
        pytest.param("br", brotli.compress(zeros, quality=1), id="br"),
        pytest.param("gzip, br", brotli.compress(gzip.compress(zeros), quality=1), id="gzip-br"),
    ]


@pytest.mark.parametrize(("encoding", "bomb"), _bombs())
def test_decode_body_stops_a_bomb(encoding: str, bomb: bytes) -> None:
    with pytest.raises(PermanentFetchError, match="decoded body larger than 1,048,576 bytes"):
        decode_body(bomb, encoding, limit=MB)


def test_decode_body_limit_is_inclusive() -> None:
    assert decode_body(gzip.compress(TEXT), "gzip", limit=len(TEXT)) == TEXT
    with pytest.raises(PermanentFetchError, match="decoded body larger"):
        decode_body(gzip.compress(TEXT), "gzip", limit=len(TEXT) - 1)


async def test_bad_chunk_size_ends_at_the_read_timeout_not_the_total(tmp_path: Path) -> None:
    async with raw_site(invalid_chunked) as server:
        settings = crawl_settings(tmp_path, server, None, read_timeout_s=0.3, total_timeout_s=30.0)
        started = time.monotonic()
        error = await fetch_error(settings, f"http://{HOST}/a")
    assert isinstance(error, RetryableFetchError)
    assert time.monotonic() - started < 3.0
    assert str(error).startswith(("timed out: no data within the read timeout", "truncated or malformed body"))


async def test_a_body_dripping_below_the_minimum_rate_is_dropped(tmp_path: Path) -> None:
    site = Site().add(HOST, "/drip", DripBody(b"x" * 5000, chunk=10, interval_s=0.02))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, min_body_rate=2000, rate_grace_s=0.3)
        error = await fetch_error(settings, f"http://{HOST}/drip")
    assert isinstance(error, RetryableFetchError)
    assert "under the 2,000 bytes/s minimum" in str(error)


async def test_a_slow_but_steady_body_is_kept(tmp_path: Path) -> None:
    site = Site().add(HOST, "/steady", DripBody(b"y" * 3000, chunk=500, interval_s=0.05))
    async with serve(site) as server:
        settings = crawl_settings(tmp_path, server, None, min_body_rate=2000, rate_grace_s=0.1)
        result = await fetch_once(settings, f"http://{HOST}/steady")
    assert result.body == b"y" * 3000
