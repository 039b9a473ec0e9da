"""targetRef checks shared by every new-style policy (Kuma's `ValidateTargetRef`, spec B §5.2).

Passes::

    targetRef: {kind: MeshSubset, tags: {app: payments}}
    targetRef: {kind: MeshServiceSubset, name: backend, tags: {version: "*"}}

Fails::

    targetRef: {kind: Mesh, name: x}            # name: using name with kind Mesh is not yet supported
    targetRef: {kind: MeshSubset, tags: {a: ""}} # tags["a"]: tag value must be non-empty
    targetRef: {kind: MeshService}              # name or labels must be set when kind is MeshService
"""

from __future__ import annotations

import re
from typing import Any

from generator.model import TargetRef
from generator.validation.fields import (
    Field,
    Report,
    expect_enum,
    expect_list,
    expect_object,
    expect_string,
)
from generator.validation.tags import validate_tags

KNOWN_FIELDS = frozenset({"kind", "name", "namespace", "mesh", "tags", "labels", "proxyTypes", "sectionName"})
# Kinds Kuma knows for some policy; a kind outside this list fails the schema, not the policy's own rule.
ALL_KINDS = (
    "Mesh",
    "MeshSubset",
    "MeshGateway",
    "MeshService",
    "MeshExternalService",
    "MeshMultiZoneService",
    "MeshServiceSubset",
    "MeshHTTPRoute",
    "Dataplane",
)
# Kuma accepts these, gen-bundle does not compile them yet (spec A1): refused, never ignored.
NOT_YET_SUPPORTED_KINDS = frozenset({"Dataplane"})
PROXY_TYPES = ("Sidecar", "Gateway")

_SERVICE_NAME = re.compile(r"^[0-9a-z.\-_]*$")

# Which fields each kind forbids, and Kuma's message for each.
_FORBIDDEN: dict[str, tuple[str, ...]] = {
    "Mesh": ("mesh", "tags", "labels", "namespace", "sectionName"),
    "MeshSubset": ("name", "mesh", "labels", "namespace", "sectionName"),
    "MeshService": ("mesh", "tags", "proxyTypes"),
    "MeshServiceSubset": ("mesh", "proxyTypes", "labels", "namespace", "sectionName"),
}


def validate_target_ref(
    report: Report, at: Field, value: Any, allowed_kinds: tuple[str, ...], *, default_mesh: bool = False
) -> TargetRef | None:
    """A typed TargetRef, or None when the ref is invalid (the reasons are in `report`)."""
    if value is None and default_mesh:
        return TargetRef("Mesh")  # Kuma 2.9+: an absent top-level targetRef means the whole mesh
    if value is None:
        report.error(at, "must be defined")
        return None
    before = len(report.diagnostics)
    ref = expect_object(report, at, value, KNOWN_FIELDS)
    if not isinstance(value, dict):
        return None
    kind = ref.get("kind")
    if kind is None or kind == "":
        report.error(at / "kind", "must be defined")
        return None
    kind = expect_enum(report, at / "kind", kind, ALL_KINDS)
    if kind is None:
        return None
    if kind in NOT_YET_SUPPORTED_KINDS and kind in allowed_kinds:
        report.error(at / "kind", f"value '{kind}' is not supported yet by gen-bundle")
        return None
    if kind not in allowed_kinds:
        report.error(at / "kind", f"value '{kind}' is not supported")
        return None

    for forbidden in _FORBIDDEN[kind]:
        if forbidden in ref:
            report.error(at / forbidden, f"must not be set with kind {kind}")
    name = expect_string(report, at / "name", ref.get("name"))
    tags = _tags(report, at / "tags", ref.get("tags"), kind)
    proxy_types = _proxy_types(report, at / "proxyTypes", ref)

    if kind == "Mesh" and "name" in ref:
        report.error(at / "name", "using name with kind Mesh is not yet supported")
    elif kind == "MeshService":
        _mesh_service(report, at, ref, name)
    elif kind == "MeshServiceSubset" and not name:
        report.error(at / "name", "must be set when kind is MeshServiceSubset")

    if any(diagnostic.is_error for diagnostic in report.diagnostics[before:]):
        return None
    return TargetRef(kind, name if kind != "Mesh" else None, tags, proxy_types)


def _mesh_service(report: Report, at: Field, ref: dict[str, Any], name: str | None) -> None:
    has_labels = "labels" in ref
    if not name and not has_labels:
        report.error(at, "name or labels must be set when kind is MeshService")
    elif has_labels and ("name" in ref or "namespace" in ref):
        report.error(at / "labels", "either labels or name and namespace must be specified")
    elif has_labels or "namespace" in ref or "sectionName" in ref:
        # These select real MeshService resources (Kuma 2.9+), which gen-bundle does not model yet.
        field = next(key for key in ("labels", "namespace", "sectionName") if key in ref)
        report.error(at / field, f"{field} with kind MeshService is not supported yet by gen-bundle")
    if name and not _SERVICE_NAME.match(name):
        report.error(
            at / "name",
            "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.",
        )


def _tags(report: Report, at: Field, value: Any, kind: str) -> tuple[tuple[str, str], ...]:
    if kind not in ("MeshSubset", "MeshServiceSubset"):
        return ()
    return validate_tags(report, at, value, selector=kind == "MeshServiceSubset")


def _proxy_types(report: Report, at: Field, ref: dict[str, Any]) -> tuple[str, ...] | None:
    if "proxyTypes" not in ref:
        return None
    items = expect_list(report, at, ref["proxyTypes"])
    if isinstance(ref["proxyTypes"], list) and not items and ref.get("kind") in ("Mesh", "MeshSubset"):
        report.error(at, "must be undefined or have at least one element")
    types = [expect_enum(report, at / index, item, PROXY_TYPES) for index, item in enumerate(items)]
    return tuple(sorted({proxy_type for proxy_type in types if proxy_type}))
