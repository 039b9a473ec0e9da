"""The bundle's `.manifest`: roots, Rego version, a revision derived from the content, and provenance."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from generator import __version__

ROOTS = ["kuma"]  # the bundle owns data.kuma only, so it can sit beside other bundles in one OPA


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces: the same value always gives the same bytes (and the form OPA signs)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def build_manifest(files: dict[str, bytes], metadata: dict[str, Any]) -> dict[str, Any]:
    metadata = {"generator": "gen-bundle", "generator_version": __version__, **metadata}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    digest.update(canonical_json(metadata))
    return {
        "revision": f"sha256:{digest.hexdigest()}",
        "roots": ROOTS,
        "rego_version": 1,
        "metadata": metadata,
    }
