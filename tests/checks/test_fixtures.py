"""Every fixture produces exactly its expected check IDs with the real conftest, in both YAML forms.

Per-document fixtures run in one `conftest test` invocation (JSON output, compared per file); each
`--combine` fixture runs on its own, since combining files is what those checks are about.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.harness import (
    FIXTURES,
    NAMESPACES,
    Fixture,
    Run,
    all_fixtures,
    catalogue,
    conftest_test,
    ids,
    kubernetes_copy,
    prefix,
    settings_data,
)

FIXTURE_LIST = all_fixtures()


def cases() -> list[tuple[Fixture, str]]:
    return [
        (fixture, form)
        for fixture in FIXTURE_LIST
        for form in ("as-written", "kubernetes")
        if form == "as-written" or fixture.both_forms
    ]


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Fixture name -> its Kubernetes-form copy (for fixtures that run in both forms)."""
    directory = tmp_path_factory.mktemp("kubernetes")
    return {fixture.name: kubernetes_copy(fixture, directory) for fixture in FIXTURE_LIST if fixture.both_forms}


@pytest.fixture(scope="module")
def per_document(copies: dict[str, Path]) -> Run:
    """One conftest run over every fixture file and copy, without --combine."""
    default_release = [fixture for fixture in FIXTURE_LIST if fixture.kuma_version is None]
    return conftest_test(
        [fixture.path for fixture in default_release]
        + [copies[fixture.name] for fixture in default_release if fixture.name in copies]
    )


def path_of(fixture: Fixture, form: str, copies: dict[str, Path]) -> Path:
    return fixture.path if form == "as-written" else copies[fixture.name]


@pytest.mark.parametrize(
    ("fixture", "form"), cases(), ids=lambda value: value.name if isinstance(value, Fixture) else value
)
def test_fixture_reports_exactly_the_expected_ids(
    fixture: Fixture, form: str, copies: dict[str, Path], per_document: Run, tmp_path: Path
) -> None:
    path = path_of(fixture, form, copies)
    if fixture.kuma_version is not None:
        flags = ["--data", str(settings_data(tmp_path, fixture.kuma_version))]
        results = conftest_test([path], *flags, *(["--combine"] if fixture.combine else [])).results
    elif fixture.combine:
        run = conftest_test([path], "--combine")
        results = run.results
        # Without --combine the same file yields the per-document findings only.
        alone = per_document.by_file().get(str(path), [])
        assert ids(alone) == {i for i in fixture.expect if prefix(i) != "CMB"}
    else:
        results = per_document.by_file().get(str(path), [])
        assert str(path) in per_document.files, "conftest did not test the file"
    assert ids(results) == set(fixture.expect), "\n".join(f"{r.id} {r.msg}" for r in results)
    if form == "as-written":
        messages = {result.msg for result in results}
        for message in fixture.messages:
            assert message.replace("{file}", str(path)) in messages


def test_results_are_well_formed(per_document: Run) -> None:
    """Each result names its check, sits in the namespace and has the severity the catalogue gives it."""
    assert per_document.results
    checks = catalogue()
    for result in per_document.results:
        entry = checks[result.id]
        assert result.namespace == entry["namespace"] == NAMESPACES[prefix(result.id)], result
        assert result.severity == {"error": "failure", "warning": "warning"}[entry["severity"]], result
        resource = result.metadata["resource"]
        assert resource is None or result.msg.startswith(f"{resource}: "), result
        assert "file" not in result.metadata, result
        assert isinstance(result.metadata["path"], list), result
        if result.metadata["field"]:
            assert f"{result.metadata['field']}: " in result.msg, result


def test_combined_results_carry_the_file(tmp_path: Path) -> None:
    """Under --combine every result says which file and document it comes from."""
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    first.write_text(
        "type: TrafficPermission\nname: web\nmesh: default\n"
        "sources: []\ndestinations: [{match: {kuma.io/service: a}}]\n"
    )
    second.write_text(
        "type: Mesh\nname: default\n---\n"
        "type: TrafficPermission\nname: web\nmesh: default\n"
        "sources: [{match: {kuma.io/service: a}}]\ndestinations: [{match: {kuma.io/service: a}}]\n"
    )
    run = conftest_test(["a.yaml", "b.yaml"], "--combine", cwd=tmp_path)
    by_id = {(result.id, result.metadata["file"]): result.msg for result in run.results}
    assert by_id == {
        ("TP001", "a.yaml, document 1"): "a.yaml, document 1: TrafficPermission default/web: "
        "sources: must have at least one element",
        ("CMB004", "b.yaml, document 2"): "b.yaml, document 2: TrafficPermission default/web: "
        "defined twice: also at a.yaml, document 1",
    }


def test_every_fixture_is_listed() -> None:
    assert len(FIXTURE_LIST) == len(list(FIXTURES.rglob("*.yaml")))
    assert all(path.suffix == ".yaml" for path in FIXTURES.rglob("*") if path.is_file())
