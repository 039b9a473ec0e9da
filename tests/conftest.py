from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import build


@pytest.fixture
def build_bundle(tmp_path: Path) -> Callable[[str], Path]:
    """Policy YAML text → the path of a bundle built from it (the build must succeed)."""

    def make(policy_yaml: str, name: str = "policies.yaml") -> Path:
        source = tmp_path / name
        source.write_text(policy_yaml)
        result = build([str(source)])
        assert result.bundle is not None, "\n".join(str(d) for d in result.errors)
        bundle = tmp_path / "bundle.tar.gz"
        bundle.write_bytes(result.bundle.archive)
        return bundle

    return make
