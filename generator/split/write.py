"""Write the split bundles under one folder: each only when its bytes differ from the file in place,
atomically; then the index; then the bundles of proxies that are gone, but only files the previous
index says gen-bundle wrote.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from generator.bundle.write import write_atomically
from generator.split.bundles import ProxyBundle, proxy_metadata
from generator.split.layout import INDEX_NAME, SUFFIX, bundle_path

INDEX_FORMAT = 1
Json = dict[str, Any]


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


def write_split(directory: Path, bundles: Iterable[ProxyBundle]) -> SplitReport:
    """Write every bundle under `directory` (docs/split.md "Files"), then the index, then remove the
    bundles the previous index lists and this one does not. Raises OSError."""
    report = SplitReport(directory)
    previous = _listed_files(directory / INDEX_NAME)
    for bundle in bundles:
        relative = bundle_path(bundle.proxy)
        report.entries.append({**proxy_metadata(bundle.proxy), "file": relative, "revision": bundle.revision})
        if _write_if_changed(directory / relative, bundle.archive, sync=False):
            report.written.append(relative)
        else:
            report.unchanged += 1
    if report.written:
        os.sync()  # one flush for every bundle written, before the index names them
    report.entries.sort(key=lambda entry: str(entry["file"]))
    index = {"format": INDEX_FORMAT, "generator": "gen-bundle", "bundles": report.entries}
    _write_if_changed(directory / INDEX_NAME, json.dumps(index, indent=1, sort_keys=True).encode() + b"\n")
    current = {str(entry["file"]) for entry in report.entries}
    for relative in sorted(previous - current):
        if _remove(directory, relative):
            report.removed.append(relative)
    return report


def _write_if_changed(path: Path, content: bytes, *, sync: bool = True) -> bool:
    try:
        if path.stat().st_size == len(content) and path.read_bytes() == content:
            return False
    except FileNotFoundError:
        pass
    write_atomically(path, content, sync=sync)
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
