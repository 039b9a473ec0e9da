"""Every decision rule of the spec, decided by a real OPA loaded with the built bundle.

scenarios/inbound/: MeshTrafficPermission, TrafficPermission, mTLS modes, scoping (A2 to A6, A10).
scenarios/outbound/: ExternalService access and the mesh passthrough flag (A7).
Each scenario file runs in Universal and in Kubernetes form, and each check is asked on its
direction's paths and on the dispatcher, which must agree.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from generator.compile import compile_model
from generator.model import Semantics
from tests.support.bundles import built
from tests.support.decisions import failures_of
from tests.support.opa import OpaServer
from tests.support.scenarios import Scenario, load_scenarios

SCENARIOS = load_scenarios("inbound") + load_scenarios("outbound")


# Kuma 2.13's semantics, as rego/checks/lib/versions.rego derives them.
KUMA_2_13 = Semantics(kuma_version="2.13.0", rules_deny_first=False, identity_selects_rules=False)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.id for scenario in SCENARIOS])
def test_scenario_decides_as_the_mesh(scenario: Scenario, tmp_path: Path) -> None:
    result = built(tmp_path, scenario.policy_yaml(), kuma_version=scenario.kuma_version)
    with OpaServer(tmp_path / "bundle.tar.gz") as opa:
        failures = failures_of(opa, scenario)
    assert not failures, "\n".join(failures)
    if scenario.kuma_version is None and result.model is not None:
        # The seeds' scenarios decide alike on 2.13: the version switches touch rules[] and workload
        # identities only, so the data differs in `semantics` alone (the library reads nothing else).
        default, older = compile_model(result.model), compile_model(replace(result.model, semantics=KUMA_2_13))
        assert {**default, "semantics": None} == {**older, "semantics": None}
