"""The event-driven YAML reader (generator/reading/documents.py) against the reader Kuma uses: kumactl,
the Kuma API, kubectl and conftest all read YAML with sigs.k8s.io/yaml (go-yaml v2, then JSON), so the
reference for what a value is here is real conftest's `parse`. Also: every field located where its
key is written, and anchors, aliases and merge keys read as YAML says."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.reading.documents import Document, parse_text, resolve_plain
from tests.checks.harness import conftest
from tests.support import kuma_yaml

KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**62), 2**62)
    | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4))
# Plain scalars whose meaning differs between YAML readers: go-yaml v2 decides what Kuma sees.
TRICKY = [
    "yes",
    "Yes",
    "no",
    "on",
    "OFF",
    "y",
    "Y",
    "n",
    "N",
    "true",
    "False",
    "~",
    "null",
    "Null",
    "",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "2024-1-2",
    "0x1F",
    "-0x10",
    "1_000",
    "0o17",
    "017",
    "08",
    "0b101",
    "+1",
    "-0",
    "1e3",
    "1E-2",
    "1.",
    ".5",
    "1.5e+3",
    "10:20",
    "1:2:3",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "123456789012345678901234",
    "0.1",
    "1e21",
    "1e20",
    "abc",
    "a b",
    "-",
    "+",
    ".",
    "..",
    "0x",
    "1__0",
    "_1",
    "1_",
    "0_1",
    "+.5",
    "-.5e3",
    "0755",
    "0o",
    "1e",
]


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


def corpus(seed: int, count: int) -> list[str]:
    """YAML texts mixing the tricky plain scalars, as keys and values, in block and flow style."""
    rng = random.Random(seed)
    # A float or null mapping key is refused (IN006): sigs.k8s.io/yaml turns it into text of its own.
    keys = [k for k in TRICKY if k and not isinstance(resolve_plain(k), float | type(None))]

    def scalar() -> str:
        return rng.choice(TRICKY) if rng.random() < 0.8 else rng.choice(["'quoted'", '"q"', "plain text", "x: y"])

    def value(depth: int) -> str:
        roll = rng.random()
        if depth > 2 or roll < 0.6:
            text = scalar()
            return text if text else "''"
        if roll < 0.8:
            return "[" + ", ".join(value(depth + 1) for _ in range(rng.randint(0, 3))) + "]"
        chosen = rng.sample(keys, rng.randint(1, 3))
        return "{" + ", ".join(f"k{index}{key}: {value(depth + 1)}" for index, key in enumerate(chosen)) + "}"

    texts = []
    for _ in range(count):
        chosen = rng.sample(keys, rng.randint(1, 4))
        texts.append("".join(f"{key}: {value(0)}\n" for key in chosen))
    return texts


def test_values_and_keys_are_those_kuma_reads_as_conftest_parses_them(tmp_path: Path) -> None:
    texts = corpus(20261201, 300)
    accepted: dict[str, Any] = {}
    for index, text in enumerate(texts):
        documents, problems = parse_text("t.yaml", text)
        if problems or len(documents) != 1:
            continue  # what the reader refuses is pinned below and in tests/corpus/bad
        name = f"doc-{index:03d}.yaml"
        (tmp_path / name).write_text(text)
        accepted[name] = documents[0].value
    assert len(accepted) > 180
    process = conftest("parse", "--combine", *sorted(accepted), cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    parsed_by_conftest = {entry["path"]: entry["contents"] for entry in json.loads(process.stdout)}

    def as_go_reads(value: Any) -> str:
        # Go decodes an untyped JSON number as float64: beyond 2^53 both sides print it rounded.
        return json.dumps(json.loads(json.dumps(value), parse_int=float), sort_keys=True)

    different = [
        f"{name}:\n{(tmp_path / name).read_text()}"
        f"ours: {json.dumps(ours)}\nconftest: {json.dumps(parsed_by_conftest[name])}"
        for name, ours in accepted.items()
        if as_go_reads(ours) != as_go_reads(parsed_by_conftest[name])
    ]
    assert not different, "\n".join(different[:5])


@settings(max_examples=200, deadline=None)
@given(documents=st.lists(st.dictionaries(KEYS, VALUES, min_size=1, max_size=4), min_size=1, max_size=3))
def test_documents_pyyaml_writes_read_back_as_go_yaml_reads_them(documents: list[dict[str, Any]]) -> None:
    """Through a JSON round trip (what Kuma stores), PyYAML's own output reads back as written,
    except the plain scalars YAML 1.1 readers disagree on, which PyYAML quotes for itself only."""
    for flow in (False, True):
        text = yaml.safe_dump_all(documents, default_flow_style=flow, allow_unicode=True, sort_keys=False)
        read, problems = parse_text("test.yaml", text)
        # Only what sigs.k8s.io/yaml would turn into other text is refused: float keys, duplicates after.
        assert all(problem.rule.id in ("IN004", "IN006") for problem in problems), [str(p) for p in problems]
        if not problems:
            assert len(read) == len(documents)


@settings(max_examples=200, deadline=None)
@given(document=st.dictionaries(KEYS, VALUES, min_size=1, max_size=5))
def test_every_key_is_located_where_it_is_written(document: dict[str, Any]) -> None:
    text = yaml.dump(
        document, Dumper=kuma_yaml.Dumper, default_flow_style=False, allow_unicode=True, sort_keys=False, width=10**6
    )
    lines = text.splitlines()
    (read,) = parsed(text)
    for path in key_paths(read.value):
        location = read.locate(path)
        written = lines[location.line - 1][location.column - 1 :]
        key = str(path[-1])
        assert written.startswith((key, "'", '"', "? ")), (path, location, text)


def test_plain_scalars_and_keys_resolve_as_go_yaml_v2_resolves_them() -> None:
    text = (
        "on: yes\n1: off\nn: y\nwhen: 2024-01-01\nhex: 0x1F\nquoted: 'true'\noctal: 0o17\nold-octal: 017\n"
        "not-octal: 08\nexponent: 1e3\ntime: 10:20\nunderscores: 1_000\nhuge: 18446744073709551616\n"
        "big: 9223372036854775808\nhalf: .5\n"
    )
    (read,) = parsed(text)
    assert read.value == {
        "true": True,
        "1": False,
        "false": True,
        "when": "2024-01-01",
        "hex": 31,
        "quoted": "true",
        "octal": 15,
        "old-octal": 15,
        "not-octal": 8,
        "exponent": 1000,
        "time": "10:20",
        "underscores": 1000,
        "huge": 18446744073709551616,  # beyond uint64: a float, written without a fraction
        "big": 9223372036854775808,
        "half": 0.5,
    }


def test_two_keys_that_kuma_reads_as_one_are_a_duplicate() -> None:
    _, problems = parse_text("test.yaml", "on: 1\ntrue: 2\n")
    assert [str(problem) for problem in problems] == ['test.yaml:2:1: error[IN004]: duplicate key "true"']


def test_aliases_share_the_anchored_value_and_locate_to_the_anchor() -> None:
    text = "base: &tags\n  app: web\n  env: prod\nother:\n  tags: *tags\n"
    (read,) = parsed(text)
    assert read.value["other"]["tags"] == {"app": "web", "env": "prod"}
    assert (read.locate(("other", "tags", "env")).line, read.locate(("other", "tags")).line) == (3, 5)


def test_merge_keys_lose_to_explicit_keys_and_earlier_sources_win() -> None:
    text = "a: &a {x: 1, w: 1}\nb: &b {w: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n"
    (read,) = parsed(text)
    assert read.value["c"] == {"x": 3, "w": 1, "z": 2}
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
        ("a: 1\na: 2\n", 'test.yaml:2:1: error[IN004]: duplicate key "a"'),
        ("? [a]\n: 1\n", "test.yaml:1:3: error[IN006]: a mapping key must be a string, number or boolean"),
        ("~: 1\n", "test.yaml:1:1: error[IN006]: a mapping key must be a string, number or boolean, got None"),
        ("a: &x 1\nb: &x 2\n", 'test.yaml:2:4: error[IN004]: duplicate anchor "&x" (first at line 1)'),
        ("a: *nowhere\n", "test.yaml:1:4: error[IN003]: invalid YAML: found undefined alias 'nowhere'"),
        ("a: !!binary aGk=\n", "test.yaml:1:4: error[IN006]: unsupported YAML tag 'tag:yaml.org,2002:binary'"),
        ("a: !custom {b: 1}\n", "test.yaml:1:4: error[IN006]: unsupported YAML tag '!custom' on a collection"),
        ("a: !!int abc\n", "test.yaml:1:4: error[IN006]: cannot read 'abc' as tag:yaml.org,2002:int"),
        ("a: .inf\n", "test.yaml:1:4: error[IN006]: .inf is not a JSON number: Kuma cannot read it"),
        ("a: {<<: [1]}\n", "test.yaml:1:9: error[IN006]: a merge key (<<) needs a mapping"),
    ],
)
def test_refusals_name_the_rule_line_and_column(text: str, message: str) -> None:
    _, problems = parse_text("test.yaml", text)
    assert len(problems) == 1
    assert str(problems[0]).startswith(message)


def test_explicit_core_tags_read_as_go_yaml_reads_them() -> None:
    (read,) = parsed("a: !!str 1\nb: !!int '7'\nc: !!float 1\nd: !!bool yes\ne: !!null ~\nf: !!timestamp 2024-01-01\n")
    assert read.value == {"a": "1", "b": 7, "c": 1, "d": True, "e": None, "f": "2024-01-01"}
