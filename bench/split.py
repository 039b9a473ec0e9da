"""Split bundles (`gen-bundle --split`, docs/split.md) at one size of the synthetic mesh.

* **Writing**: `gen-bundle` with and without `--split` on the same policies and the same inventory (one
  Dataplane per generated service, as `kubectl get dataplanes -A -o yaml` lists them), each in a fresh
  process; the split run writes one bundle per Dataplane (`--split-by dataplane`). Then the split again
  after a change to one policy: only the bundle it reaches is rewritten (so every other one was left
  byte-identical). The plain build without the inventory (bench/measure.py's compile figure of
  the same size) is given for scale: the inventory's CMB006 pass (docs/inventory.md) asks one
  explanation per inbound, which is most of the difference at large sizes (about 45 s at 10,000
  policies on 2 cores), so each of these runs costs several minutes at 100,000 policies (two per
  repetition, and the rerun): `--split skip` leaves the whole measurement out.
* **Memory**: OPA-Envoy (`opa-envoy-plugin`, as the sidecars run it) with one split bundle, against
  the same OPA-Envoy with an empty bundle (a `.manifest` only) and with the library and no mesh, each
  downloaded from a loopback bundle server; resident memory once the bundle is active and after a few
  decisions.

Service bundles are not timed here: in this mesh most policies select by namespace, team or Dataplane
label, so a bundle that is right for any Dataplane of a service keeps nearly all of them (docs/split.md
"How big").
"""

from __future__ import annotations

import copy
import io
import json
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import requests
import yaml

from bench import mesh as meshes
from bench.measure import bundle_server, check_input, opa_envoy_command, process_memory, run_measured, summary
from tests.support.opa import free_port
from tests.support.processes import stop_process

MB = 1024 * 1024
WRITING_TARGET = 2.0  # writing every split bundle, against the single-bundle build
MEMORY_TARGET = 1.25  # OPA-Envoy with one split bundle, against an empty bundle
DECISIONS = 20  # decisions asked before the second memory reading


def write_inventory(mesh: meshes.Mesh, path: Path) -> int:
    """One Kubernetes Dataplane per generated service, with the tags and labels the requests carry."""
    items = []
    for s in range(mesh.generated):
        facts = meshes.dataplane_of(s)
        items.append(
            {
                "apiVersion": "kuma.io/v1alpha1",
                "kind": "Dataplane",
                "mesh": meshes.MESH,
                "metadata": {"name": facts["name"], "namespace": facts["namespace"], "labels": facts["labels"]},
                "spec": {
                    "networking": {"address": "10.0.0.1", "inbound": [{"port": 8080, "tags": meshes.inbound_tags(s)}]}
                },
            }
        )
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return len(items)


def _gen_bundle() -> str:
    return str(Path(sys.executable).with_name("gen-bundle"))


def _timed(command: list[str]) -> tuple[float, int]:
    wall, peak, status = run_measured(command)
    if status != 0:
        raise RuntimeError(f"gen-bundle failed ({status}): {' '.join(command)}")
    return wall, peak


def _split_report(command: list[str]) -> dict[str, Any]:
    """One split run with --format json: its wall time and what it wrote."""
    started = time.perf_counter()
    result = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"gen-bundle failed ({result.returncode}): {result.stderr[-2000:]}")
    split: dict[str, Any] = json.loads(result.stdout)["bundle"]["split"]
    return {
        "seconds": wall,
        "bundles": split["bundles"],
        "written": len(split["written"]),
        "removed": len(split["removed"]),
    }


def one_policy_changed(mesh: meshes.Mesh, policies: Path) -> str:
    """Flip the first entry of one service's own MeshTrafficPermission (near the middle of the mesh)
    from Allow to Deny, rewriting only its file; the policy's name."""
    for s in range(mesh.generated // 2, mesh.generated):
        name = f"svc-{s:06d}"
        for position, resource in enumerate(mesh.resources):
            spec = resource.get("spec", {})
            if (
                resource["kind"] == "MeshTrafficPermission"
                and resource["metadata"]["name"] == name
                and spec.get("from")
            ):
                if spec["from"][0]["default"]["action"] != "Allow":
                    continue
                changed = copy.deepcopy(resource)
                changed["spec"]["from"][0]["default"]["action"] = "Deny"
                start = position - position % meshes.FILE_CHUNK
                chunk = [
                    *mesh.resources[start:position],
                    changed,
                    *mesh.resources[position + 1 : start + meshes.FILE_CHUNK],
                ]
                path = policies / f"policies-{start // meshes.FILE_CHUNK:04d}.yaml"
                path.write_text(yaml.dump_all(chunk, Dumper=yaml.CSafeDumper, sort_keys=False))
                return name
    raise RuntimeError("no service policy with an Allow entry to change")


def writing_runs(mesh: meshes.Mesh, folder: Path, repetitions: int) -> dict[str, Any]:
    policies = folder / "policies"
    inventory = folder / "dataplanes.json"
    dataplanes = write_inventory(mesh, inventory)
    bundle = folder / "bundles" / "split-bench.tar.gz"
    bundle.parent.mkdir(parents=True, exist_ok=True)
    split = folder / "bundles" / "split"
    base = [_gen_bundle(), "-q", str(policies), "-o", str(bundle), "--inventory", str(inventory)]
    with_split = [*base, "--split", str(split), "--split-by", "dataplane"]
    times: dict[str, list[float]] = {"without_split": [], "with_split": []}
    peaks: dict[str, list[float]] = {"without_split": [], "with_split": []}
    for repetition in range(repetitions):
        pair = [("without_split", base), ("with_split", with_split)]
        for name, command in pair if repetition % 2 == 0 else pair[::-1]:  # alternate: no order bias
            if name == "with_split":
                subprocess.run(["rm", "-rf", str(split)], check=True)  # every bundle written, none compared
            wall, peak = _timed(command)
            times[name].append(wall)
            if name in peaks:
                peaks[name].append(peak)
    changed_policy = one_policy_changed(mesh, policies)
    after_change = _split_report(with_split)
    sizes = sorted(path.stat().st_size for path in split.rglob("*.tar.gz"))
    ratio = statistics.median(times["with_split"]) / statistics.median(times["without_split"])
    return {
        "dataplanes": dataplanes,
        "without_split_seconds": summary(times["without_split"]),
        "with_split_seconds": summary(times["with_split"]),
        "without_split_peak_bytes": summary(peaks["without_split"]),
        "with_split_peak_bytes": summary(peaks["with_split"]),
        "ratio": ratio,
        "changed_policy": changed_policy,
        "rerun_after_one_change": after_change,
        "bundle_bytes": {"min": sizes[0], "median": sizes[len(sizes) // 2], "max": sizes[-1], "total": sum(sizes)},
        "whole_bundle_bytes": bundle.stat().st_size,
        "split_folder": str(split),
    }


# --- OPA-Envoy memory ----------------------------------------------------------------------------


def empty_bundle(path: Path) -> Path:
    """A bundle with nothing but a manifest for the `kuma` root."""
    manifest = json.dumps({"revision": "empty", "roots": ["kuma"], "rego_version": 1}).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        info = tarfile.TarInfo(".manifest")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
    path.write_bytes(raw.getvalue())
    return path


def library_bundle(path: Path) -> Path:
    """The library and a data document of no mesh: what every split bundle carries at the least."""
    from generator.bundle import build_bundle
    from generator.compile import DATA_FORMAT

    data = {
        "format": DATA_FORMAT,
        "semantics": {"kuma_version": "2.14.3", "identity_selects_rules": True},
        "meshes": {},
    }
    path.write_bytes(build_bundle(data, {}).archive)
    return path


def opa_envoy_memory(served: Path, resource: str, checks: list[dict[str, Any]], work: Path) -> dict[str, int]:
    """OPA-Envoy's VmRSS once `resource` is active, and after DECISIONS decisions over its REST API."""
    rest, grpc = free_port(), free_port()
    config = work / f"opa-envoy-{rest}.json"
    with bundle_server(served) as url:
        config.write_text(
            json.dumps(
                {
                    "services": [{"name": "bundles", "url": url}],
                    "bundles": {
                        "kuma": {
                            "service": "bundles",
                            "resource": resource,
                            "polling": {"min_delay_seconds": 3600, "max_delay_seconds": 7200},
                        }
                    },
                    "plugins": {"envoy_ext_authz_grpc": {"addr": f"127.0.0.1:{grpc}", "path": "kuma/authz/decision"}},
                }
            )
        )
        command, health = opa_envoy_command(rest, config)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            session = requests.Session()
            deadline = time.monotonic() + 300
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"opa-envoy-plugin exited ({process.returncode}) with {resource}")
                try:
                    if session.get(health, timeout=5).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"opa-envoy-plugin did not activate {resource}")
                time.sleep(0.01)  # the health poll's interval
            active = process_memory(process.pid)["VmRSS"]
            for _ in range(DECISIONS // max(1, len(checks)) or 1):
                for check in checks:
                    session.post(
                        f"http://127.0.0.1:{rest}/v1/data/kuma/authz/decision", json={"input": check}, timeout=60
                    )
            return {"active": active, "after_decisions": process_memory(process.pid)["VmRSS"]}
        finally:
            stop_process(process)


def memory_runs(mesh: meshes.Mesh, folder: Path, split: Path, repetitions: int, work: Path) -> dict[str, Any]:
    requests_ = [r for r in meshes.requests_for(mesh) if r.position == "middle"]
    checks = [check_input(request) for request in requests_]
    served = folder / "bundles"
    empty_bundle(served / "empty.tar.gz")
    library_bundle(served / "library.tar.gz")
    index = json.loads((split / "index.json").read_text())["bundles"]
    by_size = sorted(index, key=lambda entry: (split / entry["file"]).stat().st_size)
    middle = next(
        (e for e in index if e.get("name") == meshes.dataplane_of(mesh.generated // 2)["name"]),
        by_size[len(by_size) // 2],
    )
    bundles = {
        "empty": "empty.tar.gz",
        "library": "library.tar.gz",
        "split_middle": f"split/{middle['file']}",
        "split_largest": f"split/{by_size[-1]['file']}",
    }
    readings: dict[str, dict[str, list[float]]] = {name: {"active": [], "after_decisions": []} for name in bundles}
    for _ in range(repetitions):
        for name, resource in bundles.items():
            reading = opa_envoy_memory(served, resource, checks, work)
            for key, value in reading.items():
                readings[name][key].append(float(value))
    medians = {
        name: {key: statistics.median(values) for key, values in reading.items()} for name, reading in readings.items()
    }
    return {
        "bundles": bundles,
        "bundle_bytes": {name: (served / resource).stat().st_size for name, resource in bundles.items()},
        "rss_bytes": {
            name: {key: summary(values) for key, values in reading.items()} for name, reading in readings.items()
        },
        "ratio_middle": medians["split_middle"]["after_decisions"] / medians["empty"]["after_decisions"],
        "ratio_largest": medians["split_largest"]["after_decisions"] / medians["empty"]["after_decisions"],
    }


def run(mesh: meshes.Mesh, folder: Path, repetitions: int, work: Path, plain_seconds: float) -> dict[str, Any]:
    """`plain_seconds`: the plain build of the same policies (for scale)."""
    writing = writing_runs(mesh, folder, repetitions)
    writing["plain_seconds"] = plain_seconds
    memory = memory_runs(mesh, folder, Path(writing["split_folder"]), repetitions, work)
    return {"writing": writing, "memory": memory}


# --- report ----------------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, verdict, met) for the split targets of issue #15, at the largest size run."""
    sized = [s for s in results["sizes"] if s.get("split")]
    if not sized:
        return []
    largest = max(sized, key=lambda s: s["size"])
    size, writing, memory = largest["size"], largest["split"]["writing"], largest["split"]["memory"]
    ratio = writing["ratio"]
    rss = memory["rss_bytes"]
    worst = memory["ratio_largest"]
    return [
        (
            f"writing all split bundles at {size:,} ≤ {WRITING_TARGET:g} × the single-bundle build",
            f"{writing['with_split_seconds']['median']:,.1f} s vs {writing['without_split_seconds']['median']:,.1f} s "
            f"({writing['dataplanes']:,} Dataplane bundles): {ratio:.2f} ×",
            _verdict(ratio <= WRITING_TARGET, f"{ratio / WRITING_TARGET:.2f} × the limit"),
            ratio <= WRITING_TARGET,
        ),
        (
            f"OPA-Envoy RSS with one split bundle at {size:,} ≤ {MEMORY_TARGET:g} × with an empty bundle",
            f"{rss['split_largest']['after_decisions']['median'] / MB:,.1f} MiB (largest bundle; middle "
            f"{rss['split_middle']['after_decisions']['median'] / MB:,.1f}) vs "
            f"{rss['empty']['after_decisions']['median'] / MB:,.1f} MiB: {worst:.2f} ×",
            _verdict(worst <= MEMORY_TARGET, f"{worst / MEMORY_TARGET:.2f} × the limit"),
            worst <= MEMORY_TARGET,
        ),
        (
            f"a one-policy change at {size:,} rewrites only the bundles it affects",
            f"{writing['rerun_after_one_change']['written']} of {writing['rerun_after_one_change']['bundles']:,} "
            f"rewritten ({writing['changed_policy']}), the others byte-identical",
            _verdict(
                writing["rerun_after_one_change"]["written"] == 1,
                "more bundles rewritten than the change reaches",
            ),
            writing["rerun_after_one_change"]["written"] == 1,
        ),
    ]


def _verdict(met: bool, detail: str) -> str:
    return "**met**" if met else f"**missed** ({detail})"


def markdown(results: dict[str, Any]) -> list[str]:
    sized = [s for s in results["sizes"] if s.get("split")]
    if not sized:
        return []
    out = [
        "",
        "### Split bundles (`--split`, one bundle per Dataplane of the inventory)",
        "",
        "gen-bundle with the inventory, without and with `--split DIR --split-by dataplane` (medians, fresh "
        "processes; the split run starts from an empty folder); the plain build without inventory (the compile "
        "table's median) for scale. "
        "OPA-Envoy RSS (median) after the bundle is active and a few decisions.",
        "",
        "| policies | Dataplanes | plain build | without --split | with --split | ratio | "
        "after one change | split bundle (median / max) | all split bundles | OPA-Envoy RSS: empty / library / "
        "split (middle, largest) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in sized:
        w, m = s["split"]["writing"], s["split"]["memory"]
        rss = {name: m["rss_bytes"][name]["after_decisions"]["median"] / MB for name in m["rss_bytes"]}
        out.append(
            f"| {s['size']:,} | {w['dataplanes']:,} | {w['plain_seconds']:,.1f} s | "
            f"{w['without_split_seconds']['median']:,.1f} s | {w['with_split_seconds']['median']:,.1f} s | "
            f"{w['ratio']:.2f} × | "
            f"{w['rerun_after_one_change']['seconds']:,.1f} s, {w['rerun_after_one_change']['written']} written | "
            f"{w['bundle_bytes']['median'] / 1024:,.0f} / {w['bundle_bytes']['max'] / 1024:,.0f} KiB | "
            f"{w['bundle_bytes']['total'] / MB:,.0f} MiB | {rss['empty']:,.1f} / {rss['library']:,.1f} / "
            f"{rss['split_middle']:,.1f}, {rss['split_largest']:,.1f} MiB |"
        )
    return out
