"""Where a request connects: curl-style ``--connect-to`` mappings and the address policy.

The fetcher's resolver maps ``HOST:PORT`` to another address (TLS still checks the original
name) and refuses private, loopback, link-local, multicast and reserved addresses unless the
settings allow them or the address is an explicit ``--connect-to`` target.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from crawler.errors import ConfigError


class AddressRefused(OSError):
    """A host resolved only to addresses the policy forbids."""


@dataclass(frozen=True, slots=True)
class ConnectTo:
    """One mapping; empty ``host``/``port`` match any, empty targets keep the original."""

    host: str
    port: int | None
    to_host: str
    to_port: int | None

    def matches(self, host: str, port: int) -> bool:
        return (not self.host or self.host == host.lower()) and (self.port is None or self.port == port)


def _split(spec: str) -> list[str]:
    """Split on ':' outside brackets, so IPv6 literals like ``[::1]`` stay whole."""
    parts, current, depth = [], "", 0
    for char in spec:
        if char == ":" and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        current += char
    parts.append(current)
    return parts


def _port(text: str, spec: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"connect_to {spec!r}: {text!r} is not a port number")
    return int(text)


def parse_connect_to(spec: str) -> ConnectTo:
    parts = _split(spec)
    if len(parts) != 4:
        raise ConfigError(f"connect_to {spec!r} is not of the form HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT")
    host, port, to_host, to_port = parts
    return ConnectTo(
        host=host.strip("[]").lower(),
        port=_port(port, spec),
        to_host=to_host.strip("[]"),
        to_port=_port(to_port, spec),
    )


def is_forbidden_address(address: str) -> bool:
    """True for every address that is not a public unicast one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class AddressPolicy:
    """The one place that decides where a (host, port) may connect."""

    def __init__(self, mappings: tuple[ConnectTo, ...], *, allow_private: bool) -> None:
        self.mappings = mappings
        self.allow_private = allow_private

    def route(self, host: str, port: int) -> tuple[str, int, bool]:
        """The address to connect to and whether it is an explicit target (exempt from the policy)."""
        for mapping in self.mappings:
            if mapping.matches(host, port):
                return mapping.to_host or host, mapping.to_port or port, True
        return host, port, False

    def check_literal(self, host: str, port: int) -> None:
        """Refuse an IP-literal URL host (those never reach the resolver).

        No mapping exempts it: aiohttp connects to a literal directly, so a mapping (``::HOST:PORT``
        included) would not be applied, and exempting the literal would open any private address.
        """
        if not self.allow_private and is_forbidden_address(host):
            raise AddressRefused(f"address {host} is not a public address (allow_private_networks is off)")


class PolicyResolver(AbstractResolver):
    """aiohttp resolver that applies ``--connect-to`` and the address policy."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        to_host, to_port, explicit = self._policy.route(host, port)
        results = await self._resolver.resolve(to_host, to_port, family)
        if explicit or self._policy.allow_private:
            return [{**r, "hostname": host} for r in results]
        allowed = [r for r in results if not is_forbidden_address(r["host"])]
        if not allowed:
            addresses = ", ".join(sorted({r["host"] for r in results}))
            raise AddressRefused(
                f"{host} resolves to {addresses}, not a public address (allow_private_networks is off)"
            )
        return allowed

    async def close(self) -> None:
        await self._resolver.close()
