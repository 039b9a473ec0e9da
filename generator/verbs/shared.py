"""What the question verbs (explain, matrix, diff) share: building the policies they ask about, and
one way to stop with an exit status (docs/cli.md): 1 the policies have errors, 2 the command could
not run as asked, 3 an internal error."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable

from generator.build import BuildResult, UnsupportedKumaVersion, build
from generator.checks.engine import Settings
from generator.checks.opa import Opa, OpaUnavailable, find_opa
from generator.questions.certificates import CertificatesUnavailable
from generator.reading.inventory import InventoryError

EXIT_INVALID_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class Stop(Exception):
    """Stop the verb with this exit status; the message (if any) goes to stderr."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status


def guarded(prog: str, answer: Callable[[], int]) -> int:
    try:
        return answer()
    except Stop as stop:
        if str(stop):
            print(f"{prog}: {stop}", file=sys.stderr)
        return stop.status
    except (OpaUnavailable, UnsupportedKumaVersion, InventoryError, CertificatesUnavailable) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a defect: say so, never pass it off as the input's fault
        if os.environ.get("GEN_BUNDLE_DEBUG"):
            raise
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        print(f"{prog}: internal error: {detail} (a defect of gen-bundle)", file=sys.stderr)
        return EXIT_INTERNAL


def question_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every question verb takes to build the policies as `gen-bundle build` does."""
    parser.add_argument("--kuma-version", metavar="X.Y.Z", help="the Kuma release to reproduce (default: 2.14.3)")
    parser.add_argument("--system-namespace", action="append", dest="system_namespaces", metavar="NAMESPACE")
    parser.add_argument("--opa", metavar="PATH", help="the OPA binary (default: $GEN_BUNDLE_OPA, PATH, tools cache)")


def built(arguments: argparse.Namespace, paths: list[str], nothing: str) -> tuple[Opa, BuildResult]:
    """The policies at `paths` built in memory; their errors printed and Stop(1) when they have any."""
    namespaces = frozenset(arguments.system_namespaces) if arguments.system_namespaces else None
    settings = Settings(namespaces, kuma_version=arguments.kuma_version)
    opa = find_opa(arguments.opa)
    result = build(paths, settings, opa)
    if result.bundle is None or result.model is None:
        for diagnostic in result.errors:
            print(diagnostic, file=sys.stderr)
        raise Stop(EXIT_INVALID_INPUT, f"{len(result.errors)} error(s) in the policies; {nothing}")
    return opa, result
