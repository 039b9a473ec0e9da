"""The real Envoy's verdict on a configuration file (`envoy --mode validate`): what the deployment
tests ask of every Envoy configuration they render without starting it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.deployment import envoy_binary


def assert_envoy_accepts(config: Path) -> None:
    result = subprocess.run(
        [envoy_binary(), "--mode", "validate", "-c", str(config), "--log-level", "error"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"configuration '{config}' OK" in result.stdout + result.stderr
