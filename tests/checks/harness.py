"""Runs the shipped conftest checks (rego/checks) with the real, pinned conftest and reads its results.

Fixtures under tests/checks/fixtures hold one scenario each and say what they expect in leading
comments::

    # expect: MTP003 TREF001        (or `none`): the exact set of check IDs the file must produce
    # message: <text>               an exact `msg` that must be among the results (repeatable)
    # mode: combine                 run with `conftest test --combine` (cross-document checks)
    # forms: as-is                  do not also run the file converted to the Kubernetes form
    # kuma-version: 3.0.0           check for that Kuma release (a `--data` file of checks_settings)

A `{file}` in a message stands for the file's path as conftest reports it. Under --combine every
message starts with its location, `<file>, document <n>: `.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.support import kuma_yaml
from tests.support.forms import to_kubernetes
from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "rego" / "checks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOCS = ROOT / "docs" / "checks"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every check ID with its title, severity and namespace, as the checks define them."""
    process = subprocess.run(
        [tool("opa"), "eval", "--format", "raw", "--data", str(POLICY / "lib"), "data.checks.lib.catalogue"],
        capture_output=True,
        text=True,
        check=True,
    )
    value: dict[str, dict[str, str]] = json.loads(process.stdout)
    return value


# Which namespace owns which ID prefix.
NAMESPACES = {
    "RES": "checks.structure.resource",
    "MESH": "checks.structure.mesh",
    "MTP": "checks.structure.mtp",
    "MID": "checks.structure.identity",
    "MTR": "checks.structure.identity",
    "TREF": "checks.structure.targetref",
    "TP": "checks.structure.tp",
    "ES": "checks.structure.es",
    "MPT": "checks.structure.passthrough",
    "GB": "checks.structure.genbundle",
    "VER": "checks.structure.versions",
    "RISK": "checks.risk",
    "DEP": "checks.deprecated",
    "CMB": "checks.combined",
}


def prefix(check_id: str) -> str:
    return check_id.rstrip("0123456789")


@dataclass(frozen=True)
class Fixture:
    path: Path
    expect: frozenset[str]
    messages: tuple[str, ...]
    combine: bool
    both_forms: bool
    kuma_version: str | None = None

    @property
    def name(self) -> str:
        return self.path.relative_to(FIXTURES).as_posix()


def read_fixture(path: Path) -> Fixture:
    expect: frozenset[str] | None = None
    messages: list[str] = []
    combine = False
    both_forms = True
    kuma_version = None
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line.lstrip("# ").partition(": ")
        if key == "expect":
            expect = frozenset() if value.strip() == "none" else frozenset(value.split())
        elif key == "message":
            messages.append(value)
        elif key == "mode":
            combine = value.strip() == "combine"
        elif key == "forms":
            both_forms = value.strip() != "as-is"
        elif key == "kuma-version":
            kuma_version = value.strip()
    if expect is None:
        raise ValueError(f"{path}: no `# expect:` line")
    return Fixture(path, expect, tuple(messages), combine, both_forms, kuma_version)


def settings_data(directory: Path, kuma_version: str) -> Path:
    """A conftest `--data` file that checks for another Kuma release."""
    path = directory / f"kuma-{kuma_version}.yaml"
    path.write_text(f'checks_settings:\n  kuma_version: "{kuma_version}"\n')
    return path


def all_fixtures() -> list[Fixture]:
    return [read_fixture(path) for path in sorted(FIXTURES.rglob("*.yaml"))]


def kubernetes_copy(fixture: Fixture, directory: Path) -> Path:
    """The fixture with every Universal document turned into its Kubernetes form."""
    documents = [document for document in kuma_yaml.load_all(fixture.path.read_text()) if document is not None]
    converted = [to_kubernetes(document) if isinstance(document, dict) else document for document in documents]
    target = directory / fixture.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(kuma_yaml.dump_all(converted))
    return target


@dataclass
class Result:
    """One conftest result: the `msg`, the ID and where it came from."""

    file: str
    namespace: str
    severity: str  # "failure" or "warning"
    msg: str
    metadata: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.metadata.get("id", ""))


@dataclass
class Run:
    returncode: int
    results: list[Result] = field(default_factory=list)
    files: set[str] = field(default_factory=set)

    def by_file(self) -> dict[str, list[Result]]:
        grouped: dict[str, list[Result]] = defaultdict(list)
        for result in self.results:
            grouped[result.file].append(result)
        return grouped


def conftest(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("conftest"), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def conftest_test(paths: Iterable[Path | str], *flags: str, cwd: Path = ROOT, timeout: float = 300) -> Run:
    """`conftest test` with our checks over `paths`, all namespaces, JSON output."""
    process = conftest(
        "test",
        "--policy",
        str(POLICY),
        "--all-namespaces",
        "--output",
        "json",
        *flags,
        *map(str, paths),
        cwd=cwd,
        timeout=timeout,
    )
    if process.returncode not in (0, 1, 2) or not process.stdout.strip():
        raise AssertionError(f"conftest failed ({process.returncode}): {process.stderr}")
    run = Run(process.returncode)
    for entry in json.loads(process.stdout):
        run.files.add(entry["filename"])
        for severity, key in (("failure", "failures"), ("warning", "warnings")):
            for item in entry.get(key) or []:
                run.results.append(
                    Result(entry["filename"], entry["namespace"], severity, item["msg"], item.get("metadata", {}))
                )
    return run


def ids(results: Sequence[Result]) -> set[str]:
    return {result.id for result in results}
