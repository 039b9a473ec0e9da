"""`gen-bundle checks path|export|push`: the conftest checks an installed gen-bundle carries
(docs/checks/README.md), for `conftest test --policy` without a checkout of gen-bundle.

    gen-bundle checks path                     the folder of the installed checks
    gen-bundle checks export DIR [--force]     a copy of them in DIR
    gen-bundle checks push oci://HOST[:PORT]/REPOSITORY[:TAG] [--plain-http]   for `conftest pull`

The pushed artifact has the form `conftest push` gives a policy folder (internal/commands/push.go of
conftest v0.71.1): an empty `{}` config of media type `application/vnd.unknown.config.v1+json` and one
layer per Rego file, of media type `application/vnd.cncf.openpolicyagent.policy.layer.v1+rego`, whose
`org.opencontainers.image.title` is the file's path in the folder. `conftest pull` copies the image with
oras into a file store, which writes every titled layer to its title under `--policy`, so the pulled
folder is the exported one.

Exit status: 0 done; 2 the command could not run as asked (a wrong command line, a folder that is not
empty without --force, a folder that cannot be written, no credentials the registry takes, a registry
that cannot be reached or refuses the push); 3 an internal error.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator import __version__
from generator.bundle.oci import (
    TIMEOUT_SECONDS,
    Layer,
    OciError,
    Reference,
    digest_of,
    image_manifest,
    parse_reference,
    push_image,
)
from generator.bundle.oci_credentials import find_credentials
from generator.rego import checks_root
from generator.verbs.shared import EXIT_USAGE, Stop, guarded

PROG = "gen-bundle checks"
POLICY_LAYER_MEDIA_TYPE = "application/vnd.cncf.openpolicyagent.policy.layer.v1+rego"  # conftest push's
UNKNOWN_CONFIG_MEDIA_TYPE = "application/vnd.unknown.config.v1+json"  # oras.MediaTypeUnknownConfig
VERSION = "org.opencontainers.image.version"
SUFFIX = ".rego"


@dataclass(frozen=True)
class PushedChecks:
    reference: Reference
    manifest_digest: str
    files: int
    size: int  # bytes of Rego
    changed: bool = True  # False: the tag already named this manifest, nothing was uploaded


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The conftest checks this gen-bundle carries: where they are, a copy of them, or an "
        "OCI artifact of them for `conftest pull` (docs/checks/README.md).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="path|export|push")
    actions.add_parser("path", help="print the folder of the installed checks (what `conftest test --policy` takes)")
    export = actions.add_parser("export", help="copy the checks into DIR")
    export.add_argument("folder", type=Path, metavar="DIR", help="where to copy them (created if missing)")
    export.add_argument(
        "--force",
        action="store_true",
        help="write into a DIR that is not empty: its files of the same names are replaced and the other .rego "
        "files under it (an earlier export's) removed; other files are left alone",
    )
    export.add_argument("-q", "--quiet", action="store_true", help="print nothing when the export succeeds")
    push = actions.add_parser("push", help="push the checks to an OCI registry, for `conftest pull`")
    push.add_argument(
        "target", metavar="oci://HOST[:PORT]/REPOSITORY[:TAG]", help="where to push them; the tag defaults to latest"
    )
    push.add_argument("--plain-http", action="store_true", help="speak plain HTTP to the registry (default HTTPS)")
    push.add_argument("-q", "--quiet", action="store_true", help="print nothing when the push succeeds")
    return parser


def main(argv: list[str]) -> int:
    arguments = parser().parse_args(argv)
    return guarded(PROG, lambda: run(arguments))


def run(arguments: argparse.Namespace) -> int:
    if arguments.action == "path":
        print(checks_root())
    elif arguments.action == "export":
        written = export(arguments.folder, force=arguments.force)
        if not arguments.quiet:
            print(
                f"exported {written} files of the checks (gen-bundle {__version__}) to {arguments.folder}; "
                f"run them with: conftest test --policy {arguments.folder} --all-namespaces POLICIES"
            )
    else:
        pushed = push(reference(arguments.target), plain_http=arguments.plain_http)
        if not arguments.quiet:
            print(
                f"pushed the checks (gen-bundle {__version__}: {pushed.files} Rego files, {pushed.size} bytes) to "
                f"{pushed.reference}: "
                f"manifest {pushed.manifest_digest}" + ("" if pushed.changed else "; the tag already named it")
            )
    return 0


def check_files() -> dict[str, bytes]:
    """Every Rego file of the installed checks, by its `/`-separated path in their folder, in order."""
    root = checks_root()
    files = sorted(path for path in root.rglob(f"*{SUFFIX}") if path.is_file())
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in files}


def export(folder: Path, *, force: bool) -> int:
    """Copy the checks into `folder`; the number of files written. Stop(2) for a folder that holds
    something already (unless `force`) or that cannot be written."""
    files = check_files()
    try:
        if folder.exists() and not folder.is_dir():
            raise Stop(EXIT_USAGE, f"{folder} is not a folder")
        if folder.is_dir() and any(folder.iterdir()):
            if not force:
                raise Stop(EXIT_USAGE, f"{folder} is not empty; --force writes into it (nothing was written)")
            # conftest loads every .rego under --policy: a file an earlier export had and this one has
            # not would still be evaluated next to the new checks
            for stale in folder.rglob(f"*{SUFFIX}"):
                if stale.is_file() and stale.relative_to(folder).as_posix() not in files:
                    stale.unlink()
        for relative, content in files.items():
            target = folder.joinpath(*PurePosixPath(relative).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    except OSError as exc:
        raise Stop(EXIT_USAGE, f"cannot write {exc.filename or folder}: {exc.strerror or exc}") from None
    return len(files)


def check_layers(files: dict[str, bytes]) -> list[Layer]:
    return [Layer(POLICY_LAYER_MEDIA_TYPE, content, relative) for relative, content in files.items()]


def checks_manifest(files: dict[str, bytes]) -> bytes:
    """The image manifest of the checks: the same bytes for the same files, so the same digest."""
    return image_manifest(UNKNOWN_CONFIG_MEDIA_TYPE, check_layers(files), {VERSION: __version__})


def push(target: Reference, *, plain_http: bool, timeout: float = TIMEOUT_SECONDS) -> PushedChecks:
    """Upload the checks as an image tagged `target`, blobs first, the manifest last; a tag that
    already names the same manifest is left as it is. Stop(2) with the registry's reason."""
    files = check_files()
    manifest = checks_manifest(files)
    size = sum(len(content) for content in files.values())
    try:
        credentials = find_credentials(target.registry)
        changed = push_image(target, manifest, check_layers(files), credentials, plain_http=plain_http, timeout=timeout)
    except OciError as exc:
        raise Stop(EXIT_USAGE, str(exc)) from None
    return PushedChecks(target, digest_of(manifest), len(files), size, changed=changed)


def reference(target: str) -> Reference:
    try:
        return parse_reference(target)
    except OciError as exc:
        raise Stop(EXIT_USAGE, str(exc)) from None
