"""The fast path of the checks (rego/checks/lib/clean.rego) hides nothing: with every rule run on every
resource (settings.exhaustive) the findings and the models are the same, over the differential corpus,
every fixture and scenario, and a synthetic mesh of the benchmark's shape. (Each Rego unit test checks
both ways too: rego/checks/lib/helpers_test.rego.)"""

from __future__ import annotations

from pathlib import Path

from bench.mesh import generate as generate_mesh
from bench.mesh import write as write_mesh
from generator.build import check
from generator.checks.engine import Settings
from tests.checks.corpus import generate
from tests.checks.harness import FIXTURES, ROOT


def outcome(paths: list[str], exhaustive: bool) -> tuple[list[str], object]:
    result = check(paths, Settings(exhaustive=exhaustive))
    return [str(diagnostic) for diagnostic in result.diagnostics], result.model


def test_the_fast_path_changes_no_finding_and_no_model(tmp_path: Path) -> None:
    for index, text in enumerate(generate(7, 800)):
        (tmp_path / f"g{index:04d}.yaml").write_text(text)
    write_mesh(generate_mesh(1500), tmp_path / "mesh")
    paths = [str(tmp_path), str(FIXTURES), str(ROOT / "tests" / "scenarios" / "invalid")]
    fast, exhaustive = outcome(paths, False), outcome(paths, True)
    assert fast[0] == exhaustive[0]
    assert len(fast[0]) > 1000


def test_the_fast_path_changes_no_model_of_a_valid_mesh(tmp_path: Path) -> None:
    write_mesh(generate_mesh(1500), tmp_path)
    fast, exhaustive = outcome([str(tmp_path)], False), outcome([str(tmp_path)], True)
    assert fast[1] is not None
    assert fast == exhaustive
