"""docs/decision-api.md's complete example inputs, decided by a real OPA with a bundle of the page's
policies: each `<!-- example: ... -->` comment says what the JSON input under it must get from a bundle
of the `<!-- example-policies -->` block above it.

Fields of the comment: `expect` (allowed or denied), `reason`, and optionally `path` (the decision
asked, default kuma/authz/inbound/decision), `policy` (the deciding policy's name, `-` for none),
`rule` (the `rules[]` matcher that decided), `match` (`<type>:<value>` of the MeshPassthrough match
that decided), `labels=<JSON>` (OPA's labels, `opa.runtime().config.labels`, which a network-filter
check reads instead of context extensions: such an example gets an OPA started with those labels).

The page also lists every input field the library reads: the field list is checked against the
fields the Rego library names, and the examples against the field list.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.bundles import make_bundle
from tests.support.opa import OpaServer

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "decision-api.md"
LIBRARY = ROOT / "rego" / "kuma" / "authz"
MARKER = re.compile(
    r"<!-- example-policies -->\n```yaml\n(?P<policies>.*?)```"
    r"|<!-- example: (?P<fields>.*?) -->\n```json\n(?P<body>.*?)```\n\n(?P<shown>[^\n]*)",
    re.DOTALL,
)
FIELD = re.compile(r"(\w+)=(\{.*\}|\S+)")
INBOUND = "kuma/authz/inbound/decision"


@dataclass(frozen=True)
class Example:
    number: int
    policies: int  # which policy block of the page, in page order
    expect: dict[str, Any]
    request: dict[str, Any]
    shown: str  # the line under the input, which tells the reader what the comment tells the test

    @property
    def server(self) -> tuple[int, str]:
        """The OPA that answers it: its bundle and its labels."""
        return self.policies, json.dumps(self.expect.get("labels"), sort_keys=True)


def page_parts() -> tuple[list[str], list[Example]]:
    policies: list[str] = []
    found: list[Example] = []
    for match in MARKER.finditer(PAGE.read_text()):
        if match.group("policies") is not None:
            policies.append(match.group("policies"))
            continue
        expect: dict[str, Any] = {}
        for key, value in FIELD.findall(match.group("fields")):
            expect[key] = json.loads(value) if key == "labels" else value
        example = Example(len(found) + 1, len(policies) - 1, expect, json.loads(match.group("body")), match["shown"])
        found.append(example)
    return policies, found


POLICIES, EXAMPLES = page_parts()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[int, str], OpaServer]]:
    """One OPA per policy block and label set the examples use, shared by the examples."""
    bundles = [make_bundle(tmp_path_factory.mktemp("policies"), policies) for policies in POLICIES]
    started: dict[tuple[int, str], OpaServer] = {}
    try:
        for example in EXAMPLES:
            if example.server not in started:
                # a folder of its own: OpaServer writes the labels' configuration next to the bundle
                bundle = tmp_path_factory.mktemp("server") / "bundle.tar.gz"
                shutil.copyfile(bundles[example.policies], bundle)
                started[example.server] = OpaServer(bundle, labels=example.expect.get("labels")).start()
        yield started
    finally:
        for opa in started.values():
            opa.stop()


def summary(expect: dict[str, Any]) -> str:
    """What the page shows under an example: its comment's fields, for the reader."""
    parts = [f"**{expect['expect']}**", f"reason `{expect['reason']}`"]
    if "policy" in expect:
        parts.append("no policy" if expect["policy"] == "-" else f"policy `{expect['policy']}`")
    parts += [f"{key} `{expect[key]}`" for key in ("rule", "match") if key in expect]
    line = "⇒ " + ", ".join(parts)
    if "path" in expect:
        line += f", at `{expect['path']}`"
    if "labels" in expect:
        line += f"; OPA's labels `{json.dumps(expect['labels'], separators=(',', ':'))}`"
    return line


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: f"example-{example.number}")
def test_the_page_shows_the_decision_under_each_example(example: Example) -> None:
    assert example.shown == summary(example.expect)


def test_the_page_has_its_examples() -> None:
    assert len(POLICIES) == 2
    assert len(EXAMPLES) >= 20
    assert all(example.policies >= 0 for example in EXAMPLES)
    asked = {example.expect.get("path", INBOUND) for example in EXAMPLES}
    assert asked == {INBOUND, "kuma/authz/outbound/decision", "kuma/authz/decision"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: f"example-{example.number}")
def test_example_input_gets_the_documented_decision(
    example: Example, servers: dict[tuple[int, str], OpaServer]
) -> None:
    decision = servers[example.server].query(example.expect.get("path", INBOUND), example.request)
    metadata = decision["dynamic_metadata"]
    assert decision["allowed"] is (example.expect["expect"] == "allowed"), decision
    assert metadata["reason"] == example.expect["reason"], decision
    if "rule" in example.expect:
        assert metadata.get("rule") == example.expect["rule"], decision
    if "policy" in example.expect:
        name = metadata.get("policy", {}).get("name", "-")
        assert name == example.expect["policy"], decision
    if "match" in example.expect:
        match = metadata.get("match", {})
        assert f"{match.get('type')}:{match.get('value')}" == example.expect["match"], decision


# --- the field list ---------------------------------------------------------------------------------

# How the library names the check's fields: `attributes.…` (also `input.attributes.…`), and the request
# package's `source` and `destination` (its checked views of attributes.source / .destination), read as
# `request.source.…` from other packages (elsewhere a bare `source` is some local variable).
LIBRARY_FIELD = r"(?<![\w.])(?:input\.)?(?P<root>attributes|{views})(?P<rest>(?:\.\w+|\[\"[^\"]+\"\])+)"
REQUEST_PACKAGE_FIELD = re.compile(LIBRARY_FIELD.format(views="source|destination"))
OTHER_PACKAGE_FIELD = re.compile(LIBRARY_FIELD.format(views=r"request\.source|request\.destination"))
SETTING_KEY = re.compile(r"\"(kuma\.io/[\w-]+)\"")
DOCUMENTED_FIELD = re.compile(r"^\| `(attributes[^`]*)` \|", re.MULTILINE)


def input_read_section() -> str:
    text = PAGE.read_text()
    return text[text.index("## Input read") : text.index("## Decision object")]


def library_sources() -> list[Path]:
    return [path for path in sorted(LIBRARY.rglob("*.rego")) if not path.name.endswith("_test.rego")]


def library_fields() -> set[str]:
    fields = set()
    for path in library_sources():
        pattern = REQUEST_PACKAGE_FIELD if path.parent.name == "request" else OTHER_PACKAGE_FIELD
        for match in pattern.finditer(path.read_text()):
            root = match.group("root").removeprefix("request.")
            prefix = "attributes" if root == "attributes" else f"attributes.{root}"
            fields.add(prefix + match.group("rest"))
    return fields


def test_every_field_the_library_reads_is_documented() -> None:
    fields = library_fields()
    # the scan finds the fields it must (a broken pattern would find none and pass)
    assert {"attributes.tlsSession.sni", "attributes.source.principal"} <= fields
    section = input_read_section()
    undocumented = sorted(field for field in fields if f"`{field}" not in section)
    assert not undocumented, f"fields the library reads that decision-api.md does not list: {undocumented}"


def settings_of(example: Example) -> set[str]:
    extensions = example.request.get("attributes", {}).get("contextExtensions", {})
    return set(extensions) | set(example.expect.get("labels") or {})


def test_every_setting_the_library_reads_is_documented_and_shown() -> None:
    request = (LIBRARY / "request" / "request.rego").read_text()
    keys = set(SETTING_KEY.findall(request))
    assert "kuma.io/inbound-name" in keys
    section = input_read_section()
    assert not sorted(key for key in keys if f"`{key}`" not in section)
    shown = set().union(*(settings_of(example) for example in EXAMPLES))
    assert not sorted(keys - shown), "settings no example shows"


def has_field(value: Any, field: str) -> bool:
    for step in re.findall(r"\w+|\[\"[^\"]+\"\]", field):
        key = step[2:-2] if step.startswith("[") else step
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return True


def test_the_examples_show_every_documented_field() -> None:
    documented = DOCUMENTED_FIELD.findall(input_read_section())
    assert len(documented) >= 10
    missing = [field for field in documented if not any(has_field(e.request, field) for e in EXAMPLES)]
    assert not missing, f"no example input shows {missing}"
