"""Bundles built for a test: policy YAML text → the path of a bundle built from it (the build must succeed)."""

from __future__ import annotations

import json
from pathlib import Path

from generator.build import BuildResult, build
from generator.bundle import DATA_PATH
from generator.checks.engine import Settings
from tests.support.data_schema import assert_follows_data_schema


def built(
    directory: Path, policy_yaml: str, name: str = "policies.yaml", kuma_version: str | None = None
) -> BuildResult:
    """The build of `policy_yaml`, its bundle written to `directory`/bundle.tar.gz; every bundle a test
    builds holds data that follows the schema (docs/data-shape.md)."""
    source = directory / name
    source.write_text(policy_yaml)
    result = build([str(source)], Settings(kuma_version=kuma_version))
    assert result.bundle is not None, "\n".join(str(d) for d in result.errors)
    assert_follows_data_schema(json.loads(result.bundle.files[DATA_PATH]), f"the data built from {source}")
    (directory / "bundle.tar.gz").write_bytes(result.bundle.archive)
    return result


def make_bundle(
    directory: Path, policy_yaml: str, name: str = "policies.yaml", kuma_version: str | None = None
) -> Path:
    built(directory, policy_yaml, name, kuma_version)
    return directory / "bundle.tar.gz"
