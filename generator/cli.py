"""`gen-bundle`: arguments in; diagnostics, a summary and an exit status out.

Exit status: 0 the bundle was written (warnings may have been printed); 1 the input has errors and
nothing was written; 2 the command line is wrong, a key is unusable or the output could not be written.

`gen-bundle --verify BUNDLE --verification-key KEY` checks a signed bundle instead (docs/trust.md):
0 it verifies, 1 it does not, 2 the command line is wrong or the bundle or key cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import __version__
from generator.build import build
from generator.bundle import sign_bundle
from generator.bundle.sign import ALGORITHMS, DEFAULT_KEY_ID, Key, SigningError, load_signing_key, load_verification_key
from generator.bundle.verify import verify_archive
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
        nargs="*",
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
    arguments = parser.parse_args(argv)
    if arguments.verify is not None:
        if arguments.paths:
            parser.error("--verify takes no PATH arguments")
        if arguments.verification_key is None:
            parser.error("--verify needs --verification-key")
        if arguments.signing_key is not None:
            parser.error("--signing-key and --verify do not go together")
    elif not arguments.paths:
        parser.error("the following arguments are required: PATH")
    elif arguments.verification_key is not None:
        parser.error("--verification-key goes with --verify")
    elif arguments.signing_key is None and (arguments.signing_alg or arguments.key_id is not None):
        parser.error("--signing-alg and --key-id go with --signing-key or --verify")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.verify is not None:
        return verify(arguments)
    key: Key | None = None
    if arguments.signing_key is not None:
        try:
            key = load_signing_key(arguments.signing_key, arguments.signing_alg)
        except SigningError as exc:
            print(f"gen-bundle: {exc}", file=sys.stderr)
            return EXIT_USAGE
    namespaces = frozenset(arguments.system_namespaces or DEFAULT_SYSTEM_NAMESPACES)
    result = build(arguments.paths, namespaces)
    for diagnostic in result.diagnostics:
        if diagnostic.is_error or not arguments.quiet:
            print(diagnostic, file=sys.stderr)
    if result.bundle is None:
        count = len(result.errors)
        print(f"gen-bundle: {count} error{'s' if count != 1 else ''}; nothing written", file=sys.stderr)
        return EXIT_INVALID_INPUT
    bundle = result.bundle
    key_id = arguments.key_id or DEFAULT_KEY_ID
    if key is not None:
        try:
            bundle = sign_bundle(bundle, key, key_id)
        except SigningError as exc:
            print(f"gen-bundle: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        write_atomically(arguments.output, bundle.archive)
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
            + (f"; signed with {key.algorithm}, key id {key_id}" if key is not None else "")
        )
    return EXIT_OK


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
