"""`gen-bundle explain`: the decision of the real OPA with its reasons, end to end through the command.

Each scenario is tests/scenarios/explain/<case>.yaml (the policies), <case>.questions.yaml (the
questions, each with the decision, the step, optionally the policy it names, and every explained
entry as [policy, status] in the explanation's order) and <case>.expected (the text answers,
golden; GEN_BUNDLE_UPDATE_GOLDEN=1 rewrites it). That the explanation carries the very decision,
and names its deciding entry, is also asked of every inbound check of tests/scenarios/inbound
(tests/support/decisions.py).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_cli import ROOT, gen_bundle

EXPLAIN = ROOT / "tests" / "scenarios" / "explain"
CASES = sorted(path for path in EXPLAIN.glob("*.yaml") if not path.name.endswith(".questions.yaml"))


def questions(case: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(case.with_suffix(".questions.yaml").read_text())
    return loaded


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_explain_names_the_deciding_entry_and_why_the_others_did_not_decide(case: Path) -> None:
    failures = []
    answers = []
    for question in questions(case):
        arguments = ["explain", str(case.relative_to(ROOT)), *question["args"]]
        result = gen_bundle(*arguments, "--format", "json")
        assert result.returncode == 0, result.stderr
        explanation = json.loads(result.stdout)
        got = {
            "decision": "allow" if explanation["decision"]["allowed"] else "deny",
            "reason": explanation["decision"]["dynamic_metadata"]["reason"],
            "step": explanation["step"],
            "entries": [[entry["policy"]["name"], entry["status"]] for entry in explanation["entries"]],
        }
        if "policy" in question:  # the policy the decision names
            got["policy"] = explanation["decision"]["dynamic_metadata"].get("policy", {}).get("name")
        expected = {key: question[key] for key in got}
        if got != expected:
            failures.append(f"{question['name']}:\n  got      {got}\n  expected {expected}")
        text = gen_bundle(*arguments)
        assert text.returncode == 0, text.stderr
        answers.append(f"$ gen-bundle {shlex.join(arguments)}\n{text.stdout}")
    assert not failures, "\n".join(failures)
    golden = case.with_suffix(".expected")
    if os.environ.get("GEN_BUNDLE_UPDATE_GOLDEN"):
        golden.write_text("\n".join(answers))
    assert "\n".join(answers) == golden.read_text()


def test_explain_exit_statuses(tmp_path: Path) -> None:
    case = str((EXPLAIN / "rules-drop-from.yaml").relative_to(ROOT))
    ok = gen_bundle("explain", case, "--to", "app=payments", "--from", "none")
    assert ok.returncode == 0, ok.stderr
    assert "decision: deny (no-identity)" in ok.stdout

    usage = gen_bundle("explain", case, "--to", "app=payments", "--from", "env=dev")
    assert usage.returncode == 2
    assert "needs kuma.io/service" in usage.stderr

    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("type: MeshTrafficPermission\nname: x\nmesh: default\nspec: {}\n")
    bad = gen_bundle("explain", str(invalid), "--to", "app=payments", "--from", "none")
    assert bad.returncode == 1
    assert "error[" in bad.stderr
    assert "nothing explained" in bad.stderr

    no_opa = gen_bundle("explain", case, "--to", "app=payments", "--from", "none", "--opa", str(tmp_path / "no-opa"))
    assert no_opa.returncode == 2
    assert "cannot run OPA" in no_opa.stderr
    for result in (ok, usage, bad, no_opa):
        assert "Traceback" not in result.stderr
