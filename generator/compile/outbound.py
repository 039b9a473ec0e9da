"""ExternalService → outbound look-ups (spec A7, B §6.4): which ExternalService a destination is, and
whether the local proxy may use it.

A destination is recognised by the ExternalService's address (the original destination's IP and port,
compared as address bits so that any spelling of an IPv6 address matches),
by an HTTP host or TLS server name equal to its host, or by `<kuma.io/service>.mesh`. The
TrafficPermission that governs each ExternalService depends only on its tags, so it is chosen here,
once; the library then only checks the local inbound's tags against that policy's sources, where `*`
requires the tag to be present (Kuma's TagSelector, unlike inbound enforcement).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.compile.passthrough import prefix_bits
from generator.compile.traffic_permission import best_permission, index_selectors
from generator.model import ExternalService, TrafficPermission

Json = dict[str, Any]


def compile_outbound(
    services: Sequence[ExternalService], permissions: Sequence[TrafficPermission], first_permission_index: int
) -> Json:
    records: list[Json] = []
    by_address: dict[str, list[int]] = {}
    by_host: dict[str, list[int]] = {}
    selectors = index_selectors(permissions)  # once: ranking per ExternalService made compiling quadratic
    for index, service in enumerate(sorted(services, key=lambda s: (s.source.name, s.service))):
        record: Json = {"name": service.source.name, "service": service.service, "address": address(service)}
        governing = best_permission(selectors, dict(service.tags))
        if governing is not None:
            record["policy"] = first_permission_index + governing
            record["sources"] = [dict(source) for source in permissions[governing].sources]
        records.append(record)
        if service.host_is_ip:
            by_address.setdefault(address_key(service), []).append(index)
        for host in (service.host, f"{service.service}.mesh".lower()):
            found = by_host.setdefault(host, [])
            if index not in found:
                found.append(index)
    return {"external_services": records, "by_address": by_address, "by_host": by_host}


def address(service: ExternalService) -> str:
    """`host:port` as written in Kuma's style (IPv6 in brackets), for people reading the data."""
    host = f"[{service.host}]" if ":" in service.host else service.host
    return f"{host}:{service.port}"


def address_key(service: ExternalService) -> str:
    """`<address bits>:<port>`, the key the library builds from a check's original destination: bits
    rather than text, so every spelling of one IPv6 address (zeros, case, `::`) is the same key."""
    _, _, bits = prefix_bits(service.host)
    return f"{bits}:{service.port}"
