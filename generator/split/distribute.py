"""The whole mesh's compiled data → one data document per proxy (docs/split.md).

Each record is looked at once and handed to the proxies it can reach (inverted: the proxies are found
from the record's own requirements, never by filtering the whole document per proxy). A record that
needs no particular `kuma.io/service` reaches every service proxy and is kept once, in `shared`.

What a proxy's document keeps, and why it decides as the whole one for that proxy's checks: every
rule of the library takes the records it reaches by key and keeps those whose requirements hold
(docs/data-shape.md), then the best of them; a record dropped here is one whose requirements cannot
hold for that proxy, so no best, no "any", no count changes. Concretely:

* `selection.*` and `inbound.traffic_permissions.select`: a selection record reaches a proxy when the
  inbound tags (its slot's pair and its own), the labels and the Dataplane name it needs could be the
  proxy's (proxies.Proxy.could_select);
* `selection.from`: the same for the local side of each entry (the client side is the request's);
* `inbound.rules` matches: those of the `rules` policies that reach the proxy;
* `inbound.identities`: the MeshIdentities whose labels could be the proxy's;
* `inbound.traffic_permissions.sources`: those of the TrafficPermissions kept in `select`;
* `outbound.external_services`, `by_address`, `by_host`: all of it, unchanged but for the policy
  numbers (any proxy may name any destination, and one it may not use must still be denied by its
  policy), so this part is the same in every proxy's document of the mesh;
* `outbound.mesh_passthrough`: the selectors, matches and layer-7 ports of the MeshPassthroughs that
  reach the proxy, the prefix lengths of the matches kept;
* `policies`: only the rows the kept records name, and every `policy` reference remapped: first the
  TrafficPermissions that govern ExternalServices (the same numbers in every document of the mesh),
  then the others in their order. The library compares policy numbers only among MeshPassthroughs
  (the first of equally long prefixes) and among the MeshTrafficPermissions that select an inbound
  (a no-matching-rule names the highest), whose order is kept.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.compile import DATA_FORMAT
from generator.split.proxies import DATAPLANE, SERVICE, SERVICE_TAG, Proxy

Json = dict[str, Any]
# ("any",) | ("by_pair", key, value) | ("by_label", key, value) | ("by_name", name)
SlotKey = tuple[str, ...]
Path = tuple[Any, ...]
SELECTIONS = ("from_policies", "rules_policies", "passthrough_policies", "passthrough_modes")
# Every key of a mesh document this module knows how to cut (docs/data-shape.md, format 2). A key it does
# not know might hold policy numbers it would not remap: such data is refused, never split blindly.
KNOWN_KEYS: dict[tuple[str, ...], frozenset[str]] = {
    (): frozenset({"defined", "mtls", "passthrough", "policies", "selection", "inbound", "outbound"}),
    ("selection",): frozenset({"from", *SELECTIONS}),
    ("inbound",): frozenset({"rules", "identities", "traffic_permissions"}),
    ("inbound", "rules"): frozenset({"exact", "prefix", "sni"}),
    ("inbound", "identities"): frozenset({"selectors"}),
    ("inbound", "traffic_permissions"): frozenset({"select", "sources"}),
    ("outbound",): frozenset({"external_services", "by_address", "by_host", "mesh_passthrough"}),
    ("outbound", "mesh_passthrough"): frozenset(
        {"selectors", "prefixes", "prefix_lengths", "domains", "wildcards", "layer7_domain_ports"}
    ),
}


class UnknownData(ValueError):
    """Compiled data of a shape this module does not know how to cut."""


def check_known(mesh: Json) -> None:
    for path, known in KNOWN_KEYS.items():
        part = mesh
        for step in path:
            part = part[step]
        unknown = set(part) - known
        if unknown:
            where = ".".join(path) or "the mesh document"
            raise UnknownData(f"--split does not know {where} key(s) {sorted(unknown)}: generator/split/ needs them")


@dataclass
class Collected:
    """Records handed to one proxy (or to every service proxy), by where they sit in the document;
    each list in document order (`seq` is the position in the whole mesh's walk)."""

    records: dict[Path, list[tuple[int, Any]]] = field(default_factory=dict)

    def add(self, path: Path, seq: int, record: Any) -> None:
        self.records.setdefault(path, []).append((seq, record))


def slots(index: Mapping[str, Any]) -> Iterator[tuple[SlotKey, Any]]:
    """Every slot of a selection index with its key (generator/compile/selection.py)."""
    yield ("any",), index["any"]
    for name in ("by_pair", "by_label"):
        for key, by_value in index.get(name, {}).items():
            for value, slot in by_value.items():
                yield (name, key, value), slot
    for name, slot in index.get("by_name", {}).items():
        yield ("by_name", name), slot


def requirements(record: Mapping[str, Any], key: SlotKey) -> tuple[dict[str, str], dict[str, str], str | None]:
    """(inbound pairs, Dataplane labels, Dataplane name) a record filed under `key` needs."""
    pairs = dict(record.get("inbound") or {})
    labels = dict(record.get("labels") or {})
    dataplane = record.get("dataplane")
    name = dataplane.get("name") if isinstance(dataplane, dict) else None
    if key[0] == "by_pair":
        pairs[key[1]] = key[2]
    elif key[0] == "by_label":
        labels[key[1]] = key[2]
    elif key[0] == "by_name":
        name = key[1]
    return pairs, labels, name


class Reach:
    """Which proxies of one mesh a record's requirements can reach, found through indexes of the
    proxies by what they are known to carry."""

    def __init__(self, proxies: list[Proxy]) -> None:
        self.proxies = proxies
        self.services = {proxy.name: number for number, proxy in enumerate(proxies) if proxy.kind == SERVICE}
        self.has_services = bool(self.services)
        self.dataplanes = [number for number, proxy in enumerate(proxies) if proxy.kind == DATAPLANE]
        self.by_pair: dict[tuple[str, str], list[int]] = {}
        self.by_label: dict[tuple[str, str], list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        for number in self.dataplanes:
            proxy = proxies[number]
            for pair in sorted({pair for inbound in proxy.inbounds for pair in inbound}):
                self.by_pair.setdefault(pair, []).append(number)
            for pair in proxy.labels:
                self.by_label.setdefault(pair, []).append(number)
            self.by_name.setdefault(proxy.name, []).append(number)

    def targets(self, pairs: Mapping[str, str], labels: Mapping[str, str], name: str | None) -> tuple[list[int], bool]:
        """(Dataplane and service proxies reached, whether every service proxy is reached)."""
        reached: list[int] = []
        every_service = False
        service = pairs.get(SERVICE_TAG, "*")
        if service == "*":
            every_service = self.has_services
        elif service in self.services:
            reached.append(self.services[service])
        if self.dataplanes:
            candidates = self._dataplane_candidates(pairs, labels, name)
            reached += [n for n in candidates if self.proxies[n].could_select(pairs, labels, name)]
        return reached, every_service

    def _dataplane_candidates(self, pairs: Mapping[str, str], labels: Mapping[str, str], name: str | None) -> list[int]:
        lists = [self.by_pair.get((key, value), []) for key, value in pairs.items() if value != "*"]
        lists += [self.by_label.get(pair, []) for pair in labels.items()]
        if name is not None:
            lists.append(self.by_name.get(name, []))
        return min(lists, key=len) if lists else self.dataplanes


@dataclass(frozen=True)
class MeshShared:
    """What every proxy's document of one mesh holds unchanged, as the very same objects: the first
    rows of `policies` (the ExternalServices' TrafficPermissions) and the ExternalService part of
    `outbound` (`by_address`, `by_host`, `external_services`)."""

    rows: list[Json]
    outbound: Json
    first: list[int]  # the rows' numbers in the whole mesh's table

    @property
    def renumber(self) -> dict[int, int]:
        return {old: new for new, old in enumerate(self.first)}

    @classmethod
    def of(cls, mesh: Json) -> MeshShared:
        first = external_service_policies(mesh)
        renumber = {old: new for new, old in enumerate(first)}
        services = [
            {**service, "policy": renumber[service["policy"]]} if "policy" in service else service
            for service in mesh["outbound"]["external_services"]
        ]
        outbound = {key: mesh["outbound"][key] for key in ("by_address", "by_host")}
        return cls([mesh["policies"][old] for old in first], {**outbound, "external_services": services}, first)


@dataclass(frozen=True)
class SplitDocument:
    proxy: Proxy
    data: Json
    shared: MeshShared


class Distribution:
    """The records of one mesh handed out to its proxies."""

    def __init__(self, mesh: Json, proxies: list[Proxy]) -> None:
        check_known(mesh)
        self.mesh = mesh
        self.reach = Reach(proxies)
        self.own = [Collected() for _ in proxies]
        self.shared = Collected()
        self.mesh_shared = MeshShared.of(mesh)
        self.seq = 0
        self._distribute()

    def _hand(self, path: Path, record: Any, reached: tuple[list[int], bool]) -> None:
        numbers, every_service = reached
        self.seq += 1
        if every_service:
            self.shared.add(path, self.seq, record)
        for number in numbers:
            self.own[number].add(path, self.seq, record)

    def _distribute(self) -> None:
        mesh, reach = self.mesh, self.reach
        selection = mesh["selection"]
        for outer_key, inner in slots(selection["from"]):
            for inner_key, bucket in slots(inner):
                for entry in bucket:
                    self._hand(("from", outer_key, inner_key), entry, reach.targets(*requirements(entry, outer_key)))
        rules_reach: dict[int, tuple[set[int], bool]] = {}
        for name in SELECTIONS:
            for key, bucket in slots(selection[name]):
                for record in bucket:
                    reached = reach.targets(*requirements(record, key))
                    self._hand(("selection", name, key), record, reached)
                    if name == "rules_policies":
                        numbers, every = rules_reach.setdefault(record["policy"], (set(), False))
                        rules_reach[record["policy"]] = (numbers | set(reached[0]), every or reached[1])
        rules = mesh["inbound"]["rules"]
        for kind, by_value in (
            ("exact", rules["exact"]),
            ("prefix", rules["prefix"]["by_value"]),
            ("sni", rules["sni"]),
        ):
            for value, matches in by_value.items():
                for match in matches:
                    numbers, every = rules_reach.get(match["policy"], (set(), False))
                    self._hand(("rules", kind, value), match, (sorted(numbers), every))
        for identity in mesh["inbound"]["identities"]["selectors"]:
            self._hand(("identities",), identity, reach.targets({}, identity["labels"], None))
        for key, bucket in slots(mesh["inbound"]["traffic_permissions"]["select"]):
            for record in bucket:
                self._hand(("permissions", key), record, reach.targets(*requirements(record, key)))
        self._distribute_passthrough()

    def _distribute_passthrough(self) -> None:
        passthrough = self.mesh["outbound"]["mesh_passthrough"]
        policy_reach = {
            int(policy): self.reach.targets(*requirements(selector, ("any",)))
            for policy, selector in passthrough["selectors"].items()
        }
        for policy, selector in passthrough["selectors"].items():
            self._hand(("passthrough", "selectors", policy), selector, policy_reach[int(policy)])
        for family, by_length in passthrough["prefixes"].items():
            for length, by_bits in by_length.items():
                for bits, matches in by_bits.items():
                    for match in matches:
                        self._hand(("prefixes", family, length, bits), match, policy_reach[match["policy"]])
        for name in ("domains", "wildcards"):
            for domain, matches in passthrough[name].items():
                for match in matches:
                    self._hand((name, domain), match, policy_reach[match["policy"]])
        for port, policies in passthrough["layer7_domain_ports"].items():
            for policy in policies:
                self._hand(("layer7", port), policy, policy_reach[policy])

    def document(self, number: int) -> Json:
        """The mesh document of proxy `number`."""
        proxy = self.reach.proxies[number]
        shared = self.shared if proxy.kind == SERVICE else Collected()
        return MeshBuilder(self.mesh, self.own[number], shared, self.mesh_shared).build()


class MeshBuilder:
    """One proxy's records → its mesh document, with the policies table compacted."""

    def __init__(self, mesh: Json, own: Collected, shared: Collected, mesh_shared: MeshShared) -> None:
        self.mesh = mesh
        self.mesh_shared = mesh_shared
        self.records = {path: [record for _, record in records] for path, records in own.records.items()}
        for path, records in shared.records.items():
            mine = own.records.get(path)
            merged = heapq.merge(mine, records) if mine else records
            self.records[path] = [record for _, record in merged]
        self.groups: dict[Path, list[Path]] = {}
        for path in self.records:
            self.groups.setdefault(path[:2] if path[0] == "selection" else path[:1], []).append(path)
        self.rest: list[int] = []
        self.renumber = self._renumbering()

    def _renumbering(self) -> dict[int, int]:
        used: set[int] = set()
        for path, records in self.records.items():
            if path[0] == "layer7":
                used.update(records)
            elif path[0] == "passthrough":
                used.add(int(path[2]))
            else:
                used.update(record["policy"] for record in records if "policy" in record)
        first = self.mesh_shared.first
        self.rest = sorted(used.difference(first))
        return {old: new for new, old in enumerate(self.rest, start=len(first))} | self.mesh_shared.renumber

    def _old(self, new: int) -> int:
        first = self.mesh_shared.first
        return first[new] if new < len(first) else self.rest[new - len(first)]

    def _remapped(self, record: Json) -> Json:
        if "policy" not in record:
            return record
        return {**record, "policy": self.renumber[record["policy"]]}

    def _index(self, template: Mapping[str, Any], prefix: Path, leaf: Any = list) -> Json:
        """A selection index shaped as `template` holding the records under `prefix` + slot key."""
        index: Json = {name: ({} if name != "any" else leaf()) for name in template}
        for path in self.groups.get(prefix, ()):
            _slot(index, path[len(prefix)], list).extend(self._remapped(record) for record in self.records[path])
        return index

    def build(self) -> Json:
        mesh = self.mesh
        selection = {name: self._index(mesh["selection"][name], ("selection", name)) for name in SELECTIONS}
        selection["from"] = self._from_index()
        permissions = self._index(mesh["inbound"]["traffic_permissions"]["select"], ("permissions",))
        kept_permissions = sorted({record["policy"] for record in _records_of(permissions)})
        sources = mesh["inbound"]["traffic_permissions"]["sources"]
        return {
            **{
                key: value for key, value in mesh.items() if key not in ("policies", "selection", "inbound", "outbound")
            },
            "policies": [
                *self.mesh_shared.rows,
                *(mesh["policies"][old] for old in self.rest),
            ],
            "selection": {name: selection[name] for name in mesh["selection"]},
            "inbound": {
                **mesh["inbound"],
                "rules": self._rules(),
                "identities": {
                    **mesh["inbound"]["identities"],
                    "selectors": [self._remapped(r) for r in self.records.get(("identities",), [])],
                },
                "traffic_permissions": {
                    **mesh["inbound"]["traffic_permissions"],
                    "select": permissions,
                    "sources": {str(new): sources[str(self._old(new))] for new in kept_permissions},
                },
            },
            "outbound": {
                **mesh["outbound"],
                **self.mesh_shared.outbound,
                "mesh_passthrough": self._passthrough(),
            },
        }

    def _from_index(self) -> Json:
        template = self.mesh["selection"]["from"]
        index: Json = {name: {} for name in template if name != "any"}
        index["any"] = {"any": [], "by_pair": {}}
        for path in self.groups.get(("from",), ()):
            records = self.records[path]
            inner = _slot(index, path[1], lambda: {"any": [], "by_pair": {}})
            _slot(inner, path[2], list).extend(self._remapped(record) for record in records)
        return index

    def _rules(self) -> Json:
        found: dict[str, dict[str, list[Json]]] = {"exact": {}, "prefix": {}, "sni": {}}
        for path in self.groups.get(("rules",), ()):
            records = self.records[path]
            if path[0] == "rules":
                found[path[1]][path[2]] = [self._remapped(record) for record in records]
        return {
            **self.mesh["inbound"]["rules"],
            "exact": found["exact"],
            "prefix": {"lengths": sorted({len(value) for value in found["prefix"]}), "by_value": found["prefix"]},
            "sni": found["sni"],
        }

    def _passthrough(self) -> Json:
        whole = self.mesh["outbound"]["mesh_passthrough"]
        prefixes: dict[str, dict[str, dict[str, list[Json]]]] = {family: {} for family in whole["prefixes"]}
        names: dict[str, dict[str, list[Json]]] = {"domains": {}, "wildcards": {}}
        selectors: Json = {}
        ports: dict[str, list[int]] = {}
        heads = ("prefixes", "domains", "wildcards", "passthrough", "layer7")
        for path in (path for head in heads for path in self.groups.get((head,), ())):
            records = self.records[path]
            if path[0] == "prefixes":
                _, family, length, bits = path
                prefixes[family].setdefault(length, {})[bits] = [self._remapped(r) for r in records]
            elif path[0] in names:
                names[path[0]][path[1]] = [self._remapped(r) for r in records]
            elif path[0] == "passthrough":
                selectors[str(self.renumber[int(path[2])])] = records[0]
            elif path[0] == "layer7":
                ports[path[1]] = [self.renumber[policy] for policy in records]
        lengths = {family: sorted((int(n) for n in prefixes[family]), reverse=True) for family in prefixes}
        return {
            **whole,
            "selectors": selectors,
            "prefixes": prefixes,
            "prefix_lengths": {family: lengths.get(family, []) for family in whole["prefix_lengths"]},
            **names,
            "layer7_domain_ports": ports,
        }


def external_service_policies(mesh: Json) -> list[int]:
    """The TrafficPermissions that govern ExternalServices, which every proxy's document keeps: they
    come first in every proxy's table, so the ExternalService records are the same in all of them."""
    return sorted({service["policy"] for service in mesh["outbound"]["external_services"] if "policy" in service})


def _slot(index: Json, key: SlotKey, empty: Any) -> Any:
    if key[0] == "any":
        return index["any"]
    if key[0] == "by_name":
        return index.setdefault("by_name", {}).setdefault(key[1], empty())
    return index.setdefault(key[0], {}).setdefault(key[1], {}).setdefault(key[2], empty())


def _records_of(index: Json) -> Iterator[Json]:
    for _, bucket in slots(index):
        yield from bucket


def split_data(data: Json, proxies: list[Proxy]) -> Iterator[SplitDocument]:
    """Every proxy's data document, mesh by mesh; each has the whole one's `format` and `semantics` and
    only its own mesh."""
    by_mesh: dict[str, list[Proxy]] = {}
    for proxy in proxies:
        by_mesh.setdefault(proxy.mesh, []).append(proxy)
    if data.get("format") != DATA_FORMAT:
        raise UnknownData(f"--split cuts data format {DATA_FORMAT}, not {data.get('format')}")
    head = {key: value for key, value in data.items() if key != "meshes"}
    for mesh, members in by_mesh.items():
        distribution = Distribution(data["meshes"][mesh], members)
        for number, proxy in enumerate(members):
            document = {**head, "meshes": {mesh: distribution.document(number)}}
            yield SplitDocument(proxy, document, distribution.mesh_shared)
