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


@dataclass(frozen=True)
class TargetRef:
    kind: str
    name: str | None
    tags: tuple[tuple[str, str], ...]
    proxy_types: tuple[str, ...] | None
    requires: tuple[tuple[str, str], ...]  # what an inbound or a client must carry (the checks say)

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

    @property
    def display_name(self) -> str:
        return self.source.display_name


@dataclass(frozen=True)
class MeshTrafficPermission(Policy):
    from_entries: tuple[FromEntry, ...] = ()


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


@dataclass
class Model:
    """Every valid resource of the input, by mesh."""

    meshes: dict[str, Mesh] = field(default_factory=dict)
    mesh_traffic_permissions: list[MeshTrafficPermission] = field(default_factory=list)
    traffic_permissions: list[TrafficPermission] = field(default_factory=list)
    external_services: list[ExternalService] = field(default_factory=list)
    mesh_passthroughs: list[MeshPassthrough] = field(default_factory=list)

    def mesh_names(self) -> list[str]:
        return sorted(self.meshes)
