"""MeshPassthrough → outbound look-ups for traffic that leaves the mesh (spec A7, B §8.3 to 8.5).

Selection and merging are per proxy: every MeshPassthrough whose targetRef selects the local inbound
applies; `passthroughMode` comes from the last (highest-precedence) one that sets it, `appendMatch`
lists are concatenated. Rather than build that merged list per request, each match is indexed by what
the destination can name, and carries its policy's index, so a check finds the few matches for its
destination and keeps those whose policy selects the local inbound:

* IP and CIDR matches by the bit-string prefix of their network, per prefix length in use (an IP is a
  full-length prefix), so a check tries one key per length, longest first (Envoy's destination-IP
  step);
* Domain matches by exact name, wildcard ones (`*.example.com`) by their suffix (`example.com`);
* which ports carry an HTTP-family Domain chain, because there an unknown host is answered 503.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from generator.compile import selection
from generator.model import MeshPassthrough, PassthroughMatch

Json = dict[str, Any]
LAYER7 = frozenset({"http", "http2", "grpc"})
ANY_PORT = "*"


def compile_passthrough(ordered: Sequence[MeshPassthrough], first_policy_index: int) -> Json:
    """`ordered` in precedence order; policy `i` of it is `first_policy_index + i` in the mesh's table."""
    selectors = [selection.selector_of(policy) for policy in ordered]
    frequency = selection.key_frequency(selectors)
    selects = selection.selection_index(selectors)
    modes = selection.empty_index()
    for rank, (policy, selector) in enumerate(zip(ordered, selectors, strict=True)):
        if policy.mode is not None:
            key = selection.rarest_key(selector, frequency)
            record = {"rank": rank, "mode": policy.mode, "policy": first_policy_index + rank}
            selection.slot(modes, key, list).append({**record, **selector.record(key)})
    selectors_by_policy = {
        str(first_policy_index + rank): selector.record(None) for rank, selector in enumerate(selectors)
    }
    selection.prune_selects(selects)
    selection.prune_to_best(modes, "rank")
    return {
        "policies": selects,
        "modes": modes,
        "selectors": selectors_by_policy,
        **_match_index(ordered, first_policy_index),
    }


def _match_index(ordered: Sequence[MeshPassthrough], first_policy_index: int) -> Json:
    prefixes: dict[str, dict[str, dict[str, list[Json]]]] = {"v4": {}, "v6": {}}
    domains: dict[str, list[Json]] = {}
    wildcards: dict[str, list[Json]] = {}
    layer7_domain_ports: dict[str, list[int]] = {}
    for rank, policy in enumerate(ordered):
        index = first_policy_index + rank
        for match in policy.matches:
            record = _record(match, index, rank)
            if match.type in ("IP", "CIDR"):
                family, length, bits = prefix_bits(match.value)
                prefixes[family].setdefault(str(length), {}).setdefault(bits, []).append(record)
                continue
            name = match.value.lower()
            if name.startswith("*."):
                wildcards.setdefault(name[2:], []).append(record)
            else:
                domains.setdefault(name, []).append(record)
            if match.protocol in LAYER7:
                ports = layer7_domain_ports.setdefault(ANY_PORT if match.port is None else str(match.port), [])
                if index not in ports:
                    ports.append(index)
    lengths = {
        family: sorted((int(length) for length in by_length), reverse=True) for family, by_length in prefixes.items()
    }
    return {
        "prefixes": prefixes,
        "prefix_lengths": lengths,
        "domains": domains,
        "wildcards": wildcards,
        "layer7_domain_ports": layer7_domain_ports,
    }


def _record(match: PassthroughMatch, policy: int, rank: int) -> Json:
    record: Json = {
        "policy": policy,
        "rank": rank,
        "type": match.type,
        "value": match.value,
        "protocol": match.protocol,
    }
    if match.port is not None:
        record["port"] = match.port
    return record


def prefix_bits(value: str) -> tuple[str, int, str]:
    """("v4" or "v6", prefix length, the network's leading bits as a string of 0 and 1)."""
    network = ipaddress.ip_network(value, strict=False)
    width = network.max_prefixlen
    bits = format(int(network.network_address), f"0{width}b")[: network.prefixlen]
    return ("v4" if network.version == 4 else "v6", network.prefixlen, bits)
