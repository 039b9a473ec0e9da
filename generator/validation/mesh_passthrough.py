"""MeshPassthrough: Kuma's validation (v2.14.3 messages, spec B §8.2), spec A8, and the typed policy.

Passes::

    default:
      passthroughMode: Matched
      appendMatch:
        - {type: Domain, value: api.example.com, port: 443, protocol: tls}
        - {type: Domain, value: "*.example.com", port: 80, protocol: http}
        - {type: CIDR, value: 10.0.0.0/8}            # protocol defaults to tcp

Fails::

    - {type: Domain, value: example.com}              # protocol tcp is not supported for a domain
    - {type: Domain, value: "*w.example.com", protocol: tls}   # partial wildcard is currently not supported
    - {type: Domain, value: "*", protocol: tls}       # A8: a bare wildcard "*" is not supported
    - {type: IP, value: 10.0.0.300}                   # provided IP has incorrect value
    - {port: 80, protocol: tcp, …} then {port: 80, protocol: http, …}   # same port needs the same protocol
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from generator.addresses import is_ip_address
from generator.model import MeshPassthrough, PassthroughMatch, Source
from generator.validation.external_service import DNS_NAME
from generator.validation.fields import Field, Report, expect_enum, expect_list, expect_object, expect_string, type_name
from generator.validation.policy import policy_placement
from generator.validation.target_ref import validate_target_ref

TOP_LEVEL_KINDS = ("Mesh", "MeshSubset", "Dataplane")
MODES = ("All", "Matched", "None")
PROTOCOLS = ("tcp", "tls", "grpc", "http", "http2", "mysql")
LAYER7 = frozenset({"grpc", "http", "http2"})
MATCH_FIELDS = frozenset({"type", "value", "port", "protocol"})
_PARTIAL_WILDCARD = re.compile(r"^\*[^.]+")
SAME_PORT = (
    "using the same port in multiple matches requires the same protocol for the following protocols: [grpc http http2]"
)


def validate(source: Source, report: Report, system_namespaces: frozenset[str]) -> MeshPassthrough | None:
    spec_at = Field(root="spec")
    spec = expect_object(report, spec_at, source.spec, frozenset({"targetRef", "default"}))
    target_ref = validate_target_ref(
        report, spec_at / "targetRef", spec.get("targetRef"), TOP_LEVEL_KINDS, default_mesh=True
    )
    default_at = spec_at / "default"
    conf = expect_object(report, default_at, spec.get("default"), frozenset({"passthroughMode", "appendMatch"}))
    mode = expect_enum(report, default_at / "passthroughMode", conf.get("passthroughMode"), MODES)
    raw_matches = expect_list(report, default_at / "appendMatch", conf.get("appendMatch"))
    matches = _matches(report, default_at / "appendMatch", raw_matches)
    if report.failed or target_ref is None:
        return None
    role, origin, zone = policy_placement(source, report, system_namespaces)
    return MeshPassthrough(source, target_ref, role, origin, zone, mode, tuple(matches))


def _matches(report: Report, at: Field, raw_matches: list[Any]) -> list[PassthroughMatch]:
    matches: list[PassthroughMatch] = []
    seen: list[PassthroughMatch] = []  # every entry read so far, valid or not: the port rules look back
    for index, raw in enumerate(raw_matches):
        match_at = at / index
        item = expect_object(report, match_at, raw, MATCH_FIELDS)
        kind = expect_string(report, match_at / "type", item.get("type")) or ""
        value = expect_string(report, match_at / "value", item.get("value")) or ""
        port = _port(report, match_at / "port", item.get("port"))
        protocol = expect_string(report, match_at / "protocol", item.get("protocol", "tcp"))
        if protocol is not None and protocol not in PROTOCOLS:
            report.error(
                match_at / "protocol", '"protocol" must be one of [' + ", ".join(f'"{p}"' for p in PROTOCOLS) + "]"
            )
        match = PassthroughMatch(kind, value, port, protocol or "")
        before = len(report.diagnostics)
        _port_rules(report, match_at, match, seen)
        _type_rules(report, match_at, match)
        seen.append(match)
        if isinstance(raw, dict) and len(report.diagnostics) == before and protocol in PROTOCOLS:
            matches.append(match)
    return matches


def _port(report: Report, at: Field, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        report.error(at, f"must be of type integer, got {type_name(value)}")
        return None
    return value


def _port_rules(report: Report, at: Field, match: PassthroughMatch, seen: list[PassthroughMatch]) -> None:
    if match.protocol == "mysql" and match.port is None:
        report.error(at / "port", "port must be defined for Mysql protocol")
    if match.port is None:
        return
    if not 1 <= match.port <= 65535:
        report.error(at / "port", "port must be a valid (1-65535)")
    earlier = _protocol_seen_on_port(match.port, seen)
    if match.protocol in LAYER7 and earlier is not None and earlier != match.protocol:
        report.error(at / "port", SAME_PORT)
    if any((m.port, m.protocol, m.value) == (match.port, match.protocol, match.value) for m in seen):
        report.error(at / "value", f"value {match.value} is already defiend for this port and protocol")


def _protocol_seen_on_port(port: int, seen: list[PassthroughMatch]) -> str | None:
    """What Kuma's validator remembers for a port: the last non-L7 protocol, else the first one."""
    on_port = [m.protocol for m in seen if m.port == port]
    plain = [protocol for protocol in on_port if protocol not in LAYER7]
    if plain:
        return plain[-1]
    return on_port[0] if on_port else None


def _type_rules(report: Report, at: Field, match: PassthroughMatch) -> None:
    if match.type == "CIDR":
        if not _is_cidr(match.value):
            report.error(at / "value", "provided CIDR has incorrect value")
    elif match.type == "IP":
        if not is_ip_address(match.value):
            report.error(at / "value", "provided IP has incorrect value")
    elif match.type == "Domain":
        _domain_rules(report, at, match)
    else:
        report.error(
            at / "type", f"provided type {match.type} is not supported, one of Domain, IP, or CIDR is supported"
        )


def _domain_rules(report: Report, at: Field, match: PassthroughMatch) -> None:
    if match.protocol in ("tcp", "mysql"):
        report.error(at / "protocol", f"protocol {match.protocol} is not supported for a domain")
    if _PARTIAL_WILDCARD.match(match.value):
        report.error(at / "value", "provided DNS has incorrect value, partial wildcard is currently not supported")
    if match.port is None and match.value.startswith("*") and match.protocol in LAYER7:
        report.error(at / "port", "wildcard domains doesn't work for all ports and layer 7 protocol")
    name = match.value.removeprefix("*.")
    if not name.startswith("*") and (is_ip_address(name) or not DNS_NAME.match(name)):
        report.error(at / "value", "provided DNS has incorrect value")
    # Spec A8: Kuma accepts these, but they would pass traffic for any name.
    if match.value == "*":
        report.error(at / "value", 'provided DNS has incorrect value, a bare wildcard "*" is not supported')
    if match.value.startswith("*.*"):
        report.error(at / "value", "provided DNS has incorrect value, more than one wildcard label is not supported")


def _is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return "/" in value
