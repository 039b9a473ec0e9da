"""`gen-bundle push BUNDLE oci://HOST[:PORT]/REPOSITORY[:TAG]`: upload a built bundle (signed or not)
to an OCI registry as the image OPA downloads with `services[].type: oci` (docs/distribution.md).
`BUNDLE` may be a `--split` folder: each bundle its index lists goes to its own repository,
REPOSITORY/<its path in the folder without .tar.gz>, under the same tag.

Exit status: 0 pushed; 2 the command could not run as asked (a wrong command line, a file that is not
a bundle, no credentials the registry takes, a registry that cannot be reached or refuses the push);
3 an internal error.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from generator.bundle.oci import OciError, Pushed, Reference, parse_reference, push
from generator.bundle.oci_credentials import find_credentials
from generator.bundle.verify import read_archive
from generator.split.layout import INDEX_NAME, SUFFIX
from generator.verbs.shared import EXIT_USAGE, Stop, guarded

PROG = "gen-bundle push"
# A split folder's bundles go up side by side: a remote registry is bound by round trips (five or so
# per bundle), not by bandwidth.
PARALLEL_PUSHES = 8


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Push a bundle (or every bundle of a --split folder) to an OCI registry, as the image "
        "OPA downloads with services[].type: oci.",
    )
    parser.add_argument(
        "bundle", type=Path, metavar="BUNDLE", help="a bundle gen-bundle built (signed or not), or a --split folder"
    )
    parser.add_argument(
        "target",
        metavar="oci://HOST[:PORT]/REPOSITORY[:TAG]",
        help="where to push it; the tag defaults to latest; a split folder's bundles go to REPOSITORY/<path>",
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
    target = reference(arguments.target)
    if arguments.bundle.is_dir():
        return push_split(arguments.bundle, target, plain_http=arguments.plain_http, quiet=arguments.quiet)
    archive, revision = read_bundle(arguments.bundle)
    pushed = push_archive(archive, target, plain_http=arguments.plain_http)
    if not arguments.quiet:
        print(pushed_line(arguments.bundle, revision, pushed))
    return 0


def push_split(folder: Path, target: Reference, *, plain_http: bool, quiet: bool) -> int:
    """Every bundle `folder`'s index lists, each to REPOSITORY/<its path without .tar.gz>:TAG. All are
    read and named first, so a bundle that cannot be pushed stops the run before any upload."""
    planned = [
        (split_reference(target, relative), *read_bundle(folder.joinpath(*PurePosixPath(relative).parts)))
        for relative in split_files(folder)
    ]
    changed = 0
    pool = ThreadPoolExecutor(PARALLEL_PUSHES)
    try:
        results = pool.map(lambda plan: push_archive(plan[1], plan[0], plain_http=plain_http), planned)
        for (destination, _, revision), pushed in zip(planned, results, strict=True):
            changed += pushed.changed
            if not quiet and pushed.changed:
                print(pushed_line(destination.repository, revision, pushed))
    finally:
        pool.shutdown(cancel_futures=True)  # after a failure, start no further push
    if not quiet:
        print(f"{len(planned)} split bundles under {target}: {changed} pushed, {len(planned) - changed} unchanged")
    return 0


def split_files(folder: Path) -> list[str]:
    """The bundle files a split folder's index lists (docs/split.md), as `/`-separated relative paths."""
    try:
        index: Any = json.loads((folder / INDEX_NAME).read_bytes())
        files = [str(entry["file"]) for entry in index["bundles"]]
    except OSError as exc:
        detail = exc.strerror or exc
        raise Stop(EXIT_USAGE, f"{folder} is not a split folder: no readable {INDEX_NAME} ({detail})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise Stop(EXIT_USAGE, f"{folder / INDEX_NAME} is not a split index gen-bundle wrote ({exc!r})") from None
    for relative in files:
        parts = PurePosixPath(relative).parts
        if not relative.endswith(SUFFIX) or PurePosixPath(relative).is_absolute() or ".." in parts:
            raise Stop(EXIT_USAGE, f"{folder / INDEX_NAME} lists {relative!r}, not a bundle inside the folder")
    return files


def split_reference(target: Reference, relative: str) -> Reference:
    """A split bundle's image: the folder's layout below the target's repository, the same tag."""
    repository = f"{target.repository}/{relative.removesuffix(SUFFIX)}"
    try:
        return parse_reference(f"oci://{target.registry}/{repository}:{target.tag}")
    except OciError as exc:
        raise Stop(EXIT_USAGE, f"{relative} cannot be pushed under its own name ({exc}); nothing was pushed") from None


def reference(target: str) -> Reference:
    try:
        return parse_reference(target)
    except OciError as exc:
        raise Stop(EXIT_USAGE, str(exc)) from None


def push_archive(archive: bytes, target: Reference, *, plain_http: bool) -> Pushed:
    """Push `archive` to `target`; Stop(2) with the registry's reason when it cannot be done."""
    try:
        return push(archive, target, find_credentials(target.registry), plain_http=plain_http)
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
        + ("" if pushed.changed else "; the tag already named it")
    )
