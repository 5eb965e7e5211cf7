"""The network a caller's address stands for, as per-address limits and caps count it.

An IPv4 address is usually one home or office (behind NAT), but one IPv6 subscriber is handed a
whole /64 (2^64 addresses) and may pick a fresh address for every request, so an IPv6 address
counts as its /64. IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
"""

from __future__ import annotations

import ipaddress

IPV6_PREFIX = 64


def network_of(address: str) -> str:
    """``"203.0.113.7"``, ``"2001:db8:1:2::/64"``; anything that is not an IP stays as given."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return address  # "testclient", a Unix socket: nothing to group
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)
