"""The outbound half of `gen-bundle diff` (docs/diff.md): a proxy reaching something outside the
mesh, decided by the ExternalService the destination names and its TrafficPermission, or by the
MeshPassthrough policies that select the proxy, or by the mesh's passthrough flag.

The destinations asked are every one the two sets name (each ExternalService by its host and its
`<service>.mesh` name, as HTTP, TLS and, for an IP, TCP; each MeshPassthrough match: a Domain's name,
a wildcard's one-label child, an IP, a CIDR's first address, on its port or 443, with its protocol),
plus one no set names, per protocol. The proxies asked are every selector of a MeshPassthrough and
every source of a TrafficPermission that governs an ExternalService, alone and in compatible pairs,
and a proxy no selector names. Like the inbound half, every answer is the real OPA's.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, replace

from generator.checks.opa import Opa
from generator.compile.selection import Selector, selector_of
from generator.model import ExternalService, MeshPassthrough, Model, TrafficPermission
from generator.questions.compare import Difference, Side, content_of, outcome
from generator.questions.evaluate import evaluate
from generator.questions.inputs import outbound_input
from generator.questions.parties import Destination, is_ip
from generator.questions.requirements import SOME_SERVICE, concrete_tags, merge_requirements, merge_zones, zoned_tags

DECISION = "data.kuma.authz.outbound.decision"
UNNAMED_HOST = "gen-bundle-unnamed.example"
UNNAMED_ADDRESS = "203.0.113.200"


@dataclass(frozen=True)
class OutboundQuestion:
    mesh: str
    proxy: dict[str, str]
    destination: Destination


def _outbound_resources(model: Model) -> dict[tuple[str, str, str, str], tuple[str, object]]:
    """Everything an outbound decision reads, by identity: its content and the resource."""
    found: dict[tuple[str, str, str, str], tuple[str, object]] = {}
    resources: list[ExternalService | TrafficPermission | MeshPassthrough] = [
        *model.external_services,
        *model.traffic_permissions,
        *model.mesh_passthroughs,
    ]
    for resource in resources:
        source = resource.source
        found[(source.kind, source.mesh, source.namespace or "", source.name)] = (content_of(resource), resource)
    for name, mesh in model.meshes.items():
        found[("Mesh", name, "", name)] = (content_of(mesh), mesh)
    return found


def changed_models(old: Model, new: Model) -> tuple[Model, Model] | None:
    """The two sets reduced to the outbound resources that differ (None: none differs), each with
    the resources that decide beside them kept whole (selectors pair with them)."""
    before, after = _outbound_resources(old), _outbound_resources(new)
    changed = {key for key in set(before) | set(after) if before.get(key, ("",))[0] != after.get(key, ("",))[0]}
    if not changed and old.semantics == new.semantics:
        return None

    # a changed TrafficPermission may govern any ExternalService, a changed MeshPassthrough's mode
    # may decide the matches of any other: keep those whole
    any_permission = any(key[0] == "TrafficPermission" for key in changed)
    passthrough_meshes = {key[1] for key in changed if key[0] in ("MeshPassthrough", "Mesh")}

    def reduced(model: Model, side: dict[tuple[str, str, str, str], tuple[str, object]]) -> Model:
        kept = {id(resource) for key, (_, resource) in side.items() if key in changed}
        return replace(
            model,
            external_services=[r for r in model.external_services if any_permission or id(r) in kept],
            mesh_passthroughs=[
                r for r in model.mesh_passthroughs if id(r) in kept or r.source.mesh in passthrough_meshes
            ],
            traffic_permissions=[r for r in model.traffic_permissions if id(r) in kept],
        )

    return reduced(old, before), reduced(new, after)


def destinations(models: list[Model]) -> dict[str, list[Destination]]:
    found: dict[str, dict[str, Destination]] = {}

    def add(mesh: str, host: str, port: int, protocol: str, address: str | None = None) -> None:
        destination = Destination(host.lower(), port, protocol, address or (host if is_ip(host) else UNNAMED_ADDRESS))
        found.setdefault(mesh, {})[json.dumps([destination.host, port, protocol, destination.address])] = destination

    for model in models:
        for mesh in model.meshes:
            for protocol in ("http", "tls", "tcp"):
                add(mesh, UNNAMED_HOST if protocol != "tcp" else UNNAMED_ADDRESS, 443, protocol)
        for service in model.external_services:
            mesh = service.source.mesh
            for host in (service.host, f"{service.service}.mesh"):
                for protocol in ("http", "tls"):
                    add(mesh, host, service.port, protocol, service.host if service.host_is_ip else None)
            if service.host_is_ip:
                add(mesh, service.host, service.port, "tcp")
        for policy in model.mesh_passthroughs:
            mesh = policy.source.mesh
            for match in policy.matches:
                port = match.port or 443
                protocol = match.protocol if match.protocol in ("http", "http2", "grpc", "tls") else "tcp"
                if match.type == "Domain":
                    host = f"a.{match.value[2:]}" if match.value.startswith("*.") else match.value
                    add(mesh, host, port, protocol)
                elif match.type == "IP":
                    add(mesh, match.value, port, protocol)
                else:
                    first = str(ipaddress.ip_network(match.value, strict=False).network_address)
                    add(mesh, first, port, protocol)
    return {mesh: list(values.values()) for mesh, values in found.items()}


def proxies(models: list[Model], every_model: list[Model]) -> dict[str, list[dict[str, str]]]:
    """Each selector of `models` (the changed resources) alone and paired with each compatible one
    of `every_model`, and a proxy no selector names; in a mesh with zone-originated
    MeshPassthroughs, each in its selectors' zone or in one no policy comes from (zoned_tags)."""
    seeds = _selectors(models)
    every = _selectors(every_model)
    found: dict[str, list[dict[str, str]]] = {}
    for mesh, listed in seeds.items():
        zoned = any(zone for _, zone in every.get(mesh, []))
        asked = list(listed)
        for first, first_zone in listed:
            for second, second_zone in every.get(mesh, []):
                both = merge_requirements(first, second)
                if both is not None:
                    asked.append((both, merge_zones(first_zone, second_zone)))
        placed = [zoned_tags(tags, zone, zoned) for tags, zone in asked]
        concrete = {json.dumps(concrete_tags(s), sort_keys=True): concrete_tags(s) for s in placed if s is not None}
        found[mesh] = list(concrete.values())
    return found


Requirement = tuple[dict[str, str], str | None]  # tags (and labels) a proxy must carry, and the zone


def _selectors(models: list[Model]) -> dict[str, list[Requirement]]:
    selectors: dict[str, list[Requirement]] = {}
    for model in models:
        for mesh in model.meshes:
            selectors.setdefault(mesh, []).append(({}, None))
        for policy in model.mesh_passthroughs:
            selector: Selector = selector_of(policy)
            selectors.setdefault(policy.source.mesh, []).append(
                ({**selector.inbound, **(selector.labels or {})}, selector.zone)
            )
        for permission in model.traffic_permissions:
            for tags in permission.sources:
                selectors.setdefault(permission.source.mesh, []).append((dict(tags), None))
    return {
        mesh: list({json.dumps(s, sort_keys=True): s for s in listed}.values()) for mesh, listed in selectors.items()
    }


def compare_outbound(opa: Opa, old: Side, new: Side, *, attribution: bool = True) -> tuple[list[Difference], int]:
    """Every (proxy class, destination) the two bundles decide differently, with a witness each."""
    reduced = changed_models(old.model, new.model)
    if reduced is None:
        return [], 0
    asked_destinations = destinations(list(reduced))
    asked_proxies = proxies(list(reduced), [old.model, new.model])
    questions = [
        OutboundQuestion(mesh, proxy, destination)
        for mesh in sorted(asked_destinations)
        for destination in asked_destinations[mesh]
        for proxy in asked_proxies.get(mesh, [{"kuma.io/service": SOME_SERVICE}])
    ]
    requests = [outbound_input(q.mesh, q.proxy, q.destination) for q in questions]
    before = evaluate(opa, old.bundle, DECISION, requests)
    after = evaluate(opa, new.bundle, DECISION, requests)
    classes: dict[str, Difference] = {}
    for question, request, old_decision, new_decision in zip(questions, requests, before, after, strict=True):
        if outcome(old_decision, attribution) == outcome(new_decision, attribution):
            continue
        old_outcome, new_outcome = outcome(old_decision, True), outcome(new_decision, True)
        name = question.destination.describe()
        key = json.dumps([question.mesh, name, old_outcome, new_outcome], sort_keys=True)
        proxy = ",".join(f"{k}={v}" for k, v in sorted(question.proxy.items()))
        if key in classes:
            classes[key].clients.append(proxy)
        else:
            classes[key] = Difference(question.mesh, name, [proxy], old_outcome, new_outcome, request)
    ordered = sorted(classes.values(), key=lambda d: (d.mesh, d.destination, d.client))
    return ordered, 2 * len(requests)
