"""Documents → the checks' report, by real OPA.

The documents go to OPA in parts of at most PART_DOCUMENTS, each part checked by its own `opa eval`
as soon as it is full (while the next files are still being read), up to one process per core. The
cross-document checks then run once over the summaries every part returned. An input that fits in one
part is checked in one evaluation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.checks.opa import Opa, OpaFailed
from generator.checks.report import Report, ReportError
from generator.diagnostics import Severity
from generator.reading.documents import Document
from generator.rego import checks_root

PART_DOCUMENTS = 5000
QUERY = "data.checks.lib.report"


@dataclass(frozen=True)
class Settings:
    """What the command line changes in the checks; unset, the checks' own defaults hold
    (rego/checks/lib/model.rego: system namespaces kuma-system and kong-mesh-system)."""

    system_namespaces: frozenset[str] | None = None
    allow_empty: bool = False
    exhaustive: bool = False  # every rule on every resource, without the fast path (tests)
    kuma_version: str | None = None  # X.Y.Z; None: the checks' default (rego/checks/lib/versions.rego)

    def as_json(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"allow_empty": self.allow_empty, "exhaustive": self.exhaustive}
        if self.system_namespaces is not None:
            settings["system_namespaces"] = sorted(self.system_namespaces)
        if self.kuma_version is not None:
            settings["kuma_version"] = self.kuma_version
        return settings


@dataclass
class CheckRun:
    """One validation of one input: add its documents file by file, then finish."""

    opa: Opa
    settings: Settings = field(default_factory=Settings)
    part_documents: int = PART_DOCUMENTS
    documents: dict[tuple[str, int], Document] = field(default_factory=dict)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _pending_objects: int = 0  # objects in _pending: documents, or the items of a List
    _parts: list[Future[bytes]] = field(default_factory=list)
    _report: Report = field(default_factory=Report)  # what the parts checked so far
    _consumed_any: bool = False  # whether the input went to OPA in parts
    input_name: str = "<input>"  # where a finding about the input as a whole is reported
    incomplete: bool = False  # the reader refused something: the checks do not see the whole input
    _first: dict[str, Any] | None = None
    _pool: ThreadPoolExecutor | None = None

    def add(self, file: str, file_index: int, documents: Iterable[Document]) -> None:
        for number, document in enumerate(documents, start=1):
            self.documents[(file, number)] = document
            if self._first is None:
                self._first = {"file": file, "document": number}
            for record in self._records(file, file_index, number, document.value):
                self._pending.append(record)
                items = record["value"].get("items") if "item_offset" in record else None
                self._pending_objects += len(items) if isinstance(items, list) else 1
                if self._pending_objects >= self.part_documents:
                    self._submit()

    def _records(self, file: str, file_index: int, number: int, value: Any) -> Iterable[dict[str, Any]]:
        """A document as the checks take it; a long kubectl List in pieces of PART_DOCUMENTS items."""
        record = {"file": file, "file_index": file_index, "document": number, "value": value}
        items = value.get("items") if isinstance(value, dict) and value.get("kind") == "List" else None
        if not isinstance(items, list) or len(items) <= self.part_documents:
            yield record
            return
        for start in range(0, len(items), self.part_documents):
            piece = {**value, "items": items[start : start + self.part_documents]}
            yield {**record, "value": piece, "item_offset": start}

    def finish(self) -> Report:
        report = self._report
        try:
            if not self._parts and not self._consumed_any:
                # One part: everything, the cross-document checks included, in one evaluation.
                request: dict[str, Any] = {"documents": self._pending, "combined": True, "incomplete": self.incomplete}
                request["first_document"] = self._first or {"file": self.input_name, "document": 0}
                report.extend(self._evaluate(request))
                return report
            if self._pending:
                self._submit()
            for part in self._parts:
                report.extend(_decode(part.result()))
            self._parts.clear()
            has_errors = self.incomplete or any(finding.severity is Severity.ERROR for finding in report.findings)
            final = {"documents": [], "summaries": report.summaries, "combined": True, "incomplete": has_errors}
            final["first_document"] = self._first or {"file": self.input_name, "document": 0}
            report.extend(self._evaluate(final))
            return report
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
        part, self._pending, self._pending_objects = self._pending, [], 0
        self._parts.append(self._pool.submit(self._run, {"documents": part, "combined": False}))
        # Read what the finished parts said now, so that their output is not all held at once.
        while len(self._parts) > 1 and self._parts[0].done():
            self._report.extend(_decode(self._parts.pop(0).result()))
        self._consumed_any = True

    def _evaluate(self, request: dict[str, Any]) -> Any:
        return _decode(self._run(request))

    def _run(self, request: dict[str, Any]) -> bytes:
        payload = json.dumps(
            {"gen_bundle": {**request, "settings": self.settings.as_json()}},
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        ).encode()
        return self.opa.eval(QUERY, [checks_dir()], payload)


def checks_dir() -> Path:
    return checks_root()


def _decode(output: bytes) -> Any:
    try:
        return json.loads(output)
    except ValueError as exc:
        raise ReportError(f"OPA's output is not JSON: {exc}") from None


__all__ = ["CheckRun", "OpaFailed", "Settings"]
