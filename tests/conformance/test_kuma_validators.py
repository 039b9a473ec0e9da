"""Kuma's validator tables, row by row, decided by the checks (docs/conformance.md).

tests/conformance/kuma/validator-<kind>.yaml holds every row of Kuma v2.14.3's validator table for
MeshTrafficPermission, MeshIdentity and MeshTrust: the resource the row validates and what Kuma's
table expects of it, `valid: true` or its violations (field path and message). Every row of a table
is written to a file of its own, in both YAML forms, and one `conftest test` decides them all. A
valid row must produce no error (warnings are the checks' own advice); an invalid row must produce,
for each of Kuma's violations, an error at that field whose message contains Kuma's, and no other
error. Where the checks deliberately differ (`divergence`, with the reason), the row lists what they
report instead (`reported`), and the test pins that.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.checks.harness import Result, conftest_test, settings_data
from tests.support import kuma_yaml
from tests.support.forms import to_kubernetes

DATA = Path(__file__).resolve().parent / "kuma"
TABLES = ("meshtrafficpermission", "meshidentity", "meshtrust")
FORMS = ("universal", "kubernetes")
KUMA_VERSION = "2.14.3"


@dataclass(frozen=True)
class Expected:
    """A finding a row expects: at `field`, a message containing `message` (and, if given, that ID)."""

    field: str
    message: str
    id: str | None = None

    def matches(self, result: Result) -> bool:
        return (
            result.metadata.get("field") == self.field
            and f"{self.field}: {self.message}" in result.msg
            and self.id in (None, result.id)
        )


@dataclass(frozen=True)
class Row:
    table: str
    index: int
    name: str
    source: str
    resource: dict[str, Any]
    valid: bool
    violations: tuple[Expected, ...]
    divergence: str | None
    reported: tuple[Expected, ...]
    not_converted: str | None

    @property
    def expected(self) -> tuple[Expected, ...]:
        """The errors the checks must report: Kuma's, or the documented ones where they differ."""
        return self.reported if self.divergence is not None else self.violations

    @property
    def id(self) -> str:
        name = self.name.removeprefix("testdata/spec/").removesuffix(".input.yaml")
        return f"{self.table}/{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-')}"


def read_rows(table: str) -> list[Row]:
    data = kuma_yaml.load((DATA / f"validator-{table}.yaml").read_text())
    return [
        Row(
            table=table,
            index=index,
            name=row["name"],
            source=row["source"],
            resource=row["resource"],
            valid=row.get("valid", False),
            violations=tuple(Expected(v["field"], v["message"]) for v in row.get("violations", [])),
            divergence=row.get("divergence"),
            reported=tuple(Expected(v["field"], v["message"], v["id"]) for v in row.get("reported", [])),
            not_converted=row.get("not_converted"),
        )
        for index, row in enumerate(data["rows"])
    ]


ROWS = [row for table in TABLES for row in read_rows(table)]


def file_name(row: Row, form: str) -> str:
    return f"{form}/{row.index:02d}.yaml"


@cache
def decided(table: str) -> dict[str, list[Result]]:
    """`<form>/<row>.yaml` -> the results of one conftest run over every row of the table, both forms."""
    rows = [row for row in ROWS if row.table == table and row.not_converted is None]
    with tempfile.TemporaryDirectory(prefix=f"kuma-{table}-") as name:
        directory = Path(name)
        paths: dict[str, str] = {}
        for row in rows:
            for form in FORMS:
                path = directory / file_name(row, form)
                path.parent.mkdir(exist_ok=True)
                resource = row.resource if form == "universal" else to_kubernetes(row.resource)
                path.write_text(kuma_yaml.dump(resource))
                paths[str(path)] = file_name(row, form)
        run = conftest_test(list(paths), "--data", str(settings_data(directory, KUMA_VERSION)))
    assert run.files >= set(paths), "conftest did not test every row"
    by_file = run.by_file()
    return {key: by_file.get(path, []) for path, key in paths.items()}


def unmatched(expected: tuple[Expected, ...], results: list[Result]) -> tuple[list[Expected], list[Result]]:
    """The expected findings no result reports, and the results no expected finding accounts for."""
    left = list(results)
    missing = []
    for finding in expected:
        match = next((result for result in left if finding.matches(result)), None)
        if match is None:
            missing.append(finding)
        else:
            left.remove(match)
    return missing, left


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_kuma_validator_row_is_decided_as_kuma_decides(row: Row, form: str) -> None:
    if row.not_converted is not None:
        pytest.skip(f"not converted: {row.not_converted}")
    errors = [result for result in decided(row.table)[file_name(row, form)] if result.severity == "failure"]
    missing, extra = unmatched(row.expected, errors)
    differences = [f"missing: {finding.field}: {finding.message}" for finding in missing] + [
        f"extra: {result.id} {result.msg}" for result in extra
    ]
    assert not differences, f"{row.source} ({row.name!r}):\n" + "\n".join(differences)


@pytest.mark.parametrize("table", TABLES)
def test_table_rows_are_well_formed(table: str) -> None:
    """Every row says what Kuma expects, exactly one way; a divergence says why and what is reported."""
    rows = [row for row in ROWS if row.table == table]
    assert rows
    assert len({row.name for row in rows}) == len(rows), "two rows with one name"
    for row in rows:
        assert row.source.startswith(("pkg/", "api/")), row.name
        assert row.valid != bool(row.violations), f"{row.name}: valid: true or violations, not both"
        assert (row.divergence is None) == (not row.reported), f"{row.name}: divergence goes with reported"
        assert all(row.resource.get(key) for key in ("type", "name", "mesh")), row.name
