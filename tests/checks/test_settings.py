"""The checks' settings mean the same to conftest (a `--data` file) and gen-bundle (its options).

docs/checks/README.md#settings: `system_namespaces` (--system-namespace) and `allow_empty`
(--allow-empty). Each case runs real conftest and the gen-bundle command over the same file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks.harness import ROOT, conftest_test

SETTINGS = Path(__file__).parent / "settings"


def gen_bundle_ids(path: Path, *options: str) -> set[str]:
    process = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--format", "json", *options, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert process.returncode in (0, 1), process.stderr
    return {diagnostic["rule"] for diagnostic in json.loads(process.stdout)["diagnostics"]}


def conftest_ids(path: Path, *flags: str) -> set[str]:
    return {result.id for result in conftest_test([path], "--combine", *flags).results}


@pytest.mark.parametrize(
    ("scenario", "settings", "options", "without", "with_settings"),
    [
        ("allow-all-outside-kuma-system", "mesh-control", ["--system-namespace", "mesh-control"], set(), {"RISK001"}),
        ("nothing-decides", "allow-empty", ["--allow-empty"], {"CMB005"}, set()),
    ],
)
def test_a_setting_changes_the_same_findings_in_conftest_and_gen_bundle(
    scenario: str, settings: str, options: list[str], without: set[str], with_settings: set[str]
) -> None:
    path = SETTINGS / f"{scenario}.yaml"
    data = SETTINGS / f"{settings}.yaml"
    assert conftest_ids(path) == without
    assert gen_bundle_ids(path) - {"RES009"} == without
    assert conftest_ids(path, "--data", str(data)) == with_settings
    assert gen_bundle_ids(path, *options) - {"RES009"} == with_settings
