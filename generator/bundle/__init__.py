"""Compiled data + the fixed Rego library → an OPA bundle (one file per concern, like OPA's own
`bundle` package): library, manifest, archive, write; sign and verify for signed bundles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.bundle.archive import build_archive
from generator.bundle.library import library_files
from generator.bundle.manifest import build_manifest, canonical_json
from generator.bundle.sign import DEFAULT_KEY_ID, SIGNATURES_PATH, Key, signatures_file

DATA_PATH = "kuma/compiled/data.json"
MANIFEST_PATH = ".manifest"


@dataclass(frozen=True)
class Bundle:
    archive: bytes
    manifest: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # bundle path → content, as archived

    @property
    def revision(self) -> str:
        revision: str = self.manifest["revision"]
        return revision


def build_bundle(data: dict[str, Any], metadata: dict[str, Any]) -> Bundle:
    files = {DATA_PATH: canonical_json(data), **library_files()}
    manifest = build_manifest(files, metadata)
    files[MANIFEST_PATH] = canonical_json(manifest)
    return Bundle(build_archive(files), manifest, files)


def sign_bundle(bundle: Bundle, key: Key, key_id: str = DEFAULT_KEY_ID) -> Bundle:
    """The same bundle plus `.signatures.json` (docs/trust.md); the revision does not change."""
    files = {name: content for name, content in bundle.files.items() if name != SIGNATURES_PATH}
    files[SIGNATURES_PATH] = signatures_file(files, key, key_id)
    return Bundle(build_archive(files), bundle.manifest, files)
