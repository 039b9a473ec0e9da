"""ExternalService (legacy): Kuma's validation (spec B §7) and the typed destination.

Passes::

    tags: {kuma.io/service: httpbin, kuma.io/protocol: http}
    networking: {address: httpbin.org:443, tls: {enabled: true}}

Fails::

    networking: {address: httpbin.org}       # networking.address: unable to parse address
    tags: {kuma.io/protocol: http}            # tags: mandatory tag "kuma.io/service" is missing
    tags: {kuma.io/service: httpbin.org, …}   # with address httpbin.org:443: cannot be the same as networking.address
"""

from __future__ import annotations

import re
from typing import Any

from generator.addresses import is_ip_address
from generator.model import ExternalService, Form, Source
from generator.validation.fields import Field, MapKey, Report, expect_bool, expect_object, expect_string
from generator.validation.tags import validate_tags

FIELDS = frozenset({"networking", "tags"})
NETWORKING_FIELDS = frozenset({"address", "tls", "disableHostDNSEntry"})
TLS_FIELDS = frozenset(
    {"enabled", "caCert", "clientCert", "clientKey", "allowRenegotiation", "serverName", "skipHostnameVerification"}
)
DATA_SOURCE_FIELDS = frozenset({"secret", "file", "inline", "inlineString"})
PROTOCOLS = ("grpc", "http", "http2", "kafka", "tcp")
ACCEPTED_PROTOCOLS = frozenset({*PROTOCOLS, "tls"})
_BRACKETED = re.compile(r"^\[([^\[\]]*)\]:([^:\[\]]*)$")
_PLAIN = re.compile(r"^([^:\[\]]*):([^:\[\]]*)$")
# govalidator's IsDNSName, which Kuma uses for the host of an address.
DNS_NAME = re.compile(r"^([a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62}){1}(\.[a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62})*[\._]?$")


def validate(source: Source, report: Report) -> ExternalService | None:
    spec = expect_object(report, Field(root="" if source.form is Form.UNIVERSAL else "spec"), source.spec, FIELDS)
    networking_at = Field(("networking",))
    address: tuple[str, int] | None = None
    if spec.get("networking") is None:
        report.error(networking_at, "should have networking")
    else:
        networking = expect_object(report, networking_at, spec["networking"], NETWORKING_FIELDS)
        text = expect_string(report, networking_at / "address", networking.get("address"))
        address = _address(report, networking_at / "address", text or "")
        expect_bool(report, networking_at / "disableHostDNSEntry", networking.get("disableHostDNSEntry"))
        _tls(report, networking_at / "tls", networking.get("tls"))

    tags_at = Field(("tags",))
    tags = dict(validate_tags(report, tags_at, spec.get("tags"), selector=False))
    raw_tags: dict[str, Any] = spec["tags"] if isinstance(spec.get("tags"), dict) else {}
    if "kuma.io/service" not in raw_tags:
        report.error(tags_at, 'mandatory tag "kuma.io/service" is missing')
    protocol = raw_tags.get("kuma.io/protocol")
    if isinstance(protocol, str) and protocol.lower() not in ACCEPTED_PROTOCOLS:
        report.error(
            tags_at / MapKey("kuma.io/protocol"),
            f'tag "kuma.io/protocol" has an invalid value "{protocol}". Allowed values: {", ".join(PROTOCOLS)}',
        )
    service = raw_tags.get("kuma.io/service")
    if service and service == _host_of(networking_address(spec)):
        report.error(tags_at / MapKey("kuma.io/service"), "cannot be the same as networking.address")

    if report.failed or address is None:
        return None
    return ExternalService(source, tuple(sorted(tags.items())), address[0].lower(), address[1])


def networking_address(spec: dict[str, Any]) -> str:
    networking = spec.get("networking")
    address = networking.get("address") if isinstance(networking, dict) else None
    return address if isinstance(address, str) else ""


def _host_of(text: str) -> str | None:
    parts = _BRACKETED.match(text) or _PLAIN.match(text)
    return parts.group(1) if parts else None


def _address(report: Report, at: Field, text: str) -> tuple[str, int] | None:
    """(host, port) of a valid `host:port`; Kuma's messages for the rest."""
    if text == "":
        report.error(at, "address can't be empty")
        return None
    parts = _BRACKETED.match(text) or _PLAIN.match(text)
    host, port = (parts.group(1), parts.group(2)) if parts else ("", "")
    valid = True
    if parts is None:
        report.error(at, "unable to parse address")
        valid = False
    if not is_ip_address(host) and not DNS_NAME.match(host):
        report.error(at, "address has to be a valid IP address or a domain name")
        valid = False
    if not port.isdigit() or int(port) > 4294967295:
        report.error(at, "unable to parse port in address")
        valid = False
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        report.error(at, "port must be in the range [1, 65535]")
        valid = False
    return (host, int(port)) if valid else None


def _tls(report: Report, at: Field, value: Any) -> None:
    tls = expect_object(report, at, value, TLS_FIELDS)
    for flag in ("enabled", "allowRenegotiation", "skipHostnameVerification"):
        expect_bool(report, at / flag, tls.get(flag))
    if expect_string(report, at / "serverName", tls.get("serverName")) == "":
        report.error(at / "serverName", "cannot be empty")
    for name in ("caCert", "clientCert", "clientKey"):
        if tls.get(name) is None:
            continue
        data_source = expect_object(report, at / name, tls[name], DATA_SOURCE_FIELDS)
        if not any(data_source.get(key) for key in DATA_SOURCE_FIELDS):
            report.error(at / name, "data source cannot be empty")
