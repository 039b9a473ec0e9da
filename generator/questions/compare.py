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
from dataclasses import dataclass, field, replace
from typing import Any

from generator.bundle import DATA_PATH, Bundle
from generator.checks.opa import Opa
from generator.compile.pairs import ANY_VALUE
from generator.compile.selection import Selector, selector_of
from generator.diagnostics import Location
from generator.model import Model, Source
from generator.questions.classes import DECISION, EXPLANATION, Endpoint, holds
from generator.questions.endpoints import named_services
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
    outbound: list[Difference] = field(
        default_factory=list
    )  # (proxy class, destination): generator/questions/outbound_compare.py


def merge_requirements(first: dict[str, str], second: dict[str, str]) -> dict[str, str] | None:
    """Two single-valued requirements at once, or None when they conflict."""
    merged = dict(first)
    for key, value in second.items():
        if merged.get(key, value) not in (value, ANY_VALUE) and value != ANY_VALUE:
            return None
        if merged.get(key) in (None, ANY_VALUE):
            merged[key] = value
    return merged


def concrete_tags(tags: dict[str, str]) -> dict[str, str]:
    concrete = {key: ("gen-bundle-any" if value == ANY_VALUE else value) for key, value in tags.items()}
    if concrete.get(SERVICE) in (None, "gen-bundle-any"):
        concrete[SERVICE] = SOME_SERVICE
    return concrete


PolicyKey = tuple[str, str, str, str]  # kind, mesh, namespace, name
NOWHERE = Location("", 0, 0)


def content_of(resource: Any) -> str:
    """What a resource says, where it was written left out: two sets' copies of a resource that
    moved between files compare equal."""
    source = resource.source
    located = None if source is None else replace(source, location=NOWHERE)
    return repr(replace(resource, source=located))


Selecting = tuple[str, str, list[Selector]]  # content (where written left out), role, selectors

# Which other selector a changed one must be paired with: an inbound that a rules policy selects is
# decided by rules only (from[] dropped), one that a MeshTrafficPermission selects never by
# TrafficPermission, and a workload identity only decides whether rules do. Paired with anything
# else, the inbound is decided by the other, unchanged, resource alone: the same in both sets.
PAIRS_WITH = {
    "from": {"from"},
    "rules": {"rules"},
    "traffic-permission": {"traffic-permission"},
    "identity": {"from", "traffic-permission"},
}


def _selecting(model: Model) -> dict[str, dict[PolicyKey, Selecting]]:
    """mesh → every resource that selects inbounds: its content, its role and its selectors."""
    found: dict[str, dict[PolicyKey, Selecting]] = {mesh: {} for mesh in model.meshes}

    def add(source: Source, resource: object, role: str, selectors: list[Selector]) -> None:
        key = (source.kind, source.mesh, source.namespace or "", source.name)
        content = content_of(resource)
        found.setdefault(source.mesh, {})[key] = (content, role, selectors)

    for policy in model.mesh_traffic_permissions:
        add(policy.source, policy, "rules" if policy.uses_rules else "from", [selector_of(policy)])
    for permission in model.traffic_permissions:
        selectors = [Selector(dict(tags)) for tags in permission.destinations]
        add(permission.source, permission, "traffic-permission", selectors)
    for identity in model.mesh_identities:  # a workload identity makes rules[] decide (Kuma 2.14)
        labels = [] if identity.match_labels is None else [Selector({}, dict(identity.match_labels))]
        add(identity.source, identity, "identity", labels)
    return found


def changed_policies(old: Model, new: Model) -> set[PolicyKey] | None:
    """The resources that select inbounds and differ between the sets; None when everything may
    decide differently (another Kuma version, or a Mesh resource that differs)."""
    if old.semantics != new.semantics:
        return None
    if any(_mesh_content(old, mesh) != _mesh_content(new, mesh) for mesh in set(old.meshes) | set(new.meshes)):
        return None
    before, after = _selecting(old), _selecting(new)
    changed = set()
    for mesh in set(before) | set(after):
        old_side, new_side = before.get(mesh, {}), after.get(mesh, {})
        for key in set(old_side) | set(new_side):
            if old_side.get(key, ("", "", []))[0] != new_side.get(key, ("", "", []))[0]:
                changed.add(key)
    return changed


def destination_candidates(old: Model, new: Model, changed: set[PolicyKey] | None) -> dict[str, list[Inbound]]:
    """mesh → the inbounds to ask: each selector of a changed resource, alone and paired with every
    compatible selector it must be paired with (PAIRS_WITH); an inbound none of them selects is
    decided by the same entries in both. With `changed` None: every selector alone, every compatible
    pair, and the named services."""
    before, after = _selecting(old), _selecting(new)
    found: dict[str, list[Inbound]] = {}
    for mesh in sorted(set(before) | set(after)):
        sides = (before.get(mesh, {}), after.get(mesh, {}))
        every: dict[str, tuple[str, bool, Selector]] = {}  # key → role, changed, selector
        for side in sides:
            for key, (_, role, selectors) in side.items():
                for selector in selectors:
                    known = every.get(_selector_key(selector))
                    is_changed = changed is None or key in changed or bool(known and known[1])
                    every[_selector_key(selector)] = (role, is_changed, selector)
        inbounds: dict[str, Inbound] = {}
        seeds = [(key, role, selector) for key, (role, is_changed, selector) in every.items() if is_changed]
        for _, _, seed in seeds:
            _add_inbound(inbounds, seed)
        seen: set[tuple[str, str]] = set()
        for seed_key, seed_role, seed in seeds:
            for other_key, (other_role, other_changed, other) in every.items():
                if other_key == seed_key or (min(seed_key, other_key), max(seed_key, other_key)) in seen:
                    continue
                if changed is not None and not other_changed and other_role not in PAIRS_WITH[seed_role]:
                    continue
                seen.add((min(seed_key, other_key), max(seed_key, other_key)))
                both = _pair(seed, other)
                if both is not None:
                    _add_inbound(inbounds, both)
        if changed is None:
            for service in sorted(named_services([old, new]).get(mesh, ())):
                _add_inbound(inbounds, Selector({SERVICE: service}))
        found[mesh] = list(inbounds.values())
    return found


def _unique(selectors: list[Selector]) -> list[Selector]:
    return list({_selector_key(s): s for s in selectors}.values())


def _mesh_content(model: Model, mesh: str) -> str:
    resource = model.meshes.get(mesh)
    return "" if resource is None else content_of(resource)


def _add_inbound(inbounds: dict[str, Inbound], selector: Selector) -> None:
    inbound = _inbound_of(selector)
    inbounds.setdefault(json.dumps([inbound.tags, inbound.labels, inbound.dataplane_name], sort_keys=True), inbound)


def _selector_key(selector: Selector) -> str:
    return json.dumps([selector.inbound, selector.labels, selector.dataplane, selector.section], sort_keys=True)


def _pair(first: Selector, second: Selector) -> Selector | None:
    inbound = merge_requirements(first.inbound, second.inbound)
    labels = merge_requirements(first.labels or {}, second.labels or {})
    if inbound is None or labels is None:
        return None
    if first.dataplane and second.dataplane and first.dataplane != second.dataplane:
        return None
    if first.section and second.section and first.section != second.section:
        return None
    return Selector(inbound, labels or None, first.dataplane or second.dataplane, first.section or second.section)


def _inbound_of(selector: Selector) -> Inbound:
    tags = concrete_tags(selector.inbound)
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


def client_candidates(entries: Iterable[dict[str, Any]], changed: set[PolicyKey] | None) -> list[Client]:
    """The clients that cover every pair of winners (module docstring) for these entries; with
    `changed`, the pairs that have an entry of a changed resource (two unchanged entries keep their
    order, so they cannot be the two winners)."""
    requirements: list[dict[str, str]] = []
    seeds: list[dict[str, str]] = []
    identities: set[str] = set()
    for entry in entries:
        if entry["status"] == "other-mesh":
            continue
        policy = entry["policy"]
        own = (
            changed is None
            or (policy.get("kind"), policy.get("mesh"), policy.get("namespace", ""), policy.get("name")) in changed
        )
        if entry["kind"] == "from":
            requirements.append(entry["client"])
            if own:
                seeds.append(entry["client"])
        elif entry["kind"] == "traffic-permission":
            requirements.extend(entry["sources"])
            if own:
                seeds.extend(entry["sources"])
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
    seeded = unique if changed is None else list({json.dumps(r, sort_keys=True): r for r in seeds}.values())
    add_tags({})
    for required in unique:
        add_tags(required)
    for first, second in _pairs(seeded, unique):
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


def _pairs(seeds: list[dict[str, str]], every: list[dict[str, str]]) -> Iterable[tuple[dict[str, str], dict[str, str]]]:
    done = set()
    for first in seeds:
        for second in every:
            key = tuple(sorted([json.dumps(first, sort_keys=True), json.dumps(second, sort_keys=True)]))
            if first is not second and key not in done:
                done.add(key)
                yield first, second


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


def signature(client: Client, mesh: str, entries: list[dict[str, Any]], sni: str = "") -> tuple[Any, ...]:
    """Clients with one signature are decided alike at this inbound by both bundles
    (generator/questions/classes.py): the kind of identity, and which entries' requirements hold."""
    if client.plaintext:
        return ("plaintext",)
    uri_san = ",".join(client.uri_sans(mesh))
    kind = "mesh" if client.principal(mesh).startswith(f"spiffe://{mesh}/") and client.tags else client.principal(mesh)
    return (kind, *(holds(entry, client.tags, uri_san, sni) for entry in entries))


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
    changed = changed_policies(old.model, new.model)
    if destinations is None:
        asked_inbounds = [
            Endpoint(describe_inbound(inbound), mesh, inbound.dataplane_namespace, Client(), inbound)
            for mesh, inbounds in sorted(destination_candidates(old.model, new.model, changed).items())
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
    questions: list[tuple[Endpoint, list[str], dict[str, Any]]] = []
    old_settings, new_settings = _mesh_settings(old), _mesh_settings(new)
    for destination, before, after in zip(asked_inbounds, old_explanations, new_explanations, strict=True):
        same_mesh = old_settings.get(destination.mesh) == new_settings.get(destination.mesh)
        if same_mesh and _normalised(before) == _normalised(after):
            comparison.skipped_unchanged += 1
            continue
        if clients is None:
            candidates = client_candidates([*before["entries"], *after["entries"]], changed)
            named = [(client.describe(), client) for client in candidates]
        else:
            named = [(c.name, c.client) for c in clients if c.mesh == destination.mesh]
        entries = [
            entry
            for entry in [*before["entries"], *after["entries"]]
            if entry["kind"] in ("from", "traffic-permission", "rules") and entry["status"] != "other-mesh"
        ]
        # rules[] sni matches hold for the server name a client sends: ask each one named, and none
        names = sorted({e["match"]["sni"] for e in entries if e["kind"] == "rules" and "sni" in e["match"]})
        for sni in ["", *names]:
            asked = (
                destination
                if not sni
                else replace(
                    destination, name=f"{destination.name}, sni {sni}", inbound=replace(destination.inbound, sni=sni)
                )
            )
            groups: dict[tuple[Any, ...], list[tuple[str, Client]]] = {}
            for name, client in named:
                groups.setdefault(signature(client, destination.mesh, entries, sni), []).append((name, client))
            for group in groups.values():
                request = inbound_input(destination.mesh, asked.inbound, group[0][1])
                questions.append((asked, [name for name, _ in group], request))
    requests = [request for _, _, request in questions]
    before_decisions = evaluate(opa, old.bundle, DECISION, requests)
    after_decisions = evaluate(opa, new.bundle, DECISION, requests)
    comparison.asked += 2 * len(requests)
    classes: dict[str, Difference] = {}
    for (destination, names, request), before, after in zip(questions, before_decisions, after_decisions, strict=True):
        if outcome(before, attribution) == outcome(after, attribution):
            continue
        old_outcome, new_outcome = outcome(before, True), outcome(after, True)
        key = json.dumps([destination.mesh, destination.name, old_outcome, new_outcome], sort_keys=True)
        if key in classes:
            classes[key].clients.extend(names)
        else:
            classes[key] = Difference(
                destination.mesh, destination.name, list(names), old_outcome, new_outcome, request
            )
    comparison.differences = sorted(classes.values(), key=lambda d: (d.mesh, d.destination, d.client))
    return comparison
