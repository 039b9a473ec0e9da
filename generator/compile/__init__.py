"""The validated model → the data document the Rego library reads (docs/data-shape.md).

Pure functions: the same model always gives the same document, and nothing here reads files or
prints. Each concern is one module: precedence (policy order), inbound (MeshTrafficPermission look-ups).
"""

from __future__ import annotations

from typing import Any

from generator.compile.inbound import compile_inbound
from generator.compile.precedence import in_precedence_order
from generator.model import Mesh, MeshTrafficPermission, Model, Policy

DATA_FORMAT = 1

Json = dict[str, Any]


def compile_model(model: Model) -> Json:
    return {
        "format": DATA_FORMAT,
        "meshes": {name: compile_mesh(model, model.meshes[name]) for name in model.mesh_names()},
    }


def compile_mesh(model: Model, mesh: Mesh) -> Json:
    permissions: list[MeshTrafficPermission] = in_precedence_order(
        [policy for policy in model.mesh_traffic_permissions if policy.source.mesh == mesh.name]
    )
    return {
        "defined": mesh.source is not None,
        "mtls": mesh.mtls.value,
        "passthrough": mesh.passthrough,
        "policies": [policy_reference(policy) for policy in permissions],
        "inbound": compile_inbound(permissions),
    }


def policy_reference(policy: Policy) -> Json:
    """How a decision names the policy that made it."""
    source = policy.source
    reference: Json = {"kind": source.kind, "mesh": source.mesh, "name": source.display_name}
    if source.namespace:
        reference["namespace"] = source.namespace
    return reference
