"""`gen-bundle`: arguments in; diagnostics, a summary and an exit status out.

    gen-bundle [build] PATH... -o FILE   check the policies and write the bundle
    gen-bundle check PATH...             check the policies, write nothing
    gen-bundle explain PATH... --to T --from C   why the bundle decides a request so (verbs/explain.py)
    gen-bundle matrix PATH... -o FILE    who may talk to whom (verbs/matrix.py)
    gen-bundle diff OLD NEW              what two policy sets decide differently (verbs/diff.py)
    gen-bundle push BUNDLE oci://HOST/REPO[:TAG]   upload a bundle to an OCI registry (verbs/push.py)
    gen-bundle checks path|export DIR|push oci://…   the conftest checks it carries (verbs/checks.py)
    gen-bundle deploy render VALUES OUT  nginx, OPA-Envoy and Envoy configuration (verbs/deploy.py)
    gen-bundle --verify BUNDLE --verification-key KEY

Exit status (docs/cli.md): 0 the input is valid (warnings and notes may have been printed) and the
bundle, if asked for, was written; 1 the input has errors and nothing was written; 2 the command
could not run as asked (a wrong command line, no usable OPA, an unusable key, an output that could not
be written); 3 an internal error of gen-bundle, which says so. `--verify`: 0 it verifies, 1 it does
not, 2 the command line is wrong or the bundle or key cannot be read.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from generator import __version__
from generator.build import BuildResult, UnsupportedKumaVersion, build, check, policy_table, split
from generator.bundle import oci, sign_bundle
from generator.bundle.oci_credentials import find_credentials
from generator.bundle.sign import ALGORITHMS, DEFAULT_KEY_ID, Key, SigningError, load_signing_key, load_verification_key
from generator.bundle.verify import verify_archive
from generator.bundle.write import write_atomically
from generator.checks.engine import Settings
from generator.checks.opa import OpaUnavailable, find_opa
from generator.diagnostics import Severity
from generator.formats import FORMATS, json_report, sarif, text
from generator.formats.outcome import Outcome
from generator.progress import Progress
from generator.reading.inventory import InventoryError, read_inventory
from generator.split.bundles import Signing
from generator.split.proxies import DATAPLANE, SERVICE
from generator.split.proxies import KINDS as SPLIT_KINDS
from generator.split.write import SplitReport, write_split
from generator.verbs import checks, deploy, diff, explain, matrix, push

EXIT_OK = 0
EXIT_INVALID_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
DEFAULT_OUTPUT = Path("bundles") / "bundle.tar.gz"
VERBS = ("build", "check")
# verbs with a file of their own (generator/verbs/): each `main(argv) -> exit status`
VERB_MODULES: dict[str, Callable[[list[str]], int]] = {
    "explain": explain.main,
    "matrix": matrix.main,
    "diff": diff.main,
    "push": push.main,
    "checks": checks.main,
    "deploy": deploy.main,
}


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    argv = list(sys.argv[1:] if argv is None else argv)
    verb = argv.pop(0) if argv and argv[0] in VERBS else "build"
    parser = argparse.ArgumentParser(
        prog=f"gen-bundle {verb}" if verb == "check" else "gen-bundle",
        description="Check Kuma / Kong Mesh access-control policies and compile them into an OPA bundle."
        if verb == "build"
        else "Check Kuma / Kong Mesh access-control policies as gen-bundle would before building; write nothing.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="policy files or directories (read recursively: .yaml, .yml, .json); - for stdin",
    )
    if verb == "build":
        parser.add_argument(
            "-o",
            "--output",
            type=_output,
            help=f"where to write the bundle (default: {DEFAULT_OUTPUT}, or none with --split alone); "
            "oci://HOST[:PORT]/REPOSITORY[:TAG] pushes it to an OCI registry instead (docs/distribution.md)",
        )
        parser.add_argument(
            "--plain-http",
            action="store_true",
            help="with -o oci://…: speak plain HTTP to the registry (default HTTPS)",
        )
        _split_arguments(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="how to report: text (stderr, for people), json or sarif (stdout, for tools); default text",
    )
    parser.add_argument(
        "--system-namespace",
        action="append",
        metavar="NAMESPACE",
        dest="system_namespaces",
        help="Kubernetes namespace of the control plane; repeatable (default: the checks' own, "
        "kuma-system and kong-mesh-system)",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept an input with no resource that decides access (the bundle then denies every request)",
    )
    parser.add_argument(
        "--kuma-version",
        metavar="X.Y.Z",
        type=_kuma_version,
        help="the Kuma release whose validation and decisions to reproduce (default: 2.14.3; "
        "docs/semantics.md lists what changes between releases)",
    )
    parser.add_argument(
        "--opa",
        metavar="PATH",
        help="the OPA binary that runs the checks (default: $GEN_BUNDLE_OPA, `opa` on PATH, or the tools cache)",
    )
    if verb == "build":
        parser.add_argument(
            "--inventory",
            metavar="FILE",
            help="the Dataplanes that exist (kumactl get dataplanes -o yaml, or kubectl's List): CMB006 then "
            "names the inbounds each from[] policy loses to rules[] (docs/inventory.md)",
        )
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only (text format)")
    parser.add_argument("--version", action="version", version=f"gen-bundle {__version__}")
    if verb == "build":
        _signing_arguments(parser)
    arguments = parser.parse_args(argv)
    arguments.verb = verb
    if verb == "check":
        arguments.verify = None
        arguments.signing_key = None
        arguments.inventory = None
        arguments.split = None
    elif arguments.output is None and arguments.split is None:
        arguments.output = DEFAULT_OUTPUT
    if arguments.verify is not None:
        if arguments.paths:
            parser.error("--verify takes no PATH arguments")
        if arguments.verification_key is None:
            parser.error("--verify needs --verification-key")
        if arguments.signing_key is not None:
            parser.error("--signing-key and --verify do not go together")
    elif not arguments.paths:
        parser.error("the following arguments are required: PATH")
    elif verb == "build" and arguments.plain_http and not isinstance(arguments.output, oci.Reference):
        parser.error("--plain-http goes with -o oci://…")
    elif verb == "build" and arguments.split_by and arguments.split is None:
        parser.error("--split-by goes with --split")
    elif verb == "build" and "dataplane" in (arguments.split_by or ()) and arguments.inventory is None:
        parser.error("--split-by dataplane needs --inventory (the Dataplanes to write bundles for)")
    elif verb == "build" and arguments.verification_key is not None:
        parser.error("--verification-key goes with --verify")
    elif verb == "build" and arguments.signing_key is None and (arguments.signing_alg or arguments.key_id is not None):
        parser.error("--signing-alg and --key-id go with --signing-key or --verify")
    return arguments


def _output(value: str) -> Path | oci.Reference:
    if not oci.is_oci(value):
        return Path(value)
    try:
        return oci.parse_reference(value)
    except oci.OciError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _kuma_version(value: str) -> str:
    if not re.fullmatch(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a release number X.Y.Z (e.g. 2.13.0)")
    return value


def _split_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--split",
        type=Path,
        metavar="DIR",
        help="also write one bundle per proxy under DIR, each holding only what that proxy's checks can "
        "read, with DIR/index.json; only bundles whose bytes change are rewritten (docs/split.md)",
    )
    parser.add_argument(
        "--split-by",
        action="append",
        choices=SPLIT_KINDS,
        help="which proxies get a bundle, repeatable: service (every kuma.io/service), dataplane (every "
        "Dataplane of --inventory); default: service, and dataplane with --inventory",
    )


def _signing_arguments(parser: argparse.ArgumentParser) -> None:
    signing = parser.add_argument_group("signed bundles (docs/trust.md)")
    signing.add_argument(
        "--signing-key",
        type=Path,
        metavar="KEY",
        help="sign the bundle (.signatures.json, as OPA verifies it) with this PEM private key "
        "(RSA or EC), or this file's bytes as the secret for HS256/384/512",
    )
    signing.add_argument(
        "--signing-alg",
        choices=ALGORITHMS,
        metavar="ALG",
        help="signature algorithm: RS256/384/512, PS256/384/512, ES256/384/512 or HS256/384/512 "
        "(default: RS256 for RSA keys, ES256/384/512 by curve for EC keys)",
    )
    signing.add_argument(
        "--key-id",
        metavar="ID",
        help=f"key id written to the JWS header (kid) and the keyid claim (default: {DEFAULT_KEY_ID}); "
        "with --verify, the key id the bundle must name",
    )
    signing.add_argument(
        "--verify",
        type=Path,
        metavar="BUNDLE",
        help="instead of building, check that BUNDLE is signed with --verification-key, every file listed "
        "with a matching digest, none missing or extra",
    )
    signing.add_argument(
        "--verification-key",
        type=Path,
        metavar="KEY",
        help="with --verify: PEM public key or certificate (or the HMAC secret file)",
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in VERB_MODULES:
        return VERB_MODULES[argv[0]](argv[1:])
    arguments = parse_arguments(argv)
    if arguments.verify is not None:
        return verify(arguments)
    outcome = Outcome(arguments.verb)
    # on a terminal only: what a long build is doing (docs/cli.md, "Progress")
    progress = Progress.on_terminal(sys.stderr, quiet=arguments.quiet)
    try:
        run(arguments, outcome, progress)
    except Exception as exc:  # a defect: say so, never pass it off as invalid input
        if os.environ.get("GEN_BUNDLE_DEBUG"):
            raise
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        outcome.exit_status = EXIT_INTERNAL
        outcome.failure = f"internal error: {detail} (a defect of gen-bundle; GEN_BUNDLE_DEBUG=1 shows the traceback)"
    progress.clear()
    report(outcome, arguments)
    return outcome.exit_status


def run(arguments: argparse.Namespace, outcome: Outcome, progress: Progress | None = None) -> None:
    progress = progress or Progress(None)
    key: Key | None = None
    if arguments.verb == "build" and arguments.signing_key is not None:
        try:
            key = load_signing_key(arguments.signing_key, arguments.signing_alg)
        except SigningError as exc:
            outcome.exit_status, outcome.failure = EXIT_USAGE, str(exc)
            return
    namespaces = frozenset(arguments.system_namespaces) if arguments.system_namespaces else None
    settings = Settings(namespaces, allow_empty=arguments.allow_empty, kuma_version=arguments.kuma_version)
    try:
        opa = find_opa(arguments.opa)
    except OpaUnavailable as exc:
        outcome.exit_status, outcome.failure = EXIT_USAGE, str(exc)
        return
    inventory = None
    if arguments.inventory is not None:
        try:
            inventory = read_inventory(arguments.inventory)
        except InventoryError as exc:
            outcome.exit_status, outcome.failure = EXIT_USAGE, str(exc)
            return
    try:
        if arguments.verb == "build":
            result = build(arguments.paths, settings, opa, inventory, progress)
        else:
            result = check(arguments.paths, settings, opa, progress)
    except UnsupportedKumaVersion as exc:
        outcome.exit_status, outcome.failure = EXIT_USAGE, str(exc)
        return
    outcome.diagnostics = result.diagnostics
    errors = len(result.errors)
    if errors:
        outcome.exit_status = EXIT_INVALID_INPUT
        outcome.summary = f"{errors} error{'s' if errors != 1 else ''}; nothing written"
        return
    if arguments.verb == "check":
        outcome.summary = f"checked: {_counts(result)}; no errors"
        return
    assert result.bundle is not None
    bundle = result.bundle
    key_id = arguments.key_id or DEFAULT_KEY_ID
    if key is not None:
        progress.stage("signing the bundle")
        try:
            bundle = sign_bundle(bundle, key, key_id)
        except SigningError as exc:
            outcome.exit_status, outcome.failure = EXIT_USAGE, str(exc)
            return
    if arguments.output is not None:
        progress.stage(f"{'pushing' if isinstance(arguments.output, oci.Reference) else 'writing'} {arguments.output}")
    try:
        if isinstance(arguments.output, oci.Reference):
            credentials = find_credentials(arguments.output.registry)
            oci.push(bundle.archive, arguments.output, credentials, plain_http=arguments.plain_http)
        elif arguments.output is not None:
            write_atomically(arguments.output, bundle.archive)
    except oci.OciError as exc:
        outcome.exit_status, outcome.failure = EXIT_USAGE, str(exc)
        return
    except OSError as exc:
        outcome.exit_status, outcome.failure = EXIT_USAGE, f"cannot write {arguments.output}: {exc.strerror or exc}"
        return
    split_report = None
    if arguments.split is not None:
        kinds = arguments.split_by or ([SERVICE, DATAPLANE] if inventory is not None else [SERVICE])
        signing = Signing(key, key_id) if key is not None else None
        progress.stage(f"writing one bundle per proxy into {arguments.split}")
        try:
            split_report = write_split(arguments.split, split(result, inventory, kinds, signing, opa))
        except OSError as exc:
            outcome.exit_status, outcome.failure = EXIT_USAGE, f"cannot write the split bundles: {exc}"
            return
    meshes = bundle.manifest["metadata"]["meshes"]
    outcome.bundle = {
        "path": None if arguments.output is None else str(arguments.output),
        "revision": bundle.revision,
        "meshes": meshes,
        "resources": dict(sorted(result.resource_counts.items())),
        "signed": key is not None,
        "policies": policy_table(result.model) if result.model is not None else [],
    }
    done = "pushed" if isinstance(arguments.output, oci.Reference) else "wrote"
    written = f"{done} {arguments.output} (revision {bundle.revision[:19]}…)" if arguments.output else "built"
    outcome.summary = (
        f"{written}: {len(meshes)} mesh{'es' if len(meshes) != 1 else ''}, {_counts(result)}"
        + (f"; signed with {key.algorithm}, key id {key_id}" if key is not None else "")
        + _split_summary(outcome, split_report)
    )


def _split_summary(outcome: Outcome, report: SplitReport | None) -> str:
    if report is None:
        return ""
    assert outcome.bundle is not None
    outcome.bundle["split"] = {
        "directory": str(report.directory),
        "bundles": len(report.entries),
        "written": report.written,
        "unchanged": report.unchanged,
        "removed": report.removed,
    }
    return f"; {report.summary()}"


def _counts(result: BuildResult) -> str:
    counts = ", ".join(f"{count} {kind}" for kind, count in sorted(result.resource_counts.items()))
    skipped = result.skipped
    warnings = sum(diagnostic.severity is Severity.WARNING for diagnostic in result.diagnostics)
    return (
        (counts or "no resources")
        + (f", {skipped} skipped" if skipped else "")
        + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "")
    )


def report(outcome: Outcome, arguments: argparse.Namespace) -> None:
    if arguments.format == "json":
        json_report.write(outcome)
        if outcome.failure:
            print(f"gen-bundle: {outcome.failure}", file=sys.stderr)
    elif arguments.format == "sarif":
        sarif.write(outcome)
        if outcome.failure:
            print(f"gen-bundle: {outcome.failure}", file=sys.stderr)
    else:
        text.write(outcome, quiet=arguments.quiet)


def verify(arguments: argparse.Namespace) -> int:
    bundle_path: Path = arguments.verify
    try:
        key = load_verification_key(arguments.verification_key, arguments.signing_alg)
        archive = bundle_path.read_bytes()
    except SigningError as exc:
        print(f"gen-bundle: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"gen-bundle: cannot read {bundle_path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    result = verify_archive(archive, key)
    if arguments.key_id is not None and result.key_id != arguments.key_id and not result.problems:
        result.problems.append(f"signed with key id {result.key_id!r}, expected {arguments.key_id!r}")
    for problem in result.problems:
        print(f"{bundle_path}: error: {problem}", file=sys.stderr)
    if not result.ok:
        print(f"gen-bundle: {bundle_path} does not verify; do not serve it", file=sys.stderr)
        return EXIT_INVALID_INPUT
    if not arguments.quiet:
        print(
            f"verified {bundle_path}: {len(result.files)} files signed with {result.algorithm}, "
            f"key id {result.key_id or '(none)'}" + (f" (revision {result.revision[:19]}…)" if result.revision else "")
        )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
