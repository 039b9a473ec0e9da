"""`gen-bundle`: arguments in; diagnostics, a summary and an exit status out.

Exit status: 0 the bundle was written (warnings may have been printed); 1 the input has errors and
nothing was written; 2 the command line is wrong or the output could not be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import __version__
from generator.build import build
from generator.bundle.write import write_atomically
from generator.validation import DEFAULT_SYSTEM_NAMESPACES

EXIT_OK = 0
EXIT_INVALID_INPUT = 1
EXIT_USAGE = 2
DEFAULT_OUTPUT = Path("bundles") / "bundle.tar.gz"


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="gen-bundle",
        description="Compile Kuma / Kong Mesh access-control policies into an OPA bundle.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="policy files or directories (read recursively: .yaml, .yml, .json); - for stdin",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the bundle (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--system-namespace",
        action="append",
        metavar="NAMESPACE",
        dest="system_namespaces",
        help="Kubernetes namespace of the control plane; repeatable "
        f"(default: {', '.join(sorted(DEFAULT_SYSTEM_NAMESPACES))})",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.add_argument("--version", action="version", version=f"gen-bundle {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    namespaces = frozenset(arguments.system_namespaces or DEFAULT_SYSTEM_NAMESPACES)
    result = build(arguments.paths, namespaces)
    for diagnostic in result.diagnostics:
        if diagnostic.is_error or not arguments.quiet:
            print(diagnostic, file=sys.stderr)
    if result.bundle is None:
        count = len(result.errors)
        print(f"gen-bundle: {count} error{'s' if count != 1 else ''}; nothing written", file=sys.stderr)
        return EXIT_INVALID_INPUT
    try:
        write_atomically(arguments.output, result.bundle.archive)
    except OSError as exc:
        print(f"gen-bundle: cannot write {arguments.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    if not arguments.quiet:
        counts = ", ".join(f"{count} {kind}" for kind, count in sorted(result.resource_counts.items()))
        meshes = result.bundle.manifest["metadata"]["meshes"]
        print(
            f"wrote {arguments.output} (revision {result.bundle.revision[:19]}…): "
            f"{len(meshes)} mesh{'es' if len(meshes) != 1 else ''}, {counts or 'no resources'}"
            + (f", {result.skipped} skipped" if result.skipped else "")
        )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
