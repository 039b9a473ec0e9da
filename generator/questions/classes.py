"""Who may talk to whom, without asking OPA once per pair.

For one destination inbound, the inbound decision depends on the client only through the predicates
of the entries that select the inbound: which `from[]` requirements its tags meet, which
TrafficPermission sources, which `rules[]` matches hold for its URI SANs (the bundle's
`data.kuma.authz.inbound.selection`, the explanation without its verdicts, lists exactly these
entries: docs/explain.md). Clients that meet the same predicates are decided alike, so
the real OPA decides one representative of each such class per destination, and every member gets
its answer. `tests/test_matrix.py` checks this against one OPA decision per pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.bundle import Bundle
from generator.checks.opa import Opa
from generator.questions.evaluate import evaluate
from generator.questions.inputs import inbound_input
from generator.questions.parties import Client, Inbound

# the step and the local mesh's selecting entries, without the verdicts for the neutral client
SELECTION = "data.kuma.authz.inbound.selection"
DECISION = "data.kuma.authz.inbound.decision"


@dataclass(frozen=True)
class Endpoint:
    """A matrix row or column: a service, or one inbound of a Dataplane of the inventory."""

    name: str
    mesh: str
    namespace: str
    client: Client  # how it calls (its certificate's identity)
    inbound: Inbound  # how it is called


@dataclass(frozen=True)
class Cell:
    client: str
    destination: str
    decision: str  # allow, deny or shadow-deny
    reason: str
    policy: dict[str, Any] | None  # the deciding policy as the decision names it


def holds(entry: Mapping[str, Any], client_tags: Mapping[str, tuple[str, ...]], uri_san: str, sni: str = "") -> bool:
    """Whether the client meets this entry's own requirement (not whether the entry decides)."""
    kind = entry["kind"]
    if kind == "from":
        return all(value in client_tags.get(key, ()) for key, value in entry["client"].items())
    if kind == "traffic-permission":
        return any(
            all(value in client_tags.get(key, ()) for key, value in source.items()) for source in entry["sources"]
        )
    if kind == "rules":
        match = entry["match"]
        spiffe = match.get("spiffe")
        if spiffe is not None:
            if spiffe["type"] == "Exact" and uri_san != spiffe["value"]:
                return False
            if spiffe["type"] == "Prefix" and not (uri_san and uri_san.startswith(spiffe["value"])):
                return False
        return bool(match.get("sni", sni) == sni)  # the matrix's clients send no server name ("")
    return False


def decide_all(
    opa: Opa, bundle: Bundle, clients: Sequence[Endpoint], destinations: Sequence[Endpoint]
) -> tuple[list[Cell], int]:
    """Every (client, destination) of the same mesh, decided by the real OPA; and how many inputs it
    was asked (one explanation per destination, one decision per class)."""
    if not destinations:
        return [], 0
    neutral = Client(tags={"kuma.io/service": ("gen-bundle-matrix",)})
    explanations = evaluate(opa, bundle, SELECTION, [inbound_input(d.mesh, d.inbound, neutral) for d in destinations])
    asked: list[dict[str, Any]] = []
    members: list[list[Endpoint]] = []
    owner: list[Endpoint] = []
    for destination, explanation in zip(destinations, explanations, strict=True):
        entries = explanation["entries"]  # the from[], rules[] and TrafficPermission entries only
        classes: dict[tuple[bool, ...], list[Endpoint]] = {}
        for client in clients:
            if client.mesh != destination.mesh:
                continue
            uri_san = ",".join(client.client.uri_sans(client.mesh))
            signature = tuple(holds(entry, client.client.tags, uri_san) for entry in entries)
            classes.setdefault(signature, []).append(client)
        for group in classes.values():
            asked.append(inbound_input(destination.mesh, destination.inbound, group[0].client))
            members.append(group)
            owner.append(destination)
    decisions = evaluate(opa, bundle, DECISION, asked)
    cells = []
    for destination, group, decision in zip(owner, members, decisions, strict=True):
        metadata = decision["dynamic_metadata"]
        word = "deny" if not decision["allowed"] else "shadow-deny" if metadata.get("shadow_deny") else "allow"
        for client in group:
            cells.append(Cell(client.name, destination.name, word, metadata["reason"], metadata.get("policy")))
    return cells, len(destinations) + len(asked)
