"""The Rego unit tests of the checks (rego/checks/**/*_test.rego), run by `conftest verify`."""

from __future__ import annotations

import json
import re

from tests.checks.harness import POLICY, conftest

TEST_RULE = re.compile(r"^test_\w+ if\b", re.MULTILINE)


def test_conftest_verify_runs_every_unit_test() -> None:
    process = conftest("verify", "--policy", str(POLICY), "--output", "json", "--no-color")
    assert process.returncode == 0, process.stdout + process.stderr
    results = json.loads(process.stdout)
    failures = [item for entry in results for item in entry.get("failures") or []]
    assert not failures
    ran = sum(entry.get("successes", 0) + len(entry.get("failures") or []) for entry in results)
    written = sum(len(TEST_RULE.findall(path.read_text())) for path in POLICY.rglob("*_test.rego"))
    # Every test rule written ran (an empty or partial run would pass vacuously).
    assert written > 50
    assert ran == written
