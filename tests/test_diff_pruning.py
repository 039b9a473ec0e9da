"""diff asks only the clients that meet an entry that changed (generator/questions/compare.py,
changed_entries): over many changes of a synthetic mesh of the benchmark's shape, it finds exactly
the (inbound, decision before, decision after) classes that asking every candidate client finds, and
every witness is decided as reported by the real OPA."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.mesh import Mesh, generate, write
from generator.build import build
from generator.checks.engine import Settings
from generator.checks.opa import find_opa
from generator.questions.classes import DECISION
from generator.questions.compare import Comparison, Side, compare, outcome
from generator.questions.evaluate import evaluate

Resource = dict[str, Any]


def policies(mesh: Mesh, kind: str, key: str) -> list[Resource]:
    return [r for r in mesh.resources if r.get("kind") == kind and r.get("spec", {}).get(key)]


def flip_first_actions(mesh: Mesh) -> None:
    for policy in policies(mesh, "MeshTrafficPermission", "from")[::30]:
        entry = policy["spec"]["from"][0]["default"]
        entry["action"] = "Allow" if entry["action"] == "Deny" else "Deny"


def remove_last_entries(mesh: Mesh) -> None:
    for policy in [p for p in policies(mesh, "MeshTrafficPermission", "from") if len(p["spec"]["from"]) > 1][2::25]:
        policy["spec"]["from"].pop()


def add_entries(mesh: Mesh) -> None:
    for index, policy in enumerate(policies(mesh, "MeshTrafficPermission", "from")[1::30]):
        tags = {"env": "dev"} if index % 2 else {"team": "team-0000"}
        action = ("Deny", "AllowWithShadowDeny", "Allow")[index % 3]
        entry = {"targetRef": {"kind": "MeshSubset", "tags": tags}, "default": {"action": action}}
        policy["spec"]["from"].append(entry)


def swap_entries(mesh: Mesh) -> None:
    for policy in [p for p in policies(mesh, "MeshTrafficPermission", "from") if len(p["spec"]["from"]) > 1][1::25]:
        entries = policy["spec"]["from"]
        entries[0], entries[1] = entries[1], entries[0]


def retarget(mesh: Mesh) -> None:
    every = policies(mesh, "MeshTrafficPermission", "from")
    services = [p for p in every if p["spec"]["targetRef"]["kind"] == "MeshService"]
    for first, second in zip(services[::19], services[4::19], strict=False):
        first["spec"]["targetRef"] = copy.deepcopy(second["spec"]["targetRef"])


def change_rules(mesh: Mesh) -> None:
    for index, policy in enumerate(policies(mesh, "MeshTrafficPermission", "rules")):
        allow = policy["spec"]["rules"][0]["default"]
        if index % 2:
            allow["deny"] = allow.pop("allow", []) + allow.get("deny", [])
        else:
            allow.setdefault("allowWithShadowDeny", []).append(
                {"spiffeID": {"type": "Prefix", "value": "spiffe://default.zone-a.mesh.local/ns/ns-0000"}}
            )


def change_sources(mesh: Mesh) -> None:
    permissions = [r for r in mesh.resources if r.get("kind") == "TrafficPermission"]
    legacy = [r for r in permissions if r["metadata"]["name"].startswith("legacy")]
    for permission in legacy[::3]:
        permission["spec"]["sources"] = [{"match": {"kuma.io/service": "*", "env": "prod"}}]


CHANGES: dict[str, Callable[[Mesh], None]] = {
    "first actions flipped": flip_first_actions,
    "last entries removed": remove_last_entries,
    "entries added": add_entries,
    "two entries swapped": swap_entries,
    "a policy retargeted": retarget,
    "rules[] matches changed": change_rules,
    "TrafficPermission sources changed": change_sources,
}


# The from[] changes on a small mesh (asking every candidate client is the slow part); rules[] and
# TrafficPermission need the size at which the mesh has workload-identity and legacy namespaces.
SIZES = {"rules[] matches changed": 120, "TrafficPermission sources changed": 120}


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Mesh, Side]]:
    found = {}
    for size in {60, *SIZES.values()}:
        mesh = generate(size)
        found[size] = mesh, built(mesh, tmp_path_factory.mktemp(f"old-{size}"))
    return found


def built(mesh: Mesh, folder: Path) -> Side:
    write(mesh, folder)
    result = build([str(folder)], Settings(), find_opa())
    assert result.model is not None, [str(e) for e in result.errors]
    assert result.bundle is not None
    return Side(result.model, result.bundle)


def classes(comparison: Comparison) -> set[str]:
    return {json.dumps([d.mesh, d.destination, d.old, d.new], sort_keys=True) for d in comparison.differences}


@pytest.mark.parametrize("name", list(CHANGES))
def test_asking_only_clients_that_meet_a_changed_entry_finds_every_class(
    name: str, bases: dict[int, tuple[Mesh, Side]], tmp_path: Path
) -> None:
    mesh, old = bases[SIZES.get(name, 60)]
    changed = copy.deepcopy(mesh)
    CHANGES[name](changed)
    new = built(changed, tmp_path)
    opa = find_opa()
    pruned = compare(opa, old, new)
    exhaustive = compare(opa, old, new, exhaustive=True)
    assert pruned.differences, "the change makes no difference: it tests nothing"
    assert classes(pruned) == classes(exhaustive)
    assert pruned.alike_clients > 0  # the pruning did leave clients out
    witnesses = [d.witness for d in pruned.differences]
    for side, field in ((old, "old"), (new, "new")):
        decisions = evaluate(opa, side.bundle, DECISION, witnesses)
        for difference, decision in zip(pruned.differences, decisions, strict=True):
            assert outcome(decision, True) == getattr(difference, field)
