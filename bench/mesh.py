"""Synthetic meshes of a chosen size, in Kubernetes form, and the request sets that exercise them.

The mesh grows the way real meshes grow: more services, each with a bounded number of policies that
name it or its clients. A mesh ten times larger has ten times more services, not ten times more
policies on one service. Per service `s` (namespace ``ns = s // 10``):

* MeshTrafficPermission ``svc-<s>`` (namespace ns, role workload-owner, top-level MeshService) with four
  ``from`` entries: MeshService Allow, MeshServiceSubset AllowWithShadowDeny, MeshSubset Deny, MeshService
  Allow;
* every other service: ``svc-<s>-v2`` (top-level MeshServiceSubset ``version: v2``), two entries;
* per namespace: ``ns-<ns>-defaults`` (top-level Mesh in the namespace), two MeshSubset entries;
* per team of 40 services: ``team-<t>`` in the system namespace (top-level MeshSubset team + env: prod,
  origin global or unset), two entries;
* mesh-wide, three system policies whatever the size: ``mesh-monitoring`` (Mesh, origin zone, zone-b),
  ``zone-a-default-deny`` (Mesh, origin zone, zone-a: a catch-all Deny in zone-a only) and
  ``mesh-ingress`` (MeshSubset env: prod);
* every eighth namespace is *legacy* (zone-c, env dev): its services have TrafficPermissions (one in ten
  none at all) and no MeshTrafficPermission selects them;
* every eighth namespace (another one) has moved to *workload identities* (Kuma 2.12+): its services'
  own policy ``svc-<s>`` has ``rules[]`` instead of ``from[]`` (a Dataplane ref by the ``app`` label,
  two Exact allows, a Prefix allow for a client's namespace, an Exact deny), so ``rules`` decide them;
* every seventh service: an ExternalService and the TrafficPermission that governs access to it;
* every third service: a MeshPassthrough (exact and wildcard domains, an IP, a CIDR), and per team one
  more whose wildcard domain is shared by the team.

Generation stops at exactly the requested number of resources (the Mesh counts as one).
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MESH = "default"
SYSTEM_NAMESPACE = "kuma-system"
SERVICES_PER_NAMESPACE = 10
SERVICES_PER_TEAM = 40
FILE_CHUNK = 500  # resources per YAML file, as a GitOps repository would split them

Resource = dict[str, Any]


def namespace_of(s: int) -> int:
    return s // SERVICES_PER_NAMESPACE


def service_name(s: int) -> str:
    ns = namespace_of(s)
    return f"svc-{s:06d}_ns-{ns:05d}_svc_8080"


def service_number(name: str) -> int | None:
    """`s` of service_name(s), or None for a service the generator did not number."""
    match = re.fullmatch(r"svc-([0-9]{6})_ns-[0-9]{5}_svc_8080", name)
    return None if match is None or service_name(int(match[1])) != name else int(match[1])


def team_of(s: int) -> str:
    return f"team-{s // SERVICES_PER_TEAM:04d}"


def is_legacy(s: int) -> bool:
    return namespace_of(s) % 8 == 3


def is_identity(s: int) -> bool:
    return namespace_of(s) % 8 == 5


def spiffe_id(s: int) -> str:
    """The workload identity of service `s` (MeshIdentity's Kubernetes default path)."""
    return f"spiffe://{MESH}.{zone_of(s)}.mesh.local/ns/ns-{namespace_of(s):05d}/sa/svc-{s:06d}"


def dataplane_of(s: int) -> dict[str, Any]:
    """The Dataplane's facts as the check's settings carry them (decision-api.md)."""
    namespace = f"ns-{namespace_of(s):05d}"
    # Kubernetes Dataplane labels: the pod's, plus those Kuma computes (its namespace among them)
    labels = {"app": f"svc-{s:06d}", "k8s.kuma.io/namespace": namespace, "kuma.io/zone": zone_of(s)}
    return {"name": f"svc-{s:06d}-7d9", "namespace": namespace, "labels": labels}


def zone_of(s: int) -> str:
    if is_legacy(s):
        return "zone-c"  # no mesh-wide MeshTrafficPermission reaches it, so TrafficPermissions decide
    return "zone-b" if namespace_of(s) % 3 == 2 else "zone-a"


def env_of(s: int) -> str:
    return "prod" if namespace_of(s) % 2 == 0 else "dev"


def inbound_tags(s: int, version: str = "v1") -> dict[str, str]:
    return {
        "kuma.io/service": service_name(s),
        "k8s.kuma.io/namespace": f"ns-{namespace_of(s):05d}",
        "app": f"svc-{s:06d}",
        "version": version,
        "team": team_of(s),
        "env": env_of(s),
        "kuma.io/zone": zone_of(s),
        "kuma.io/protocol": "http",
    }


def client_tags(s: int, version: str = "v1") -> dict[str, str]:
    """A client's tags as its certificate carries them (one value per key here)."""
    tags = inbound_tags(s, version)
    del tags["kuma.io/protocol"]
    return tags


def clients_of(s: int, services: int) -> list[int]:
    """Five other services that the policies of `s` name as clients (a fixed stride, so far apart)."""
    return [(s + k * 7919) % services for k in range(1, 6)]


def ip_of(s: int) -> str:
    return str(ipaddress.IPv4Address("198.18.0.0") + s)


def cidr_of(s: int) -> str:
    return f"{ipaddress.IPv4Address('10.0.0.0') + s * 256 % (1 << 24)}/24"


def es_host(k: int) -> str:
    return f"es-{k:05d}.partners.test"


def _new_style(
    kind: str, name: str, namespace: str, spec: dict[str, Any], labels: dict[str, str] | None = None
) -> Resource:
    return {
        "apiVersion": "kuma.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": {"kuma.io/mesh": MESH, **(labels or {})}},
        "spec": spec,
    }


def _legacy(kind: str, name: str, spec: dict[str, Any]) -> Resource:
    return {"apiVersion": "kuma.io/v1alpha1", "kind": kind, "mesh": MESH, "metadata": {"name": name}, "spec": spec}


def _entry(target_ref: dict[str, Any], action: str) -> dict[str, Any]:
    return {"targetRef": target_ref, "default": {"action": action}}


@dataclass
class Mesh:
    size: int
    services: int = 0  # the stride base for client names
    generated: int = 0  # services actually generated (the last may be cut short)
    resources: list[Resource] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    external_services: list[tuple[int, int]] = field(default_factory=list)  # (k, owner service)
    passthrough_services: list[int] = field(default_factory=list)
    legacy_with_tp: list[int] = field(default_factory=list)
    legacy_without_tp: list[int] = field(default_factory=list)
    v2_services: list[int] = field(default_factory=list)
    identity_services: list[int] = field(default_factory=list)

    def add(self, resource: Resource) -> bool:
        if len(self.resources) >= self.size:
            return False
        self.resources.append(resource)
        self.counts[resource["kind"]] += 1
        return True

    @property
    def full(self) -> bool:
        return len(self.resources) >= self.size


def generate(size: int) -> Mesh:
    """The mesh with exactly `size` resources: a first pass counts the services that fill it, the
    second names clients among exactly those services."""
    services = _generate(size, size).generated
    return _generate(size, services)


def _generate(size: int, services: int) -> Mesh:
    mesh = Mesh(size=size, services=services)
    mesh.add(
        {
            "apiVersion": "kuma.io/v1alpha1",
            "kind": "Mesh",
            "metadata": {"name": MESH},
            "spec": {
                "mtls": {"enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin"}]},
                "networking": {"outbound": {"passthrough": False}},
            },
        }
    )
    system = [
        _new_style(
            "MeshTrafficPermission",
            "mesh-monitoring",
            SYSTEM_NAMESPACE,
            {
                "targetRef": {"kind": "Mesh"},
                "from": [
                    _entry({"kind": "MeshService", "name": "prometheus_monitoring_svc_9090"}, "Allow"),
                    _entry(
                        {"kind": "MeshSubset", "tags": {"k8s.kuma.io/namespace": "monitoring"}}, "AllowWithShadowDeny"
                    ),
                ],
            },
            {"kuma.io/origin": "zone", "kuma.io/zone": "zone-b"},
        ),
        _new_style(
            "MeshTrafficPermission",
            "zone-a-default-deny",
            SYSTEM_NAMESPACE,
            {"targetRef": {"kind": "Mesh"}, "from": [_entry({"kind": "Mesh"}, "Deny")]},
            {"kuma.io/origin": "zone", "kuma.io/zone": "zone-a"},
        ),
        _new_style(
            "MeshTrafficPermission",
            "mesh-ingress",
            SYSTEM_NAMESPACE,
            {
                "targetRef": {"kind": "MeshSubset", "tags": {"env": "prod"}},
                "from": [_entry({"kind": "MeshService", "name": "edge-gateway_kong_svc_80"}, "Allow")],
            },
        ),
    ]
    for resource in system:
        mesh.add(resource)
    s = 0
    while not mesh.full:
        _add_service(mesh, s % services, s // services)
        s += 1
    mesh.generated = min(services, s)
    return mesh


def _add_service(mesh: Mesh, s: int, lap: int) -> None:
    """The resources of service `s` (lap > 0 only when a tiny size wraps around: then suffixed)."""
    services = mesh.services
    suffix = f"-{lap}" if lap else ""
    ns = namespace_of(s)
    namespace = f"ns-{ns:05d}"
    name = service_name(s)
    clients = [service_name(c) for c in clients_of(s, services)]
    if is_legacy(s):
        if s % 10 == 9:
            if not lap:
                mesh.legacy_without_tp.append(s)
        else:
            ok = mesh.add(
                _legacy(
                    "TrafficPermission",
                    f"legacy-{s:06d}{suffix}",
                    {
                        "sources": [
                            {"match": {"kuma.io/service": clients[0]}},
                            {"match": {"team": team_of(s), "env": "*"}},
                        ],
                        "destinations": [{"match": {"kuma.io/service": name}}],
                    },
                )
            )
            if ok and not lap:
                mesh.legacy_with_tp.append(s)
    else:
        if s % SERVICES_PER_NAMESPACE == 0:
            mesh.add(
                _new_style(
                    "MeshTrafficPermission",
                    f"ns-{ns:05d}-defaults{suffix}",
                    namespace,
                    {
                        "targetRef": {"kind": "Mesh"},
                        "from": [
                            _entry({"kind": "MeshSubset", "tags": {"k8s.kuma.io/namespace": namespace}}, "Allow"),
                            _entry(
                                {"kind": "MeshSubset", "tags": {"team": team_of(s), "env": "prod"}},
                                "AllowWithShadowDeny",
                            ),
                        ],
                    },
                )
            )
        if s % SERVICES_PER_TEAM == 0:
            mesh.add(
                _new_style(
                    "MeshTrafficPermission",
                    f"{team_of(s)}{suffix}",
                    SYSTEM_NAMESPACE,
                    {
                        "targetRef": {"kind": "MeshSubset", "tags": {"team": team_of(s), "env": "prod"}},
                        "from": [
                            _entry({"kind": "MeshSubset", "tags": {"team": team_of(s), "env": "dev"}}, "Allow"),
                            _entry({"kind": "MeshService", "name": clients[4]}, "Deny"),
                        ],
                    },
                    {"kuma.io/origin": "global"} if (s // SERVICES_PER_TEAM) % 2 else None,
                )
            )
        if is_identity(s):
            client_namespace = spiffe_id(clients_of(s, services)[3]).rsplit("/sa/", 1)[0]
            ok = mesh.add(
                _new_style(
                    "MeshTrafficPermission",
                    f"svc-{s:06d}{suffix}",
                    namespace,
                    {
                        "targetRef": {"kind": "Dataplane", "labels": {"app": f"svc-{s:06d}"}},
                        "rules": [
                            {
                                "default": {
                                    "allow": [
                                        {"spiffeID": {"type": "Exact", "value": spiffe_id(c)}}
                                        for c in clients_of(s, services)[:2]
                                    ]
                                    + [{"spiffeID": {"type": "Prefix", "value": client_namespace}}],
                                    "deny": [
                                        {"spiffeID": {"type": "Exact", "value": spiffe_id(clients_of(s, services)[2])}}
                                    ],
                                }
                            }
                        ],
                    },
                )
            )
            if ok and not lap:
                mesh.identity_services.append(s)
        else:
            mesh.add(
                _new_style(
                    "MeshTrafficPermission",
                    f"svc-{s:06d}{suffix}",
                    namespace,
                    {
                        "targetRef": {"kind": "MeshService", "name": name},
                        "from": [
                            _entry({"kind": "MeshService", "name": clients[0]}, "Allow"),
                            _entry(
                                {"kind": "MeshServiceSubset", "name": clients[1], "tags": {"version": "v1"}},
                                "AllowWithShadowDeny",
                            ),
                            _entry(
                                {"kind": "MeshSubset", "tags": {"kuma.io/service": clients[2], "env": "dev"}}, "Deny"
                            ),
                            _entry({"kind": "MeshService", "name": clients[3]}, "Allow"),
                        ],
                    },
                )
            )
            if s % 2 == 0:
                ok = mesh.add(
                    _new_style(
                        "MeshTrafficPermission",
                        f"svc-{s:06d}-v2{suffix}",
                        namespace,
                        {
                            "targetRef": {"kind": "MeshServiceSubset", "name": name, "tags": {"version": "v2"}},
                            "from": [
                                _entry({"kind": "MeshSubset", "tags": {"team": team_of(s), "version": "v1"}}, "Deny"),
                                _entry({"kind": "MeshService", "name": clients[4]}, "Allow"),
                            ],
                        },
                    )
                )
                if ok and not lap:
                    mesh.v2_services.append(s)
    if s % 7 == 0:
        k = s // 7
        es = _legacy(
            "ExternalService",
            f"es-{k:05d}{suffix}",
            {
                "tags": {"kuma.io/service": f"es-{k:05d}", "kuma.io/protocol": "http"},
                "networking": {"address": f"{es_host(k)}:443", "tls": {"enabled": True}},
            },
        )
        tp = _legacy(
            "TrafficPermission",
            f"es-{k:05d}-access{suffix}",
            {
                "sources": [
                    {"match": {"kuma.io/service": name}},
                    {"match": {"kuma.io/service": clients[0]}},
                    {"match": {"team": team_of(s)}},
                ],
                "destinations": [{"match": {"kuma.io/service": f"es-{k:05d}"}}],
            },
        )
        if mesh.add(es) and mesh.add(tp) and not lap:
            mesh.external_services.append((k, s))
    if s % 3 == 0:
        matches = [
            {"type": "Domain", "value": f"api-{s:06d}.example.com", "port": 443, "protocol": "tls"},
            {"type": "Domain", "value": f"*.svc-{s:06d}.example.net", "port": 443, "protocol": "tls"},
            {"type": "Domain", "value": f"hooks-{s:06d}.example.org", "port": 80, "protocol": "http"},
            {"type": "IP", "value": ip_of(s), "port": 5432, "protocol": "tcp"},
            {"type": "CIDR", "value": cidr_of(s), "protocol": "tcp"},
        ]
        ok = mesh.add(
            _new_style(
                "MeshPassthrough",
                f"egress-{s:06d}{suffix}",
                namespace,
                {
                    "targetRef": {"kind": "MeshSubset", "tags": {"kuma.io/service": name}},
                    "default": {"passthroughMode": "Matched", "appendMatch": matches},
                },
            )
        )
        if ok and not lap:
            mesh.passthrough_services.append(s)
    if s % SERVICES_PER_TEAM == 1:
        mesh.add(
            _new_style(
                "MeshPassthrough",
                f"egress-{team_of(s)}{suffix}",
                SYSTEM_NAMESPACE,
                {
                    "targetRef": {"kind": "MeshSubset", "tags": {"team": team_of(s)}},
                    "default": {
                        "appendMatch": [
                            {"type": "Domain", "value": f"*.{team_of(s)}.example.net", "port": 443, "protocol": "tls"}
                        ]
                    },
                },
            )
        )


def write(mesh: Mesh, folder: Path) -> list[Path]:
    """The mesh as multi-document YAML files of FILE_CHUNK resources each."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(0, len(mesh.resources), FILE_CHUNK):
        path = folder / f"policies-{start // FILE_CHUNK:04d}.yaml"
        path.write_text(
            yaml.dump_all(mesh.resources[start : start + FILE_CHUNK], Dumper=yaml.CSafeDumper, sort_keys=False)
        )
        paths.append(path)
    return paths


# --- request sets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    category: str  # e.g. inbound/mtp-first
    position: str  # first, middle or last service of the mesh
    direction: str
    local: dict[str, str]
    client: dict[str, str] | None = None  # inbound
    destination: dict[str, Any] | None = None  # outbound: address, port, host, sni
    expect_reason: str = ""
    expect_policy: str | None = None  # name of the deciding policy, when one decides
    spiffe_id: str | None = None  # inbound: the client's workload identity (its certificate's one URI SAN)
    dataplane: dict[str, Any] | None = None  # inbound: the local Dataplane's facts


def _near(candidates: list[int], where: str, ok: Any = lambda s: True) -> int | None:
    """The first candidate that satisfies `ok`, searching from the first, middle or last element."""
    items = [c for c in candidates if ok(c)]
    if not items:
        return None
    return {"first": items[0], "middle": items[len(items) // 2], "last": items[-1]}[where]


OUTSIDER = {
    "kuma.io/service": "outsider_elsewhere_svc_80",
    "k8s.kuma.io/namespace": "elsewhere",
    "team": "team-none",
    "env": "staging",
    "version": "v9",
    "kuma.io/zone": "zone-b",
}


def requests_for(mesh: Mesh) -> list[Request]:
    """For each category, one request near the first, the middle and the last service of the mesh."""
    services = mesh.services
    all_mtp = [s for s in range(mesh.generated) if not is_legacy(s) and not is_identity(s)]
    requests: list[Request] = []
    for where in ("first", "middle", "last"):
        # first entry: in zone-b (no catch-all), a client that only the lowest-ranked policy (the
        # namespace's defaults, entry 0: same namespace) admits
        s = _near(all_mtp, where, lambda s: zone_of(s) == "zone-b")
        if s is not None:
            requests.append(
                Request(
                    "inbound/mtp-first-entry",
                    where,
                    "inbound",
                    inbound_tags(s),
                    {**OUTSIDER, "k8s.kuma.io/namespace": f"ns-{namespace_of(s):05d}"},
                    expect_reason="allowed-by-policy",
                    expect_policy=f"ns-{namespace_of(s):05d}-defaults",
                )
            )
        # middle entry: the MeshServiceSubset entry (shadow) of the service's own policy
        s = _near(all_mtp, where)
        if s is not None:
            c = clients_of(s, services)[1]
            requests.append(
                Request(
                    "inbound/mtp-middle-entry",
                    where,
                    "inbound",
                    inbound_tags(s),
                    {**client_tags(c, "v1"), "team": "team-none", "env": "staging"},
                    expect_reason="allowed-by-policy",
                    expect_policy=f"svc-{s:06d}",
                )
            )
        # last entry: the last entry of the top-ranked policy (MeshServiceSubset version v2)
        s = _near(mesh.v2_services, where)
        if s is not None:
            c = clients_of(s, services)[4]
            requests.append(
                Request(
                    "inbound/mtp-last-entry",
                    where,
                    "inbound",
                    inbound_tags(s, "v2"),
                    {**client_tags(c, "v2"), "team": "team-none", "env": "staging"},
                    expect_reason="allowed-by-policy",
                    expect_policy=f"svc-{s:06d}-v2",
                )
            )
        # no entry applies: zone-b, a client nothing names
        s = _near(all_mtp, where, lambda s: zone_of(s) == "zone-b")
        if s is not None:
            requests.append(
                Request(
                    "inbound/mtp-no-entry",
                    where,
                    "inbound",
                    inbound_tags(s),
                    dict(OUTSIDER),
                    expect_reason="no-matching-rule",
                    expect_policy=f"svc-{s:06d}",
                )
            )
        # rules[] (workload identities): an Exact allow, a Prefix allow, the deny, nothing matching
        s = _near(mesh.identity_services, where)
        if s is not None:
            named = clients_of(s, services)
            for category, client, reason, policy in (
                ("inbound/rules-exact", spiffe_id(named[0]), "allowed-by-policy", f"svc-{s:06d}"),
                ("inbound/rules-prefix", spiffe_id(named[3]), "allowed-by-policy", f"svc-{s:06d}"),
                ("inbound/rules-deny", spiffe_id(named[2]), "denied-by-policy", f"svc-{s:06d}"),
                (
                    "inbound/rules-no-match",
                    f"spiffe://{MESH}.zone-b.mesh.local/ns/elsewhere/sa/x",
                    "no-matching-rule",
                    f"svc-{s:06d}",
                ),
            ):
                requests.append(
                    Request(
                        category,
                        where,
                        "inbound",
                        inbound_tags(s),
                        expect_reason=reason,
                        expect_policy=policy,
                        spiffe_id=client,
                        dataplane=dataplane_of(s),
                    )
                )
        # legacy TrafficPermission
        s = _near(mesh.legacy_with_tp, where)
        if s is not None:
            c = clients_of(s, services)[0]
            requests.append(
                Request(
                    "inbound/tp-allowed",
                    where,
                    "inbound",
                    inbound_tags(s),
                    {**client_tags(c), "team": "team-none"},
                    expect_reason="allowed-by-policy",
                    expect_policy=f"legacy-{s:06d}",
                )
            )
            requests.append(
                Request(
                    "inbound/tp-no-source",
                    where,
                    "inbound",
                    inbound_tags(s),
                    dict(OUTSIDER),
                    expect_reason="no-matching-rule",
                    expect_policy=f"legacy-{s:06d}",
                )
            )
        s = _near(mesh.legacy_without_tp, where)
        if s is not None:
            requests.append(
                Request(
                    "inbound/no-policy", where, "inbound", inbound_tags(s), dict(OUTSIDER), expect_reason="no-policy"
                )
            )
        # ExternalService by host, allowed and denied
        if mesh.external_services:
            k, owner = {
                "first": mesh.external_services[0],
                "middle": mesh.external_services[len(mesh.external_services) // 2],
                "last": mesh.external_services[-1],
            }[where]
            requests.append(
                Request(
                    "outbound/es-allowed",
                    where,
                    "outbound",
                    inbound_tags(owner),
                    destination={"host": es_host(k), "address": "203.0.113.10", "port": 443},
                    expect_reason="external-service-allowed",
                    expect_policy=f"es-{k:05d}-access",
                )
            )
            requests.append(
                Request(
                    "outbound/es-denied",
                    where,
                    "outbound",
                    {**inbound_tags(owner), "kuma.io/service": "outsider_elsewhere_svc_80", "team": "team-none"},
                    destination={"sni": es_host(k), "address": "203.0.113.10", "port": 443},
                    expect_reason="external-service-denied",
                    expect_policy=f"es-{k:05d}-access",
                )
            )
        s = _near(mesh.passthrough_services, where)
        if s is not None:
            local = inbound_tags(s)
            policy = f"egress-{s:06d}"
            cidr = ipaddress.ip_network(cidr_of(s))
            for category, destination in (
                ("pt-ip", {"address": ip_of(s), "port": 5432}),
                ("pt-cidr", {"address": str(cidr.network_address + 77), "port": 6379}),
                ("pt-domain", {"address": "203.0.113.20", "port": 443, "sni": f"api-{s:06d}.example.com"}),
                ("pt-wildcard", {"address": "203.0.113.21", "port": 443, "sni": f"eu.v1.svc-{s:06d}.example.net"}),
            ):
                requests.append(
                    Request(
                        f"outbound/{category}",
                        where,
                        "outbound",
                        local,
                        destination=destination,
                        expect_reason="passthrough-allowed",
                        expect_policy=policy,
                    )
                )
            requests.append(
                Request(
                    "outbound/pt-no-match",
                    where,
                    "outbound",
                    local,
                    destination={"address": "203.0.113.22", "port": 443, "sni": "evil.example.org"},
                    expect_reason="passthrough-blocked",
                    expect_policy=policy,
                )
            )
    return requests
