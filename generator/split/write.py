"""Write the split bundles: each an ordinary bundle (the fixed library, its own data, its own manifest
and revision), written only when its bytes differ from the file in place, atomically; the bundles of
proxies that are gone are removed, but only files the previous index says gen-bundle wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from generator.bundle import DATA_PATH, MANIFEST_PATH, Bundle
from generator.bundle.library import library_files
from generator.bundle.manifest import build_manifest, canonical_json
from generator.bundle.segmented import SharedMembers, build_segmented_archive
from generator.bundle.sign import SIGNATURES_PATH, Key, signatures_file
from generator.bundle.write import write_atomically
from generator.split.layout import INDEX_NAME, SUFFIX, bundle_path
from generator.split.proxies import SERVICE, Proxy

INDEX_FORMAT = 1
Json = dict[str, Any]


@dataclass(frozen=True)
class Signing:
    key: Key
    key_id: str


@dataclass
class SplitReport:
    directory: Path
    entries: list[Json] = field(default_factory=list)  # the index's rows
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.entries)} split bundle{'s' if len(self.entries) != 1 else ''} in {self.directory}: "
            f"{len(self.written)} written, {self.unchanged} unchanged, {len(self.removed)} removed"
        )


def proxy_metadata(proxy: Proxy) -> Json:
    if proxy.kind == SERVICE:
        return {"mesh": proxy.mesh, "kind": proxy.kind, "service": proxy.name}
    described: Json = {"mesh": proxy.mesh, "kind": proxy.kind, "name": proxy.name}
    if proxy.namespace:
        described["namespace"] = proxy.namespace
    return described


class SplitBundler:
    """Per-proxy data → bundles that share one archived library."""

    def __init__(self, metadata: Json, signing: Signing | None = None) -> None:
        # provenance that changes with any input (file digests, counts) would change every bundle
        self.metadata = {key: metadata[key] for key in ("kuma_version",) if key in metadata}
        self.signing = signing
        self.library = library_files()
        self.shared = SharedMembers.of(self.library)

    def bundle(self, proxy: Proxy, data: Json) -> Bundle:
        files = {DATA_PATH: canonical_json(data), **self.library}
        manifest = build_manifest(files, {**self.metadata, "meshes": [proxy.mesh], "proxy": proxy_metadata(proxy)})
        files[MANIFEST_PATH] = canonical_json(manifest)
        if self.signing is not None:
            files[SIGNATURES_PATH] = signatures_file(files, self.signing.key, self.signing.key_id)
        return Bundle(build_segmented_archive(files, self.shared), manifest, files)


def write_split(directory: Path, bundles: Iterable[tuple[Proxy, Bundle]]) -> SplitReport:
    """Write every bundle under `directory` (docs/split.md "Files"), then the index, then remove the
    bundles the previous index lists and this one does not. Raises OSError."""
    report = SplitReport(directory)
    previous = _listed_files(directory / INDEX_NAME)
    for proxy, bundle in bundles:
        relative = bundle_path(proxy)
        report.entries.append({**proxy_metadata(proxy), "file": relative, "revision": bundle.revision})
        if _write_if_changed(directory / relative, bundle.archive):
            report.written.append(relative)
        else:
            report.unchanged += 1
    report.entries.sort(key=lambda entry: str(entry["file"]))
    index = {"format": INDEX_FORMAT, "generator": "gen-bundle", "bundles": report.entries}
    _write_if_changed(directory / INDEX_NAME, json.dumps(index, indent=1, sort_keys=True).encode() + b"\n")
    current = {str(entry["file"]) for entry in report.entries}
    for relative in sorted(previous - current):
        if _remove(directory, relative):
            report.removed.append(relative)
    return report


def _write_if_changed(path: Path, content: bytes) -> bool:
    try:
        if path.stat().st_size == len(content) and path.read_bytes() == content:
            return False
    except FileNotFoundError:
        pass
    write_atomically(path, content)
    return True


def _listed_files(index: Path) -> set[str]:
    """The files an earlier index lists; nothing when there is none or it cannot be read."""
    try:
        listed = json.loads(index.read_bytes())["bundles"]
        return {str(entry["file"]) for entry in listed if isinstance(entry.get("file"), str)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()


def _remove(directory: Path, relative: str) -> bool:
    """Remove one bundle an earlier run wrote, and the folders it leaves empty; never anything outside
    `directory` or that is not a bundle, whatever the index says."""
    parts = PurePosixPath(relative).parts
    if not relative.endswith(SUFFIX) or not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        return False
    path = directory.joinpath(*parts)
    if not path.resolve().is_relative_to(directory.resolve()):
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    folder = path.parent
    while folder != directory and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
    return True
