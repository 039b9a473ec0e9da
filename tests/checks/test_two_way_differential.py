"""gen-bundle and the shipped conftest checks report the same findings, both ways (issue #12).

Both evaluate the same Rego, so what this pins is everything around it: that gen-bundle's reader hands
the checks the values conftest's parser (sigs.k8s.io/yaml, as Kuma's) does, that every finding lands on
the same file, line and field, and that nothing is reported by one side only. Over a seeded corpus of
all five kinds and the envelope in both forms (tests/checks/corpus.py), every fixture of the checks and
every file of the bad corpus, per document: the sets of (ID, line, column, field, message) are equal,
and under --combine the cross-document findings too. Files gen-bundle's reader refuses (its IN rules:
duplicate keys, !!binary, limits, ...) cannot be compared finding by finding; for each, what conftest
does instead is pinned in READER_ONLY (docs/trust.md).

A long run: GEN_BUNDLE_DIFFERENTIAL_DOCUMENTS=20000 pytest tests/checks/test_two_way_differential.py
(figures in docs/trust.md).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from generator.build import check
from generator.diagnostics import Diagnostic, Severity
from generator.reading.documents import Document, parse_text
from tests.checks.corpus import generate
from tests.checks.harness import FIXTURES, ROOT, Run, conftest, conftest_test

SEED = 20261201
DOCUMENTS = int(os.environ.get("GEN_BUNDLE_DIFFERENTIAL_DOCUMENTS", "250"))
BAD = ROOT / "tests" / "corpus" / "bad"
Finding = tuple[str, int, int, str, str]  # (ID, line, column, field, message)
# conftest checks a few hundred files a second; the long run needs more than the default 300 s.
COMBINED_TIMEOUT = 300 + DOCUMENTS / 20
CONFTEST_PART = 2000  # files per conftest run of the per-document comparison, two at a time

# Bad-corpus files gen-bundle's reader refuses, and what real conftest (sigs.k8s.io/yaml) does instead:
# "parse error" (it refuses the file too), or the check IDs it then reports, or "nothing".
READER_ONLY: dict[str, str] = {
    "binary-png-header.yaml": "parse error",
    "binary-with-nul.yaml": "parse error",
    "duplicate-key-nested.yaml": "nothing",  # the last key wins: conftest checks action Deny
    "duplicate-key-top-level.yaml": "nothing",
    "empty-file.yaml": "nothing",
    "empty-null-document.yaml": "nothing",
    "empty-only-comments.yaml": "nothing",
    "empty-only-separators.yaml": "parse error",
    "json-deeply-nested.json": "MESH006",  # no depth limit: the nested lists are a wrong type
    "json-duplicate-key.json": "nothing",
    "json-invalid.json": "parse error",
    "json-lone-surrogate.json": "RES001",  # the escape becomes U+FFFD, which no name may hold
    "non-utf8-latin1.yaml": "parse error",
    "non-utf8-truncated-sequence.yaml": "parse error",
    "yaml-alias-bomb.yaml": "parse error",
    "yaml-bad-indentation.yaml": "parse error",
    "yaml-binary-value.yaml": "nothing",  # the bytes become the name
    "yaml-control-character.yaml": "parse error",
    "yaml-deeply-nested-block.yaml": "MESH007",
    "yaml-deeply-nested-flow.yaml": "MESH006",
    "yaml-invalid-escape.yaml": "parse error",
    "yaml-long-implicit-key.yaml": "parse error",
    "yaml-merge-not-mapping.yaml": "parse error",
    "yaml-recursive-alias.yaml": "parse error",
    "yaml-tab-indentation.yaml": "parse error",
    "yaml-unclosed-flow.yaml": "parse error",
    "yaml-unclosed-quote.yaml": "parse error",
    "yaml-unknown-tag.yaml": "nothing",  # the tag is dropped
}


def split_documents(text: str) -> list[str]:
    """A multi-document file as one text per document (separator lines `---` only)."""
    parts = re.split(r"^---[ \t]*$\n?", text, flags=re.MULTILINE)
    return [part for part in parts if part.strip() and not all(line.startswith("#") for line in part.splitlines())]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One document per file: generated, every fixture's documents, and the bad corpus."""
    folder = tmp_path_factory.mktemp("corpus")
    paths = []
    for index, text in enumerate(generate(SEED, DOCUMENTS)):
        paths.append(folder / f"generated-{index:05d}.yaml")
        paths[-1].write_text(text)
    for fixture in sorted(FIXTURES.rglob("*.yaml")):
        for index, text in enumerate(split_documents(fixture.read_text())):
            name = f"fixture-{fixture.parent.name}-{fixture.stem}-{index}.yaml"
            paths.append(folder / name)
            paths[-1].write_text(text)
    for bad in sorted(BAD.iterdir()):
        paths.append(folder / f"bad-{bad.name}")
        paths[-1].write_bytes(bad.read_bytes())
    return sorted(paths)  # the order the cross-document checks see, the same for both


def document_of(path: Path, number: int = 1) -> Document | None:
    """The document conftest numbers `number` (the items of a top-level list are documents)."""
    try:
        documents, problems = parse_text(str(path), path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if problems or not documents:
        return None
    if len(documents) == 1 and isinstance(documents[0].value, list):
        return documents[0].item(number - 1)
    return documents[number - 1]


def refusal(diagnostic: Diagnostic) -> bool:
    """A reading rule that keeps the checks from seeing what conftest sees (IN008 does not: the
    items of a top-level list are checked one by one on both sides)."""
    return diagnostic.rule.id.startswith("IN") and diagnostic.rule.id != "IN008"


def comparable(diagnostic: Diagnostic) -> bool:
    """What conftest can report too: checks (not reading rules, not notes), document by document."""
    return (
        diagnostic.severity is not Severity.NOTE
        and not diagnostic.rule.id.startswith("IN")
        and not diagnostic.rule.id.startswith("CMB")
    )


def key(diagnostic: Diagnostic) -> Finding:
    return (
        diagnostic.rule.id,
        diagnostic.location.line,
        diagnostic.location.column,
        diagnostic.field or "",
        diagnostic.message,
    )


def conftest_in_parts(paths: list[Path]) -> Run:
    """Per-document results do not depend on the other files: check a large corpus in parts."""
    parts = [paths[start : start + CONFTEST_PART] for start in range(0, len(paths), CONFTEST_PART)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(conftest_test, parts))
    merged = Run(max(run.returncode for run in runs))
    for run in runs:
        merged.results.extend(run.results)
        merged.files |= run.files
    return merged


@pytest.fixture(scope="module")
def gen_bundle_run(corpus: list[Path]) -> list[Diagnostic]:
    return check([str(path) for path in corpus]).diagnostics


def test_every_document_gets_the_same_findings_from_gen_bundle_and_conftest(
    corpus: list[Path], gen_bundle_run: list[Diagnostic]
) -> None:
    refused = {d.location.file for d in gen_bundle_run if refusal(d)}
    readable = [path for path in corpus if str(path) not in refused]
    ours: dict[str, set[Finding]] = {str(path): set() for path in readable}
    # conftest does not say which item of a top-level list a result is about: compare those without position.
    listed = {d.location.file for d in gen_bundle_run if d.rule.id == "IN008"}
    for diagnostic in gen_bundle_run:
        if comparable(diagnostic) and diagnostic.location.file in ours:
            found = key(diagnostic)
            ours[diagnostic.location.file].add(
                (found[0], 0, 0, *found[3:]) if diagnostic.location.file in listed else found
            )
    theirs: dict[str, set[Finding]] = {str(path): set() for path in readable}
    run = conftest_in_parts(readable)
    assert run.files == {str(path) for path in readable}, "conftest did not check every file"
    for result in run.results:
        document = document_of(Path(result.file))
        assert document is not None, result.file
        location = document.locate(tuple(result.metadata["path"]))
        line, column = (0, 0) if result.file in listed else (location.line, location.column)
        message = result.msg
        for part in (result.metadata["resource"], result.metadata["field"]):
            if part:
                assert message.startswith(f"{part}: "), result
                message = message.removeprefix(f"{part}: ")
        theirs[result.file].add((result.id, line, column, result.metadata["field"], message))
    only_ours = {file: found - theirs[file] for file, found in ours.items() if found - theirs[file]}
    only_theirs = {file: found - ours[file] for file, found in theirs.items() if found - ours[file]}
    assert not only_ours, f"gen-bundle only: {sorted(only_ours.items())[:5]}"
    assert not only_theirs, f"conftest only: {sorted(only_theirs.items())[:5]}"
    findings = sum(len(found) for found in ours.values())
    assert len(readable) > DOCUMENTS, "the corpus is read"
    assert findings > DOCUMENTS / 2, "the corpus has many findings"
    assert sum(1 for found in ours.values() if not found) > DOCUMENTS / 10, "and valid documents"
    print(f"\n{len(readable)} documents, {findings} findings: 0 disagreements")


def test_the_cross_document_findings_agree_under_combine(corpus: list[Path], gen_bundle_run: list[Diagnostic]) -> None:
    refused = {d.location.file for d in gen_bundle_run if refusal(d)}
    readable = [path for path in corpus if str(path) not in refused]
    ours = {
        (d.rule.id, d.location.file, d.location.line, d.message) for d in gen_bundle_run if d.rule.id.startswith("CMB")
    }
    run = conftest_test(readable, "--combine", timeout=COMBINED_TIMEOUT)
    theirs = set()
    for result in run.results:
        if not result.id.startswith("CMB"):
            continue
        file, _, number = result.metadata["file"].partition(", document ")
        document = document_of(Path(file))
        assert document is not None
        assert number.split(",")[0] == "1"
        location = document.locate(tuple(result.metadata["path"]))
        message = result.msg.split(": ", 2)[-1] if result.metadata["resource"] else result.msg.split(": ", 1)[1]
        theirs.add((result.id, file, location.line, message))
    assert ours == theirs
    assert {finding[0] for finding in ours} >= {"CMB001", "CMB003", "CMB004"}
    print(f"\n{len(readable)} documents under --combine, {len(ours)} cross-document findings: 0 disagreements")


@pytest.mark.parametrize("name", sorted(READER_ONLY))
def test_what_the_reader_refuses_conftest_reads_as_pinned(name: str, gen_bundle_run: list[Diagnostic]) -> None:
    path = BAD / name
    process = conftest(
        "test", "--policy", str(ROOT / "rego" / "checks"), "--all-namespaces", "--output", "json", str(path)
    )
    if READER_ONLY[name] == "parse error":
        assert process.returncode == 1
        assert "parse configurations" in process.stderr
    else:
        run = conftest_test([path])
        expected = set() if READER_ONLY[name] == "nothing" else {READER_ONLY[name]}
        assert {result.id for result in run.results} == expected
    ours = [d for d in gen_bundle_run if d.location.file.endswith(f"bad-{name}")]
    assert ours, f"gen-bundle read bad-{name}"
    assert all(d.rule.id.startswith("IN") for d in ours if d.is_error)


def test_every_bad_file_the_reader_refuses_is_pinned(gen_bundle_run: list[Diagnostic]) -> None:
    refused = {Path(d.location.file).name.removeprefix("bad-") for d in gen_bundle_run if refusal(d)}
    assert refused == set(READER_ONLY)
