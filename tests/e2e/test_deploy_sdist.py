"""The compose walk-through from the sdist, without a checkout: the sdist the build backend makes
carries docker-compose.yml, deploy/ and examples/; in the unpacked sdist, the walk-through's commands
of deploy/README.md run as written with the sdist's own gen-bundle, write every bundle the compose
values name, leave the rendered configuration as shipped, and the real Compose accepts the file with
every mounted path present."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

from tests.support.compose import bind_mounts, compose_config
from tests.support.tools import ROOT, tool

README = ROOT / "deploy" / "README.md"
RENDERED = Path("deploy") / "compose" / "rendered"


def walk_through() -> list[str]:
    """The commands of deploy/README.md's "Docker Compose" block up to `docker compose up` (which needs
    a container engine)."""
    text = README.read_text()
    block = re.search(r"## Docker Compose\n\n```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None
    commands = block[1].splitlines()
    return commands[: commands.index("docker compose up")]


def unpacked_sdist(folder: Path) -> Path:
    built = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "sdist", "--directory", str(folder / "dist")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (sdist,) = (folder / "dist").glob("gen_bundle-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(folder / "unpacked", filter="data")
    (project,) = (folder / "unpacked").iterdir()
    return project


def test_the_compose_walk_through_runs_from_the_unpacked_sdist(tmp_path: Path) -> None:
    project = unpacked_sdist(tmp_path)
    shipped = {path.name: path.read_text() for path in (project / RENDERED).iterdir()}
    # The sdist's own generator package first on the path, as an install of that sdist would have it.
    env = {
        **os.environ,
        "PYTHONPATH": str(project),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(Path(tool("opa")).parent), os.environ["PATH"]]),
    }
    where = subprocess.run(
        [sys.executable, "-c", "import generator; print(generator.__file__)"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(project)
    for command in walk_through():
        result = subprocess.run(
            ["bash", "-euc", command], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
    assert {path.name: path.read_text() for path in (project / RENDERED).iterdir()} == shipped
    values = yaml.safe_load((project / "deploy" / "compose" / "values.yaml").read_text())
    served = project / "bundles"
    for side in ("server", "client"):
        assert (served / values[side]["bundle_resource"]).is_file(), f"the walk-through writes {side}'s bundle"
    assert set(compose_config(project)["services"]) >= {"bundles", "envoy-payments", "envoy-orders"}
    for service, source, _ in bind_mounts(project):
        assert source.is_relative_to(project), f"{service} mounts {source}, outside the sdist"
        assert source.exists(), f"{service} mounts {source}, which the walk-through did not make"
