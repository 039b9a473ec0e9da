"""`gen-bundle checks path|export`: the conftest checks the package carries, found and copied so that
the real, pinned conftest runs them as it runs rego/checks of a checkout (docs/checks/README.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.rego import checks_root
from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "rego" / "checks"
# the examples pass; the fixture fails MTP003 twice
TARGETS = ["examples", "tests/checks/fixtures/mtp/mtp003-action-missing.yaml"]


def rego_files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*.rego")}


def conftest(policy: Path, *targets: str) -> tuple[int, list[Any]]:
    """conftest's exit status and its results, in a fixed order (it lists namespaces in any order)."""
    command = [tool("conftest"), "test", "--policy", str(policy), "--all-namespaces", "--output", "json", *targets]
    process = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    results = json.loads(process.stdout)
    return process.returncode, sorted(results, key=lambda result: (result["filename"], result["namespace"]))


def test_path_prints_the_folder_of_the_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "path"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == checks_root()
    assert (printed / "lib" / "catalogue.rego").is_file()


def test_conftest_gives_the_same_results_with_the_export_as_with_the_source(tmp_path: Path) -> None:
    exported = tmp_path / "checks"
    assert main(["checks", "export", str(exported), "-q"]) == 0
    assert rego_files(exported) == rego_files(SOURCE)
    from_export, from_source = conftest(exported, *TARGETS), conftest(SOURCE, *TARGETS)
    status, results = from_source
    failed = [failure["metadata"]["id"] for result in results for failure in result.get("failures") or []]
    assert (status, failed) == (1, ["MTP003", "MTP003"])
    assert from_export == from_source


def test_export_refuses_a_folder_that_is_not_empty_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.txt").write_text("kept")
    assert main(["checks", "export", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["mine.txt"]


def test_export_with_force_replaces_an_earlier_export_and_leaves_other_files(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "catalogue.rego").write_text("package stale\n")
    (tmp_path / "lib" / "renamed_since.rego").write_text("package stale\n")  # conftest would load it
    (tmp_path / "README.txt").write_text("kept")
    assert main(["checks", "export", str(tmp_path), "--force", "-q"]) == 0
    assert rego_files(tmp_path) == rego_files(SOURCE)
    assert (tmp_path / "README.txt").read_text() == "kept"


def test_export_to_a_file_or_an_unwritable_place_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert main(["checks", "export", str(a_file)]) == 2
    assert main(["checks", "export", str(a_file / "below")]) == 2
    errors = capsys.readouterr().err
    assert "is not a folder" in errors
    assert "cannot write" in errors


def test_checks_without_an_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["checks"])
    assert stopped.value.code == 2
    assert "path|export|push" in capsys.readouterr().err
