"""conftest's documented exit codes with our checks, end to end (opa-envoy.md §6).

0 when nothing fails, 1 on failures; with --fail-on-warn 1 on warnings and 2 on failures.
A deny result is a failure, a warn result a warning.
"""

from __future__ import annotations

import pytest

from tests.checks.harness import FIXTURES, POLICY, conftest

CLEAN = FIXTURES / "pass" / "mesh-mtls.yaml"
WARNS = FIXTURES / "risk" / "risk002-passthrough-all.yaml"
FAILS = FIXTURES / "mesh" / "mesh001-two-backends.yaml"
COMBINED_CLEAN = FIXTURES / "combined" / "cmb-pass.yaml"
COMBINED_WARNS = FIXTURES / "combined" / "cmb003-undefined-mesh.yaml"
COMBINED_FAILS = FIXTURES / "combined" / "cmb004-duplicate.yaml"


@pytest.mark.parametrize(
    ("paths", "flags", "expected"),
    [
        ([CLEAN], [], 0),
        ([CLEAN], ["--fail-on-warn"], 0),
        ([WARNS], [], 0),
        ([WARNS], ["--fail-on-warn"], 1),
        ([FAILS], [], 1),
        ([FAILS], ["--fail-on-warn"], 2),
        ([CLEAN, WARNS, FAILS], [], 1),
        ([CLEAN, WARNS, FAILS], ["--fail-on-warn"], 2),
        ([FAILS], ["--no-fail"], 0),
        ([COMBINED_CLEAN], ["--combine", "--fail-on-warn"], 0),
        ([COMBINED_WARNS], ["--combine"], 0),
        ([COMBINED_WARNS], ["--combine", "--fail-on-warn"], 1),
        ([COMBINED_FAILS], ["--combine"], 1),
        ([COMBINED_FAILS], ["--combine", "--fail-on-warn"], 2),
    ],
    ids=lambda value: (
        " ".join(str(item).rsplit("/", 1)[-1] for item in value) if isinstance(value, list) else str(value)
    ),
)
def test_exit_code(paths: list[object], flags: list[str], expected: int) -> None:
    process = conftest("test", "--policy", str(POLICY), "--all-namespaces", "--no-color", *flags, *map(str, paths))
    assert process.returncode == expected, process.stdout + process.stderr


def test_the_one_line_command_of_the_docs() -> None:
    """The command docs/checks/README.md gives users, run over a folder."""
    process = conftest("test", "--policy", "rego/checks", "--all-namespaces", "--no-color", str(FIXTURES / "pass"))
    assert process.returncode == 0, process.stdout + process.stderr
    assert " 0 failures" in process.stdout
    assert " 0 warnings" in process.stdout
