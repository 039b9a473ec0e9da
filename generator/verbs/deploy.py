"""`gen-bundle deploy render VALUES OUT [--certificates DIR [--ca DIR]]`: the configuration of the deployment that
serves gen-bundle's bundles (nginx as the bundle server, an OPA-Envoy and an Envoy per sidecar), from a
values file naming a server sidecar, a client sidecar or both (generator/deploy/render.py; docs/cli.md
lists the values' keys, deploy/README.md shows them at work).

Exit status: 0 written; 2 the command could not run as asked (a values file that cannot be read or
lacks a key, an output folder that cannot be written, a kept mesh CA that cannot be used); 3 an
internal error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from generator.deploy.render import load, write, write_certificates
from generator.verbs.shared import EXIT_USAGE, Stop, guarded

if TYPE_CHECKING:
    from generator.deploy.certs import MeshCA

PROG = "gen-bundle deploy"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Render the configuration that serves gen-bundle's bundles to OPA-Envoy and Envoy sidecars.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    render = actions.add_parser(
        "render",
        help="write nginx.conf and, per sidecar in VALUES, envoy-<name>.yaml and opa-<name>.yaml",
        description="Write OUT/nginx.conf (the bundle server) and, for each sidecar VALUES names (server, client "
        "or both), OUT/envoy-<name>.yaml and OUT/opa-<name>.yaml.",
    )
    render.add_argument("values", type=Path, metavar="VALUES", help="the values file (YAML)")
    render.add_argument("output", type=Path, metavar="OUT", help="folder for the rendered files (created)")
    render.add_argument(
        "--certificates",
        type=Path,
        metavar="DIR",
        help="also write a workload certificate per sidecar into DIR/<name>/{ca,cert,key}.pem, from a new mesh CA "
        "unless --ca is given",
    )
    render.add_argument(
        "--ca",
        type=Path,
        metavar="DIR",
        help="issue the certificates from the mesh CA kept in DIR/{ca,ca-key}.pem, made there if DIR holds none: "
        "sidecars rendered one at a time then trust each other",
    )
    return parser


def main(argv: list[str]) -> int:
    arguments = parser().parse_args(argv)
    return guarded(PROG, lambda: render(arguments.values, arguments.output, arguments.certificates, arguments.ca))


def render(values: Path, output: Path, certificates: Path | None, ca_directory: Path | None = None) -> int:
    if ca_directory is not None and certificates is None:
        raise Stop(EXIT_USAGE, "--ca needs --certificates: it says which CA issues them")
    try:
        deployment = load(values)
    except OSError as exc:
        raise Stop(EXIT_USAGE, f"cannot read {values}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise Stop(EXIT_USAGE, f"{values} is not YAML: {exc}") from None
    except KeyError as exc:
        raise Stop(EXIT_USAGE, f"{values}: a key is missing: {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise Stop(EXIT_USAGE, f"{values}: {exc}") from None
    try:
        ca, origin = kept_ca(ca_directory, deployment.mesh)
        written = write(deployment, output)
        if certificates is not None:
            write_certificates(deployment, certificates, ca=ca)
    except OSError as exc:
        raise Stop(EXIT_USAGE, f"cannot write {exc.filename or output}: {exc.strerror or exc}") from None
    for path in written.values():
        print(f"wrote {path}")
    if certificates is not None:
        names = ", ".join(sidecar.name for sidecar in deployment.sidecars)
        print(f"wrote certificates for {names} into {certificates}, issued by {origin}")
    return 0


def kept_ca(directory: Path | None, mesh: str) -> tuple[MeshCA | None, str]:
    """The mesh CA kept in `directory` (None: a new one per run, not kept), and how to say where it is from."""
    if directory is None:
        return None, "a new mesh CA (not kept: --ca DIR keeps it for the next run)"
    from generator.deploy.certs import MeshCA  # noqa: PLC0415  (cryptography only when certificates are asked)

    try:
        ca, new = MeshCA.kept(directory, mesh)
    except ValueError as exc:
        raise Stop(EXIT_USAGE, str(exc)) from None
    return ca, f"{'a new' if new else 'the'} mesh CA in {directory}"
