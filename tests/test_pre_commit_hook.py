"""The pre-commit hook of .pre-commit-hooks.yaml, run by the real pre-commit in a repository of its own:
pre-commit installs this checkout into a virtualenv of its own and runs `gen-bundle check` on the files
it is given (docs/pre-commit.md). Each run installs anew (about 9 s): two runs, one good and one bad file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios" / "pre-commit"
HOOK_ID = "gen-bundle-check"


@pytest.fixture
def hook_repository(tmp_path: Path) -> Path:
    """The working tree as one commit: try-repo would take the tracked changes but leave new files out."""
    snapshot = tmp_path / "gen-bundle"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-C", str(snapshot)]
    subprocess.run(["git", "init", "--quiet", str(snapshot)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "--quiet", "--no-verify", "-m", "snapshot"], check=True)
    return snapshot


@pytest.fixture
def policy_repository(tmp_path: Path) -> Path:
    """A git repository holding the scenario's good and bad policy, both staged as a commit would have them."""
    repository = tmp_path / "policies"
    repository.mkdir()
    for name in ("good.yaml", "bad.yaml"):
        shutil.copy(SCENARIOS / name, repository / name)
    subprocess.run(["git", "init", "--quiet", str(repository)], check=True)
    subprocess.run(["git", "add", "."], cwd=repository, check=True)
    return repository


def try_hook(hooks: Path, repository: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo` the repository `hooks` on `files` of `repository`."""
    environment = dict(
        os.environ,
        GEN_BUNDLE_OPA=tool("opa"),
        PRE_COMMIT_HOME=str(repository.parent / "home"),
        # the hook's virtualenv gets what the suite runs with, not whatever PyPI has newest today
        PIP_CONSTRAINT=str(ROOT / "constraints" / "test.txt"),
    )
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), HOOK_ID, "--verbose", "--files", *files],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_hook_passes_a_valid_policy_and_fails_an_invalid_one_with_its_rule_id(
    hook_repository: Path, policy_repository: Path
) -> None:
    good = try_hook(hook_repository, policy_repository, "good.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "checked: 1 Mesh, 1 MeshTrafficPermission; no errors" in good.stdout

    bad = try_hook(hook_repository, policy_repository, "bad.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "error[MTP003]" in bad.stdout
    assert "bad.yaml:20:" in bad.stdout  # where the action is missing, as gen-bundle reports it
