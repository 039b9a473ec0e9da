"""The validated model → the data document the Rego library reads (docs/data-shape.md).

Pure functions: the same model always gives the same document, and nothing here reads files or
prints. Each concern is one module: precedence (policy order), inbound (MeshTrafficPermission look-ups),
traffic_permission (legacy TrafficPermission selection), outbound (ExternalService access),
passthrough (MeshPassthrough).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.compile.inbound import compile_inbound
from generator.compile.outbound import compile_outbound
from generator.compile.passthrough import compile_passthrough
from generator.compile.precedence import in_precedence_order
from generator.compile.rules import RulesSemantics, compile_identities, compile_rules, identity_order
from generator.compile.traffic_permission import compile_inbound_permissions
from generator.model import (
    ExternalService,
    Mesh,
    MeshIdentity,
    MeshPassthrough,
    MeshTrafficPermission,
    Model,
    Semantics,
    Source,
    TrafficPermission,
)

DATA_FORMAT = 2

Json = dict[str, Any]


def compile_model(model: Model) -> Json:
    return {
        "format": DATA_FORMAT,
        "semantics": compile_semantics(model.semantics),
        "meshes": {name: compile_mesh(model, model.meshes[name]) for name in model.mesh_names()},
    }


def compile_semantics(semantics: Semantics) -> Json:
    """What the library must know of the chosen Kuma release at check time."""
    return {
        "kuma_version": semantics.kuma_version,
        "identity_selects_rules": semantics.identity_selects_rules,
    }


@dataclass(frozen=True)
class MeshPolicies:
    """The policies of one mesh in the orders the compiler files them in."""

    from_policies: list[MeshTrafficPermission]
    rules_policies: list[MeshTrafficPermission]
    legacy: list[TrafficPermission]
    services: list[ExternalService]
    passthroughs: list[MeshPassthrough]
    identities: list[MeshIdentity]

    @property
    def sources(self) -> list[Source]:
        """The mesh's table of policies; decisions name a policy by its index in it."""
        return [
            *(policy.source for policy in self.from_policies),
            *(policy.source for policy in self.rules_policies),
            *(permission.source for permission in self.legacy),
            *(policy.source for policy in self.passthroughs),
            *(identity.source for identity in self.identities),
        ]


def mesh_policies(model: Model, mesh: Mesh) -> MeshPolicies:
    in_mesh = [policy for policy in model.mesh_traffic_permissions if policy.source.mesh == mesh.name]
    return MeshPolicies(
        from_policies=in_precedence_order([p for p in in_mesh if not p.uses_rules]),
        rules_policies=in_precedence_order([p for p in in_mesh if p.uses_rules]),
        legacy=sorted(
            (permission for permission in model.traffic_permissions if permission.source.mesh == mesh.name),
            key=lambda permission: permission.name,
        ),
        services=[service for service in model.external_services if service.source.mesh == mesh.name],
        passthroughs=in_precedence_order(
            [policy for policy in model.mesh_passthroughs if policy.source.mesh == mesh.name]
        ),
        # Only a MeshIdentity that can become Ready gives an identity (status/updater.go: a provider,
        # and meshServices.mode Exclusive on the mesh); the checks warn about the others (CMB007, RISK011).
        identities=identity_order(
            [
                identity
                for identity in model.mesh_identities
                if identity.source.mesh == mesh.name and identity.provider is not None and mesh.mesh_services_exclusive
            ]
        ),
    )


def compile_mesh(model: Model, mesh: Mesh) -> Json:
    parts = mesh_policies(model, mesh)
    from_policies, rules_policies = parts.from_policies, parts.rules_policies
    permissions = [*from_policies, *rules_policies]
    legacy, services, passthroughs, identities = parts.legacy, parts.services, parts.passthroughs, parts.identities
    sources = parts.sources
    after_passthrough = len(permissions) + len(legacy) + len(passthroughs)
    semantics = RulesSemantics(deny_first=model.semantics.rules_deny_first)
    inbound = compile_inbound(from_policies)
    rules = compile_rules(rules_policies, len(from_policies), semantics)
    passthrough = compile_passthrough(passthroughs, len(permissions) + len(legacy))
    return {
        "defined": mesh.source is not None,
        "mtls": mesh.mtls.value,
        "passthrough": mesh.passthrough,
        "policies": [policy_reference(source) for source in sources],
        # Every selection index at one depth, so the library reaches each slot by one data path
        # (passing an index to a function would make OPA convert all of it on every check).
        "selection": {
            "from": inbound["from"],
            "from_policies": inbound["from_policies"],
            "rules_policies": rules.pop("policies"),
            "passthrough_policies": passthrough.pop("policies"),
            "passthrough_modes": passthrough.pop("modes"),
        },
        "inbound": {
            "rules": rules,
            "identities": compile_identities(identities, after_passthrough),
            "traffic_permissions": compile_inbound_permissions(legacy, len(permissions)),
        },
        "outbound": {
            **compile_outbound(services, legacy, len(permissions)),
            "mesh_passthrough": passthrough,
        },
    }


def policy_reference(source: Source) -> Json:
    """How a decision names the policy that made it."""
    reference: Json = {"kind": source.kind, "mesh": source.mesh, "name": source.display_name}
    if source.namespace:
        reference["namespace"] = source.namespace
    if source.kri:
        reference["kri"] = source.kri
    return reference
