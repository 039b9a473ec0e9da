"""Bundles built for a test: policy YAML text → the path of a bundle built from it (the build must succeed)."""

from __future__ import annotations

from pathlib import Path

from generator.build import build
from generator.checks.engine import Settings


def make_bundle(
    directory: Path, policy_yaml: str, name: str = "policies.yaml", kuma_version: str | None = None
) -> Path:
    source = directory / name
    source.write_text(policy_yaml)
    result = build([str(source)], Settings(kuma_version=kuma_version))
    assert result.bundle is not None, "\n".join(str(d) for d in result.errors)
    bundle = directory / "bundle.tar.gz"
    bundle.write_bytes(result.bundle.archive)
    return bundle
