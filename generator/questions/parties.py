"""The two sides of a question, as an operator writes them on the command line.

    --to   kuma.io/service=payments,app=payments       the local inbound's tags
    --from kuma.io/service=orders,env=dev             a mesh-CA client: its tags (multi-valued)
    --from spiffe://default.zone-1.mesh.local/ns/shop/sa/orders   a workload identity (MeshIdentity)
    --from none                                       a plaintext client (no TLS identity)

Items are separated by commas; `key=value` pairs may repeat a key (a client with two values of one
tag). In a client, each `spiffe://` item is a URI SAN of its certificate.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field


class PartyError(ValueError):
    """A --to / --from / --labels value that cannot be read; the message says why."""


@dataclass(frozen=True)
class Client:
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spiffe_ids: tuple[str, ...] = ()
    plaintext: bool = False

    def uri_sans(self, mesh: str) -> list[str]:
        """The certificate's URI SANs: the SPIFFE IDs given, else Kuma's mesh-CA form
        (spiffe://<mesh>/<service> for each service, then kuma://<key>/<value> for every tag)."""
        if self.spiffe_ids:
            return list(self.spiffe_ids)
        services = self.tags.get("kuma.io/service", ())
        uris = [f"spiffe://{mesh}/{service}" for service in services]
        uris += [f"kuma://{key}/{value}" for key, values in sorted(self.tags.items()) for value in values]
        return uris

    def principal(self, mesh: str) -> str:
        return self.uri_sans(mesh)[0]

    def describe(self) -> str:
        if self.plaintext:
            return "a plaintext client"
        if self.spiffe_ids:
            return ",".join(self.spiffe_ids)
        return pairs_text(self.tags)


@dataclass(frozen=True)
class Inbound:
    tags: dict[str, str]
    labels: dict[str, str]
    dataplane_name: str = ""
    dataplane_namespace: str = ""
    inbound_name: str = ""
    port: int = 8080
    sni: str = ""

    def describe(self) -> str:
        return pairs_text({key: (value,) for key, value in self.tags.items()}) or f"Dataplane {self.dataplane_name}"


def pairs_text(tags: dict[str, tuple[str, ...]]) -> str:
    return ",".join(f"{key}={value}" for key, values in sorted(tags.items()) for value in values)


def _items(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise PartyError(f"{text!r}: expected comma-separated key=value pairs (e.g. kuma.io/service=payments)")
    return items


def _pair(item: str, text: str) -> tuple[str, str]:
    key, equals, value = item.partition("=")
    if not equals or not key or not value:
        raise PartyError(f"{text!r}: {item!r} is not key=value")
    return key, value


def parse_pairs(text: str) -> dict[str, tuple[str, ...]]:
    tags: dict[str, list[str]] = {}
    for item in _items(text):
        key, value = _pair(item, text)
        if value not in tags.setdefault(key, []):
            tags[key].append(value)
    return {key: tuple(sorted(values)) for key, values in tags.items()}


def parse_client(text: str) -> Client:
    if text.strip() == "none":
        return Client(plaintext=True)
    spiffe_ids = []
    pairs = []
    for item in _items(text):
        if item.startswith("spiffe://"):
            spiffe_ids.append(item)
        else:
            pairs.append(item)
    tags = parse_pairs(",".join(pairs)) if pairs else {}
    if spiffe_ids and tags:
        raise PartyError(
            f"{text!r}: give a client either as SPIFFE IDs (a workload identity certificate) or as tags "
            "(a mesh-CA certificate), not both"
        )
    if not spiffe_ids and "kuma.io/service" not in tags:
        raise PartyError(f"{text!r}: a client given by tags needs kuma.io/service (its certificate names it)")
    return Client(tags=tags, spiffe_ids=tuple(spiffe_ids))


def parse_inbound(
    text: str,
    *,
    labels: str | None = None,
    dataplane: str = "",
    inbound_name: str = "",
    port: int = 8080,
    sni: str = "",
) -> Inbound:
    """The local inbound: `text` its tags (single-valued); the Dataplane's labels are `labels`, or the
    same pairs (as on Kubernetes, where the pod's labels are both); `dataplane` is NAME or
    NAME.NAMESPACE (Kubernetes)."""
    tags = {}
    for key, values in parse_pairs(text).items():
        if len(values) > 1:
            raise PartyError(f"{text!r}: an inbound has one value per tag, {key} has {len(values)}")
        tags[key] = values[0]
    label_pairs = tags if labels is None else {key: values[0] for key, values in parse_pairs(labels).items()}
    name, _, namespace = dataplane.partition(".")
    return Inbound(tags, dict(label_pairs), name, namespace, inbound_name, port, sni)


PROTOCOLS = ("http", "http2", "grpc", "tls", "tcp")


@dataclass(frozen=True)
class Destination:
    """Where the local application connects (the outbound question): a host name or IP, a port, and
    how Envoy sees the connection (an HTTP request with its host, a TLS server name, or plain TCP)."""

    host: str
    port: int
    protocol: str
    address: str  # the original destination IP Envoy reports

    def describe(self) -> str:
        return f"{self.host}:{self.port}/{self.protocol}"


def is_destination(text: str) -> bool:
    """A --to without key=value pairs names a destination (the outbound form)."""
    return "=" not in text


def parse_destination(text: str, address: str | None = None) -> Destination:
    """`HOST[:PORT][/PROTOCOL]`: port 443 unless given; protocol tls on 443, else http."""
    target, _, protocol = text.strip().partition("/")
    host, port_text = target, ""
    if target.startswith("["):  # [IPv6]:port
        host, _, rest = target[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif target.count(":") == 1:
        host, _, port_text = target.partition(":")
    if not host:
        raise PartyError(f"{text!r}: expected HOST[:PORT][/PROTOCOL], e.g. api.example.com:443/tls")
    try:
        port = int(port_text) if port_text else 443
    except ValueError:
        raise PartyError(f"{text!r}: the port {port_text!r} is not a number") from None
    if not 0 < port < 65536:
        raise PartyError(f"{text!r}: the port {port} is out of range")
    protocol = protocol or ("tls" if port == 443 else "http")
    if protocol not in PROTOCOLS:
        raise PartyError(f"{text!r}: the protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    literal = is_ip(host)
    return Destination(host.lower(), port, protocol, address or (host if literal else "203.0.113.10"))


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
