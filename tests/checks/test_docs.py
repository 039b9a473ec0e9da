"""docs/checks: a page per check ID, whose failing and passing examples behave as the page says.

Each page has a `## Failing example` and a `## Passing example` YAML block. The failing example must
produce exactly the page's ID, the passing one nothing; a leading `# also reports: <IDs>` comment in
a block names other IDs that example triggers on purpose. The index (README.md) lists every ID once,
with the severity the check really has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.checks.harness import DOCS, FIXTURES, POLICY, Run, all_fixtures, conftest_test, ids, prefix

ID = re.compile(r"^[A-Z]+[0-9]{3}$")
ROW = re.compile(
    r"^\| \[(?P<id>[A-Z]+[0-9]{3})\]\((?P=id)\.md\) "
    r"\| (?P<severity>deny|warn) \| `(?P<namespace>[a-z.]+)` \| .+ \|$"
)
BLOCK = re.compile(r"^## (Failing|Passing) example\n\n```yaml\n(.*?)```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Page:
    id: str
    failing: str
    passing: str

    @staticmethod
    def also(example: str) -> set[str]:
        first = example.splitlines()[0]
        return set(first.removeprefix("# also reports:").split()) if first.startswith("# also reports:") else set()


def pages() -> list[Page]:
    found = []
    for path in sorted(DOCS.glob("*.md")):
        if path.name == "README.md":
            continue
        blocks = dict(BLOCK.findall(path.read_text()))
        found.append(Page(path.stem, blocks["Failing"], blocks["Passing"]))
    return found


def index() -> dict[str, tuple[str, str]]:
    rows = [ROW.match(line) for line in (DOCS / "README.md").read_text().splitlines()]
    table = {row["id"]: (row["severity"], row["namespace"]) for row in rows if row}
    assert len(table) == len([row for row in rows if row]), "an ID is listed twice"
    return table


PAGES = pages()


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    directory = tmp_path_factory.mktemp("examples")
    written = {}
    for page in PAGES:
        for kind, text in (("failing", page.failing), ("passing", page.passing)):
            path = directory / f"{page.id}-{kind}.yaml"
            path.write_text(text)
            written[(page.id, kind)] = path
    return written


@pytest.fixture(scope="module")
def per_document(examples: dict[tuple[str, str], Path]) -> Run:
    return conftest_test(path for (page_id, _), path in examples.items() if prefix(page_id) != "CMB")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.id)
def test_examples_behave_as_documented(page: Page, examples: dict[tuple[str, str], Path], per_document: Run) -> None:
    for kind, text, expected in (
        ("failing", page.failing, {page.id} | Page.also(page.failing)),
        ("passing", page.passing, Page.also(page.passing)),
    ):
        path = examples[(page.id, kind)]
        if prefix(page.id) == "CMB":
            results = conftest_test([path], "--combine").results
        else:
            results = per_document.by_file().get(str(path), [])
        assert ids(results) == expected, f"{kind} example of {page.id}:\n{text}\n" + "\n".join(r.msg for r in results)


def test_index_lists_every_page_with_its_severity(per_document: Run) -> None:
    table = index()
    assert set(table) == {page.id for page in PAGES}
    assert all(ID.match(page_id) for page_id in table)
    for result in per_document.results:
        severity, namespace = table[result.id]
        assert (severity, namespace) == ("deny" if result.severity == "failure" else "warn", result.namespace)


def test_every_check_has_a_failing_fixture() -> None:
    failing = {check_id for fixture in all_fixtures() for check_id in fixture.expect}
    assert failing == set(index()), "IDs without a fixture, or fixtures with an undocumented ID"
    assert any(not fixture.expect for fixture in all_fixtures()), "no passing fixture"
    assert FIXTURES.is_dir()


def test_every_id_in_the_rego_is_documented() -> None:
    written = set()
    for path in POLICY.rglob("*.rego"):
        if not path.name.endswith("_test.rego"):
            written |= set(re.findall(r'"([A-Z]+[0-9]{3})"', path.read_text()))
    assert written == set(index())
