"""Runs a scenario's checks through a real OPA and compares each decision with what the file expects."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from tests.support.checks import inbound_check, outbound_check
from tests.support.opa import OpaServer
from tests.support.scenarios import Scenario


class BundleBuilder(Protocol):
    """The `build_bundle` fixture: policy YAML text → the path of a bundle built from it."""

    def __call__(self, policy_yaml: str, name: str = "policies.yaml", kuma_version: str | None = None) -> Path: ...


def check_input(check: dict[str, Any]) -> dict[str, Any]:
    if check.get("direction", "inbound") == "outbound":
        destination = check.get("destination", {})
        return outbound_check(
            check["local"],
            mesh=check.get("mesh", "default"),
            address=destination.get("address", "203.0.113.10"),
            port=destination.get("port", 443),
            host=destination.get("host"),
            sni=destination.get("sni"),
            protocol=destination.get("protocol", "HTTP/1.1"),
            content_type=destination.get("content_type"),
        )
    return inbound_check(
        check["inbound"],
        check.get("client"),
        mesh=check.get("mesh", "default"),
        identity=check.get("identity", "certificate"),
        client_mesh=check.get("client_mesh"),
        http=check.get("http", True),
        extra_headers=check.get("headers"),
        spiffe_ids=_as_list(check.get("spiffe_id")),
        sni=check.get("sni"),
        dataplane=check.get("dataplane"),
        port=check.get("port", 8080),
    )


def _as_list(value: str | list[str] | None) -> list[str] | None:
    return [value] if isinstance(value, str) else value


def failures_of(opa: OpaServer, scenario: Scenario) -> list[str]:
    """Every check whose decision differs from the file, on the direction's paths and the dispatcher."""
    failures = []
    for check in scenario.checks:
        direction = check.get("direction", "inbound")
        request = check_input(check)
        decision = opa.query(f"kuma/authz/{direction}/decision", request)
        problems = compare(check, decision)
        if opa.query("kuma/authz/decision", request) != decision:
            problems.append(f"kuma.authz.decision differs from kuma.authz.{direction}.decision")
        allowed = opa.query(f"kuma/authz/{direction}/allow", request)
        if allowed is not decision["allowed"]:
            problems.append(f"kuma.authz.{direction}.allow is {allowed}, decision.allowed {decision['allowed']}")
        problems += explanation_problems(opa.query(f"kuma/authz/{direction}/explanation", request), decision)
        problems += session_problems(opa, check, decision)
        if problems:
            failures.append(f"{check['name']}: " + "; ".join(problems) + f"\n    decision: {decision}")
    return failures


def session_problems(opa: OpaServer, check: dict[str, Any], decision: dict[str, Any]) -> list[str]:
    """A client certificate's URI SANs handed over from Envoy's TLS session (dynamic metadata) in place
    of the certificate decide alike (decision-api.md, "Identity from the TLS session")."""
    if check.get("direction", "inbound") != "inbound" or check.get("identity", "certificate") != "certificate":
        return []
    session = opa.query("kuma/authz/inbound/decision", check_input({**check, "identity": "session"}))
    return [] if session == decision else [f"with the URI SANs from the TLS session: {session}"]


def explanation_problems(explanation: dict[str, Any], decision: dict[str, Any]) -> list[str]:
    """The explanation (docs/explain.md) carries the very decision, and names its deciding entry once."""
    problems = []
    if explanation["decision"] != decision:
        problems.append(f"the explanation's decision differs: {explanation['decision']}")
    decided = [entry for entry in explanation["entries"] if entry["status"] == "decided"]
    policy = decision["dynamic_metadata"].get("policy")
    if policy is None and any("name" in entry["policy"] for entry in decided):
        problems.append(f"no policy decided, yet the explanation names {decided}")
    if policy is not None:
        named = [(entry["policy"].get("kind"), entry["policy"].get("name")) for entry in decided]
        reason = decision["dynamic_metadata"]["reason"]
        if not named and reason == "no-matching-rule" and explanation["step"] in ("from", "rules"):
            # no entry decided: the denial names the policy the explanation says such a client is denied by
            if explanation["no_match_policy"] != policy:
                problems.append(f"the decision names {policy}, the explanation {explanation['no_match_policy']}")
        elif named != [(policy["kind"], policy["name"])]:
            problems.append(f"the explanation's deciding entries {named}, the decision's policy {policy['name']}")
    return problems


def compare(check: dict[str, Any], decision: dict[str, Any]) -> list[str]:
    problems = []
    metadata = decision["dynamic_metadata"]
    expected_allowed = check["expect"] == "allowed"
    if decision["allowed"] is not expected_allowed:
        problems.append(f"expected {check['expect']}")
    if metadata["reason"] != check["reason"]:
        problems.append(f"reason {metadata['reason']!r}, expected {check['reason']!r}")
    if "policy" in check:
        got = metadata.get("policy", {}).get("name")
        if got != check["policy"]:
            problems.append(f"policy {got!r}, expected {check['policy']!r}")
    if "policy_kind" in check and metadata.get("policy", {}).get("kind") != check["policy_kind"]:
        problems.append(f"policy kind {metadata.get('policy', {}).get('kind')!r}, expected {check['policy_kind']!r}")
    if "rule" in check:
        # `rule: kri`: the matcher is named by the deciding policy's KRI (Kuma's Envoy RBAC names)
        expected_rule = metadata.get("policy", {}).get("kri") if check["rule"] == "kri" else check["rule"]
        if metadata.get("rule") != expected_rule or (check["rule"] == "kri" and not expected_rule):
            problems.append(f"rule {metadata.get('rule')!r}, expected {check['rule']!r}")
    if "match" in check and metadata.get("match", {}).get("value") != check["match"]:
        problems.append(f"match {metadata.get('match', {}).get('value')!r}, expected {check['match']!r}")
    if metadata["shadow_deny"] is not check.get("shadow_deny", False):
        problems.append(f"shadow_deny {metadata['shadow_deny']}")
    if not expected_allowed and decision.get("http_status") != 403:
        problems.append(f"http_status {decision.get('http_status')}, expected 403")
    return problems
