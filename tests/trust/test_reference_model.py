"""The reference model (tests/reference_model.py) is only worth comparing with OPA if it is right: it
must reach every decision the hand-written scenarios expect, in both YAML forms, before the
differential tests trust it on generated cases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reference_model import decide
from tests.support import kuma_yaml
from tests.support.scenarios import Scenario, load_scenarios

SCENARIOS = load_scenarios("inbound") + load_scenarios("outbound")


def expectation_problems(resources: list[Any], check: dict[str, Any], kuma_version: str | None = None) -> list[str]:
    outcome = decide(resources, check, kuma_version)
    problems = []
    if outcome.allowed is not (check["expect"] == "allowed"):
        problems.append(f"model allowed={outcome.allowed}, expected {check['expect']}")
    if outcome.reason != check["reason"]:
        problems.append(f"model reason {outcome.reason!r}, expected {check['reason']!r}")
    names = {reference.name if reference else None for reference in outcome.policies}
    if "policy" in check and names != {check["policy"]}:
        problems.append(f"model policy {names}, expected {check['policy']!r}")
    kinds = {reference.kind if reference else None for reference in outcome.policies}
    if "policy_kind" in check and kinds != {check["policy_kind"]}:
        problems.append(f"model policy kind {kinds}, expected {check['policy_kind']!r}")
    if outcome.shadow_deny is not check.get("shadow_deny", False):
        problems.append(f"model shadow_deny {outcome.shadow_deny}")
    return problems


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.id for scenario in SCENARIOS])
def test_the_model_decides_every_scenario_as_written(scenario: Scenario) -> None:
    resources = kuma_yaml.load_all(scenario.policy_yaml())
    failures = [
        f"{check['name']}: {'; '.join(problems)}"
        for check in scenario.checks
        if (problems := expectation_problems(resources, check, scenario.kuma_version))
    ]
    assert not failures, "\n".join(failures)


def test_the_scenarios_cover_every_reason_code() -> None:
    reasons = {check["reason"] for scenario in SCENARIOS for check in scenario.checks}
    assert reasons >= {
        "allowed-by-policy",
        "denied-by-policy",
        "no-matching-rule",
        "no-policy",
        "mtls-disabled",
        "permissive-plaintext",
        "no-identity",
        "foreign-identity",
        "unknown-mesh",
        "passthrough-allowed",
        "passthrough-blocked",
        "external-service-allowed",
        "external-service-denied",
    }
