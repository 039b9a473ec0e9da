"""What a pip user gets (issue #16): a fresh virtualenv holding only the built wheel and its pinned
dependencies, run from a folder outside the checkout, builds the examples, exports the conftest checks
and runs them with the real conftest, and renders the compose deployment from the templates it
carries. Nothing it needs may live only in the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "scenarios" / "wheel-only"


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel built from this checkout and nothing else of it."""
    work = tmp_path_factory.mktemp("wheel-only")
    wheels = work / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(ROOT)],
        check=True,
    )
    (wheel,) = wheels.glob("gen_bundle-*.whl")
    environment = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(environment)], check=True)
    pip = [str(environment / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-c", str(ROOT / "constraints" / "test.txt"), str(wheel)], check=True)
    return environment


def run(venv: Path, cwd: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """A command as a user runs it: the venv's scripts and the tools on PATH, no checkout on any path."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    tools = str(Path(tool("opa")).parent)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), tools, "/usr/bin", "/bin"])
    return subprocess.run(list(command), check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_wheel_alone_builds_checks_and_finds_nothing_of_the_checkout(venv: Path, tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "examples" / "universal", policies)
    where = run(venv, tmp_path, "python", "-c", "import generator; print(generator.__file__)")
    assert where.returncode == 0, where.stderr
    assert str(venv) in where.stdout
    assert str(ROOT) not in where.stdout

    built = run(venv, tmp_path, "gen-bundle", "policies", "-o", "bundle.tar.gz")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "bundle.tar.gz").stat().st_size > 0

    exported = run(venv, tmp_path, "gen-bundle", "checks", "export", "checks")
    assert exported.returncode == 0, exported.stderr
    checked = run(venv, tmp_path, "conftest", "test", "--policy", "checks", "--all-namespaces", "policies")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    shutil.copy(SCENARIO / "missing-action.yaml", tmp_path)
    refused = run(venv, tmp_path, "conftest", "test", "--policy", "checks", "--all-namespaces", "missing-action.yaml")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    also_refused = run(venv, tmp_path, "gen-bundle", "check", "missing-action.yaml")
    assert also_refused.returncode == 1, also_refused.stdout + also_refused.stderr


def test_the_wheel_alone_renders_the_compose_deployment_from_its_own_templates(venv: Path, tmp_path: Path) -> None:
    shutil.copy(ROOT / "deploy" / "compose" / "values.yaml", tmp_path / "values.yaml")
    rendered = run(venv, tmp_path, "gen-bundle", "deploy", "render", "values.yaml", "out", "--certificates", "certs")
    assert rendered.returncode == 0, rendered.stderr
    shipped = ROOT / "deploy" / "compose" / "rendered"
    assert {path.name: path.read_bytes() for path in (tmp_path / "out").iterdir()} == {
        path.name: path.read_bytes() for path in shipped.iterdir()
    }
    assert (tmp_path / "certs").is_dir()
    # the templates it rendered are the wheel's, in the venv
    templates = run(venv, tmp_path, "python", "-c", "import generator.deploy.render as r; print(r.TEMPLATES)")
    assert templates.returncode == 0, templates.stderr
    assert Path(templates.stdout.strip()).is_relative_to(venv)
