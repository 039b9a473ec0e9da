"""A reference model of what the bundle must decide, written to be obviously right rather than fast.

It reads the same resource documents gen-bundle reads (Universal or Kubernetes form, assumed valid) and
answers a check written as in the scenario files (tests/support/scenarios.py). Every rule is the
sentence of spec Part A or docs/semantics.md it implements, applied by plain loops over all resources:
no indexes, no ranks, no pruning. The differential tests compare it with a real OPA running the
bundle; tests/trust/test_reference_model.py checks it against every hand-written scenario first.

Where the semantics leave open which of several policies to name (ExternalService and MeshPassthrough
decisions with several equally deciding matches), the outcome lists every acceptable one.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SYSTEM_NAMESPACES = frozenset({"kuma-system", "kong-mesh-system"})
NEW_STYLE = frozenset({"MeshTrafficPermission", "MeshPassthrough", "MeshIdentity"})
DECIDING_KINDS = NEW_STYLE | {"Mesh", "TrafficPermission", "ExternalService"}
UNIVERSAL_ENVELOPE = frozenset({"type", "name", "mesh", "labels", "creationTime", "modificationTime"})
KIND_LEVEL = {"Mesh": 1, "Dataplane": 2, "MeshSubset": 3, "MeshService": 5, "MeshServiceSubset": 8}  # B §4.3
ORIGIN_LEVEL = {"global": 0, "zone": 2}  # B §4.3 step 3; anything else (unset) is 1
LAYER7 = frozenset({"http", "http2", "grpc"})
SERVICE = "kuma.io/service"
ZONE = "kuma.io/zone"
NAMESPACE = "k8s.kuma.io/namespace"
OLDEST = datetime.min.replace(tzinfo=UTC)

Tags = dict[str, str]  # a local inbound, a selector, a requirement: one value per key
ClientTags = dict[str, set[str]]  # a client's certificate: several values per key


@dataclass(frozen=True)
class PolicyRef:
    kind: str
    mesh: str
    name: str  # display name
    namespace: str | None = None
    entry: int | None = None  # MeshTrafficPermission only: the index of the deciding `from` entry
    rule: int | None = None  # MeshTrafficPermission only: the index of the deciding `rules` entry


@dataclass(frozen=True)
class Outcome:
    allowed: bool
    reason: str
    # The policy the decision must name; several when the semantics allow any of them; {None}: none.
    policies: frozenset[PolicyRef | None] = frozenset({None})
    shadow_deny: bool = False


@dataclass(frozen=True)
class Resource:
    kind: str
    form: str  # universal or kubernetes
    name: str
    mesh: str
    namespace: str | None
    labels: Mapping[str, str]
    spec: Mapping[str, Any]
    created: datetime | None

    @property
    def display_name(self) -> str:
        return self.labels.get("kuma.io/display-name") or self.name

    def ref(self, entry: int | None = None, rule: int | None = None) -> PolicyRef:
        return PolicyRef(self.kind, self.mesh, self.display_name, self.namespace, entry, rule)

    # --- new-style policies: placement (B §4.1, §4.3, A10) ---

    @property
    def target_ref(self) -> Mapping[str, Any]:
        return self.spec.get("targetRef") or {"kind": "Mesh"}

    @property
    def origin(self) -> int:
        return ORIGIN_LEVEL.get(self.labels.get("kuma.io/origin", ""), 1)

    @property
    def zone(self) -> str | None:
        return (self.labels.get(ZONE) or None) if self.labels.get("kuma.io/origin") == "zone" else None

    @property
    def workload_owner(self) -> bool:
        return self.form == "kubernetes" and bool(self.namespace) and self.namespace not in SYSTEM_NAMESPACES

    def inbound_requirement(self) -> Tags:
        required = ref_tags(self.target_ref)
        if self.workload_owner:
            assert self.namespace is not None
            required[NAMESPACE] = self.namespace
        return required

    def selects(self, local: Tags, dataplane: Mapping[str, Any] | None = None) -> bool:
        """Rules 4 and 10 and the scoping rows of the choices table: targetRef, namespace, zone."""
        if self.zone is not None and ZONE in local and local[ZONE] != self.zone:
            return False
        if self.target_ref.get("kind") == "Dataplane":
            return self.selects_dataplane(dict(dataplane or {}), local)
        return all(key in local and value in ("*", local[key]) for key, value in self.inbound_requirement().items())

    def selects_dataplane(self, dataplane: dict[str, Any], local: Tags) -> bool:
        ref = self.target_ref
        labels: dict[str, str] = dataplane.get("labels") or {}
        wanted = dict(ref.get("labels") or {})
        if self.workload_owner:
            assert self.namespace is not None
            wanted[NAMESPACE] = self.namespace
        if any(labels.get(key) != value for key, value in wanted.items()):
            return False
        if ref.get("name"):
            namespace = ref.get("namespace") or self.namespace or ""
            zone = self.labels.get(ZONE, "")
            if (dataplane.get("name"), dataplane.get("namespace", ""), labels.get(ZONE, "")) != (
                ref["name"],
                namespace,
                zone,
            ):
                return False
        elif ref.get("namespace") and ref.get("labels") is None:
            return False  # a namespace without a name selects no Dataplane
        if ref.get("sectionName"):
            section = dataplane.get("inbound") or str(dataplane.get("port", 8080))
            return bool(section == ref["sectionName"])
        return True


def ref_tags(target_ref: Mapping[str, Any]) -> Tags:
    """A targetRef as the tags it requires (spec B §5.3.1 step 3)."""
    kind = target_ref.get("kind", "Mesh")
    required: Tags = {}
    if kind in ("MeshSubset", "MeshServiceSubset"):
        required.update(target_ref.get("tags") or {})
    if kind in ("MeshService", "MeshServiceSubset"):
        required[SERVICE] = target_ref["name"]
    return required


def compare_precedence(a: Resource, b: Resource) -> int:
    """Rule 5: kind, origin, role ascending; display name descending; full ties (our choice):
    namespace, then core name, descending. Lower sorts first; the last applied wins."""
    for left, right in (
        (KIND_LEVEL[a.target_ref.get("kind", "Mesh")], KIND_LEVEL[b.target_ref.get("kind", "Mesh")]),
        (dataplane_rank(a), dataplane_rank(b)),
        (a.origin, b.origin),
        (int(a.workload_owner), int(b.workload_owner)),
    ):
        if left != right:
            return -1 if left < right else 1
    for text_a, text_b in ((a.display_name, b.display_name), (a.namespace or "", b.namespace or ""), (a.name, b.name)):
        if text_a != text_b:
            return -1 if text_a > text_b else 1
    return 0


def dataplane_rank(policy: Resource) -> int:
    """Between two Dataplane refs: by name beats by labels, then with sectionName beats without."""
    ref = policy.target_ref
    if ref.get("kind") != "Dataplane":
        return 0
    return 2 * bool(ref.get("name")) + bool(ref.get("sectionName"))


def in_precedence_order(policies: Iterable[Resource]) -> list[Resource]:
    return sorted(policies, key=functools.cmp_to_key(compare_precedence))


# --- reading resources ------------------------------------------------------------------------------


def read_resources(documents: Iterable[Any]) -> list[Resource]:
    """The resources that take part in decisions; skipped ones (A9, proxyTypes) are left out."""
    found: list[Resource] = []
    for document in documents:
        items = document["items"] if document.get("kind") == "List" and "items" in document else [document]
        for item in items:
            resource = _read_one(item)
            if resource is not None and not _skipped(resource):
                found.append(resource)
    return found


def _read_one(document: Mapping[str, Any]) -> Resource | None:
    if "type" in document:  # Universal
        kind = document["type"]
        if kind not in DECIDING_KINDS:
            return None
        if kind in NEW_STYLE:
            spec = document.get("spec") or {}
        else:
            spec = {key: value for key, value in document.items() if key not in UNIVERSAL_ENVELOPE}
        return Resource(
            kind,
            "universal",
            document["name"],
            document["name"] if kind == "Mesh" else document.get("mesh") or "default",
            None,
            document.get("labels") or {},
            spec,
            _time(document.get("creationTime")),
        )
    kind = document.get("kind")
    if document.get("apiVersion") != "kuma.io/v1alpha1" or kind not in DECIDING_KINDS:
        return None
    metadata = document["metadata"]
    labels = metadata.get("labels") or {}
    if kind in NEW_STYLE:
        mesh, namespace = labels.get("kuma.io/mesh") or "default", metadata.get("namespace")
    elif kind == "Mesh":
        mesh, namespace = metadata["name"], None
    else:
        mesh, namespace = document.get("mesh") or "default", None
    return Resource(
        kind,
        "kubernetes",
        metadata["name"],
        mesh,
        namespace,
        labels,
        document.get("spec") or {},
        _time(metadata.get("creationTimestamp")),
    )


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _skipped(resource: Resource) -> bool:
    if resource.kind not in NEW_STYLE:
        return False
    if resource.labels.get("kuma.io/effect") == "shadow":
        return True
    proxy_types = resource.target_ref.get("proxyTypes")
    return proxy_types is not None and "Sidecar" not in proxy_types


# --- the world: every resource by kind ----------------------------------------------------------------


@dataclass(frozen=True)
class MeshSettings:
    mtls: str  # disabled, strict or permissive
    passthrough: bool
    exclusive: bool = False  # meshServices.mode Exclusive: MeshIdentity can become Ready


@dataclass
class World:
    resources: list[Resource]
    meshes: dict[str, MeshSettings] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for resource in self.resources:
            if resource.kind == "Mesh":
                self.meshes[resource.name] = _mesh_settings(resource.spec)
        for resource in self.resources:
            # A4: a mesh that policies name but no Mesh defines: mTLS strict, passthrough on.
            self.meshes.setdefault(resource.mesh, MeshSettings("strict", True))

    def of_kind(self, kind: str, mesh: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.kind == kind and resource.mesh == mesh]


def _mesh_settings(spec: Mapping[str, Any]) -> MeshSettings:
    mtls = spec.get("mtls") or {}
    enabled = mtls.get("enabledBackend")
    mode = "disabled"
    if enabled:
        backend = next(backend for backend in mtls.get("backends") or [] if backend.get("name") == enabled)
        mode = "permissive" if backend.get("mode") == "PERMISSIVE" else "strict"
    passthrough = ((spec.get("networking") or {}).get("outbound") or {}).get("passthrough")
    exclusive = (spec.get("meshServices") or {}).get("mode") == "Exclusive"
    return MeshSettings(mode, True if passthrough is None else passthrough, exclusive)


def decide(resources: Sequence[Any], check: Mapping[str, Any], kuma_version: str | None = None) -> Outcome:
    world = World(read_resources(resources))
    if check.get("direction", "inbound") == "outbound":
        return decide_outbound(world, check)
    version = tuple(int(part) for part in (kuma_version or "2.14.3").split("."))
    return decide_inbound(world, check, version)


# --- inbound (rules 1 - 8) ----------------------------------------------------------------------------


def client_tags(client: Mapping[str, str | Sequence[str]]) -> ClientTags:
    return {key: {value} if isinstance(value, str) else set(value) for key, value in client.items()}


def workload_identity(world: World, mesh: str, dataplane: Mapping[str, Any]) -> bool:
    """Rule 9: a MeshIdentity that can become Ready (a provider, meshServices Exclusive) selects it."""
    if not world.meshes[mesh].exclusive:
        return False
    labels = dataplane.get("labels") or {}
    for identity in world.of_kind("MeshIdentity", mesh):
        selector = (identity.spec.get("selector") or {}).get("dataplane")
        if identity.spec.get("provider") is None or selector is None:
            continue
        if all(labels.get(key) == value for key, value in (selector.get("matchLabels") or {}).items()):
            return True
    return False


def decide_inbound(world: World, check: Mapping[str, Any], version: tuple[int, ...] = (2, 14, 3)) -> Outcome:
    mesh = check.get("mesh", "default")
    local: Tags = dict(check["inbound"])
    dataplane: Mapping[str, Any] = check.get("dataplane") or {}
    if SERVICE not in local and not dataplane.get("name") and not dataplane.get("labels"):
        return Outcome(False, "invalid-input")
    if mesh not in world.meshes:
        return Outcome(False, "unknown-mesh")
    dataplane = {**dataplane, "port": check.get("port", 8080)}
    mode = world.meshes[mesh].mtls
    identified = workload_identity(world, mesh, dataplane)
    if mode == "disabled" and not identified:
        return Outcome(True, "mtls-disabled")
    identity = check.get("identity", "certificate")
    anonymous = (check.get("client") is None and check.get("spiffe_id") is None) or identity == "none"
    if anonymous and mode == "permissive" and not identified:
        return Outcome(True, "permissive-plaintext")
    selecting_rules = [
        policy
        for policy in world.of_kind("MeshTrafficPermission", mesh)
        if policy.spec.get("rules") and policy.selects(local, dataplane)
    ]
    if selecting_rules or (identified and version >= (2, 14, 0)):
        if anonymous:
            return Outcome(False, "no-identity")
        return rules_decision(selecting_rules, uri_san(check, mesh), check.get("sni"), version)
    if anonymous:
        return Outcome(False, "no-identity")
    if check.get("spiffe_id") is not None:
        return Outcome(False, "foreign-identity")
    client = client_tags(check["client"])
    # The principal names one service of the client (the test helper takes the first, or "unknown").
    principal_service = min(client.get(SERVICE, {"unknown"}))
    if (check.get("client_mesh") or mesh) != mesh:
        return Outcome(False, "foreign-identity")
    if identity == "certificate":
        if principal_service not in client.get(SERVICE, set()):
            return Outcome(False, "invalid-input")  # the certificate does not carry the principal
    else:
        client = {SERVICE: {principal_service}}  # without the certificate only the principal is known
    return inbound_permissions(world, mesh, local, client, dataplane)


def uri_san(check: Mapping[str, Any], mesh: str) -> str:
    """Envoy's uri_san input: the client certificate's URI SANs joined with commas (the principal alone
    without the certificate)."""
    spiffe_ids = check.get("spiffe_id")
    if spiffe_ids is not None:
        uris = [spiffe_ids] if isinstance(spiffe_ids, str) else list(spiffe_ids)
    else:
        tags = client_tags(check["client"])
        uris = [f"spiffe://{mesh}/{service}" for service in sorted(tags.get(SERVICE, {"unknown"}))]
        uris += [f"kuma://{key}/{value}" for key in sorted(tags) for value in sorted(tags[key])]
    if check.get("identity", "certificate") == "principal":
        uris = uris[:1]
    return ",".join(uris)


def rules_decision(policies: list[Resource], client: str, sni: str | None, version: tuple[int, ...]) -> Outcome:
    """Rules 11 and 12: the matchers in Envoy's order, the first that matches decides."""
    steps = [
        (policy, index, action, rule.get("default", {}).get(key) or [])
        for policy in in_precedence_order(policies)
        for index, rule in enumerate(policy.spec["rules"])
        for action, key in (("Deny", "deny"), ("Allow", "allow"), ("AllowWithShadowDeny", "allowWithShadowDeny"))
    ]
    if version >= (2, 14, 0):
        steps = [step for step in steps if step[2] == "Deny"] + [step for step in steps if step[2] != "Deny"]
    for policy, index, action, matches in steps:
        if any(match_holds(match, client, sni) for match in matches):
            references = frozenset({policy.ref(rule=index)})
            if action == "Deny":
                return Outcome(False, "denied-by-policy", references)
            # the shadow matcher: every allowWithShadowDeny list, apart from the enforcing matcher
            shadow = any(
                match_holds(match, client, sni)
                for _, _, other_action, other_matches in steps
                if other_action == "AllowWithShadowDeny"
                for match in other_matches
            )
            return Outcome(True, "allowed-by-policy", references, shadow_deny=shadow)
    if not policies:
        return Outcome(False, "no-policy")
    # the denial names the selecting policy of the highest precedence
    return Outcome(False, "no-matching-rule", frozenset({in_precedence_order(policies)[-1].ref()}))


def match_holds(match: Mapping[str, Any], client: str, sni: str | None) -> bool:
    if not match.get("spiffeID") and not match.get("sni"):
        return False  # Kuma builds no matcher from an empty match
    spiffe = match.get("spiffeID")
    if spiffe is not None:
        value = spiffe["value"]
        if not (client == value if spiffe["type"] == "Exact" else bool(client) and client.startswith(value)):
            return False
    server_name = match.get("sni")
    return server_name is None or server_name.get("value") == sni


def inbound_permissions(
    world: World, mesh: str, local: Tags, client: ClientTags, dataplane: Mapping[str, Any] | None = None
) -> Outcome:
    selecting = [
        policy
        for policy in world.of_kind("MeshTrafficPermission", mesh)
        if policy.spec.get("from") and policy.selects(local, dataplane)
    ]
    if selecting:
        # Rule 6: the last entry, in policy order then `from` order, whose tags the client all carries.
        deciding: tuple[Resource, int, str] | None = None
        for policy in in_precedence_order(selecting):
            for index, entry in enumerate(policy.spec["from"]):
                required = ref_tags(entry["targetRef"])
                if all(value in client.get(key, set()) for key, value in required.items()):
                    deciding = (policy, index, entry["default"]["action"])
        if deciding is None:
            # the denial names the selecting policy of the highest precedence (its entries come last)
            return Outcome(False, "no-matching-rule", frozenset({in_precedence_order(selecting)[-1].ref()}))
        policy, index, action = deciding
        policies = frozenset({policy.ref(index)})
        if action == "Deny":
            return Outcome(False, "denied-by-policy", policies)
        return Outcome(True, "allowed-by-policy", policies, shadow_deny=action == "AllowWithShadowDeny")

    # Rules 7 and 8: one TrafficPermission governs, when no MeshTrafficPermission selects the inbound
    # (and only with mesh mTLS on: a workload identity alone brings no TrafficPermission RBAC).
    if world.meshes[mesh].mtls == "disabled":
        return Outcome(False, "no-policy")
    governing = governing_permission(world.of_kind("TrafficPermission", mesh), local)
    if governing is None:
        return Outcome(False, "no-policy")
    admitted = any(
        all(value == "*" or value in client.get(key, set()) for key, value in source["match"].items())
        for source in governing.spec["sources"]
    )
    return Outcome(admitted, "allowed-by-policy" if admitted else "no-matching-rule", frozenset({governing.ref()}))


def governing_permission(permissions: list[Resource], tags: Tags) -> Resource | None:
    """Rule 7: the best destination selector matching `tags` (every key present, value equal or "*"):
    more tags, then more exact values, then the newest creation time (none = oldest), then the
    smallest name."""
    best: tuple[tuple[int, int, datetime], Resource] | None = None
    for permission in permissions:
        for destination in permission.spec["destinations"]:
            selector: Tags = destination["match"]
            if not all(key in tags and value in ("*", tags[key]) for key, value in selector.items()):
                continue
            exact = sum(value != "*" for value in selector.values())
            key = (len(selector), exact, permission.created or OLDEST)
            if best is None or key > best[0] or (key == best[0] and permission.name < best[1].name):
                best = (key, permission)
    return best[1] if best else None


# --- outbound (rules 9 - 12) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    address: str
    port: int
    host: str | None  # the HTTP host or :authority as sent
    sni: str | None
    protocol: str  # http, http2, grpc, tls or tcp

    @property
    def host_name(self) -> str | None:
        """The HTTP host without its port, lower case."""
        if self.host is None:
            return None
        bracketed = re.fullmatch(r"\[([^\]]+)\](:[0-9]*)?", self.host)
        plain = re.fullmatch(r"([^:]+)(:[0-9]*)?", self.host)
        found = bracketed or plain
        return found.group(1).lower() if found else None

    @property
    def host_port(self) -> int | None:
        found = re.fullmatch(r"(\[[^\]]+\]|[^:]+):([0-9]+)", self.host or "")
        return int(found.group(2)) if found else None


def destination_of(check: Mapping[str, Any]) -> Destination:
    raw = check.get("destination", {})
    host, sni = raw.get("host"), raw.get("sni")
    if host is not None:
        if (raw.get("content_type") or "").lower().startswith("application/grpc"):
            protocol = "grpc"
        elif raw.get("protocol", "HTTP/1.1") == "HTTP/2":
            protocol = "http2"
        else:
            protocol = "http"
    else:
        protocol = "tls" if sni is not None else "tcp"
    return Destination(raw.get("address", "203.0.113.10"), raw.get("port", 443), host, sni, protocol)


def decide_outbound(world: World, check: Mapping[str, Any]) -> Outcome:
    mesh = check.get("mesh", "default")
    local: Tags = dict(check["local"])
    if mesh not in world.meshes:
        return Outcome(False, "unknown-mesh")
    destination = destination_of(check)
    named = [service for service in world.of_kind("ExternalService", mesh) if names(service, destination)]
    if named:
        return external_service_access(world, mesh, named, local)
    return passthrough(world, mesh, local, destination)


def external_address(service: Resource) -> tuple[str, int]:
    text = service.spec["networking"]["address"]
    host, _, port = text.rpartition(":")
    return host.removeprefix("[").removesuffix("]").lower(), int(port)


def names(service: Resource, destination: Destination) -> bool:
    """Rule 9: the original destination ip:port is its address, or the HTTP host or SNI is its host or
    <kuma.io/service>.mesh (lower case)."""
    host, port = external_address(service)
    same_address = is_ip(host) and ipaddress.ip_address(host) == ipaddress.ip_address(destination.address)
    if same_address and port == destination.port:
        return True
    known = {host, f"{service.spec['tags'][SERVICE]}.mesh".lower()}
    return destination.host_name in known or (destination.sni or "").lower() in known


def external_service_access(world: World, mesh: str, named: list[Resource], local: Tags) -> Outcome:
    """Rule 10: every named ExternalService must admit the local inbound through its TrafficPermission."""
    permissions = world.of_kind("TrafficPermission", mesh)
    governing = {service.name: governing_permission(permissions, dict(service.spec["tags"])) for service in named}

    def admits(service: Resource) -> bool:
        permission = governing[service.name]
        return permission is not None and any(
            all(key in local and value in ("*", local[key]) for key, value in source["match"].items())
            for source in permission.spec["sources"]
        )

    refused = [service for service in named if not admits(service)]
    candidates = refused or named

    def reference(service: Resource) -> PolicyRef | None:
        permission = governing[service.name]
        return permission.ref() if permission else None

    policies = frozenset(reference(service) for service in candidates)
    if refused:
        return Outcome(False, "external-service-denied", policies)
    return Outcome(True, "external-service-allowed", policies)


@dataclass(frozen=True)
class Match:
    policy: Resource
    type: str
    value: str
    port: int | None
    protocol: str

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.value, strict=False)


def passthrough(world: World, mesh: str, local: Tags, destination: Destination) -> Outcome:
    """Rules 11 and 12."""
    selecting = in_precedence_order(p for p in world.of_kind("MeshPassthrough", mesh) if p.selects(local))
    if not selecting:
        if world.meshes[mesh].passthrough:
            return Outcome(True, "passthrough-allowed")
        return Outcome(False, "passthrough-blocked")
    setters = [policy for policy in selecting if (policy.spec.get("default") or {}).get("passthroughMode")]
    mode = setters[-1].spec["default"]["passthroughMode"] if setters else "Matched"
    setter = frozenset({setters[-1].ref() if setters else None})
    if mode == "All":
        return Outcome(True, "passthrough-allowed", setter)
    if mode == "None":
        return Outcome(False, "passthrough-blocked", setter)

    # 12.1: matches of every selecting policy, concatenated, that serve the destination port.
    matches = [
        Match(policy, raw["type"], raw["value"], raw.get("port"), raw.get("protocol", "tcp"))
        for policy in selecting
        for raw in (policy.spec.get("default") or {}).get("appendMatch") or []
    ]
    matches = [match for match in matches if match.port is None or match.port == destination.port]

    # 12.2: IP/CIDR matches containing the destination; the longest prefix shuts out all others.
    address = ipaddress.ip_address(destination.address)
    containing = [
        match
        for match in matches
        if match.type in ("IP", "CIDR") and match.network.version == address.version and address in match.network
    ]
    if containing:
        longest = max(match.network.prefixlen for match in containing)
        chains = [match for match in containing if match.network.prefixlen == longest]
        # 12.4 and 12.5: HTTP chains first for HTTP; else the transport must fit, never an HTTP chain.
        layer7 = [match for match in chains if match.protocol in LAYER7]
        if destination.protocol in LAYER7 and layer7:
            return Outcome(True, "passthrough-allowed", _refs(layer7))
        fitting = [
            match
            for match in chains
            if match.protocol not in LAYER7 and (match.protocol == "tls") == (destination.protocol == "tls")
        ]
        if fitting:
            return Outcome(True, "passthrough-allowed", _refs(fitting))
        return Outcome(False, "passthrough-blocked", _refs(chains))

    # 12.3 (TLS server name) and 12.6 (HTTP virtual host): exact name, else the longest wildcard suffix.
    if destination.protocol == "tls":
        named = _domain_matches(matches, (destination.sni or "").lower(), {"tls"}, None)
    elif destination.protocol in LAYER7:
        named = _domain_matches(matches, destination.host_name or "", LAYER7, destination.host_port)
    else:
        named = []
    if named:
        return Outcome(True, "passthrough-allowed", _refs(named))
    return Outcome(False, "passthrough-blocked", setter)


def _domain_matches(matches: list[Match], name: str, protocols: Iterable[str], host_port: int | None) -> list[Match]:
    usable = [
        match
        for match in matches
        if match.type == "Domain"
        and match.protocol in protocols
        # A host with a port names the virtual host <domain>:<port> of a match with that port.
        and (host_port is None or match.port is None or match.port == host_port)
    ]
    exact = [match for match in usable if match.value.lower() == name]
    if exact:
        return exact
    wildcards = [
        match for match in usable if match.value.startswith("*.") and name.endswith("." + match.value[2:].lower())
    ]
    if not wildcards:
        return []
    longest = max(len(match.value) for match in wildcards)
    return [match for match in wildcards if len(match.value) == longest]


def _refs(matches: list[Match]) -> frozenset[PolicyRef | None]:
    return frozenset(match.policy.ref() for match in matches)


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# --- comparing with a decision --------------------------------------------------------------------------


def decision_ref(decision: Mapping[str, Any]) -> PolicyRef | None:
    policy = decision["dynamic_metadata"].get("policy")
    if policy is None:
        return None
    return PolicyRef(
        policy["kind"], policy["mesh"], policy["name"], policy.get("namespace"), policy.get("entry"), policy.get("rule")
    )


def disagreements(expected: Outcome, decision: Mapping[str, Any]) -> list[str]:
    """How a real decision object differs from the model's outcome; empty when they agree."""
    problems = []
    metadata = decision["dynamic_metadata"]
    if decision["allowed"] is not expected.allowed:
        problems.append(f"allowed {decision['allowed']}, model {expected.allowed}")
    if metadata["reason"] != expected.reason:
        problems.append(f"reason {metadata['reason']!r}, model {expected.reason!r}")
    if decision_ref(decision) not in expected.policies:
        problems.append(f"policy {decision_ref(decision)}, model {sorted(map(str, expected.policies))}")
    if metadata["shadow_deny"] is not expected.shadow_deny:
        problems.append(f"shadow_deny {metadata['shadow_deny']}, model {expected.shadow_deny}")
    return problems
