"""Compiled data + the fixed Rego library → an OPA bundle (one file per concern, like OPA's own
`bundle` package): library, manifest, archive, write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.bundle.archive import build_archive
from generator.bundle.library import library_files
from generator.bundle.manifest import build_manifest, canonical_json

DATA_PATH = "kuma/compiled/data.json"
MANIFEST_PATH = ".manifest"


@dataclass(frozen=True)
class Bundle:
    archive: bytes
    manifest: dict[str, Any]

    @property
    def revision(self) -> str:
        revision: str = self.manifest["revision"]
        return revision


def build_bundle(data: dict[str, Any], metadata: dict[str, Any]) -> Bundle:
    files = {DATA_PATH: canonical_json(data), **library_files()}
    manifest = build_manifest(files, metadata)
    files[MANIFEST_PATH] = canonical_json(manifest)
    return Bundle(build_archive(files), manifest)
