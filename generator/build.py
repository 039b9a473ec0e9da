"""The whole flow in one place: paths → documents → sources → model → data → bundle.

Each step reports diagnostics instead of raising; no bundle is made when any step found an error.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from generator.bundle import Bundle, build_bundle
from generator.compile import compile_model
from generator.diagnostics import Diagnostic, sort_key
from generator.model import Model
from generator.reading.files import read_inputs
from generator.reading.resources import read_sources
from generator.validation import DEFAULT_SYSTEM_NAMESPACES, validate_sources


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    bundle: Bundle | None = None
    model: Model | None = None
    resource_counts: Counter[str] = field(default_factory=Counter)
    skipped: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [diagnostic for diagnostic in self.diagnostics if diagnostic.is_error]


def build(paths: list[str], system_namespaces: frozenset[str] = DEFAULT_SYSTEM_NAMESPACES) -> BuildResult:
    result = BuildResult()
    read = read_inputs(paths)
    sources = read_sources(read.documents)
    validated = validate_sources(sources.resources, system_namespaces)
    result.diagnostics = sorted(
        [*read.diagnostics, *sources.diagnostics, *sources.skipped, *validated.diagnostics], key=sort_key
    )
    result.skipped = len(sources.skipped)
    result.resource_counts = Counter(source.kind for source in sources.resources)
    if result.errors:
        return result
    result.model = validated.model
    metadata = {
        "meshes": validated.model.mesh_names(),
        "inputs": [
            {"file": label, "sha256": digest}
            for label, digest in sorted((file.label, hashlib.sha256(file.data).hexdigest()) for file in read.files)
        ],
        "resources": dict(sorted(result.resource_counts.items())),
    }
    result.bundle = build_bundle(compile_model(validated.model), metadata)
    return result
