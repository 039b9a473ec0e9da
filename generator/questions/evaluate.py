"""Asking a real OPA about a built bundle: the bundle's files in a temporary folder, `opa eval
--bundle` of one rule for one input or for many at once."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.bundle import Bundle
from generator.checks.opa import Opa, OpaFailed


def evaluate(opa: Opa, bundle: Bundle, query: str, inputs: Sequence[dict[str, Any]]) -> list[Any]:
    """The value of `query` (a rule of the bundle, e.g. data.kuma.authz.inbound.explanation) for each
    input, in one OPA run."""
    with tempfile.TemporaryDirectory(prefix="gen-bundle-") as folder:
        root = Path(folder) / "bundle"
        for name, content in bundle.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        batch = f"[value | some case in input.cases; value := {query} with input as case]"
        value = json.loads(opa.eval(batch, [], json.dumps({"cases": list(inputs)}).encode(), bundle=root))
    if not isinstance(value, list) or len(value) != len(inputs):
        raise OpaFailed(f"OPA answered {query} with {type(value).__name__}, not one value per input")
    return value
