"""The command's contract: exit statuses, every problem reported once with file:line:col, nothing
written or replaced on invalid input, never a traceback, and byte-identical bundles for one input.

Invalid inputs are golden cases: tests/scenarios/invalid/<case>.yaml and <case>.expected (the exact
diagnostics). Set GEN_BUNDLE_UPDATE_GOLDEN=1 to rewrite the .expected files after a deliberate change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[1]
INVALID = sorted((ROOT / "tests" / "scenarios" / "invalid").glob("*.yaml"))
EXAMPLES = ROOT / "examples"
EXIT_INVALID_INPUT = 1


def gen_bundle(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = shutil.which("gen-bundle")
    assert command, "gen-bundle is not installed (pip install .)"
    return subprocess.run([command, *arguments], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.mark.parametrize("case", INVALID, ids=[case.stem for case in INVALID])
def test_invalid_input_reports_every_problem_and_writes_nothing(case: Path, tmp_path: Path) -> None:
    output = tmp_path / "bundle.tar.gz"
    output.write_bytes(b"the previous bundle")
    result = gen_bundle(str(case.relative_to(ROOT)), "-o", str(output))

    assert result.returncode == EXIT_INVALID_INPUT
    assert "Traceback" not in result.stderr
    assert output.read_bytes() == b"the previous bundle"
    assert list(tmp_path.iterdir()) == [output], "a temporary file was left behind"
    diagnostics = result.stderr.splitlines()
    assert diagnostics[-1].startswith("gen-bundle: ")
    assert diagnostics[-1].endswith("; nothing written")
    expected_file = case.with_suffix(".expected")
    if os.environ.get("GEN_BUNDLE_UPDATE_GOLDEN"):
        expected_file.write_text("\n".join(diagnostics[:-1]) + "\n")
    assert diagnostics[:-1] == expected_file.read_text().splitlines()


def test_all_invalid_files_in_one_run_report_all_their_errors(tmp_path: Path) -> None:
    result = gen_bundle("tests/scenarios/invalid", "-o", str(tmp_path / "b.tar.gz"))
    assert result.returncode == EXIT_INVALID_INPUT
    expected = [line for case in INVALID for line in case.with_suffix(".expected").read_text().splitlines()]
    reported = result.stderr.splitlines()[:-1]
    assert sorted(reported) == sorted(expected)


def test_valid_input_writes_a_bundle_and_a_summary(tmp_path: Path) -> None:
    output = tmp_path / "out" / "bundle.tar.gz"
    result = gen_bundle("examples", "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {output} (revision sha256:")
    with tarfile.open(output) as bundle:
        names = bundle.getnames()
    assert names == sorted(names)
    assert ".manifest" in names
    assert "kuma/compiled/data.json" in names
    assert not any(name.endswith("_test.rego") for name in names)


def test_same_input_gives_byte_identical_bundles(tmp_path: Path) -> None:
    first, second = tmp_path / "first.tar.gz", tmp_path / "second.tar.gz"
    assert gen_bundle("examples", "-o", str(first)).returncode == 0
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)  # another place, another time: still the same bytes
    assert gen_bundle(str(copy), "-o", str(second), cwd=tmp_path).returncode == 0
    assert first.read_bytes() == second.read_bytes()


def test_opa_inspect_shows_the_manifest(tmp_path: Path) -> None:
    output = tmp_path / "bundle.tar.gz"
    assert gen_bundle("examples", "-o", str(output)).returncode == 0
    inspected = subprocess.run(
        [tool("opa"), "inspect", "--format", "json", str(output)], capture_output=True, text=True, check=True
    )
    manifest = json.loads(inspected.stdout)["manifest"]
    assert manifest["roots"] == ["kuma"]
    assert manifest["revision"].startswith("sha256:")
    assert manifest["metadata"]["generator"] == "gen-bundle"
    assert manifest["metadata"]["inputs"][0]["file"].startswith("examples/")


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    result = gen_bundle("does-not-exist.yaml", "-o", str(tmp_path / "b.tar.gz"))
    assert result.returncode == EXIT_INVALID_INPUT
    assert result.stderr.startswith("does-not-exist.yaml: error[IN001]: no such file or directory")


def test_skipped_kinds_are_reported_not_dropped_and_other_api_groups_left_alone(tmp_path: Path) -> None:
    policies = tmp_path / "p.yaml"
    policies.write_text(
        "type: MeshTimeout\nname: t\nmesh: default\nspec: {}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\ntype: Mesh\nname: default\n"
    )
    result = gen_bundle(str(policies), "-o", str(tmp_path / "b.tar.gz"), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "p.yaml:1:1: note[RES009]: MeshTimeout t: decides nothing about access; skipped"
    ]
    assert ", 1 skipped" in result.stdout


def test_an_input_with_nothing_that_decides_access_is_an_error_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("type: MeshTimeout\nname: t\nmesh: default\nspec: {}\n")
    refused = gen_bundle("p.yaml", "-o", "b.tar.gz", cwd=tmp_path)
    assert refused.returncode == EXIT_INVALID_INPUT
    assert "p.yaml:1:1: error[CMB005]: no resource decides access" in refused.stderr
    assert not (tmp_path / "b.tar.gz").exists()
    allowed = gen_bundle("p.yaml", "-o", "b.tar.gz", "--allow-empty", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert "0 meshes, no resources, 1 skipped" in allowed.stdout


def test_usage_errors_exit_2() -> None:
    assert gen_bundle().returncode == 2


def test_kuma_version_is_recorded_in_the_manifest(tmp_path: Path) -> None:
    output = tmp_path / "bundle.tar.gz"
    assert gen_bundle("examples", "--kuma-version", "2.13.0", "-o", str(output)).returncode == 0
    with tarfile.open(output) as bundle:
        manifest = json.loads(bundle.extractfile(".manifest").read())  # type: ignore[union-attr]
        data = json.loads(bundle.extractfile("kuma/compiled/data.json").read())  # type: ignore[union-attr]
    assert manifest["metadata"]["kuma_version"] == "2.13.0"
    assert data["semantics"] == {"kuma_version": "2.13.0", "identity_selects_rules": False}


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("2.5.0", "--kuma-version 2.5.0: gen-bundle knows the semantics of Kuma 2.6.0 to 3.0.x"),
        ("3.1.0", "--kuma-version 3.1.0: gen-bundle knows the semantics of Kuma 2.6.0 to 3.0.x"),
        ("2.x", "'2.x' is not a release number X.Y.Z"),
    ],
)
def test_a_kuma_version_gen_bundle_does_not_know_is_a_usage_error(version: str, message: str) -> None:
    result = gen_bundle("check", "examples", "--kuma-version", version)
    assert result.returncode == 2
    assert message in result.stderr


def test_kuma_3_refuses_what_it_removed() -> None:
    result = gen_bundle("check", "examples", "--kuma-version", "3.0.0")
    assert result.returncode == EXIT_INVALID_INPUT
    assert "error[VER001]" in result.stderr
    assert gen_bundle("check", "examples/identity", "--kuma-version", "3.0.0").returncode == 0
