"""conftest refuses each golden invalid scenario (tests/scenarios/invalid) with gen-bundle's IDs and messages.

tests/test_cli.py pins gen-bundle's output for each scenario, one golden `.expected` file per case (exit 1,
`file:line:column: error[ID]: message`, nothing written); here the same files go through real conftest,
which must report exactly the same (ID, message) pairs: input-boundary.yaml holds every input issue #12
found accepted or dropped. The cross-document checks (CMB*) are compared under --combine. For the two
files the reader refuses, what conftest does instead is pinned (it keeps the last of two keys, as
go-yaml does; it stops at a syntax error).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.checks.harness import POLICY, ROOT, conftest, conftest_test

INVALID = sorted((ROOT / "tests" / "scenarios" / "invalid").glob("*.yaml"))
# Scenarios gen-bundle's reader refuses, and what conftest (sigs.k8s.io/yaml) does with them instead.
READER_REFUSED = {"duplicate-key": "nothing", "tab-indentation": "parse error", "yaml-syntax": "parse error"}
CHECKED = [case for case in INVALID if case.stem not in READER_REFUSED]
LINE = re.compile(r"^(?P<file>[^:]+):\d+:\d+: (?:error|warning|note)\[(?P<id>[A-Z]+\d+)\]: (?P<message>.*)$")


def golden(case: Path) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for line in case.with_suffix(".expected").read_text().splitlines():
        matched = LINE.match(line)
        assert matched, f"not a diagnostic line: {line!r}"
        found[(matched["id"], matched["message"])] += 1
    return found


@pytest.mark.parametrize("case", CHECKED, ids=[case.stem for case in CHECKED])
def test_conftest_reports_what_gen_bundle_reports_for_each_invalid_scenario(case: Path) -> None:
    expected = golden(case)
    assert not any(rule.startswith("IN") for rule, _ in expected), "a reader refusal belongs in READER_REFUSED"
    path = case.relative_to(ROOT)
    per_document = Counter(
        (result.id, result.msg) for result in conftest_test([path]).results if not result.id.startswith("CMB")
    )
    combined = Counter(
        (result.id, result.msg.split(": ", 1)[1])
        for result in conftest_test([path], "--combine").results
        if result.id.startswith("CMB")
    )
    assert per_document + combined == expected
    assert expected, "the scenario is refused"


@pytest.mark.parametrize("name", sorted(READER_REFUSED))
def test_what_the_reader_refuses_conftest_reads_as_pinned(name: str) -> None:
    case = ROOT / "tests" / "scenarios" / "invalid" / f"{name}.yaml"
    assert all(rule.startswith("IN") for rule, _ in golden(case)), "gen-bundle's reader refuses it"
    process = conftest("test", "--policy", str(POLICY), "--all-namespaces", "--no-color", str(case))
    if READER_REFUSED[name] == "parse error":
        assert process.returncode == 1, process.stdout
        assert "parse configurations" in process.stderr, process.stderr
    else:
        assert process.returncode == 0, process.stdout + process.stderr
        assert " 0 failures" in process.stdout, process.stdout
