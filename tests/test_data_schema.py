"""One contract for the compiled data document, generator/compile/data.schema.json (docs/data-shape.md):
what the compiler writes and what the Rego unit tests hand the library are both checked against it,
so neither side can drift from the other unnoticed.

Compiler side: every bundle a test builds through tests/support/bundles.py is checked there (each
scenario of tests/scenarios/inbound and outbound, in each form and Kuma version), and so is each
random policy set of tests/trust/test_differential.py; here, the policy sets the other verbs' tests
build, the examples, and a synthetic mesh. Rego side: every `with data.kuma.compiled as ...` of
rego/kuma/authz/**/*_test.rego, as a real `opa test` evaluates it.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator  # type: ignore[import-untyped]

from bench.mesh import generate, write
from generator.build import build
from generator.bundle import DATA_PATH
from generator.compile import DATA_FORMAT
from tests.support.data_schema import assert_follows_data_schema, data_schema, schema_problems
from tests.support.rego_fixtures import capture_fixtures
from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios"
# Scenario files that tests build through tests/support/bundles.py (checked there), or that are not
# policies: the checks' invalid inputs, questions, inventories, the seeded diff's changes.
# invalid on purpose, or built by their own tests: pre-commit/ and wheel-only/ hold documents the checks refuse
CHECKED_ELSEWHERE = ("inbound", "outbound", "invalid", "pre-commit", "wheel-only")
NOT_POLICIES = ("*.questions.yaml", "dataplanes*.yaml", "diff/seeded/changes.yaml")


def policy_sets() -> list[str]:
    """Every policy set of tests/scenarios that tests build without tests/support/bundles.py."""
    return [
        path.relative_to(SCENARIOS).as_posix()
        for path in sorted(SCENARIOS.rglob("*.yaml"))
        if path.relative_to(SCENARIOS).parts[0] not in CHECKED_ELSEWHERE
        and not any(path.match(pattern) for pattern in NOT_POLICIES)
    ]


SYNTHETIC_SIZE = 300  # enough services for every kind the generator writes (rules[], TrafficPermission...)

Json = dict[str, Any]


def compiled(paths: list[Path]) -> Json:
    result = build([str(path) for path in paths])
    assert result.bundle is not None, "\n".join(str(d) for d in result.errors)
    data: Json = json.loads(result.bundle.files[DATA_PATH])
    return data


@cache
def examples_data() -> Json:
    return compiled([ROOT / "examples"])


def test_the_schema_is_a_draft_2020_12_schema_that_draft_7_reads_alike() -> None:
    Draft202012Validator.check_schema(data_schema())
    Draft7Validator.check_schema(data_schema())  # OPA's json.match_schema knows drafts 4, 6 and 7
    assert data_schema()["properties"]["format"] == {"const": DATA_FORMAT}, "bump the schema with the format"


@pytest.mark.parametrize("policy_set", policy_sets())
def test_the_data_of_each_scenario_policy_set_follows_the_schema(policy_set: str) -> None:
    assert_follows_data_schema(compiled([SCENARIOS / policy_set]), policy_set)


def test_the_data_of_the_examples_follows_the_schema() -> None:
    assert_follows_data_schema(examples_data(), "examples/")


def test_the_data_of_a_synthetic_mesh_follows_the_schema(tmp_path: Path) -> None:
    mesh = generate(SYNTHETIC_SIZE)
    assert mesh.identity_services, "rules[]"
    assert mesh.legacy_with_tp, "TrafficPermission"
    assert mesh.external_services, "ExternalService"
    assert mesh.passthrough_services, "MeshPassthrough"
    assert_follows_data_schema(compiled(write(mesh, tmp_path)), f"bench/mesh.py at {SYNTHETIC_SIZE} resources")


# --- the schema rejects drift ---------------------------------------------------------------------


def records(node: Any, key: str) -> Iterator[Json]:
    """Every object of `node` that has `key`, depth first."""
    if isinstance(node, dict):
        if key in node:
            yield node
        for value in node.values():
            yield from records(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from records(value, key)


def first_mesh(data: Json) -> Json:
    mesh: Json = next(iter(data["meshes"].values()))
    return mesh


def first_entry(data: Json) -> Json:
    """A `from[]` entry of the examples' data."""
    return next(records(first_mesh(data)["selection"]["from"], "rank"))


DRIFTS: dict[str, tuple[Callable[[Json], object], str]] = {
    "a missing mesh key": (lambda d: first_mesh(d)["outbound"].pop("by_host"), "'by_host' is a required property"),
    "a missing record key": (lambda d: first_entry(d).pop("client"), "'client' is a required property"),
    "a wrong type": (lambda d: first_entry(d).update(rank="3"), "'3' is not of type 'integer'"),
    "a wrong boolean": (lambda d: first_mesh(d).update(passthrough="true"), "'true' is not of type 'boolean'"),
    "an unknown mesh key": (lambda d: first_mesh(d)["selection"].update(by_zone={}), "'by_zone' was unexpected"),
    "an unknown record key": (lambda d: first_entry(d).update(priority=1), "'priority' was unexpected"),
    "an action out of the enum": (lambda d: first_entry(d).update(action="allow"), "'allow' is not one of"),
    "an mTLS mode out of the enum": (lambda d: first_mesh(d).update(mtls="STRICT"), "'STRICT' is not one of"),
    "another format": (lambda d: d.update(format=DATA_FORMAT + 1), "was expected"),
    "a kri on another kind": (
        lambda d: first_mesh(d)["policies"][0].update(kind="MeshPassthrough"),
        "should not be valid under {'required': ['kri']}",
    ),
    "a slot keyed by `*`": (
        lambda d: first_mesh(d)["selection"]["from_policies"]["by_pair"].update(app={"*": [{"inbound": {}}]}),
        "'*' should not be valid under {'const': '*'}",
    ),
    "a `*` left in a TrafficPermission source": (
        lambda d: first_mesh(d)["inbound"]["traffic_permissions"]["sources"].update({"0": [{"env": "*"}]}),
        "'*' should not be valid under {'const': '*'}",
    ),
    "no semantics": (lambda d: d.pop("semantics"), "'semantics' is a required property"),
}


def drifted(drift: str) -> Json:
    """A copy of the examples' data with `drift` made."""
    change, _ = DRIFTS[drift]
    data = copy.deepcopy(examples_data())
    change(data)
    return data


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_the_schema_rejects_drift(drift: str) -> None:
    assert not schema_problems(examples_data())
    problems = schema_problems(drifted(drift))
    assert any(DRIFTS[drift][1] in problem for problem in problems), problems


def test_opa_json_match_schema_agrees_with_the_python_validator() -> None:
    """The schema keeps to keywords draft-07 reads alike, so OPA can check a document with it too."""
    documents = [examples_data(), *(drifted(drift) for drift in sorted(DRIFTS))]
    query = "[json.match_schema(document, input.schema)[0] | some document in input.documents]"
    process = subprocess.run(
        [tool("opa"), "eval", "--format", "raw", "--stdin-input", query],
        input=json.dumps({"schema": data_schema(), "documents": documents}),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = [True] + [False] * len(DRIFTS)
    assert json.loads(process.stdout) == [not schema_problems(document) for document in documents] == expected


# --- the Rego tests' fixtures ---------------------------------------------------------------------


def test_every_compiled_data_fixture_of_the_rego_tests_follows_the_schema(tmp_path: Path) -> None:
    capture = capture_fixtures(tool("opa"), tmp_path)
    assert len(capture.sites) > 100, "the search for `with data.kuma.compiled` found too little"
    assert not capture.failed_tests, f"the instrumented copy's tests failed: {capture.failed_tests}"
    assert not capture.other_targets, "replace data.kuma.compiled whole, so that the schema can check it"
    unreached = [site.name for site in capture.sites if not site.values]
    assert not unreached, f"no test evaluated these fixtures: {unreached}"
    problems = []
    for site in capture.sites:
        found = sorted({problem for value in site.values for problem in schema_problems(value)})
        if site.malformed and not found:
            problems.append(f"{site.name}: marked `# data-shape: malformed` but follows the schema")
        elif found and not site.malformed:
            problems.append(f"{site.name}: {site.text[:60]}\n    " + "\n    ".join(found[:5]))
    assert not problems, "\n".join(problems)


def test_a_fixture_that_drifts_is_reported_at_its_line(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    (library / "drift_test.rego").write_text(
        "package drift_test\n\n"
        'test_reads_the_format if {\n\tdata.kuma.compiled.format == 2 with data.kuma.compiled as {"format": 2}\n}\n'
    )
    capture = capture_fixtures(tool("opa"), tmp_path / "copy", library)
    (site,) = capture.sites
    assert (site.name, site.values, site.malformed) == ("rego/kuma/authz/drift_test.rego:4", [{"format": 2}], False)
    assert "/: 'meshes' is a required property" in schema_problems(site.values[0])
