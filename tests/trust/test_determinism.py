"""Determinism: the same input gives the same bundle bytes whatever the run — hash seed, locale, time
zone, umask, working directory, file-system order, the order in which files are named — and the same
resources give the same compiled data however they are spread over files and documents.

A bundle server uses the content as ETag and OPA-Envoy logs the revision: a rebuild of unchanged
policies must not look like a change, and two machines must agree on what a revision means.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.bundle import DATA_PATH
from tests.support import kuma_yaml
from tests.trust.keys import key_pair
from tests.trust.strategies import Resource, policy_sets

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCENARIOS = ["inbound/tp-selection", "inbound/precedence-by-name", "outbound/passthrough-precedence"]


def policy_tree(folder: Path, order: list[int] | None = None) -> Path:
    """examples/ plus three scenarios (each in a mesh of its own), as a tree of files written in
    `order`, so that the file system lists them differently from one tree to the next."""
    files: dict[str, str] = {
        f"examples/{path.relative_to(EXAMPLES).as_posix()}": path.read_text()
        for path in sorted(EXAMPLES.rglob("*.yaml"))
    }
    for scenario in SCENARIOS:
        mesh = scenario.split("/")[1]
        resources = kuma_yaml.load((ROOT / "tests" / "scenarios" / f"{scenario}.yaml").read_text())["resources"]
        for resource in resources:
            if resource["type"] == "Mesh":
                resource["name"] = mesh
            else:
                resource["mesh"] = mesh
        files[f"scenarios/{mesh}.yaml"] = kuma_yaml.dump_all(resources)
    names = sorted(files)
    for index in order or range(len(names)):
        path = folder / "policies" / names[index]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[names[index]])
    return folder / "policies"


def gen_bundle(*arguments: str, cwd: Path, env: dict[str, str] | None = None, umask: int = 0o022) -> bytes:
    command = shutil.which("gen-bundle")
    assert command
    output = cwd / "bundle.tar.gz"
    subprocess.run(
        [command, *arguments, "-q", "-o", str(output)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        preexec_fn=lambda: os.umask(umask),
        check=True,
        capture_output=True,
    )
    return output.read_bytes()


def test_bundles_are_byte_identical_across_hash_seeds_locales_time_zones_and_umasks(tmp_path: Path) -> None:
    tree = policy_tree(tmp_path / "a")
    variants = [
        {"PYTHONHASHSEED": "0"},
        {"PYTHONHASHSEED": "1", "TZ": "Pacific/Kiritimati", "LC_ALL": "C"},
        {"PYTHONHASHSEED": "4294967295", "TZ": "America/St_Johns", "LC_ALL": "C.UTF-8"},
        {"PYTHONHASHSEED": "random"},
    ]
    umasks = [0o022, 0o077, 0o000, 0o027]
    bundles = {
        gen_bundle(str(tree), cwd=tmp_path / "a", env=variant, umask=umask)
        for variant, umask in zip(variants, umasks, strict=True)
    }
    assert len(bundles) == 1
    in_process = build([str(tree)])
    assert in_process.bundle is not None
    assert in_process.bundle.archive in bundles


def test_another_place_and_another_file_system_order_give_the_same_bytes(tmp_path: Path) -> None:
    count = len(list(EXAMPLES.rglob("*.yaml"))) + len(SCENARIOS)
    orders = [list(range(count)), list(reversed(range(count))), random.Random(7).sample(range(count), count)]
    bundles = set()
    for index, order in enumerate(orders):
        place = tmp_path / f"machine-{index}" / "deep" / "checkout"
        tree = policy_tree(place, order)
        bundles.add(gen_bundle("policies", cwd=place))  # relative
        bundles.add(gen_bundle(str(tree), cwd=tmp_path))  # absolute, from elsewhere
    assert len(bundles) == 1


def test_the_order_in_which_files_are_named_does_not_matter(tmp_path: Path) -> None:
    tree = policy_tree(tmp_path)
    files = sorted(str(path.relative_to(tmp_path)) for path in tree.rglob("*.yaml"))
    shuffled = random.Random(11).sample(files, len(files))
    assert gen_bundle(*files, cwd=tmp_path) == gen_bundle(*reversed(files), cwd=tmp_path)
    assert gen_bundle(*files, cwd=tmp_path) == gen_bundle(*shuffled, cwd=tmp_path)


def test_signed_bundles_are_byte_identical_across_runs(tmp_path: Path) -> None:
    tree = policy_tree(tmp_path)
    private, _ = key_pair("ES256").write(tmp_path, "key")
    signed = {
        gen_bundle(str(tree), "--signing-key", str(private), cwd=tmp_path, env={"PYTHONHASHSEED": seed})
        for seed in ("0", "1", "random")
    }
    assert len(signed) == 1


@settings(max_examples=15, deadline=None)
@given(resources=policy_sets(), data=st.data())
def test_the_same_resources_compile_to_the_same_data_however_they_are_spread(
    resources: list[Resource], data: st.DataObject
) -> None:
    """Resources in any order, split over any number of files and documents (and kubectl Lists)."""
    compiled = set()
    for _ in range(3):
        shuffled = data.draw(st.permutations(resources))
        parts = data.draw(st.integers(1, 4))
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            for part in range(parts):
                chunk = shuffled[part::parts]
                if not chunk:
                    continue
                if data.draw(st.booleans()) and all("kind" in resource for resource in chunk):
                    text = kuma_yaml.dump({"apiVersion": "v1", "kind": "List", "items": chunk})
                else:
                    text = kuma_yaml.dump_all(chunk)
                (folder / f"{data.draw(st.sampled_from('abcdefgh'))}{part}.yaml").write_text(text)
            result = build([str(folder)])
        assert result.bundle is not None, [str(d) for d in result.errors]
        compiled.add(result.bundle.files[DATA_PATH])
    assert len(compiled) == 1
