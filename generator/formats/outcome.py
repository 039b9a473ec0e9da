"""What one run of gen-bundle concluded: the record every format writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.diagnostics import Diagnostic, Severity


@dataclass
class Outcome:
    command: str  # "build" or "check"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    exit_status: int = 0
    summary: str = ""  # the one line a person reads at the end
    bundle: dict[str, object] | None = None  # output path, revision, meshes, resources (build only)
    failure: str | None = None  # why the command could not run (exit status 2 or 3)

    def count(self, severity: Severity) -> int:
        return sum(diagnostic.severity is severity for diagnostic in self.diagnostics)
