"""Universal resources → their Kubernetes form, so every scenario runs in both forms Kuma accepts."""

from __future__ import annotations

from typing import Any

NEW_STYLE = {"MeshTrafficPermission", "MeshPassthrough", "MeshIdentity", "MeshTrust"}
SYSTEM_NAMESPACE = "kuma-system"


def to_kubernetes(resource: dict[str, Any]) -> dict[str, Any]:
    """A Universal resource in Kubernetes form; resources already in that form pass unchanged."""
    if "type" not in resource:
        return resource
    kind = resource["type"]
    fields = {
        key: value for key, value in resource.items() if key not in {"type", "name", "mesh", "labels", "creationTime"}
    }
    metadata: dict[str, Any] = {"name": resource["name"]}
    if "creationTime" in resource:
        metadata["creationTimestamp"] = resource["creationTime"]
    labels = dict(resource.get("labels", {}))
    converted: dict[str, Any] = {"apiVersion": "kuma.io/v1alpha1", "kind": kind}
    if kind in NEW_STYLE:
        metadata["namespace"] = SYSTEM_NAMESPACE
        labels["kuma.io/mesh"] = resource.get("mesh", "default")
        converted["spec"] = fields.get("spec")
    elif kind == "Mesh":
        converted["spec"] = fields
    else:
        converted["mesh"] = resource.get("mesh", "default")
        converted["spec"] = fields
    if labels:
        metadata["labels"] = labels
    converted["metadata"] = metadata
    return converted
