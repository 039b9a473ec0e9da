"""MeshTrafficPermission `from[]` → the inbound look-up document of one mesh (docs/data-shape.md).

The whole precedence (spec A2: policies in B §4.3 order, then `from` order) becomes one integer rank
per entry, so "the last applicable entry" is "the applicable entry with the highest rank". Entries are
indexed by one requirement their policy puts on the local side (selection.py) and one pair they require
of the client; the rarest of each side is used, so buckets stay short.

`from_policies` says which of the policies select an inbound, each record with its policy's number:
when no entry applies, the decision names the selecting policy of the highest precedence.
"""

from __future__ import annotations

from typing import Any

from generator.compile.pairs import bucket_for, pair_frequency, rarest_pair, without_pair
from generator.compile.selection import (
    all_slots,
    empty_index,
    key_frequency,
    prune_numbered_selects,
    prune_to_best,
    rarest_key,
    selection_index,
    selector_of,
    slot,
)
from generator.model import MeshTrafficPermission

Json = dict[str, Any]


def compile_inbound(ordered: list[MeshTrafficPermission], first_policy_index: int = 0) -> Json:
    """`ordered`: the mesh's `from` policies in precedence order; policy `i` of it is
    `first_policy_index + i` in the mesh's table."""
    selectors = [selector_of(policy) for policy in ordered]
    local_frequency = key_frequency(selectors)
    client_frequency = pair_frequency(
        entry.target_ref.required_tags() for policy in ordered for entry in policy.from_entries
    )

    numbers = [{"policy": first_policy_index + offset} for offset in range(len(ordered))]
    selects = selection_index(selectors, numbers)
    from_index = empty_index()
    from_index["any"] = _empty_inner()
    rank = 0
    for offset, (policy, selector) in enumerate(zip(ordered, selectors, strict=True)):
        local_key = rarest_key(selector, local_frequency)
        inner = slot(from_index, local_key, _empty_inner)
        for position, item in enumerate(policy.from_entries):
            client = item.target_ref.required_tags()
            client_pair = rarest_pair(client, client_frequency)
            record = {
                "rank": rank,
                "action": item.action.value,
                "policy": first_policy_index + offset,
                "entry": position,
                **selector.record(local_key),
                "client": without_pair(client, client_pair),
            }
            bucket_for(inner, client_pair).append(record)
            rank += 1

    prune_numbered_selects(selects)
    for inner in all_slots(from_index):
        prune_to_best(inner, "rank")
    return {"from_policies": selects, "from": from_index}


def _empty_inner() -> Json:
    return {"any": [], "by_pair": {}}
