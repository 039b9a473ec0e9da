"""Small address helpers shared by validation and compilation."""

from __future__ import annotations

import ipaddress


def is_ip_address(text: str) -> bool:
    """An IPv4 or IPv6 address (not a CIDR, not a name)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
