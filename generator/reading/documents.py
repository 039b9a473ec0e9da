"""Text → YAML documents whose every field knows its line and column.

One pass over the C parser's events builds the plain values directly (no node graph, no
constructor machinery) and, beside each mapping and list, a compact table of where its children
stand; so (a) each path gets a position at the cost of 8 bytes, (b) duplicate keys are errors
rather than silently last-wins, and (c) alias bombs, absurd nesting and absurd size are refused
as soon as they are seen, before they cost time or memory. Repeated scalars are shared, which keeps a
100,000-policy input's values small.

The values are the ones Kuma gets: kumactl, the Kuma API and kubectl read YAML with sigs.k8s.io/yaml
(go-yaml v2's resolution, then JSON), and so does conftest. So `yes`, `on` and `y` are true, `1e3` is
1000, `0o17` is 15, `2024-01-01` stays the text it is, `10:20` is text (not base 60), and a plain key
resolves too (`on:` is the key "true"). `resolve_plain` is that resolution; the checks then see the
same JSON whichever tool reads the file.
"""

from __future__ import annotations

import json
import re
from array import array
from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, Location, Rule
from generator.reading.rules import DUPLICATE, INVALID_SYNTAX, LIMITS, UNSUPPORTED_VALUE, refuse

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

_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# Explicit core tags and the values they may resolve to.
_CORE_SCALAR_TAGS: dict[str, tuple[type, ...]] = {
    "tag:yaml.org,2002:null": (type(None),),
    "tag:yaml.org,2002:bool": (bool,),
    "tag:yaml.org,2002:int": (int,),
    _FLOAT_TAG: (float, int),
}
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

    def item(self, index: int) -> Document:
        """An item of a document that is a list, as a document of its own."""
        position = self.tables[id(self.value)][index]
        return Document(self.file, self.index, self.value[index], position, self.tables)

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
    def __init__(self, location: Location, message: str, rule: Rule = LIMITS) -> None:
        super().__init__(message)
        self.location = location
        self.message = message
        self.rule = rule


def parse_text(file: str, text: str) -> tuple[list[Document], list[Diagnostic]]:
    """Every document of a YAML (or JSON) text; empty documents are left out."""
    documents: list[Document] = []
    try:
        _Builder(file, text, documents).run()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:
            # libyaml (PyYAML >= 6.0.2) has a nesting limit of its own and may meet it while scanning
            # ahead in a flow collection, before our limit sees the events: report ours, where it is.
            return documents, [
                refuse(LIMITS, _too_deep_at(file, text), f"document nested deeper than {MAX_DEPTH} levels")
            ]
        return documents, [refuse(INVALID_SYNTAX, location, f"invalid YAML: {problem}{_tab_note(text, location)}")]
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (a control character): `position` counts characters.
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return documents, [
            refuse(
                INVALID_SYNTAX,
                Location(file, line, column),
                f"invalid YAML: character #x{exc.character:04x}: {exc.reason}",
            )
        ]
    except yaml.YAMLError as exc:
        return documents, [refuse(INVALID_SYNTAX, Location(file, 1, 1), f"invalid YAML: {str(exc).splitlines()[0]}")]
    except _Refused as exc:
        return documents, [refuse(exc.rule, exc.location, exc.message)]
    return documents, []


def _tab_note(text: str, location: Location) -> str:
    """libyaml says only "found character that cannot start any token" where a tab stands: YAML allows
    no tab in indentation or before a token there, and a tab is invisible in most editors."""
    lines = text.split("\n")
    if location.line > len(lines):
        return ""
    line = lines[location.line - 1]
    if not 0 < location.column <= len(line) or line[location.column - 1] != "\t":
        return ""
    return f": a tab at line {location.line}, column {location.column} (YAML allows no tab in indentation: use spaces)"


_FLOW_TOKENS = re.compile(r"""[\[\]{}]|"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|#[^\n]*""")


def _too_deep_at(file: str, text: str) -> Location:
    """Where a flow collection opens the level past MAX_DEPTH (brackets in quotes and comments aside)."""
    depth = 0
    for token in _FLOW_TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                start = token.start()
                return Location(file, text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1)
        elif char in "]}":
            depth = max(0, depth - 1)
    return Location(file, 1, 1)


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
                                DUPLICATE,
                            )
                    count += 1
                    if kind is scalar_event:
                        key_text = event.value
                        if stack and stack[-1].is_mapping and stack[-1].key is None and anchor is None:
                            value = None  # a mapping key: resolved below, as a key
                        else:
                            value = self._scalar(event, at)
                            if anchor is not None:
                                key_text = value
                        if anchor is not None:
                            anchors[anchor] = (value, key_text, 1, at)
                    else:
                        if event.tag not in _COLLECTION_TAGS:
                            raise _Refused(
                                _mark(file, mark),
                                f"unsupported YAML tag {event.tag!r} on a collection",
                                UNSUPPORTED_VALUE,
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
                if key_text is _NOT_A_KEY:
                    raise _Refused(
                        _at(file, at), "a mapping key must be a string, number or boolean", UNSUPPORTED_VALUE
                    )
                if key_text == "<<" and kind is scalar_event and (event.tag == _MERGE_TAG or event.implicit[0]):
                    parent.key, parent.key_at = _MERGE_SENTINEL, at
                    continue
                if kind is scalar_event and anchor is None:
                    key_text = self._scalar(event, at)
                key = _shared_text(_key_text(file, key_text, at))
                if key in parent.value:
                    raise _Refused(_at(file, at), f'duplicate key "{key}"', DUPLICATE)
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
            if event.implicit[0]:  # plain: resolved as go-yaml v2 resolves it
                known = _plain_values.get(text, _NOT_A_KEY)
                if known is not _NOT_A_KEY:
                    return known
                value = resolve_plain(text)
                if value is _NOT_JSON:
                    raise _Refused(
                        _at(self.file, at), f"{text} is not a JSON number: Kuma cannot read it", UNSUPPORTED_VALUE
                    )
                if len(_plain_values) > _SHARED_LIMIT:
                    _plain_values.clear()
                _plain_values[text] = value
                return value
            return _shared_text(text)
        return self._tagged(tag, text, at)

    def _tagged(self, tag: str, text: str, at: int) -> Any:
        """A scalar with an explicit core tag; other tags are refused rather than guessed."""
        if tag in (_STR_TAG, _TIMESTAMP_TAG):
            return _shared_text(text)
        wanted = _CORE_SCALAR_TAGS.get(tag)
        if wanted is None:
            raise _Refused(_at(self.file, at), f"unsupported YAML tag {tag!r}", UNSUPPORTED_VALUE)
        value = resolve_plain(text)
        if tag == _FLOAT_TAG and type(value) is int:
            return value  # JSON has one number type
        if value is _NOT_JSON or type(value) not in wanted:
            raise _Refused(_at(self.file, at), f"cannot read {text!r} as {tag}", UNSUPPORTED_VALUE)
        return value


def _key_text(file: str, key: Any, at: int) -> str:
    """A mapping key as sigs.k8s.io/yaml turns it into a JSON key."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int) and -(2**63) <= key < 2**63:
        return str(key)
    raise _Refused(_at(file, at), f"a mapping key must be a string, number or boolean, got {key!r}", UNSUPPORTED_VALUE)


# go-yaml v2's resolution of plain scalars (resolve.go), which sigs.k8s.io/yaml then turns into JSON.
_RESOLVED: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
}
_NOT_JSON = object()  # infinities and NaN: sigs.k8s.io/yaml fails to write them as JSON
_SPECIAL_FLOATS = frozenset(
    prefix + body for prefix in ("", "+", "-") for body in (".inf", ".Inf", ".INF")
) | frozenset((".nan", ".NaN", ".NAN"))
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_GO_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1


def resolve_plain(text: str) -> Any:
    """A plain scalar's value as go-yaml v2 resolves it (and sigs.k8s.io/yaml writes it as JSON)."""
    if text in _RESOLVED:
        return _RESOLVED[text]
    if text in _SPECIAL_FLOATS:
        return _NOT_JSON
    hint = text[0]
    if hint == ".":
        if _GO_DOT_FLOAT.fullmatch(text):
            return _json_number(float(text))
        return _shared_text(text)
    if hint in "+-0123456789":
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return number
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            value = float(plain)
            if value not in (float("inf"), float("-inf")):  # strconv.ParseFloat reports a range error
                return _json_number(value)
    return _shared_text(text)


def _go_int(plain: str) -> int | None:
    """strconv.ParseInt(plain, 0, 64), else ParseUint(plain, 0, 64), or None."""
    if not _GO_INT.fullmatch(plain):
        return None
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    prefix = digits[:2].lower()
    base = {"0x": 16, "0o": 8, "0b": 2}.get(prefix)
    if base is not None:
        value = int(digits[2:], base)
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits, 8)
    else:
        value = int(digits)
    value *= sign
    if _INT64[0] <= value <= _INT64[1] or (plain[0] != "-" and value <= _UINT64_MAX):
        return value
    return None


def _json_number(value: float) -> int | float:
    """A float as Go's encoding/json writes it: an integral value below 1e21 has no fraction."""
    if value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


_MERGE_SENTINEL = "\x00<<"  # cannot be a key: the reader refuses NUL bytes


def _open_anchor(stack: list[_Frame], anchor: str) -> int:
    """Where an anchor of a collection still being read stands, or 0."""
    return next((frame.at for frame in stack if frame.anchor == anchor), 0)


def _merge_sources(file: str, value: Any, at: int) -> list[dict[str, Any]]:
    """The mappings a `<<` key merges, earlier ones first (they win over later ones)."""
    sources = value if isinstance(value, list) else [value]
    if not all(isinstance(source, dict) for source in sources):
        raise _Refused(_at(file, at), "a merge key (<<) needs a mapping", UNSUPPORTED_VALUE)
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
        return [], [refuse(LIMITS, Location(file, 1, 1), f"more than {MAX_EVENTS} JSON values in one file")]
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
        return [], [refuse(INVALID_SYNTAX, Location(file, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}")]
    except RecursionError:
        return [], [refuse(LIMITS, Location(file, 1, 1), f"document nested deeper than {MAX_DEPTH} levels")]
    if _depth(value) > MAX_DEPTH:
        return [], [refuse(LIMITS, Location(file, 1, 1), f"document nested deeper than {MAX_DEPTH} levels")]
    if _has_surrogate(value):
        # A lone UTF-16 surrogate (`"\\ud800"`) is not a character: no Kuma resource holds one, and it
        # cannot be written out again as UTF-8. The YAML parser refuses it the same way.
        escape = _SURROGATE_ESCAPE.search(text)
        start = escape.start() if escape else 0
        line, column = text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1
        return [], [
            refuse(INVALID_SYNTAX, Location(file, line, column), "invalid JSON: escape of a lone UTF-16 surrogate")
        ]
    if duplicates:
        return [], [refuse(DUPLICATE, Location(file, 1, 1), f'duplicate key "{duplicates[0]}"')]
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
