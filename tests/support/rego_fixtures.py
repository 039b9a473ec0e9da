"""The compiled data the Rego unit tests hand the library, as the tests evaluate it.

A fixture is the value of a `with data.kuma.compiled as <value>` modifier: a rule of
fixtures_test.rego, or a document a test builds from its own locals. To see every one as evaluated,
a copy of rego/kuma/authz gets each such value wrapped in a function that prints it and returns it
unchanged, and a real `opa test` runs the copy; the printed documents come back per modifier site.

A site whose value is malformed on purpose (the library must stay defined on bad data) says so with
a `# data-shape: malformed: <why>` comment on the line above its statement.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LIBRARY = Path(__file__).resolve().parents[2] / "rego" / "kuma" / "authz"
TARGET = ("data", "kuma", "compiled")
MALFORMED = "# data-shape: malformed"
PRINTED = "kuma-data-fixture"
CAPTURE_MODULE = f"""package kuma_data_fixture_capture

seen(site, value) := value if print("{PRINTED}", site, json.marshal(value))
"""


@dataclass
class Site:
    """One `with data.kuma.compiled as <value>` of a test file, and what it evaluated to."""

    file: str  # relative to rego/kuma/authz
    row: int
    col: int  # 1-based, in bytes, where <value> starts
    text: str  # <value> as written
    malformed: bool
    values: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"rego/kuma/authz/{self.file}:{self.row}"


@dataclass
class Capture:
    sites: list[Site]
    other_targets: list[str]  # modifiers of data.kuma or below that replace more or less than the document
    failed_tests: list[str]  # tests of the instrumented copy that did not pass


def capture_fixtures(opa: str, workdir: Path, library: Path = LIBRARY) -> Capture:
    """Every site of the tests of `library` (a copy of it is made in `workdir`) and what it evaluated to."""
    copy = workdir / "kuma" / "authz"
    shutil.copytree(library, copy)
    sites: list[Site] = []
    other_targets: list[str] = []
    for path in sorted(copy.rglob("*_test.rego")):
        relative = path.relative_to(copy).as_posix()
        found, others = _sites(opa, path, relative)
        sites += found
        other_targets += others
        if found:
            path.write_bytes(_instrumented(path.read_bytes(), found, len(sites) - len(found)))
    (workdir / "kuma_data_fixture_capture_test.rego").write_text(CAPTURE_MODULE)
    process = subprocess.run(
        [opa, "test", "--format", "json", str(workdir)], capture_output=True, text=True, check=False
    )
    if not process.stdout.strip():
        raise RuntimeError(f"opa test of the instrumented copy: {process.stderr}")
    failed = []
    for result in json.loads(process.stdout):
        if result.get("fail") or result.get("error"):
            failed.append(f"{result['package']}.{result['name']}")
        for line in base64.b64decode(result.get("output", "")).decode().splitlines():
            marker, _, rest = line.partition(" ")
            if marker == PRINTED:
                number, _, value = rest.partition(" ")
                sites[int(number)].values.append(json.loads(value))
    return Capture(sites, other_targets, failed)


def _sites(opa: str, path: Path, relative: str) -> tuple[list[Site], list[str]]:
    parsed = subprocess.run(
        [opa, "parse", "--format", "json", "--json-include", "locations,-comments", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = path.read_bytes().splitlines()
    sites, others = [], []
    for statement_row, modifier in _modifiers(json.loads(parsed.stdout)):
        target = tuple(str(part["value"]) for part in modifier["target"]["value"])
        if target != TARGET:
            if target[: len(TARGET)] == TARGET[: len(target)]:  # data, data.kuma or below the document
                others.append(f"rego/kuma/authz/{relative}:{modifier['location']['row']}: with {'.'.join(target)}")
            continue
        location = modifier["value"]["location"]
        text = base64.b64decode(location["text"]).decode()
        malformed = statement_row >= 2 and lines[statement_row - 2].strip().decode().startswith(MALFORMED)
        sites.append(Site(relative, location["row"], location["col"], text, malformed))
    return sites, others


def _modifiers(node: Any) -> list[tuple[int, dict[str, Any]]]:
    """(first line of the statement, modifier) for every `with` of a parsed module."""
    found: list[tuple[int, dict[str, Any]]] = []
    if isinstance(node, dict):
        found += [(node["location"]["row"], modifier) for modifier in node.get("with", [])]
        for value in node.values():
            found += _modifiers(value)
    elif isinstance(node, list):
        for value in node:
            found += _modifiers(value)
    return found


def _instrumented(source: bytes, sites: list[Site], first_number: int) -> bytes:
    """`source` with each site's value `v` replaced by `seen("<site number>", v)`, from the end so that
    the positions of the earlier sites still hold."""
    lines = source.split(b"\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    numbered = sorted(enumerate(sites, start=first_number), key=lambda item: (item[1].row, item[1].col), reverse=True)
    for number, site in numbered:
        start = offsets[site.row - 1] + site.col - 1
        text = site.text.encode()
        if source[start : start + len(text)] != text:
            raise RuntimeError(f"{site.name}: the parser's location does not hold {site.text!r}")
        wrapped = f'data.kuma_data_fixture_capture.seen("{number}", {site.text})'.encode()
        source = source[:start] + wrapped + source[start + len(text) :]
    return source
