"""JSON: one document on stdout with every diagnostic as a record and the run's outcome."""

from __future__ import annotations

import json
import sys
from typing import Any

from generator import __version__
from generator.diagnostics import Diagnostic, Severity
from generator.formats.outcome import Outcome

FORMAT_VERSION = 1


def diagnostic_record(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "rule": diagnostic.rule.id,
        "title": diagnostic.rule.title,
        "severity": diagnostic.severity.value,
        "file": diagnostic.location.file,
        "line": diagnostic.location.line,
        "column": diagnostic.location.column,
        "resource": diagnostic.resource,
        "field": diagnostic.field,
        "message": diagnostic.message,
        "text": str(diagnostic),
        "page": diagnostic.rule.page,
    }


def document(outcome: Outcome) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "tool": {"name": "gen-bundle", "version": __version__},
        "command": outcome.command,
        "exit_status": outcome.exit_status,
        "failure": outcome.failure,
        "counts": {severity.value: outcome.count(severity) for severity in Severity},
        "diagnostics": [diagnostic_record(diagnostic) for diagnostic in outcome.diagnostics],
        "bundle": outcome.bundle,
    }


def write(outcome: Outcome) -> None:
    json.dump(document(outcome), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
