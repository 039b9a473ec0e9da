"""`gen-bundle matrix PATH... [--inventory FILE] -o FILE`: who may talk to whom, as the bundle built
from PATH decides it (docs/matrix.md), by service, or by Dataplane inbound with an inventory.

Formats: csv and json (long: one row per client and destination), mermaid and dot (the allowed
edges), html (a grid a person reads at a glance; one self-contained file).
Exit status: 0 written, 1 the policies have errors, 2 the command could not run as asked, 3 internal.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

from generator.build import policy_table
from generator.bundle.write import write_atomically
from generator.questions.classes import Cell, Endpoint, decide_all
from generator.questions.endpoints import dataplane_endpoints, named_services, service_endpoints
from generator.reading.inventory import read_inventory
from generator.verbs.shared import EXIT_USAGE, Stop, built, guarded, question_arguments

PROG = "gen-bundle matrix"
FORMATS = ("csv", "json", "html", "mermaid", "dot")
FIELDS = ("client", "destination", "decision", "reason", "policy")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gen-bundle matrix",
        description="Who may talk to whom: every client and destination decided by the bundle built from PATH.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories, as for build")
    parser.add_argument("-o", "--output", type=Path, required=True, help="where to write the matrix")
    parser.add_argument("--format", choices=FORMATS, help="default: from the output's suffix, else csv")
    parser.add_argument(
        "--inventory", metavar="FILE", help="the Dataplanes (kumactl get dataplanes -o yaml): one row per inbound"
    )
    question_arguments(parser)
    return parser


def main(argv: list[str]) -> int:
    arguments = parser().parse_args(argv)
    return guarded(PROG, lambda: run(arguments))


def output_format(arguments: argparse.Namespace) -> str:
    if arguments.format:
        return str(arguments.format)
    suffix = arguments.output.suffix.lstrip(".").lower()
    return {"htm": "html", "mmd": "mermaid", "gv": "dot"}.get(suffix, suffix if suffix in FORMATS else "csv")


def run(arguments: argparse.Namespace) -> int:
    inventory = read_inventory(arguments.inventory) if arguments.inventory else None
    opa, result = built(arguments, arguments.paths, "nothing written")
    assert result.bundle is not None
    assert result.model is not None
    endpoints = (
        dataplane_endpoints(inventory) if inventory is not None else service_endpoints(named_services([result.model]))
    )
    clients = [endpoint for endpoint in endpoints if endpoint.client.tags.get("kuma.io/service")]
    cells, asked = decide_all(opa, result.bundle, clients, endpoints)
    where = {
        (row["mesh"], row["kind"], row["name"], row.get("namespace", "")): f"{row['file']}:{row['line']}"
        for row in policy_table(result.model)
    }
    form = output_format(arguments)
    content = WRITERS[form](cells, endpoints, where)
    try:
        write_atomically(arguments.output, content.encode())
    except OSError as exc:
        raise Stop(EXIT_USAGE, f"cannot write {arguments.output}: {exc.strerror or exc}") from None
    print(
        f"wrote {arguments.output} ({form}): {len(clients)} clients by {len(endpoints)} destinations, "
        f"{len(cells)} decisions from {asked} OPA evaluations"
    )
    return 0


def policy_text(policy: dict[str, Any] | None) -> str:
    if not policy:
        return ""
    path = "/".join(part for part in (policy["mesh"], policy.get("namespace", ""), policy["name"]) if part)
    return f"{policy['kind']} {path}"


def rows(cells: list[Cell]) -> list[dict[str, str]]:
    ordered = sorted(cells, key=lambda cell: (cell.client, cell.destination))
    return [
        {
            "client": c.client,
            "destination": c.destination,
            "decision": c.decision,
            "reason": c.reason,
            "policy": policy_text(c.policy),
        }
        for c in ordered
    ]


def write_csv(cells: list[Cell], _: list[Endpoint], __: dict[Any, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(cells))
    return buffer.getvalue()


def write_json(cells: list[Cell], _: list[Endpoint], __: dict[Any, str]) -> str:
    return json.dumps(rows(cells), indent=1) + "\n"


def _node(name: str) -> str:
    return "n_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def write_mermaid(cells: list[Cell], endpoints: list[Endpoint], _: dict[Any, str]) -> str:
    lines = ["flowchart LR"]
    for endpoint in endpoints:
        lines.append(f'  {_node(endpoint.name)}["{endpoint.name}"]')
    for row in rows(cells):
        if row["decision"] == "allow":
            lines.append(f"  {_node(row['client'])} --> {_node(row['destination'])}")
        elif row["decision"] == "shadow-deny":
            lines.append(f"  {_node(row['client'])} -.-> {_node(row['destination'])}")
    return "\n".join(lines) + "\n"


def write_dot(cells: list[Cell], endpoints: list[Endpoint], _: dict[Any, str]) -> str:
    lines = ["digraph matrix {", "  rankdir=LR;"]
    for endpoint in endpoints:
        lines.append(f"  {json.dumps(endpoint.name)};")
    for row in rows(cells):
        if row["decision"] in ("allow", "shadow-deny"):
            style = ' [style=dashed, color="#d97706"]' if row["decision"] == "shadow-deny" else ' [color="#15803d"]'
            lines.append(f"  {json.dumps(row['client'])} -> {json.dumps(row['destination'])}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_html(cells: list[Cell], endpoints: list[Endpoint], where: dict[Any, str]) -> str:
    import jinja2  # noqa: PLC0415  (only the html format needs it)

    names = [endpoint.name for endpoint in endpoints]
    index = {name: i for i, name in enumerate(names)}
    clients = sorted({cell.client for cell in cells}, key=lambda name: index[name])
    codes = {"allow": "a", "deny": "d", "shadow-deny": "s"}
    policies: list[str] = []
    policy_index: dict[str, int] = {}
    reasons: list[str] = []
    reason_index: dict[str, int] = {}
    grid = {(cell.client, cell.destination): cell for cell in cells}
    matrix = []
    for client in clients:
        row = []
        for destination in names:
            cell = grid.get((client, destination))
            if cell is None:
                row.append("")
                continue
            text = policy_text(cell.policy)
            if cell.policy:
                key = (cell.policy["mesh"], cell.policy["kind"], cell.policy["name"], cell.policy.get("namespace", ""))
                text = f"{text} ({where.get(key, '')})"
            policy_at = policy_index.setdefault(text, len(policy_index))
            if policy_at == len(policies):
                policies.append(text)
            reason_at = reason_index.setdefault(cell.reason, len(reason_index))
            if reason_at == len(reasons):
                reasons.append(cell.reason)
            row.append(f"{codes[cell.decision]}{reason_at}.{policy_at}")
        matrix.append(row)
    namespaces = {endpoint.name: endpoint.namespace or endpoint.mesh for endpoint in endpoints}
    data = {
        "clients": clients,
        "destinations": names,
        "groups": [namespaces[name] for name in names],
        "client_groups": [namespaces[name] for name in clients],
        "cells": matrix,
        "policies": policies,
        "reasons": reasons,
    }
    template = resources.files("generator").joinpath("templates/matrix.html.j2").read_text()
    environment = jinja2.Environment(autoescape=True)
    return environment.from_string(template).render(
        data_json=json.dumps(data, separators=(",", ":")).replace("</", "<\\/"), total=len(cells)
    )


WRITERS = {"csv": write_csv, "json": write_json, "mermaid": write_mermaid, "dot": write_dot, "html": write_html}
