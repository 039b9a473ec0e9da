"""Text → YAML documents whose every field knows its line and column.

PyYAML composes the node graph (C parser when available); we turn nodes into plain values ourselves so
that (a) each path gets a position, (b) duplicate keys are errors rather than silently last-wins, and
(c) alias bombs, absurd nesting and absurd size are refused before they cost time or memory.

Before composing, one pass over the parser's events (constant memory) refuses a file nested deeper than
MAX_DEPTH or holding more than MAX_EVENTS nodes: the C composer recurses (a few thousand levels of
`[[[…` crash the process), libyaml slows down quadratically with flow nesting, and every composed node
costs hundreds of bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, Location, error

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = tuple[str | int, ...]

MAX_DEPTH = 100
# Nodes (scalars, aliases, collections) in one file: ~60 per policy, so ~16 000 policies; a million
# nodes take ~600 MB once composed.
MAX_EVENTS = 1_000_000
# An alias may repeat a subtree; past this many values in one document (counting repeats) it is a bomb.
MAX_EXPANDED_VALUES = 5_000_000

_SCALAR_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALAR_CONSTRUCTORS = yaml.constructor.SafeConstructor.yaml_constructors
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class Document:
    """One YAML document of one file: its plain value and where each of its fields stands."""

    file: str
    index: int  # position of the document in its file, 0-based
    value: Any
    positions: dict[Path, Location] = field(default_factory=dict)

    def locate(self, path: Path) -> Location:
        """Where `path` stands, or its nearest ancestor that exists."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return Location(self.file, 1, 1)


class _Refused(Exception):
    def __init__(self, location: Location, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def parse_text(file: str, text: str) -> tuple[list[Document], list[Diagnostic]]:
    """Every document of a YAML (or JSON) text; empty documents are left out."""
    documents: list[Document] = []
    try:
        _prescan(file, text)
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None:
                continue
            document = Document(file, index, None)
            _check_expansion(file, node)
            document.value = _Converter(document).convert(node, (), 0)
            if document.value is not None:
                documents.append(document)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        return documents, [error(location, f"invalid YAML: {problem}")]
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (a control character): `position` counts characters.
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return documents, [
            error(Location(file, line, column), f"invalid YAML: character #x{exc.character:04x}: {exc.reason}")
        ]
    except yaml.YAMLError as exc:
        return documents, [error(Location(file, 1, 1), f"invalid YAML: {str(exc).splitlines()[0]}")]
    except _Refused as exc:
        return documents, [error(exc.location, exc.message)]
    except RecursionError:
        return documents, [error(Location(file, 1, 1), f"document nested deeper than {MAX_DEPTH} levels")]
    return documents, []


def _prescan(file: str, text: str) -> None:
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=_Loader)):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 1:  # the converter counts the root as level 0
                raise _Refused(_mark(file, event.start_mark), f"document nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if count > MAX_EVENTS:
            raise _Refused(_mark(file, event.start_mark), f"more than {MAX_EVENTS} YAML nodes in one file")


def _mark(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1) if mark is not None else Location(file, 1, 1)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def parse_json_text(file: str, text: str) -> tuple[list[Document], list[Diagnostic]]:
    """JSON that the YAML parser refuses (tabs, for instance): values without positions below the root."""
    # The same bounds as for YAML, checked on the text: every value needs a `,` `:` `[` or `{` nearby.
    if sum(text.count(mark) for mark in ",:[{") > MAX_EVENTS:
        return [], [error(Location(file, 1, 1), f"more than {MAX_EVENTS} JSON values in one file")]
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        value = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        return [], [error(Location(file, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}")]
    except RecursionError:
        return [], [error(Location(file, 1, 1), f"document nested deeper than {MAX_DEPTH} levels")]
    if _depth(value) > MAX_DEPTH:
        return [], [error(Location(file, 1, 1), f"document nested deeper than {MAX_DEPTH} levels")]
    if _has_surrogate(value):
        # A lone UTF-16 surrogate (`"\\ud800"`) is not a character: no Kuma resource holds one, and it
        # cannot be written out again as UTF-8. The YAML parser refuses it the same way.
        escape = _SURROGATE_ESCAPE.search(text)
        start = escape.start() if escape else 0
        line, column = text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1
        return [], [error(Location(file, line, column), "invalid JSON: escape of a lone UTF-16 surrogate")]
    if duplicates:
        return [], [error(Location(file, 1, 1), f'duplicate key "{duplicates[0]}"')]
    document = Document(file, 0, value, {(): Location(file, 1, 1)})
    return [document], []


def _depth(value: Any) -> int:
    """How deep a plain value nests (a scalar is level 0), without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            pending.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, level + 1) for child in item)
    return deepest


def _has_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if any("\ud800" <= char <= "\udfff" for char in item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _check_expansion(file: str, root: yaml.Node) -> None:
    """Refuse documents whose aliases would expand into more values than any real policy file has."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _Refused(_location(file, node), f"document nested deeper than {MAX_DEPTH} levels")
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias counts once here and is refused by the converter
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                total += size(key, depth + 1) + size(value, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
        if total > MAX_EXPANDED_VALUES:
            raise _Refused(
                _location(file, node),
                f"document expands to more than {MAX_EXPANDED_VALUES} values (YAML alias bomb?)",
            )
        sizes[id(node)] = total
        return total

    size(root, 0)


def _location(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.active: set[int] = set()  # nodes on the current path, to refuse recursive aliases

    def convert(self, node: yaml.Node, path: Path, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Refused(self._at(node), f"document nested deeper than {MAX_DEPTH} levels")
        self.document.positions.setdefault(path, self._at(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:
            raise _Refused(self._at(node), "recursive YAML alias")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
        raise _Refused(self._at(node), "unsupported YAML node")  # pragma: no cover

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge_sources(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(self._at(key_node), "mapping keys must be plain strings")
            # Keys stay as written: `on:` or `1:` are tag names here, not booleans or numbers.
            key = str(key_node.value)
            if key in result:
                raise _Refused(self._at(key_node), f'duplicate key "{key}"')
            child = (*path, key)
            self.document.positions[child] = self._at(key_node)
            result[key] = self.convert(value_node, child, depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, path: Path, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):  # earlier sources win, as YAML says
            value = self.convert(source, path, depth + 1)
            if not isinstance(value, dict):
                raise _Refused(self._at(source), "a merge key (<<) needs a mapping")
            merged.update(value)
        return merged

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        # Called directly rather than through construct_object, which caches every node it sees.
        construct = _SCALAR_CONSTRUCTORS.get(node.tag) or _SCALAR_CONSTRUCTORS[None]
        try:
            value = construct(_SCALAR_CONSTRUCTOR, node)
        except yaml.constructor.ConstructorError as exc:
            raise _Refused(self._at(node), f"invalid YAML value: {exc.problem}") from None
        if isinstance(value, bytes):
            raise _Refused(self._at(node), "binary values (!!binary) are not supported")
        return value

    def _at(self, node: yaml.Node) -> Location:
        return _location(self.document.file, node)
