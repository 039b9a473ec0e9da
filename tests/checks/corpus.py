"""A seeded corpus of Kuma documents for the differential runs: all five kinds and the envelope, in both
YAML forms, each field drawn from valid values and from the mistakes users make (types, typos, values
Kuma's parsers refuse). Every document is a file of its own, so that conftest's per-document results
and gen-bundle's diagnostics can be compared document by document.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from tests.support import kuma_yaml

Value = Any
ABSENT = object()  # a field left out


def pick(rng: random.Random, good: list[Value], bad: list[Value], bad_share: float = 0.25) -> Value:
    return rng.choice(bad if bad and rng.random() < bad_share else good)


NAMES = ["web", "orders", "a-1", "x.y"]
BAD_NAMES = ["Web", "a_b", "", 5, None, "web\n", "-a", "a" * 254]
MESHES = ["default", "payments", "my_mesh"]
BAD_MESHES = ["Payments", "", 7, {"name": "x"}]
NAMESPACES = ["kuma-system", "shop", "kong-mesh-system"]
BAD_NAMESPACES = ["Shop", "", "a_b", 3]
TAG_KEYS = ["kuma.io/service", "app", "env", "version", "k8s.kuma.io/namespace"]
BAD_TAG_KEYS = ["", "a b", "ü"]
TAG_VALUES = ["web", "prod", "v1", "orders_ns_svc_80", "a:b"]
BAD_TAG_VALUES = ["", "a/b", "*", "a b", "web\n", 1, True, None]
KIND_TYPOS = ["MeshTraficPermission", "meshtrafficpermission", "TraficPermission", "Meshpassthrough", "Frobnicator"]


def tags(rng: random.Random, bad_share: float = 0.2) -> Value:
    if rng.random() < 0.05:
        return rng.choice([["app"], "app=web", None])
    return {
        pick(rng, TAG_KEYS, BAD_TAG_KEYS, bad_share / 2): pick(rng, TAG_VALUES, BAD_TAG_VALUES, bad_share)
        for _ in range(rng.randint(0, 3))
    }


def target_ref(rng: random.Random, kinds: list[str]) -> Value:
    if rng.random() < 0.05:
        return rng.choice([None, "Mesh", [{"kind": "Mesh"}]])
    kind = pick(rng, kinds, ["Meshh", "", 5, "MeshGateway", "Dataplane", "MeshHTTPRoute"], 0.15)
    ref: dict[str, Any] = {} if rng.random() < 0.05 else {"kind": kind}
    if kind in ("MeshService", "MeshServiceSubset") or rng.random() < 0.1:
        ref["name"] = pick(rng, ["web", "orders", "backend_ns_svc_80"], ["Web", "", 5, "web\n"], 0.2)
    if kind in ("MeshSubset", "MeshServiceSubset") or rng.random() < 0.1:
        ref["tags"] = tags(rng)
    for field, choices in (
        ("proxyTypes", [["Sidecar"], ["Gateway"], [], ["sidecar"], "Sidecar", ["Sidecar", "Gateway"]]),
        ("labels", [{"app": "web"}, {}]),
        ("namespace", ["shop", ""]),
        ("sectionName", ["http"]),
        ("mesh", ["default", ""]),
        ("selector", [{}]),
    ):
        if rng.random() < 0.07:
            ref[field] = rng.choice(choices)
    return ref


def mtp_spec(rng: random.Random) -> Value:
    roll = rng.random()
    if roll < 0.04:
        return rng.choice([None, "spec", []])
    spec: dict[str, Any] = {}
    if rng.random() < 0.7:
        spec["targetRef"] = target_ref(rng, ["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset"])
    if rng.random() < 0.9:
        entries: list[Any] = []
        for _ in range(rng.randint(0, 4)):
            if rng.random() < 0.05:
                entries.append(rng.choice(["Allow", None, 3]))
                continue
            entry: dict[str, Any] = {}
            if rng.random() < 0.95:
                entry["targetRef"] = target_ref(rng, ["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset"])
            roll = rng.random()
            if roll < 0.85:
                entry["default"] = {"action": pick(rng, ["Allow", "Deny", "AllowWithShadowDeny"], ["allow", 1, None])}
            elif roll < 0.92:
                entry["default"] = rng.choice([{}, "Allow", {"action": "Allow", "extra": 1}])
            if rng.random() < 0.03:
                entry["defaults"] = {}
            entries.append(entry)
        spec["from"] = entries if rng.random() < 0.95 else {"targetRef": {"kind": "Mesh"}}
    if rng.random() < 0.07:
        spec["rules"] = [
            {
                "default": {
                    rng.choice(["allow", "deny"]): [{"spiffeID": {"type": "Exact", "value": "spiffe://default/web"}}]
                }
            }
        ]
    if rng.random() < 0.03:
        spec["to"] = []
    return spec


def passthrough_spec(rng: random.Random) -> Value:
    if rng.random() < 0.04:
        return rng.choice([None, "spec"])
    spec: dict[str, Any] = {}
    if rng.random() < 0.5:
        spec["targetRef"] = target_ref(rng, ["Mesh", "MeshSubset"])
    default: dict[str, Any] = {}
    if rng.random() < 0.6:
        default["passthroughMode"] = pick(rng, ["All", "Matched", "None"], ["all", "Sometimes", 1])
    if rng.random() < 0.8:
        matches = []
        for _ in range(rng.randint(0, 4)):
            kind = pick(rng, ["Domain", "IP", "CIDR"], ["Host", 5], 0.1)
            value = {
                "Domain": pick(rng, ["api.example.com", "*.example.com"], ["*", "*.*.a.com", "*w.a.com", "1.2.3.4"]),
                "IP": pick(rng, ["10.0.0.1", "::1", "fd00::1"], ["10.0.0.300", "fe80::1%eth0", "01.2.3.4"]),
                "CIDR": pick(rng, ["10.0.0.0/8", "fd00::/64", "10.0.0.1/24"], ["10.0.0.0/255.0.0.0", "10.0.0.0", "x"]),
            }.get(kind, "x")
            match: dict[str, Any] = {"type": kind, "value": value}
            if rng.random() < 0.6:
                match["port"] = pick(rng, [80, 443, 3306], [0, 70000, "443", 1.5])
            if rng.random() < 0.7:
                match["protocol"] = pick(rng, ["tcp", "tls", "http", "http2", "grpc", "mysql"], ["udp", 3])
            if rng.random() < 0.02:
                match["extra"] = True
            matches.append(match)
        default["appendMatch"] = matches if rng.random() < 0.95 else {"type": "IP"}
    if rng.random() < 0.95:
        spec["default"] = default
    return spec


def selectors(rng: random.Random) -> Value:
    if rng.random() < 0.05:
        return rng.choice([[], {"match": {}}, None])
    return [
        {"match": tags(rng)} if rng.random() < 0.95 else rng.choice(["x", {"matches": {}}])
        for _ in range(rng.randint(1, 3))
    ]


def tp_fields(rng: random.Random) -> dict[str, Any]:
    fields = {"sources": selectors(rng), "destinations": selectors(rng)}
    if rng.random() < 0.03:
        fields["extra"] = 1
    return {key: value for key, value in fields.items() if value is not None}


def es_fields(rng: random.Random) -> dict[str, Any]:
    address = pick(
        rng,
        ["httpbin.org:443", "10.0.0.1:80", "[::1]:8080", "api.example.com:443"],
        ["httpbin.org", "example.com:²", "example.com:٤٤٣", "[fe80::1%eth0]:443", "x:0", "a.com:70000", "", 443],
        0.3,
    )
    networking: dict[str, Any] = {"address": address}
    if rng.random() < 0.2:
        networking["tls"] = rng.choice(
            [{"enabled": True}, {"enabled": "yes"}, {"serverName": ""}, {"caCert": {}}, {"caCert": {"inline": "eA=="}}]
        )
    service = pick(rng, ["httpbin", "api"], ["httpbin.org", "", "a/b"], 0.2)
    es_tags: dict[str, Any] = {"kuma.io/service": service} if rng.random() < 0.9 else {}
    if rng.random() < 0.3:
        es_tags["kuma.io/protocol"] = pick(rng, ["http", "tcp", "TLS"], ["udp", ""])
    fields: dict[str, Any] = {"tags": es_tags}
    if rng.random() < 0.95:
        fields["networking"] = networking if rng.random() < 0.95 else "httpbin.org:443"
    return fields


def mesh_fields(rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if rng.random() < 0.8:
        backends = [
            {
                key: value
                for key, value in {
                    "name": pick(rng, ["ca-1", "ca-2"], ["", 7]),
                    "type": pick(rng, ["builtin", "provided"], ["", 7]),
                    "mode": pick(rng, ["STRICT", "PERMISSIVE"], ["LENIENT", 1]) if rng.random() < 0.4 else ABSENT,
                }.items()
                if value is not ABSENT
            }
            for _ in range(rng.randint(0, 2))
        ]
        mtls: dict[str, Any] = {"backends": backends}
        if rng.random() < 0.7:
            mtls["enabledBackend"] = pick(rng, ["ca-1", ""], ["ca-9", 3])
        fields["mtls"] = mtls
    if rng.random() < 0.3:
        fields["networking"] = {"outbound": {"passthrough": pick(rng, [True, False], ["no", 1])}}
    if rng.random() < 0.03:
        fields["unknownSetting"] = True
    return fields


KINDS: dict[str, tuple[bool, Callable[[random.Random], Any]]] = {
    # kind: (new style?, the kind's own fields)
    "MeshTrafficPermission": (True, mtp_spec),
    "MeshPassthrough": (True, passthrough_spec),
    "TrafficPermission": (False, tp_fields),
    "ExternalService": (False, es_fields),
    "Mesh": (False, mesh_fields),
}


def labels(rng: random.Random) -> Value:
    if rng.random() < 0.03:
        return rng.choice([["x"], {"tier": 3}])
    found: dict[str, Any] = {}
    if rng.random() < 0.1:
        found["kuma.io/origin"] = rng.choice(["zone", "global", "zones"])
    if rng.random() < 0.05:
        found["kuma.io/effect"] = "shadow"
    return found


def document(rng: random.Random) -> Any:
    if rng.random() < 0.02:
        return rng.choice([["a list"], 42, "text", {"plain": "mapping"}])
    kind = rng.choice(list(KINDS))
    new_style, fields_of = KINDS[kind]
    fields = fields_of(rng)
    written_kind: Any = kind if rng.random() > 0.03 else rng.choice(KIND_TYPOS)
    name = pick(rng, NAMES, BAD_NAMES, 0.08)
    mesh = pick(rng, MESHES, BAD_MESHES, 0.05)
    if rng.random() < 0.5:  # Universal
        resource: dict[str, Any] = {"type": written_kind, "name": name}
        if kind != "Mesh" and rng.random() < 0.8:
            resource["mesh"] = mesh
        if rng.random() < 0.3:
            resource["labels"] = labels(rng)
        if kind == "TrafficPermission" and rng.random() < 0.2:
            resource["creationTime"] = rng.choice(["2024-01-01T00:00:00Z", "2024-01-01", 12])
        if new_style:
            if fields is not None or rng.random() < 0.5:
                resource["spec"] = fields
        else:
            resource.update(fields)
        if rng.random() < 0.02:
            resource["nmae"] = "typo"
        return resource
    api = "kuma.io/v1alpha1" if rng.random() > 0.03 else rng.choice(["kuma.io/v1", "example.com/v1", None])
    resource = {"kind": written_kind}
    if api is not None:
        resource = {"apiVersion": api, **resource}
    metadata: dict[str, Any] = {"name": name}
    if new_style:
        metadata["namespace"] = pick(rng, NAMESPACES, BAD_NAMESPACES, 0.05)
        extra = labels(rng) if rng.random() < 0.3 else {}
        metadata["labels"] = {"kuma.io/mesh": mesh, **extra} if isinstance(extra, dict) else extra
    elif kind != "Mesh":
        resource["mesh"] = mesh
    resource["metadata"] = metadata if rng.random() > 0.02 else "meta"
    resource["spec"] = fields
    if new_style and rng.random() < 0.05:
        resource["mesh"] = "payments"  # the misplaced mesh of issue #12
    return resource


def generate(seed: int, count: int) -> list[str]:
    """`count` YAML texts, one document each."""
    rng = random.Random(seed)
    return [kuma_yaml.dump(document(rng)) for _ in range(count)]
