"""Tag pairs as index keys: the rarest required pair of a record is the key it is filed under.

Shared by the `from` index (client side), TrafficPermission selection and the selection records. A
pair whose value is `*` ("the tag is present") is never a key: no look-up by value can find it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

ANY_VALUE = "*"

Pair = tuple[str, str]
Json = dict[str, Any]


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
    """The list of a one-level `{"any": [...], "by_pair": {k: {v: [...]}}}` index for `pair`."""
    if pair is None:
        bucket: list[Json] = index["any"]
        return bucket
    found: list[Json] = index["by_pair"].setdefault(pair[0], {}).setdefault(pair[1], [])
    return found


def prune_to_best_pairs(index: Json, rank_key: str) -> None:
    """Drop records ranked below a record of the same bucket that always applies."""
    lists = [index["any"], *(bucket for by_value in index["by_pair"].values() for bucket in by_value.values())]
    for bucket in lists:
        floor = max((record[rank_key] for record in bucket if not record.get("inbound")), default=-1)
        bucket[:] = [record for record in bucket if record[rank_key] >= floor]
