"""The two sides of a question, as an operator writes them on the command line.

    --to   kuma.io/service=payments,app=payments       the local inbound's tags
    --from kuma.io/service=orders,env=dev             a mesh-CA client: its tags (multi-valued)
    --from spiffe://default.zone-1.mesh.local/ns/shop/sa/orders   a workload identity (MeshIdentity)
    --from none                                       a plaintext client (no TLS identity)

Items are separated by commas; `key=value` pairs may repeat a key (a client with two values of one
tag). In a client, each `spiffe://` item is a URI SAN of its certificate.
"""

from __future__ import annotations

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
