"""docs/checks: a page per rule ID, whose failing and passing examples behave as the page says.

Each page has a `## Failing example` and a `## Passing example` YAML block. The failing example must
produce exactly the page's ID, the passing one nothing; a leading `# also reports: <IDs>` comment in
a block names other IDs that example triggers on purpose. The checks' examples run through real
conftest and through gen-bundle, which must agree; gen-bundle's own rules (reading, notes) through
gen-bundle. The index (README.md) lists every ID once, with the severity and namespace the catalogue
(rego/checks/lib/catalogue.rego) or the reading rules give it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.build import check
from generator.checks.engine import Settings
from generator.reading.rules import RULES
from tests.checks.harness import (
    DOCS,
    FIXTURES,
    POLICY,
    Run,
    all_fixtures,
    catalogue,
    conftest_test,
    ids,
    prefix,
    settings_data,
)

ID = re.compile(r"^[A-Z]+[0-9]{3}$")
ROW = re.compile(
    r"^\| \[(?P<id>[A-Z]+[0-9]{3})\]\((?P=id)\.md\) "
    r"\| (?P<severity>deny|warn|note|error) \| (`(?P<namespace>[a-z.]+)`|gen-bundle only) \| (?P<title>.+) \|$"
)
SEVERITIES = {"error": "deny", "warning": "warn", "note": "note"}
BLOCK = re.compile(r"^## (Failing|Passing) example\n\n```yaml\n(.*?)```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Page:
    id: str
    failing: str | None  # None: made at run time (tests/trust/test_hostile_generator.py)
    passing: str

    @staticmethod
    def also(example: str) -> set[str]:
        first = example.splitlines()[0]
        return set(first.removeprefix("# also reports:").split()) if first.startswith("# also reports:") else set()

    @staticmethod
    def kuma_version(example: str) -> str | None:
        """A `# kuma-version: X.Y.Z` line among the leading comments: checked for that release."""
        for line in example.splitlines():
            if not line.startswith("#"):
                break
            if line.startswith("# kuma-version:"):
                return line.removeprefix("# kuma-version:").strip()
        return None


def pages() -> list[Page]:
    found = []
    for path in sorted(DOCS.glob("*.md")):
        if path.name == "README.md":
            continue
        blocks = dict(BLOCK.findall(path.read_text()))
        found.append(Page(path.stem, blocks.get("Failing"), blocks["Passing"]))
    return found


def index() -> dict[str, tuple[str, str | None, str]]:
    rows = [ROW.match(line) for line in (DOCS / "README.md").read_text().splitlines()]
    table = {row["id"]: (row["severity"], row["namespace"], row["title"]) for row in rows if row}
    assert len(table) == len([row for row in rows if row]), "an ID is listed twice"
    return table


PAGES = pages()


def notes() -> set[str]:
    return {check_id for check_id, entry in catalogue().items() if entry["severity"] == "note"}


def conftest_checked(page_id: str) -> bool:
    entry = catalogue().get(page_id)
    return entry is not None and entry["namespace"] != ""


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    directory = tmp_path_factory.mktemp("examples")
    written = {}
    for page in PAGES:
        for kind, text in (("failing", page.failing), ("passing", page.passing)):
            if text is None:
                continue
            path = directory / f"{page.id}-{kind}.yaml"
            path.write_text(text)
            written[(page.id, kind)] = path
    return written


@pytest.fixture(scope="module")
def per_document(examples: dict[tuple[str, str], Path]) -> Run:
    return conftest_test(
        path
        for (page_id, _), path in examples.items()
        if prefix(page_id) != "CMB" and conftest_checked(page_id) and Page.kuma_version(path.read_text()) is None
    )


def gen_bundle_ids(path: Path, kuma_version: str | None = None) -> set[str]:
    result = check([str(path)], Settings(kuma_version=kuma_version))
    return {diagnostic.rule.id for diagnostic in result.diagnostics}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.id)
def test_examples_behave_as_documented(page: Page, examples: dict[tuple[str, str], Path], per_document: Run) -> None:
    for kind, text in (("failing", page.failing), ("passing", page.passing)):
        if text is None:
            continue
        expected = ({page.id} if kind == "failing" else set()) | Page.also(text)
        path = examples[(page.id, kind)]
        version = Page.kuma_version(text)
        ours = gen_bundle_ids(path, version)
        if not conftest_checked(page.id):
            assert ours == expected, f"{kind} example of {page.id} (gen-bundle):\n{text}"
            continue
        ours -= notes()  # gen-bundle's only
        if version is not None:
            results = conftest_test([path], "--data", str(settings_data(path.parent, version))).results
            ours -= {"CMB003"}
        elif prefix(page.id) == "CMB":
            results = conftest_test([path], "--combine").results
        else:
            results = per_document.by_file().get(str(path), [])
            # gen-bundle always runs the cross-document checks too: a lone policy names an undefined mesh.
            ours -= {"CMB003"}
        assert ids(results) == expected, f"{kind} example of {page.id}:\n{text}\n" + "\n".join(r.msg for r in results)
        assert ours == expected, f"{kind} example of {page.id} (gen-bundle):\n{text}"


def test_index_lists_every_rule_with_its_severity_namespace_and_title() -> None:
    table = index()
    assert set(table) == {page.id for page in PAGES}
    assert all(ID.match(page_id) for page_id in table)
    expected: dict[str, tuple[str, str | None, str]] = {rule.id: ("error", None, rule.title) for rule in RULES}
    for check_id, entry in catalogue().items():
        expected[check_id] = (SEVERITIES[entry["severity"]], entry["namespace"] or None, entry["title"])
    assert table == expected


def test_every_check_has_a_failing_fixture() -> None:
    failing = {check_id for fixture in all_fixtures() for check_id in fixture.expect}
    conftest_ids = {check_id for check_id, entry in catalogue().items() if entry["namespace"]}
    assert failing == conftest_ids, "IDs without a fixture, or fixtures with an undocumented ID"
    assert any(not fixture.expect for fixture in all_fixtures()), "no passing fixture"
    assert FIXTURES.is_dir()


def test_every_id_in_the_rego_is_in_the_catalogue() -> None:
    written = set()
    for path in POLICY.rglob("*.rego"):
        if not path.name.endswith("_test.rego"):
            written |= set(re.findall(r'"([A-Z]+[0-9]{3})"', path.read_text()))
    assert written == set(catalogue())
