"""Command-line paths → policy files → documents.

Directories are walked recursively in sorted order (so the output does not depend on the file system's
order); `.yaml`, `.yml` and `.json` files are read there, while a file named explicitly is read whatever
its name. Symbolic links to directories are followed once: a loop is reported, not walked forever.
Only regular files are read (a FIFO or a device would block or never end), at most MAX_FILE_BYTES
each, and a file that holds no resource at all is an error: a truncated or emptied policy file must
not silently drop its policies (a lost Deny opens access).
"""

from __future__ import annotations

import os
import stat
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from generator.diagnostics import Diagnostic, Location
from generator.reading.documents import Document, parse_json_text, parse_text
from generator.reading.rules import EMPTY_FILE, LIMITS, NOT_TEXT, TOP_LEVEL_LIST, UNREADABLE_FILE, refuse

POLICY_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
STDIN = "-"


@dataclass
class SourceFile:
    display: str  # the name diagnostics use: relative to the working directory where possible
    label: str  # the name the bundle's metadata records: relative to the input root, so builds are portable
    data: bytes


@dataclass
class ReadResult:
    files: list[SourceFile] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def read_inputs(paths: list[str]) -> ReadResult:
    result = ReadResult()
    for source in discover(paths, result.diagnostics):
        result.files.append(source)
        documents, problems = decode_file(source)
        result.documents.extend(documents)
        result.diagnostics.extend(problems)
    return result


def decode_file(source: SourceFile) -> tuple[list[Document], list[Diagnostic]]:
    at_start = Location(source.display, 1, 1)
    data, encoding = source.data, "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with a byte-order mark, which Kuma's YAML reader (go-yaml) accepts too.
        encoding = "utf-16"
    elif b"\x00" in data:
        return [], [refuse(NOT_TEXT, at_start, "not a text file (contains NUL bytes)")]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":
            return [], [refuse(NOT_TEXT, at_start, "not valid UTF-16 text")]
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return [], [refuse(NOT_TEXT, Location(source.display, line, column), "not valid UTF-8 text")]
    documents, problems = parse_text(source.display, text)
    if problems and source.display.endswith(".json"):
        # JSON allows tabs where YAML does not; fall back to the JSON parser before giving up.
        json_documents, json_problems = parse_json_text(source.display, text)
        if not json_problems:
            return json_documents, []
    if len(documents) == 1 and isinstance(documents[0].value, list) and not problems:
        # kumactl and kubectl refuse such a file; conftest checks each item as a document of its own,
        # and so do the checks here, so that the file's every problem is reported in one run.
        (listed,) = documents
        problems = [
            refuse(
                TOP_LEVEL_LIST,
                listed.locate(()),
                "the top level of a manifest is a resource, not a list: separate resources with `---`, "
                "or use a kubectl `kind: List`",
            )
        ]
        return [listed.item(index) for index in range(len(listed.value))], problems
    if not documents and not problems:
        return [], [
            refuse(EMPTY_FILE, at_start, "no resource in this file: it is empty, or only comments and empty documents")
        ]
    return documents, problems


def discover(paths: list[str], diagnostics: list[Diagnostic]) -> list[SourceFile]:
    found: list[SourceFile] = []
    for raw in paths:
        if raw == STDIN:
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                diagnostics.append(
                    refuse(LIMITS, Location("<stdin>", 1, 1), f"file larger than {MAX_FILE_BYTES} bytes")
                )
            else:
                found.append(SourceFile("<stdin>", "<stdin>", data))
            continue
        path = Path(raw)
        if path.is_dir():
            root_label = path.resolve().name or "."
            for file in _walk(path, diagnostics):
                label = f"{root_label}/{file.relative_to(path).as_posix()}"
                _read_into(found, file, label, diagnostics)
        elif path.exists():
            _read_into(found, path, path.name, diagnostics)
        elif path.is_symlink():
            diagnostics.append(refuse(UNREADABLE_FILE, _nowhere(path), "broken symbolic link or link loop"))
        else:
            diagnostics.append(refuse(UNREADABLE_FILE, Location(printable(raw), 0, 0), "no such file or directory"))
    return found


def _walk(root: Path, diagnostics: list[Diagnostic]) -> list[Path]:
    files: list[Path] = []
    visited: set[str] = set()

    def visit(directory: Path) -> None:
        real = os.path.realpath(directory)
        if real in visited:
            diagnostics.append(refuse(UNREADABLE_FILE, _nowhere(directory), "directory link loop, not followed again"))
            return
        visited.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            diagnostics.append(refuse(UNREADABLE_FILE, _nowhere(directory), f"cannot read directory: {exc.strerror}"))
            return
        for entry in entries:
            child = Path(entry.path)
            if entry.name.startswith("."):
                continue  # .git, editor swap files
            try:
                is_directory = entry.is_dir(follow_symlinks=True)
                is_file = entry.is_file(follow_symlinks=True)
            except OSError:  # ELOOP: a link loop
                is_directory = is_file = False
            if is_directory:
                visit(child)
            elif entry.name.endswith(POLICY_SUFFIXES) and is_file:
                files.append(child)
            elif entry.is_symlink() and not child.exists():
                diagnostics.append(refuse(UNREADABLE_FILE, _nowhere(child), "broken symbolic link or link loop"))

    visit(root)
    return files


def _read_into(found: list[SourceFile], path: Path, label: str, diagnostics: list[Diagnostic]) -> None:
    display = _display(path)
    if printable(label) != label or display != _raw_display(path):
        # The bundle records where each input came from, as UTF-8 text.
        diagnostics.append(
            refuse(
                UNREADABLE_FILE, Location(display, 0, 0), "file name is not valid UTF-8 text or has control characters"
            )
        )
        return
    try:
        # Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                diagnostics.append(refuse(UNREADABLE_FILE, Location(display, 0, 0), "not a regular file"))
                return
            if status.st_size > MAX_FILE_BYTES:
                diagnostics.append(refuse(LIMITS, Location(display, 1, 1), f"file larger than {MAX_FILE_BYTES} bytes"))
                return
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        diagnostics.append(refuse(UNREADABLE_FILE, Location(display, 1, 1), f"cannot read file: {exc.strerror}"))
        return
    if len(data) > MAX_FILE_BYTES:  # it grew while we read it
        diagnostics.append(refuse(LIMITS, Location(display, 1, 1), f"file larger than {MAX_FILE_BYTES} bytes"))
        return
    found.append(SourceFile(display, label, data))


def printable(name: str) -> str:
    """A file name as diagnostics can print it: undecodable bytes and control characters escaped."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(repr(char)[1:-1] if unicodedata.category(char) == "Cc" else char for char in text)


def _raw_display(path: Path) -> str:
    relative = os.path.relpath(os.path.abspath(path))
    return str(path) if relative.startswith("..") else Path(relative).as_posix()


def _display(path: Path) -> str:
    return printable(_raw_display(path))


def _nowhere(path: Path) -> Location:
    return Location(_display(path), 0, 0)
