"""The order in which Kuma applies the policies that select one proxy (spec B §4.3, Kuma 2.6+).

Ascending: targetRef kind level, then origin (global < unset < zone), then role (system < … <
workload-owner), then display name **descending**, so that among otherwise equal policies the
lexicographically smallest name comes last and wins. The key is a property of each policy alone, so one
mesh-wide order serves every inbound: the policies that select a given inbound keep their relative order.

Kuma leaves full ties (the same display name twice) unordered; we order them by namespace, then core
name, both descending, so the result is deterministic (docs/semantics.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from generator.model import Policy

KIND_LEVEL = {
    "Mesh": 1,
    "Dataplane": 2,
    "MeshSubset": 3,
    "MeshGateway": 4,
    "MeshService": 5,
    "MeshExternalService": 6,
    "MeshMultiZoneService": 7,
    "MeshServiceSubset": 8,
    "MeshHTTPRoute": 9,
}

P = TypeVar("P", bound=Policy)


def in_precedence_order(policies: Sequence[P]) -> list[P]:
    """Lowest precedence first; the last policy is applied last and wins."""
    # Stable sorts from the least to the most significant key; `reverse` keeps stability.
    ordered = sorted(policies, key=lambda p: (p.source.namespace or "", p.source.name), reverse=True)
    ordered.sort(key=lambda p: p.display_name, reverse=True)
    ordered.sort(key=lambda p: (KIND_LEVEL[p.target_ref.kind], dataplane_rank(p), p.origin, p.role))
    return ordered


def dataplane_rank(policy: Policy) -> tuple[bool, bool]:
    """Kuma's `CompareDataplaneKind` (2.10+), between two Dataplane refs: by name beats by labels, then
    with a sectionName beats without. Kuma's comparator is not a total order (a ref with only a
    sectionName beats one by name, which beats one by labels, which ties with the first); this key
    keeps every pair Kuma orders the same way but that one (docs/semantics.md)."""
    ref = policy.target_ref
    if ref.kind != "Dataplane":
        return (False, False)
    return (ref.name is not None, ref.section_name is not None)
