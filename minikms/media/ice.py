"""Loopback-only ICE: the aioice host-address patch and the remote-candidate filter.

aioice deliberately skips 127.0.0.1 when it lists host addresses, so inside a loopback-only network
namespace it would gather nothing. The engine replaces that discovery with the one configured address
and drops every remote candidate on any other address (mDNS ``.local`` names, the machine's LAN
addresses), so no media can leave the machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import aioice.ice


def patch_host_addresses(address: str) -> None:
    """Make aioice gather host candidates on ``address`` only (process wide, idempotent)."""

    def only_configured(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [address]

    aioice.ice.get_host_addresses = only_configured


@dataclass(frozen=True)
class CandidateLine:
    """The fields of an ICE candidate line this engine looks at."""

    foundation: str
    component: int
    transport: str
    priority: int
    host: str
    port: int
    type: str


def parse_candidate(line: str) -> CandidateLine:
    """Parse ``candidate:...`` (with or without the ``a=`` / ``candidate:`` prefix). Raises ValueError."""
    text = line.strip()
    if text.startswith("a="):
        text = text[2:]
    if text.startswith("candidate:"):
        text = text[len("candidate:") :]
    bits = text.split()
    if len(bits) < 8 or bits[6] != "typ":
        raise ValueError(f"not an ICE candidate: {line!r}")
    return CandidateLine(
        foundation=bits[0],
        component=int(bits[1]),
        transport=bits[2].lower(),
        priority=int(bits[3]),
        host=bits[4],
        port=int(bits[5]),
        type=bits[7],
    )


def candidate_allowed(line: str, address: str) -> bool:
    """True when a remote candidate is on the one address media may use."""
    try:
        cand = parse_candidate(line)
    except ValueError:
        return False
    return cand.host == address and cand.transport == "udp"
