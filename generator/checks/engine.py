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

    def as_json(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"allow_empty": self.allow_empty, "exhaustive": self.exhaustive}
        if self.system_namespaces is not None:
            settings["system_namespaces"] = sorted(self.system_namespaces)
        return settings


@dataclass
class CheckRun:
    """One validation of one input: add its documents file by file, then finish."""

    opa: Opa
    settings: Settings = field(default_factory=Settings)
    part_documents: int = PART_DOCUMENTS
    documents: dict[tuple[str, int], Document] = field(default_factory=dict)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _parts: list[Future[bytes]] = field(default_factory=list)
    input_name: str = "<input>"  # where a finding about the input as a whole is reported
    incomplete: bool = False  # the reader refused something: the checks do not see the whole input
    _first: dict[str, Any] | None = None
    _pool: ThreadPoolExecutor | None = None

    def add(self, file: str, file_index: int, documents: Iterable[Document]) -> None:
        for number, document in enumerate(documents, start=1):
            self.documents[(file, number)] = document
            record = {"file": file, "file_index": file_index, "document": number, "value": document.value}
            if self._first is None:
                self._first = {"file": file, "document": number}
            self._pending.append(record)
            if len(self._pending) >= self.part_documents:
                self._submit()

    def finish(self) -> Report:
        report = Report()
        try:
            if not self._parts:
                # One part: everything, the cross-document checks included, in one evaluation.
                request: dict[str, Any] = {"documents": self._pending, "combined": True, "incomplete": self.incomplete}
                request["first_document"] = self._first or {"file": self.input_name, "document": 0}
                report.extend(self._evaluate(request))
                return report
            if self._pending:
                self._submit()
            for part in self._parts:
                report.extend(_decode(part.result()))
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
        part, self._pending = self._pending, []
        self._parts.append(self._pool.submit(self._run, {"documents": part, "combined": False}))

    def _evaluate(self, request: dict[str, Any]) -> Any:
        return _decode(self._run(request))

    def _run(self, request: dict[str, Any]) -> bytes:
        payload = json.dumps(
            {"gen_bundle": {**request, "settings": self.settings.as_json()}}, ensure_ascii=False, allow_nan=False
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
