"""Renders the deployment's configuration from the jinja2 templates beside this module: the bundle
server (nginx), and for a server sidecar, a client sidecar or both an Envoy config and an OPA-Envoy
config. The e2e tests (tests/e2e/) and docker-compose.yml use these same templates; only the values differ.

    gen-bundle deploy render VALUES.yaml OUT_DIR [--certificates CERT_DIR]   (generator/verbs/deploy.py)

writes OUT_DIR/{nginx.conf, envoy-<sidecar>.yaml, opa-<sidecar>.yaml} and, with --certificates, a new
mesh CA and a Kuma-style workload certificate per sidecar into CERT_DIR/<sidecar>/{ca,cert,key}.pem.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import yaml

from generator.model.check_settings import dataplane_settings

if TYPE_CHECKING:
    from generator.deploy.certs import MeshCA

TEMPLATES = Path(__file__).resolve().parent / "templates"

INBOUND_DECISION = "kuma/authz/inbound/decision"
OUTBOUND_DECISION = "kuma/authz/outbound/decision"
WHOLE_BUNDLE = "bundle.tar.gz"  # the whole-mesh bundle, at the bundle server's root

# How the HTTP ext_authz checks carry the client's identity (docs/decision-api.md#identity-from-the-tls-session):
# "metadata": Envoy writes the verified peer certificate's URI SANs into dynamic metadata
# PEER_IDENTITY_NAMESPACE/peer_uri_sans (through PEER_IDENTITY_HEADER, which only Envoy writes and which
# it removes again); "certificate": the whole peer certificate, which OPA parses (slower).
PEER_IDENTITIES = ("metadata", "certificate")
PEER_IDENTITY_NAMESPACE = "kuma.authz"
PEER_IDENTITY_HEADER = "x-kuma-peer-uri-sans"


@dataclass(frozen=True)
class Address:
    """Where a server is reached from the other components (host name or IP, port)."""

    host: str
    port: int


@dataclass(frozen=True)
class Polling:
    min_delay_seconds: int
    max_delay_seconds: int


@dataclass(frozen=True)
class BundleServer:
    """nginx serving `root` (the folder gen-bundle writes bundle.tar.gz into)."""

    address: Address
    root: str
    runtime_dir: str  # pid file and nginx's temporary folders
    access_log: str = "/dev/stdout"
    # nginx's `user` directive: who the workers run as when nginx starts as root (nginx's default is
    # `nobody`, which must be able to read `root`); unset, nginx's default stands
    user: str | None = None

    @property
    def url(self) -> str:
        return f"http://{self.address.host}:{self.address.port}"


@dataclass(frozen=True)
class Dataplane:
    """The Kuma Dataplane a sidecar stands for: what `Dataplane` targetRefs and MeshIdentity selectors
    select by (docs/decision-api.md). The checks carry it as `kuma.io/dataplane-*` settings."""

    name: str
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    def settings(self) -> dict[str, str]:
        return dataplane_settings(self.name, self.namespace, self.labels)


@dataclass(frozen=True)
class ServerSidecar:
    """The sidecar in front of an app: mTLS inbound listeners, HTTP and TCP, checked by its OPA-Envoy."""

    name: str
    host: str  # how the client sidecar reaches it
    tags: Mapping[str, str]  # the inbound's tags, kuma.io/service first
    http_port: int
    tcp_port: int
    admin_port: int
    app: Address
    opa: Address  # OPA-Envoy's gRPC server for this sidecar
    certificates: str  # folder with ca.pem, cert.pem, key.pem
    dataplane: Dataplane | None = None
    # the workload certificate's URI SANs: Kuma's mesh-CA ones from the tags when unset, else exactly
    # these (a MeshIdentity certificate has one SPIFFE ID)
    spiffe_ids: tuple[str, ...] = ()
    bundle_resource: str = WHOLE_BUNDLE  # or this sidecar's own split bundle (docs/split.md)

    def settings(self) -> dict[str, str]:
        """The inbound's tags and the Dataplane's facts, as the checks' settings."""
        return {**self.tags, **(self.dataplane.settings() if self.dataplane else {})}


@dataclass(frozen=True)
class Upstream:
    """The mesh service a client sidecar's outbounds reach over mTLS: the server sidecar of the same
    values when there is one, else named in the client's own values (a client rendered alone)."""

    name: str  # the listeners' and clusters' names
    service: str  # its kuma.io/service: the TLS server name, and the SPIFFE ID the client requires
    host: str
    http_port: int
    tcp_port: int

    @classmethod
    def of(cls, server: ServerSidecar) -> Upstream:
        return cls(server.name, server.tags["kuma.io/service"], server.host, server.http_port, server.tcp_port)


@dataclass(frozen=True)
class ClientSidecar:
    """The sidecar of a client app: mesh outbounds to the server over mTLS, and an outbound check listener
    for traffic leaving the mesh (ExternalService, passthrough), which goes to `external`."""

    name: str
    tags: Mapping[str, str]
    http_port: int
    tcp_port: int
    external_port: int
    admin_port: int
    external: Address
    opa: Address
    certificates: str
    spiffe_ids: tuple[str, ...] = ()
    bundle_resource: str = WHOLE_BUNDLE
    upstream: Upstream | None = None  # None: the deployment's server sidecar

    def settings(self) -> dict[str, str]:
        return dict(self.tags)


@dataclass(frozen=True)
class DeploymentPlan:
    """What a values file asks for: the bundle server and a server sidecar, a client sidecar or both."""

    mesh: str
    bind: str  # address every listener binds (0.0.0.0 in containers, 127.0.0.1 in tests)
    bundle_server: BundleServer
    server: ServerSidecar | None  # one side alone: the other is None
    client: ClientSidecar | None
    polling: Polling = field(default_factory=lambda: Polling(10, 20))
    admin_bind: str = "127.0.0.1"  # Envoy's admin interface: never beyond the host / container
    status_on_error: int = 503  # what Envoy answers when OPA cannot be asked (fail closed)
    decision_logs: bool = True  # OPA logs every decision (input, result, revision): an audit trail
    peer_identity: str = "metadata"  # one of PEER_IDENTITIES; TCP checks always send the certificate

    def __post_init__(self) -> None:
        if self.peer_identity not in PEER_IDENTITIES:
            raise ValueError(f"peer_identity {self.peer_identity!r} is not one of {', '.join(PEER_IDENTITIES)}")
        if self.server is None and self.client is None:
            raise ValueError("a deployment needs a server sidecar, a client sidecar or both")
        if self.client is not None and self.client.upstream is None and self.server is None:
            raise ValueError(f"client {self.client.name!r} alone needs an upstream (the mesh service it calls)")

    @property
    def sidecars(self) -> tuple[ServerSidecar | ClientSidecar, ...]:
        return tuple(sidecar for sidecar in (self.server, self.client) if sidecar is not None)

    def upstream(self, client: ClientSidecar) -> Upstream:
        if client.upstream is not None:
            return client.upstream
        assert self.server is not None  # __post_init__
        return Upstream.of(self.server)


@dataclass(frozen=True)
class Deployment(DeploymentPlan):
    """Both sides: a client sidecar whose outbounds reach the server sidecar (the e2e tests' mesh)."""

    server: ServerSidecar
    client: ClientSidecar


def _is_ip_address(value: object) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _yaml_scalar(value: object) -> str:
    """A YAML scalar for `value` (JSON is YAML): strings always quoted, whatever they contain."""
    return json.dumps(value, ensure_ascii=False)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # YAML and nginx config, not HTML
    )
    env.filters["yaml"] = _yaml_scalar
    env.tests["ip_address"] = _is_ip_address
    return env


def render(deployment: DeploymentPlan) -> dict[str, str]:
    """File name → text of every configuration file of `deployment`."""
    env = environment()
    common: dict[str, Any] = {
        "mesh": deployment.mesh,
        "bind": deployment.bind,
        "admin_bind": deployment.admin_bind,
        "status_on_error": deployment.status_on_error,
        "bundle_server": deployment.bundle_server,
        "polling": deployment.polling,
        "decision_logs": deployment.decision_logs,
        "peer_identity": deployment.peer_identity,
        "peer_identity_namespace": PEER_IDENTITY_NAMESPACE,
        "peer_identity_header": PEER_IDENTITY_HEADER,
    }
    files = {"nginx.conf": env.get_template("nginx.conf.j2").render(common)}
    server, client = deployment.server, deployment.client
    if server is not None:
        files[f"opa-{server.name}.yaml"] = env.get_template("opa-envoy.yaml.j2").render(
            common, sidecar=server, direction="inbound", decision_path=INBOUND_DECISION
        )
        files[f"envoy-{server.name}.yaml"] = env.get_template("envoy-server.yaml.j2").render(common, sidecar=server)
    if client is not None:
        upstream = deployment.upstream(client)
        upstream_tls = {
            "sni": upstream.service,
            "principal": f"spiffe://{deployment.mesh}/{upstream.service}",
            "certificates": client.certificates,
        }
        files[f"opa-{client.name}.yaml"] = env.get_template("opa-envoy.yaml.j2").render(
            common, sidecar=client, direction="outbound", decision_path=OUTBOUND_DECISION
        )
        files[f"envoy-{client.name}.yaml"] = env.get_template("envoy-client.yaml.j2").render(
            common, sidecar=client, upstream=upstream, upstream_tls=upstream_tls
        )
    for name, text in files.items():
        if name.endswith(".yaml"):
            yaml.safe_load(text)  # a template that renders broken YAML fails here, not in Envoy
    return files


def write(deployment: DeploymentPlan, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, text in render(deployment).items():
        path = directory / name
        path.write_text(text)
        written[name] = path
    return written


def write_certificates(
    deployment: DeploymentPlan, directory: Path, days: int = 365, ca: MeshCA | None = None
) -> MeshCA:
    """One workload certificate per sidecar, in `directory`/<sidecar name>/, issued by `ca` or by a new
    mesh CA."""
    # cryptography only here: rendering without certificates (and HMAC signing) must not need it
    from generator.deploy.certs import MeshCA  # noqa: PLC0415

    if ca is None:
        ca = MeshCA.create(deployment.mesh, days)
    for sidecar in deployment.sidecars:
        ca.write_workload(directory / sidecar.name, sidecar.tags, days, uris=sidecar.spiffe_ids or None)
    return ca


# --- values files -------------------------------------------------------------------------------


def _address(values: Mapping[str, Any]) -> Address:
    return Address(str(values["host"]), int(values["port"]))


def _tags(values: Mapping[str, Any]) -> dict[str, str]:
    tags = {str(key): str(value) for key, value in values.items()}
    if "kuma.io/service" not in tags:
        raise ValueError(f"tags {tags} have no kuma.io/service")
    return tags


def load(path: Path) -> DeploymentPlan:
    """What a values file asks for (docs/cli.md lists the keys; deploy/compose/values.yaml shows them): a
    Deployment when it names both sides."""
    values = yaml.safe_load(path.read_text())
    if not isinstance(values, dict):
        raise ValueError("the values are not a mapping")
    bundles, server, client = values["bundle_server"], values.get("server"), values.get("client")
    plan = DeploymentPlan(
        mesh=str(values["mesh"]),
        bind=str(values["bind"]),
        admin_bind=str(values.get("admin_bind", "127.0.0.1")),
        status_on_error=int(values.get("status_on_error", 503)),
        decision_logs=bool(values.get("decision_logs", True)),
        peer_identity=str(values.get("peer_identity", "metadata")),
        polling=Polling(int(values["polling"]["min_delay_seconds"]), int(values["polling"]["max_delay_seconds"])),
        bundle_server=BundleServer(
            address=_address(bundles),
            root=str(bundles["root"]),
            runtime_dir=str(bundles["runtime_dir"]),
            access_log=str(bundles.get("access_log", "/dev/stdout")),
            user=str(bundles["user"]) if bundles.get("user") is not None else None,
        ),
        server=None if server is None else _server(server),
        client=None if client is None else _client(client),
    )
    if plan.server is None or plan.client is None:
        return plan
    return Deployment(**vars(plan))


def _server(values: Mapping[str, Any]) -> ServerSidecar:
    return ServerSidecar(
        name=str(values["name"]),
        host=str(values["host"]),
        tags=_tags(values["tags"]),
        http_port=int(values["http_port"]),
        tcp_port=int(values["tcp_port"]),
        admin_port=int(values["admin_port"]),
        app=_address(values["app"]),
        opa=_address(values["opa"]),
        certificates=str(values["certificates"]),
        dataplane=_dataplane(values.get("dataplane")),
        spiffe_ids=tuple(str(uri) for uri in values.get("spiffe_ids", ())),
        bundle_resource=str(values.get("bundle_resource", WHOLE_BUNDLE)),
    )


def _client(values: Mapping[str, Any]) -> ClientSidecar:
    return ClientSidecar(
        name=str(values["name"]),
        tags=_tags(values["tags"]),
        http_port=int(values["http_port"]),
        tcp_port=int(values["tcp_port"]),
        external_port=int(values["external_port"]),
        admin_port=int(values["admin_port"]),
        external=_address(values["external"]),
        opa=_address(values["opa"]),
        certificates=str(values["certificates"]),
        spiffe_ids=tuple(str(uri) for uri in values.get("spiffe_ids", ())),
        bundle_resource=str(values.get("bundle_resource", WHOLE_BUNDLE)),
        upstream=_upstream(values.get("upstream")),
    )


def _upstream(values: Mapping[str, Any] | None) -> Upstream | None:
    if values is None:
        return None
    service = str(values["service"])
    return Upstream(
        str(values.get("name", service)),
        service,
        str(values["host"]),
        int(values["http_port"]),
        int(values["tcp_port"]),
    )


def _dataplane(values: Mapping[str, Any] | None) -> Dataplane | None:
    if values is None:
        return None
    labels = {str(key): str(value) for key, value in (values.get("labels") or {}).items()}
    return Dataplane(str(values["name"]), str(values.get("namespace", "")), labels)
