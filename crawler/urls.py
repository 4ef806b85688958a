"""URL canonicalisation for the frontier: one spelling per resource, no I/O.

``canonicalize_url`` applies only RFC 3986 equivalences (case, default port, percent-encoding,
dot segments); query parameters keep their order and content, since they may be meaningful.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

import idna

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HEX = frozenset("0123456789abcdefABCDEF")
_ASCII_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_.])?")


# Every URL a seed names is canonicalized and then keyed by host, and seeds name the same related
# articles and images again and again: a small cache of recent answers (errors are not cached).
_RECENT = 4096


def canonicalize_url(url: str) -> str:
    """Return the canonical spelling of an absolute http(s) URL; ``ValueError`` if it is not one.

    Lowercases scheme and host, punycodes non-ASCII hosts, drops the default port, the fragment
    and an empty query, normalises percent-encoding and removes dot segments. Idempotent.
    """
    return _canonical(_string(url))


def host_key(url: str) -> str:
    """The politeness key of ``url``: its canonical host, plus ``:port`` when not the default.

    IPv6 hosts keep their brackets (``[::1]:8080``). Raises ``ValueError`` like ``canonicalize_url``.
    """
    return _canonical(_string(url)).split("/", 3)[2]  # the canonical form's authority: one cache for both


def _string(url: object) -> str:
    if not isinstance(url, str):
        raise ValueError(f"URL must be a string, not {type(url).__name__}")
    return url


@functools.lru_cache(maxsize=_RECENT)
def _canonical(url: str) -> str:
    parts = _split(url)
    netloc = _netloc(parts)
    path = _remove_dot_segments(_normalize_escapes(parts.path, _PATH_SAFE)) or "/"
    query = _normalize_escapes(parts.query, _QUERY_SAFE)
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def is_http_url(url: str) -> bool:
    """True when ``canonicalize_url`` accepts ``url`` (absolute http/https, a host, no userinfo)."""
    try:
        canonicalize_url(url)
    except ValueError:
        return False
    return True


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise ValueError(f"malformed URL {url!r}: {exc}") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL (scheme {parts.scheme or 'missing'!r}): {url!r}")
    if "@" in parts.netloc:
        raise ValueError(f"URL carries userinfo (credentials are not allowed in seeds): {url!r}")
    if not parts.hostname:
        raise ValueError(f"URL has no host: {url!r}")
    return parts  # urlsplit has already lowercased the scheme


def _netloc(parts: SplitResult) -> str:
    host = _canonical_host(parts.netloc, parts.hostname or "")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad port in {parts.netloc!r}: {exc}") from None
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return host
    return f"{host}:{port}"


def _canonical_host(netloc: str, hostname: str) -> str:
    """``hostname`` is urlsplit's (already lowercased, brackets stripped)."""
    if netloc.startswith("["):
        return f"[{_ipv6(hostname)}]"
    if not hostname.isascii():
        try:
            hostname = idna.encode(hostname, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"invalid internationalised host {hostname!r}: {exc}") from None
    if not _ASCII_HOST.fullmatch(hostname):
        raise ValueError(f"invalid host {hostname!r}")
    return hostname


def _ipv6(hostname: str) -> str:
    if "%" in hostname:
        raise ValueError(f"IPv6 zone identifiers are not supported: {hostname!r}")
    try:
        return ipaddress.IPv6Address(hostname).compressed
    except ValueError:
        raise ValueError(f"invalid IPv6 host {hostname!r}") from None


def _normalize_escapes(text: str, safe: frozenset[str]) -> str:
    """Uppercase escapes, decode escaped unreserved characters, escape what must be escaped.

    A ``%`` that does not start a valid escape is itself escaped as ``%25``.
    """
    if "%" not in text and safe.issuperset(text):  # the common case: nothing to change
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        escape = text[i + 1 : i + 3]
        if char == "%" and len(escape) == 2 and set(escape) <= _HEX:
            out.append(_normalize_escape(escape))
            i += 3
            continue
        out.append(char if char in safe else _escape(char))
        i += 1
    return "".join(out)


def _normalize_escape(hex_digits: str) -> str:
    decoded = chr(int(hex_digits, 16))
    return decoded if decoded in _UNRESERVED else f"%{hex_digits.upper()}"


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on a path that is empty or starts with ``/``."""
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if len(output) > 0:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if not path:
        return ""
    trailing = "/" if output and path.endswith(("/.", "/..")) else ""
    return "/" + "/".join(output) + trailing
