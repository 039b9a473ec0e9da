"""Quality gates for all Rego of the project (rego/: the bundle library and the conftest checks).

Each gate runs the real, pinned tool: `opa fmt` leaves nothing to change, `opa check --strict`
passes, Regal reports nothing, and `opa test --coverage` passes with at least 90% line coverage of
the library (rego/kuma) and of the checks (rego/checks), test files left out of the count.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import PurePosixPath
from typing import Any

import pytest

from tests.checks.harness import ROOT
from tests.support.tools import tool

REGO = "rego/"
AREAS = {"library": "rego/kuma/", "checks": "rego/checks/"}
MINIMUM_COVERAGE = 90.0


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_opa_fmt_has_nothing_to_change() -> None:
    process = run(tool("opa"), "fmt", "--list", REGO)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == "", "not formatted with opa fmt:\n" + process.stdout


def test_opa_check_strict() -> None:
    process = run(tool("opa"), "check", "--strict", REGO)
    assert process.returncode == 0, process.stdout + process.stderr


@cache
def regal_report() -> dict[str, Any]:
    """One Regal run over all of rego/ (some rules look across files), as JSON."""
    process = run(tool("regal"), "lint", "--format", "json", REGO)
    assert process.returncode in (0, 3), process.stderr  # 3: violations found
    report: dict[str, Any] = json.loads(process.stdout)
    return report


@pytest.mark.parametrize("area", sorted(AREAS))
def test_regal_reports_nothing(area: str) -> None:
    report = regal_report()
    assert report["summary"]["files_scanned"] > 0
    findings = [
        f"{v['location'].get('file', '')}:{v['location'].get('row', '')}: "
        f"{v['category']}/{v['title']}: {v['description']}"
        for v in report.get("violations") or []
        # Aggregate rules (no file) concern the whole tree; they count for every area.
        if not v["location"].get("file") or v["location"]["file"].startswith(AREAS[area])
    ]
    assert not findings, f"Regal findings in {AREAS[area]}:\n" + "\n".join(sorted(findings))


@cache
def coverage_report() -> dict[str, Any]:
    process = run(tool("opa"), "test", "--coverage", REGO)
    assert process.returncode == 0, "opa test failed:\n" + process.stdout[-5000:] + process.stderr
    report: dict[str, Any] = json.loads(process.stdout)
    return report


@pytest.mark.parametrize("area", sorted(AREAS))
def test_opa_test_coverage(area: str) -> None:
    files = {
        name: data
        for name, data in coverage_report()["files"].items()
        if name.startswith(AREAS[area]) and not PurePosixPath(name).stem.endswith("_test")
    }
    assert files, f"no Rego under {AREAS[area]}"
    covered = sum(data.get("covered_lines", 0) for data in files.values())
    missed = sum(data.get("not_covered_lines", 0) for data in files.values())
    coverage = 100.0 * covered / (covered + missed)
    worst = sorted((data.get("coverage", 100), name) for name, data in files.items())[:3]
    assert coverage >= MINIMUM_COVERAGE, f"{AREAS[area]}: {coverage:.1f}% of lines covered; lowest: {worst}"
