"""Documents → `Source` records, for each input shape Kuma accepts.

* Universal (`kumactl`, REST): `type`, `name`, `mesh` (default `default`), `labels`; new-style kinds keep
  their fields under `spec`, legacy kinds (Mesh, TrafficPermission, ExternalService) at the top level.
* Kubernetes (`kuma.io/v1alpha1`): `kind`, `metadata`; new-style kinds are namespaced with the mesh in
  label `kuma.io/mesh`; legacy kinds are cluster-scoped with a top-level `mesh`.
* `kind: List` (kubectl output): each item as a Kubernetes document.

Kinds that decide nothing about access are skipped with a warning (spec A9), never dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from generator.diagnostics import Diagnostic, error, warning
from generator.model import Form, Source
from generator.reading.documents import Document, Path

KUMA_API_VERSION = "kuma.io/v1alpha1"
DEFAULT_MESH = "default"

# Kinds gen-bundle compiles, and whether their fields sit under `spec` in Universal form.
NEW_STYLE_KINDS = frozenset({"MeshTrafficPermission", "MeshPassthrough"})
LEGACY_KINDS = frozenset({"Mesh", "TrafficPermission", "ExternalService"})
SUPPORTED_KINDS = NEW_STYLE_KINDS | LEGACY_KINDS

UNIVERSAL_ENVELOPE = frozenset({"type", "name", "mesh", "labels", "creationTime", "modificationTime"})
KUBERNETES_ENVELOPE = frozenset({"apiVersion", "kind", "metadata", "spec", "mesh", "status"})


@dataclass
class Sources:
    resources: list[Source] = field(default_factory=list)
    skipped: list[Diagnostic] = field(default_factory=list)  # warnings, one per skipped resource
    diagnostics: list[Diagnostic] = field(default_factory=list)


def read_sources(documents: list[Document]) -> Sources:
    result = Sources()
    for document in documents:
        for base, value in _objects(document, result):
            source = _read_object(document, base, value, result)
            if source is not None:
                result.resources.append(source)
    return result


def _objects(document: Document, result: Sources) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The resource objects of a document: itself, or each item of a kubectl List."""
    value = document.value
    if not isinstance(value, dict):
        result.diagnostics.append(
            error(document.locate(()), f"expected a resource (a mapping), got {_type_name(value)}")
        )
        return
    if value.get("kind") == "List" and "items" in value:
        items = value["items"]
        if not isinstance(items, list):
            result.diagnostics.append(error(document.locate(("items",)), "items: must be a list"))
            return
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield ("items", index), item
            else:
                result.diagnostics.append(
                    error(document.locate(("items", index)), f"expected a resource, got {_type_name(item)}")
                )
        return
    yield (), value


def _read_object(document: Document, base: Path, value: dict[str, Any], result: Sources) -> Source | None:
    if "apiVersion" in value or "kind" in value:
        return _read_kubernetes(document, base, value, result)
    if "type" in value:
        return _read_universal(document, base, value, result)
    result.diagnostics.append(
        error(
            document.locate(base),
            "not a Kuma resource: expected `type` (Universal) or `apiVersion` and `kind` (Kubernetes)",
        )
    )
    return None


def _read_universal(document: Document, base: Path, value: dict[str, Any], result: Sources) -> Source | None:
    kind = value["type"]
    if not _is_name(kind):
        result.diagnostics.append(error(document.locate((*base, "type")), "type: must be a non-empty string"))
        return None
    if kind not in SUPPORTED_KINDS:
        result.skipped.append(_skip_warning(document, base, kind, value.get("name")))
        return None
    problems = len(result.diagnostics)
    name = _string_field(document, base, value, "name", result, required=True)
    mesh = _string_field(document, base, value, "mesh", result) or DEFAULT_MESH
    labels = _labels(document, (*base, "labels"), value.get("labels"), result)
    if kind in NEW_STYLE_KINDS:
        _unknown_fields(document, base, value, UNIVERSAL_ENVELOPE | {"spec"}, result)
        spec, spec_path = value.get("spec"), (*base, "spec")
    else:
        spec = {key: field_value for key, field_value in value.items() if key not in UNIVERSAL_ENVELOPE}
        spec_path = base
    creation = _timestamp(document, (*base, "creationTime"), value.get("creationTime"), result)
    if len(result.diagnostics) > problems or name is None:
        return None
    return Source(kind, Form.UNIVERSAL, name, mesh, None, labels, spec, spec_path, document, creation, base)


def _read_kubernetes(document: Document, base: Path, value: dict[str, Any], result: Sources) -> Source | None:
    kind = value.get("kind")
    api_version = value.get("apiVersion")
    metadata = value.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not _is_name(kind):
        result.diagnostics.append(error(document.locate((*base, "kind")), "kind: must be a non-empty string"))
        return None
    if api_version != KUMA_API_VERSION or kind not in SUPPORTED_KINDS:
        result.skipped.append(_skip_warning(document, base, kind, name, api_version))
        return None
    problems = len(result.diagnostics)
    if not isinstance(metadata, dict):
        result.diagnostics.append(error(document.locate((*base, "metadata")), "metadata: must be a mapping"))
        return None
    meta_path = (*base, "metadata")
    name = _string_field(document, meta_path, metadata, "name", result, required=True, prefix="metadata.")
    labels = _labels(document, (*meta_path, "labels"), metadata.get("labels"), result)
    creation = _timestamp(document, (*meta_path, "creationTimestamp"), metadata.get("creationTimestamp"), result)
    _unknown_fields(document, base, value, KUBERNETES_ENVELOPE, result)
    namespace: str | None = None
    if kind in NEW_STYLE_KINDS:
        namespace = _string_field(document, meta_path, metadata, "namespace", result, prefix="metadata.")
        mesh = labels.get("kuma.io/mesh") or DEFAULT_MESH
    elif kind == "Mesh":
        mesh = name or ""
    else:
        mesh = _string_field(document, base, value, "mesh", result) or DEFAULT_MESH
    if len(result.diagnostics) > problems or name is None:
        return None
    return Source(
        kind,
        Form.KUBERNETES,
        name,
        mesh,
        namespace,
        labels,
        value.get("spec"),
        (*base, "spec"),
        document,
        creation,
        base,
    )


def _skip_warning(
    document: Document, base: Path, kind: Any, name: Any, api_version: Any = KUMA_API_VERSION
) -> Diagnostic:
    what = f"{kind} {name}" if isinstance(name, str) else kind
    if api_version != KUMA_API_VERSION:
        reason = f"not a Kuma resource (apiVersion {api_version!s}), skipped"
    else:
        reason = "decides nothing about access, skipped"
    return warning(document.locate(base), f"{what}: {reason}")


def _string_field(
    document: Document,
    base: Path,
    value: dict[str, Any],
    key: str,
    result: Sources,
    *,
    required: bool = False,
    prefix: str = "",
) -> str | None:
    field_value = value.get(key)
    if field_value is None:
        if required:
            result.diagnostics.append(error(document.locate(base), f"{prefix}{key}: must be set"))
        return None
    if not _is_name(field_value):
        result.diagnostics.append(error(document.locate((*base, key)), f"{prefix}{key}: must be a non-empty string"))
        return None
    return str(field_value)


def _labels(document: Document, path: Path, value: Any, result: Sources) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        result.diagnostics.append(error(document.locate(path), "labels: must be a mapping of strings"))
        return {}
    labels: dict[str, str] = {}
    for key, label in value.items():
        if not isinstance(label, str):
            result.diagnostics.append(
                error(
                    document.locate((*path, key)),
                    f'labels["{key}"]: must be a string, got {_type_name(label)}',
                )
            )
            continue
        labels[key] = label
    return labels


def _timestamp(document: Document, path: Path, value: Any, result: Sources) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    result.diagnostics.append(error(document.locate(path), f"{path[-1]}: must be an RFC 3339 timestamp"))
    return None


def _unknown_fields(
    document: Document, base: Path, value: dict[str, Any], known: frozenset[str], result: Sources
) -> None:
    for key in value:
        if key not in known:
            result.diagnostics.append(error(document.locate((*base, key)), f'unknown field "{key}"'))


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "mapping",
        list: "list",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
    }.get(type(value), type(value).__name__)
