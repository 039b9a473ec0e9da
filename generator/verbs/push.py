"""`gen-bundle push BUNDLE oci://HOST[:PORT]/REPOSITORY[:TAG]`: upload a built bundle (signed or not)
to an OCI registry as the image OPA downloads with `services[].type: oci` (docs/distribution.md).

Exit status: 0 pushed; 2 the command could not run as asked (a wrong command line, a file that is not
a bundle, no credentials the registry takes, a registry that cannot be reached or refuses the push);
3 an internal error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from generator.bundle.oci import OciError, Pushed, parse_reference, push
from generator.bundle.oci_credentials import find_credentials
from generator.bundle.verify import read_archive
from generator.verbs.shared import EXIT_USAGE, Stop, guarded

PROG = "gen-bundle push"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Push a bundle to an OCI registry, as the image OPA downloads with services[].type: oci.",
    )
    parser.add_argument("bundle", type=Path, metavar="BUNDLE", help="a bundle gen-bundle built (signed or not)")
    parser.add_argument(
        "target",
        metavar="oci://HOST[:PORT]/REPOSITORY[:TAG]",
        help="where to push it; the tag defaults to latest",
    )
    parser.add_argument(
        "--plain-http",
        action="store_true",
        help="speak plain HTTP to the registry (default HTTPS); OPA does so for a service url of http://",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing when the push succeeds")
    return parser


def main(argv: list[str]) -> int:
    arguments = parser().parse_args(argv)
    return guarded(PROG, lambda: run(arguments))


def run(arguments: argparse.Namespace) -> int:
    archive, revision = read_bundle(arguments.bundle)
    pushed = push_archive(archive, arguments.target, plain_http=arguments.plain_http)
    if not arguments.quiet:
        print(pushed_line(arguments.bundle, revision, pushed))
    return 0


def push_archive(archive: bytes, target: str, *, plain_http: bool) -> Pushed:
    """Push `archive` to `target`; Stop(2) with the registry's reason when it cannot be done."""
    try:
        reference = parse_reference(target)
        return push(archive, reference, find_credentials(reference.registry), plain_http=plain_http)
    except OciError as exc:
        raise Stop(EXIT_USAGE, str(exc)) from None


def read_bundle(path: Path) -> tuple[bytes, str]:
    """The archive at `path` and its revision; Stop(2) unless it is a bundle OPA would read."""
    try:
        archive = path.read_bytes()
    except OSError as exc:
        raise Stop(EXIT_USAGE, f"cannot read {path}: {exc.strerror or exc}") from None
    files, problems = read_archive(archive)
    if problems:
        raise Stop(EXIT_USAGE, f"{path} is not a bundle: {problems[0]}")
    try:
        revision = json.loads(files[".manifest"])["revision"]
    except (KeyError, ValueError, TypeError):
        raise Stop(EXIT_USAGE, f"{path} is not a bundle gen-bundle built: no .manifest with a revision") from None
    return archive, str(revision)


def pushed_line(source: Path | str, revision: str, pushed: Pushed) -> str:
    return (
        f"pushed {source} (revision {revision[:19]}…) to {pushed.reference}: "
        f"manifest {pushed.manifest_digest}, bundle layer {pushed.layer_digest} ({pushed.size} bytes)"
    )
