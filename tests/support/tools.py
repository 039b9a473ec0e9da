"""The pinned tools the tests run, as scripts/install-tools built them."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@cache
def pinned_versions() -> dict[str, str]:
    versions = {}
    for line in (ROOT / "scripts" / "tools.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            versions[key.strip()] = value.strip()
    return versions


@cache
def tool(name: str) -> str:
    """Path of a pinned tool; builds the pinned set first when it is not on PATH yet."""
    found = shutil.which(name)
    if found is None:
        output = subprocess.run(
            [str(ROOT / "scripts" / "install-tools")], check=True, capture_output=True, text=True
        ).stdout
        found = shutil.which(name, path=output.strip().splitlines()[-1] + os.pathsep + os.environ["PATH"])
    if found is None:
        raise RuntimeError(f"{name} is not installed: run scripts/install-tools")
    return found
