"""`gen-bundle explain PATH... --to INBOUND --from CLIENT`: why the bundle built from PATH decides a
request as it does, answered by a real OPA with the bundle's own rule
`data.kuma.authz.inbound.explanation` (docs/explain.md). The outbound form, `--from PROXY --to
HOST[:PORT][/PROTOCOL]`, asks `data.kuma.authz.outbound.explanation`.

Exit status: 0 answered (whatever the decision), 1 the policies have errors (nothing explained),
2 the command could not run as asked (command line, no OPA), 3 an internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from generator.build import policy_table
from generator.questions.evaluate import evaluate
from generator.questions.inputs import inbound_input, outbound_input
from generator.questions.parties import (
    Client,
    Destination,
    Inbound,
    PartyError,
    is_destination,
    parse_client,
    parse_destination,
    parse_inbound,
    parse_pairs,
)
from generator.verbs.shared import EXIT_USAGE, built, guarded, question_arguments

PROG = "gen-bundle explain"
QUERIES = {"inbound": "data.kuma.authz.inbound.explanation", "outbound": "data.kuma.authz.outbound.explanation"}
STEPS = {
    "external-service": "an ExternalService (and the TrafficPermission that governs it)",
    "mesh-passthrough": "MeshPassthrough",
    "passthrough-flag": "the Mesh's networking.outbound.passthrough",
    "input": "the input (nothing else was read)",
    "mtls": "the mesh's mTLS mode",
    "rules": "MeshTrafficPermission rules[]",
    "identity": "the client's identity",
    "from": "MeshTrafficPermission from[]",
    "traffic-permission": "TrafficPermission",
    "none": "no policy selects the inbound",
}
# Why a denial that no entry decided names a policy (no-matching-rule, docs/decision-api.md).
NAMED_WHY = {
    "from": "of the policies that select the inbound, the one of the highest precedence: none of its entries applies",
    "rules": "of the policies that select the inbound, the one of the highest precedence: no match holds",
}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gen-bundle explain",
        description="Explain the decision the bundle built from PATH makes for one request: the deciding "
        "policy entry with file:line, and every other entry that selected the inbound with why it did not decide.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories, as for build")
    parser.add_argument(
        "--to",
        required=True,
        metavar="TAGS",
        help="the inbound called: its tags, e.g. kuma.io/service=payments,app=payments; or, for an outbound "
        "question, the destination HOST[:PORT][/PROTOCOL] (protocol http, http2, grpc, tls or tcp; default "
        "port 443, protocol tls on 443, else http)",
    )
    parser.add_argument(
        "--from",
        dest="client",
        required=True,
        metavar="CLIENT",
        help="the client: its tags (kuma.io/service=orders,env=dev: a mesh-CA certificate), its SPIFFE ID "
        "(a workload identity), or none (plaintext); for an outbound question, the local proxy's inbound tags",
    )
    parser.add_argument(
        "--address",
        metavar="IP",
        help="outbound: the destination IP Envoy reports (default: the host, if an IP)",
    )
    parser.add_argument("--mesh", default="default", help="the mesh of the inbound's proxy (default: default)")
    parser.add_argument(
        "--labels",
        metavar="LABELS",
        help="the local Dataplane's labels, key=value,... (default: the --to pairs, as on Kubernetes)",
    )
    parser.add_argument("--dataplane", default="", metavar="NAME[.NAMESPACE]", help="the local Dataplane's name")
    parser.add_argument("--inbound-name", default="", metavar="NAME", help="the inbound's name (sectionName)")
    parser.add_argument("--port", type=int, default=8080, help="the inbound's port (default: 8080)")
    parser.add_argument("--sni", default="", help="the TLS server name the client sent")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    question_arguments(parser)
    return parser


def main(argv: list[str]) -> int:
    arguments = parser().parse_args(argv)
    if is_destination(arguments.to):
        try:
            destination = parse_destination(arguments.to, arguments.address)
            local = {key: values[0] for key, values in parse_pairs(arguments.client).items()}
        except PartyError as exc:
            print(f"gen-bundle explain: {exc}", file=sys.stderr)
            return 2
        return guarded(PROG, lambda: run(arguments, "outbound", outbound_question(arguments, local, destination)))
    try:
        inbound = parse_inbound(
            arguments.to,
            labels=arguments.labels,
            dataplane=arguments.dataplane,
            inbound_name=arguments.inbound_name,
            port=arguments.port,
            sni=arguments.sni,
        )
        client = parse_client(arguments.client)
    except PartyError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return guarded(PROG, lambda: run(arguments, "inbound", inbound_question(arguments, inbound, client)))


Question = tuple[dict[str, str], Callable[[], dict[str, Any]]]  # (what was asked, the input maker)


def inbound_question(arguments: argparse.Namespace, inbound: Inbound, client: Client) -> Question:
    asked = {"to": inbound.describe(), "from": client.describe(), "mesh": arguments.mesh}
    return asked, lambda: inbound_input(arguments.mesh, inbound, client)


def outbound_question(arguments: argparse.Namespace, local: dict[str, str], destination: Destination) -> Question:
    asked = {"to": destination.describe(), "from": arguments.client, "mesh": arguments.mesh}
    return asked, lambda: outbound_input(arguments.mesh, local, destination)


def run(arguments: argparse.Namespace, direction: str, question: Question) -> int:
    opa, result = built(arguments, arguments.paths, "nothing explained")
    assert result.bundle is not None
    assert result.model is not None
    asked, make_input = question
    explanation = evaluate(opa, result.bundle, QUERIES[direction], [make_input()])[0]
    locate(explanation, policy_table(result.model))
    explanation["question"] = {**asked, "direction": direction}
    if arguments.format == "json":
        json.dump(explanation, sys.stdout, indent=2, sort_keys=True)
        print()
    else:
        print(render(explanation))
    return 0


def locate(explanation: dict[str, Any], table: list[dict[str, Any]]) -> None:
    """Adds file:line to every policy the explanation names (OPA's data has only the table index)."""
    where = {(row["mesh"], row["index"]): f"{row['file']}:{row['line']}" for row in table}
    decided = explanation["decision"].get("dynamic_metadata", {}).get("policy")
    if decided is not None:
        mesh = explanation["mesh"]
        match = [entry for entry in explanation["entries"] if entry["status"] == "decided" and entry["kind"] != "other"]
        # a no-matching-rule denial names a policy no entry of which decided (it may have none): by its name
        named = [row for row in table if row["mesh"] == mesh and same_policy(row, decided)]
        if match:
            decided["location"] = where.get((mesh, match[0]["policy"]["index"]), "")
        elif named:
            decided["location"] = f"{named[0]['file']}:{named[0]['line']}"
    for entry in explanation["entries"]:
        policy = entry["policy"]
        if "index" in policy:
            policy["location"] = where.get((policy.get("mesh", explanation["mesh"]), policy["index"]), "")


def same_policy(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return all(one.get(key) == other.get(key) for key in ("kind", "mesh", "namespace", "name"))


def policy_text(policy: dict[str, Any]) -> str:
    if "name" not in policy:
        return f"policy #{policy['index']}"
    path = "/".join(part for part in (policy["mesh"], policy.get("namespace", ""), policy["name"]) if part)
    return f"{policy['kind']} {path}"


def entry_text(entry: dict[str, Any]) -> str:
    policy = entry["policy"]
    if entry["kind"] == "rules":
        match = entry["match"]
        parts = []
        if "spiffe" in match:
            parts.append(f"spiffeID {match['spiffe']['type']} {match['spiffe']['value']}")
        if "sni" in match:
            parts.append(f"sni {match['sni']}")
        return f"{policy_text(policy)} rules[{policy['rule']}] {entry['action']} {' and '.join(parts)}"
    if entry["kind"] == "traffic-permission":
        return policy_text(policy)
    if entry["kind"] == "external-service":
        service = entry["service"]
        governed = f", governed by {policy_text(policy)}" if "name" in policy else ""
        return f"ExternalService {service.get('name', '')} ({service.get('address', '')}){governed}"
    if entry["kind"] == "mesh-passthrough":
        return policy_text(policy)
    client = ",".join(f"{key}={value}" for key, value in sorted(entry["client"].items())) or "any client"
    return f"{policy_text(policy)} from[{entry['entry']}] {entry['action']} ({client})"


def render(explanation: dict[str, Any]) -> str:
    question = explanation["question"]
    decision = explanation["decision"]
    metadata = decision.get("dynamic_metadata", {})
    verdict = "allow" if decision.get("allowed") else "deny"
    lines = [
        f"{question['from']} → {question['to']} (mesh {question['mesh']})",
        f"decision: {verdict} ({metadata.get('reason', 'unknown')})"
        + (" with shadow deny" if metadata.get("shadow_deny") else ""),
        f"decided by: {STEPS.get(explanation['step'], explanation['step'])}",
    ]
    decided = [entry for entry in explanation["entries"] if entry["status"] == "decided"]
    for entry in decided:
        lines.append(f"deciding entry: {entry_text(entry)}  {entry['policy'].get('location', '')}")
        lines.append(f"  {entry['why']}")
    named = metadata.get("policy")
    if named is not None and not decided:
        lines.append(f"named policy: {policy_text(named)}  {named.get('location', '')}".rstrip())
        lines.append(f"  {NAMED_WHY.get(explanation['step'], 'the policy in force')}")
    if "rule" in metadata:
        lines.append(f"Envoy RBAC rule: {metadata['rule']}")
    others = [entry for entry in explanation["entries"] if entry["status"] != "decided"]
    if others:
        lines.append("")
        side = "the inbound" if explanation["question"]["direction"] == "inbound" else "the proxy or the destination"
        lines.append(f"other entries that select {side}:")
        width = max(len(entry["status"]) for entry in others)
        for entry in others:
            lines.append(f"  {entry['status']:<{width}}  {entry_text(entry)}  {entry['policy'].get('location', '')}")
            lines.append(f"  {'':<{width}}  {entry['why']}")
    elif not decided:
        lines.append("no policy entry applies")
    return "\n".join(lines)
