"""The proxies a split writes a bundle for, and what their checks are known to carry at build time.

A **service proxy** is every proxy of one `kuma.io/service` of a mesh: of its checks only that tag is
known, so a record can be left out only when it needs `kuma.io/service` to be another service. A
**Dataplane proxy** (from `--inventory`) is one Dataplane: its inbounds' tags, its labels and its name
are known, so a record is left out when no inbound has the tags it needs, a label it needs is not the
Dataplane's, or it names another Dataplane. Both rules only drop what cannot hold for a check whose
tags are one inbound's (or fewer of them) and whose labels and name are the Dataplane's (or absent):
docs/split.md says what a sidecar must send.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.compile.pairs import ANY_VALUE
from generator.model.inventory import Dataplane

SERVICE_TAG = "kuma.io/service"
SERVICE = "service"
DATAPLANE = "dataplane"
KINDS = (SERVICE, DATAPLANE)

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Proxy:
    mesh: str
    kind: str  # SERVICE or DATAPLANE
    name: str  # the service, or the Dataplane's (display) name
    namespace: str = ""  # a Kubernetes Dataplane's namespace
    inbounds: tuple[Pairs, ...] = field(default=(), compare=False)  # Dataplane: each inbound's tags
    labels: Pairs = field(default=(), compare=False)  # Dataplane: its labels

    def could_select(self, pairs: Mapping[str, str], labels: Mapping[str, str], name: str | None) -> bool:
        """Can a record that needs these inbound tags (`*`: present), Dataplane labels and Dataplane
        name hold for one of this proxy's checks?"""
        if self.kind == SERVICE:
            wanted = pairs.get(SERVICE_TAG, ANY_VALUE)
            return wanted in (ANY_VALUE, self.name)
        if name is not None and name != self.name:
            return False
        own_labels = dict(self.labels)
        if any(own_labels.get(key) != value for key, value in labels.items()):
            return False
        return not pairs or any(tags_hold(pairs, dict(inbound)) for inbound in self.inbounds)

    def could_hold(self, pairs: Mapping[str, str]) -> bool:
        """Can local tag requirements alone (an ExternalService source) hold for this proxy?"""
        return self.could_select(pairs, {}, None)


def tags_hold(required: Mapping[str, str], tags: Mapping[str, str]) -> bool:
    """The library's local_pairs_hold: every key present, the value equal or `*`."""
    return all(key in tags and value in (ANY_VALUE, tags[key]) for key, value in required.items())


def service_proxies(mesh: str, names: Iterable[str]) -> list[Proxy]:
    return [Proxy(mesh, SERVICE, name) for name in sorted(set(names))]


def dataplane_proxies(dataplanes: Iterable[Dataplane]) -> list[Proxy]:
    """One proxy per Dataplane (mesh, name, namespace); a repeated one keeps its first entry."""
    found: dict[tuple[str, str, str], Proxy] = {}
    for dataplane in dataplanes:
        key = (dataplane.mesh, dataplane.name, dataplane.namespace)
        if key not in found:
            inbounds = tuple(tuple(sorted(inbound.tags.items())) for inbound in dataplane.inbounds)
            labels = tuple(sorted(dataplane.labels.items()))
            found[key] = Proxy(dataplane.mesh, DATAPLANE, dataplane.name, dataplane.namespace, inbounds, labels)
    return [found[key] for key in sorted(found)]


def named_services(mesh_document: Any) -> set[str]:
    """Every `kuma.io/service` value the compiled mesh names, on either side of any record: as an
    index key (`by_pair`) or as a required pair."""
    return {value for value in _service_values(mesh_document) if value != ANY_VALUE}


def _service_values(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == SERVICE_TAG:
                if isinstance(item, str):
                    yield item
                elif isinstance(item, dict):  # by_pair["kuma.io/service"][<value>]
                    yield from item
                    yield from _service_values(item)
                continue
            yield from _service_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _service_values(item)


def proxies_of(data: Mapping[str, Any], dataplanes: Iterable[Dataplane] | None, kinds: Iterable[str]) -> list[Proxy]:
    """The proxies of every mesh of the compiled `data`: services it names (and the inventory's
    inbounds run), and the inventory's Dataplanes of meshes the data knows."""
    kinds = set(kinds)
    dataplanes = list(dataplanes or ())
    meshes = data["meshes"]
    proxies: list[Proxy] = []
    if SERVICE in kinds:
        for mesh, document in sorted(meshes.items()):
            running = (
                inbound.tags[SERVICE_TAG]
                for dataplane in dataplanes
                if dataplane.mesh == mesh
                for inbound in dataplane.inbounds
                if SERVICE_TAG in inbound.tags
            )
            proxies += service_proxies(mesh, {*named_services(document), *running})
    if DATAPLANE in kinds:
        proxies += dataplane_proxies(dataplane for dataplane in dataplanes if dataplane.mesh in meshes)
    return proxies
