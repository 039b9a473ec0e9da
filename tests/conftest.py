from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.bundles import make_bundle
from tests.support.decisions import BundleBuilder


@pytest.fixture
def build_bundle(tmp_path: Path) -> BundleBuilder:
    """Policy YAML text → the path of a bundle built from it (the build must succeed)."""

    def make(policy_yaml: str, name: str = "policies.yaml", kuma_version: str | None = None) -> Path:
        return make_bundle(tmp_path, policy_yaml, name, kuma_version)

    return make
