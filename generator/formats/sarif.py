"""SARIF 2.1.0 (OASIS): what GitHub code scanning and other tools read, as they read conftest's.

One run; the rules are the IDs the run reports (title, severity, page); each result has the file
position and, as a logical location, the resource. A diagnostic about a whole file has no region.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from generator import __version__
from generator.diagnostics import Diagnostic, Severity
from generator.formats.outcome import Outcome

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def document(outcome: Outcome) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    levels: dict[str, Severity] = {}
    for diagnostic in outcome.diagnostics:
        rule = diagnostic.rule
        levels.setdefault(rule.id, diagnostic.severity)
        rules.setdefault(
            rule.id,
            {
                "id": rule.id,
                "name": "".join(word[:1].upper() + word[1:] for word in rule.title.replace("-", " ").split()),
                "shortDescription": {"text": rule.title},
                "help": {
                    "text": f"{rule.title}: see {rule.page}",
                    "markdown": f"{rule.title}: see [{rule.id}]({rule.page})",
                },
                "defaultConfiguration": {"level": LEVELS[diagnostic.severity]},
                "properties": {"page": rule.page},
            },
        )
    ordered = sorted(rules)
    index = {rule_id: position for position, rule_id in enumerate(ordered)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "gen-bundle",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [rules[rule_id] for rule_id in ordered],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(diagnostic, index[diagnostic.rule.id]) for diagnostic in outcome.diagnostics],
        "invocations": [_invocation(outcome)],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _result(diagnostic: Diagnostic, rule_index: int) -> dict[str, Any]:
    text = ": ".join(part for part in (diagnostic.resource, diagnostic.field, diagnostic.message) if part)
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(diagnostic.location.file)}}
    if diagnostic.location.line > 0:
        physical["region"] = {"startLine": diagnostic.location.line, "startColumn": diagnostic.location.column}
    location: dict[str, Any] = {"physicalLocation": physical}
    if diagnostic.resource:
        location["logicalLocations"] = [{"fullyQualifiedName": diagnostic.resource, "kind": "resource"}]
    return {
        "ruleId": diagnostic.rule.id,
        "ruleIndex": rule_index,
        "level": LEVELS[diagnostic.severity],
        "message": {"text": text},
        "locations": [location],
    }


def _uri(file: str) -> str:
    """A relative path stays relative (code scanning resolves it against the repository)."""
    if file.startswith("<"):
        return quote(file.strip("<>"))
    path = Path(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(PurePosixPath(path.as_posix()).as_posix())


def _invocation(outcome: Outcome) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": outcome.exit_status in (0, 1), "exitCode": outcome.exit_status}
    if outcome.failure:
        invocation["toolExecutionNotifications"] = [{"level": "error", "message": {"text": outcome.failure}}]
    return invocation


def write(outcome: Outcome) -> None:
    json.dump(document(outcome), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
