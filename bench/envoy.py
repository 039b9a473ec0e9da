"""End to end through Envoy, with deploy/: client → client Envoy → (mTLS) → server Envoy with ext_authz
(OPA-Envoy holding the benchmark bundle) → app, next to the same path with the server Envoy's ext_authz
filters taken out, at a fixed request rate with fortio.

Everything runs on 127.0.0.1. The configuration is deploy/'s (generator/deploy/render.py and its templates),
with the server sidecar given the tags of a real inbound of the synthetic mesh and the client sidecar's
certificate the tags of a client that a MeshTrafficPermission entry admits, so each check walks the
same look-ups as the inbound requests timed inside OPA. The app is nginx answering 200 (a fixed,
fast upstream, so the figures are the sidecars' and OPA's, not a Python app's).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
import yaml

from bench.measure import opa_envoy_command
from tests.support.opa import free_port
from tests.support.processes import stop_process

LOOPBACK = "127.0.0.1"
FORTIO_VERSION = "v1.63.2"  # newer tags need grol.io modules that the Go module proxy here does not serve
CONNECTIONS = 8
WARM_UP_SECONDS = 3
# Paths measured in turn within one run: ours with deploy/'s configuration, no ext_authz at all, ours
# without decision logs, and an OPA-Envoy whose policy allows at once (OPA's "NOP" floor).
VARIANTS = (
    "with_ext_authz",
    "without_ext_authz",
    "with_ext_authz_no_decision_logs",
    "with_ext_authz_nop_policy",
    "with_ext_authz_whole_mesh",
)

APP_NGINX = """\
worker_processes 1;
pid {runtime}/app-nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {runtime}/app-body;
    proxy_temp_path {runtime}/app-proxy;
    fastcgi_temp_path {runtime}/app-fastcgi;
    uwsgi_temp_path {runtime}/app-uwsgi;
    scgi_temp_path {runtime}/app-scgi;
    server {{
        listen {address}:{port};
        keepalive_requests 1000000;
        location / {{
            default_type application/json;
            return 200 '{{"app":"bench"}}';
        }}
    }}
}}
"""


# The "OPA NOP" of OPA's Envoy performance guide: the same OPA-Envoy and path, a policy that allows at
# once. The difference to it is the decision library's own share of what ext_authz adds.
NOP_REGO = """\
package kuma.authz.inbound

decision := {
	"allowed": true,
	"headers": {"x-kuma-authz-decision": "allow"},
	"response_headers_to_add": {"x-kuma-authz-decision": "allow"},
}
"""


def nop_bundle(target: Path) -> None:
    import io
    import tarfile

    with tarfile.open(target, "w:gz") as archive:
        for name, text in (
            (".manifest", json.dumps({"roots": ["kuma"], "revision": "nop"})),
            ("kuma/authz/inbound/nop.rego", NOP_REGO),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    os.chmod(target, 0o644)


def fortio_binary() -> str:
    """fortio, pinned, built once with `go install` into the tools cache (bench/run does this first)."""
    cache = Path(
        os.environ.get(
            "GEN_BUNDLE_TOOLS", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gen-bundle" / "tools"
        )
    )
    binary = cache / f"fortio-{FORTIO_VERSION}" / "fortio"
    if not binary.exists():
        partial = binary.parent.with_name(binary.parent.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        subprocess.run(
            ["go", "install", f"fortio.org/fortio@{FORTIO_VERSION}"],
            check=True,
            env={**os.environ, "GOBIN": str(partial), "CGO_ENABLED": "0"},
        )
        shutil.rmtree(binary.parent, ignore_errors=True)
        partial.rename(binary.parent)
    return str(binary)


class Process:
    def __init__(self, name: str, command: list[str], log: Path, health: str | None = None) -> None:
        self.name, self.command, self.log, self.health = name, command, log, health
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> Process:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        if self.health:
            deadline = time.monotonic() + timeout
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.tail()}")
                try:
                    if requests.get(self.health, timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"{self.name} not healthy at {self.health}: {self.tail()}")
                time.sleep(0.05)
        return self

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:]) if self.log.exists() else ""

    def stop(self) -> None:
        stop_process(self.process, timeout=15)


# The HTTP filters that exist for the check: ext_authz and the two that hand it the client's URI SANs as
# metadata (generator/deploy/templates/_macros.j2, http_ext_authz).
CHECK_HTTP_FILTERS = frozenset(
    {"envoy.filters.http.ext_authz", "envoy.filters.http.header_mutation", "envoy.filters.http.header_to_metadata"}
)


def without_ext_authz(config: dict[str, Any]) -> dict[str, Any]:
    """The server Envoy's configuration with every ext_authz filter (HTTP and network), the filters that
    feed it and every per-route ext_authz setting removed: the same listeners, TLS and routes, no check."""
    for listener in config["static_resources"]["listeners"]:
        for chain in listener["filter_chains"]:
            chain["filters"] = [f for f in chain["filters"] if f["name"] != "envoy.filters.network.ext_authz"]
            for network_filter in chain["filters"]:
                typed = network_filter.get("typed_config", {})
                if "http_filters" in typed:
                    typed["http_filters"] = [f for f in typed["http_filters"] if f["name"] not in CHECK_HTTP_FILTERS]
                    for host in typed.get("route_config", {}).get("virtual_hosts", []):
                        for holder in (host, *host.get("routes", [])):
                            holder.get("typed_per_filter_config", {}).pop("envoy.filters.http.ext_authz", None)
                            if holder.get("typed_per_filter_config") == {}:
                                del holder["typed_per_filter_config"]
    return config


def load(fortio: str, url: str, rate: int, duration: int, out: Path) -> dict[str, Any]:
    subprocess.run(
        [
            fortio,
            "load",
            "-qps",
            str(rate),
            "-t",
            f"{duration}s",
            "-c",
            str(CONNECTIONS),
            "-p",
            "50,90,99,99.9",
            "-json",
            str(out),
            "-quiet",
            "-a=false",
            url,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data = json.loads(out.read_text())
    percentiles = {p["Percentile"]: p["Value"] * 1000 for p in data["DurationHistogram"]["Percentiles"]}
    codes = data.get("RetCodes", {})
    return {
        "qps": data["ActualQPS"],
        "count": data["DurationHistogram"]["Count"],
        "p50_ms": percentiles[50],
        "p90_ms": percentiles[90],
        "p99_ms": percentiles[99],
        "p999_ms": percentiles[99.9],
        "avg_ms": data["DurationHistogram"]["Avg"] * 1000,
        "codes": codes,
    }


def unavailable() -> str | None:
    """Why deploy/ cannot be used for the end-to-end run, or None."""
    try:
        from generator.deploy import render  # noqa: F401
        from tests.support.deployment import envoy_binary
    except ImportError as error:
        return f"deploy/ is not ready ({error})"
    try:
        envoy_binary()
        from tests.support.tools import tool

        tool("opa-envoy-plugin")
        tool("nginx")
    except (RuntimeError, subprocess.CalledProcessError) as error:
        return f"a tool is missing ({error})"
    return None


def run(
    bundle: Path,
    local: Mapping[str, str],
    client: Mapping[str, str],
    rate: int,
    duration: int,
    repetitions: int,
    work: Path,
    whole_mesh: Path | None = None,
) -> dict[str, Any]:
    """`bundle` is the one the server sidecar's OPA-Envoy holds (the proxy's split bundle in a full run,
    docs/split.md); `whole_mesh`, when given, is measured too, in a fourth OPA-Envoy, for comparison."""
    reason = unavailable()
    if reason:
        return {"status": reason, "rate": rate}
    from generator.deploy.certs import MeshCA
    from generator.deploy.render import (
        Address,
        BundleServer,
        ClientSidecar,
        Deployment,
        Polling,
        ServerSidecar,
        render,
        write,
    )
    from tests.support.deployment import envoy_binary
    from tests.support.tools import tool

    fortio = fortio_binary()
    root = Path(tempfile.mkdtemp(prefix="gen-bundle-bench-envoy-"))
    os.chmod(root, 0o755)  # nginx's worker (nobody) reads the served folder
    served = root / "served"
    served.mkdir(mode=0o755)
    shutil.copy(bundle, served / "bundle.tar.gz")
    os.chmod(served / "bundle.tar.gz", 0o644)
    (root / "nginx").mkdir()
    logs = root / "logs"
    logs.mkdir()
    certificates = root / "certs"
    deployment = Deployment(
        mesh="default",
        bind=LOOPBACK,
        admin_bind=LOOPBACK,
        polling=Polling(3600, 7200),
        bundle_server=BundleServer(Address(LOOPBACK, free_port()), str(served), str(root / "nginx"), "/dev/null"),
        server=ServerSidecar(
            name="inbound",
            host=LOOPBACK,
            tags=dict(local),
            http_port=free_port(),
            tcp_port=free_port(),
            admin_port=free_port(),
            app=Address(LOOPBACK, free_port()),
            opa=Address(LOOPBACK, free_port()),
            certificates=str(certificates / "inbound"),
        ),
        client=ClientSidecar(
            name="client",
            tags=dict(client),
            http_port=free_port(),
            tcp_port=free_port(),
            external_port=free_port(),
            admin_port=free_port(),
            external=Address(LOOPBACK, free_port()),
            opa=Address(LOOPBACK, free_port()),
            certificates=str(certificates / "client"),
        ),
    )
    configs = write(deployment, root / "config")
    ca = MeshCA.create(deployment.mesh, 1)
    ca.write_workload(certificates / "inbound", deployment.server.tags, 1)
    ca.write_workload(certificates / "client", deployment.client.tags, 1)
    server_config = configs["envoy-inbound.yaml"]
    nop_bundle(served / "nop.tar.gz")
    nop_grpc = free_port()
    nop_opa_config = root / "config" / "opa-inbound-nop.yaml"
    nop_opa_config.write_text(
        configs["opa-inbound.yaml"]
        .read_text()
        .replace("resource: bundle.tar.gz", "resource: nop.tar.gz")
        .replace(f":{deployment.server.opa.port}", f":{nop_grpc}")
    )
    nop_config = root / "config" / "envoy-inbound-nop.yaml"
    nop_config.write_text(
        server_config.read_text().replace(f"port_value: {deployment.server.opa.port}", f"port_value: {nop_grpc}")
    )
    # The same OPA-Envoy and bundle with deploy/'s `decision_logs: false`: what decision logging costs.
    quiet_grpc = free_port()
    quiet_opa_config = root / "config" / "opa-inbound-no-decision-logs.yaml"
    quiet_opa_config.write_text(
        render(dataclasses.replace(deployment, decision_logs=False))["opa-inbound.yaml"].replace(
            f":{deployment.server.opa.port}", f":{quiet_grpc}"
        )
    )
    quiet_config = root / "config" / "envoy-inbound-no-decision-logs.yaml"
    quiet_config.write_text(
        server_config.read_text().replace(f"port_value: {deployment.server.opa.port}", f"port_value: {quiet_grpc}")
    )
    whole_grpc = free_port()
    whole_opa_config = root / "config" / "opa-inbound-whole-mesh.yaml"
    whole_config = root / "config" / "envoy-inbound-whole-mesh.yaml"
    if whole_mesh is not None:
        shutil.copy(whole_mesh, served / "whole.tar.gz")
        os.chmod(served / "whole.tar.gz", 0o644)
        whole_opa_config.write_text(
            configs["opa-inbound.yaml"]
            .read_text()
            .replace("resource: bundle.tar.gz", "resource: whole.tar.gz")
            .replace(f":{deployment.server.opa.port}", f":{whole_grpc}")
        )
        whole_config.write_text(
            server_config.read_text().replace(f"port_value: {deployment.server.opa.port}", f"port_value: {whole_grpc}")
        )
    plain_config = root / "config" / "envoy-inbound-without-ext-authz.yaml"
    plain_config.write_text(yaml.safe_dump(without_ext_authz(yaml.safe_load(server_config.read_text()))))
    app_config = root / "config" / "app-nginx.conf"
    app_config.write_text(APP_NGINX.format(runtime=root / "nginx", address=LOOPBACK, port=deployment.server.app.port))

    def envoy(name: str, config: Path, admin_port: int) -> Process:
        command = [
            envoy_binary(),
            "-c",
            str(config),
            "--disable-hot-restart",
            "--concurrency",
            "1",
            "--log-level",
            "warn",
        ]
        return Process(name, command, logs / f"{name}.log", f"http://{LOOPBACK}:{admin_port}/ready")

    processes: list[Process] = []
    results: dict[str, Any] = {
        "rate": rate,
        "duration_seconds": duration,
        "connections": CONNECTIONS,
        "repetitions": repetitions,
        "fortio": FORTIO_VERSION,
        "runs": {variant: [] for variant in VARIANTS},
        "server_tags": dict(local),
        "client_tags": dict(client),
    }
    url = f"http://{LOOPBACK}:{deployment.client.http_port}/bench"
    try:
        nginx = tool("nginx")
        processes.append(
            Process(
                "bundles",
                [nginx, "-e", "stderr", "-c", str(configs["nginx.conf"]), "-g", "daemon off;"],
                logs / "bundles.log",
                f"{deployment.bundle_server.url}/health",
            ).start()
        )
        processes.append(
            Process(
                "app",
                [nginx, "-e", "stderr", "-c", str(app_config), "-g", "daemon off;"],
                logs / "app.log",
                f"http://{LOOPBACK}:{deployment.server.app.port}/",
            ).start()
        )

        def opa_envoy(name: str, config: Path) -> Process:
            command, health = opa_envoy_command(free_port(), config)
            return Process(name, command, logs / f"{name}.log", health).start(300)

        started = time.perf_counter()
        opa = opa_envoy("opa-envoy", configs["opa-inbound.yaml"])
        processes.append(opa)
        results["opa_envoy_activation_seconds"] = time.perf_counter() - started
        nop = opa_envoy("opa-envoy-nop", nop_opa_config)
        processes.append(nop)
        quiet = opa_envoy("opa-envoy-no-decision-logs", quiet_opa_config)
        processes.append(quiet)
        variants = [
            ("with_ext_authz", server_config),
            ("without_ext_authz", plain_config),
            ("with_ext_authz_no_decision_logs", quiet_config),
            ("with_ext_authz_nop_policy", nop_config),
        ]
        whole = None
        if whole_mesh is not None:
            whole = opa_envoy("opa-envoy-whole-mesh", whole_opa_config)
            processes.append(whole)
            variants.append(("with_ext_authz_whole_mesh", whole_config))
        opa_of = {
            "with_ext_authz": opa,
            "with_ext_authz_no_decision_logs": quiet,
            "with_ext_authz_nop_policy": nop,
            "without_ext_authz": opa,
            "with_ext_authz_whole_mesh": whole or opa,
        }
        client_envoy = envoy("client-envoy", configs["envoy-client.yaml"], deployment.client.admin_port).start()
        processes.append(client_envoy)
        for rep in range(repetitions):
            for variant, config in variants:
                server = envoy(f"server-envoy-{variant}", config, deployment.server.admin_port).start()
                try:
                    probe = requests.get(url, timeout=10)
                    decision = probe.headers.get("x-kuma-authz-decision")
                    if probe.status_code != 200 or (variant != "without_ext_authz") != (decision == "allow"):
                        raise RuntimeError(
                            f"{variant}: probe answered {probe.status_code}, decision {decision}: {probe.text[:300]}"
                        )
                    if rep == 0 and variant == "with_ext_authz":
                        results["probe_headers"] = {k: v for k, v in probe.headers.items() if k.startswith("x-kuma")}
                    load(fortio, url, rate, WARM_UP_SECONDS, root / "warm-up.json")
                    watched = {
                        "opa_envoy": opa_of[variant],
                        "server_envoy": server,
                        "client_envoy": client_envoy,
                    }
                    before = {name: cpu_seconds(p) for name, p in watched.items()}
                    outcome = load(fortio, url, rate, duration, root / f"{variant}-{rep}.json")
                    outcome["cpu_ms_per_request"] = {
                        name: 1000 * (cpu_seconds(p) - before[name]) / max(1, outcome["count"])
                        for name, p in watched.items()
                    }
                    results["runs"][variant].append(outcome)
                finally:
                    server.stop()
        results["opa_envoy_rss_bytes"] = _rss(opa)
        if whole is not None:
            results["opa_envoy_whole_mesh_rss_bytes"] = _rss(whole)
    except (RuntimeError, TimeoutError, subprocess.CalledProcessError, OSError) as error:
        results["status"] = f"failed: {error}"
        return results
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(root, ignore_errors=True)
    from bench.measure import summary

    for variant, runs in results["runs"].items():
        if not runs:
            continue
        results[variant] = {
            key: summary([r[key] for r in runs]) for key in ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "qps")
        }
        results[variant]["errors"] = sum(n for r in runs for code, n in r["codes"].items() if code != "200")
        results[variant]["cpu_ms_per_request"] = {
            name: summary([r["cpu_ms_per_request"][name] for r in runs])["median"]
            for name in runs[0]["cpu_ms_per_request"]
        }
    results["added_p50_ms"] = (
        results["with_ext_authz"]["p50_ms"]["median"] - results["without_ext_authz"]["p50_ms"]["median"]
    )
    results["added_p99_ms"] = (
        results["with_ext_authz"]["p99_ms"]["median"] - results["without_ext_authz"]["p99_ms"]["median"]
    )
    results["no_decision_logs_added_p99_ms"] = (
        results["with_ext_authz_no_decision_logs"]["p99_ms"]["median"]
        - results["without_ext_authz"]["p99_ms"]["median"]
    )
    results["nop_added_p99_ms"] = (
        results["with_ext_authz_nop_policy"]["p99_ms"]["median"] - results["without_ext_authz"]["p99_ms"]["median"]
    )
    if "with_ext_authz_whole_mesh" in results:
        results["whole_mesh_added_p99_ms"] = (
            results["with_ext_authz_whole_mesh"]["p99_ms"]["median"] - results["without_ext_authz"]["p99_ms"]["median"]
        )
    results["status"] = "measured"
    results["description"] = (
        f"fortio {FORTIO_VERSION}, {rate} req/s for {duration} s over {CONNECTIONS} keep-alive connections, "
        f"{repetitions} runs per path, alternating; medians of the runs' percentiles. Envoy "
        f"{envoy_version(envoy_binary())}, "
        "--concurrency 1 each; OPA-Envoy (opa-envoy-plugin, deploy/'s configuration, run with "
        "--log-level error, so its console decision log is silent) "
        f"with {'the server proxy’s split bundle (docs/split.md)' if whole_mesh else 'the benchmark bundle'}; "
        "the client's URI SANs reach OPA as Envoy metadata (deploy/'s default); the check walks the look-ups "
        "of an MTP request "
        f"(inbound {local.get('kuma.io/service')}, client {client.get('kuma.io/service')})."
    )
    return results


def cpu_seconds(process: Process) -> float:
    """User + system CPU time the process has used so far."""
    assert process.process is not None
    fields = Path(f"/proc/{process.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss(process: Process) -> int | None:
    if process.process is None:
        return None
    from bench.measure import process_memory

    return process_memory(process.process.pid).get("VmRSS")


def envoy_version(binary: str) -> str:
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    for word in output.split():
        if word.count("/") >= 1 and word[0].isalnum() and "." in word:
            return word.split("/")[1] if word.count("/") >= 2 else word
    return output.strip()[:60]
