"""`python -m bench.questions`: the question verbs next to the plain build of the same input
(issue #14: each within 10x the build), on the synthetic meshes of bench/mesh.py.

* diff: two sets of --policies resources (default 10,000) that differ in 1% of their
  MeshTrafficPermissions (the first from[] entry's action flipped), `gen-bundle diff OLD NEW`
  against `gen-bundle OLD -o ...`;
* matrix: the smallest synthetic mesh with at least --services services (default 1,000),
  `gen-bundle matrix MESH -o matrix.csv` against `gen-bundle MESH -o ...`.

Each command runs --reps times (default 3) as a user runs it (a process, the real OPA); the median
wall time is reported. Results: OUT/questions.json and a table printed for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import mesh as meshes

CHANGED_SHARE = 100  # one MeshTrafficPermission in a hundred


def timed(command: list[str], reps: int, expect: tuple[int, ...] = (0,)) -> tuple[float, str]:
    times = []
    output = ""
    for _ in range(reps):
        start = time.perf_counter()
        process = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if process.returncode not in expect:
            raise SystemExit(f"{command[:3]} exited {process.returncode}: {process.stderr[-2000:]}")
        output = process.stdout
    return statistics.median(times), output


def changed(mesh: meshes.Mesh) -> tuple[meshes.Mesh, int]:
    """The same mesh with every CHANGED_SHARE-th from[] MeshTrafficPermission's first action flipped."""
    other = copy.deepcopy(mesh)
    count = 0
    seen = 0
    for resource in other.resources:
        entries = resource.get("spec", {}).get("from") if resource.get("kind") == "MeshTrafficPermission" else None
        if not entries:
            continue
        seen += 1
        if seen % CHANGED_SHARE == 0:
            action = entries[0]["default"]["action"]
            entries[0]["default"]["action"] = "Deny" if action != "Deny" else "Allow"
            count += 1
    return other, count


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.questions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--services", type=int, default=1_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    arguments = parser.parse_args()
    gen_bundle = shutil.which("gen-bundle")
    assert gen_bundle, "gen-bundle is not installed"
    work = arguments.out / "questions-work"
    shutil.rmtree(work, ignore_errors=True)
    results: dict[str, Any] = {}

    old = meshes.generate(arguments.policies)
    new, flipped = changed(old)
    meshes.write(old, work / "old")
    meshes.write(new, work / "new")
    build_time, _ = timed([gen_bundle, str(work / "old"), "-o", str(work / "old.tar.gz"), "-q"], arguments.reps)
    diff_time, diff_output = timed(
        [gen_bundle, "diff", str(work / "old"), str(work / "new")], arguments.reps, expect=(0, 1)
    )
    results["diff"] = {
        "policies": arguments.policies,
        "changed_policies": flipped,
        "build_seconds": build_time,
        "diff_seconds": diff_time,
        "ratio": diff_time / build_time,
        "summary": diff_output.splitlines()[0],
    }

    size = 1_000
    while meshes.generate(size).generated < arguments.services:
        size = int(size * 1.25)
    matrix_mesh = meshes.generate(size)
    meshes.write(matrix_mesh, work / "matrix")
    build_time, _ = timed([gen_bundle, str(work / "matrix"), "-o", str(work / "matrix.tar.gz"), "-q"], arguments.reps)
    matrix_time, matrix_output = timed(
        [gen_bundle, "matrix", str(work / "matrix"), "-o", str(work / "matrix.csv")], arguments.reps
    )
    results["matrix"] = {
        "policies": size,
        "services": matrix_mesh.generated,
        "build_seconds": build_time,
        "matrix_seconds": matrix_time,
        "ratio": matrix_time / build_time,
        "summary": matrix_output.strip(),
    }
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "questions.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| question | input | build (s) | question (s) | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    d, m = results["diff"], results["matrix"]
    print(
        f"| `diff` | two sets of {d['policies']:,} resources, {d['changed_policies']} MeshTrafficPermissions changed | "
        f"{d['build_seconds']:.1f} | {d['diff_seconds']:.1f} | {d['ratio']:.1f}x |"
    )
    print(
        f"| `matrix` | {m['services']:,} services ({m['policies']:,} resources) | "
        f"{m['build_seconds']:.1f} | {m['matrix_seconds']:.1f} | {m['ratio']:.1f}x |"
    )
    print(d["summary"])
    print(m["summary"])


if __name__ == "__main__":
    main()
