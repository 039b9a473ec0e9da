"""What gen-bundle rejects, the structural checks flag too, with the same text (issue #6, acceptance).

For every fixture of the kinds gen-bundle validates (Mesh and MeshTrafficPermission today; the others
join by themselves once gen-bundle stops refusing them as not supported yet) and for the
invalid scenarios of gen-bundle's own tests, each error gen-bundle reports about a resource must be
among conftest's results for that file, word for word after the location and severity:
`<Kind> <mesh>/<name>: <field>: <message>`. Errors about the file rather than a resource (YAML
syntax, non-resources) and cross-document ones (duplicates, checked by CMB004) are out of scope.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.build import build
from generator.diagnostics import Diagnostic
from generator.reading.resources import SUPPORTED_KINDS
from generator.validation import NOT_YET_COMPILED
from tests.checks.harness import FIXTURES, ROOT, Fixture, all_fixtures, conftest_test, kubernetes_copy

VALIDATED_KINDS = set(SUPPORTED_KINDS) - set(NOT_YET_COMPILED)
SCENARIOS = [
    ROOT / "tests" / "scenarios" / "invalid" / name
    for name in (
        "mesh.yaml",
        "mtp-spec.yaml",
        "mtp-target-ref.yaml",
        "envelope.yaml",
        "traffic-permission.yaml",
        "external-service.yaml",
        "mesh-passthrough.yaml",
    )
]
# Reader errors about the file, not about a Kuma resource: conftest leaves such documents alone.
NOT_ABOUT_A_RESOURCE = re.compile(
    r"^(expected a resource|not a Kuma resource|invalid YAML|duplicate key|items: |type: |kind: )"
)


def kinds(path: Path) -> set[str]:
    found: set[str] = set()
    for document in yaml.safe_load_all(path.read_text()):
        if isinstance(document, dict):
            found.add(str(document.get("type") or document.get("kind")))
    return found


def validated_fixtures() -> list[Fixture]:
    return [fixture for fixture in all_fixtures() if not fixture.combine and kinds(fixture.path) <= VALIDATED_KINDS]


def expected_text(diagnostic: Diagnostic) -> str | None:
    """The part of gen-bundle's line conftest must print, or None when out of scope."""
    if diagnostic.message.startswith("defined twice"):
        return None
    if diagnostic.resource is None:
        return None if NOT_ABOUT_A_RESOURCE.match(diagnostic.message) else diagnostic.message
    parts = [diagnostic.resource, diagnostic.field, diagnostic.message]
    return ": ".join(part for part in parts if part)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("kubernetes")
    paths = list(SCENARIOS)
    for fixture in validated_fixtures():
        paths.append(fixture.path)
        if fixture.both_forms:
            paths.append(kubernetes_copy(fixture, directory))
    return paths


def test_the_comparison_covers_both_kinds_and_forms(files: list[Path]) -> None:
    assert len(files) > 20
    assert any("kubernetes" in str(path) for path in files)
    assert {kind for path in files for kind in kinds(path)} >= VALIDATED_KINDS >= {"Mesh", "MeshTrafficPermission"}


def test_every_gen_bundle_error_is_flagged_with_the_same_message(files: list[Path]) -> None:
    run = conftest_test(files)
    by_file = run.by_file()
    missing: list[str] = []
    compared = 0
    for path in files:
        messages = [result.msg for result in by_file.get(str(path), []) if result.severity == "failure"]
        for diagnostic in build([str(path)]).errors:
            text = expected_text(diagnostic)
            if text is None:
                continue
            compared += 1
            if diagnostic.resource is None:
                found = any(message.endswith(": " + text) for message in messages)
            else:
                found = text in messages
            if not found:
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else f"{path.name} (Kubernetes form)"
                missing.append(f"{where}: {text}")
    assert not missing, "gen-bundle reports these, the conftest checks do not:\n" + "\n".join(missing)
    assert compared > 50, compared


def test_fixtures_exist_for_gen_bundle_kinds() -> None:
    assert any(FIXTURES in fixture.path.parents for fixture in validated_fixtures())
