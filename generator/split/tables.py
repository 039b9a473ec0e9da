"""Decision tables for the inbounds of an inventory's Dataplanes (docs/split.md "Decision tables"):
each asked of the bundle's own library (`data.kuma.authz.inbound.decision_table`), with the settings
deploy/ writes for that inbound (generator/model/check_settings.py) and its port, so that every
decision in a table is one the library itself made. A table goes into its Dataplane's split bundle
only; the library answers from it the checks that match it exactly and decides the rest as always."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from generator.bundle import Bundle
from generator.checks.opa import Opa
from generator.model.check_settings import deployed_settings
from generator.model.inventory import Dataplane
from generator.questions.evaluate import evaluate
from generator.split.distribute import SplitDocument
from generator.split.proxies import SERVICE_TAG

Json = dict[str, Any]
DataplaneKey = tuple[str, str, str]  # mesh, name, namespace: as split.proxies keys a Dataplane proxy
# A set, so that an inbound without a table (undefined) still has its answer in its place.
QUERY = "{table | table := data.kuma.authz.inbound.decision_table}"


def decision_tables(opa: Opa, bundle: Bundle, dataplanes: Iterable[Dataplane]) -> dict[DataplaneKey, Json]:
    """Dataplane → its tables, `{<kuma.io/service>: {<port>: table}}` (the shape of a mesh's
    `inbound.decision_tables`); a Dataplane none of whose inbounds has a table is left out. A
    repeated Dataplane keeps its first entry, as its split bundle does."""
    asked: list[tuple[DataplaneKey, str, str]] = []
    inputs: list[Json] = []
    seen: set[DataplaneKey] = set()
    for dataplane in dataplanes:
        key = (dataplane.mesh, dataplane.name, dataplane.namespace)
        if key in seen:
            continue
        seen.add(key)
        for inbound in dataplane.inbounds:
            if SERVICE_TAG not in inbound.tags:
                continue  # the library finds a table by the inbound's service
            asked.append((key, inbound.tags[SERVICE_TAG], str(inbound.port)))
            inputs.append(local_side(deployed_settings(dataplane, inbound), inbound.port))
    tables: dict[DataplaneKey, Json] = {}
    for (key, service, port), answer in zip(asked, evaluate(opa, bundle, QUERY, inputs), strict=True):
        for table in answer:
            tables.setdefault(key, {}).setdefault(service, {})[port] = table
    return tables


def local_side(settings: dict[str, str], port: int) -> Json:
    """A check of the inbound without a client: all a table is worked out from."""
    return {
        "attributes": {
            "contextExtensions": settings,
            "destination": {"address": {"socketAddress": {"address": "127.0.0.1", "portValue": port}}},
        }
    }


def with_tables(document: SplitDocument, tables: Json) -> SplitDocument:
    """The proxy's document with its tables (new dictionaries: the rest is shared with other proxies)."""
    mesh, mesh_document = next(iter(document.data["meshes"].items()))
    inbound = {**mesh_document["inbound"], "decision_tables": tables}
    meshes = {mesh: {**mesh_document, "inbound": inbound}}
    return replace(document, data={**document.data, "meshes": meshes})
