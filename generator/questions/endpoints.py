"""The rows and columns of a matrix or a diff: the services the policies name (a service is called
as an inbound tagged `kuma.io/service`, and calls with a mesh-CA certificate of that service), or,
with an inventory, every inbound of every Dataplane (called with its tags and labels, calling with
all its inbounds' tags, as Kuma's CA writes them into its certificate)."""

from __future__ import annotations

from collections.abc import Iterable

from generator.model import Model
from generator.model.inventory import Dataplane
from generator.questions.classes import Endpoint
from generator.questions.parties import Client, Inbound

SERVICE = "kuma.io/service"


def named_services(models: Iterable[Model]) -> dict[str, set[str]]:
    """mesh → every kuma.io/service value a policy names (not "*"), in any of the models."""
    found: dict[str, set[str]] = {}

    def add(mesh: str, pairs: Iterable[tuple[str, str]]) -> None:
        for key, value in pairs:
            if key == SERVICE and value != "*":
                found.setdefault(mesh, set()).add(value)

    for model in models:
        for mesh in model.meshes:
            found.setdefault(mesh, set())
        for policy in model.mesh_traffic_permissions:
            add(policy.source.mesh, policy.target_ref.requires)
            for entry in policy.from_entries:
                add(policy.source.mesh, entry.target_ref.requires)
        for permission in model.traffic_permissions:
            for tags in (*permission.sources, *permission.destinations):
                add(permission.source.mesh, tags)
    return found


def service_endpoints(services: dict[str, set[str]]) -> list[Endpoint]:
    return [
        Endpoint(service, mesh, "", Client(tags={SERVICE: (service,)}), Inbound({SERVICE: service}, {}))
        for mesh in sorted(services)
        for service in sorted(services[mesh])
    ]


def dataplane_inbounds(dataplanes: list[Dataplane]) -> list[tuple[Dataplane, Inbound]]:
    """Every inbound of every Dataplane, as the local side of a question."""
    return [
        (
            dataplane,
            Inbound(
                dict(inbound.tags),
                dict(dataplane.labels),
                dataplane.name,
                dataplane.namespace,
                inbound.name,
                inbound.port,
            ),
        )
        for dataplane in dataplanes
        for inbound in dataplane.inbounds
    ]


def dataplane_endpoints(dataplanes: list[Dataplane]) -> list[Endpoint]:
    endpoints = []
    for dataplane, inbound in dataplane_inbounds(dataplanes):
        tags: dict[str, set[str]] = {}
        for each in dataplane.inbounds:
            for key, value in each.tags.items():
                tags.setdefault(key, set()).add(value)
        client = Client(tags={key: tuple(sorted(values)) for key, values in sorted(tags.items())})
        name = f"{dataplane.describe()}:{inbound.inbound_name or inbound.port}"
        endpoints.append(Endpoint(name, dataplane.mesh, dataplane.namespace, client, inbound))
    return endpoints
