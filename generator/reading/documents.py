"""Text → YAML documents whose every field knows its line and column.

One pass over the C parser's events builds the plain values directly (no node graph, no
constructor machinery) and, beside each mapping and list, a compact table of where its children
stand; so (a) each path gets a position at the cost of 8 bytes, (b) duplicate keys are errors
rather than silently last-wins, and (c) alias bombs, absurd nesting and absurd size are refused
as soon as they are seen, before they cost time or memory. Scalars resolve as PyYAML's safe loader
resolves them (YAML 1.1: `yes` is a boolean, `2024-01-01` a timestamp); mapping keys stay text as
written. Repeated scalars are shared, which keeps a 100,000-policy input's values small.
"""

from __future__ import annotations

import json
import re
from array import array
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
# Parser events (≈ nodes) in one file: ~60 per policy, so ~130,000 policies, more than a 64 MiB file
# (MAX_FILE_BYTES) of real policies holds; a `kubectl get -o yaml` dump of a large mesh fits.
MAX_EVENTS = 8_000_000
# An alias may repeat a subtree; past this many values in one document (counting repeats) it is a bomb.
MAX_EXPANDED_VALUES = 5_000_000

_SCALAR_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALAR_CONSTRUCTORS = yaml.constructor.SafeConstructor.yaml_constructors
_IMPLICIT_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
# A position packs line and column (both 1-based) into one 64-bit word.
_COLUMN_BITS = 32
_COLUMN_MASK = (1 << _COLUMN_BITS) - 1
_SHARED_LIMIT = 200_000  # distinct scalars remembered for sharing before the memo starts afresh


def _pack(line: int, column: int) -> int:
    return line << _COLUMN_BITS | min(column, _COLUMN_MASK)


@dataclass(slots=True)
class Document:
    """One YAML document of one file: its plain value and where each of its fields stands.

    `tables` maps each mapping and list of `value` (by identity) to the packed positions of its
    children, in iteration order: a mapping child's position is its key's.
    """

    file: str
    index: int  # position of the document in its file, 0-based
    value: Any
    start: int = _pack(1, 1)  # where the value itself stands
    tables: dict[int, array[int]] = field(default_factory=dict)

    def locate(self, path: Path) -> Location:
        """Where `path` stands, or its nearest ancestor that exists."""
        position = self.start
        node = self.value
        for step in path:
            table = self.tables.get(id(node))
            if table is None:
                break
            if isinstance(node, dict) and isinstance(step, str) and step in node:
                index = next(i for i, key in enumerate(node) if key == step)
            elif isinstance(node, list) and type(step) is int and 0 <= step < len(node):
                index = step
            else:
                break
            position = table[index]
            node = node[step]
        return Location(self.file, position >> _COLUMN_BITS, position & _COLUMN_MASK)


class _Refused(Exception):
    def __init__(self, location: Location, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def parse_text(file: str, text: str) -> tuple[list[Document], list[Diagnostic]]:
    """Every document of a YAML (or JSON) text; empty documents are left out."""
    documents: list[Document] = []
    try:
        _Builder(file, text, documents).run()
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
    return documents, []


# Scalars seen before, by text: the plain ones resolved (`"true"` → True), and the texts themselves.
_plain_values: dict[str, Any] = {}
_texts: dict[str, str] = {}


def _shared_text(text: str) -> str:
    if len(_texts) > _SHARED_LIMIT:
        _texts.clear()
    return _texts.setdefault(text, text)


class _Frame:
    """A mapping or list being built."""

    __slots__ = ("anchor", "at", "is_mapping", "key", "key_at", "merged", "positions", "start_count", "value")

    def __init__(self, value: Any, is_mapping: bool, anchor: str | None, at: int, start_count: int) -> None:
        self.value = value
        self.is_mapping = is_mapping
        self.anchor = anchor
        self.at = at
        self.start_count = start_count  # values of the document before this one, to size anchors
        self.positions: array[int] = array("Q")
        self.key: str | None = None  # a mapping's pending key, once read and before its value
        self.key_at = 0
        self.merged: list[dict[str, Any]] = []  # `<<` sources, earlier ones first


_NOT_A_KEY = object()  # a collection or non-text value where a mapping key was expected


class _Builder:
    """Parser events → plain values with position tables, one document at a time."""

    def __init__(self, file: str, text: str, documents: list[Document]) -> None:
        self.file = file
        self.text = text
        self.documents = documents

    def run(self) -> None:
        parser = _Loader(self.text)
        try:
            self._events(parser.get_event)
        finally:
            parser.dispose()

    def _events(self, next_event: Any) -> None:  # one loop rather than a call per event: speed
        file = self.file
        stack: list[_Frame] = []
        anchors: dict[str, tuple[Any, Any, int, int]] = {}  # name → value, key text, size, where
        tables: dict[int, array[int]] = {}
        document: Document | None = None
        count = 0  # values of this document, alias expansions included
        events = 0
        index = -1
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        document_start, document_end = yaml.DocumentStartEvent, yaml.DocumentEndEvent
        while True:
            event = next_event()
            kind = event.__class__
            events += 1
            if events > MAX_EVENTS:
                raise _Refused(_mark(file, event.start_mark), f"more than {MAX_EVENTS} YAML nodes in one file")
            if kind is scalar_event or kind is alias_event or kind is mapping_start or kind is sequence_start:
                mark = event.start_mark
                at = (mark.line + 1) << _COLUMN_BITS | (mark.column + 1)
                if len(stack) > MAX_DEPTH:
                    raise _Refused(_mark(file, mark), f"document nested deeper than {MAX_DEPTH} levels")
                anchor = event.anchor
                if kind is alias_event:
                    found = anchors.get(anchor)
                    if found is None:
                        if _open_anchor(stack, anchor):
                            raise _Refused(_mark(file, mark), "recursive YAML alias")
                        raise yaml.composer.ComposerError(None, None, f"found undefined alias {anchor!r}", mark)
                    value, key_text, size, _ = found
                    count += size
                    if count > MAX_EXPANDED_VALUES:
                        raise _Refused(
                            _mark(file, mark),
                            f"document expands to more than {MAX_EXPANDED_VALUES} values (YAML alias bomb?)",
                        )
                else:
                    if anchor is not None:
                        first = anchors[anchor][3] if anchor in anchors else _open_anchor(stack, anchor)
                        if first:
                            raise _Refused(
                                _mark(file, mark),
                                f'duplicate anchor "&{anchor}" (first at line {first >> _COLUMN_BITS})',
                            )
                    count += 1
                    if kind is scalar_event:
                        key_text = event.value
                        if stack and stack[-1].is_mapping and stack[-1].key is None and anchor is None:
                            value = None  # a mapping key: kept as written, never resolved
                        else:
                            value = self._scalar(event, at)
                        if anchor is not None:
                            anchors[anchor] = (value, key_text, 1, at)
                    else:
                        if event.tag not in _COLLECTION_TAGS:
                            raise _Refused(
                                _mark(file, mark),
                                f"invalid YAML value: could not determine a constructor for the tag {event.tag!r}",
                            )
                        is_mapping = kind is mapping_start
                        stack.append(_Frame({} if is_mapping else [], is_mapping, anchor, at, count - 1))
                        continue
            elif kind is mapping_end or kind is sequence_end:
                frame = stack.pop()
                value, at, key_text = frame.value, frame.at, _NOT_A_KEY
                for source in frame.merged:
                    source_positions = tables[id(source)]
                    for position, (key, item) in zip(source_positions, source.items(), strict=True):
                        if key not in value:
                            value[key] = item
                            frame.positions.append(position)
                tables[id(value)] = frame.positions
                if frame.anchor is not None:
                    anchors[frame.anchor] = (value, _NOT_A_KEY, count - frame.start_count, at)
            elif kind is document_start:
                index += 1
                document = Document(file, index, None)
                anchors, tables, count = {}, {}, 0
                continue
            elif kind is document_end:
                assert document is not None
                if document.value is not None:
                    document.tables = tables
                    self.documents.append(document)
                document = None
                continue
            elif kind is yaml.StreamEndEvent:
                return
            else:  # StreamStartEvent
                continue

            # A value is complete: hand it to its parent.
            if not stack:
                assert document is not None
                document.value, document.start = value, at
                continue
            parent = stack[-1]
            if not parent.is_mapping:
                parent.value.append(value)
                parent.positions.append(at)
            elif parent.key is None:
                if key_text is _NOT_A_KEY or key_text is None:
                    raise _Refused(_at(file, at), "mapping keys must be plain strings")
                if key_text == "<<" and kind is scalar_event and (event.tag == _MERGE_TAG or event.implicit[0]):
                    parent.key, parent.key_at = _MERGE_SENTINEL, at
                    continue
                key = _shared_text(str(key_text))
                if key in parent.value:
                    raise _Refused(_at(file, at), f'duplicate key "{key}"')
                parent.key, parent.key_at = key, at
            else:
                if parent.key is _MERGE_SENTINEL:
                    parent.merged[:0] = _merge_sources(file, value, at)
                else:
                    parent.value[parent.key] = value
                    parent.positions.append(parent.key_at)
                parent.key = None

    def _scalar(self, event: Any, at: int) -> Any:
        tag = event.tag
        text = event.value
        if tag is None or tag == "!":
            if event.implicit[0]:
                known = _plain_values.get(text, _NOT_A_KEY)
                if known is not _NOT_A_KEY:
                    return known
                value = self._construct(_resolve_plain(text), event, at)
                if len(_plain_values) > _SHARED_LIMIT:
                    _plain_values.clear()
                if isinstance(value, str | bool | int | float | None):
                    _plain_values[text] = value
                return value
            return _shared_text(text)
        if tag == _STR_TAG:
            return _shared_text(text)
        return self._construct(tag, event, at)

    def _construct(self, tag: str, event: Any, at: int) -> Any:
        if tag == _STR_TAG:
            return _shared_text(event.value)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        # Called directly rather than through construct_object, which caches every node it sees.
        construct = _SCALAR_CONSTRUCTORS.get(tag) or _SCALAR_CONSTRUCTORS[None]
        try:
            value = construct(_SCALAR_CONSTRUCTOR, node)
        except yaml.constructor.ConstructorError as exc:
            raise _Refused(_at(self.file, at), f"invalid YAML value: {exc.problem}") from None
        if isinstance(value, bytes):
            raise _Refused(_at(self.file, at), "binary values (!!binary) are not supported")
        return value


_MERGE_SENTINEL = "\x00<<"  # cannot be a key: the reader refuses NUL bytes


def _open_anchor(stack: list[_Frame], anchor: str) -> int:
    """Where an anchor of a collection still being read stands, or 0."""
    return next((frame.at for frame in stack if frame.anchor == anchor), 0)


def _resolve_plain(text: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar."""
    for tag, pattern in _IMPLICIT_RESOLVERS.get(text[:1], ()):
        if pattern.match(text):
            return str(tag)
    return _STR_TAG


def _merge_sources(file: str, value: Any, at: int) -> list[dict[str, Any]]:
    """The mappings a `<<` key merges, earlier ones first (they win over later ones)."""
    sources = value if isinstance(value, list) else [value]
    if not all(isinstance(source, dict) for source in sources):
        raise _Refused(_at(file, at), "a merge key (<<) needs a mapping")
    return list(sources)


def _at(file: str, position: int) -> Location:
    return Location(file, position >> _COLUMN_BITS, position & _COLUMN_MASK)


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
    document = Document(file, 0, value)
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
