"""The checks' report, as gen-bundle reads it: the contract of report.schema.json, typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.diagnostics import Diagnostic, Location, Rule, Severity
from generator.reading.documents import Document

REPORT_FORMAT = 1

Json = dict[str, Any]


class ReportError(Exception):
    """The report does not have the agreed shape: a defect, never the input's fault."""


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    severity: Severity
    title: str
    file: str
    document: int  # 1-based within the file; 0: the input as a whole
    item: int  # index in a kubectl List, or -1
    path: tuple[str | int, ...]  # keys and indices from the document's root
    field: str  # Kuma's field path, or ""
    resource: str | None
    message: str

    @staticmethod
    def from_json(value: Json, titles: dict[str, str]) -> Finding:
        try:
            return Finding(
                id=str(value["id"]),
                severity=Severity(value["severity"]),
                title=str(titles[value["id"]]),
                file=str(value["file"]),
                document=int(value["document"]),
                item=int(value["item"]),
                path=tuple(value["path"]),
                field=str(value["field"]),
                resource=value["resource"],
                message=str(value["message"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportError(f"a finding of the checks' report is malformed ({exc}): {value!r}") from None


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    models: list[Json] = field(default_factory=list)
    summaries: list[Json] = field(default_factory=list)
    semantics: Json = field(default_factory=dict)  # the chosen Kuma release's (versions.rego)

    def extend(self, value: Any) -> None:
        if not isinstance(value, dict) or value.get("format") != REPORT_FORMAT:
            raise ReportError(f"the checks' report has an unknown format: {str(value)[:200]}")
        try:
            titles = value["titles"]
            self.findings.extend(Finding.from_json(item, titles) for item in value["findings"])
            self.models.extend(value["models"])
            self.summaries.extend(value["summaries"])
            self.semantics = dict(value["semantics"])
        except (KeyError, TypeError) as exc:
            raise ReportError(f"the checks' report is malformed: missing {exc}") from None


_rules: dict[tuple[str, str], Rule] = {}


def to_diagnostic(finding: Finding, documents: dict[tuple[str, int], Document]) -> Diagnostic:
    """A finding at its file position: the field it names, or the nearest part of it that exists."""
    document = documents.get((finding.file, finding.document))
    location = document.locate(finding.path) if document is not None else Location(finding.file or "<input>", 0, 0)
    return Diagnostic(
        finding.severity,
        location,
        _rules.setdefault((finding.id, finding.title), Rule(finding.id, finding.title)),
        finding.message,
        resource=finding.resource,
        field=finding.field or None,
    )
