"""Random Mesh and MeshTrafficPermission documents: every error gen-bundle reports, conftest reports too,
and what gen-bundle accepts, the structural checks pass.

A seeded generator mixes valid and invalid values for every field the validators look at, in both
YAML forms; all documents go through one conftest run, and each through gen-bundle's reader and
validators. Complements test_gen_bundle_messages.py (hand-written fixtures) with combinations
nobody thought of.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from generator.build import build
from tests.checks.harness import conftest_test
from tests.checks.test_gen_bundle_messages import expected_text

SEED = 20260601
DOCUMENTS = 400

KINDS = ["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset", "Dataplane", "MeshGateway", "Meshh", "", None, 5]
NAMES = ["web", "Web_Frontend", "", 5, None]
TAGS: list[Any] = [
    {"kuma.io/service": "web"},
    {"env": "*"},
    {"bad key": "x"},
    {"": "x"},
    {"team": ""},
    {"zone": "a/b"},
    {"version": 1},
    {},
    "app=web",
    None,
]
PROXY_TYPES: list[Any] = [[], ["Sidecar"], ["Gateway", "sidecar"], "Sidecar", None]
ACTIONS: list[Any] = ["Allow", "Deny", "AllowWithShadowDeny", "allow", 5, None]


def maybe(rng: random.Random, value: Any, probability: float = 0.3) -> dict[str, Any]:
    return {} if rng.random() > probability else {"value": value}


def target_ref(rng: random.Random) -> Any:
    if rng.random() < 0.08:
        return rng.choice([None, "Mesh", [{"kind": "Mesh"}]])
    ref: dict[str, Any] = {}
    if rng.random() < 0.9:
        ref["kind"] = rng.choice(KINDS)
    for field, choices in (
        ("name", NAMES),
        ("tags", TAGS),
        ("proxyTypes", PROXY_TYPES),
        ("labels", [{"app": "web"}]),
        ("namespace", ["shop"]),
        ("sectionName", ["http"]),
        ("mesh", ["default"]),
        ("selector", [{}]),
    ):
        if rng.random() < (0.45 if field in ("name", "tags") else 0.1):
            ref[field] = rng.choice(choices)
    return ref


def from_entry(rng: random.Random) -> Any:
    if rng.random() < 0.06:
        return rng.choice(["Allow everyone", None, 3])
    entry: dict[str, Any] = {}
    if rng.random() < 0.9:
        entry["targetRef"] = target_ref(rng)
    roll = rng.random()
    if roll < 0.8:
        entry["default"] = {"action": rng.choice(ACTIONS)} if rng.random() < 0.9 else {}
    elif roll < 0.9:
        entry["default"] = rng.choice(["Allow", []])
    if rng.random() < 0.05:
        entry["defaults"] = {}
    return entry


def mtp_spec(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.08:
        return rng.choice([[], "spec"])
    spec: dict[str, Any] = {}
    if rng.random() < 0.6:
        spec["targetRef"] = target_ref(rng)
    roll = rng.random()
    if roll < 0.8:
        spec["from"] = [from_entry(rng) for _ in range(rng.randint(0, 3))]
    elif roll < 0.85:
        spec["from"] = {"targetRef": {"kind": "Mesh"}}
    if rng.random() < 0.1:
        spec["rules"] = [{"default": {"allow": [{"spiffeID": {"type": "Exact", "value": "spiffe://default/web"}}]}}]
    if rng.random() < 0.05:
        spec["form"] = []
    return spec


def backend(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return "ca-1"
    value: dict[str, Any] = {}
    if rng.random() < 0.85:
        value["name"] = rng.choice(["ca-1", "ca-2", "", 7])
    if rng.random() < 0.85:
        value["type"] = rng.choice(["builtin", "provided", "", 7])
    if rng.random() < 0.4:
        value["mode"] = rng.choice(["STRICT", "PERMISSIVE", "LENIENT", 1])
    if rng.random() < 0.3:
        expiration = rng.choice(["1d", "1h30m", "one day", 5])
        value["dpCert"] = rng.choice([{"rotation": {"expiration": expiration}}, {"rotation": "x"}, "x"])
    if rng.random() < 0.05:
        value["extra"] = True
    return value


def mesh_fields(rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.8:
        mtls: dict[str, Any] = {}
        if rng.random() < 0.8:
            mtls["backends"] = [backend(rng) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.7:
            mtls["enabledBackend"] = rng.choice(["ca-1", "ca-2", "", 3])
        if rng.random() < 0.05:
            mtls["backend"] = "ca-1"
        fields["mtls"] = mtls
    elif roll < 0.85:
        fields["mtls"] = "on"
    if rng.random() < 0.3:
        fields["networking"] = rng.choice(
            [{"outbound": {"passthrough": rng.choice([True, False, "no"])}}, {"outbound": []}, "x"]
        )
    if rng.random() < 0.05:
        fields["unknownSetting"] = True
    return fields


def document(rng: random.Random, index: int) -> dict[str, Any]:
    kubernetes = rng.random() < 0.5
    name = f"doc-{index}"
    if rng.random() < 0.5:
        fields = mesh_fields(rng)
        if kubernetes:
            return {"apiVersion": "kuma.io/v1alpha1", "kind": "Mesh", "metadata": {"name": name}, "spec": fields}
        return {"type": "Mesh", "name": name, **fields}
    spec = mtp_spec(rng)
    if kubernetes:
        resource: dict[str, Any] = {
            "apiVersion": "kuma.io/v1alpha1",
            "kind": "MeshTrafficPermission",
            "metadata": {"name": name, "namespace": "kuma-system", "labels": {"kuma.io/mesh": "default"}},
        }
    else:
        resource = {"type": "MeshTrafficPermission", "name": name, "mesh": "default"}
    if spec is not None or rng.random() < 0.5:
        resource["spec"] = spec
    return resource


def test_conftest_fails_exactly_the_documents_gen_bundle_rejects(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    paths = []
    for index in range(DOCUMENTS):
        path = tmp_path / f"doc-{index}.yaml"
        path.write_text(yaml.safe_dump(document(rng, index), sort_keys=False))
        paths.append(path)
    by_file = conftest_test(paths).by_file()
    missing: list[str] = []
    unexpected: list[str] = []
    compared = 0
    invalid_documents = 0
    for path in paths:
        failures = {result.msg for result in by_file.get(str(path), []) if result.severity == "failure"}
        errors = build([str(path)]).errors
        invalid_documents += bool(errors)
        if not errors and failures:
            unexpected.append(f"{path.name}: {sorted(failures)}\n{path.read_text()}")
        for diagnostic in errors:
            text = expected_text(diagnostic)
            if text is None:
                continue
            compared += 1
            if text not in failures:
                missing.append(f"{path.name}: {text}\n{path.read_text()}")
    assert not missing, "gen-bundle reports, conftest does not:\n" + "\n".join(missing[:10])
    assert not unexpected, "gen-bundle accepts, conftest fails:\n" + "\n".join(unexpected[:10])
    # The generator must produce both kinds of document, and many errors.
    assert DOCUMENTS * 0.2 < invalid_documents < DOCUMENTS * 0.95
    assert compared > DOCUMENTS
