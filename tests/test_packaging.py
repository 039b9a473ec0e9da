"""`pip install .` must give a gen-bundle that carries the Rego library: the wheel holds a copy of
rego/kuma/authz without its tests. And the test command's installs are all locked (constraints/test.txt)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_the_rego_library_and_the_console_script(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("gen_bundle-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(name for name in names if name.endswith("entry_points.txt"))
        assert "gen-bundle = generator.cli:main" in archive.read(entry_points).decode()
    library = {name for name in names if name.startswith("generator/library/kuma/authz/")}
    source = ROOT / "rego" / "kuma" / "authz"
    # recursive: one directory per package (rego/kuma/authz/inbound/inbound.rego, ...)
    expected = {
        f"generator/library/kuma/authz/{path.relative_to(source).as_posix()}" for path in source.rglob("*.rego")
    }
    assert expected <= library
    assert "generator/library/kuma/authz/main.rego" in library
    assert "generator/library/kuma/authz/inbound/inbound.rego" in library
    assert "generator/compile/data.schema.json" in names  # the data document's contract (docs/data-shape.md)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_closure(project: str, extras: set[str]) -> dict[str, str]:
    """Every installed distribution `project[extras]` needs, transitively: name -> version. Walked through
    the installed metadata, so other things in the same environment (the benchmarks' extra) do not count."""
    found: dict[str, str] = {}
    walked: set[tuple[str, frozenset[str]]] = set()  # a package reached again with other extras needs more
    pending = [(project, frozenset(extras))]
    while pending:
        name, wanted = pending.pop()
        if (normalized(name), wanted) in walked:
            continue
        walked.add((normalized(name), wanted))
        dist = importlib.metadata.distribution(name)
        found[normalized(name)] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            environments = [{"extra": extra} for extra in wanted] or [{"extra": ""}]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
                continue
            pending.append((requirement.name, frozenset(requirement.extras)))
    return found


def test_every_package_the_test_command_installs_is_locked_at_its_version() -> None:
    """A fresh machine resolves today's newest of anything unpinned: the lock must name it all."""
    locked = {}
    for line in (ROOT / "constraints" / "test.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            locked[normalized(name)] = version.strip()
    needed = installed_closure("gen-bundle", {"dev"})
    assert {"pytest", "pyyaml", "rpds-py"} <= set(needed), "the walk reaches transitive dependencies"
    unlocked = {
        name: version for name, version in needed.items() if name != "gen-bundle" and locked.get(name) != version
    }
    assert not unlocked, f"installed but not in constraints/test.txt at this version: {unlocked}"
