"""One record for every problem found in the input, from reading to compiling.

Every stage returns diagnostics instead of raising, so one run reports every problem of the input.
Printed form (what users grep for)::

    mtp.yaml:12:9: error: MeshTrafficPermission default/allow-orders: spec.from[0].default.action: must be defined
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        if self.line == 0:  # the file as a whole: missing, unreadable, a link loop
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    location: Location
    message: str
    resource: str | None = None  # "<Kind> <mesh>/<name>"
    field: str | None = None  # Kuma's field path, e.g. "spec.from[0].default.action"

    def __str__(self) -> str:
        parts = [str(self.location), self.severity.value]
        if self.resource:
            parts.append(self.resource)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(location: Location, message: str, *, resource: str | None = None, field: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, location, message, resource, field)


def warning(location: Location, message: str, *, resource: str | None = None, field: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.WARNING, location, message, resource, field)


def sort_key(diagnostic: Diagnostic) -> tuple[Location, int, str]:
    """Report in input order, errors before warnings at the same place."""
    return (diagnostic.location, 0 if diagnostic.is_error else 1, diagnostic.message)
