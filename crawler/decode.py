"""Content-decoding of bodies as transferred (gzip, deflate, br), under a size limit.

The fetcher keeps the transferred bytes and decodes here itself, so a small compressed body
that would inflate past the limit (a gzip bomb) is stopped after at most ``limit`` bytes of
output instead of being inflated in memory.
"""

from __future__ import annotations

import zlib

import brotli

from crawler.errors import PermanentFetchError

_CHUNK = 256 * 1024


def _too_large(limit: int) -> PermanentFetchError:
    return PermanentFetchError(f"decoded body larger than {limit:,} bytes (compression bomb?)")


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    """zlib/gzip/raw deflate with bounded output; gzip files of several members are joined."""
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits)
        pending = data
        while pending:
            out += inflater.decompress(pending, max(1, limit + 1 - len(out)))
            if len(out) > limit:
                raise _too_large(limit)
            pending = inflater.unconsumed_tail
        if not inflater.eof:
            raise zlib.error("compressed data ends early")
        data = inflater.unused_data if wbits >= 16 + zlib.MAX_WBITS else b""
    return bytes(out)


def _unbrotli(data: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    out = bytearray()
    chunk = decompressor.process(data, output_buffer_limit=_CHUNK)
    while True:
        out += chunk
        if len(out) > limit:
            raise _too_large(limit)
        if decompressor.is_finished() or decompressor.can_accept_more_data():
            break
        chunk = decompressor.process(b"", output_buffer_limit=_CHUNK)
    if not decompressor.is_finished():
        raise brotli.error("compressed data ends early")
    return bytes(out)


def _decode_one(data: bytes, coding: str, limit: int) -> bytes:
    if coding in ("gzip", "x-gzip"):
        return _inflate(data, 16 + zlib.MAX_WBITS, limit)
    if coding == "deflate":
        try:
            return _inflate(data, zlib.MAX_WBITS, limit)
        except zlib.error:  # servers often send raw deflate without the zlib wrapper
            return _inflate(data, -zlib.MAX_WBITS, limit)
    if coding == "br":
        return _unbrotli(data, limit)
    raise PermanentFetchError(f"unsupported Content-Encoding {coding!r}")


def decode_body(raw: bytes, content_encoding: str | None, *, limit: int) -> bytes:
    """The body with every content-coding undone, last applied first; ``raw`` itself when none."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings or not raw:
        return raw
    data = raw
    for coding in reversed(codings):
        try:
            data = _decode_one(data, coding, limit)
        except (zlib.error, brotli.error) as exc:
            raise PermanentFetchError(f"body is not valid {coding} data: {exc}") from exc
    return data
