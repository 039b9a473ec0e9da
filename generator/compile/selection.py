"""Which inbounds (or proxies) a policy's top-level targetRef selects, as look-up records.

Shared by every policy the library selects at check time (MeshTrafficPermission `from` and `rules`,
MeshPassthrough). A selector is what the local side must carry (spec B §4.1 - 4.2):

* `inbound`: tags of the local inbound (`Mesh`, `MeshSubset`, `MeshService`, `MeshServiceSubset`);
* `labels`: labels of the local Dataplane (`Dataplane{labels}`; `Dataplane{}` requires none);
* `dataplane`: the Dataplane's name and namespace (`Dataplane{name, namespace}`);
* `section`: the inbound's section name, its name or else its port (`sectionName`);
* `zone`: the zone of a zone-originated policy.

Roles `workload-owner` (a Kubernetes policy outside the system namespace) and `consumer` add the
policy's namespace: as the inbound's `k8s.kuma.io/namespace` tag for tag kinds, as the Dataplane's
label of that name for `Dataplane` (Kuma's dppSelectedByNamespace reads the Dataplane's labels; on
Kubernetes both carry it).

Records are indexed by one requirement, the rarest in the mesh (an inbound tag, a Dataplane label or
the Dataplane's name), so a check looks at few of them; a selector with none goes to `any`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from generator.compile.pairs import ANY_VALUE
from generator.model import Policy, Role

NAMESPACE_TAG = "k8s.kuma.io/namespace"
SCOPED_ROLES = frozenset({Role.CONSUMER, Role.WORKLOAD_OWNER})

Json = dict[str, Any]
# ("pair", key, value): an inbound tag; ("label", key, value): a Dataplane label; ("name", name, ""):
# the Dataplane's name.
IndexKey = tuple[str, str, str]
INDEX_MAPS = {"pair": "by_pair", "label": "by_label"}


@dataclass(frozen=True)
class Selector:
    inbound: dict[str, str]
    labels: dict[str, str] | None = None
    dataplane: tuple[str, str | None, str] | None = None  # name, namespace, zone
    section: str | None = None
    zone: str | None = None

    def index_keys(self) -> list[IndexKey]:
        keys = [("pair", key, value) for key, value in self.inbound.items() if value != ANY_VALUE]
        keys += [("label", key, value) for key, value in (self.labels or {}).items()]
        if self.dataplane is not None:
            keys.append(("name", self.dataplane[0], ""))
        return keys

    def record(self, key: IndexKey | None) -> Json:
        """The record stored under `key`: every requirement but the one the index already checked."""
        record: Json = {"inbound": _without(self.inbound, key, "pair")}
        if self.labels:
            record["labels"] = _without(self.labels, key, "label")
        if self.dataplane is not None:
            name, namespace, zone = self.dataplane
            record["dataplane"] = {"name": name, "namespace": namespace or "", "zone": zone}
        if self.section is not None:
            record["section"] = self.section
        if self.zone:
            record["zone"] = self.zone
        return record


def selector_of(policy: Policy) -> Selector:
    ref = policy.target_ref
    # dppSelectedByNamespace: a consumer or workload-owner policy applies in its own namespace only
    owner_namespace = policy.scope_namespace if policy.role in SCOPED_ROLES else None
    if ref.kind != "Dataplane":
        inbound = ref.required_tags()
        if owner_namespace:
            inbound[NAMESPACE_TAG] = owner_namespace
        return Selector(inbound=inbound, zone=policy.zone)
    labels = dict(ref.labels or ())
    if owner_namespace:
        labels[NAMESPACE_TAG] = owner_namespace
    # A ref by name resolves to the Dataplane (mesh, zone, namespace, name) with the policy's zone
    # label (matchers/dataplane.go), so a policy from Global or another zone never matches by name.
    dataplane = (ref.name, ref.namespace, policy.zone_label) if ref.name else None
    return Selector(inbound={}, labels=labels, dataplane=dataplane, section=ref.section_name, zone=policy.zone)


def key_frequency(selectors: Iterable[Selector]) -> Counter[IndexKey]:
    return Counter(key for selector in selectors for key in selector.index_keys())


def rarest_key(selector: Selector, frequency: Counter[IndexKey]) -> IndexKey | None:
    keys = selector.index_keys()
    if not keys:
        return None
    return min(keys, key=lambda key: (frequency[key], key))


def empty_index() -> Json:
    return {"any": [], "by_pair": {}, "by_label": {}, "by_name": {}}


def slot(index: Json, key: IndexKey | None, empty: Any) -> Any:
    """The bucket (or inner index) of `index` for `key`, made from `empty()` when new."""
    if key is None:
        return index["any"]
    kind, first, second = key
    if kind == "name":
        return index["by_name"].setdefault(first, empty())
    return index[INDEX_MAPS[kind]].setdefault(first, {}).setdefault(second, empty())


def all_slots(index: Json) -> Iterable[Any]:
    """Every slot of an index: the lists of a one-level index, the inner indexes of a two-level one
    (whose `any` is itself an index). The client side of `from` has `by_pair` only."""
    yield index["any"]
    for name in ("by_pair", "by_label"):
        for by_value in index.get(name, {}).values():
            yield from by_value.values()
    yield from index.get("by_name", {}).values()


def unconditional(record: Json) -> bool:
    conditions = ("client", "labels", "dataplane", "section", "zone", "spiffe", "sni")
    return not record["inbound"] and not any(record.get(name) for name in conditions)


def deduplicate(index: Json) -> None:
    for bucket in all_slots(index):
        bucket[:] = list({repr(sorted(record.items())): record for record in bucket}.values())


def prune_selects(selects: Json) -> None:
    """A bucket with an unconditional record is simply true: one record says so."""
    deduplicate(selects)
    for bucket in all_slots(selects):
        if any(unconditional(record) for record in bucket):
            bucket[:] = [{"inbound": {}}]


def prune_numbered_selects(selects: Json) -> None:
    """For an index whose records name their policy (`policy`, higher wins): in each bucket, one record
    per selector, its policy's highest number, and none below a record that selects every inbound the
    bucket reaches. What is left answers both "does any policy select it" and "which, at best"."""
    for bucket in all_slots(selects):
        best: dict[str, Json] = {}
        for record in bucket:
            selector = repr(sorted((key, value) for key, value in record.items() if key != "policy"))
            if selector not in best or best[selector]["policy"] < record["policy"]:
                best[selector] = record
        bucket[:] = sorted(best.values(), key=lambda record: record["policy"])
    prune_to_best(selects, "policy")


def prune_to_best(index: Json, rank_key: str) -> None:
    """Drop records that can never win: ranked below a record of the same bucket that always applies."""
    for bucket in all_slots(index):
        floor = max((record[rank_key] for record in bucket if unconditional(record)), default=-1)
        bucket[:] = [record for record in bucket if record[rank_key] >= floor]


def selection_index(selectors: list[Selector], extra: list[Json] | None = None) -> Json:
    """Which inbounds any of `selectors` selects; `extra[i]` is added to selector i's record."""
    frequency = key_frequency(selectors)
    index = empty_index()
    for position, selector in enumerate(selectors):
        key = rarest_key(selector, frequency)
        record = selector.record(key)
        if extra is not None:
            record.update(extra[position])
        slot(index, key, list).append(record)
    return index


def _without(required: dict[str, str], key: IndexKey | None, kind: str) -> dict[str, str]:
    return {name: value for name, value in sorted(required.items()) if key is None or key[0] != kind or name != key[1]}
