"""The measurements: compile, activation, evaluation. Each returns plain dicts of numbers."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from bench import tables
from bench.mesh import Mesh, Request
from generator.checks.opa import find_opa
from tests.support.checks import inbound_check, outbound_check
from tests.support.opa import free_port
from tests.support.processes import stop_process
from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[1]
BASELINE_REGO = Path(__file__).resolve().parent / "baseline" / "baseline.rego"
FLOOR_REGO = Path(__file__).resolve().parent / "floor" / "floor.rego"
# the inbound decision with every decision table hidden: what the chain alone decides
CHAIN_ALONE = (
    "x := data.kuma.authz.inbound.decision with data.kuma.compiled.meshes.default.inbound.decision_tables as {}"
)

BARE_PARSE = (
    "import pathlib, sys, yaml\n"
    "for path in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
    "    list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))\n"
)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks; the only value for one sample."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "median": statistics.median(values) if values else float("nan"),
        "p99": percentile(values, 99),
        "min": min(values) if values else float("nan"),
        "max": max(values) if values else float("nan"),
    }


def run_measured(command: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (bytes) and exit status of one child process, measured by wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss * 1024, process.returncode


def compile_runs(policies: Path, bundle: Path, repetitions: int) -> dict[str, Any]:
    """gen-bundle and the bare C-loader parse of the same files, interleaved, each in a fresh process."""
    gen_bundle = str(Path(sys.executable).with_name("gen-bundle"))
    times: dict[str, list[float]] = {"gen_bundle": [], "bare_parse": []}
    peaks: dict[str, list[float]] = {"gen_bundle": [], "bare_parse": []}
    for _ in range(repetitions):
        for name, command in (
            ("gen_bundle", [gen_bundle, "-q", str(policies), "-o", str(bundle)]),
            ("bare_parse", [sys.executable, "-c", BARE_PARSE, str(policies)]),
        ):
            wall, peak, status = run_measured(command)
            if status != 0:
                raise RuntimeError(f"{name} failed ({status}): {' '.join(command)}")
            times[name].append(wall)
            peaks[name].append(peak)
    return {
        "yaml_bytes": sum(path.stat().st_size for path in policies.rglob("*.yaml")),
        "gen_bundle_seconds": summary(times["gen_bundle"]),
        "bare_parse_seconds": summary(times["bare_parse"]),
        "gen_bundle_peak_bytes": summary(peaks["gen_bundle"]),
        "bare_parse_peak_bytes": summary(peaks["bare_parse"]),
    }


# --- OPA ------------------------------------------------------------------------------------------


@contextmanager
def bundle_server(folder: Path) -> Iterator[str]:
    """A loopback HTTP server for `folder`, as nginx serves bundles/ to OPA-Envoy."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def process_memory(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) * 1024
    return values


def opa_envoy_command(rest_port: int, config: Path) -> tuple[list[str], str]:
    """OPA-Envoy (`opa-envoy-plugin`, as the sidecars run it) with its REST API on a loopback port, and the
    health URL that answers 200 once its bundles and plugins (the gRPC server) are up."""
    command = [tool("opa-envoy-plugin"), "run", "--server", "--addr", f"127.0.0.1:{rest_port}"]
    command += ["--config-file", str(config), "--log-level", "error"]
    return command, f"http://127.0.0.1:{rest_port}/health?bundles&plugins"


class Opa:
    """`opa run --server` with the bundles named in its configuration, downloaded from a bundle server."""

    def __init__(self, opa: str, bundles: dict[str, str], service_url: str, work: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "services": [{"name": "bundles", "url": service_url}],
            "bundles": {
                name: {
                    "service": "bundles",
                    "resource": resource,
                    "polling": {"min_delay_seconds": 3600, "max_delay_seconds": 7200},
                }
                for name, resource in bundles.items()
            },
        }
        self.config = work / f"opa-{self.port}.json"
        self.config.write_text(json.dumps(config))
        self.command = [
            opa,
            "run",
            "--server",
            "--addr",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "error",
            "--config-file",
            str(self.config),
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.session = requests.Session()
        self.activation_seconds = float("nan")

    def start(self, timeout: float = 300) -> Opa:
        start = time.perf_counter()
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = start + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"opa exited: {self.process.stderr.read().decode() if self.process.stderr else ''}")
            try:
                if self.session.get(f"{self.url}/health?bundles", timeout=5).status_code == 200:
                    self.activation_seconds = time.perf_counter() - start
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.005)  # the poll interval bounds the error of the activation time
        self.stop()
        raise TimeoutError("opa did not activate its bundles")

    def memory(self) -> dict[str, int]:
        assert self.process is not None
        return process_memory(self.process.pid)

    def query(self, path: str, input_value: Any) -> tuple[Any, dict[str, int]]:
        response = self.session.post(
            f"{self.url}/v1/data/{path}?metrics=true", json={"input": input_value}, timeout=600
        )
        response.raise_for_status()
        body = response.json()
        return body.get("result"), body.get("metrics", {})

    def ask(self, query: str, input_value: Any) -> Any:
        """The value of `query`'s variable `x` (a query through /v1/query, which may use `with`)."""
        response = self.session.post(f"{self.url}/v1/query", json={"query": query, "input": input_value}, timeout=600)
        response.raise_for_status()
        rows = response.json().get("result", [])
        return rows[0]["x"] if rows else None

    def stop(self) -> None:
        stop_process(self.process)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.session.close()


def activation_runs(opa: str, bundle: Path, repetitions: int, work: Path) -> dict[str, Any]:
    """Start to /health?bundles 200, and OPA's memory then, for the gen-bundle bundle alone."""
    seconds, rss, hwm = [], [], []
    with bundle_server(bundle.parent) as url:
        for _ in range(repetitions):
            server = Opa(opa, {"kuma": bundle.name}, url, work).start()
            try:
                seconds.append(server.activation_seconds)
                memory = server.memory()
                rss.append(memory["VmRSS"])
                hwm.append(memory["VmHWM"])
            finally:
                server.stop()
    return {
        "bundle_bytes": bundle.stat().st_size,
        "activation_seconds": summary(seconds),
        "rss_bytes": summary([float(value) for value in rss]),
        "peak_rss_bytes": summary([float(value) for value in hwm]),
    }


# --- evaluation -----------------------------------------------------------------------------------


def baseline_bundle(mesh: Mesh, folder: Path) -> Path:
    """The baseline policy and the MeshTrafficPermissions as written, as a bundle with root `baseline`."""
    build = folder / "baseline-build"
    shutil.rmtree(build, ignore_errors=True)
    (build / "baseline").mkdir(parents=True)
    shutil.copy(BASELINE_REGO, build / "baseline" / "baseline.rego")
    policies = [r for r in mesh.resources if r["kind"] == "MeshTrafficPermission"]
    (build / "baseline" / "data.json").write_text(json.dumps({"policies": policies}))
    (build / ".manifest").write_text(json.dumps({"roots": ["baseline"], "rego_version": 1}))
    target = folder / "baseline.tar.gz"
    subprocess.run(["tar", "-czf", str(target), "-C", str(build), ".manifest", "baseline"], check=True)
    shutil.rmtree(build)
    return target


def floor_bundle(folder: Path) -> Path:
    """bench/floor/floor.rego as a bundle with root `floor` (it reads the gen-bundle bundle's data)."""
    build = folder / "floor-build"
    shutil.rmtree(build, ignore_errors=True)
    (build / "floor").mkdir(parents=True)
    shutil.copy(FLOOR_REGO, build / "floor" / "floor.rego")
    (build / ".manifest").write_text(json.dumps({"roots": ["floor"], "rego_version": 1}))
    target = folder / "floor.tar.gz"
    subprocess.run(["tar", "-czf", str(target), "-C", str(build), ".manifest", "floor"], check=True)
    shutil.rmtree(build)
    return target


def check_input(request: Request, identity: str = "certificate") -> dict[str, Any]:
    """The request's check; `identity` (inbound): the client's URI SANs in its `certificate` or handed
    over from the TLS `session` (decision-api.md)."""
    if request.direction == "inbound":
        return inbound_check(
            request.local,
            request.client,
            identity=identity,
            spiffe_ids=None if request.spiffe_id is None else [request.spiffe_id],
            dataplane=request.dataplane,
        )
    destination = request.destination or {}
    return outbound_check(
        request.local,
        address=destination.get("address", "203.0.113.10"),
        port=destination.get("port", 443),
        host=destination.get("host"),
        sni=destination.get("sni"),
    )


def is_baseline_category(request: Request) -> bool:
    return request.category.startswith("inbound/mtp-")


def verify(opa: Opa, request: Request, check: dict[str, Any], with_baseline: bool) -> list[str]:
    """Problems with the decisions for one request: ours against the expectation, the baseline against ours."""
    problems = []
    path = f"kuma/authz/{request.direction}/decision"
    decision, _ = opa.query(path, check)
    metadata = decision["dynamic_metadata"]
    policy = (metadata.get("policy") or {}).get("name")
    if metadata["reason"] != request.expect_reason or policy != request.expect_policy:
        problems.append(
            f"{request.category}[{request.position}]: ours {metadata['reason']} by {policy}, "
            f"expected {request.expect_reason} by {request.expect_policy}"
        )
    if with_baseline and is_baseline_category(request):
        base, _ = opa.query("baseline/decision", check)
        ours = (decision["allowed"], metadata["reason"], policy, metadata["shadow_deny"])
        theirs = (base["allowed"], base["reason"], base.get("policy"), base["shadow_deny"])
        if ours != theirs:
            problems.append(f"{request.category}[{request.position}]: baseline {theirs} != ours {ours}")
    return problems


def eval_runs(
    opa_binary: str,
    bundle: Path,
    baseline: Path | None,
    requests_: list[Request],
    repetitions: int,
    samples: int,
    baseline_budget_seconds: float,
    work: Path,
) -> dict[str, Any]:
    """timer_rego_query_eval_ns for every request in one OPA holding every bundle: ours with the client's
    certificate, ours with its URI SANs from the TLS session, the floors (bench/floor) and the baseline,
    interleaved request by request so that they share the machine's state. Ours is the bundle with the
    decision tables of the inbound requests' inbounds (bench/tables.py), which answer those requests
    only when sent as deploy/ sends them: each such request is timed both ways."""
    floor = floor_bundle(bundle.parent)
    tabled = bundle.with_name(f"tabled-{bundle.name}")
    shutil.copyfile(bundle, tabled)
    inbound_requests = [r for r in requests_ if r.direction == "inbound"]
    dataplanes = {id(r): tables.deployed_dataplane(r) for r in inbound_requests}
    table_count = tables.add_decision_tables(find_opa(opa_binary), tabled, list(dataplanes.values()))
    deployed = {
        id(r): {way: tables.deployed_check(r, dataplanes[id(r)], way) for way in ("certificate", "session")}
        for r in inbound_requests
    }
    names = {"kuma": tabled.name, "floor": floor.name}
    if baseline is not None:
        names["baseline"] = baseline.name
    if baseline is not None and baseline.parent != bundle.parent:
        raise ValueError("both bundles must be in one folder")
    checks = [(request, check_input(request)) for request in requests_]
    sessions = {id(r): check_input(r, "session") for r in requests_ if r.direction == "inbound"}
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    session: dict[str, list[float]] = {}
    floors: dict[str, list[float]] = {}
    from_table: dict[str, list[float]] = {}
    handler: list[float] = []

    def timed(server: Opa, path: str, check: dict[str, Any]) -> float:
        _, metrics = server.query(path, check)
        return float(metrics["timer_rego_query_eval_ns"]) / 1e3

    with bundle_server(bundle.parent) as url:
        server = Opa(opa_binary, names, url, work).start()
        try:
            problems = [p for request, check in checks for p in verify(server, request, check, baseline is not None)]
            problems += [
                f"{request.category}[{request.position}]: the TLS session's URI SANs decide otherwise"
                for request, check in checks
                if request.direction == "inbound"
                and server.query("kuma/authz/inbound/decision", sessions[id(request)])[0]
                != server.query("kuma/authz/inbound/decision", check)[0]
            ]
            answered = {
                id(r)
                for r in inbound_requests
                if server.query("kuma/authz/inbound/table_decision", deployed[id(r)]["certificate"])[0] is not None
            }
            problems += [
                f"{r.category}[{r.position}]: its decision table decides otherwise than the chain ({way})"
                for r in inbound_requests
                for way, check in deployed[id(r)].items()
                if server.query("kuma/authz/inbound/decision", check)[0] != server.ask(CHAIN_ALONE, check)
            ]
            # the baseline's cost per query at this size, to fit its samples into the budget
            baseline_samples = samples
            if baseline is not None:
                probes = [c for r, c in checks if is_baseline_category(r)]
                start = time.perf_counter()
                for check in probes:
                    server.query("baseline/decision", check)
                per_query = (time.perf_counter() - start) / max(1, len(probes))
                affordable = baseline_budget_seconds / max(1e-9, per_query * len(probes) * repetitions)
                baseline_samples = max(2, min(samples, int(affordable)))
            for _ in range(repetitions):
                for request, check in checks:
                    path = f"kuma/authz/{request.direction}/decision"
                    has_certificate = "certificate" in check["attributes"]["source"]
                    for _ in range(samples):
                        _, metrics = server.query(path, check)
                        ours.setdefault(request.category, []).append(metrics["timer_rego_query_eval_ns"] / 1e3)
                        handler.append(metrics.get("timer_server_handler_ns", 0) / 1e3)
                        if request.direction == "outbound":
                            floors.setdefault("outbound", []).append(timed(server, "floor/outbound", check))
                        elif has_certificate:
                            floors.setdefault("certificate", []).append(timed(server, "floor/certificate", check))
                            floors.setdefault("minimal", []).append(timed(server, "floor/minimal_inbound", check))
                            ours.setdefault("inbound, by certificate", []).append(ours[request.category][-1])
                            session.setdefault(request.category, []).append(timed(server, path, sessions[id(request)]))
                            if id(request) in answered:
                                by_table = deployed[id(request)]
                                from_table.setdefault("certificate", []).append(
                                    timed(server, path, by_table["certificate"])
                                )
                                from_table.setdefault("floor", []).append(
                                    timed(server, "floor/certificate", by_table["certificate"])
                                )
                                from_table.setdefault("session", []).append(timed(server, path, by_table["session"]))
                    if baseline is not None and is_baseline_category(request):
                        for _ in range(baseline_samples):
                            _, metrics = server.query("baseline/decision", check)
                            theirs.setdefault(request.category, []).append(metrics["timer_rego_query_eval_ns"] / 1e3)
            memory = server.memory()
        finally:
            server.stop()
    by_certificate = ours.pop("inbound, by certificate", [])
    all_ours = [v for values in ours.values() for v in values]
    mtp_ours = [v for category, values in ours.items() if category.startswith("inbound/mtp-") for v in values]
    outbound_ours = [v for category, values in ours.items() if category.startswith("outbound/") for v in values]
    all_theirs = [v for values in theirs.values() for v in values]
    all_session = [v for values in session.values() for v in values]
    return {
        "problems": problems,
        "requests": len(checks),
        "samples_per_request": samples,
        "baseline_samples_per_request": baseline_samples if baseline is not None else 0,
        "ours_us": summary(all_ours),
        "ours_mtp_us": summary(mtp_ours),
        "baseline_mtp_us": summary(all_theirs) if all_theirs else None,
        "ours_by_category_us": {category: summary(values) for category, values in sorted(ours.items())},
        "baseline_by_category_us": {category: summary(values) for category, values in sorted(theirs.items())},
        # The floors (bench/floor/floor.rego) next to the decisions they bound, on the same inputs.
        "inbound_certificate_us": summary(by_certificate),
        "floor_certificate_us": summary(floors.get("certificate", [])),
        "minimal_inbound_us": summary(floors.get("minimal", [])),
        "inbound_session_us": summary(all_session),
        # The decision-table path (docs/split.md): the inbound requests a table answers, sent as deploy/ does.
        "decision_tables": table_count,
        "table_requests": len(answered),
        "table_certificate_us": summary(from_table.get("certificate", [])),
        "floor_table_certificate_us": summary(from_table.get("floor", [])),
        "table_session_us": summary(from_table.get("session", [])),
        "session_by_category_us": {category: summary(values) for category, values in sorted(session.items())},
        "outbound_us": summary(outbound_ours),
        "floor_outbound_us": summary(floors.get("outbound", [])),
        "server_handler_us": summary(handler),
        "opa_rss_bytes_after_eval": memory.get("VmRSS"),
    }


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="gen-bundle-bench-")
