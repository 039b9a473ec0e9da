"""Asking a real OPA about a built bundle: the bundle's files in a temporary folder, `opa eval
--bundle` of one rule for one input or for many at once."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from generator.bundle import Bundle
from generator.checks.opa import Opa, OpaFailed

PER_PROCESS = 500  # below this many inputs, one OPA: starting another costs more than it saves


def evaluate(opa: Opa, bundle: Bundle, query: str, inputs: Sequence[dict[str, Any]]) -> list[Any]:
    """The value of `query` (a rule of the bundle, e.g. data.kuma.authz.inbound.explanation) for each
    input, in one OPA run (one per core for large batches)."""
    if not inputs:
        return []
    with tempfile.TemporaryDirectory(prefix="gen-bundle-") as folder:
        root = Path(folder) / "bundle"
        for name, content in bundle.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        batch = f"[value | some case in input.cases; value := {query} with input as case]"
        # large batches in one OPA per core: each case is evaluated on its own anyway
        parts = max(1, min(os.cpu_count() or 1, len(inputs) // PER_PROCESS))
        size = -(-len(inputs) // parts)
        chunks = [list(inputs[start : start + size]) for start in range(0, len(inputs), size)] or [[]]

        def run(chunk: list[dict[str, Any]]) -> Any:
            return json.loads(opa.eval(batch, [], json.dumps({"cases": chunk}).encode(), bundle=root))

        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            answers = list(pool.map(run, chunks))
    value = [item for answer in answers if isinstance(answer, list) for item in answer]
    if not all(isinstance(answer, list) for answer in answers) or len(value) != len(inputs):
        raise OpaFailed(f"OPA answered {query} with something else than one value per input")
    return value
