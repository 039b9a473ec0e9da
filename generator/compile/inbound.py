"""MeshTrafficPermission `from[]` → the inbound look-up document of one mesh (docs/data-shape.md).

The whole precedence (spec A2: policies in B §4.3 order, then `from` order) becomes one integer rank
per entry, so "the last applicable entry" is "the applicable entry with the highest rank". Entries are
indexed by one pair their policy requires of the inbound and one pair they require of the client;
the rarest pair of each side is used, so buckets stay short.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from generator.model import MeshTrafficPermission, Policy, Role

NAMESPACE_TAG = "k8s.kuma.io/namespace"
# On the inbound side "*" (allowed in MeshServiceSubset tags) means "the tag is present", so it can
# never serve as an index pair.
ANY_VALUE = "*"

Pair = tuple[str, str]
Json = dict[str, Any]


@dataclass(frozen=True)
class _Entry:
    rank: int
    action: str
    policy: int
    entry: int
    inbound: dict[str, str]
    client: dict[str, str]
    zone: str | None


def inbound_requirements(policy: Policy) -> dict[str, str]:
    """The tags an inbound needs for the policy to select it, namespace scoping included (spec A10)."""
    required = policy.target_ref.required_tags()
    if policy.role is Role.WORKLOAD_OWNER and policy.source.namespace:
        required[NAMESPACE_TAG] = policy.source.namespace
    return required


def compile_inbound(ordered: list[MeshTrafficPermission], first_policy_index: int = 0) -> Json:
    """`ordered` in precedence order; policy `i` of it is `first_policy_index + i` in the mesh's table."""
    entries: list[_Entry] = []
    rank = 0
    for offset, policy in enumerate(ordered):
        inbound = inbound_requirements(policy)
        for position, item in enumerate(policy.from_entries):
            entries.append(
                _Entry(
                    rank,
                    item.action.value,
                    first_policy_index + offset,
                    position,
                    inbound,
                    item.target_ref.required_tags(),
                    policy.zone,
                )
            )
            rank += 1

    inbound_frequency = pair_frequency(inbound_requirements(policy) for policy in ordered)
    client_frequency = pair_frequency(entry.client for entry in entries)

    selects: Json = {"any": [], "by_pair": {}}
    for policy in ordered:
        required = inbound_requirements(policy)
        pair = rarest_pair(required, inbound_frequency)
        record: Json = {"inbound": without_pair(required, pair)}
        if policy.zone:
            record["zone"] = policy.zone
        bucket_for(selects, pair).append(record)

    from_index: Json = {"any": {"any": [], "by_pair": {}}, "by_pair": {}}
    for entry in entries:
        inbound_pair = rarest_pair(entry.inbound, inbound_frequency)
        client_pair = rarest_pair(entry.client, client_frequency)
        inner = _inner(from_index, inbound_pair)
        record = {
            "rank": entry.rank,
            "action": entry.action,
            "policy": entry.policy,
            "entry": entry.entry,
            "inbound": without_pair(entry.inbound, inbound_pair),
            "client": without_pair(entry.client, client_pair),
        }
        if entry.zone:
            record["zone"] = entry.zone
        bucket_for(inner, client_pair).append(record)

    prune_selects(selects)
    _prune_entries(from_index)
    return {"selects": selects, "from": from_index}


def pair_frequency(requirements: Iterable[dict[str, str]]) -> Counter[Pair]:
    return Counter(pair for required in requirements for pair in required.items() if pair[1] != ANY_VALUE)


def rarest_pair(required: dict[str, str], frequency: Counter[Pair]) -> Pair | None:
    candidates = [pair for pair in required.items() if pair[1] != ANY_VALUE]
    if not candidates:
        return None
    return min(candidates, key=lambda pair: (frequency[pair], pair))


def without_pair(required: dict[str, str], pair: Pair | None) -> dict[str, str]:
    return {key: value for key, value in sorted(required.items()) if pair is None or key != pair[0]}


def bucket_for(index: Json, pair: Pair | None) -> list[Json]:
    if pair is None:
        bucket: list[Json] = index["any"]
        return bucket
    by_value = index["by_pair"].setdefault(pair[0], {})
    found: list[Json] = by_value.setdefault(pair[1], [])
    return found


def _inner(index: Json, pair: Pair | None) -> Json:
    if pair is None:
        any_inner: Json = index["any"]
        return any_inner
    by_value = index["by_pair"].setdefault(pair[0], {})
    found: Json = by_value.setdefault(pair[1], {"any": [], "by_pair": {}})
    return found


def _unconditional(record: Json) -> bool:
    return not record["inbound"] and not record.get("client") and "zone" not in record


def _buckets(index: Json) -> Iterable[list[Json]]:
    yield index["any"]
    for by_value in index["by_pair"].values():
        yield from by_value.values()


def prune_to_best(index: Json, rank_key: str) -> None:
    """Drop records that can never win: ranked below a record of the same bucket that always applies."""
    for bucket in _buckets(index):
        floor = max((record[rank_key] for record in bucket if _unconditional(record)), default=-1)
        bucket[:] = [record for record in bucket if record[rank_key] >= floor]


def prune_selects(selects: Json) -> None:
    """A bucket with an unconditional record is simply true: one record says so."""
    for bucket in _buckets(selects):
        unique = {repr(sorted(record.items())): record for record in bucket}
        if any(_unconditional(record) for record in bucket):
            bucket[:] = [{"inbound": {}}]
        else:
            bucket[:] = list(unique.values())


def _prune_entries(from_index: Json) -> None:
    inners = [from_index["any"], *(inner for by_value in from_index["by_pair"].values() for inner in by_value.values())]
    for inner in inners:
        prune_to_best(inner, "rank")
