"""Text: one line per diagnostic on stderr (`file:line:col: error[ID]: ...`), a summary on stdout."""

from __future__ import annotations

import sys

from generator.diagnostics import Severity
from generator.formats.outcome import Outcome


def write(outcome: Outcome, quiet: bool = False) -> None:
    for diagnostic in outcome.diagnostics:
        if diagnostic.is_error or not quiet:
            print(diagnostic, file=sys.stderr)
    if outcome.failure is not None:
        print(f"gen-bundle: {outcome.failure}", file=sys.stderr)
    elif outcome.count(Severity.ERROR):
        print(f"gen-bundle: {outcome.summary}", file=sys.stderr)
    elif outcome.summary and not quiet:
        print(outcome.summary)
