"""Tests of the local test servers themselves (tests/servers.py).

aiohttp.ClientSession is used here as a plain client against the real servers; a small resolver
maps every host name to 127.0.0.1 and the server's port, like the crawler's `--connect-to`.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from tests.servers import (
    Close,
    DripBody,
    GzipBomb,
    Huge,
    Image,
    LocalServer,
    NotModified,
    Page,
    Redirect,
    ShortBody,
    Site,
    SlowHeaders,
    StallBody,
    Status,
    TestCA,
    invalid_chunked,
    malformed_headers,
    malformed_status_line,
    raw_server,
    serve,
)

GMT_2024 = "Mon, 01 Jan 2024 00:00:00 GMT"


class LoopbackResolver(AbstractResolver):
    """Resolve every host to 127.0.0.1:`port` (the test's equivalent of `--connect-to ::127.0.0.1:PORT`)."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        result: ResolveResult = {
            "hostname": host,
            "host": "127.0.0.1",
            "port": self.port,
            "family": socket.AF_INET,
            "proto": 0,
            "flags": socket.AI_NUMERICHOST,
        }
        return [result]

    async def close(self) -> None:
        return None


@asynccontextmanager
async def client(
    server: LocalServer, ssl_context: ssl.SSLContext | None = None, **kwargs: Any
) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(
        resolver=LoopbackResolver(server.port), ssl=ssl_context if ssl_context is not None else False
    )
    async with aiohttp.ClientSession(connector=connector, **kwargs) as session:
        yield session


# --------------------------------------------------------------------------- TLS and dispatch


async def test_tls_dispatches_on_host_and_path(tmp_path: Path) -> None:
    ca = TestCA()
    bundle = ca.ca_bundle(tmp_path / "ca.pem")
    assert bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")
    ctx = ssl.create_default_context(cafile=str(bundle))

    site = Site()
    site.page("gcn.com", "/a", "<p>gcn</p>")
    site.page("www.kcrg.com", "/a", "<p>kcrg</p>")
    async with serve(site, tls=ca) as server, client(server, ctx) as session:
        assert server.connect_to == f"::127.0.0.1:{server.port}"
        assert server.url("gcn.com", "/a") == "https://gcn.com/a"
        async with session.get("https://gcn.com/a") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
            assert await resp.text() == "<p>gcn</p>"
        async with session.get("https://WWW.KCRG.com/a") as resp:
            assert await resp.text() == "<p>kcrg</p>"
        async with session.get("https://gcn.com/robots.txt") as resp:
            assert resp.status == 404
        # A host that is not in the site still gets a valid certificate (issued on SNI), then 404.
        async with session.get("https://elsewhere.example/a") as resp:
            assert resp.status == 404
    assert site.hits[("gcn.com", "/a")] == 1
    assert site.hits[("www.kcrg.com", "/a")] == 1
    assert site.hits[("gcn.com", "/robots.txt")] == 1


async def test_tls_by_ip_with_server_hostname_and_host_header() -> None:
    ca = TestCA()
    site = Site().page("gcn.com", "/x", "hello")
    async with (
        serve(site, tls=ca) as server,
        aiohttp.ClientSession() as session,
        session.get(
            f"{server.base_url}/x",
            headers={"Host": f"GCN.com:{server.port}"},
            server_hostname="gcn.com",
            ssl=ca.client_context(),
        ) as resp,
    ):
        assert resp.status == 200
        assert await resp.text() == "hello"


async def test_tls_rejects_untrusted_client() -> None:
    site = Site().page("gcn.com", "/", "x")
    async with serve(site, tls=TestCA()) as server, client(server, TestCA().client_context()) as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get("https://gcn.com/")


# --------------------------------------------------------------------------- counting and plans


async def test_hits_and_requests_are_recorded() -> None:
    site = Site().page("gcn.com", "/", "home")
    async with serve(site) as server, client(server) as session:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        for _ in range(3):
            async with session.get("http://gcn.com/", headers={"User-Agent": "newsvault-test"}) as resp:
                assert resp.status == 200
        async with session.head("http://gcn.com/missing?q=1") as resp:
            assert resp.status == 404
    assert site.hits == {("gcn.com", "/"): 3, ("gcn.com", "/missing"): 1}
    method, host, path, headers = site.requests[0]
    assert (method, host, path) == ("GET", "gcn.com", "/")
    assert headers["User-Agent"] == "newsvault-test"
    assert site.requests[-1][:3] == ("HEAD", "gcn.com", "/missing?q=1")
    assert len(site.requests_for("GCN.com")) == 4


async def test_query_string_routes_take_precedence() -> None:
    site = Site().page("gcn.com", "/s", "plain").page("gcn.com", "/s?page=2", "second")
    async with serve(site) as server, client(server) as session:
        async with session.get("http://gcn.com/s?page=2") as resp:
            assert await resp.text() == "second"
        async with session.get("http://gcn.com/s?page=3") as resp:
            assert await resp.text() == "plain"


async def test_plan_503_503_then_200_and_last_repeats() -> None:
    site = Site()
    site.add("gcn.com", "/feed", Status(503, retry_after="1"), Status(503), Page("ok"))
    async with serve(site) as server, client(server) as session:
        seen = []
        for _ in range(4):
            async with session.get("http://gcn.com/feed") as resp:
                seen.append((resp.status, resp.headers.get("Retry-After"), await resp.text()))
    assert seen == [(503, "1", ""), (503, None, ""), (200, None, "ok"), (200, None, "ok")]
    assert site.hits[("gcn.com", "/feed")] == 4


async def test_redirect_and_image() -> None:
    site = Site()
    site.add("gcn.com", "/old", Redirect("https://gcn.com/new", code=301))
    site.image("gcn.com", "/a.png", b"\x89PNG\r\n\x1a\n", "image/png")
    async with serve(site) as server, client(server) as session:
        async with session.get("http://gcn.com/old", allow_redirects=False) as resp:
            assert resp.status == 301
            assert resp.headers["Location"] == "https://gcn.com/new"
        async with session.get("http://gcn.com/a.png") as resp:
            assert resp.headers["Content-Type"] == "image/png"
            assert await resp.read() == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- broken connections


async def test_close_drops_connection_before_any_byte() -> None:
    site = Site().add("gcn.com", "/", Close())
    async with serve(site) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: gcn.com\r\n\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 2) == b""
        writer.close()
        await writer.wait_closed()

        async with client(server) as session:
            with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
                await session.get("http://gcn.com/")


async def test_close_with_reset_over_tls() -> None:
    ca = TestCA()
    site = Site().add("gcn.com", "/", Close(reset=True))
    async with serve(site, tls=ca) as server, client(server, ca.client_context()) as session:
        with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
            await session.get("https://gcn.com/")


async def test_short_body_raises_payload_error() -> None:
    site = Site().add("gcn.com", "/", ShortBody(b"<html>partial", declared_length=1000))
    async with serve(site) as server, client(server) as session, session.get("http://gcn.com/") as resp:
        assert resp.headers["Content-Length"] == "1000"
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()


async def test_slow_headers_hit_client_timeout_then_answer() -> None:
    site = Site().add("gcn.com", "/", SlowHeaders(0.5), SlowHeaders(0.05, Page("late")))
    async with serve(site) as server, client(server) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get("http://gcn.com/", timeout=aiohttp.ClientTimeout(total=0.1))
        async with session.get("http://gcn.com/") as resp:
            assert await resp.text() == "late"


async def test_stall_body_times_out_on_sock_read() -> None:
    site = Site().add("gcn.com", "/", StallBody(b"<html>", 0.5, rest=b"</html>"), StallBody(b"a", 0.05, b"b"))
    async with serve(site) as server, client(server) as session:
        async with session.get("http://gcn.com/", timeout=aiohttp.ClientTimeout(sock_read=0.1)) as resp:
            assert resp.status == 200
            with pytest.raises(asyncio.TimeoutError):
                await resp.read()
        async with session.get("http://gcn.com/") as resp:
            assert await resp.read() == b"ab"


async def test_drip_body_arrives_slowly_but_complete() -> None:
    site = Site().add("gcn.com", "/", DripBody(b"0123456789", chunk=2, interval_s=0.02))
    async with serve(site) as server, client(server) as session:
        start = time.monotonic()
        async with session.get("http://gcn.com/") as resp:
            assert await resp.read() == b"0123456789"
        assert time.monotonic() - start >= 0.07


# --------------------------------------------------------------------------- big bodies


@pytest.mark.parametrize("chunked", [True, False])
async def test_gzip_bomb_is_small_on_the_wire(chunked: bool) -> None:
    size = 20 * 1024 * 1024
    site = Site().add("gcn.com", "/bomb", GzipBomb(size, chunked=chunked))
    async with (
        serve(site) as server,
        client(server, auto_decompress=False) as session,
        session.get("http://gcn.com/bomb") as resp,
    ):
        assert resp.headers["Content-Encoding"] == "gzip"
        assert ("Content-Length" in resp.headers) is not chunked
        wire = await resp.read()
    assert len(wire) < size // 500
    inflater = zlib.decompressobj(31)
    total = 0
    chunk = inflater.decompress(wire, 1 << 20)
    while chunk:
        total += len(chunk)
        chunk = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
    assert total == size


async def test_gzip_page_is_decoded_by_client() -> None:
    site = Site().add("gcn.com", "/", Page("<p>zipped</p>", gzip=True))
    async with serve(site) as server, client(server) as session, session.get("http://gcn.com/") as resp:
        assert resp.headers["Content-Encoding"] == "gzip"
        assert await resp.text() == "<p>zipped</p>"


@pytest.mark.parametrize("chunked", [True, False])
async def test_huge_body(chunked: bool) -> None:
    size = 3 * 1024 * 1024 + 7
    site = Site().add("gcn.com", "/", Huge(size, chunked=chunked))
    async with serve(site) as server, client(server) as session:
        async with session.get("http://gcn.com/") as resp:
            assert resp.headers.get("Content-Length") == (None if chunked else str(size))
            assert len(await resp.read()) == size
        # A client that gives up early does not break the server.
        async with session.get("http://gcn.com/") as resp:
            assert len(await resp.content.read(10)) == 10


# --------------------------------------------------------------------------- conditional requests


async def test_conditional_requests_answer_304() -> None:
    site = Site()
    site.page("gcn.com", "/", "body", etag="v1", last_modified=GMT_2024)
    site.add("gcn.com", "/img", Image(b"img", etag='W/"i1"'))
    site.add("gcn.com", "/nm", NotModified(etag="x"))
    async with serve(site) as server, client(server) as session:
        async with session.get("http://gcn.com/") as resp:
            assert (resp.status, resp.headers["ETag"], resp.headers["Last-Modified"]) == (200, '"v1"', GMT_2024)
        async with session.get("http://gcn.com/", headers={"If-None-Match": '"v0", "v1"'}) as resp:
            assert resp.status == 304
            assert await resp.read() == b""
        async with session.get("http://gcn.com/", headers={"If-None-Match": '"v2"'}) as resp:
            assert resp.status == 200
        async with session.get("http://gcn.com/", headers={"If-Modified-Since": GMT_2024}) as resp:
            assert resp.status == 304
        older = "Sun, 31 Dec 2023 00:00:00 GMT"
        async with session.get("http://gcn.com/", headers={"If-Modified-Since": older}) as resp:
            assert resp.status == 200
        async with session.get("http://gcn.com/img", headers={"If-None-Match": '"i1"'}) as resp:
            assert resp.status == 304
        async with session.get("http://gcn.com/nm") as resp:
            assert (resp.status, resp.headers["ETag"]) == (304, '"x"')


# --------------------------------------------------------------------------- raw server


@pytest.mark.parametrize(
    ("handler", "message"),
    [(malformed_status_line, "status"), (malformed_headers, "header")],
)
async def test_raw_malformed_heads(handler: Any, message: str) -> None:
    async with raw_server(handler) as port, aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientResponseError, match=f"(?i){message}"):
            await session.get(f"http://127.0.0.1:{port}/")


async def test_raw_invalid_chunked_fails_while_reading_body() -> None:
    # aiohttp's pure-Python parser raises TransferEncodingError here; its C parser (3.14) drops the
    # error *and* the sock_read timer, so the read only ends on the total timeout. Accept either.
    timeout = aiohttp.ClientTimeout(total=0.5)
    errors = (aiohttp.ClientPayloadError, aiohttp.http_exceptions.HttpProcessingError, TimeoutError)
    async with (
        raw_server(invalid_chunked) as port,
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"http://127.0.0.1:{port}/") as resp,
    ):
        assert resp.status == 200
        with pytest.raises(errors):
            await resp.read()
