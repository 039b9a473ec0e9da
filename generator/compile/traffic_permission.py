"""TrafficPermission → look-ups for "which TrafficPermission governs this inbound" (spec A6, B §6.2 to 6.4).

Kuma picks, per inbound, the policy with the best destination selector that matches the inbound's
tags: more tags first, then more exact (non-`*`) values, then the newest creation time, then the
lexicographically first name. That order is a property of each selector alone, so it becomes one
integer `priority` per selector; a check takes the highest priority among the selectors it reaches by
key. The same order picks the policy for each ExternalService at compile time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator.compile.pairs import (
    ANY_VALUE,
    Pair,
    bucket_for,
    pair_frequency,
    prune_to_best_pairs,
    rarest_pair,
    without_pair,
)
from generator.model import Tags, TrafficPermission

Json = dict[str, Any]
_OLDEST = -(2**63)  # no creation time: older than any


def selector_matches(selector: Tags, tags: dict[str, str]) -> bool:
    """Kuma's TagSelector.Matches: every key present, the value equal or `*`."""
    return all(key in tags and value in (ANY_VALUE, tags[key]) for key, value in selector)


def ranked_selectors(permissions: Sequence[TrafficPermission]) -> list[tuple[int, Tags]]:
    """(permission index, destination selector), worst first: the last matching one wins."""
    selectors = [
        (index, selector) for index, permission in enumerate(permissions) for selector in permission.destinations
    ]
    # Least significant key first; sorts are stable. Equal rank and time: the first name wins, so it goes last.
    selectors.sort(key=lambda item: permissions[item[0]].name, reverse=True)
    selectors.sort(key=lambda item: _created(permissions[item[0]]))
    selectors.sort(key=lambda item: (len(item[1]), sum(value != ANY_VALUE for _, value in item[1])))
    return selectors


@dataclass(frozen=True)
class SelectorIndex:
    """Ranked destination selectors by each exact pair they require, for choosing per tag set
    without scanning every selector; selectors of `*` values only are kept apart."""

    by_pair: dict[tuple[str, str], list[tuple[int, int, Tags]]]  # (priority, permission, selector)
    wildcards_only: list[tuple[int, int, Tags]]


def index_selectors(permissions: Sequence[TrafficPermission]) -> SelectorIndex:
    by_pair: dict[tuple[str, str], list[tuple[int, int, Tags]]] = {}
    wildcards_only: list[tuple[int, int, Tags]] = []
    for priority, (index, selector) in enumerate(ranked_selectors(permissions)):
        exact = [pair for pair in selector if pair[1] != ANY_VALUE]
        for pair in exact:
            by_pair.setdefault(pair, []).append((priority, index, selector))
        if not exact:
            wildcards_only.append((priority, index, selector))
    return SelectorIndex(by_pair, wildcards_only)


def best_permission(index: SelectorIndex, tags: dict[str, str]) -> int | None:
    """Index of the permission that governs `tags` (an ExternalService's), if any."""
    candidates = [*index.wildcards_only, *(item for pair in tags.items() for item in index.by_pair.get(pair, ()))]
    matching = [
        (priority, permission) for priority, permission, selector in candidates if selector_matches(selector, tags)
    ]
    return max(matching)[1] if matching else None


def compile_inbound_permissions(permissions: Sequence[TrafficPermission], first_policy_index: int) -> Json:
    ranked = ranked_selectors(permissions)
    frequency = pair_frequency(dict(selector) for _, selector in ranked)
    select: Json = {"any": [], "by_pair": {}}
    for priority, (index, selector) in enumerate(ranked):
        required = dict(selector)
        pair: Pair | None = rarest_pair(required, frequency)
        record = {
            "priority": priority,
            "policy": first_policy_index + index,
            "inbound": without_pair(required, pair),
        }
        bucket_for(select, pair).append(record)
    prune_to_best_pairs(select, "priority")
    return {
        "select": select,
        # Enforcement (B §6.3): sources ORed, tags ANDed, and `*` requires nothing at all.
        "sources": {
            str(first_policy_index + index): [
                {key: value for key, value in source if value != ANY_VALUE} for source in permission.sources
            ]
            for index, permission in enumerate(permissions)
        },
    }


def _created(permission: TrafficPermission) -> int:
    created = permission.source.creation_time_ns
    return _OLDEST if created is None else created
