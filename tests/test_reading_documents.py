"""The event-driven YAML reader (generator/reading/documents.py) against PyYAML's own safe loader, the
reference for what a value is: the same values for any document, every field located where its key
is written, and anchors, aliases and merge keys read as YAML says."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.reading.documents import Document, parse_text

KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
    | st.sampled_from(["yes", "off", "~", "2024-01-01", "0x1F", "1_000", ".inf", "0o17", "<<", "null", "1e3"])
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4))


def parsed(text: str) -> list[Document]:
    documents, problems = parse_text("test.yaml", text)
    assert not problems, [str(problem) for problem in problems]
    return documents


def same(left: Any, right: Any) -> bool:
    """Equal, with equal types all the way down (1 and True and 1.0 differ)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


def key_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*path, key))
            found.extend(key_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(key_paths(item, (*path, index)))
    return found


@settings(max_examples=300, deadline=None)
@given(documents=st.lists(st.dictionaries(KEYS, VALUES, min_size=1, max_size=4), min_size=1, max_size=3))
def test_values_are_those_of_pyyaml_safe_loader_in_block_and_flow_style(documents: list[dict[str, Any]]) -> None:
    for flow in (False, True):
        text = yaml.safe_dump_all(documents, default_flow_style=flow, allow_unicode=True, sort_keys=False)
        expected = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
        got = [document.value for document in parsed(text)]
        assert same(got, expected), text


@settings(max_examples=200, deadline=None)
@given(document=st.dictionaries(KEYS, VALUES, min_size=1, max_size=5))
def test_every_key_is_located_where_it_is_written(document: dict[str, Any]) -> None:
    text = yaml.safe_dump(document, default_flow_style=False, allow_unicode=True, sort_keys=False, width=10**6)
    lines = text.splitlines()
    (read,) = parsed(text)
    for path in key_paths(read.value):
        location = read.locate(path)
        written = lines[location.line - 1][location.column - 1 :]
        key = str(path[-1])
        assert written.startswith((key, "'", '"', "? ")), (path, location, text)


def test_plain_scalars_resolve_as_yaml_1_1_and_keys_stay_as_written() -> None:
    (read,) = parsed("on: yes\n1: off\nnull: ~\nwhen: 2024-01-01\nhex: 0x1F\nquoted: 'true'\n")
    assert read.value == {
        "on": True,
        "1": False,
        "null": None,
        "when": yaml.safe_load("2024-01-01"),
        "hex": 31,
        "quoted": "true",
    }


def test_aliases_share_the_anchored_value_and_locate_to_the_anchor() -> None:
    text = "base: &tags\n  app: web\n  env: prod\nother:\n  tags: *tags\n"
    (read,) = parsed(text)
    assert read.value["other"]["tags"] == {"app": "web", "env": "prod"}
    assert (read.locate(("other", "tags", "env")).line, read.locate(("other", "tags")).line) == (3, 5)


def test_merge_keys_lose_to_explicit_keys_and_earlier_sources_win() -> None:
    text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n"
    (read,) = parsed(text)
    assert read.value["c"] == {"x": 3, "y": 1, "z": 2}
    assert read.locate(("c", "x")).line == 5
    assert read.locate(("c", "z")).line == 2  # where the merged key is written


def test_a_missing_path_locates_to_its_nearest_existing_ancestor() -> None:
    (read,) = parsed("spec:\n  from:\n    - targetRef: {kind: Mesh}\n")
    assert str(read.locate(("spec", "from", 0, "default", "action"))) == "test.yaml:3:7"
    assert str(read.locate(("spec", "from", 7))) == "test.yaml:2:3"
    assert str(read.locate(("nothing",))) == "test.yaml:1:1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", 'test.yaml:2:1: error: duplicate key "a"'),
        ("? [a]\n: 1\n", "test.yaml:1:3: error: mapping keys must be plain strings"),
        ("a: &x 1\nb: &x 2\n", 'test.yaml:2:4: error: duplicate anchor "&x" (first at line 1)'),
        ("a: *nowhere\n", "test.yaml:1:4: error: invalid YAML: found undefined alias 'nowhere'"),
        ("a: !!binary aGk=\n", "test.yaml:1:4: error: binary values (!!binary) are not supported"),
        ("a: !custom {b: 1}\n", "test.yaml:1:4: error: invalid YAML value: could not determine a constructor"),
        ("a: {<<: [1]}\n", "test.yaml:1:9: error: a merge key (<<) needs a mapping"),
    ],
)
def test_refusals_name_the_line_and_column(text: str, message: str) -> None:
    _, problems = parse_text("test.yaml", text)
    assert len(problems) == 1
    assert str(problems[0]).startswith(message)
