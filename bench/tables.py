"""The decision-table path (docs/split.md "Decision tables") in the evaluation benchmark: the tables of
the inbounds the inbound requests call, as a Dataplane's split bundle carries them, added to the
measured bundle; and those requests as deploy/ sends them (every setting of the local side), which is
what a table answers. A table is found by key, so the rest of the bundle does not change its cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import mesh as meshes
from bench.mesh import Request
from generator.bundle import DATA_PATH, Bundle
from generator.bundle.archive import build_archive
from generator.bundle.verify import read_archive
from generator.checks.opa import Opa
from generator.model.check_settings import deployed_settings
from generator.model.inventory import Dataplane, DataplaneInbound
from generator.split.tables import decision_tables
from tests.support.checks import inbound_check

PORT = 8080  # every inbound of the benchmark mesh (bench/split.write_inventory)


def deployed_dataplane(request: Request) -> Dataplane:
    """The Dataplane of the request's local inbound, with the facts the inventory gives it."""
    facts = request.dataplane or _facts_of(request.local["kuma.io/service"])
    return Dataplane(
        meshes.MESH,
        facts["name"],
        facts.get("namespace", ""),
        dict(facts.get("labels", {})),
        (DataplaneInbound(PORT, dict(request.local)),),
    )


def _facts_of(service: str) -> dict[str, Any]:
    number = meshes.service_number(service)
    if number is None:  # a hand-written service of the mesh: a Dataplane of its own name
        return {"name": f"{service}-dp", "namespace": "", "labels": {}}
    return meshes.dataplane_of(number)


def deployed_check(request: Request, dataplane: Dataplane, identity: str) -> dict[str, Any]:
    (inbound,) = dataplane.inbounds  # deployed_dataplane's: the request's local inbound
    settings = deployed_settings(dataplane, inbound)
    spiffe_ids = None if request.spiffe_id is None else [request.spiffe_id]
    return inbound_check(
        request.local, request.client, identity=identity, spiffe_ids=spiffe_ids, settings=settings, port=PORT
    )


def add_decision_tables(opa: Opa, bundle: Path, dataplanes: list[Dataplane]) -> int:
    """Rewrites the bundle with the tables of these Dataplanes' inbounds; how many tables."""
    files, problems = read_archive(bundle.read_bytes())
    if problems:
        raise ValueError(f"{bundle}: {problems}")
    manifest = json.loads(files[".manifest"])
    tables = decision_tables(opa, Bundle(bundle.read_bytes(), manifest, files), dataplanes)
    data = json.loads(files[DATA_PATH])
    count = 0
    for (mesh, _, _), by_service in tables.items():
        inbound = data["meshes"][mesh]["inbound"]
        for service, by_port in by_service.items():
            inbound.setdefault("decision_tables", {}).setdefault(service, {}).update(by_port)
            count += len(by_port)
    files[DATA_PATH] = json.dumps(data, separators=(",", ":")).encode()
    bundle.write_bytes(build_archive(files))
    return count
