"""Sources → the typed model, validated the way the mesh validates (one module per kind).

Also the checks that span resources: two resources with one identity, policies that name a mesh no
Mesh resource defines (treated as mTLS STRICT with passthrough on, spec A4), and policies that are
present but take no part in decisions (`kuma.io/effect: shadow`, spec A9).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.diagnostics import Diagnostic, error, warning
from generator.model import Mesh, MeshPassthrough, MeshTrafficPermission, Model, MTLSMode, Policy, Source
from generator.validation import (
    external_service,
    mesh,
    mesh_passthrough,
    mesh_traffic_permission,
    traffic_permission,
)
from generator.validation.fields import Field, Report

DEFAULT_SYSTEM_NAMESPACES = frozenset({"kuma-system", "kong-mesh-system"})

# Kinds the reader recognises whose compilation is still to come: refused, never silently ignored.
NOT_YET_COMPILED: dict[str, str] = {}


@dataclass
class Validated:
    model: Model = field(default_factory=Model)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def validate_sources(sources: list[Source], system_namespaces: frozenset[str] = DEFAULT_SYSTEM_NAMESPACES) -> Validated:
    result = Validated()
    result.diagnostics.extend(_duplicates(sources))
    for source in sources:
        report = Report(source)
        _validate_one(source, report, system_namespaces, result.model)
        result.diagnostics.extend(report.diagnostics)
    _add_implicit_meshes(result)
    return result


def _validate_one(source: Source, report: Report, system_namespaces: frozenset[str], model: Model) -> None:
    if source.kind in NOT_YET_COMPILED:
        report.error(Field(), f"{source.kind} is not supported yet by gen-bundle")
        return
    if source.kind == "Mesh":
        validated_mesh = mesh.validate(source, report)
        if validated_mesh is not None:
            model.meshes[validated_mesh.name] = validated_mesh
        return
    if source.kind == "TrafficPermission":
        permission = traffic_permission.validate(source, report)
        if permission is not None:
            model.traffic_permissions.append(permission)
        return
    if source.kind == "ExternalService":
        service = external_service.validate(source, report)
        if service is not None:
            model.external_services.append(service)
        return
    policy: Policy | None
    if source.kind == "MeshPassthrough":
        policy = mesh_passthrough.validate(source, report, system_namespaces)
    else:
        policy = mesh_traffic_permission.validate(source, report, system_namespaces)
    if policy is None:
        return
    if source.labels.get("kuma.io/effect") == "shadow":
        report.warning(Field(), "labelled kuma.io/effect: shadow, so it takes no part in decisions; skipped")
        return
    if not _selects_sidecars(policy):
        report.warning(
            Field(("targetRef", "proxyTypes"), root="spec"),
            "selects no sidecar (proxyTypes without Sidecar), so it decides nothing; skipped",
        )
        return
    if isinstance(policy, MeshPassthrough):
        model.mesh_passthroughs.append(policy)
    elif isinstance(policy, MeshTrafficPermission):
        model.mesh_traffic_permissions.append(policy)


def _selects_sidecars(policy: Policy) -> bool:
    proxy_types = policy.target_ref.proxy_types
    return proxy_types is None or "Sidecar" in proxy_types


def _duplicates(sources: list[Source]) -> list[Diagnostic]:
    first: dict[tuple[str, str, str, str], Source] = {}
    problems: list[Diagnostic] = []
    for source in sources:
        earlier = first.setdefault(source.identity, source)
        if earlier is not source:
            problems.append(
                error(
                    source.location,
                    f"defined twice: also at {earlier.location}",
                    resource=source.ref,
                )
            )
    return problems


def _add_implicit_meshes(result: Validated) -> None:
    model = result.model
    sources = [
        *(policy.source for policy in model.mesh_traffic_permissions),
        *(permission.source for permission in model.traffic_permissions),
        *(service.source for service in model.external_services),
        *(policy.source for policy in model.mesh_passthroughs),
    ]
    for source in sources:
        name = source.mesh
        if name not in model.meshes:
            model.meshes[name] = Mesh(None, name, MTLSMode.STRICT, True)
            result.diagnostics.append(
                warning(
                    source.location,
                    f'mesh "{name}" is defined by no Mesh resource: treated as mTLS STRICT with passthrough on',
                    resource=source.ref,
                )
            )
