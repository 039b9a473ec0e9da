"""Kuma's own fixtures for the Dataplane targetRef, decided by a real OPA (docs/conformance.md).

tests/conformance/kuma/dataplane-kind.json holds Kuma v2.14.3's `matchedpolicies/dataplane-kind` cases:
a Dataplane with two inbounds, MeshTrafficPermissions with Dataplane refs, and 14 scenarios that give
the resources the metadata they have on a zone or global control plane, Universal or Kubernetes, synced
or local. For each inbound the fixture says which policies Kuma matches, in Kuma's order. Each policy
has one `from` entry for every client, so the last of them decides: the test asks OPA for each
inbound and expects that policy (or `no-policy` when none matches). Every scenario is a mesh of its
own, so one bundle and one OPA serve all of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import kuma_yaml
from tests.support.bundles import make_bundle
from tests.support.checks import inbound_check
from tests.support.opa import OpaServer

FIXTURES = Path(__file__).resolve().parent / "kuma" / "dataplane-kind.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURES.read_text())["cases"]
SCENARIOS = [(case, name) for case in CASES for name in sorted(case["scenarios"])]


def mesh_name(number: int) -> str:
    return f"fixture-{number}"


def resources() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for number, (case, name) in enumerate(SCENARIOS):
        scenario = case["scenarios"][name]
        mesh = mesh_name(number)
        documents.append(
            {
                "type": "Mesh",
                "name": mesh,
                "mtls": {"enabledBackend": "ca", "backends": [{"name": "ca", "type": "builtin"}]},
            }
        )
        seen: set[str] = set()
        for index, (policy, policy_name, labels) in enumerate(
            zip(case["policies"], scenario["policyNames"], scenario["policyLabels"], strict=True)
        ):
            # Kuma's fixtures reuse a name for several policies (its test never stores them); a store
            # holds one resource per name, so later ones get a suffix and keep the name for display.
            core_name = policy_name if policy_name not in seen else f"{policy_name}-{index}"
            seen.add(policy_name)
            display = labels.get("kuma.io/display-name", policy_name)
            documents.append(
                {
                    "type": "MeshTrafficPermission",
                    "name": core_name,
                    "mesh": mesh,
                    "labels": {**labels, "kuma.io/display-name": display},
                    "spec": {
                        "targetRef": policy["targetRef"],
                        "from": [
                            {"targetRef": entry["targetRef"], "default": {"action": entry["action"]}}
                            for entry in policy["from"]
                        ],
                    },
                }
            )
    return documents


@pytest.fixture(scope="module")
def opa(tmp_path_factory: pytest.TempPathFactory) -> Any:
    bundle = make_bundle(tmp_path_factory.mktemp("conformance"), kuma_yaml.dump_all(resources()))
    with OpaServer(bundle) as server:
        yield server


def expected(case: dict[str, Any], name: str, port: int) -> tuple[str, str | None]:
    scenario = case["scenarios"][name]
    order = scenario["perInboundPortOrder"].get(str(port), [])
    if not order:
        return ("no-policy", None)
    winner = order[-1]
    action = case["policies"][winner]["from"][-1]["action"]
    display = scenario["policyLabels"][winner].get("kuma.io/display-name", scenario["policyNames"][winner])
    return ("allowed-by-policy" if action == "Allow" else "denied-by-policy", display)


@pytest.mark.parametrize(("case", "name"), SCENARIOS, ids=[f"{case['case']}/{name}" for case, name in SCENARIOS])
def test_kuma_fixture_selects_as_kuma_does(case: dict[str, Any], name: str, opa: OpaServer) -> None:
    number = SCENARIOS.index((case, name))
    scenario = case["scenarios"][name]
    labels = scenario["dataplane"]["labels"]
    dataplane = {
        "name": scenario["dataplane"]["display_name"],
        "namespace": labels.get("k8s.kuma.io/namespace", ""),
        "labels": labels,
    }
    failures = []
    for inbound in case["inbounds"]:
        facts = {**dataplane, **({"inbound": inbound["name"]} if inbound["name"] else {})}
        request = inbound_check(
            inbound["tags"],
            {"kuma.io/service": "client"},
            mesh=mesh_name(number),
            dataplane=facts,
            port=inbound["port"],
        )
        metadata = opa.query("kuma/authz/inbound/decision", request)["dynamic_metadata"]
        reason, policy = expected(case, name, inbound["port"])
        got = (metadata["reason"], metadata.get("policy", {}).get("name"))
        if got != (reason, policy):
            failures.append(f"inbound {inbound['port']}: {got}, Kuma {(reason, policy)}")
    assert not failures, "\n".join(failures)
