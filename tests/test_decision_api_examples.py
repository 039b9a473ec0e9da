"""docs/decision-api.md's complete example inputs, decided by a real OPA with a bundle of the page's
policies: each `<!-- example: ... -->` comment says what the JSON input under it must get.

`labels=<JSON>` stands for OPA's labels (`opa.runtime().config.labels`), which a network-filter check
reads instead of context extensions: the test starts an OPA with those labels for such an example.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.decisions import BundleBuilder
from tests.support.opa import OpaServer

PAGE = Path(__file__).resolve().parents[1] / "docs" / "decision-api.md"
POLICIES = re.compile(r"<!-- example-policies -->\n```yaml\n(.*?)```", re.DOTALL)
EXAMPLE = re.compile(r"<!-- example: (.*?) -->\n```json\n(.*?)```", re.DOTALL)
FIELD = re.compile(r"(\w+)=(\{.*\}|\S+)")


@dataclass(frozen=True)
class Example:
    number: int
    expect: dict[str, Any]
    request: dict[str, Any]


def examples() -> list[Example]:
    found = []
    for number, (fields, body) in enumerate(EXAMPLE.findall(PAGE.read_text()), start=1):
        expect: dict[str, Any] = {}
        for key, value in FIELD.findall(fields):
            expect[key] = json.loads(value) if key == "labels" else value
        found.append(Example(number, expect, json.loads(body)))
    return found


EXAMPLES = examples()


def test_the_page_has_its_examples() -> None:
    assert POLICIES.search(PAGE.read_text())
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: f"example-{example.number}")
def test_example_input_gets_the_documented_decision(example: Example, build_bundle: BundleBuilder) -> None:
    match = POLICIES.search(PAGE.read_text())
    assert match
    bundle = build_bundle(match.group(1))
    with OpaServer(bundle, labels=example.expect.get("labels")) as opa:
        decision = opa.query("kuma/authz/inbound/decision", example.request)
    metadata = decision["dynamic_metadata"]
    assert decision["allowed"] is (example.expect["expect"] == "allowed"), decision
    assert metadata["reason"] == example.expect["reason"], decision
    if "rule" in example.expect:
        assert metadata.get("rule") == example.expect["rule"], decision
    if "policy" in example.expect:
        assert metadata.get("policy", {}).get("name") == example.expect["policy"], decision
