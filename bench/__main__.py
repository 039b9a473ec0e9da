"""`python -m bench` (or `bench/run`): the gen-bundle benchmarks of issue #7, one command.

For each size: generate a synthetic mesh (bench/mesh.py), compile it with gen-bundle next to a bare
PyYAML C-loader parse, activate the bundle in OPA (start to /health?bundles 200, resident memory),
and time decisions inside OPA (timer_rego_query_eval_ns) for the gen-bundle library and for the
straightforward baseline (bench/baseline/baseline.rego) in the same OPA. Then, for the largest size,
end to end through Envoy when deploy/ provides the pieces (bench/envoy.py).

Results: bench/results/results.json (every figure), bench/results/report.md (the tables); with
--docs (the default for a full run of all four sizes) also the tables in docs/benchmarks.md and the
plots in docs/benchmarks/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import measure, report, split
from bench import mesh as meshes

ROOT = Path(__file__).resolve().parents[1]
FULL_SIZES = (100, 1_000, 10_000, 100_000)
LARGE = 100_000


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in FULL_SIZES),
        help="policy counts, comma separated (default: %(default)s)",
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each measurement (default: %(default)s)")
    parser.add_argument(
        "--large-compile-reps",
        type=int,
        default=2,
        help=f"compile repetitions at {LARGE:,} policies and more (default: %(default)s)",
    )
    parser.add_argument(
        "--samples", type=int, default=20, help="decisions per request and repetition (default: %(default)s)"
    )
    parser.add_argument(
        "--baseline-budget",
        type=float,
        default=90.0,
        help="seconds the baseline's timed decisions may take per size (default: %(default)s)",
    )
    parser.add_argument(
        "--envoy",
        choices=("auto", "skip"),
        default="auto",
        help="end to end through Envoy with deploy/ (default: %(default)s)",
    )
    parser.add_argument(
        "--split",
        choices=("auto", "skip"),
        default="auto",
        help="time --split and measure OPA-Envoy with one split bundle (bench/split.py; default: %(default)s)",
    )
    parser.add_argument(
        "--split-reps",
        type=int,
        default=1,
        help="repetitions of the split timings, each two gen-bundle runs with an inventory (default: %(default)s)",
    )
    parser.add_argument("--envoy-rate", type=int, default=500, help="requests per second (default: %(default)s)")
    parser.add_argument("--envoy-duration", type=int, default=30, help="seconds per load run (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="results folder")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    docs = parser.add_mutually_exclusive_group()
    docs.add_argument(
        "--docs",
        dest="docs",
        action="store_true",
        default=None,
        help="update docs/benchmarks.md and docs/benchmarks/*.png (default: only for a full run)",
    )
    docs.add_argument("--no-docs", dest="docs", action="store_false")
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) * 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    opa = measure_tool("opa")
    version = subprocess.run([opa, "version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_bytes": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "opa": version.split(":", 1)[1].strip(),
        "load_average_at_start": os.getloadavg(),
    }


def measure_tool(name: str) -> str:
    from tests.support.tools import tool

    return tool(name)


def run_size(size: int, arguments: argparse.Namespace, work: Path, opa: str) -> dict[str, Any]:
    started = time.perf_counter()
    folder = work / str(size)
    shutil.rmtree(folder, ignore_errors=True)
    mesh = meshes.generate(size)
    meshes.write(mesh, folder / "policies")
    requests = meshes.requests_for(mesh)
    bundles = folder / "bundles"
    bundles.mkdir(parents=True)
    bundle = bundles / "bundle.tar.gz"
    log(f"{size:>7,} policies: compile ({dict(mesh.counts)})")
    reps = arguments.large_compile_reps if size >= LARGE else arguments.reps
    compiled = measure.compile_runs(folder / "policies", bundle, reps)
    log(f"{size:>7,} policies: activation")
    activation = measure.activation_runs(opa, bundle, arguments.reps, work)
    log(f"{size:>7,} policies: evaluation ({len(requests)} requests)")
    baseline = measure.baseline_bundle(mesh, bundles)
    evaluation = measure.eval_runs(
        opa, bundle, baseline, requests, arguments.reps, arguments.samples, arguments.baseline_budget, work
    )
    e2e = next(r for r in requests if r.category == "inbound/mtp-middle-entry" and r.position == "middle")
    for problem in evaluation["problems"]:
        log(f"  PROBLEM {problem}")
    split_results = None
    if arguments.split != "skip":
        log(f"{size:>7,} policies: split bundles")
        plain = compiled["gen_bundle_seconds"]["median"]
        split_results = split.run(mesh, folder, arguments.split_reps, work, plain)
    return {
        "split": split_results,
        "size": size,
        "resources": dict(mesh.counts),
        "services": mesh.generated,
        "mtp_from_entries": sum(
            len(r["spec"].get("from", [])) for r in mesh.resources if r["kind"] == "MeshTrafficPermission"
        ),
        "mtp_rules_matches": sum(
            len(match_list)
            for r in mesh.resources
            if r["kind"] == "MeshTrafficPermission"
            for rule in r["spec"].get("rules", [])
            for match_list in rule["default"].values()
        ),
        "compile": compiled,
        "activation": activation,
        "evaluation": evaluation,
        "seconds": time.perf_counter() - started,
        "e2e_request": {"local": e2e.local, "client": e2e.client},
    }


def proxy_bundle(size: dict[str, Any]) -> Path | None:
    """The split bundle (bench/split.py) of the Dataplane that serves the end-to-end request's inbound: what
    its sidecar's OPA-Envoy fetches in a split deployment (docs/split.md)."""
    folder = ((size.get("split") or {}).get("writing") or {}).get("split_folder")
    if not folder:
        return None
    app = size["e2e_request"]["local"].get("app", "")
    name = meshes.dataplane_of(int(app.removeprefix("svc-")))["name"] if app.startswith("svc-") else None
    index = json.loads((Path(folder) / "index.json").read_text())["bundles"]
    entry = next((e for e in index if e.get("name") == name), None)
    return Path(folder) / entry["file"] if entry else None


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    sizes = [int(s.replace("_", "")) for s in arguments.sizes.split(",") if s.strip()]
    write_docs = arguments.docs if arguments.docs is not None else tuple(sizes) == FULL_SIZES
    started = time.perf_counter()
    opa = measure_tool("opa")
    results: dict[str, Any] = {
        "command": "bench/run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(arguments).items()},
        "sizes": [],
    }
    arguments.out.mkdir(parents=True, exist_ok=True)
    scratch = None
    if arguments.work is None:
        scratch = measure.temporary_folder()
        work = Path(scratch.name)
    else:
        work = arguments.work
        work.mkdir(parents=True, exist_ok=True)
    try:
        for size in sizes:
            results["sizes"].append(run_size(size, arguments, work, opa))
            save(results, arguments.out)
        if arguments.envoy != "skip":
            from bench import envoy

            largest = max(results["sizes"], key=lambda s: s["size"])
            whole = work / str(largest["size"]) / "bundles" / "bundle.tar.gz"
            own = proxy_bundle(largest)
            log(
                f"end to end through Envoy with the {largest['size']:,}-policy mesh "
                f"({'the proxy’s split bundle, and the whole mesh' if own else 'the whole-mesh bundle'})"
            )
            results["envoy"] = envoy.run(
                own or whole,
                largest["e2e_request"]["local"],
                largest["e2e_request"]["client"],
                arguments.envoy_rate,
                arguments.envoy_duration,
                arguments.reps,
                work,
                whole_mesh=whole if own else None,
            )
            results["envoy"]["size"] = largest["size"]
            for line in results["envoy"].get("notes", []):
                log(f"  {line}")
    finally:
        results["total_seconds"] = time.perf_counter() - started
        results["machine"]["load_average_at_end"] = os.getloadavg()
        save(results, arguments.out)
        if scratch is not None:
            scratch.cleanup()
    text = report.markdown(results)
    (arguments.out / "report.md").write_text(text)
    report.plots(results, arguments.out)
    if write_docs:
        report.update_docs(results, text, ROOT / "docs")
    print(text)
    log(f"done in {results['total_seconds'] / 60:.1f} min; results in {arguments.out}")
    problems = [p for size in results["sizes"] for p in size["evaluation"]["problems"]]
    return 1 if problems else 0


def save(results: dict[str, Any], out: Path) -> None:
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    sys.exit(main())
