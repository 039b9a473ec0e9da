"""One record for every problem found in the input, from reading to compiling.

Every stage returns diagnostics instead of raising, so one run reports every problem of the input.
Each diagnostic names its rule: a check of the shipped conftest checks (MTP003, ES002, ...; their
catalogue is rego/checks/lib/catalogue.rego) or a reading rule of gen-bundle's own (IN001, ...;
generator/reading/rules.py). Printed form (what users grep for)::

    mtp.yaml:12:9: error[MTP003]: MeshTrafficPermission default/allow-orders: spec.from[0].default.action:
        must be defined   (on one line)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True, slots=True)
class Location:
    file: str
    line: int  # 1-based; 0: the file as a whole (missing, unreadable, a link loop)
    column: int  # 1-based

    def __str__(self) -> str:
        if self.line == 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Rule:
    """What a diagnostic's ID stands for: the title of its check and where its page is."""

    id: str
    title: str

    @property
    def page(self) -> str:
        return f"docs/checks/{self.id}.md"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    location: Location
    rule: Rule
    message: str
    resource: str | None = None  # "<Kind> <mesh>/<name>"
    field: str | None = None  # Kuma's field path, e.g. "spec.from[0].default.action"

    def __str__(self) -> str:
        parts = [str(self.location), f"{self.severity.value}[{self.rule.id}]"]
        if self.resource:
            parts.append(self.resource)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def sort_key(diagnostic: Diagnostic) -> tuple[Location, int, str, str]:
    """Report in input order, errors before warnings before notes at the same place."""
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}[diagnostic.severity]
    return (diagnostic.location, rank, diagnostic.rule.id, diagnostic.message)
