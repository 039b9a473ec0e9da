"""The one typed model every stage after the checks works on: plain, frozen dataclasses.

The checks (rego/checks, run by generator/checks) validate the input and hand over every valid
resource with its values parsed and defaulted; generator/checks/model.py turns those into these
types, and the compiler reads only them. A `Source` says where a resource came from; it carries
positions, not the parsed document.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from generator.diagnostics import Location


class Form(enum.Enum):
    UNIVERSAL = "universal"
    KUBERNETES = "kubernetes"


class Role(enum.IntEnum):
    """kuma.io/policy-role, in precedence order (spec B §4.3 step 5)."""

    SYSTEM = 0
    PRODUCER = 1
    CONSUMER = 2
    WORKLOAD_OWNER = 3


class Origin(enum.IntEnum):
    """kuma.io/origin, in precedence order: global < unset < zone (spec B §4.3 step 3)."""

    GLOBAL = 0
    UNSET = 1
    ZONE = 2


@dataclass(frozen=True)
class Source:
    """Who a resource is and where it was written."""

    kind: str
    form: Form
    name: str  # metadata.name (Kubernetes) or name (Universal)
    mesh: str
    namespace: str | None  # Kubernetes namespaced kinds only
    display_name: str  # label kuma.io/display-name, else the name (spec A10)
    location: Location  # where the resource starts
    creation_time_ns: int | None = None  # creationTime / metadata.creationTimestamp
    kri: str | None = None  # Kuma's resource identifier (MeshTrafficPermission): Envoy's RBAC names by it

    @property
    def ref(self) -> str:
        """How diagnostics name the resource: `<Kind> <mesh>/<name>`."""
        if self.kind == "Mesh":
            return f"Mesh {self.name}"
        namespaced = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {self.mesh}/{namespaced}"


class MTLSMode(enum.Enum):
    DISABLED = "disabled"
    STRICT = "strict"
    PERMISSIVE = "permissive"


@dataclass(frozen=True)
class Mesh:
    source: Source | None  # None: named by policies but defined by no Mesh resource (spec A4)
    name: str
    mtls: MTLSMode
    passthrough: bool
    mesh_services_exclusive: bool = False  # meshServices.mode Exclusive: a MeshIdentity can become Ready


@dataclass(frozen=True)
class TargetRef:
    kind: str
    name: str | None
    tags: tuple[tuple[str, str], ...]
    proxy_types: tuple[str, ...] | None
    requires: tuple[tuple[str, str], ...]  # what an inbound or a client must carry (the checks say)
    # kind Dataplane (Kuma 2.10+): labels the Dataplane must carry (None: not by labels), or its name
    # and namespace (the namespace already defaulted to the policy's), and the inbound's section name
    labels: tuple[tuple[str, str], ...] | None = None
    namespace: str | None = None
    section_name: str | None = None

    def required_tags(self) -> dict[str, str]:
        """The tags an inbound (top level) or a client (`from`) must carry for this ref to match it."""
        return dict(self.requires)


class Action(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    ALLOW_WITH_SHADOW_DENY = "AllowWithShadowDeny"


@dataclass(frozen=True)
class FromEntry:
    target_ref: TargetRef
    action: Action


@dataclass(frozen=True)
class Policy:
    """What every targetRef policy shares: who it is and how it sorts (spec B §4)."""

    source: Source
    target_ref: TargetRef
    role: Role
    origin: Origin
    zone: str | None  # kuma.io/zone of a zone-originated policy: it applies only there
    zone_label: str = ""  # kuma.io/zone as labelled: the zone a Dataplane ref by name resolves in
    scope_namespace: str = ""  # its Kubernetes namespace (k8s.kuma.io/namespace): consumer and owner scope

    @property
    def display_name(self) -> str:
        return self.source.display_name


class MatchType(enum.Enum):
    EXACT = "Exact"
    PREFIX = "Prefix"


@dataclass(frozen=True)
class RuleMatch:
    """One match of a `rules[]` list (Kuma 2.12+): its present parts are ANDed (spec B §5.4)."""

    spiffe_id: tuple[MatchType, str] | None  # compared with the client's URI SANs
    sni: str | None  # compared with the TLS server name, exactly


@dataclass(frozen=True)
class Rule:
    """One `rules[]` entry: which clients it denies, allows, or allows while recording a shadow deny."""

    deny: tuple[RuleMatch, ...] = ()
    allow: tuple[RuleMatch, ...] = ()
    allow_with_shadow_deny: tuple[RuleMatch, ...] = ()


@dataclass(frozen=True)
class MeshTrafficPermission(Policy):
    from_entries: tuple[FromEntry, ...] = ()
    rules: tuple[Rule, ...] = ()  # a policy has either from entries or rules, never both

    @property
    def uses_rules(self) -> bool:
        return bool(self.rules)


@dataclass(frozen=True)
class MeshIdentity:
    """Which proxies get a workload identity (Kuma 2.12+, spec B §1.2); selecting a proxy makes
    `rules` decide its inbounds (B §5.5)."""

    source: Source
    match_labels: tuple[tuple[str, str], ...] | None  # None: selects no Dataplane
    trust_domain: str  # template, defaults applied by the checks
    path: str  # template, defaults applied by the checks
    provider: str | None  # Bundled, Spire or Extension; None: SPIFFE IDs only, never Ready


@dataclass(frozen=True)
class MeshTrust:
    """A trust domain whose certificates a mesh's proxies accept (Kuma 2.12+)."""

    source: Source
    trust_domain: str


@dataclass(frozen=True)
class PassthroughMatch:
    """One `appendMatch` entry of a MeshPassthrough (spec B §8.1)."""

    type: str  # Domain, IP or CIDR
    value: str
    port: int | None
    protocol: str  # tcp, tls, http, http2, grpc or mysql


@dataclass(frozen=True)
class MeshPassthrough(Policy):
    mode: str | None = None  # All, Matched or None; unset ⇒ inherit, finally Matched (B §8.3)
    matches: tuple[PassthroughMatch, ...] = ()


Tags = tuple[tuple[str, str], ...]  # sorted (key, value) pairs; "*" is a value meaning "any"


@dataclass(frozen=True)
class TrafficPermission:
    """The legacy policy (spec B §6): one per inbound, chosen by its best destination selector."""

    source: Source
    sources: tuple[Tags, ...]
    destinations: tuple[Tags, ...]

    @property
    def name(self) -> str:
        return self.source.name


@dataclass(frozen=True)
class ExternalService:
    """A destination outside the mesh (spec B §7), reached through the local proxy."""

    source: Source
    tags: Tags
    host: str  # lower-case; an IP address or a DNS name
    port: int
    host_is_ip: bool  # as the checks parsed the address (values.rego is_ip, Go's net.ParseIP)

    @property
    def service(self) -> str:
        return dict(self.tags)["kuma.io/service"]


@dataclass(frozen=True)
class Semantics:
    """Where the Kuma release the user runs (`--kuma-version`) decides differently (docs/semantics.md);
    the checks derive it from the version (rego/checks/lib/versions.rego), the compiler only reads it."""

    kuma_version: str = "2.14.3"
    rules_deny_first: bool = True  # 2.14+: any matching deny of any rule denies (else per rule, in order)
    identity_selects_rules: bool = True  # 2.14+: a proxy with a MeshIdentity is decided by rules only


@dataclass
class Model:
    """Every valid resource of the input, by mesh."""

    semantics: Semantics = field(default_factory=Semantics)

    meshes: dict[str, Mesh] = field(default_factory=dict)
    mesh_traffic_permissions: list[MeshTrafficPermission] = field(default_factory=list)
    traffic_permissions: list[TrafficPermission] = field(default_factory=list)
    external_services: list[ExternalService] = field(default_factory=list)
    mesh_passthroughs: list[MeshPassthrough] = field(default_factory=list)
    mesh_identities: list[MeshIdentity] = field(default_factory=list)
    mesh_trusts: list[MeshTrust] = field(default_factory=list)

    def mesh_names(self) -> list[str]:
        return sorted(self.meshes)
