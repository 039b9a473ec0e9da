"""The semantic difference of two policy sets (`gen-bundle diff`, docs/diff.md), exactly over the
tags and identities the two sets name, every answer a decision of the real OPA on each bundle.

Why a finite set of requests covers every request: for one inbound, the decision depends on the
client only through which entries of the selecting policies it meets (docs/matrix.md), and the
entry that decides is the best one it meets: the highest-ranked `from[]` entry, the first `rules[]`
match, the TrafficPermission source. So whatever a client is, the two bundles' winners are some
entries a (old) and b (new), and the client that carries exactly what a and b require (their tags'
union; for SPIFFE matches the longer of two IDs) meets a and b and nothing the first client did not:
it gets the same two decisions. The clients asked are therefore every single requirement, every
pair of requirements, the services the policies name and one that meets nothing, per inbound. The
inbounds are found the same way from the top-level selectors (each alone and each compatible pair).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from generator.bundle import DATA_PATH, Bundle
from generator.checks.opa import Opa
from generator.compile.pairs import ANY_VALUE
from generator.compile.selection import Selector, selector_of
from generator.model import Model
from generator.questions.classes import DECISION, EXPLANATION, Endpoint
from generator.questions.evaluate import evaluate
from generator.questions.inputs import inbound_input
from generator.questions.parties import Client, Inbound

SERVICE = "kuma.io/service"
SOME_SERVICE = "gen-bundle-some-service"  # a service no policy names
NO_MATCH_ID = "spiffe://gen-bundle.invalid/matches-nothing"


@dataclass(frozen=True)
class Side:
    """One policy set, built."""

    model: Model
    bundle: Bundle

    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.bundle.files[DATA_PATH])
        return value


@dataclass
class Difference:
    """One class: an inbound, the clients it decides alike in each bundle, the two decisions."""

    mesh: str
    destination: str
    clients: list[str]  # the first is the witness's
    old: dict[str, Any]  # allowed, reason, shadow_deny and the deciding policy
    new: dict[str, Any]
    witness: dict[str, Any]  # an input the two bundles decide so

    @property
    def client(self) -> str:
        return self.clients[0]


@dataclass
class Comparison:
    differences: list[Difference] = field(default_factory=list)
    destinations: int = 0
    asked: int = 0
    skipped_unchanged: int = 0


def _merge(first: dict[str, str], second: dict[str, str]) -> dict[str, str] | None:
    """Two single-valued requirements at once, or None when they conflict."""
    merged = dict(first)
    for key, value in second.items():
        if merged.get(key, value) not in (value, ANY_VALUE) and value != ANY_VALUE:
            return None
        if merged.get(key) in (None, ANY_VALUE):
            merged[key] = value
    return merged


def _concrete(tags: dict[str, str]) -> dict[str, str]:
    concrete = {key: ("gen-bundle-any" if value == ANY_VALUE else value) for key, value in tags.items()}
    if concrete.get(SERVICE) in (None, "gen-bundle-any"):
        concrete[SERVICE] = SOME_SERVICE
    return concrete


def destination_candidates(models: Sequence[Model]) -> dict[str, list[Inbound]]:
    """mesh → the inbounds to ask: each top-level selector alone, each compatible pair, and the
    named services (each tagged only with its service)."""
    selectors: dict[str, list[Selector]] = {}
    for model in models:
        for policy in model.mesh_traffic_permissions:
            selectors.setdefault(policy.source.mesh, []).append(selector_of(policy))
        for permission in model.traffic_permissions:
            for tags in permission.destinations:
                selectors.setdefault(permission.source.mesh, []).append(Selector(dict(tags)))
        for identity in model.mesh_identities:  # a workload identity makes rules[] decide (Kuma 2.14)
            if identity.match_labels is not None:
                selectors.setdefault(identity.source.mesh, []).append(Selector({}, dict(identity.match_labels)))
        for mesh in model.meshes:
            selectors.setdefault(mesh, [])
    found: dict[str, list[Inbound]] = {}
    for mesh, listed in selectors.items():
        unique = list({_selector_key(s): s for s in listed}.values())
        inbounds: dict[str, Inbound] = {}

        for selector in unique:
            _add_inbound(inbounds, selector)
        by_service: dict[str | None, list[Selector]] = {}
        for selector in unique:
            by_service.setdefault(
                selector.inbound.get(SERVICE) if selector.inbound.get(SERVICE) != ANY_VALUE else None, []
            ).append(selector)
        general = by_service.get(None, [])
        for service, group in by_service.items():
            pool = group if service is None else group + general
            for first, second in combinations(pool, 2):
                both = _pair(first, second)
                if both is not None:
                    _add_inbound(inbounds, both)
        found[mesh] = list(inbounds.values())
    return found


def _add_inbound(inbounds: dict[str, Inbound], selector: Selector) -> None:
    inbound = _inbound_of(selector)
    inbounds.setdefault(json.dumps([inbound.tags, inbound.labels, inbound.dataplane_name], sort_keys=True), inbound)


def _selector_key(selector: Selector) -> str:
    return json.dumps([selector.inbound, selector.labels, selector.dataplane, selector.section], sort_keys=True)


def _pair(first: Selector, second: Selector) -> Selector | None:
    inbound = _merge(first.inbound, second.inbound)
    labels = _merge(first.labels or {}, second.labels or {})
    if inbound is None or labels is None:
        return None
    if first.dataplane and second.dataplane and first.dataplane != second.dataplane:
        return None
    if first.section and second.section and first.section != second.section:
        return None
    return Selector(inbound, labels or None, first.dataplane or second.dataplane, first.section or second.section)


def _inbound_of(selector: Selector) -> Inbound:
    tags = _concrete(selector.inbound)
    # as on Kubernetes, a Dataplane's labels carry its inbound's tags; a label selector adds its own
    labels = {**{key: value for key, value in tags.items() if value != SOME_SERVICE}, **(selector.labels or {})}
    name, namespace = ("", "")
    if selector.dataplane is not None:
        name, namespace = selector.dataplane[0], selector.dataplane[1] or ""
    port = 8080
    section = selector.section or ""
    if section.isdigit():
        port, section = int(section), ""
    return Inbound(tags, labels, name, namespace, section, port)


def describe_inbound(inbound: Inbound) -> str:
    """An asked inbound as the diff names it: its tags (a service no policy names left out), and the
    Dataplane's labels, name and section where they select."""
    tags = {key: value for key, value in inbound.tags.items() if value != SOME_SERVICE}
    parts = [",".join(f"{key}={value}" for key, value in sorted(tags.items())) or "any inbound"]
    extra = {key: value for key, value in inbound.labels.items() if inbound.tags.get(key) != value}
    if extra:
        parts.append("Dataplane labels " + ",".join(f"{key}={value}" for key, value in sorted(extra.items())))
    if inbound.dataplane_name:
        parts.append(
            f"Dataplane {inbound.dataplane_name}"
            + (f".{inbound.dataplane_namespace}" if inbound.dataplane_namespace else "")
        )
    if inbound.inbound_name:
        parts.append(f"inbound {inbound.inbound_name}")
    return ", ".join(parts)


def client_candidates(entries: Iterable[dict[str, Any]], services: Iterable[str]) -> list[Client]:
    """The clients that cover every pair of winners (module docstring) for these entries."""
    requirements: list[dict[str, str]] = []
    identities: set[str] = set()
    for entry in entries:
        if entry["status"] == "other-mesh":
            continue
        if entry["kind"] == "from":
            requirements.append(entry["client"])
        elif entry["kind"] == "traffic-permission":
            requirements.extend(entry["sources"])
        elif entry["kind"] == "rules" and "spiffe" in entry["match"]:
            identities.add(entry["match"]["spiffe"]["value"])
    clients: dict[str, Client] = {}

    def add_tags(required: dict[str, str]) -> None:
        tags: dict[str, set[str]] = {}
        for key, value in required.items():
            tags.setdefault(key, set()).add(value)
        tags.setdefault(SERVICE, {SOME_SERVICE})
        client = Client(tags={key: tuple(sorted(values)) for key, values in sorted(tags.items())})
        clients.setdefault(json.dumps(client.tags, sort_keys=True), client)

    unique = list({json.dumps(r, sort_keys=True): r for r in requirements}.values())
    add_tags({})
    for service in services:
        add_tags({SERVICE: service})
    for required in unique:
        add_tags(required)
    for first, second in combinations(unique, 2):
        merged: dict[str, set[str]] = {}
        for key, value in [*first.items(), *second.items()]:
            merged.setdefault(key, set()).add(value)
        # client tags are multi-valued: any two requirements can be met at once
        tags = {key: tuple(sorted(values)) for key, values in merged.items()}
        tags.setdefault(SERVICE, (SOME_SERVICE,))
        client = Client(tags=dict(sorted(tags.items())))
        clients.setdefault(json.dumps(client.tags, sort_keys=True), client)
    for identity in sorted(identities | {NO_MATCH_ID}):
        clients.setdefault(identity, Client(spiffe_ids=(identity,)))
    clients.setdefault("none", Client(plaintext=True))
    return list(clients.values())


def _normalised(explanation: dict[str, Any]) -> str:
    """What decides an inbound for every client: the selecting entries in their order of precedence,
    with the policies by name, not by index (an unrelated change renumbers the table)."""
    entries = []
    for entry in explanation["entries"]:
        if entry["status"] == "other-mesh":
            continue
        policy = {key: entry["policy"].get(key) for key in ("kind", "mesh", "name", "namespace", "rule")}
        order = entry.get("rank", entry.get("order", entry.get("priority", 0)))
        detail = {key: entry.get(key) for key in ("kind", "entry", "action", "client", "match", "sources")}
        entries.append((entry["kind"], order, json.dumps([policy, detail], sort_keys=True)))
    ranked = [item[2] for item in sorted(entries, key=lambda item: (item[0], item[1]))]
    return json.dumps([explanation["step"], ranked])


def _mesh_settings(side: Side) -> dict[str, list[Any]]:
    """What decides beside the entries: each mesh's mTLS mode and whether a Mesh defines it, the
    MeshIdentities that give workload identities, and the semantics of the Kuma version."""
    data = side.data()
    settings = {}
    for name, doc in data["meshes"].items():
        identities = doc.get("inbound", {}).get("identities", {}).get("selectors", [])
        ordered = [record.get("labels") for record in sorted(identities, key=lambda record: record.get("rank", 0))]
        settings[name] = [data.get("semantics"), doc.get("mtls"), doc.get("defined"), ordered]
    return settings


def outcome(decision: dict[str, Any], attribution: bool) -> dict[str, Any]:
    metadata = decision["dynamic_metadata"]
    result = {"allowed": decision["allowed"], "reason": metadata["reason"], "shadow_deny": metadata["shadow_deny"]}
    if attribution and "policy" in metadata:
        result["policy"] = {
            key: metadata["policy"][key] for key in ("kind", "mesh", "name", "namespace") if key in metadata["policy"]
        }
    return result


def compare(
    opa: Opa,
    old: Side,
    new: Side,
    *,
    attribution: bool = True,
    destinations: Sequence[Endpoint] | None = None,
    clients: Sequence[Endpoint] | None = None,
) -> Comparison:
    """Every (client class, inbound) the two bundles decide differently, with a witness each. With
    `destinations` and `clients` (an inventory), only those, by name."""
    from generator.questions.endpoints import named_services  # noqa: PLC0415

    services = named_services([old.model, new.model])
    if destinations is None:
        asked_inbounds = [
            Endpoint(describe_inbound(inbound), mesh, inbound.dataplane_namespace, Client(), inbound)
            for mesh, inbounds in sorted(destination_candidates([old.model, new.model]).items())
            for inbound in inbounds
        ]
    else:
        asked_inbounds = list(destinations)
    comparison = Comparison(destinations=len(asked_inbounds))
    neutral = Client(tags={SERVICE: (SOME_SERVICE,)})
    inputs = [inbound_input(d.mesh, d.inbound, neutral) for d in asked_inbounds]
    old_explanations = evaluate(opa, old.bundle, EXPLANATION, inputs)
    new_explanations = evaluate(opa, new.bundle, EXPLANATION, inputs)
    comparison.asked += 2 * len(inputs)
    questions: list[tuple[Endpoint, str, dict[str, Any]]] = []
    old_settings, new_settings = _mesh_settings(old), _mesh_settings(new)
    for destination, before, after in zip(asked_inbounds, old_explanations, new_explanations, strict=True):
        same_mesh = old_settings.get(destination.mesh) == new_settings.get(destination.mesh)
        if same_mesh and _normalised(before) == _normalised(after):
            comparison.skipped_unchanged += 1
            continue
        if clients is None:
            candidates = client_candidates(
                [*before["entries"], *after["entries"]], sorted(services.get(destination.mesh, ()))
            )
            named = [(client.describe(), client) for client in candidates]
        else:
            named = [(c.name, c.client) for c in clients if c.mesh == destination.mesh]
        for name, client in named:
            questions.append((destination, name, inbound_input(destination.mesh, destination.inbound, client)))
    requests = [request for _, _, request in questions]
    before_decisions = evaluate(opa, old.bundle, DECISION, requests)
    after_decisions = evaluate(opa, new.bundle, DECISION, requests)
    comparison.asked += 2 * len(requests)
    classes: dict[str, Difference] = {}
    for (destination, name, request), before, after in zip(questions, before_decisions, after_decisions, strict=True):
        if outcome(before, attribution) == outcome(after, attribution):
            continue
        old_outcome, new_outcome = outcome(before, True), outcome(after, True)
        key = json.dumps([destination.mesh, destination.name, old_outcome, new_outcome], sort_keys=True)
        if key in classes:
            classes[key].clients.append(name)
        else:
            classes[key] = Difference(destination.mesh, destination.name, [name], old_outcome, new_outcome, request)
    comparison.differences = list(classes.values())
    return comparison
