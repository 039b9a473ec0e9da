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
Of those clients, only the ones that meet an entry of one set only are asked (changed_entries), one
per pair of deciding entries where from[] decides (_winners); docs/diff.md says why each is exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from generator.bundle import DATA_PATH, Bundle
from generator.checks.opa import Opa
from generator.compile.selection import Selector, selector_of
from generator.diagnostics import Location
from generator.model import Model, Source
from generator.questions.classes import DECISION, SELECTION, Endpoint, holds
from generator.questions.endpoints import named_services
from generator.questions.evaluate import evaluate
from generator.questions.inputs import inbound_input
from generator.questions.parties import Client, Inbound
from generator.questions.requirements import (
    SERVICE,
    SOME_SERVICE,
    SOME_ZONE,
    ZONE,
    concrete_tags,
    merge_requirements,
    merge_zones,
    zoned_tags,
)

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
    alike_clients: int = 0  # candidate clients not asked: they meet no entry that changed
    outbound: list[Difference] = field(
        default_factory=list
    )  # (proxy class, destination): generator/questions/outbound_compare.py


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
        zoned = any(selector.zone for _, _, selector in every.values())
        seeds = [(key, role, selector) for key, (role, is_changed, selector) in every.items() if is_changed]
        for _, _, seed in seeds:
            _add_inbound(inbounds, seed, zoned)
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
                    _add_inbound(inbounds, both, zoned)
        if changed is None:
            for service in sorted(named_services([old, new]).get(mesh, ())):
                _add_inbound(inbounds, Selector({SERVICE: service}), zoned)
        found[mesh] = list(inbounds.values())
    return found


def _unique(selectors: list[Selector]) -> list[Selector]:
    return list({_selector_key(s): s for s in selectors}.values())


def _mesh_content(model: Model, mesh: str) -> str:
    resource = model.meshes.get(mesh)
    return "" if resource is None else content_of(resource)


def _add_inbound(inbounds: dict[str, Inbound], selector: Selector, zoned: bool) -> None:
    inbound = _inbound_of(selector, zoned)
    if inbound is None:
        return
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
    return Selector(
        inbound,
        labels or None,
        first.dataplane or second.dataplane,
        first.section or second.section,
        merge_zones(first.zone, second.zone),
    )


def _inbound_of(selector: Selector, zoned: bool) -> Inbound | None:
    required = zoned_tags(selector.inbound, selector.zone, zoned)
    if required is not None and selector.dataplane is not None:
        # a Dataplane named by a policy is the one of the policy's zone label (none: no zone)
        required = _in_zone(required, selector.dataplane[2] or "")
    if required is None:
        return None
    tags = concrete_tags(required)
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


def _in_zone(tags: dict[str, str], zone: str) -> dict[str, str] | None:
    if tags.get(ZONE) not in (None, SOME_ZONE, zone):
        return None
    rest = {key: value for key, value in tags.items() if key != ZONE}
    return {**rest, ZONE: zone} if zone else rest


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


def client_candidates(entries: Iterable[dict[str, Any]], changed: set[str] | None) -> list[Client]:
    """The clients that cover every pair of winners (module docstring) for these entries; with
    `changed` (entry identities, changed_entries), the pairs that have a changed entry: a client
    that meets none is decided alike (changed_entries)."""
    requirements: list[dict[str, str]] = []
    seeds: list[dict[str, str]] = []
    identities: set[str] = set()
    for entry in entries:
        own = changed is None or entry_identity(entry) in changed
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


def _identified(selections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The selections with each entry's identity computed once (it is asked for many times)."""
    for selection in selections:
        for entry in selection["entries"]:
            entry["identity"] = entry_identity(entry)
    return selections


def entry_identity(entry: dict[str, Any]) -> str:
    """What an entry says, its policy by name, not by index, and without its rank: an unrelated
    change renumbers the policy table and the ranks."""
    if "identity" in entry:
        return str(entry["identity"])
    policy = {key: entry["policy"].get(key) for key in ("kind", "mesh", "name", "namespace", "rule")}
    detail = {key: entry.get(key) for key in ("kind", "entry", "action", "client", "match", "sources")}
    return json.dumps([policy, detail], sort_keys=True)


def ranked(selection: dict[str, Any]) -> list[str]:
    """The selecting entries (entry_identity) in their order of precedence within each kind: with
    the step, what decides the inbound for every client."""
    entries = []
    for entry in selection["entries"]:
        order = entry.get("rank", entry.get("order", entry.get("priority", 0)))
        entries.append((entry["kind"], order, entry_identity(entry)))
    return [item[2] for item in sorted(entries, key=lambda item: (item[0], item[1]))]


def changed_entries(step: tuple[str, str], old: list[str], new: list[str]) -> set[str] | None:
    """The entries (entry_identity) that select the inbound in one set only, given each set's step
    and ranked entries; None when any entry may decide differently: the sets decide at another
    step, or order their common entries otherwise.

    Otherwise a client that meets none of them meets the same entries in both sets, in the same
    order, and the decision is a function of those (the best one decides; a rules[] shadow match
    marks an allowed request; with none, the denial names the selection's `no_match_policy`)
    and of the step and the mesh's settings, which the caller compared: the client is decided
    alike, and is not asked, unless it meets no entry and the named policy differs."""
    if step[0] != step[1]:
        return None
    common = set(old) & set(new)
    if [item for item in old if item in common] != [item for item in new if item in common]:
        return None
    return set(old) ^ set(new)


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


def _meets_none(group_signature: tuple[Any, ...], entries: list[dict[str, Any]], kind: str) -> bool:
    """Whether clients of this signature meet no entry of `kind` (then no entry decides them)."""
    flags = zip(group_signature[1:], entries, strict=False)
    return not any(met is True and entry["kind"] == kind for met, entry in flags)


def _meets_changed(group_signature: tuple[Any, ...], own: list[bool]) -> bool:
    """Whether clients of this signature (kind, then one flag per entry) meet a changed entry."""
    return any(met is True and changed for met, changed in zip(group_signature[1:], own, strict=False))


def _winners(group_signature: tuple[Any, ...], entries: list[dict[str, Any]], split: int) -> tuple[str, str] | None:
    """For a verified mesh client where from[] decides in both sets: the entry that decides it in
    each (the applicable one of the highest rank, as the explanation ranks them; "" for none). The
    decision is that entry's action and policy, so one client asks for every client with the same
    two, and none is asked when the two are the same entry. None for any other client."""
    if group_signature[0] != "mesh":
        return None
    best: list[tuple[int, str]] = [(-1, ""), (-1, "")]
    for index, (met, entry) in enumerate(zip(group_signature[1:], entries, strict=True)):
        side = 0 if index < split else 1
        if met is True and entry["kind"] == "from" and entry["rank"] > best[side][0]:
            best[side] = (entry["rank"], entry_identity(entry))
    return best[0][1], best[1][1]


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
    exhaustive: bool = False,
) -> Comparison:
    """Every (client class, inbound) the two bundles decide differently, with a witness each. With
    `destinations` and `clients` (an inventory), only those, by name. `exhaustive` asks every
    candidate client of every asked inbound, as if every entry had changed: the reference the tests
    hold the entry-level pruning (changed_entries) to."""
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
    old_explanations = _identified(evaluate(opa, old.bundle, SELECTION, inputs))
    new_explanations = _identified(evaluate(opa, new.bundle, SELECTION, inputs))
    comparison.asked += 2 * len(inputs)
    questions: list[tuple[Endpoint, list[str], dict[str, Any]]] = []
    old_settings, new_settings = _mesh_settings(old), _mesh_settings(new)
    for destination, before, after in zip(asked_inbounds, old_explanations, new_explanations, strict=True):
        same_mesh = old_settings.get(destination.mesh) == new_settings.get(destination.mesh)
        steps, old_ranked, new_ranked = (before["step"], after["step"]), ranked(before), ranked(after)
        if same_mesh and steps[0] == steps[1] and old_ranked == new_ranked:
            comparison.skipped_unchanged += 1
            continue
        pruned = same_mesh and changed is not None and not exhaustive
        differing = changed_entries(steps, old_ranked, new_ranked) if pruned else None
        # a selection lists the local mesh's from[], rules[] and TrafficPermission entries only
        entries = [*before["entries"], *after["entries"]]
        if clients is None:
            candidates = client_candidates(entries, differing)
            named = [(client.describe(), client) for client in candidates]
        else:
            named = [(c.name, c.client) for c in clients if c.mesh == destination.mesh]
        own = [differing is None or entry_identity(entry) in differing for entry in entries]
        # from[] decides in both sets: the best entry a client meets decides (its action, its policy)
        by_rank = differing is not None and steps == ("from", "from")
        # a client no entry decides is denied naming the selection's no_match_policy: where that differs,
        # such clients differ too, whether or not they meet a changed entry
        kind = steps[0] if steps[0] == steps[1] and steps[0] in ("from", "rules") else ""
        renamed = bool(kind) and before.get("no_match_policy") != after.get("no_match_policy")
        split = len(before["entries"])
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
            by_winners: dict[Any, list[tuple[str, Client]]] = {}
            for group_signature, group in groups.items():
                identified = group_signature[0] != "plaintext"
                undecided = renamed and identified and _meets_none(group_signature, entries, kind)
                if differing is not None and not undecided and not _meets_changed(group_signature, own):
                    comparison.alike_clients += len(group)
                    continue
                winners = _winners(group_signature, entries, split) if by_rank else None
                if winners is not None and winners[0] == winners[1] and not undecided:
                    comparison.alike_clients += len(group)
                    continue
                by_winners.setdefault(winners if winners is not None else group_signature, []).extend(group)
            for group in by_winners.values():
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
