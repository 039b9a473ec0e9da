"""docker-compose.yml as the real Compose reads it (`docker-compose config`, pinned in scripts/tools.env;
no container engine is needed): for the checks of the compose walk-through, in a checkout or an
unpacked sdist."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.tools import ROOT, tool

COMPOSE_CONFIG = ["config", "--format", "json"]


@cache
def compose_config(project: Path = ROOT) -> dict[str, Any]:
    files = ["--file", str(project / "docker-compose.yml"), "--project-directory", str(project)]
    result = subprocess.run(
        [tool("docker-compose"), *files, *COMPOSE_CONFIG],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def bind_mounts(project: Path = ROOT) -> list[tuple[str, Path, str]]:
    """(service, source on the host, target) of every bind mount."""
    mounts = []
    for name, service in compose_config(project)["services"].items():
        for volume in service.get("volumes", []):
            assert volume["type"] == "bind", (name, volume)
            mounts.append((name, Path(volume["source"]), volume["target"]))
    return mounts
