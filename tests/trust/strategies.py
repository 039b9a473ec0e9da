"""Hypothesis strategies: random policy sets of every kind gen-bundle compiles, in both YAML forms, and
random checks against them, drawn from small universes of tags, names and addresses so that policies,
clients and destinations collide often (which is where precedence and matching rules matter).

Every policy set is valid input: the strategies respect Kuma's validation (spec B §5.2, §6.1, §7, §8.2),
and the differential test fails loudly if gen-bundle reports an error for one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from tests.reference_model import Resource as ModelResource
from tests.reference_model import external_address, is_ip, read_resources, ref_tags

Resource = dict[str, Any]
Check = dict[str, Any]

MESHES = ["default", "other"]
SERVICES = ["web", "api", "db"]
TAG_VALUES = {"version": ["v1", "v2"], "env": ["dev", "prod"], "team": ["x", "y"]}
ZONES = ["z1", "z2"]
WORKLOAD_NAMESPACES = ["ns-a", "ns-b"]
K8S_NAMESPACES = [None, "kuma-system", "kong-mesh-system", *WORKLOAD_NAMESPACES]
POLICY_NAMES = ["a", "b", "c", "allow", "zed", "a-1"]  # Kuma's names are RFC 1123 subdomains
DISPLAY_NAMES = [*POLICY_NAMES, "Zed"]  # a display-name label may sort before them all
CREATION_TIMES = [None, "2024-01-01T00:00:00Z", "2025-06-01T00:00:00Z"]
ACTIONS = ["Allow", "Deny", "AllowWithShadowDeny"]

EXTERNAL_SERVICES = ["httpbin", "ext-api", "billing"]
EXTERNAL_ADDRESSES = [
    "httpbin.org:443",
    "api.example.com:443",
    "api.example.com:8443",
    "other.org:80",
    "203.0.113.7:443",
    "198.51.100.7:8443",
    "[2001:db8::7]:443",
    "[2001:DB8::7]:443",
    "[2001:db8:0:0::7]:443",  # the same address written longer (scenario external-service-ipv6-spelling)
]
IPS = ["203.0.113.7", "198.51.100.7", "10.1.2.3", "10.1.9.9", "192.0.2.1", "2001:db8::7", "2001:db8::5", "2001:db9::1"]
CIDRS = [
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.0/24",
    "10.1.2.9/24",
    "203.0.113.0/24",
    "198.51.100.7/32",
    "0.0.0.0/0",
    "2001:db8::/32",
    "2001:db8::/64",
]
DOMAINS = ["api.example.com", "example.com", "*.example.com", "*.api.example.com", "other.org", "API.Example.COM"]
PORTS = [80, 443, 8443]
MATCH_PROTOCOLS = ["tcp", "tls", "http", "http2", "grpc", "mysql"]
LAYER7 = {"http", "http2", "grpc"}
HOSTS = [
    "api.example.com",
    "x.api.example.com",
    "deep.x.api.example.com",
    "example.com",
    "other.org",
    "httpbin.org",
    "API.Example.com",
    "httpbin.mesh",
    "ext-api.mesh",
    "203.0.113.7",
    "[2001:db8::7]",
]


# Hypothesis draws the first element of sampled_from (its simplest) more often than the others, and
# shrinks towards it: the common case goes first.
POLICY_MESHES = st.sampled_from(["default", "default", "default", "other"])
REQUEST_MESHES = st.sampled_from(["default", "default", "default", "default", "other", "other", "nowhere"])


def often(odds: int) -> st.SearchStrategy[bool]:
    """True `odds` times in `odds + 1`."""
    return st.sampled_from([True] * odds + [False])


def rarely(odds: int) -> st.SearchStrategy[bool]:
    """True once in `odds + 1`."""
    return st.sampled_from([False] * odds + [True])


# --- tags -----------------------------------------------------------------------------------------


@st.composite
def tag_pairs(
    draw: st.DrawFn, *, star: bool = False, service: bool = True, min_size: int = 0, services: list[str] = SERVICES
) -> dict[str, str]:
    """Up to three pairs (one value per key); `star`: values may be "*" (selectors)."""
    keys = [*TAG_VALUES, "kuma.io/service"] if service else list(TAG_VALUES)
    chosen = draw(st.lists(st.sampled_from(keys), min_size=min_size, max_size=3, unique=True))
    pairs = {}
    for key in chosen:
        values = services if key == "kuma.io/service" else TAG_VALUES[key]
        pairs[key] = draw(st.sampled_from([*values, "*"] if star else values))
    return pairs


@st.composite
def local_tags(draw: st.DrawFn) -> dict[str, str]:
    """A local inbound: kuma.io/service (almost always), some tags, maybe a zone and a namespace."""
    tags = draw(tag_pairs(service=False))
    if draw(often(29)):
        tags["kuma.io/service"] = draw(st.sampled_from(SERVICES))
    if draw(st.booleans()):
        tags["kuma.io/zone"] = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        tags["k8s.kuma.io/namespace"] = draw(st.sampled_from(WORKLOAD_NAMESPACES))
    return tags


@st.composite
def client_tags(draw: st.DrawFn) -> dict[str, str | list[str]]:
    """A client certificate's tags: one or two services (rarely none), up to two values per key."""
    tags: dict[str, str | list[str]] = {}
    at_least = 1 if draw(often(19)) else 0
    services = draw(st.lists(st.sampled_from(SERVICES), min_size=at_least, max_size=2, unique=True))
    if services:
        tags["kuma.io/service"] = services if len(services) > 1 else services[0]
    for key, values in TAG_VALUES.items():
        chosen = draw(st.lists(st.sampled_from(values), max_size=2, unique=True))
        if chosen:
            tags[key] = chosen if len(chosen) > 1 else chosen[0]
    if draw(st.booleans()):
        tags["kuma.io/zone"] = draw(st.sampled_from(ZONES))
    return tags


# --- resources ----------------------------------------------------------------------------------------


@st.composite
def placement(draw: st.DrawFn) -> dict[str, Any]:
    """Form, namespace (Kubernetes new-style kinds) and the labels that place a new-style policy."""
    form = draw(st.sampled_from(["universal", "kubernetes"]))
    labels: dict[str, str] = {}
    origin = draw(st.sampled_from([None, None, "global", "zone", "zone", "elsewhere"]))
    if origin is not None:
        labels["kuma.io/origin"] = origin
    zone = draw(st.sampled_from([None, *ZONES]))
    if zone is not None:
        labels["kuma.io/zone"] = zone
    if draw(rarely(3)):
        labels["kuma.io/display-name"] = draw(st.sampled_from(DISPLAY_NAMES))
    if draw(rarely(24)):
        labels["kuma.io/effect"] = "shadow"
    namespace = draw(st.sampled_from(K8S_NAMESPACES)) if form == "kubernetes" else None
    return {"form": form, "labels": labels, "namespace": namespace}


@st.composite
def proxy_types(draw: st.DrawFn) -> dict[str, Any]:
    if not draw(rarely(9)):
        return {}
    return {"proxyTypes": draw(st.sampled_from([["Sidecar"], ["Gateway"], ["Sidecar", "Gateway"]]))}


@st.composite
def mtp_target_ref(draw: st.DrawFn) -> dict[str, Any] | None:
    kind = draw(st.sampled_from([None, "Mesh", "Mesh", "MeshSubset", "MeshService", "MeshServiceSubset"]))
    if kind is None:
        return None
    if kind == "Mesh":
        return {"kind": "Mesh", **draw(proxy_types())}
    if kind == "MeshSubset":
        return {"kind": "MeshSubset", "tags": draw(tag_pairs(min_size=0)), **draw(proxy_types())}
    if kind == "MeshService":
        return {"kind": "MeshService", "name": draw(st.sampled_from(SERVICES))}
    tags = draw(tag_pairs(star=True, service=False, min_size=1))
    return {"kind": "MeshServiceSubset", "name": draw(st.sampled_from(SERVICES)), "tags": tags}


@st.composite
def from_target_ref(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Mesh", "MeshSubset", "MeshSubset", "MeshService", "MeshServiceSubset"]))
    if kind == "Mesh":
        return {"kind": "Mesh"}
    if kind == "MeshSubset":
        return {"kind": "MeshSubset", "tags": draw(tag_pairs())}
    if kind == "MeshService":
        return {"kind": "MeshService", "name": draw(st.sampled_from(SERVICES))}
    tags = draw(tag_pairs(star=True, service=False))
    return {"kind": "MeshServiceSubset", "name": draw(st.sampled_from(SERVICES)), "tags": tags}


def render(kind: str, name: str, mesh: str, where: dict[str, Any], fields: dict[str, Any]) -> Resource:
    """A resource in the drawn form; `fields` are the kind's own (spec) fields."""
    legacy = kind in ("Mesh", "TrafficPermission", "ExternalService")
    created = fields.pop("creationTime", None)
    if where["form"] == "universal":
        resource: Resource = {"type": kind, "name": name}
        if kind != "Mesh":
            resource["mesh"] = mesh
        if where.get("labels"):
            resource["labels"] = where["labels"]
        if created:
            resource["creationTime"] = created
        if legacy:
            resource.update(fields)
        else:
            resource["spec"] = fields
        return resource
    metadata: dict[str, Any] = {"name": name}
    labels = dict(where.get("labels") or {})
    if not legacy:
        if where.get("namespace"):
            metadata["namespace"] = where["namespace"]
        if mesh != "default" or labels:
            labels["kuma.io/mesh"] = mesh
    if labels:
        metadata["labels"] = labels
    if created:
        metadata["creationTimestamp"] = created
    resource = {"apiVersion": "kuma.io/v1alpha1", "kind": kind}
    if kind in ("TrafficPermission", "ExternalService"):
        resource["mesh"] = mesh
    resource["metadata"] = metadata
    resource["spec"] = fields
    return resource


@st.composite
def mesh_resource(draw: st.DrawFn, name: str) -> Resource:
    fields: dict[str, Any] = {}
    mode = draw(st.sampled_from(["strict", "PERMISSIVE", "STRICT", "disabled"]))
    if mode != "disabled":
        backend: dict[str, Any] = {"name": "ca-1", "type": "builtin"}
        if mode != "strict":
            backend["mode"] = mode
        fields["mtls"] = {"enabledBackend": "ca-1", "backends": [backend]}
    passthrough = draw(st.sampled_from([None, True, False]))
    if passthrough is not None:
        fields["networking"] = {"outbound": {"passthrough": passthrough}}
    return render("Mesh", name, name, {"form": draw(st.sampled_from(["universal", "kubernetes"]))}, fields)


@st.composite
def mesh_traffic_permission(draw: st.DrawFn) -> Resource:
    where = draw(placement())
    spec: dict[str, Any] = {}
    target_ref = draw(mtp_target_ref())
    if target_ref is not None:
        spec["targetRef"] = target_ref
    spec["from"] = [
        {"targetRef": draw(from_target_ref()), "default": {"action": draw(st.sampled_from(ACTIONS))}}
        for _ in range(draw(st.integers(1, 3)))
    ]
    name, mesh = draw(st.sampled_from(POLICY_NAMES)), draw(POLICY_MESHES)
    return render("MeshTrafficPermission", name, mesh, where, spec)


@st.composite
def traffic_permission(draw: st.DrawFn) -> Resource:
    where = {"form": draw(st.sampled_from(["universal", "kubernetes"]))}
    # Destinations select inbounds or ExternalServices (by their tags).
    destination = tag_pairs(star=True, min_size=1, services=[*SERVICES, *EXTERNAL_SERVICES])
    fields: dict[str, Any] = {
        "sources": [{"match": draw(tag_pairs(star=True, min_size=1))} for _ in range(draw(st.integers(1, 2)))],
        "destinations": [{"match": draw(destination)} for _ in range(draw(st.integers(1, 2)))],
    }
    created = draw(st.sampled_from(CREATION_TIMES))
    if created:
        fields["creationTime"] = created
    name, mesh = draw(st.sampled_from(POLICY_NAMES)), draw(POLICY_MESHES)
    return render("TrafficPermission", name, mesh, where, fields)


@st.composite
def external_service(draw: st.DrawFn) -> Resource:
    where = {"form": draw(st.sampled_from(["universal", "kubernetes"]))}
    tags = {"kuma.io/service": draw(st.sampled_from(EXTERNAL_SERVICES)), **draw(tag_pairs(service=False))}
    fields = {"tags": tags, "networking": {"address": draw(st.sampled_from(EXTERNAL_ADDRESSES))}}
    name, mesh = draw(st.sampled_from(["es-a", "es-b", "es-c"])), draw(POLICY_MESHES)
    return render("ExternalService", name, mesh, where, fields)


@st.composite
def external_service_permission(draw: st.DrawFn, service: Resource) -> Resource:
    tags = (service.get("spec") or service)["tags"]
    where = {"form": draw(st.sampled_from(["universal", "kubernetes"]))}
    fields: dict[str, Any] = {
        "sources": [{"match": draw(tag_pairs(star=True, min_size=1))} for _ in range(draw(st.integers(1, 2)))],
        "destinations": [{"match": {"kuma.io/service": tags["kuma.io/service"]}}],
    }
    name = f"to-{tags['kuma.io/service']}-{draw(st.sampled_from(POLICY_NAMES))}"
    return render("TrafficPermission", name, identity(service)[1], where, fields)


@st.composite
def passthrough_match(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["IP", "CIDR", "Domain", "Domain"]))
    value = draw(st.sampled_from({"IP": IPS, "CIDR": CIDRS, "Domain": DOMAINS}[kind]))
    match: dict[str, Any] = {"type": kind, "value": value}
    port = draw(st.sampled_from([None, *PORTS]))
    if port is not None:
        match["port"] = port
    protocol = draw(st.sampled_from([None, *MATCH_PROTOCOLS]))
    if protocol is not None:
        match["protocol"] = protocol
    return match


def valid_matches(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adjust or drop matches Kuma's validator would refuse (spec B §8.2, A8), in list order."""
    kept: list[dict[str, Any]] = []
    for raw in matches:
        match = dict(raw)
        protocol = match.get("protocol", "tcp")
        if match["type"] == "Domain" and protocol in ("tcp", "mysql"):
            protocol = match["protocol"] = "tls"
        if protocol == "mysql" and "port" not in match:
            match["port"] = 443
        if match["type"] == "Domain" and match["value"].startswith("*") and protocol in LAYER7 and "port" not in match:
            match["port"] = 443
        port = match.get("port")
        if port is not None:
            on_port = [m.get("protocol", "tcp") for m in kept if m.get("port") == port]
            plain = [p for p in on_port if p not in LAYER7]
            earlier = plain[-1] if plain else (on_port[0] if on_port else None)
            if protocol in LAYER7 and earlier is not None and earlier != protocol:
                continue
            if any(
                (m.get("port"), m.get("protocol", "tcp"), m["value"]) == (port, protocol, match["value"]) for m in kept
            ):
                continue
        kept.append(match)
    return kept


@st.composite
def mesh_passthrough(draw: st.DrawFn) -> Resource:
    where = draw(placement())
    spec: dict[str, Any] = {}
    kind = draw(st.sampled_from([None, "Mesh", "MeshSubset"]))
    if kind == "Mesh":
        spec["targetRef"] = {"kind": "Mesh", **draw(proxy_types())}
    elif kind == "MeshSubset":
        spec["targetRef"] = {"kind": "MeshSubset", "tags": draw(tag_pairs(min_size=1))}
    conf: dict[str, Any] = {}
    mode = draw(st.sampled_from([None, None, "All", "Matched", "Matched", "None"]))
    if mode is not None:
        conf["passthroughMode"] = mode
    matches = valid_matches(draw(st.lists(passthrough_match(), max_size=5)))
    listed: bool = draw(st.booleans())  # an empty list blocks everything, an absent one too
    if matches or listed:
        conf["appendMatch"] = matches
    spec["default"] = conf
    name, mesh = draw(st.sampled_from(POLICY_NAMES)), draw(POLICY_MESHES)
    return render("MeshPassthrough", name, mesh, where, spec)


def identity(resource: Resource) -> tuple[str, str, str, str]:
    """What makes two resources the same one (gen-bundle refuses duplicates)."""
    if "type" in resource:
        kind, name, namespace = resource["type"], resource["name"], ""
        mesh = "" if kind == "Mesh" else resource.get("mesh", "default")
    else:
        kind, metadata = resource["kind"], resource["metadata"]
        name, namespace = metadata["name"], metadata.get("namespace") or ""
        if kind == "Mesh":
            mesh = ""
        elif kind in ("TrafficPermission", "ExternalService"):
            mesh = resource["mesh"]
        else:
            mesh = (metadata.get("labels") or {}).get("kuma.io/mesh", "default")
    return kind, mesh, namespace, name


@st.composite
def policy_sets(draw: st.DrawFn) -> list[Resource]:
    """Meshes (some left undefined), then up to 9 policies of every kind, duplicates dropped."""
    resources: list[Resource] = []
    for mesh in MESHES:
        if draw(often(4)):
            resources.append(draw(mesh_resource(mesh)))
    kinds = st.sampled_from(
        [*[mesh_traffic_permission] * 3, *[traffic_permission] * 2, *[external_service] * 2, *[mesh_passthrough] * 2]
    )
    for _ in range(draw(st.sampled_from([5, 7, 9, 4, 6, 8, 3, 2, 1, 0]))):
        resources.append(draw(draw(kinds)()))
    # Permissions aimed at the ExternalServices drawn, so that access is granted as well as refused.
    for resource in list(resources):
        if identity(resource)[0] == "ExternalService" and draw(st.booleans()):
            resources.append(draw(external_service_permission(resource)))
    unique: dict[tuple[str, str, str, str], Resource] = {}
    for resource in resources:
        unique.setdefault(identity(resource), resource)
    return list(unique.values())


# --- checks ---------------------------------------------------------------------------------------------


@st.composite
def inbound_checks(draw: st.DrawFn) -> Check:
    check: Check = {"inbound": draw(local_tags())}
    mesh = draw(REQUEST_MESHES)
    if mesh != "default":
        check["mesh"] = mesh
    identity_kind = draw(st.sampled_from(["certificate"] * 6 + ["principal", "none"]))
    if identity_kind != "none" or draw(st.booleans()):
        check["client"] = draw(client_tags())
    if identity_kind != "certificate":
        check["identity"] = identity_kind
    if draw(rarely(9)):
        check["client_mesh"] = draw(st.sampled_from(MESHES))
    if draw(rarely(5)):
        check["http"] = False  # a network (TCP) check: no HTTP request at all
    elif draw(rarely(4)):
        # Forged identity headers: the decision must not change (never read).
        check["headers"] = {
            "x-kuma-tags": "&kuma.io/service=web&&team=x&",
            "x-forwarded-client-cert": "URI=spiffe://default/web",
        }
    return check


@st.composite
def outbound_checks(draw: st.DrawFn) -> Check:
    destination: dict[str, Any] = {"address": draw(st.sampled_from(IPS)), "port": draw(st.sampled_from(PORTS))}
    shape = draw(st.sampled_from(["http", "http", "tls", "tcp"]))
    if shape == "http":
        host = draw(st.sampled_from(HOSTS))
        if draw(st.booleans()):
            host += f":{draw(st.sampled_from(PORTS))}"
        destination["host"] = host
        variant = draw(st.sampled_from(["HTTP/1.1", "HTTP/2", "grpc"]))
        if variant == "grpc":
            destination.update(protocol="HTTP/2", content_type="application/grpc+proto")
        else:
            destination["protocol"] = variant
    if shape == "tls" or (shape == "http" and draw(rarely(4))):
        destination["sni"] = draw(st.sampled_from([host for host in HOSTS if not host.startswith(("[", "2"))]))
    check: Check = {"direction": "outbound", "local": draw(local_tags()), "destination": destination}
    mesh = draw(REQUEST_MESHES)
    if mesh != "default":
        check["mesh"] = mesh
    return check


def concrete(tags: Mapping[str, str], draw: st.DrawFn) -> dict[str, str]:
    """A tag set that satisfies a requirement: "*" (present with any value) becomes a value."""
    values = {**TAG_VALUES, "kuma.io/service": SERVICES}
    return {
        key: draw(st.sampled_from(values.get(key, ["v1"]))) if value == "*" else value for key, value in tags.items()
    }


@st.composite
def aimed_inbound_checks(draw: st.DrawFn, resources: list[Resource]) -> Check:
    """An inbound that some policy selects, and a client that some entries or sources name."""
    policies = [r for r in read_resources(resources) if r.kind in ("MeshTrafficPermission", "TrafficPermission")]
    policy = draw(st.sampled_from(policies))
    if policy.kind == "TrafficPermission":
        selected = draw(st.sampled_from(policy.spec["destinations"]))["match"]
    else:
        selected = policy.inbound_requirement()
        if policy.zone and draw(st.booleans()):
            selected = {**selected, "kuma.io/zone": policy.zone}
    local = {**draw(local_tags()), **concrete(selected, draw)}
    local.setdefault("kuma.io/service", draw(st.sampled_from(SERVICES)))
    client: dict[str, set[str]] = {}
    for _ in range(draw(st.integers(1, 2))):
        named = draw(st.sampled_from(policies))
        if named.kind == "TrafficPermission":
            required = concrete(draw(st.sampled_from(named.spec["sources"]))["match"], draw)
        else:
            required = ref_tags(draw(st.sampled_from(named.spec["from"]))["targetRef"])
        for key, value in required.items():
            client.setdefault(key, set()).add(value)
    client.setdefault("kuma.io/service", {draw(st.sampled_from(SERVICES))})
    check: Check = {"inbound": local, "client": {key: sorted(values) for key, values in client.items()}}
    if policy.mesh != "default":
        check["mesh"] = policy.mesh
    if draw(rarely(5)):
        check["identity"] = "principal"
    return check


@st.composite
def aimed_outbound_checks(draw: st.DrawFn, resources: list[Resource]) -> Check:
    """A destination that an ExternalService or a MeshPassthrough match names."""
    target = draw(st.sampled_from(outbound_targets(resources)))
    destination: dict[str, Any] = {"address": draw(st.sampled_from(IPS)), "port": draw(st.sampled_from(PORTS))}
    local = draw(local_tags())
    if target.kind == "ExternalService":
        host, port = external_address(target)
        how = draw(st.sampled_from(["address", "host", "sni", "mesh-name"]))
        if how == "address" and is_ip(host):
            destination.update(address=str(ipaddress.ip_address(host)), port=port)
        elif how == "sni":
            destination["sni"] = host
        else:
            name = host if how == "host" else f"{target.spec['tags']['kuma.io/service']}.mesh"
            destination.update(host=name if draw(st.booleans()) else f"{name}:{port}", protocol="HTTP/1.1")
    else:
        local.update(concrete(target.inbound_requirement(), draw))
        match = draw(st.sampled_from(target.spec["default"]["appendMatch"]))
        if "port" in match:
            destination["port"] = match["port"]
        protocol = match.get("protocol", "tcp")
        if match["type"] == "IP":
            destination["address"] = match["value"]
        elif match["type"] == "CIDR":
            network = ipaddress.ip_network(match["value"], strict=False)
            destination["address"] = str(
                network.network_address + draw(st.integers(0, min(network.num_addresses - 1, 9)))
            )
        name = match["value"].lower().replace("*", draw(st.sampled_from(["x", "a.b"])), 1)
        if protocol == "tls":
            destination["sni"] = name if match["type"] == "Domain" else draw(st.sampled_from(HOSTS[:7]))
        elif protocol in LAYER7:
            host = name if match["type"] == "Domain" else draw(st.sampled_from(HOSTS[:7]))
            destination.update(host=host, protocol="HTTP/2" if protocol == "http2" else "HTTP/1.1")
            if protocol == "grpc":
                destination["content_type"] = "application/grpc"
    check: Check = {"direction": "outbound", "local": local, "destination": destination}
    if target.mesh != "default":
        check["mesh"] = target.mesh
    return check


def outbound_targets(resources: list[Resource]) -> list[ModelResource]:
    """ExternalServices and MeshPassthrough policies with matches."""
    return [
        resource
        for resource in read_resources(resources)
        if resource.kind == "ExternalService"
        or (resource.kind == "MeshPassthrough" and (resource.spec.get("default") or {}).get("appendMatch"))
    ]


def checks(resources: list[Resource]) -> st.SearchStrategy[Check]:
    """Random checks, and checks aimed at what the policy set names."""
    kinds = {resource.kind for resource in read_resources(resources)}
    chosen = [inbound_checks(), outbound_checks()]
    if kinds & {"MeshTrafficPermission", "TrafficPermission"}:
        chosen.append(aimed_inbound_checks(resources))
    if outbound_targets(resources):
        chosen.append(aimed_outbound_checks(resources))
    return st.one_of(*chosen)
