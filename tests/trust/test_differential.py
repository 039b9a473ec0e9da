"""Differential testing: random policy sets and random checks, decided by a real OPA running the bundle
gen-bundle builds, and by the reference model (tests/reference_model.py); every decision must agree on
allowed, reason code, the deciding policy and shadow_deny.

One OPA per generated policy set. The default run is small; the long run is the same test with more
examples (docs/trust.md)::

    GEN_BUNDLE_DIFFERENTIAL_EXAMPLES=2500 GEN_BUNDLE_DIFFERENTIAL_REPORT=differential.json \\
        pytest tests/trust/test_differential.py -s

A disagreement is shrunk by hypothesis to a small policy set and check; it becomes a scenario file
under tests/scenarios/{inbound,outbound}/ once decided whether the model or gen-bundle is wrong.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.bundle import DATA_PATH
from tests.reference_model import decide, disagreements
from tests.support import kuma_yaml
from tests.support.data_schema import assert_follows_data_schema
from tests.support.decisions import check_input
from tests.support.opa import OpaServer
from tests.trust.strategies import Check, Resource, checks, policy_sets

EXAMPLES = int(os.environ.get("GEN_BUNDLE_DIFFERENTIAL_EXAMPLES", "20"))
CHECKS_PER_SET = int(os.environ.get("GEN_BUNDLE_DIFFERENTIAL_CHECKS", "30"))
REPORT = os.environ.get("GEN_BUNDLE_DIFFERENTIAL_REPORT")
# Shrinking a disagreement starts one OPA per attempt; GEN_BUNDLE_DIFFERENTIAL_SHRINK=0 reports it as found.
PHASES = [
    phase for phase in Phase if phase is not Phase.shrink or os.environ.get("GEN_BUNDLE_DIFFERENTIAL_SHRINK") != "0"
]

STATS: Counter[str] = Counter()
REASONS: Counter[str] = Counter()
KINDS: Counter[str] = Counter()
STARTED = time.monotonic()


def summary() -> dict[str, Any]:
    return {
        "policy_sets": STATS["policy_sets"],
        "comparisons": STATS["comparisons"],
        "opa_queries": STATS["queries"],
        "disagreements": STATS["disagreements"],
        "seconds": round(time.monotonic() - STARTED, 1),
        "reasons": dict(REASONS.most_common()),
        "resources": dict(KINDS.most_common()),
    }


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    print("\ndifferential run:", json.dumps(summary(), indent=2))
    if REPORT:
        Path(REPORT).write_text(json.dumps(summary(), indent=2) + "\n")


def disagreements_with_opa(resources: list[Resource], requests: list[Check]) -> list[str]:
    text = kuma_yaml.dump_all(resources)
    with tempfile.TemporaryDirectory() as folder:
        policies = Path(folder) / "policies"
        policies.mkdir()
        if resources:  # a file without resources is an error; an empty folder is no policy at all
            (policies / "policies.yaml").write_text(text)
        result = build([str(policies)])
        assert result.bundle is not None, (
            "the strategy drew invalid input:\n" + "\n".join(str(d) for d in result.errors) + f"\n---\n{text}"
        )
        assert_follows_data_schema(json.loads(result.bundle.files[DATA_PATH]), f"the data built from\n{text}")
        bundle = Path(folder) / "bundle.tar.gz"
        bundle.write_bytes(result.bundle.archive)
        STATS["policy_sets"] += 1
        KINDS.update(resource.get("type") or resource["kind"] for resource in resources)
        failures: list[str] = []
        with OpaServer(bundle) as opa:
            for check in requests:
                failures.extend(_compare(opa, resources, check))
    if failures:
        STATS["disagreements"] += len(failures)
        failures.insert(0, f"policies:\n{text}")
    if REPORT and STATS["policy_sets"] % 50 == 0:  # progress, in case a long run is cut short
        Path(REPORT).write_text(json.dumps(summary(), indent=2) + "\n")
    return failures


def _compare(opa: OpaServer, resources: list[Resource], check: Check) -> list[str]:
    direction = check.get("direction", "inbound")
    request = check_input(check)
    decision = opa.query(f"kuma/authz/{direction}/decision", request)
    dispatched = opa.query("kuma/authz/decision", request)
    STATS["queries"] += 2
    STATS["comparisons"] += 1
    expected = decide(resources, check)
    deciders = sorted({reference.kind for reference in expected.policies if reference is not None})
    REASONS[" by ".join([expected.reason, *deciders[:1]])] += 1
    problems = disagreements(expected, decision)
    if dispatched != decision:
        problems.append("kuma.authz.decision differs from the direction's decision")
    if "headers" in check:
        unforged = opa.query(f"kuma/authz/{direction}/decision", check_input({**check, "headers": {}}))
        STATS["queries"] += 1
        if unforged != decision:
            problems.append("identity headers changed the decision")
    if not problems:
        return []
    return [f"check {json.dumps(check)}\n  model: {expected}\n  OPA: {json.dumps(decision)}\n  " + "; ".join(problems)]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(resources=policy_sets(), data=st.data())
def test_opa_decides_every_generated_check_as_the_reference_model(
    resources: list[Resource], data: st.DataObject
) -> None:
    requests = data.draw(st.lists(checks(resources), min_size=CHECKS_PER_SET, max_size=CHECKS_PER_SET))
    failures = disagreements_with_opa(resources, requests)
    assert not failures, "\n".join(failures)
