"""Every decision rule of the spec, decided by a real OPA loaded with the built bundle.

scenarios/inbound/: MeshTrafficPermission, TrafficPermission, mTLS modes, scoping (A2 to A6, A10).
scenarios/outbound/: ExternalService access and the mesh passthrough flag (A7).
Each scenario file runs in Universal and in Kubernetes form, and each check is asked on its
direction's paths and on the dispatcher, which must agree.
"""

from __future__ import annotations

import pytest

from tests.support.decisions import BundleBuilder, failures_of
from tests.support.opa import OpaServer
from tests.support.scenarios import Scenario, load_scenarios

SCENARIOS = load_scenarios("inbound") + load_scenarios("outbound")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.id for scenario in SCENARIOS])
def test_scenario_decides_as_the_mesh(scenario: Scenario, build_bundle: BundleBuilder) -> None:
    with OpaServer(build_bundle(scenario.policy_yaml(), kuma_version=scenario.kuma_version)) as opa:
        failures = failures_of(opa, scenario)
    assert not failures, "\n".join(failures)
