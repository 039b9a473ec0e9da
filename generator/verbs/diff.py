"""`gen-bundle diff OLD NEW`: what two policy sets decide differently (docs/diff.md), computed over
the tags and identities they name (generator/questions/compare.py), every difference with a witness
request that the real OPA decides differently on the two bundles.

Exit status, as diff(1): 0 the same decisions, 1 differences, 2 trouble (a policy set with errors,
no OPA, a wrong command line), 3 an internal error.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any

from generator.checks.opa import Opa
from generator.questions.compare import Comparison, Difference, Side, compare
from generator.questions.endpoints import dataplane_endpoints
from generator.questions.outbound_compare import compare_outbound
from generator.questions.parties import pairs_text
from generator.reading.inventory import read_inventory
from generator.verbs.shared import EXIT_USAGE, Stop, built, guarded, question_arguments

PROG = "gen-bundle diff"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="What two policy sets decide differently.")
    parser.add_argument("old", metavar="OLD", help="the policies before: a file or a folder")
    parser.add_argument("new", metavar="NEW", help="the policies after: a file or a folder")
    parser.add_argument(
        "--inventory", metavar="FILE", help="only the Dataplanes that exist (kumactl get dataplanes -o yaml), by name"
    )
    parser.add_argument(
        "--ignore-attribution",
        action="store_true",
        help="compare decisions only (allowed, reason, shadow deny), not which policy decided",
    )
    parser.add_argument("--old-kuma-version", metavar="X.Y.Z", help="the Kuma release OLD is decided by")
    parser.add_argument("--new-kuma-version", metavar="X.Y.Z", help="the Kuma release NEW is decided by")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    question_arguments(parser)
    return parser


def main(argv: list[str]) -> int:
    arguments = parser().parse_args(argv)
    return guarded(PROG, lambda: run(arguments))


def side(arguments: argparse.Namespace, path: str, version: str | None) -> tuple[Opa, Side]:
    versioned = argparse.Namespace(**{**vars(arguments), "kuma_version": version or arguments.kuma_version})
    try:
        opa, result = built(versioned, [path], "nothing compared")
    except Stop as stop:
        raise Stop(EXIT_USAGE, f"{path}: {stop}") from None  # diff(1): trouble is 2
    assert result.model is not None
    assert result.bundle is not None
    return opa, Side(result.model, result.bundle)


def run(arguments: argparse.Namespace) -> int:
    inventory = read_inventory(arguments.inventory) if arguments.inventory else None
    opa, old = side(arguments, arguments.old, arguments.old_kuma_version)
    _, new = side(arguments, arguments.new, arguments.new_kuma_version)
    endpoints = dataplane_endpoints(inventory) if inventory is not None else None
    clients = [e for e in endpoints if e.client.tags.get("kuma.io/service")] if endpoints is not None else None
    comparison = compare(
        opa, old, new, attribution=not arguments.ignore_attribution, destinations=endpoints, clients=clients
    )
    if inventory is None:  # an inventory lists inbounds; the outbound side has no proxies to name
        outbound, asked = compare_outbound(opa, old, new, attribution=not arguments.ignore_attribution)
        comparison.outbound = outbound
        comparison.asked += asked
    if arguments.format == "json":
        json.dump(as_json(comparison), sys.stdout, indent=2, sort_keys=True)
        print()
    else:
        print(render(comparison, arguments))
    return 1 if comparison.differences or comparison.outbound else 0


def verdict(outcome: dict[str, Any]) -> str:
    word = "deny" if not outcome["allowed"] else "shadow-deny" if outcome["shadow_deny"] else "allow"
    policy = outcome.get("policy")
    by = ""
    if policy:
        path = "/".join(part for part in (policy["mesh"], policy.get("namespace", ""), policy["name"]) if part)
        by = f", {policy['kind']} {path}"
    return f"{word} ({outcome['reason']}{by})"


def explain_command(difference: Difference, new_path: str, kuma_version: str | None = None) -> str:
    """The witness as a command an operator can run: `gen-bundle explain` of the new set."""
    settings: dict[str, str] = difference.witness["attributes"]["contextExtensions"]
    tags: dict[str, tuple[str, ...]] = {
        key: (value,)
        for key, value in settings.items()
        if not key.startswith("kuma.io/mesh")
        and not key.startswith("kuma.io/dataplane")
        and key != "kuma.io/inbound-name"
    }
    arguments = [
        "gen-bundle",
        "explain",
        new_path,
        "--to",
        pairs_text(tags),
        "--from",
        difference.client,
        "--mesh",
        difference.mesh,
    ]
    if "kuma.io/dataplane-labels" in settings:
        labels = json.loads(settings["kuma.io/dataplane-labels"])
        arguments += ["--labels", pairs_text({key: (value,) for key, value in labels.items()})]
    if kuma_version:
        arguments += ["--kuma-version", kuma_version]
    return shlex.join(arguments)


def alike(difference: Difference) -> str:
    others = difference.clients[1:]
    if not others:
        return ""
    shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
    return f" (and {len(others)} more client{'s' if len(others) != 1 else ''} alike: {shown})"


def render(comparison: Comparison, arguments: argparse.Namespace) -> str:
    count = len(comparison.differences)
    lines = [
        f"{count} difference{'s' if count != 1 else ''} over {comparison.destinations} inbounds "
        f"({comparison.skipped_unchanged} decided by the same entries in both; {comparison.asked} OPA evaluations)"
    ]
    for difference in comparison.differences:
        lines.append("")
        lines.append(f"{difference.client} → {difference.destination} (mesh {difference.mesh}){alike(difference)}")
        lines.append(f"  before: {verdict(difference.old)}")
        lines.append(f"  after:  {verdict(difference.new)}")
        version = arguments.new_kuma_version or arguments.kuma_version
        lines.append(f"  witness: {explain_command(difference, arguments.new, version)}")
    if comparison.outbound:
        count = len(comparison.outbound)
        lines += ["", f"{count} outbound difference{'s' if count != 1 else ''}:"]
    for difference in comparison.outbound:
        lines.append("")
        lines.append(f"{difference.client} → {difference.destination} (mesh {difference.mesh}){alike(difference)}")
        lines.append(f"  before: {verdict(difference.old)}")
        lines.append(f"  after:  {verdict(difference.new)}")
        address = difference.witness["attributes"]["destination"]["address"]["socketAddress"]["address"]
        command = ["gen-bundle", "explain", arguments.new, "--from", difference.client, "--to", difference.destination]
        lines.append(f"  witness: {shlex.join([*command, '--address', address, '--mesh', difference.mesh])}")
    return "\n".join(lines)


def as_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "differences": [
            {
                "mesh": d.mesh,
                "destination": d.destination,
                "clients": d.clients,
                "before": d.old,
                "after": d.new,
                "witness": d.witness,
            }
            for d in comparison.differences
        ],
        "outbound_differences": [
            {
                "mesh": d.mesh,
                "destination": d.destination,
                "proxies": d.clients,
                "before": d.old,
                "after": d.new,
                "witness": d.witness,
            }
            for d in comparison.outbound
        ],
        "inbounds": comparison.destinations,
        "unchanged": comparison.skipped_unchanged,
        "alike_clients": comparison.alike_clients,
        "evaluations": comparison.asked,
    }
