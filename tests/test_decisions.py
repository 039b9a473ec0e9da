"""Every inbound rule of the spec (A2 to A5, A10), decided by a real OPA loaded with the built bundle.

Each scenario file in scenarios/inbound/ holds policies and checks; each runs in Universal and in
Kubernetes form, and each check is asked on all three inbound paths, which must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.checks import inbound_check
from tests.support.opa import OpaServer
from tests.support.scenarios import Scenario, load_scenarios

SCENARIOS = load_scenarios("inbound")


def _check_input(check: dict[str, Any]) -> dict[str, Any]:
    return inbound_check(
        check["inbound"],
        check.get("client"),
        mesh=check.get("mesh", "default"),
        identity=check.get("identity", "certificate"),
        client_mesh=check.get("client_mesh"),
        http=check.get("http", True),
        extra_headers=check.get("headers"),
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.id for scenario in SCENARIOS])
def test_scenario_decides_as_the_mesh(scenario: Scenario, build_bundle: Callable[[str], Path]) -> None:
    bundle = build_bundle(scenario.policy_yaml())
    failures = []
    with OpaServer(bundle) as opa:
        for check in scenario.checks:
            request = _check_input(check)
            decision = opa.query("kuma/authz/inbound/decision", request)
            dispatched = opa.query("kuma/authz/decision", request)
            allowed = opa.query("kuma/authz/inbound/allow", request)
            problems = _compare(check, decision)
            if dispatched != decision:
                problems.append("kuma.authz.decision differs from kuma.authz.inbound.decision")
            if allowed is not decision["allowed"]:
                problems.append(f"kuma.authz.inbound.allow is {allowed}, decision.allowed {decision['allowed']}")
            if problems:
                failures.append(f"{check['name']}: " + "; ".join(problems) + f"\n    decision: {decision}")
    assert not failures, "\n".join(failures)


def _compare(check: dict[str, Any], decision: dict[str, Any]) -> list[str]:
    problems = []
    metadata = decision["dynamic_metadata"]
    expected_allowed = check["expect"] == "allowed"
    if decision["allowed"] is not expected_allowed:
        problems.append(f"expected {check['expect']}")
    if metadata["reason"] != check["reason"]:
        problems.append(f"reason {metadata['reason']!r}, expected {check['reason']!r}")
    if "policy" in check:
        got = metadata.get("policy", {}).get("name")
        if got != check["policy"]:
            problems.append(f"policy {got!r}, expected {check['policy']!r}")
    if metadata["shadow_deny"] is not check.get("shadow_deny", False):
        problems.append(f"shadow_deny {metadata['shadow_deny']}")
    if not expected_allowed and decision.get("http_status") != 403:
        problems.append(f"http_status {decision.get('http_status')}, expected 403")
    return problems
